"""The therapists service called directly: link codes, two-partner consent, the access check
and its log, content, assignments, and how grants end (revocation, unpairing, erasure)."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from api.codes import CODE_ALPHABET
from api.errors import Conflict, Forbidden, Gone, NotFound, Unprocessable
from api.notifications.models import Notification
from api.pairing import service as pairing_service
from api.prompts import schedules
from api.prompts import service as prompts_service
from api.prompts.models import Prompt, Schedule
from api.therapists import service
from api.therapists.models import AccessLogEntry, Assignment, Grant
from tests.factories import pair


@pytest.fixture
def therapist(factory):
    return factory.user(role="therapist", display_name="Dr. Rivera", timezone="America/Chicago")


def another_couple(factory, session, **first):
    a, b, _ = pair(factory, first=factory.partner(**first) if first else None)
    return a, b, pairing_service.active_couple(session=session, user=a.user)


def code_for(session, therapist, clock):
    return service.create_link_code(session=session, therapist=therapist, now=clock()).code


def add(session, paired, therapist, clock, scope="summary", who=None, code=None):
    first, _, c = paired
    return service.add_therapist(
        session=session,
        couple=c,
        user=(who or first).user,
        code=code or code_for(session, therapist, clock),
        scope=scope,
        now=clock(),
    )


def approve(session, paired, clock, grant_id, who=None):
    _, second, c = paired
    return service.approve(
        session=session, couple=c, user=(who or second).user, grant_id=grant_id, now=clock()
    )


def active_grant(session, paired, therapist, clock, scope="summary") -> Grant:
    view = approve(session, paired, clock, add(session, paired, therapist, clock, scope).id)
    assert view.status == "active"
    return session.get(Grant, view.id)


def check(session, therapist, couple_id, clock, content=False, path="/v1/therapist/x"):
    return service.check_access(
        session=session,
        therapist=therapist,
        couple_id=couple_id,
        action="progress",
        path=path,
        now=clock(),
        content=content,
    )


def log_of(session, paired, grant_id):
    _, _, c = paired
    page = service.access_log(session=session, couple=c, grant_id=grant_id, limit=50, cursor=None)
    return [(e.outcome, e.grant_id) for e in reversed(page.items)]  # oldest first


def assign(session, grant, therapist, clock, **kwargs):
    values = {"kind": "check_in", "text": "How safe did you feel today?", "time": time(19, 0)}
    values.update(kwargs)
    return service.create_assignment(
        session=session, grant=grant, therapist=therapist, now=clock(), **values
    )


def schedule_ids(session):
    session.commit()
    return set(session.scalars(select(Schedule.id)))


# --- link codes and adding a therapist --------------------------------------------------------


def test_a_link_code_lasts_72_hours(session, therapist, clock):
    link = service.create_link_code(session=session, therapist=therapist, now=clock())
    assert len(link.code) == 8 and set(link.code) <= set(CODE_ALPHABET)
    assert (link.therapist_id, link.created_at) == (therapist.id, clock())
    assert link.expires_at == clock() + timedelta(hours=72)


def test_adding_waits_for_the_other_partner_who_is_told(session, paired, therapist, clock):
    first, second, c = paired
    code = code_for(session, therapist, clock)
    typed = f" {code[:4].lower()}-{code[4:]} "
    view = add(session, paired, therapist, clock, scope="summary_and_content", code=typed)
    assert (view.status, view.scope, view.approvals) == (
        "pending",
        "summary_and_content",
        [first.user.id],
    )
    assert view.therapist == {"id": therapist.id, "display_name": "Dr. Rivera"}
    assert (view.activated_at, view.revoked_at) == (None, None)
    session.commit()
    [told] = session.scalars(select(Notification).where(Notification.kind == "therapist")).all()
    assert (told.recipient_id, told.couple_id) == (second.user.id, c.id)
    assert told.data == {"grant_id": str(view.id)}
    assert "Dr. Rivera" in told.body and first.user.display_name in told.body


def test_adding_refusals(session, paired, therapist, clock):
    _, second, _ = paired
    for code in ("ZZZZZZZZ", "not a code"):
        with pytest.raises(NotFound) as unknown:
            add(session, paired, therapist, clock, code=code)
        assert unknown.value.reason == "link_code_not_found"
    code = code_for(session, therapist, clock)
    add(session, paired, therapist, clock, code=code)
    with pytest.raises(Conflict) as twice:
        add(session, paired, therapist, clock, code=code, who=second)
    assert twice.value.reason == "already_granted"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Grant)) == 1
    assert (
        session.scalar(
            select(func.count()).select_from(Notification).where(Notification.kind == "therapist")
        )
        == 1
    )
    clock.advance(hours=72)  # the code's last instant has passed
    with pytest.raises(Gone) as expired:
        add(session, paired, therapist, clock, code=code)
    assert expired.value.reason == "link_code_expired"


def test_an_unknown_scope_is_not_reported_as_already_granted(session, paired, therapist, clock):
    with pytest.raises(Unprocessable):
        add(session, paired, therapist, clock, scope="everything")


# --- approval and revocation ------------------------------------------------------------------


def test_the_second_approval_makes_the_grant_active(session, paired, therapist, clock):
    first, second, _ = paired
    grant = add(session, paired, therapist, clock)
    with pytest.raises(Conflict) as own:
        approve(session, paired, clock, grant.id, who=first)
    assert own.value.reason == "already_approved"
    clock.advance(hours=1)
    view = approve(session, paired, clock, grant.id)
    assert (view.status, view.activated_at) == ("active", clock())
    assert set(view.approvals) == {first.user.id, second.user.id}
    with pytest.raises(Conflict) as again:
        approve(session, paired, clock, grant.id)
    assert again.value.reason == "already_approved"


def test_a_revoked_grant_cannot_be_approved(session, paired, therapist, clock):
    _, _, c = paired
    grant = add(session, paired, therapist, clock)
    service.revoke(session=session, couple=c, user=paired[0].user, grant_id=grant.id, now=clock())
    with pytest.raises(Conflict) as ended:
        approve(session, paired, clock, grant.id)
    assert ended.value.reason == "grant_revoked"


def test_another_couples_grant_is_not_found(factory, session, paired, therapist, clock):
    grant = add(session, paired, therapist, clock)
    outsider = another_couple(factory, session)
    with pytest.raises(NotFound):
        approve(session, outsider, clock, grant.id, who=outsider[1])
    with pytest.raises(NotFound):
        service.revoke(
            session=session,
            couple=outsider[2],
            user=outsider[0].user,
            grant_id=grant.id,
            now=clock(),
        )
    session.rollback()
    assert session.get(Grant, grant.id).status == "pending"


def test_revoking_ends_access_and_stops_the_therapists_schedules(session, paired, therapist, clock):
    _, _, c = paired
    grant = active_grant(session, paired, therapist, clock)
    made = assign(session, grant, therapist, clock)
    own = prompts_service.create_prompt(
        session=session, couple=c, user=paired[0].user, kind="gratitude", text="ours", now=clock()
    )
    couples_own = schedules.create_schedule(
        session=session,
        couple=c,
        user=paired[0].user,
        kind="gratitude",
        time=time(20, 0),
        prompt_id=own.id,
        now=clock(),
    )
    clock.advance(hours=1)
    service.revoke(session=session, couple=c, user=paired[0].user, grant_id=grant.id, now=clock())
    ended = service.get_grant(session=session, couple=c, grant_id=grant.id)
    assert (ended.status, ended.revoked_at) == ("revoked", clock())
    assert schedule_ids(session) == {couples_own.id}
    assert session.get(Assignment, made.id).deleted_at == clock()
    assert session.get(Prompt, made.prompt.id) is not None  # past rounds still name it
    with pytest.raises(NotFound):
        check(session, therapist, c.id, clock)
    # Revoking an ended grant is fine and keeps when it ended; the therapist can be added anew.
    clock.advance(hours=1)
    service.revoke(session=session, couple=c, user=paired[0].user, grant_id=grant.id, now=clock())
    assert service.get_grant(session=session, couple=c, grant_id=grant.id).revoked_at == (
        clock() - timedelta(hours=1)
    )
    assert add(session, paired, therapist, clock).status == "pending"


# --- the access check and its log -------------------------------------------------------------


def test_no_grant_is_not_found_and_logged_as_denied(session, paired, therapist, clock):
    _, _, c = paired
    with pytest.raises(NotFound):
        check(session, therapist, c.id, clock)
    pending = add(session, paired, therapist, clock)
    with pytest.raises(NotFound):
        check(session, therapist, c.id, clock)
    assert log_of(session, paired, pending.id) == [("denied", None), ("denied", None)]


def test_a_summary_grant_refuses_content_and_logs_it(session, paired, therapist, clock):
    _, _, c = paired
    grant = active_grant(session, paired, therapist, clock, scope="summary")
    assert check(session, therapist, c.id, clock).id == grant.id
    clock.advance(seconds=1)
    with pytest.raises(Forbidden) as refused:
        check(session, therapist, c.id, clock, content=True)
    assert refused.value.reason == "scope_denied"
    assert log_of(session, paired, grant.id) == [("allowed", grant.id), ("denied", grant.id)]


def test_a_content_grant_allows_content(session, paired, therapist, clock):
    _, _, c = paired
    grant = active_grant(session, paired, therapist, clock, scope="summary_and_content")
    long_path = "/v1/therapist/couples/" + "x" * 400
    assert check(session, therapist, c.id, clock, content=True, path=long_path).id == grant.id
    [entry] = service.access_log(
        session=session, couple=c, grant_id=grant.id, limit=5, cursor=None
    ).items
    assert (entry.outcome, entry.action, entry.at, entry.therapist_id) == (
        "allowed",
        "progress",
        clock(),
        therapist.id,
    )
    assert entry.path == long_path[:300]


def test_nothing_is_logged_about_a_couple_that_does_not_exist(session, therapist, clock):
    with pytest.raises(NotFound):
        check(session, therapist, uuid.uuid4(), clock)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AccessLogEntry)) == 0


# --- the therapist's side ---------------------------------------------------------------------


def test_therapist_couples_lists_only_active_grants(factory, session, paired, therapist, clock):
    first, second, c = paired
    active_grant(session, paired, therapist, clock, scope="summary_and_content")
    add(session, another_couple(factory, session), therapist, clock)  # pending: not listed
    other_therapist = factory.user(role="therapist")
    active_grant(session, another_couple(factory, session), other_therapist, clock)
    page = service.therapist_couples(session=session, therapist=therapist, limit=10, cursor=None)
    [listed] = page.items
    assert (listed.id, listed.scope, listed.since) == (c.id, "summary_and_content", clock())
    assert listed.partners == [
        {"id": u.id, "display_name": u.display_name, "timezone": u.timezone}
        for u in (first.user, second.user)
    ]


def test_couple_rounds_holds_only_rounds_both_answered(session, paired, therapist, clock):
    first, second, c = paired
    grant = active_grant(session, paired, therapist, clock, scope="summary_and_content")

    def ask_and_answer(*who):
        view = prompts_service.ask_now(
            session=session,
            couple=c,
            user=first.user,
            kind="check_in",
            prompt_id=None,
            now=clock(),
        )
        for n, partner in enumerate(who, start=2):
            prompts_service.answer_round(
                session=session,
                couple=c,
                user=partner.user,
                round_id=view.id,
                now=clock(),
                rating=n,
            )
        clock.advance(minutes=1)
        return view.id

    complete = ask_and_answer(first, second)
    ask_and_answer(first)  # one answer: not complete, so not shown
    ask_and_answer()  # none
    page = service.couple_rounds(
        session=session, grant=grant, therapist=therapist, limit=10, cursor=None
    )
    [shown] = page.items
    assert shown.id == complete
    assert {a["user_id"]: a["rating"] for a in shown.answers} == {
        first.user.id: 2,
        second.user.id: 3,
    }


# --- assignments ------------------------------------------------------------------------------


def test_an_assignment_asks_in_the_adding_partners_zone_by_default(
    factory, session, therapist, clock
):
    paired = another_couple(factory, session, timezone="Asia/Tokyo")
    _, _, c = paired
    grant = active_grant(session, paired, therapist, clock)
    made = assign(session, grant, therapist, clock, days=["fri", "mon"])
    assert made.schedule.timezone == "Asia/Tokyo"  # not the therapist's Chicago
    assert made.schedule.days == ["mon", "fri"]
    assert (made.prompt.source, made.prompt.couple_id, made.prompt.created_by) == (
        "therapist",
        c.id,
        therapist.id,
    )
    assert made.schedule.prompt_id == made.prompt.id and made.schedule.next_fire_at is not None
    chosen = assign(session, grant, therapist, clock, timezone="Europe/Lisbon")
    assert chosen.schedule.timezone == "Europe/Lisbon"


def test_list_and_delete_assignments(factory, session, paired, therapist, clock):
    grant = active_grant(session, paired, therapist, clock)
    older = assign(session, grant, therapist, clock, text="older")
    clock.advance(minutes=1)
    newer = assign(session, grant, therapist, clock, text="newer")
    # Another therapist's assignment on the same couple is not theirs to list or delete.
    someone = factory.user(role="therapist")
    theirs = assign(session, active_grant(session, paired, someone, clock), someone, clock)

    def listed():
        page = service.list_assignments(session=session, grant=grant, limit=10, cursor=None)
        return [(a.id, a.prompt.text) for a in page.items]

    assert listed() == [(newer.id, "newer"), (older.id, "older")]
    service.delete_assignment(session=session, grant=grant, assignment_id=older.id, now=clock())
    assert listed() == [(newer.id, "newer")]
    assert older.schedule.id not in schedule_ids(session)
    assert session.get(Prompt, older.prompt.id) is not None
    for missing in (older.id, theirs.id, uuid.uuid4()):
        with pytest.raises(NotFound):
            service.delete_assignment(
                session=session, grant=grant, assignment_id=missing, now=clock()
            )
    assert theirs.schedule.id in schedule_ids(session)


# --- grants ending with the couple or the therapist --------------------------------------------


def test_end_couple_grants_ends_pending_and_active_ones(factory, session, paired, therapist, clock):
    _, _, c = paired
    grant = active_grant(session, paired, therapist, clock)
    made = assign(session, grant, therapist, clock)
    pending = add(session, paired, factory.user(role="therapist"), clock)
    elsewhere = active_grant(session, another_couple(factory, session), therapist, clock)
    clock.advance(days=1)
    service.end_couple_grants(session=session, couple_id=c.id, now=clock())
    session.commit()
    session.expire_all()
    for grant_id in (grant.id, pending.id):
        ended = session.get(Grant, grant_id)
        assert (ended.status, ended.revoked_at) == ("revoked", clock())
    assert session.get(Grant, elsewhere.id).status == "active"
    assert made.schedule.id not in schedule_ids(session)


def test_erasing_a_therapist_ends_their_grants_everywhere(
    factory, session, paired, therapist, clock
):
    grant = active_grant(session, paired, therapist, clock)
    made = assign(session, grant, therapist, clock)
    elsewhere = add(session, another_couple(factory, session), therapist, clock)
    colleague = factory.user(role="therapist")
    kept = active_grant(session, another_couple(factory, session), colleague, clock)
    kept_assignment = assign(session, kept, colleague, clock)
    service.erase_for_therapist(session=session, user=therapist, now=clock())
    session.commit()
    session.expire_all()
    assert [session.get(Grant, g).status for g in (grant.id, elsewhere.id, kept.id)] == [
        "revoked",
        "revoked",
        "active",
    ]
    assert schedule_ids(session) == {kept_assignment.schedule.id}
    assert made.schedule.id not in schedule_ids(session)


def test_export_grants_holds_every_grant_oldest_first(factory, session, paired, therapist, clock):
    first, second, c = paired
    old = add(session, paired, therapist, clock)
    service.revoke(session=session, couple=c, user=paired[0].user, grant_id=old.id, now=clock())
    clock.advance(hours=1)
    new = active_grant(session, paired, therapist, clock, scope="summary_and_content")
    add(session, another_couple(factory, session), therapist, clock)  # another couple's
    exported = service.export_grants(session=session, couple_id=c.id)
    assert [(g.id, g.status, g.scope) for g in exported] == [
        (old.id, "revoked", "summary"),
        (new.id, "active", "summary_and_content"),
    ]
    assert exported[1].therapist["display_name"] == "Dr. Rivera"
    assert set(exported[1].approvals) == {first.user.id, second.user.id}
