"""Figures and reminders, through the service with an injected clock."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import insert, select

from api import flows
from api.commitments import service
from api.commitments.models import CommitmentCheck
from api.notifications.models import Notification

MONDAY = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 13:00 in Paris


def make(session, paired, clock, **kwargs):
    owner, _, c = paired
    values = {"title": "Text when I leave work", "due_time": time(18, 0)}
    values.update(kwargs)
    return service.create_commitment(
        session=session, couple=c, user=owner.user, now=clock(), **values
    )


def record(session, paired, clock, view, day, status="kept"):
    owner, _, c = paired
    return service.record_check(
        session=session,
        couple=c,
        user=owner.user,
        commitment_id=view.id,
        date=day,
        status=status,
        now=clock(),
    )


def figures(session, paired, clock, view):
    _, _, c = paired
    return service.get_commitment(session=session, couple=c, commitment_id=view.id, now=clock())


def test_no_occurrences_yet(session, paired, clock):
    view = make(session, paired, clock)
    assert (view.kept_rate_28d, view.current_streak) == (None, 0)
    assert view.next_due_at == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def test_rate_and_streak_count_unrecorded_past_occurrences_as_not_kept(session, paired, clock):
    view = make(session, paired, clock)
    clock.set(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))  # Thursday, before today's 18:00
    record(session, paired, clock, view, date(2026, 11, 23))
    record(session, paired, clock, view, date(2026, 11, 24))
    # Wednesday went unrecorded; today's occurrence is not due yet.
    got = figures(session, paired, clock, view)
    assert got.kept_rate_28d == pytest.approx(2 / 3)
    assert got.current_streak == 0
    record(session, paired, clock, view, date(2026, 11, 25))
    got = figures(session, paired, clock, view)
    assert (got.kept_rate_28d, got.current_streak) == (1.0, 3)
    # After today's due time, today's unrecorded occurrence counts as not kept in the rate,
    # but does not break the streak.
    clock.set(datetime(2026, 11, 26, 20, 0, tzinfo=UTC))
    got = figures(session, paired, clock, view)
    assert (got.kept_rate_28d, got.current_streak) == (0.75, 3)
    record(session, paired, clock, view, date(2026, 11, 26))
    assert figures(session, paired, clock, view).current_streak == 4


def test_a_missed_occurrence_ends_the_streak(session, paired, clock):
    view = make(session, paired, clock, days=["mon", "wed", "fri"])
    clock.set(datetime(2026, 11, 30, 20, 0, tzinfo=UTC))  # next Monday evening
    record(session, paired, clock, view, date(2026, 11, 23))
    record(session, paired, clock, view, date(2026, 11, 25), "missed")
    record(session, paired, clock, view, date(2026, 11, 27))
    record(session, paired, clock, view, date(2026, 11, 30))
    got = figures(session, paired, clock, view)
    assert got.current_streak == 2  # Friday and Monday; Wednesday was missed
    assert got.kept_rate_28d == pytest.approx(3 / 4)  # only due days count (Mon, Wed, Fri)


def test_a_one_off(session, paired, clock):
    view = make(session, paired, clock, date=date(2026, 11, 24))
    assert (view.kept_rate_28d, view.current_streak) == (None, 0)
    assert view.next_due_at == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    got = figures(session, paired, clock, view)
    assert (got.kept_rate_28d, got.current_streak, got.next_due_at) == (0.0, 0, None)
    record(session, paired, clock, view, date(2026, 11, 24))
    got = figures(session, paired, clock, view)
    assert (got.kept_rate_28d, got.current_streak) == (1.0, 1)


def test_a_change_of_days_keeps_what_was_recorded(session, paired, clock):
    owner, _, c = paired
    view = make(session, paired, clock, days=["mon"])
    record(session, paired, clock, view, date(2026, 11, 23))
    clock.set(datetime(2026, 11, 24, 20, 0, tzinfo=UTC))  # Tuesday evening
    service.update_commitment(
        session=session, couple=c, user=owner.user, commitment_id=view.id, now=clock(), days=["tue"]
    )
    got = figures(session, paired, clock, view)
    # Monday (recorded, no longer a due day) and Tuesday (due, unrecorded, today).
    assert got.kept_rate_28d == pytest.approx(1 / 2)
    assert got.current_streak == 1


def test_the_rate_looks_back_28_days_and_the_streak_as_far_as_it_goes(session, paired, clock):
    clock.set(MONDAY - timedelta(days=200))
    view = make(session, paired, clock)
    clock.set(MONDAY + timedelta(hours=8))  # Monday 21:00 in Paris: today is due
    rows = []
    start = (MONDAY - timedelta(days=200)).date()
    for offset in range(201):
        day = start + timedelta(days=offset)
        status = "missed" if offset == 20 else "kept"
        rows.append(
            {
                "id": uuid.uuid4(),
                "commitment_id": view.id,
                "date": day,
                "status": status,
                "created_at": clock(),
            }
        )
    session.execute(insert(CommitmentCheck), rows)
    session.commit()
    got = figures(session, paired, clock, view)
    assert got.kept_rate_28d == 1.0
    assert got.current_streak == 180  # back to the one miss, across several reads


def test_next_due_across_daylight_saving(session, paired, clock):
    clock.set(datetime(2027, 3, 27, 18, 0, tzinfo=UTC))  # Saturday 19:00 CET, after 18:00
    view = make(session, paired, clock)
    assert view.next_due_at == datetime(2027, 3, 28, 16, 0, tzinfo=UTC)  # 18:00 CEST


# --- reminders --------------------------------------------------------------------------------


def remind(session_factory, clock):
    return service.send_due_reminders(session_factory=session_factory, now=clock())


def reminders(session):
    session.commit()
    return session.scalars(
        select(Notification)
        .where(Notification.kind == "commitment_reminder")
        .order_by(Notification.created_at)
    ).all()


def test_a_reminder_goes_once_before_each_due_time(session, session_factory, paired, clock):
    owner, _, _ = paired
    view = make(session, paired, clock, remind_before_minutes=30)
    clock.set(datetime(2026, 11, 23, 16, 29, tzinfo=UTC))
    assert remind(session_factory, clock) == 0
    clock.set(datetime(2026, 11, 23, 16, 30, tzinfo=UTC))
    assert remind(session_factory, clock) == 1
    assert remind(session_factory, clock) == 0
    [sent] = reminders(session)
    assert sent.recipient_id == owner.user.id
    assert sent.data == {"commitment_id": str(view.id)}
    assert sent.expires_at == datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
    clock.set(datetime(2026, 11, 24, 16, 30, tzinfo=UTC))
    assert remind(session_factory, clock) == 1
    assert len(reminders(session)) == 2


def test_reminders_follow_local_time_across_daylight_saving(
    session, session_factory, paired, clock
):
    clock.set(datetime(2027, 3, 27, 6, 0, tzinfo=UTC))
    make(session, paired, clock, remind_before_minutes=0)
    fired = []
    for instant in (
        datetime(2027, 3, 27, 17, 0, tzinfo=UTC),
        datetime(2027, 3, 28, 16, 0, tzinfo=UTC),
    ):
        clock.set(instant - timedelta(seconds=1))
        assert remind(session_factory, clock) == 0
        clock.set(instant)
        fired.append(remind(session_factory, clock))
    assert fired == [1, 1]


def test_no_reminder_when_none_was_asked_for(session, session_factory, paired, clock):
    make(session, paired, clock)
    clock.advance(days=2)
    assert remind(session_factory, clock) == 0


def test_no_reminder_for_an_occurrence_already_recorded(session, session_factory, paired, clock):
    view = make(session, paired, clock, remind_before_minutes=60)
    record(session, paired, clock, view, date(2026, 11, 23))
    clock.set(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    assert remind(session_factory, clock) == 0
    assert reminders(session) == []


def test_no_stale_reminders_after_downtime(session, session_factory, paired, clock):
    make(session, paired, clock, remind_before_minutes=30)
    clock.set(datetime(2026, 11, 26, 20, 0, tzinfo=UTC))  # three days late, after the due time
    assert remind(session_factory, clock) == 0
    clock.set(datetime(2026, 11, 27, 16, 30, tzinfo=UTC))
    assert remind(session_factory, clock) == 1


def test_unpairing_stops_reminders(session, session_factory, paired, clock):
    owner, _, _ = paired
    make(session, paired, clock, remind_before_minutes=30)
    flows.unpair(session=session, user=owner.user, now=clock())
    clock.advance(days=1)
    assert remind(session_factory, clock) == 0
