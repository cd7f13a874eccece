"""The gratitude service called directly: notes and their outbox rows, directions,
acknowledgements, export and erasure, and the weekly figures on a small hand-made history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from api.errors import Conflict, Forbidden, NotFound
from api.gratitude import service
from api.gratitude.models import GratitudeNote
from api.notifications.models import Notification
from api.pairing import service as pairing_service
from tests.factories import pair


def send(session, paired, clock, text="Thank you for waiting up for me", author=None):
    first, _, c = paired
    return service.send_note(
        session=session, couple=c, author=(author or first).user, text=text, now=clock()
    )


def outbox(session, kind=None):
    session.commit()
    stmt = select(Notification).order_by(Notification.created_at)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return session.scalars(stmt).all()


def other_couple(factory, session):
    a, b, _ = pair(factory)
    return a, b, pairing_service.active_couple(session=session, user=a.user)


# --- sending ----------------------------------------------------------------------------------


def test_send_note_stores_it_and_enqueues_one_notification_for_the_partner(session, paired, clock):
    first, second, c = paired
    note = send(session, paired, clock)
    session.expire_all()
    stored = session.get(GratitudeNote, note.id)
    assert (stored.couple_id, stored.author_id, stored.recipient_id) == (
        c.id,
        first.user.id,
        second.user.id,
    )
    assert (stored.created_at, stored.acknowledged_at, stored.reaction) == (clock(), None, None)
    [pushed] = outbox(session, "gratitude_received")
    assert (pushed.recipient_id, pushed.couple_id, pushed.status) == (
        second.user.id,
        c.id,
        "pending",
    )
    assert pushed.data == {"gratitude_id": str(note.id)}
    assert first.user.display_name in pushed.title
    assert "waiting up" not in pushed.title + pushed.body  # a lock screen is not private
    assert pushed.expires_at == clock() + timedelta(hours=24)


def test_the_note_and_its_notification_commit_together_or_not_at_all(session, paired, clock):
    def refuse(_session):
        raise RuntimeError("the commit fails")

    event.listen(session, "before_commit", refuse, once=True)
    with pytest.raises(RuntimeError):
        send(session, paired, clock)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(GratitudeNote)) == 0
    assert outbox(session, "gratitude_received") == []


# --- listing ----------------------------------------------------------------------------------


def test_list_notes_by_direction_newest_first(factory, session, paired, clock):
    first, second, c = paired
    sent = send(session, paired, clock, "for the coffee")
    clock.advance(seconds=1)
    received = send(session, paired, clock, "for listening", author=second)
    other = other_couple(factory, session)
    send(session, other, clock, "not yours")

    def ids(direction, user=first):
        page = service.list_notes(
            session=session, couple=c, user=user.user, direction=direction, limit=10, cursor=None
        )
        return [n.id for n in page.items]

    assert ids(None) == [received.id, sent.id]
    assert ids("sent") == [sent.id]
    assert ids("received") == [received.id]
    assert ids("sent", user=second) == [received.id]


def test_list_notes_pages_with_a_cursor(session, paired, clock):
    first, _, c = paired
    made = []
    for n in range(3):
        made.append(send(session, paired, clock, f"note {n}").id)
        clock.advance(minutes=1)
    page = service.list_notes(
        session=session, couple=c, user=first.user, direction=None, limit=2, cursor=None
    )
    rest = service.list_notes(
        session=session, couple=c, user=first.user, direction=None, limit=2, cursor=page.next_cursor
    )
    assert [n.id for n in page.items + rest.items] == made[::-1]
    assert rest.next_cursor is None


# --- acknowledging ----------------------------------------------------------------------------


def test_the_recipient_acknowledges_and_the_author_hears_back(session, paired, clock):
    first, second, c = paired
    note = send(session, paired, clock)
    clock.advance(hours=2)
    acked = service.acknowledge(
        session=session, couple=c, user=second.user, note_id=note.id, now=clock(), reaction="❤️"
    )
    assert (acked.acknowledged_at, acked.reaction) == (clock(), "❤️")
    [heard] = outbox(session, "gratitude_acknowledged")
    assert heard.recipient_id == first.user.id
    assert heard.body == "They reacted ❤️"
    assert heard.data == {"gratitude_id": str(note.id)}


def test_acknowledgement_rules(factory, session, paired, clock):
    first, second, c = paired
    note = send(session, paired, clock)
    with pytest.raises(Forbidden) as author:
        service.acknowledge(
            session=session, couple=c, user=first.user, note_id=note.id, now=clock()
        )
    assert author.value.reason == "not_recipient"
    service.acknowledge(session=session, couple=c, user=second.user, note_id=note.id, now=clock())
    clock.advance(hours=1)
    with pytest.raises(Conflict) as again:
        service.acknowledge(
            session=session, couple=c, user=second.user, note_id=note.id, now=clock()
        )
    assert again.value.reason == "already_acknowledged"
    outsider, _, theirs = other_couple(factory, session)
    with pytest.raises(NotFound):
        service.acknowledge(
            session=session, couple=theirs, user=outsider.user, note_id=note.id, now=clock()
        )
    session.rollback()
    assert session.get(GratitudeNote, note.id).acknowledged_at == clock() - timedelta(hours=1)
    assert len(outbox(session, "gratitude_acknowledged")) == 1


# --- export and erasure -----------------------------------------------------------------------


def test_export_couple_names_each_notes_direction(factory, session, paired, clock):
    first, second, c = paired
    mine = send(session, paired, clock, "sent by me")
    clock.advance(minutes=1)
    theirs = send(session, paired, clock, "sent to me", author=second)
    service.acknowledge(
        session=session, couple=c, user=first.user, note_id=theirs.id, now=clock(), reaction="🙏"
    )
    send(session, other_couple(factory, session), clock, "another couple's")
    exported = service.export_couple(session=session, couple_id=c.id, user=first.user)
    assert [(n.id, n.direction, n.text) for n in exported] == [
        (mine.id, "sent", "sent by me"),
        (theirs.id, "received", "sent to me"),
    ]
    assert (exported[1].reaction, exported[1].acknowledged_at) == ("🙏", clock())
    as_partner = service.export_couple(session=session, couple_id=c.id, user=second.user)
    assert [n.direction for n in as_partner] == ["received", "sent"]


def test_erase_for_user_removes_what_they_wrote_only(session, paired, clock):
    first, second, c = paired
    send(session, paired, clock, "mine")
    kept = send(session, paired, clock, "the partner's", author=second)
    service.erase_for_user(session=session, user=first.user)
    session.commit()
    remaining = session.scalars(select(GratitudeNote)).all()
    assert [n.id for n in remaining] == [kept.id]


# --- weekly figures ---------------------------------------------------------------------------

# Three weeks from Monday 9 November 2026 (UTC boundaries); `since` starts the second week.
BOUNDARIES = [datetime(2026, 11, d, tzinfo=UTC) for d in (9, 16, 23, 30)]
SINCE = BOUNDARIES[1]
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def at(day, hour):
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def test_weekly_counts_on_a_hand_made_history(factory, session, paired, clock):
    first, second, c = paired
    a, b = first, second
    history = [
        # (author, sent at, acknowledged at)
        (a, at(10, 10), at(10, 12)),  # week 0, before `since`: 2 h, not in the median
        (a, at(17, 9), at(18, 9)),  # week 1: acknowledged after 24 h
        (a, at(22, 22), at(23, 2)),  # sent in week 1, acknowledged in week 2, after 4 h
        (a, at(23, 10), at(23, 14)),  # week 2; acknowledged after `now`: not counted yet
        (a, at(23, 13), None),  # after `now`: not counted at all
        (b, at(20, 10), at(20, 16)),  # week 1: acknowledged after 6 h
        (b, at(23, 8), None),  # week 2, never acknowledged
        (b, at(2, 9), at(2, 10)),  # before the first week and before `since`
    ]
    for author, sent_at, acked_at in history:
        clock.set(sent_at)
        note = send(session, paired, clock, author=author)
        if acked_at is not None:
            clock.set(acked_at)
            recipient = b if author is a else a
            service.acknowledge(
                session=session, couple=c, user=recipient.user, note_id=note.id, now=clock()
            )
    # Another couple's notes never count.
    clock.set(at(17, 9))
    send(session, other_couple(factory, session), clock)

    figures = service.weekly_counts(
        session=session,
        couple_id=c.id,
        member_ids=[a.user.id, b.user.id],
        boundaries=BOUNDARIES,
        since=SINCE,
        now=NOW,
    )
    # The oldest note counted since `since`: when it leaves the window, the figures change.
    assert figures["oldest_since"] == at(17, 9)
    assert figures["partners"] == {
        a.user.id: {
            "sent": [1, 2, 1],
            "acknowledged": [0, 1, 0],
            "sent_28d": 3,
            "median_ack_hours_28d": 6.0,
        },
        b.user.id: {
            "sent": [0, 1, 1],
            "acknowledged": [1, 1, 1],
            "sent_28d": 2,
            "median_ack_hours_28d": 14.0,  # median of 24 h and 4 h
        },
    }


def test_weekly_counts_of_a_quiet_couple_are_zeros(session, paired):
    first, second, c = paired
    figures = service.weekly_counts(
        session=session,
        couple_id=c.id,
        member_ids=[first.user.id, second.user.id],
        boundaries=BOUNDARIES,
        since=SINCE,
        now=NOW,
    )
    empty = {
        "sent": [0, 0, 0],
        "acknowledged": [0, 0, 0],
        "sent_28d": 0,
        "median_ack_hours_28d": None,
    }
    assert figures == {
        "oldest_since": None,
        "partners": {first.user.id: empty, second.user.id: empty},
    }
