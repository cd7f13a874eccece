"""api/flows.py called directly: ending a couple, erasing an account and exporting a user's
data, each across every domain it touches, on a couple with some of everything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

import pytest
from sqlalchemy import event, func, select

from api import flows
from api.accounts import service as accounts_service
from api.accounts.models import Device, User
from api.auth import service as auth_service
from api.auth.models import AuthSession, RefreshToken
from api.auth.tokens import TokenSettings
from api.commitments import service as commitments_service
from api.commitments.models import Commitment, CommitmentCheck
from api.errors import NotFound
from api.gratitude import service as gratitude_service
from api.gratitude.models import GratitudeNote
from api.i18n import Verbatim
from api.idempotency import service as idempotency_service
from api.idempotency.models import IdempotencyRecord
from api.notifications import service as notifications_service
from api.notifications.models import Notification, NotificationSettings
from api.pairing import service as pairing_service
from api.pairing.models import Couple
from api.prompts import schedules as schedules_service
from api.prompts import service as prompts_service
from api.prompts.models import Answer, Prompt, Round, Schedule
from api.therapists import service as therapists_service
from api.therapists.models import Grant
from tests.factories import pair

SETTINGS = TokenSettings(
    secret="test-secret-key-that-is-long-enough-0123456789", issuer="steady", audience="steady-api"
)


@dataclass
class Lived:
    """What `lived_in` made, for the assertions."""

    first_prompt: Prompt
    second_prompt: Prompt
    schedule: Schedule
    first_commitment: commitments_service.CommitmentView
    second_commitment: commitments_service.CommitmentView
    note_to_second: GratitudeNote
    note_to_first: GratitudeNote
    revealed: prompts_service.RoundView  # both answered
    unrevealed: prompts_service.RoundView  # only the second partner answered
    grant: Grant
    assignment: therapists_service.AssignmentView
    therapist: User


def lived_in(factory, session, paired, clock) -> Lived:
    """A couple with some of everything, all made through the domains' services."""
    first, second, c = paired
    f, s = first.user, second.user
    accounts_service.register_device(
        session=session,
        user=f,
        token="first-phone",
        platform="ios",
        app_version="2.0",
        now=clock(),
    )
    accounts_service.register_device(
        session=session,
        user=s,
        token="second-phone",
        platform="android",
        app_version=None,
        now=clock(),
    )
    notifications_service.replace_settings(
        session=session,
        user=f,
        quiet_hours=None,
        daily_cap=3,
        kinds={"prompt": False},
        now=clock(),
    )
    first_prompt = prompts_service.create_prompt(
        session=session, couple=c, user=f, kind="check_in", text="First's question", now=clock()
    )
    second_prompt = prompts_service.create_prompt(
        session=session, couple=c, user=s, kind="gratitude", text="Second's question", now=clock()
    )
    schedule = schedules_service.create_schedule(
        session=session, couple=c, user=f, kind="gratitude", time=time(20, 0), now=clock()
    )
    commitments = []
    for owner, title in ((f, "Text when I leave work"), (s, "Cook on Fridays")):
        made = commitments_service.create_commitment(
            session=session,
            couple=c,
            user=owner,
            title=title,
            due_time=time(18, 0),
            remind_before_minutes=30,
            now=clock(),
        )
        commitments_service.record_check(
            session=session,
            couple=c,
            user=owner,
            commitment_id=made.id,
            date=date(2026, 11, 23),
            status="kept",
            now=clock(),
        )
        commitments.append(made)
    clock.advance(minutes=1)
    note_to_second = gratitude_service.send_note(
        session=session, couple=c, author=f, text="Thanks for the coffee", now=clock()
    )
    clock.advance(minutes=1)
    note_to_first = gratitude_service.send_note(
        session=session, couple=c, author=s, text="Thanks for listening", now=clock()
    )
    clock.advance(minutes=1)
    revealed = prompts_service.ask_now(
        session=session, couple=c, user=f, kind="gratitude", prompt_id=None, now=clock()
    )
    for who, text in ((f, "first's answer"), (s, "second's revealed answer")):
        prompts_service.answer_round(
            session=session, couple=c, user=who, round_id=revealed.id, text=text, now=clock()
        )
    clock.advance(minutes=1)
    unrevealed = prompts_service.ask_now(
        session=session, couple=c, user=s, kind="check_in", prompt_id=first_prompt.id, now=clock()
    )
    prompts_service.answer_round(
        session=session,
        couple=c,
        user=s,
        round_id=unrevealed.id,
        rating=4,
        text="second's hidden answer",
        now=clock(),
    )
    claim = idempotency_service.claim(
        session=session, user_id=f.id, key="k", method="POST", path="/p", digest="d", now=clock()
    )
    idempotency_service.store(session=session, claim=claim, status=201, body="{}", headers={})
    session.commit()
    therapist = factory.user(role="therapist", display_name="Dr. Rivera")
    code = therapists_service.create_link_code(session=session, therapist=therapist, now=clock())
    view = therapists_service.add_therapist(
        session=session, couple=c, user=f, code=code.code, scope="summary", now=clock()
    )
    therapists_service.approve(session=session, couple=c, user=s, grant_id=view.id, now=clock())
    grant = session.get(Grant, view.id)
    assignment = therapists_service.create_assignment(
        session=session,
        grant=grant,
        therapist=therapist,
        kind="check_in",
        text="How safe?",
        time=time(19, 0),
        now=clock(),
    )
    clock.advance(minutes=1)
    return Lived(
        first_prompt=first_prompt,
        second_prompt=second_prompt,
        schedule=schedule,
        first_commitment=commitments[0],
        second_commitment=commitments[1],
        note_to_second=note_to_second,
        note_to_first=note_to_first,
        revealed=revealed,
        unrevealed=unrevealed,
        grant=grant,
        assignment=assignment,
        therapist=therapist,
    )


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def fresh(session):
    session.commit()
    session.expire_all()


