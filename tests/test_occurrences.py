"""api.occurrences without a database: the one counting rule, streaks and next due instants."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from api import occurrences
from api.occurrences import Recurrence

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # Monday, 13:00 in Paris


def day_by_day(rec, recorded, *, first, last, today, now, grace=timedelta(0)):
    """The definition `count_due` implements in constant time: walk the dates one by one; a
    date counts when recorded or scheduled, except an unrecorded occurrence while its due
    instant + grace is ahead."""
    due = 0
    day = max(first, rec.start_date)
    while day <= min(last, today):
        if day in recorded:
            due += 1
        elif rec.is_due(day) and not rec.due_instant(day) + grace > now:
            due += 1
        day += timedelta(days=1)
    return due


SHAPES = [
    {"days": None, "once": None},
    {"days": ["mon", "wed", "fri"], "once": None},
    {"days": ["sun"], "once": None},
    {"days": None, "once": date(2026, 11, 10)},
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("zone", ["Europe/Paris", "Pacific/Auckland", "America/Los_Angeles"])
@pytest.mark.parametrize("stopped", [False, True])
def test_count_due_matches_the_day_by_day_definition(shape, zone, stopped):
    rng = random.Random(f"{shape}{zone}{stopped}")
    rec = Recurrence.of(
        at=time(rng.choice([7, 12, 23]), 30),
        timezone=zone,
        start_date=date(2026, 10, 1) + timedelta(days=rng.randrange(40)),
        **shape,
    )
    # Records on due dates, plus one on a date no longer due, as after a change of schedule.
    recorded = {
        rec.start_date + timedelta(days=offset)
        for offset in range(60)
        if rec.is_due(rec.start_date + timedelta(days=offset)) and rng.random() < 0.6
    }
    recorded.add(rec.start_date + timedelta(days=3))
    # A stopped promise (deleted) counts as if time stopped then.
    now = NOW - timedelta(hours=rng.randrange(1, 200)) if stopped else NOW
    today = rec.local_date(now)
    recorded = {day for day in recorded if day <= today}
    for week in range(10):
        first = date(2026, 9, 21) + timedelta(weeks=week)
        span = {"first": first, "last": first + timedelta(days=6), "today": today, "now": now}
        assert occurrences.count_due(rec, recorded, **span) == day_by_day(rec, recorded, **span)
        counted = occurrences.counted_records(
            rec, recorded, first=span["first"], last=span["last"], today=today
        )
        assert set(counted) <= recorded
        assert all(max(first, rec.start_date) <= d <= min(span["last"], today) for d in counted)


@pytest.mark.parametrize("shape", SHAPES[:3])
@pytest.mark.parametrize("zone", ["Europe/Paris", "Pacific/Auckland", "America/Los_Angeles"])
@pytest.mark.parametrize("minutes", [5, 45, 120])
def test_count_due_with_a_grace_matches_the_day_by_day_definition(shape, zone, minutes):
    """A check-in window as grace, at times near midnight so windows cross it, at many nows."""
    rng = random.Random(f"{shape}{zone}{minutes}")
    grace = timedelta(minutes=minutes)
    for at in (time(23, 30), time(0, 10), time(12, 30)):
        rec = Recurrence.of(at=at, timezone=zone, start_date=date(2026, 10, 20), days=shape["days"])
        recorded = {
            date(2026, 10, 20) + timedelta(days=offset)
            for offset in range(40)
            if rng.random() < 0.3
        }
        for _ in range(40):
            now = NOW - timedelta(minutes=rng.randrange(0, 6 * 24 * 60))
            today = rec.local_date(now)
            done = {day for day in recorded if day <= today}
            span = {
                "first": today - timedelta(days=rng.randrange(0, 9)),
                "last": today + timedelta(days=rng.randrange(0, 2)),
                "today": today,
                "now": now,
            }
            assert occurrences.count_due(rec, done, **span, grace=grace) == day_by_day(
                rec, done, **span, grace=grace
            ), (at, now)


def test_a_grace_keeps_an_occurrence_pending_until_its_window_ends():
    rec = Recurrence.of(at=time(23, 50), timezone="Europe/Paris", start_date=date(2026, 11, 1))
    monday, tuesday = date(2026, 11, 23), date(2026, 11, 24)
    grace = timedelta(minutes=30)  # Monday's window ends Tuesday 00:20 in Paris (23:20Z)
    span = {"first": monday, "last": tuesday}
    inside = datetime(2026, 11, 23, 23, 10, tzinfo=UTC)  # Tuesday 00:10: Monday's still open
    after = datetime(2026, 11, 23, 23, 20, tzinfo=UTC)
    assert occurrences.count_due(rec, set(), **span, today=tuesday, now=inside, grace=grace) == 0
    assert occurrences.count_due(rec, set(), **span, today=tuesday, now=after, grace=grace) == 1
    # Resolved before its window ends (checked in, or word sent), it counts at once.
    assert occurrences.count_due(rec, {monday}, **span, today=tuesday, now=inside, grace=grace) == 1
    # Without a grace the same occurrence was due at its instant: commitments are unchanged.
    assert occurrences.count_due(rec, set(), **span, today=tuesday, now=inside) == 1


def test_todays_occurrence_is_due_once_its_instant_has_passed():
    rec = Recurrence.of(at=time(18, 0), timezone="Europe/Paris", start_date=date(2026, 11, 1))
    today = date(2026, 11, 23)
    before = datetime(2026, 11, 23, 16, 59, tzinfo=UTC)  # 17:59 in Paris
    after = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    span = {"first": today, "last": today, "today": today}
    assert occurrences.count_due(rec, set(), **span, now=before) == 0
    assert occurrences.count_due(rec, set(), **span, now=after) == 1
    # Recorded early (the due day may be recorded before its time), it counts at once.
    assert occurrences.count_due(rec, {today}, **span, now=before) == 1


def test_nothing_is_due_before_the_start_date_or_after_today():
    rec = Recurrence.of(at=time(9, 0), timezone="UTC", start_date=date(2026, 11, 20))
    span = {"first": date(2026, 11, 1), "last": date(2026, 11, 30), "now": NOW}
    # 20, 21, 22 and today the 23rd (09:00 has passed at 12:00).
    assert occurrences.count_due(rec, set(), **span, today=date(2026, 11, 23)) == 4
    assert occurrences.count_due(rec, {date(2026, 11, 5)}, **span, today=date(2026, 11, 23)) == 4


def test_rate_is_none_without_anything_due():
    assert occurrences.rate(0, 0) is None
    assert occurrences.rate(3, 4) == 0.75


def _loader(history: dict[date, str], calls: list[date]):
    def load_older(day: date):
        calls.append(day)
        start = day - timedelta(days=30)
        return start, {d: s for d, s in history.items() if start <= d <= day}

    return load_older


def test_streak_counts_back_from_today_and_loads_older_records_only_as_needed():
    rec = Recurrence.of(at=time(18, 0), timezone="UTC", start_date=date(2026, 1, 1))
    today = date(2026, 11, 23)
    history = {today - timedelta(days=n): "kept" for n in range(1, 100)}
    history[today - timedelta(days=100)] = "missed"
    recent = {d: s for d, s in history.items() if d >= today - timedelta(days=28)}
    calls: list[date] = []
    streak = occurrences.streak(
        rec,
        recent,
        today=today,
        loaded_from=today - timedelta(days=28),
        load_older=_loader(history, calls),
    )
    assert streak == 99  # today unrecorded does not break it; day 100 missed does
    assert len(calls) == 3  # 28 + 3 × 30 days cover the 100 looked at, no more


def test_an_unrecorded_past_occurrence_breaks_the_streak_but_skipped_weekdays_do_not():
    rec = Recurrence.of(
        at=time(18, 0), timezone="UTC", start_date=date(2026, 11, 1), days=["mon", "wed"]
    )
    today = date(2026, 11, 23)  # a Monday
    statuses = {date(2026, 11, 18): "kept", date(2026, 11, 16): "kept", date(2026, 11, 9): "kept"}
    streak = occurrences.streak(
        rec, statuses, today=today, loaded_from=date(2026, 10, 1), load_older=_unreachable
    )
    assert streak == 2  # Wed 18 and Mon 16; Wed 11 was due and not recorded


def _unreachable(day):
    raise AssertionError("nothing older should be read")


def test_a_one_off_streak_is_its_single_occurrence():
    rec = Recurrence.of(
        at=time(9, 0), timezone="UTC", start_date=date(2026, 11, 1), once=date(2026, 11, 5)
    )
    kept = {date(2026, 11, 5): "kept"}
    args = {"today": date(2026, 11, 23), "loaded_from": date(2026, 10, 26)}
    assert occurrences.streak(rec, kept, **args, load_older=_unreachable) == 1
    assert occurrences.streak(rec, {}, **args, load_older=_unreachable) == 0
    calls: list[date] = []
    older = occurrences.streak(
        rec,
        {},
        today=date(2026, 11, 23),
        loaded_from=date(2026, 11, 10),
        load_older=_loader(kept, calls),
    )
    assert older == 1 and calls == [date(2026, 11, 5)]


def test_next_due_at_keeps_the_local_time_across_dst():
    rec = Recurrence.of(at=time(18, 0), timezone="Europe/Paris", start_date=date(2026, 3, 1))
    before = rec.next_due_at(datetime(2026, 3, 28, 18, 0, tzinfo=UTC))
    after = rec.next_due_at(datetime(2026, 3, 29, 18, 0, tzinfo=UTC))
    assert before == datetime(2026, 3, 29, 16, 0, tzinfo=UTC)  # CEST: 18:00 is 16:00Z
    assert after == datetime(2026, 3, 30, 16, 0, tzinfo=UTC)
    assert rec.next_due_at(datetime(2026, 3, 28, 12, 0, tzinfo=UTC)) == datetime(
        2026, 3, 28, 17, 0, tzinfo=UTC
    )


def test_next_due_at_waits_for_the_start_date_and_ends_after_a_one_off():
    later = Recurrence.of(at=time(9, 0), timezone="UTC", start_date=date(2026, 12, 1))
    assert later.next_due_at(NOW) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    once = Recurrence.of(
        at=time(9, 0), timezone="UTC", start_date=date(2026, 11, 1), once=date(2026, 11, 23)
    )
    assert once.next_due_at(NOW) is None  # 09:00 today has passed
    assert once.next_due_at(NOW - timedelta(hours=4)) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_the_next_reminder_is_for_the_first_occurrence_whose_reminder_is_ahead():
    rec = Recurrence.of(at=time(12, 30), timezone="UTC", start_date=date(2026, 11, 1))
    lead = timedelta(minutes=45)
    # At 12:00 today's reminder (11:45) has passed: the next is tomorrow's.
    assert rec.next_reminder_at(NOW, lead) == datetime(2026, 11, 24, 11, 45, tzinfo=UTC)
    assert rec.next_reminder_at(NOW - timedelta(hours=1), lead) == datetime(
        2026, 11, 23, 11, 45, tzinfo=UTC
    )
