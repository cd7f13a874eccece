"""Wall-clock schedules in IANA zones, resolved to UTC instants.

Habits are scheduled in the user's local time ("20:00 on Mon/Wed/Fri") but stored and compared
as UTC instants. Everything here steps local *dates* and converts one wall time at a time, so a
schedule keeps its local hour across DST and other offset changes.

Conventions, as cron behaves:
- a wall time skipped by a spring-forward gap fires at the first instant after the gap;
- a wall time repeated by a fall-back overlap fires once, at its first occurrence;
- a schedule fires at most once per local date. When a transition swallows the rest of a date
  (Pacific/Apia skipped 2011-12-30 entirely), that date has no firing: the gap's end belongs to
  the next date, which fires on its own.

A joint firing asks several people the same question at the same wall time, each in their own
zone (a couple's `each_local` schedule). It belongs to one calendar date: each zone's instant
shows `at` on that date there, and the firing happens at the first of them. For a couple nine
hours apart (Berlin and Los Angeles), Monday's firing is 20:00 Monday in Berlin and 20:00 Monday
in Los Angeles (05:00 Tuesday in Berlin): the date is the one the earlier person is living when
it starts, and the day filter is checked against it, so "Mondays" means each one's own Monday.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MIDNIGHT = time(0)
# A matching date recurs within a week; a date swallowed by a transition can push the next
# firing one more week out, and searches start a day early because a fall-back overlap around
# midnight lets an instant's local date run behind its neighbours'.
_SEARCH_DAYS = 22


def weekday_numbers(names: Iterable[str] | None) -> frozenset[int] | None:
    """Parse weekday names ("mon".."sun", case-insensitive) into date.weekday() numbers.

    None passes through as "every day". An empty iterable gives an empty set, which the schedule
    functions reject, so callers can tell "no days chosen" apart from "every day".
    """
    if names is None:
        return None
    if isinstance(names, str):
        # A bare string would otherwise be read one letter at a time.
        raise TypeError("weekday names must be an iterable of strings, not a string")
    numbers = set()
    for name in names:
        key = name.strip().lower()
        if key not in WEEKDAYS:
            raise ValueError(f"unknown weekday {name!r}; expected one of {', '.join(WEEKDAYS)}")
        numbers.add(WEEKDAYS.index(key))
    return frozenset(numbers)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The calendar date on the wall in `tz` at `instant`."""
    _require_aware(instant, "instant")
    return instant.astimezone(tz).date()


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant when the wall clock in `tz` shows `at` on `day`.

    A wall time inside a spring-forward gap resolves to the transition instant, the first one
    after the gap; a wall time shown twice by a fall-back overlap resolves to the first showing.
    The result may fall on a later local date when the gap runs past midnight.
    """
    _require_naive_time(at, "at")
    return _showings(day, at, tz)[0]


def next_fire_at(
    *, after: datetime, at: time, tz: ZoneInfo, days: frozenset[int] | None
) -> datetime:
    """The first firing strictly after `after` of a schedule at local `at` on `days`.

    Strictly after, so feeding a firing back in advances to the next one instead of repeating it.
    """
    _require_aware(after, "after")
    _require_naive_time(at, "at")
    _require_days(days, allow_empty=False)
    start = local_date(after, tz) - _ONE_DAY
    for offset in range(_SEARCH_DAYS):
        fired = _firing(start + offset * _ONE_DAY, at, tz, days)
        if fired is not None and fired > after:
            return fired
    raise ValueError(f"no firing within {_SEARCH_DAYS} days after {after.isoformat()}")


def latest_fire_at_or_before(
    *, until: datetime, at: time, tz: ZoneInfo, days: frozenset[int] | None
) -> datetime:
    """The most recent firing at or before `until`.

    After downtime the schedule fires once, for the latest missed time, rather than replaying
    every firing that was missed.
    """
    _require_aware(until, "until")
    _require_naive_time(at, "at")
    _require_days(days, allow_empty=False)
    start = local_date(until, tz) + _ONE_DAY
    for offset in range(_SEARCH_DAYS):
        fired = _firing(start - offset * _ONE_DAY, at, tz, days)
        if fired is not None and fired <= until:
            return fired
    raise ValueError(f"no firing within {_SEARCH_DAYS} days before {until.isoformat()}")


class JointFiring(NamedTuple):
    """One firing asked in several zones: its local date, and per zone (in the order given) the
    instant `at` shows there on that date, or None where the date has no such instant."""

    day: date
    instants: tuple[datetime | None, ...]

    @property
    def at(self) -> datetime:
        """When the firing happens: the first of its instants."""
        return min(instant for instant in self.instants if instant is not None)


# Local dates in two zones differ by at most two (UTC+14 and UTC-12 at their extremes), so a
# candidate found within the scan is compared with this many dates beyond it.
_ZONE_SPREAD_DAYS = 3


def joint_firing(
    day: date, *, at: time, zones: Sequence[ZoneInfo], days: frozenset[int] | None
) -> JointFiring | None:
    """The firing that belongs to local `day`, if the schedule has one on it in any zone."""
    if days is not None and day.weekday() not in days:
        return None
    instants = tuple(_firing(day, at, tz, None) for tz in zones)
    if all(instant is None for instant in instants):
        return None
    return JointFiring(day, instants)


def next_joint_firing(
    *, after: datetime, at: time, zones: Sequence[ZoneInfo], days: frozenset[int] | None
) -> JointFiring:
    """The joint firing that happens first strictly after `after`.

    With one zone (or several with the same rules) it is `next_fire_at`.
    """
    _require_joint(after, at, zones, days)
    start = min(local_date(after, tz) for tz in zones) - _ONE_DAY
    return _closest(
        (
            joint_firing(start + offset * _ONE_DAY, at=at, zones=zones, days=days)
            for offset in range(_SEARCH_DAYS + _ZONE_SPREAD_DAYS)
        ),
        keep=lambda firing: firing.at > after,
        better=lambda firing, best: firing.at < best.at,
        what=f"after {after.isoformat()}",
    )


def latest_joint_firing_at_or_before(
    *, until: datetime, at: time, zones: Sequence[ZoneInfo], days: frozenset[int] | None
) -> JointFiring:
    """The joint firing that happened last at or before `until` (one catch-up after downtime,
    as `latest_fire_at_or_before`)."""
    _require_joint(until, at, zones, days)
    start = max(local_date(until, tz) for tz in zones) + _ONE_DAY
    return _closest(
        (
            joint_firing(start - offset * _ONE_DAY, at=at, zones=zones, days=days)
            for offset in range(_SEARCH_DAYS + _ZONE_SPREAD_DAYS)
        ),
        keep=lambda firing: firing.at <= until,
        better=lambda firing, best: firing.at > best.at,
        what=f"before {until.isoformat()}",
    )


def _closest(candidates, *, keep, better, what: str) -> JointFiring:
    """The best kept firing among the first one kept and the few dates after it in the scan:
    zones far apart can put a neighbouring date's first instant on the other side."""
    best: JointFiring | None = None
    remaining = None
    for firing in candidates:
        if remaining is not None:
            remaining -= 1
            if remaining < 0:
                break
        if firing is None or not keep(firing):
            continue
        if best is None:
            best, remaining = firing, _ZONE_SPREAD_DAYS
        elif better(firing, best):
            best = firing
    if best is None:
        raise ValueError(f"no firing within {_SEARCH_DAYS} days {what}")
    return best