# --- unpair -----------------------------------------------------------------------------------


def test_unpair_ends_everything_that_belongs_to_the_couple(factory, session, paired, clock):
    first, second, c = paired
    lived = lived_in(factory, session, paired, clock)
    notifications_service.enqueue(
        session=session,
        recipient_id=first.user.id,
        kind="pairing",
        title=Verbatim("Not about the couple"),
        body=Verbatim("b"),
        now=clock(),
    )
    session.commit()
    pending_before = count(
        session, Notification, Notification.couple_id == c.id, Notification.status == "pending"
    )
    assert pending_before > 0

    flows.unpair(session=session, user=second.user, now=clock())
    fresh(session)
    assert session.get(Couple, c.id).ended_at == clock()
    for partner in (first, second):
        assert pairing_service.find_active_couple(session=session, user_id=partner.user.id) is None
    own = session.get(Schedule, lived.schedule.id)
    assert (own.active, own.next_fire_at) == (False, None)
    assert session.get(Schedule, lived.assignment.schedule.id) is None  # the therapist's: gone
    reminders = session.scalars(
        select(Commitment.next_reminder_at).where(Commitment.couple_id == c.id)
    ).all()
    assert reminders == [None, None]
    grant = session.get(Grant, lived.grant.id)
    assert (grant.status, grant.revoked_at) == ("revoked", clock())
    about_couple = session.scalars(select(Notification).where(Notification.couple_id == c.id))
    statuses = {(n.status, n.last_error) for n in about_couple}
    assert statuses == {("skipped", "couple_ended")}
    [other] = session.scalars(
        select(Notification).where(Notification.title == "Not about the couple")
    ).all()
    assert other.status == "pending"
    # Each keeps their history.
    assert count(session, GratitudeNote, GratitudeNote.couple_id == c.id) == 2
    assert count(session, Answer) == 3


def test_unpair_without_a_couple_is_not_paired(factory, session, paired, clock):
    first, second, _ = paired
    flows.unpair(session=session, user=first.user, now=clock())
    for who in (first, second, factory.partner()):
        with pytest.raises(NotFound) as refused:
            flows.unpair(session=session, user=who.user, now=clock())
        assert refused.value.reason == "not_paired"


