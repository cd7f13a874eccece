"""The prompts service called directly: the visible prompts, rounds asked now or by a schedule,
answers (answer to reveal), export and erasure. Schedules are in test_schedules_service.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from api.errors import Conflict, NotFound, Unprocessable
from api.notifications.models import Notification
from api.pairing import service as pairing_service
from api.prompts import schedules, service
from api.prompts.library import library
from api.prompts.models import Answer, Prompt, Round
from tests.factories import pair

GRATITUDE = [p.text for p in library() if p.kind == "gratitude"]
CHECK_IN = [p.text for p in library() if p.kind == "check_in"]


def couple_of(factory, session, **second):
    first, partner, _ = pair(factory, second=factory.partner(**second) if second else None)
    return first, partner, pairing_service.active_couple(session=session, user=first.user)


def own_prompt(session, paired, clock, kind="gratitude", text="What did they cook you loved?"):
    first, _, c = paired
    return service.create_prompt(
        session=session, couple=c, user=first.user, kind=kind, text=text, now=clock()
    )


def listed(session, couple_id, kind=None, offset=0, limit=100, locale="en", category=None):
    everything, next_offset = [], offset
    while next_offset is not None:
        page, next_offset = service.list_prompts(
            session=session,
            couple_id=couple_id,
            locale=locale,
            kind=kind,
            category=category,
            offset=next_offset,
            limit=limit,
        )
        everything += page
    return everything


def ask(session, paired, clock, kind="gratitude", prompt_id=None, asker=None):
    first, _, c = paired
    return service.ask_now(
        session=session,
        couple=c,
        user=(asker or first).user,
        kind=kind,
        prompt_id=prompt_id,
        now=clock(),
    )


def answer(session, paired, clock, round_id, who, **kwargs):
    _, _, c = paired
    return service.answer_round(
        session=session, couple=c, user=who.user, round_id=round_id, now=clock(), **kwargs
    )


def outbox(session, kind):
    session.commit()
    return session.scalars(
        select(Notification).where(Notification.kind == kind).order_by(Notification.created_at)
    ).all()


# --- the prompts a couple sees ----------------------------------------------------------------


def test_without_a_couple_only_the_library_is_listed(factory, session, paired, clock):
    own_prompt(session, paired, clock)
    prompts = listed(session, None)
    assert [(p.kind, p.text) for p in prompts] == [("check_in", t) for t in CHECK_IN] + [
        ("gratitude", t) for t in GRATITUDE
    ]
    assert {p.source for p in prompts} == {"library"}


def test_a_couples_own_and_therapist_prompts_follow_the_library_of_their_kind(
    factory, session, paired, clock
):
    first, _, c = paired
    therapist = factory.therapist()
    mine = own_prompt(session, paired, clock, text="Ours, first")
    clock.advance(seconds=1)
    assigned, _ = schedules.assign(
        session=session,
        couple_id=c.id,
        therapist_id=therapist.user.id,
        kind="gratitude",
        text="The therapist's",
        time=time(20, 0),
        timezone="Europe/Paris",
        days=None,
        now=clock(),
    )
    session.commit()
    clock.advance(seconds=1)
    check_in = own_prompt(session, paired, clock, kind="check_in", text="Ours, a check-in")
    # Another couple's prompt is never listed.
    own_prompt(session, couple_of(factory, session), clock, text="Theirs")
    ids = [p.id for p in listed(session, c.id)]
    library = [p.id for p in listed(session, None)]
    n = len(CHECK_IN)  # the library lists check-ins first
    assert ids == library[:n] + [check_in.id] + library[n:] + [mine.id, assigned.id]
    only_gratitude = [p.id for p in listed(session, c.id, kind="gratitude")]
    assert only_gratitude == library[n:] + [mine.id, assigned.id]


def test_list_prompts_pages_by_offset(factory, session, paired, clock):
    _, _, c = paired
    mine = own_prompt(session, paired, clock, kind="check_in", text="Ours")
    n = len(CHECK_IN)
    page, next_offset = service.list_prompts(
        session=session, couple_id=c.id, locale="en", kind="check_in", offset=n - 3, limit=2
    )
    assert [p.text for p in page] == CHECK_IN[n - 3 : n - 1]
    assert next_offset == n - 1
    page, next_offset = service.list_prompts(
        session=session, couple_id=c.id, locale="en", kind="check_in", offset=next_offset, limit=2
    )
    assert [p.id for p in page][1:] == [mine.id]
    assert [p.text for p in page] == [CHECK_IN[n - 1], "Ours"]
    assert next_offset is None  # the last page ends exactly here
    beyond, after = service.list_prompts(
        session=session, couple_id=c.id, locale="en", kind="check_in", offset=500, limit=2
    )
    assert (beyond, after) == ([], None)


def test_create_prompt(session, paired, clock):
    first, _, c = paired
    made = own_prompt(session, paired, clock, kind="check_in", text="How close today?")
    session.expire_all()
    stored = session.get(Prompt, made.id)
    assert (stored.kind, stored.text, stored.source) == ("check_in", "How close today?", "couple")
    assert (stored.couple_id, stored.created_by, stored.created_at) == (
        c.id,
        first.user.id,
        clock(),
    )
    assert (stored.library_key, stored.position) == (None, None)


def test_prompt_for_checks_visibility_then_kind(factory, session, paired, clock):
    _, _, c = paired
    library = listed(session, None, kind="gratitude")[0]
    assert service.prompt_for(session=session, couple=c, prompt_id=library.id, kind="gratitude")
    theirs = own_prompt(session, couple_of(factory, session), clock)
    for prompt_id in (theirs.id, uuid.uuid4()):
        with pytest.raises(NotFound) as hidden:
            service.prompt_for(session=session, couple=c, prompt_id=prompt_id, kind="gratitude")
        assert hidden.value.reason == "prompt_not_found"
    with pytest.raises(Unprocessable) as mismatch:
        service.prompt_for(session=session, couple=c, prompt_id=library.id, kind="check_in")
    assert (mismatch.value.status, mismatch.value.reason) == (422, "prompt_kind_mismatch")
    assert "prompt_id" in mismatch.value.errors["json"]


# --- asking -----------------------------------------------------------------------------------


def test_ask_now_notifies_the_partner_not_the_asker_by_the_partners_day(factory, session, clock):
    paired = couple_of(factory, session, timezone="Asia/Tokyo")
    first, second, c = paired
    view = ask(session, paired, clock)
    assert (view.kind, view.status, view.asked_at, view.schedule_id) == (
        "gratitude",
        "open",
        clock(),
        None,
    )
    assert view.prompt["text"] == GRATITUDE[0]
    assert (view.my_answer, view.partner_answered, view.partner_answer) == (None, False, None)
    [pushed] = outbox(session, "prompt")
    assert (pushed.recipient_id, pushed.couple_id) == (second.user.id, c.id)
    assert pushed.data == {"round_id": str(view.id)}
    assert pushed.body == GRATITUDE[0]
    # 12:00Z is 21:00 in Tokyo: the question expires at Tokyo's midnight, 15:00Z.
    assert pushed.expires_at == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    stored = session.get(Round, view.id)
    assert (stored.asked_by, stored.fire_at) == (first.user.id, None)


def test_ask_now_rotates_then_asks_a_chosen_prompt(session, paired, clock):
    assert ask(session, paired, clock, kind="check_in").prompt["text"] == CHECK_IN[0]
    clock.advance(minutes=1)
    assert ask(session, paired, clock, kind="check_in").prompt["text"] == CHECK_IN[1]
    mine = own_prompt(session, paired, clock, kind="check_in", text="How close today?")
    chosen = ask(session, paired, clock, kind="check_in", prompt_id=mine.id)
    assert chosen.prompt == {"id": mine.id, "text": "How close today?", "locale": None}
    with pytest.raises(Unprocessable):
        ask(session, paired, clock, kind="gratitude", prompt_id=mine.id)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Round)) == 3


def test_ask_scheduled_asks_once_per_firing(session, paired, clock):
    first, second, c = paired
    schedule = schedules.create_schedule(
        session=session, couple=c, user=first.user, kind="gratitude", time=time(20, 0), now=clock()
    )
    fire_at = schedule.next_fire_at

    def fire(at):
        return service.ask_scheduled(
            session=session,
            couple=c,
            schedule_id=schedule.id,
            kind="gratitude",
            prompt_id=None,
            fire_at=at,
            asked_at={first.user.id: at, second.user.id: at},
            now=at,
        )

    assert fire(fire_at) is True
    session.commit()  # the materialiser commits its batch
    assert fire(fire_at) is False
    session.commit()
    [asked] = session.scalars(select(Round)).all()
    assert (asked.schedule_id, asked.fire_at, asked.asked_at, asked.asked_by) == (
        schedule.id,
        fire_at,
        fire_at,
        None,
    )
    assert {n.recipient_id for n in outbox(session, "prompt")} == {first.user.id, second.user.id}
    assert fire(fire_at + timedelta(days=1)) is True
    session.commit()
    assert session.scalar(select(func.count()).select_from(Round)) == 2
    assert len(outbox(session, "prompt")) == 4


# --- answering --------------------------------------------------------------------------------


def test_answers_must_fit_the_kind_of_round(session, paired, clock):
    first, _, _ = paired
    check_in = ask(session, paired, clock, kind="check_in")
    gratitude = ask(session, paired, clock, kind="gratitude")
    refusals = [
        (check_in.id, {"text": "fine"}, "rating_required", "rating"),
        (gratitude.id, {"text": "You", "rating": 4}, "rating_not_allowed", "rating"),
        (gratitude.id, {}, "text_required", "text"),
        (gratitude.id, {"text": ""}, "text_required", "text"),
    ]
    for round_id, body, reason, field in refusals:
        with pytest.raises(Unprocessable) as refused:
            answer(session, paired, clock, round_id, first, **body)
        assert refused.value.reason == reason
        assert field in refused.value.errors["json"]
    assert session.scalar(select(func.count()).select_from(Answer)) == 0
    # A check-in may carry words with its rating.
    view = answer(session, paired, clock, check_in.id, first, rating=4, text="better today")
    assert (view.my_answer.rating, view.my_answer.text) == (4, "better today")


def test_a_rating_out_of_range_is_not_reported_as_already_answered(session, paired, clock):
    first, _, _ = paired
    asked = ask(session, paired, clock, kind="check_in")
    with pytest.raises(Unprocessable):
        answer(session, paired, clock, asked.id, first, rating=9)


def test_each_partner_answers_once(session, paired, clock):
    first, _, _ = paired
    asked = ask(session, paired, clock)
    answer(session, paired, clock, asked.id, first, text="The coffee")
    with pytest.raises(Conflict) as again:
        answer(session, paired, clock, asked.id, first, text="And the flowers")
    assert again.value.reason == "already_answered"
    session.rollback()
    [only] = session.scalars(select(Answer)).all()
    assert only.text == "The coffee"


def test_another_couples_round_is_not_found(factory, session, paired, clock):
    asked = ask(session, paired, clock)
    outsider = couple_of(factory, session)
    with pytest.raises(NotFound):
        answer(session, outsider, clock, asked.id, outsider[0], text="Not mine")


def test_answer_to_reveal_and_completion(session, paired, clock):
    first, second, c = paired
    asked = ask(session, paired, clock)
    clock.advance(minutes=5)
    mine = answer(session, paired, clock, asked.id, first, text="The coffee")
    assert (mine.status, mine.my_answer.text, mine.partner_answered) == (
        "open",
        "The coffee",
        False,
    )
    # The partner learns that, not what, the first partner answered.
    theirs = service.get_round(session=session, couple=c, user=second.user, round_id=asked.id)
    assert (theirs.partner_answered, theirs.partner_answer, theirs.my_answer) == (True, None, None)
    [told] = outbox(session, "partner_answered")
    assert (told.recipient_id, told.body) == (
        second.user.id,
        "Your partner answered. Answer too to see what they said.",
    )
    assert "coffee" not in told.title + told.body

    clock.advance(minutes=5)
    done = answer(session, paired, clock, asked.id, second, text="The walk")
    assert (done.status, done.partner_answer.text) == ("complete", "The coffee")
    assert session.get(Round, asked.id).completed_at == clock()
    seen = service.get_round(session=session, couple=c, user=first.user, round_id=asked.id)
    assert (seen.status, seen.partner_answer.text) == ("complete", "The walk")
    last = outbox(session, "partner_answered")[-1]
    assert (last.recipient_id, last.body) == (
        first.user.id,
        "You've both answered: see what they said.",
    )


# --- export and erasure -----------------------------------------------------------------------


def test_export_couple_reveals_the_partners_answer_only_where_the_user_answered(
    factory, session, paired, clock
):
    first, second, c = paired
    both = ask(session, paired, clock)
    answer(session, paired, clock, both.id, first, text="mine, both")
    answer(session, paired, clock, both.id, second, text="theirs, both")
    clock.advance(minutes=1)
    only_theirs = ask(session, paired, clock)
    answer(session, paired, clock, only_theirs.id, second, text="theirs, alone")
    clock.advance(minutes=1)
    only_mine = ask(session, paired, clock)
    answer(session, paired, clock, only_mine.id, first, text="mine, alone")
    ask(session, couple_of(factory, session), clock)  # another couple's round

    exported = service.export_couple(session=session, couple_id=c.id, user=first.user)
    assert [r.id for r in exported] == [both.id, only_theirs.id, only_mine.id]
    assert [
        (
            r.my_answer.text if r.my_answer else None,
            r.partner_answered,
            r.partner_answer.text if r.partner_answer else None,
        )
        for r in exported
    ] == [
        ("mine, both", True, "theirs, both"),
        (None, True, None),
        ("mine, alone", False, None),
    ]


def test_export_prompts_holds_the_users_own_prompts_oldest_first(factory, session, paired, clock):
    first, second, c = paired
    older = own_prompt(session, paired, clock, text="older")
    clock.advance(minutes=1)
    newer = own_prompt(session, paired, clock, kind="check_in", text="newer")
    service.create_prompt(
        session=session,
        couple=c,
        user=second.user,
        kind="gratitude",
        text="the partner's",
        now=clock(),
    )
    assert [p.id for p in service.export_prompts(session=session, user=first.user)] == [
        older.id,
        newer.id,
    ]


def test_erase_for_user_removes_their_answers_and_prompts_and_keeps_the_history(
    session, paired, clock
):
    first, second, c = paired
    mine = own_prompt(session, paired, clock, text="Ours: what made you laugh?")
    asked = ask(session, paired, clock, prompt_id=mine.id)
    answer(session, paired, clock, asked.id, first, text="mine")
    answer(session, paired, clock, asked.id, second, text="theirs")
    partners = service.create_prompt(
        session=session,
        couple=c,
        user=second.user,
        kind="gratitude",
        text="the partner's",
        now=clock(),
    )
    service.erase_for_user(session=session, user=first.user)
    session.commit()
    session.expire_all()
    assert [a.text for a in session.scalars(select(Answer))] == ["theirs"]
    assert session.get(Prompt, mine.id) is None
    assert session.get(Prompt, partners.id) is not None
    kept = session.get(Round, asked.id)
    assert (kept.prompt_id, kept.prompt_text) == (None, "Ours: what made you laugh?")