def _require_joint(
    instant: datetime, at: time, zones: Sequence[ZoneInfo], days: frozenset[int] | None
) -> None:
    _require_aware(instant, "instant")
    _require_naive_time(at, "at")
    _require_days(days, allow_empty=False)
    if not zones:
        raise ValueError("a joint firing needs at least one zone")


def due_dates(*, start: date, end: date, days: frozenset[int] | None) -> Iterator[date]:
    """Dates in [start, end], inclusive, whose weekday is in `days`."""
    _require_days(days, allow_empty=True)
    day = start
    while day <= end:
        if days is None or day.weekday() in days:
            yield day
        day += _ONE_DAY


def count_due_dates(*, start: date, end: date, days: frozenset[int] | None) -> int:
    """How many dates due_dates() yields, in constant time so long ranges stay cheap."""
    _require_days(days, allow_empty=True)
    if end < start:
        return 0
    total_days = (end - start).days + 1
    if days is None:
        return total_days
    weeks, remainder = divmod(total_days, 7)
    first = start.weekday()
    return weeks * len(days) + sum((first + i) % 7 in days for i in range(remainder))


def end_of_local_day(instant: datetime, tz: ZoneInfo) -> datetime:
    """The first local midnight strictly after `instant`: when the local day of `instant` ends.

    A midnight skipped by a gap resolves to the gap's end, so the day still ends exactly when
    the next one starts. An instant in the second run of an overlap that straddles midnight
    gets the second midnight, not one already past.
    """
    _require_aware(instant, "instant")
    today = local_date(instant, tz)
    return min(
        shown
        for offset in (1, 2)
        for shown in _showings(today + offset * _ONE_DAY, _MIDNIGHT, tz)
        if shown > instant
    )