# --- erase_account ----------------------------------------------------------------------------


def test_erase_account_removes_what_only_the_user_owns(factory, session, paired, clock):
    first, second, c = paired
    lived = lived_in(factory, session, paired, clock)
    f = first.user.id
    email = first.user.email

    flows.erase_account(session=session, user=first.user, now=clock())
    fresh(session)
    assert session.get(User, f) is None
    gone = {
        "devices": count(session, Device, Device.user_id == f),
        "sessions": count(session, AuthSession, AuthSession.user_id == f),
        "refresh tokens": count(session, RefreshToken, RefreshToken.session_id == first.session_id),
        "notifications": count(session, Notification, Notification.recipient_id == f),
        "notification settings": count(
            session, NotificationSettings, NotificationSettings.user_id == f
        ),
        "answers": count(session, Answer, Answer.user_id == f),
        "custom prompts": count(session, Prompt, Prompt.id == lived.first_prompt.id),
        "gratitude written": count(session, GratitudeNote, GratitudeNote.author_id == f),
        "commitments": count(session, Commitment, Commitment.owner_id == f),
        "commitment checks": count(
            session, CommitmentCheck, CommitmentCheck.commitment_id == lived.first_commitment.id
        ),
        "idempotency records": count(session, IdempotencyRecord, IdempotencyRecord.user_id == f),
    }
    assert gone == dict.fromkeys(gone, 0)

    # The partner's own writing stays theirs.
    s = second.user.id
    kept_note = session.get(GratitudeNote, lived.note_to_first.id)
    assert (kept_note.author_id, kept_note.recipient_id) == (s, None)
    assert sorted(session.scalars(select(Answer.text).where(Answer.user_id == s))) == [
        "second's hidden answer",
        "second's revealed answer",
    ]
    assert session.get(Prompt, lived.second_prompt.id) is not None
    assert count(session, Commitment, Commitment.owner_id == s) == 1
    assert count(session, Device, Device.user_id == s) == 1
    assert count(session, AuthSession, AuthSession.user_id == s) == 1
    # The rounds stay, reading the same, though the prompt one of them asked is gone.
    asked = session.get(Round, lived.unrevealed.id)
    assert (asked.prompt_id, asked.prompt_text) == (None, "First's question")

    # The couple ended, with all that ends with it.
    assert session.get(Couple, c.id).ended_at == clock()
    assert pairing_service.find_active_couple(session=session, user_id=s) is None
    assert session.get(Grant, lived.grant.id).status == "revoked"
    assert session.get(Schedule, lived.schedule.id).next_fire_at is None
    # Nothing pending reaches the partners; the therapist alone hears that access ended.
    pending = session.scalars(select(Notification).where(Notification.status == "pending")).all()
    assert [(n.recipient_id, n.kind) for n in pending] == [(lived.therapist.id, "therapist")]

    # The email is free again.
    again = auth_service.register(
        session=session,
        settings=SETTINGS,
        email=email,
        password="a new password",
        display_name="New",
        timezone="UTC",
        role="partner",
        device_name=None,
        now=clock(),
    )
    assert again.user.id != f


def test_erase_account_is_all_or_nothing(factory, session, paired, clock):
    first, _, c = paired
    lived_in(factory, session, paired, clock)

    def refuse(_session):
        raise RuntimeError("the commit fails")

    event.listen(session, "before_commit", refuse, once=True)
    with pytest.raises(RuntimeError):
        flows.erase_account(session=session, user=first.user, now=clock())
    session.rollback()
    fresh(session)
    assert session.get(User, first.user.id) is not None
    assert session.get(Couple, c.id).ended_at is None
    assert count(session, Answer, Answer.user_id == first.user.id) == 1
    assert count(session, Device, Device.user_id == first.user.id) == 1


