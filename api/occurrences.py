"""Occurrences of a recurring promise, and the one rule that counts them.

A promise (a commitment, a check-in agreement) recurs at a local time on some weekdays, or
happens once on a date, starting from the local date it was made. Each local date it falls on is
an *occurrence*; the owner records what happened on some of them. Figures are ratios of recorded
occurrences to due ones, and every figure — the 28-day rates, the weekly counts, streaks —
counts "due" by `count_due`, so they always agree.

Pure functions of their arguments (no database, no clock): the callers load what was recorded
and pass `now`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from api import timeutil

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Recurrence:
    """When a promise is due: `at` local time in `timezone`, on `weekdays` (None: every day),
    or once on `once`; never before `start_date`."""

    at: time
    timezone: str
    start_date: date
    weekdays: frozenset[int] | None = None
    once: date | None = None
    tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tz", ZoneInfo(self.timezone))

    @classmethod
    def of(
        cls,
        *,
        at: time,
        timezone: str,
        start_date: date,
        days: Iterable[str] | None = None,
        once: date | None = None,
    ) -> Recurrence:
        """From weekday names as stored ("mon".."sun"; None: every day)."""
        return cls(
            at=at,
            timezone=timezone,
            start_date=start_date,
            weekdays=timeutil.weekday_numbers(days),
            once=once,
        )

    def is_due(self, day: date) -> bool:
        """Whether the promise has an occurrence on this local date."""
        if day < self.start_date:
            return False
        if self.once is not None:
            return day == self.once
        return self.weekdays is None or day.weekday() in self.weekdays

    def due_instant(self, day: date) -> datetime:
        """The UTC instant of the occurrence on `day` (DST-correct; see api.timeutil)."""
        return timeutil.local_instant(day, self.at, self.tz)

    def local_date(self, instant: datetime) -> date:
        return timeutil.local_date(instant, self.tz)

    def next_due_at(self, now: datetime) -> datetime | None:
        """The first due instant strictly after `now`, or None when no occurrence is left."""
        if self.once is not None:
            due = self.due_instant(self.once)
            return due if due > now else None
        after = max(now, timeutil.local_instant(self.start_date, time(0), self.tz))
        return timeutil.next_fire_at(after=after, at=self.at, tz=self.tz, days=self.weekdays)

    def next_reminder_at(self, now: datetime, lead: timedelta) -> datetime | None:
        """When to remind next: `lead` before the first occurrence whose reminder is still
        ahead — which is the first occurrence due after now + lead."""
        due = self.next_due_at(now + lead)
        return due - lead if due is not None else None


def count_due(
    rec: Recurrence,
    recorded: Collection[date],
    *,
    first: date,
    last: date,
    today: date,
    now: datetime,
    grace: timedelta = timedelta(0),
) -> int:
    """Due occurrences dated `first`..`last`: the rule every figure counts by.

    - nothing before the start date, nothing after `today`;
    - every scheduled date counts, in constant time however long the range;
    - a recorded date counts even when the schedule has changed since;
    - an unrecorded occurrence is not (yet) due while its due instant + `grace` is ahead: with
      no grace that is today's while its time has not come; a grace (a check-in window) keeps
      it pending until the window ends, and a window may cross midnight, so yesterday's too.
    """
    first, last = max(first, rec.start_date), min(last, today)
    if last < first:
        return 0
    if rec.once is not None:
        due = int(first <= rec.once <= last)
    else:
        due = timeutil.count_due_dates(start=first, end=last, days=rec.weekdays)
    due += sum(first <= day <= last and not rec.is_due(day) for day in recorded)
    for day in (today, today - _ONE_DAY):
        if (
            first <= day <= last
            and day not in recorded
            and rec.is_due(day)
            and rec.due_instant(day) + grace > now
        ):
            due -= 1
    return due


def counted_records(
    rec: Recurrence, recorded: Iterable[date], *, first: date, last: date, today: date
) -> list[date]:
    """The recorded dates among those `count_due` counts for `first`..`last`."""
    first, last = max(first, rec.start_date), min(last, today)
    return [day for day in recorded if first <= day <= last]


def rate(part: int, due: int) -> float | None:
    """A share of due occurrences; None when none was due."""
    return part / due if due else None


def streak(
    rec: Recurrence,
    statuses: Mapping[date, str],
    *,
    today: date,
    loaded_from: date,
    load_older: Callable[[date], tuple[date, Mapping[date, str]]],
    kept: str = "kept",
) -> int:
    """Consecutive `kept` occurrences back from the latest due one.

    Today's unrecorded occurrence does not break it; any other due occurrence that is not kept
    (recorded otherwise, or not recorded) ends it. `statuses` holds what was recorded from
    `loaded_from` on; when the streak runs past that, `load_older(day)` returns an earlier
    start and the statuses between it and the previous one, so only what a streak needs is read.
    """
    if rec.once is not None:  # a one-off: its single occurrence, kept or not
        if rec.once > today:
            return 0
        if rec.once < loaded_from:
            loaded_from, older = load_older(rec.once)
            statuses = {**older, **statuses}
        return int(statuses.get(rec.once) == kept)
    known = dict(statuses)
    count = 0
    day = today
    while day >= rec.start_date:
        if day < loaded_from:
            loaded_from, older = load_older(day)
            known.update(older)
        status = known.get(day)
        if status == kept:
            count += 1
        elif status is not None:
            break
        elif day != today and rec.is_due(day):
            break  # a past occurrence nobody recorded
        day -= _ONE_DAY
    return count