def in_window(instant: datetime, *, start: time, end: time, tz: ZoneInfo) -> datetime | None:
    """When the quiet window [start, end) in local time that contains `instant` ends, else None.

    The window crosses midnight when start > end (22:00-08:00). It ends when the wall clock next
    reaches `end`, including the second showing of `end` in a fall-back overlap; a gap that skips
    `end` ends it at the gap's end, unless the clock lands back inside the window (a skipped
    date), in which case it runs on to the following `end`.
    """
    _require_aware(instant, "instant")
    _require_naive_time(start, "start")
    _require_naive_time(end, "end")
    if start == end:
        raise ValueError("quiet window start and end must differ")
    if not _inside(_wall(instant, tz).time(), start, end):
        return None
    today = local_date(instant, tz)
    return min(
        shown
        for offset in range(-1, 4)
        for shown in _showings(today + offset * _ONE_DAY, end, tz)
        if shown > instant and not _inside(_wall(shown, tz).time(), start, end)
    )


def _firing(day: date, at: time, tz: ZoneInfo, days: frozenset[int] | None) -> datetime | None:
    """The firing that belongs to local `day`, if the schedule has one on it."""
    if days is not None and day.weekday() not in days:
        return None
    fired = local_instant(day, at, tz)
    # A gap that runs past midnight pushes `at` onto the next date, which fires for itself.
    return fired if local_date(fired, tz) == day else None


def _showings(day: date, at: time, tz: ZoneInfo) -> list[datetime]:
    """UTC instants, ascending, at which the wall clock reaches `at` on `day`.

    One in the usual case, two in a fall-back overlap, and the gap's end when a spring-forward
    gap skips `at`.
    """
    wall = datetime.combine(day, at.replace(fold=0))
    first = _to_utc(wall, tz, fold=0)
    if _wall(first, tz) != wall:
        # The round trip moved the wall time, so `wall` does not exist in this zone.
        return [_gap_end(wall, tz)]
    second = _to_utc(wall, tz, fold=1)
    if second != first and _wall(second, tz) == wall:
        return sorted((first, second))
    return [first]


def _gap_end(wall: datetime, tz: ZoneInfo) -> datetime:
    """The transition instant that skips the nonexistent local `wall`.

    zoneinfo exposes no transition table, but the two folds of a skipped wall time map to
    instants on either side of the transition, and transitions fall on whole seconds, so a
    binary search over seconds for the first instant whose wall time is past `wall` finds it.
    """
    bounds = sorted((_to_utc(wall, tz, fold=0), _to_utc(wall, tz, fold=1)))
    low = (bounds[0] - _EPOCH) // _ONE_SECOND
    high = -((_EPOCH - bounds[1]) // _ONE_SECOND)
    if not (_wall_at(low, tz) < wall < _wall_at(high, tz)):
        raise ValueError(f"cannot place skipped wall time {wall.isoformat()} in {tz.key}")
    while high - low > 1:
        middle = (low + high) // 2
        if _wall_at(middle, tz) < wall:
            low = middle
        else:
            high = middle
    return _EPOCH + high * _ONE_SECOND


def _wall_at(seconds: int, tz: ZoneInfo) -> datetime:
    return _wall(_EPOCH + seconds * _ONE_SECOND, tz)


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    """Naive local wall time; naive comparison ignores fold, which is what callers want."""
    return instant.astimezone(tz).replace(tzinfo=None)


def _to_utc(wall: datetime, tz: ZoneInfo, *, fold: int) -> datetime:
    return wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)


def _inside(wall: time, start: time, end: time) -> bool:
    if start < end:
        return start <= wall < end
    return wall >= start or wall < end


def _require_aware(instant: datetime, name: str) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _require_naive_time(value: time, name: str) -> None:
    # A time carrying its own tzinfo would contradict the schedule's zone.
    if value.tzinfo is not None:
        raise ValueError(f"{name} must be a wall time without tzinfo")


def _require_days(days: frozenset[int] | None, *, allow_empty: bool) -> None:
    if days is None:
        return
    if not allow_empty and not days:
        raise ValueError("days must not be empty; use None for every day")
    if not days <= frozenset(range(7)):
        raise ValueError(f"days must be weekday numbers 0-6, got {sorted(days)}")


def normalise_days(days: Iterable[str] | None) -> list[str] | None:
    """Weekday names in week order without repeats; None (every day) stays None."""
    if days is None:
        return None
    chosen = set(days)
    return [d for d in WEEKDAYS if d in chosen]