def test_erasing_a_therapist_ends_their_grants_and_leaves_the_couple(
    factory, session, paired, clock
):
    _, _, c = paired
    lived = lived_in(factory, session, paired, clock)
    flows.erase_account(session=session, user=lived.therapist, now=clock())
    fresh(session)
    grant = session.get(Grant, lived.grant.id)
    assert (grant.status, grant.therapist_id, grant.revoked_at) == ("revoked", None, clock())
    assert session.get(Schedule, lived.assignment.schedule.id) is None
    assert session.get(Couple, c.id).ended_at is None
    assert session.get(Schedule, lived.schedule.id).next_fire_at is not None


# --- export_data ------------------------------------------------------------------------------


def test_export_data_holds_each_section(factory, session, paired, clock):
    first, second, c = paired
    lived = lived_in(factory, session, paired, clock)
    exported = flows.export_data(session=session, user=first.user)

    assert exported.user.id == first.user.id
    assert exported.notification_settings.daily_cap == 3
    assert not exported.notification_settings.allows("prompt")
    assert [s.id for s in exported.sessions] == [first.session_id]
    assert [(d.token, d.platform) for d in exported.devices] == [("first-phone", "ios")]
    assert exported.notifications  # the inbox, oldest first, only the user's own
    assert {n.recipient_id for n in exported.notifications} == {first.user.id}
    assert [n.created_at for n in exported.notifications] == sorted(
        n.created_at for n in exported.notifications
    )
    assert {"pairing", "gratitude_received", "prompt", "partner_answered"} <= {
        n.kind for n in exported.notifications
    }
    assert [p.id for p in exported.prompts] == [lived.first_prompt.id]

    [couple] = exported.couples
    assert (couple.id, couple.since, couple.ended_at) == (c.id, c.created_at, None)
    assert couple.partner == {"id": second.user.id, "display_name": second.user.display_name}
    assert [(n.id, n.direction) for n in couple.gratitude] == [
        (lived.note_to_second.id, "sent"),
        (lived.note_to_first.id, "received"),
    ]
    assert [e.commitment.id for e in couple.commitments] == [lived.first_commitment.id]
    assert [(ch.date, ch.status) for ch in couple.commitments[0].checks] == [
        (date(2026, 11, 23), "kept")
    ]
    assert [(g.id, g.status) for g in couple.therapist_grants] == [(lived.grant.id, "active")]
    # Answer to reveal holds in the export: the partner's answer only where the user answered.
    by_id = {r.id: r for r in couple.rounds}
    assert list(by_id) == [lived.revealed.id, lived.unrevealed.id]
    revealed, unrevealed = by_id[lived.revealed.id], by_id[lived.unrevealed.id]
    assert revealed.partner_answer.text == "second's revealed answer"
    assert (unrevealed.partner_answered, unrevealed.partner_answer) == (True, None)
    # The partner's export of the same couple shows their side.
    theirs = flows.export_data(session=session, user=second.user).couples[0]
    assert [(n.id, n.direction) for n in theirs.gratitude] == [
        (lived.note_to_second.id, "received"),
        (lived.note_to_first.id, "sent"),
    ]
    assert {r.id: r.my_answer.text for r in theirs.rounds} == {
        lived.revealed.id: "second's revealed answer",
        lived.unrevealed.id: "second's hidden answer",
    }


def test_export_lists_every_couple_and_forgets_an_erased_partner(factory, session, paired, clock):
    first, second, old = paired
    gratitude_service.send_note(
        session=session, couple=old, author=first.user, text="to the old partner", now=clock()
    )
    flows.unpair(session=session, user=first.user, now=clock())
    clock.advance(days=1)
    third = factory.partner()
    _, _, new_id = pair(factory, first=first, second=third)
    flows.erase_account(session=session, user=second.user, now=clock())
    fresh(session)

    exported = flows.export_data(session=session, user=first.user)
    assert [(e.id, e.ended_at is None) for e in exported.couples] == [
        (old.id, False),
        (new_id, True),
    ]
    before, current = exported.couples
    assert before.partner is None  # erased
    assert [(n.text, n.direction) for n in before.gratitude] == [("to the old partner", "sent")]
    assert current.partner == {"id": third.user.id, "display_name": third.user.display_name}
