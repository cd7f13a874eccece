"""Agreements through the service with an injected clock: the worker's reminders and nudges
(across DST changes, and with several workers on PostgreSQL), what is due today, unpairing and
deletion. (The counting rule is tested without a database in tests/test_occurrences.py.)"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from api import flows
from api.agreements import service
from api.agreements.models import Agreement
from api.notifications.models import Notification
from api.pairing import service as pairing_service
from tests.factories import pair


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make(session, paired, clock, **kwargs):
    owner, _, c = paired
    session.commit()  # a fresh snapshot: the worker's jobs wrote through their own sessions
    values = {"time": time(12, 30)}
    values.update(kwargs)
    return service.create_agreement(
        session=session, couple=c, user=owner.user, now=clock(), **values
    )


def check_in(session, paired, clock, view, **kwargs):
    owner, _, c = paired
    session.commit()
    return service.check_in(
        session=session, couple=c, user=owner.user, agreement_id=view.id, now=clock(), **kwargs
    )


def late(session, paired, clock, view, minutes=15):
    owner, _, c = paired
    session.commit()
    return service.send_late_notice(
        session=session,
        couple=c,
        user=owner.user,
        agreement_id=view.id,
        minutes=minutes,
        now=clock(),
    )


def remind(session_factory, clock):
    return service.send_due_reminders(session_factory=session_factory, now=clock())


def nudge(session_factory, clock):
    return service.send_due_nudges(session_factory=session_factory, now=clock())


def pushed(session, dedupe_prefix):
    session.commit()
    return session.scalars(
        select(Notification)
        .where(Notification.dedupe_key.startswith(dedupe_prefix))
        .order_by(Notification.created_at)
    ).all()


def run_jobs_at(session_factory, clock, instant):
    clock.set(instant)
    return remind(session_factory, clock), nudge(session_factory, clock)


# --- reminders and nudges ---------------------------------------------------------------------


def test_a_reminder_before_and_a_nudge_at_the_windows_end_once_each(
    session, session_factory, paired, clock
):
    owner, partner, _ = paired
    clock.set(utc(2026, 11, 23, 9, 0))
    view = make(session, paired, clock)  # 12:30 Paris = 11:30Z, reminder at 11:20Z
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 19)) == (0, 0)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 20)) == (1, 0)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 44)) == (0, 0)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 45)) == (0, 1)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 50)) == (0, 0)
    [reminder] = pushed(session, "agreement_reminder:")
    [nudged] = pushed(session, "agreement_nudge:")
    for n in (reminder, nudged):
        assert n.kind == "agreement_reminder"
        assert n.recipient_id == owner.user.id
        assert n.data == {"agreement_id": str(view.id), "date": "2026-11-23"}
    assert reminder.expires_at == utc(2026, 11, 23, 11, 45)  # never after the window
    assert nudged.expires_at == utc(2026, 11, 23, 12, 45)
    assert "running late" in nudged.body
    # Nothing ever goes to the partner about a miss.
    session.commit()
    assert (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.recipient_id == partner.user.id)
        )
        == 0
    )
    # The next day, again once each.
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 24, 11, 20)) == (1, 0)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 24, 11, 45)) == (0, 1)
    assert len(pushed(session, "agreement_")) == 4


def test_no_reminder_or_nudge_once_they_checked_in(session, session_factory, paired, clock):
    clock.set(utc(2026, 11, 23, 9, 0))
    view = make(session, paired, clock, remind_before_minutes=30)
    clock.set(utc(2026, 11, 23, 10, 0))  # 90 minutes early: on time
    assert check_in(session, paired, clock, view).status == "on_time"
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 0)) == (0, 0)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 45)) == (0, 0)
    assert pushed(session, "agreement_") == []


def test_no_nudge_once_they_said_they_are_running_late(session, session_factory, paired, clock):
    clock.set(utc(2026, 11, 23, 9, 0))
    view = make(session, paired, clock)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 20)) == (1, 0)
    clock.set(utc(2026, 11, 23, 11, 25))
    late(session, paired, clock, view, minutes=30)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 45)) == (0, 0)


def test_a_reminder_at_the_due_time_when_asked_for_zero_minutes(
    session, session_factory, paired, clock
):
    clock.set(utc(2026, 11, 23, 9, 0))
    make(session, paired, clock, remind_before_minutes=0)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 29)) == (0, 0)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 30)) == (1, 0)
    [reminder] = pushed(session, "agreement_reminder:")
    assert reminder.title == "Time to check in"


def test_nothing_stale_after_downtime(session, session_factory, paired, clock):
    clock.set(utc(2026, 11, 23, 9, 0))
    make(session, paired, clock)
    # Down through Monday's window and well past its nudge's grace.
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 14, 0)) == (0, 0)
    # Down through Tuesday's reminder, back inside its window: the reminder still helps.
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 24, 11, 35)) == (1, 0)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 24, 12, 0)) == (0, 1)
    assert [n.data["date"] for n in pushed(session, "agreement_")] == ["2026-11-24"] * 2


def test_unpairing_stops_reminders_and_nudges(session, session_factory, paired, clock):
    owner, _, _ = paired
    clock.set(utc(2026, 11, 23, 9, 0))
    make(session, paired, clock)
    flows.unpair(session=session, user=owner.user, now=clock())
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 20)) == (0, 0)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 45)) == (0, 0)
    session.commit()
    assert (
        session.scalar(
            select(func.count())
            .select_from(Agreement)
            .where(
                (Agreement.next_reminder_at.is_not(None)) | (Agreement.next_nudge_at.is_not(None))
            )
        )
        == 0
    )


def test_deleting_stops_reminders_and_nudges(session, session_factory, paired, clock):
    owner, _, c = paired
    clock.set(utc(2026, 11, 23, 9, 0))
    view = make(session, paired, clock)
    service.delete_agreement(
        session=session, couple=c, user=owner.user, agreement_id=view.id, now=clock()
    )
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 20)) == (0, 0)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 45)) == (0, 0)


def test_a_change_of_time_moves_the_jobs_but_never_repeats_them(
    session, session_factory, paired, clock
):
    owner, _, c = paired
    clock.set(utc(2026, 11, 23, 9, 0))
    view = make(session, paired, clock)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 20)) == (1, 0)
    clock.set(utc(2026, 11, 23, 11, 22))
    session.commit()
    service.update_agreement(
        session=session,
        couple=c,
        user=owner.user,
        agreement_id=view.id,
        now=clock(),
        time=time(13, 30),  # 12:30Z today
    )
    # The old window's end passes quietly; the new one is due at 12:30Z, ending 12:45Z.
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 11, 45)) == (0, 0)
    # The job claims the new reminder time, and the outbox's key per occurrence keeps today's
    # reminder to the one already sent.
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 12, 20)) == (1, 0)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 12, 45)) == (0, 1)
    assert len(pushed(session, "agreement_reminder:")) == 1
    assert len(pushed(session, "agreement_nudge:")) == 1


# --- across daylight saving time (Europe/Paris) -----------------------------------------------


def due_instants(session_factory, session, clock, start, count):
    """Runs both jobs at every instant they come due, `count` times; returns when they fired."""
    fired = []
    session.commit()
    for _ in range(count):
        session.expire_all()
        a = session.scalars(select(Agreement)).one()
        instant = min(t for t in (a.next_reminder_at, a.next_nudge_at) if t is not None)
        session.commit()
        clock.set(instant - timedelta(seconds=1))
        assert (remind(session_factory, clock), nudge(session_factory, clock)) == (0, 0)
        clock.set(instant)
        counts = (remind(session_factory, clock), nudge(session_factory, clock))
        assert sum(counts) == 1, (instant, counts)
        fired.append((instant, "reminder" if counts[0] else "nudge"))
    return fired


def test_spring_forward_keeps_the_local_time(session, session_factory, paired, clock):
    # Paris moves from UTC+1 to UTC+2 on Sunday 2027-03-28 at 02:00.
    clock.set(utc(2027, 3, 27, 6, 0))
    make(session, paired, clock)  # 12:30 daily, reminder 12:20, nudge 12:45
    fired = due_instants(session_factory, session, clock, None, 4)
    assert fired == [
        (utc(2027, 3, 27, 11, 20), "reminder"),
        (utc(2027, 3, 27, 11, 45), "nudge"),
        (utc(2027, 3, 28, 10, 20), "reminder"),
        (utc(2027, 3, 28, 10, 45), "nudge"),
    ]


def test_fall_back_keeps_the_local_time(session, session_factory, paired, clock):
    # Paris moves from UTC+2 to UTC+1 on Sunday 2026-10-25 at 03:00.
    clock.set(utc(2026, 10, 24, 6, 0))
    make(session, paired, clock)
    fired = due_instants(session_factory, session, clock, None, 4)
    assert fired == [
        (utc(2026, 10, 24, 10, 20), "reminder"),
        (utc(2026, 10, 24, 10, 45), "nudge"),
        (utc(2026, 10, 25, 11, 20), "reminder"),
        (utc(2026, 10, 25, 11, 45), "nudge"),
    ]


def test_a_time_inside_the_spring_forward_gap(session, session_factory, paired, clock):
    """02:30 does not exist in Paris on 2027-03-28: that occurrence is due at 03:00 CEST
    (01:00Z), the first instant after the gap, as cron does; every job still fires once."""
    clock.set(utc(2027, 3, 26, 12, 0))
    view = make(session, paired, clock, time=time(2, 30), window_minutes=20)
    fired = due_instants(session_factory, session, clock, None, 6)
    assert fired == [
        (utc(2027, 3, 27, 1, 20), "reminder"),  # 02:20 CET
        (utc(2027, 3, 27, 1, 50), "nudge"),  # 02:50 CET
        (utc(2027, 3, 28, 0, 50), "reminder"),  # 01:50 CET, 10 minutes before 03:00 CEST
        (utc(2027, 3, 28, 1, 20), "nudge"),  # 03:20 CEST
        (utc(2027, 3, 29, 0, 20), "reminder"),  # 02:20 CEST
        (utc(2027, 3, 29, 0, 50), "nudge"),
    ]
    dates = [n.data["date"] for n in pushed(session, "agreement_")]
    assert dates == ["2027-03-27"] * 2 + ["2027-03-28"] * 2 + ["2027-03-29"] * 2
    # A check-in at 03:05 CEST that Sunday is on time for the 02:30 occurrence.
    clock.set(utc(2027, 3, 28, 1, 5))
    row = check_in(session, paired, clock, view)
    assert (row.date, row.due_at, row.status) == (
        date(2027, 3, 28),
        utc(2027, 3, 28, 1, 0),
        "on_time",
    )


def test_a_time_inside_the_fall_back_overlap_fires_once(session, session_factory, paired, clock):
    """02:30 happens twice in Paris on 2026-10-25: the first showing (00:30Z) is the one."""
    clock.set(utc(2026, 10, 24, 12, 0))
    make(session, paired, clock, time=time(2, 30))
    fired = due_instants(session_factory, session, clock, None, 4)
    assert fired == [
        (utc(2026, 10, 25, 0, 20), "reminder"),
        (utc(2026, 10, 25, 0, 45), "nudge"),
        (utc(2026, 10, 26, 1, 20), "reminder"),
        (utc(2026, 10, 26, 1, 45), "nudge"),
    ]


def test_a_window_that_crosses_midnight(session, session_factory, paired, clock):
    """23:50 with a 30-minute window: the occurrence stays pending until 00:20 the next day,
    and word sent after midnight belongs to it."""
    _, _, c = paired
    clock.set(utc(2026, 11, 22, 12, 0))  # Sunday
    view = make(session, paired, clock, time=time(23, 50), window_minutes=30)

    def rates():
        session.commit()
        got = service.get_agreement(session=session, couple=c, agreement_id=view.id, now=clock())
        return got.on_time_rate_28d, got.informed_rate_28d

    clock.set(utc(2026, 11, 22, 23, 10))  # Monday 00:10 in Paris: Sunday's window is open
    assert rates() == (None, None)
    clock.set(utc(2026, 11, 22, 23, 15))
    assert late(session, paired, clock, view).date == date(2026, 11, 22)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 22, 23, 20)) == (0, 0)
    assert rates() == (0.0, 1.0)
    # Monday's passes without a word: reminded at 23:40, nudged at Tuesday 00:20, due then.
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 22, 40)) == (1, 0)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 23, 19)) == (0, 0)
    assert rates() == (0.0, 1.0)
    assert run_jobs_at(session_factory, clock, utc(2026, 11, 23, 23, 20)) == (0, 1)
    assert rates() == (0.0, 0.5)
    [nudged] = pushed(session, "agreement_nudge:")
    assert nudged.data["date"] == "2026-11-23"


# --- several workers --------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_workers_remind_and_nudge_each_occurrence_exactly_once(
    factory, session, session_factory, clock
):
    clock.set(utc(2026, 11, 23, 9, 0))
    for _ in range(12):
        first, second, _ = pair(factory)
        c = pairing_service.active_couple(session=session, user=first.user)
        make(session, (first, second, c), clock)
    counts: list[int] = []

    def run(job, now):
        barrier = threading.Barrier(4)

        def worker():
            barrier.wait()
            for _ in range(4):
                counts.append(job(session_factory=session_factory, now=now, limit=5))

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)

    run(service.send_due_reminders, utc(2026, 11, 23, 11, 20))
    assert sum(counts) == 12
    counts.clear()
    run(service.send_due_nudges, utc(2026, 11, 23, 11, 45))
    assert sum(counts) == 12
    session.commit()
    for prefix in ("agreement_reminder:", "agreement_nudge:"):
        rows = pushed(session, prefix)
        assert len(rows) == 12
        assert len({n.data["agreement_id"] for n in rows}) == 12


# --- what is due today ------------------------------------------------------------------------


def test_agreements_due_today_with_their_status(session, paired, clock):
    owner, partner, c = paired
    clock.set(utc(2026, 11, 23, 6, 0))
    lunch = make(session, paired, clock, title="Lunch")  # 11:30Z
    evening = make(session, paired, clock, title="Evening", time=time(19, 0))  # 18:00Z
    make(session, paired, clock, title="Tuesdays", days=["tue"])
    partners = service.create_agreement(
        session=session, couple=c, user=partner.user, time=time(9, 0), now=clock()
    )
    assert partners.owner_id == partner.user.id
    clock.set(utc(2026, 11, 23, 11, 25))
    late(session, paired, clock, lunch)
    clock.set(utc(2026, 11, 23, 12, 0))
    today = service.agreements_due_today(session=session, user=owner.user, now=clock())
    assert [(t.agreement.id, t.date, t.due_at, t.status) for t in today] == [
        (lunch.id, date(2026, 11, 23), utc(2026, 11, 23, 11, 30), "late_notice"),
        (evening.id, date(2026, 11, 23), utc(2026, 11, 23, 18, 0), "pending"),
    ]
    clock.set(utc(2026, 11, 23, 18, 20))
    statuses = [
        t.status
        for t in service.agreements_due_today(session=session, user=owner.user, now=clock())
    ]
    assert statuses == ["late_notice", "missed"]
    flows.unpair(session=session, user=owner.user, now=clock())
    assert service.agreements_due_today(session=session, user=owner.user, now=clock()) == []
