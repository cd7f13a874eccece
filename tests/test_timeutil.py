"""Schedule arithmetic across DST and the odder offset changes in the IANA database."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.timeutil import (
    WEEKDAYS,
    count_due_dates,
    due_dates,
    end_of_local_day,
    in_window,
    joint_firing,
    latest_fire_at_or_before,
    latest_joint_firing_at_or_before,
    local_date,
    local_instant,
    next_fire_at,
    next_joint_firing,
    weekday_numbers,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
APIA = ZoneInfo("Pacific/Apia")
TICK = timedelta(microseconds=1)
EVERY_DAY = None
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def firings(
    *, after: datetime, at: time, tz: ZoneInfo, days: frozenset[int] | None, count: int
) -> list[datetime]:
    found = []
    for _ in range(count):
        after = next_fire_at(after=after, at=at, tz=tz, days=days)
        found.append(after)
    return found


# --- weekday names -------------------------------------------------------------------------


def test_weekday_numbers_follow_date_weekday():
    assert weekday_numbers(["Mon", " wed", "FRI"]) == frozenset({MON, WED, FRI})
    assert weekday_numbers(WEEKDAYS) == frozenset(range(7))
    assert [date(2026, 6, 1 + i).weekday() for i in range(7)] == list(range(7))  # 1 June is Mon


def test_weekday_numbers_keep_every_day_distinct_from_no_day():
    assert weekday_numbers(None) is None
    assert weekday_numbers([]) == frozenset()


@pytest.mark.parametrize("names", [["monday"], ["mon", "xyz"], [""]])
def test_weekday_numbers_reject_unknown_names(names):
    with pytest.raises(ValueError):
        weekday_numbers(names)


def test_weekday_numbers_reject_a_bare_string():
    with pytest.raises(TypeError):
        weekday_numbers("mon")


# --- DST: spring forward, fall back ----------------------------------------------------------


def test_paris_evening_schedule_keeps_local_hour_across_both_2026_transitions():
    march = firings(after=utc(2026, 3, 27, 12), at=time(20), tz=PARIS, days=EVERY_DAY, count=4)
    assert [f.hour for f in march] == [19, 19, 18, 18]  # CET until 29 March, then CEST
    assert [f.day for f in march] == [27, 28, 29, 30]
    october = firings(after=utc(2026, 10, 23, 12), at=time(20), tz=PARIS, days=EVERY_DAY, count=4)
    assert [f.hour for f in october] == [18, 18, 19, 19]  # CEST until 25 October, then CET
    assert [f.day for f in october] == [23, 24, 25, 26]
    for fired in march + october:
        assert fired.tzinfo is UTC
        assert wall(fired, PARIS).time() == time(20)


def test_new_york_time_skipped_by_spring_forward_fires_when_the_gap_ends():
    fired = next_fire_at(after=utc(2026, 3, 7, 12), at=time(2, 30), tz=NEW_YORK, days=EVERY_DAY)
    assert fired == utc(2026, 3, 8, 7)
    assert fired.astimezone(NEW_YORK).isoformat() == "2026-03-08T03:00:00-04:00"
    following = next_fire_at(after=fired, at=time(2, 30), tz=NEW_YORK, days=EVERY_DAY)
    assert following == utc(2026, 3, 9, 6, 30)  # back to 02:30, now EDT


def test_paris_time_skipped_by_spring_forward_fires_at_three_cest():
    fired = local_instant(date(2026, 3, 29), time(2, 30), PARIS)
    assert fired.astimezone(PARIS).isoformat() == "2026-03-29T03:00:00+02:00"


def test_new_york_time_repeated_by_fall_back_fires_once_at_its_first_showing():
    fired = next_fire_at(after=utc(2026, 10, 31, 12), at=time(1, 30), tz=NEW_YORK, days=EVERY_DAY)
    assert fired == utc(2026, 11, 1, 5, 30)
    assert fired.astimezone(NEW_YORK).utcoffset() == timedelta(hours=-4)
    # The second 01:30 (EST, 06:30Z) is not a firing: the next one is the following night.
    following = next_fire_at(after=fired, at=time(1, 30), tz=NEW_YORK, days=EVERY_DAY)
    assert following == utc(2026, 11, 2, 6, 30)
    between = next_fire_at(after=utc(2026, 11, 1, 6), at=time(1, 30), tz=NEW_YORK, days=EVERY_DAY)
    assert between == following


def test_fold_of_the_requested_time_is_ignored():
    second = local_instant(date(2026, 11, 1), time(1, 30, fold=1), NEW_YORK)
    assert second == local_instant(date(2026, 11, 1), time(1, 30), NEW_YORK)


def test_lord_howe_half_hour_gap_resolves_to_the_transition():
    # DST starts at 02:00 +10:30 and jumps to 02:30 +11.
    fired = local_instant(date(2026, 10, 4), time(2, 15), LORD_HOWE)
    assert fired == utc(2026, 10, 3, 15, 30)
    assert fired.astimezone(LORD_HOWE).isoformat() == "2026-10-04T02:30:00+11:00"


def test_lord_howe_half_hour_overlap_fires_once():
    # DST ends at 02:00 +11, going back to 01:30 +10:30; 01:45 is shown twice.
    fired = next_fire_at(after=utc(2026, 4, 4), at=time(1, 45), tz=LORD_HOWE, days=EVERY_DAY)
    assert fired == utc(2026, 4, 4, 14, 45)
    following = next_fire_at(after=fired, at=time(1, 45), tz=LORD_HOWE, days=EVERY_DAY)
    assert following == utc(2026, 4, 5, 15, 15)


# --- skipped dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "skipped"),
    [
        ("Pacific/Apia", date(2011, 12, 30)),  # crossed the date line westwards
        ("Pacific/Kiritimati", date(1994, 12, 31)),
        ("Pacific/Kwajalein", date(1993, 8, 21)),
    ],
)
def test_date_missing_from_the_local_calendar_has_no_firing(zone, skipped):
    tz = ZoneInfo(zone)
    day_before = skipped - timedelta(days=1)
    day_after = skipped + timedelta(days=1)
    assert local_date(local_instant(day_before, time(23, 59), tz), tz) == day_before
    assert local_date(local_instant(skipped, time(12), tz), tz) == day_after

    only_that_weekday = frozenset({skipped.weekday()})
    after = local_instant(day_before, time(12), tz)
    fired = next_fire_at(after=after, at=time(20), tz=tz, days=only_that_weekday)
    assert local_date(fired, tz) == skipped + timedelta(days=7)
    assert wall(fired, tz).time() == time(20)

    daily = firings(after=after, at=time(20), tz=tz, days=EVERY_DAY, count=3)
    assert [local_date(f, tz) for f in daily] == [
        day_before,
        day_after,
        day_after + timedelta(days=1),
    ]

    latest = latest_fire_at_or_before(
        until=fired - TICK, at=time(20), tz=tz, days=only_that_weekday
    )
    assert local_date(latest, tz) == skipped - timedelta(days=7)

    # The day before ends when the day after begins.
    assert end_of_local_day(after, tz) == local_instant(day_after, time(0), tz)


def test_apia_friday_schedule_skips_the_missing_friday():
    fridays = firings(
        after=utc(2011, 12, 20), at=time(20), tz=APIA, days=weekday_numbers(["fri"]), count=3
    )
    assert [f.astimezone(APIA).isoformat() for f in fridays] == [
        "2011-12-23T20:00:00-10:00",
        "2012-01-06T20:00:00+14:00",
        "2012-01-13T20:00:00+14:00",
    ]


# --- strictness, weekdays, catch-up --------------------------------------------------------


def test_next_fire_at_is_strictly_after_a_firing_instant():
    fired = utc(2026, 6, 10, 18)  # 20:00 CEST
    assert next_fire_at(after=fired, at=time(20), tz=PARIS, days=EVERY_DAY) == utc(2026, 6, 11, 18)
    assert next_fire_at(after=fired - TICK, at=time(20), tz=PARIS, days=EVERY_DAY) == fired


def test_weekday_filter_fires_only_on_chosen_days():
    days = weekday_numbers(["mon", "wed", "fri"])
    found = firings(after=utc(2026, 6, 7, 12), at=time(7), tz=NEW_YORK, days=days, count=6)
    assert [wall(f, NEW_YORK).date().day for f in found] == [8, 10, 12, 15, 17, 19]
    assert all(wall(f, NEW_YORK).time() == time(7) for f in found)


def test_catch_up_after_three_day_outage_returns_only_the_latest_missed_firing():
    last_fired = utc(2026, 6, 1, 18)  # Monday 20:00 CEST
    back_up = utc(2026, 6, 4, 19)  # Thursday 21:00 CEST, three firings missed
    latest = latest_fire_at_or_before(until=back_up, at=time(20), tz=PARIS, days=EVERY_DAY)
    assert latest == utc(2026, 6, 4, 18)
    assert latest > last_fired
    assert next_fire_at(after=back_up, at=time(20), tz=PARIS, days=EVERY_DAY) == utc(2026, 6, 5, 18)


def test_latest_fire_at_or_before_includes_an_exact_firing():
    fired = utc(2026, 6, 4, 18)
    assert latest_fire_at_or_before(until=fired, at=time(20), tz=PARIS, days=None) == fired
    assert latest_fire_at_or_before(until=fired - TICK, at=time(20), tz=PARIS, days=None) == utc(
        2026, 6, 3, 18
    )


@pytest.mark.parametrize("search", [next_fire_at, latest_fire_at_or_before])
def test_schedule_searches_reject_bad_input(search):
    key = "after" if search is next_fire_at else "until"
    good = {key: utc(2026, 1, 1), "at": time(8), "tz": PARIS, "days": None}
    for bad in (
        {"days": frozenset()},
        {"days": frozenset({7})},
        {key: datetime(2026, 1, 1)},
        {"at": time(8, tzinfo=UTC)},
    ):
        with pytest.raises(ValueError):
            search(**(good | bad))


# --- local days ------------------------------------------------------------------------------


def test_end_of_local_day_follows_the_local_calendar():
    assert end_of_local_day(utc(2026, 3, 28, 21), PARIS) == utc(2026, 3, 28, 23)
    assert end_of_local_day(utc(2026, 3, 29, 10), PARIS) == utc(2026, 3, 29, 22)  # a 23 h day
    assert end_of_local_day(utc(2026, 10, 25, 10), PARIS) == utc(2026, 10, 25, 23)  # a 25 h day
    # Exactly at midnight the day has just begun.
    assert end_of_local_day(utc(2026, 6, 9, 22), PARIS) == utc(2026, 6, 10, 22)


def test_end_of_local_day_when_midnight_is_skipped():
    # Brazil sprang forward at midnight: the day ended at 00:00 -03, which read 01:00 -02.
    sao_paulo = ZoneInfo("America/Sao_Paulo")
    end = end_of_local_day(utc(2018, 11, 3, 15), sao_paulo)
    assert end == utc(2018, 11, 4, 3)
    assert end.astimezone(sao_paulo).isoformat() == "2018-11-04T01:00:00-02:00"


def test_end_of_local_day_when_an_overlap_straddles_midnight():
    # Newfoundland fell back at 00:01 to 23:01 the previous day, so 23:01-00:01 ran twice.
    st_johns = ZoneInfo("America/St_Johns")
    first_pass = utc(1990, 10, 28, 2)  # 23:30 -02:30
    second_pass = utc(1990, 10, 28, 3)  # 23:30 -03:30
    assert wall(first_pass, st_johns) == wall(second_pass, st_johns)
    assert end_of_local_day(first_pass, st_johns) == utc(1990, 10, 28, 2, 30)
    assert end_of_local_day(second_pass, st_johns) == utc(1990, 10, 28, 3, 30)
    # The evening firing still happens once for that date.
    evening = firings(after=utc(1990, 10, 27, 12), at=time(23, 30), tz=st_johns, days=None, count=2)
    assert evening == [first_pass, utc(1990, 10, 29, 3)]
    # During the second run of the 27th, the 28th's 00:00:30 has already fired.
    just_after_midnight = latest_fire_at_or_before(
        until=second_pass, at=time(0, 0, 30), tz=st_johns, days=None
    )
    assert just_after_midnight == utc(1990, 10, 28, 2, 30, 30)
    assert local_date(just_after_midnight, st_johns) == date(1990, 10, 28)


# --- quiet hours -----------------------------------------------------------------------------


def quiet(instant: datetime, tz: ZoneInfo = NEW_YORK, start=time(22), end=time(8)):
    return in_window(instant, start=start, end=end, tz=tz)


def test_quiet_window_across_midnight_on_dst_nights():
    assert quiet(utc(2026, 3, 8, 6, 30)) == utc(2026, 3, 8, 12)  # 01:30 EST -> 08:00 EDT
    assert quiet(utc(2026, 11, 1, 5, 30)) == utc(2026, 11, 1, 13)  # 01:30 EDT -> 08:00 EST
    assert quiet(utc(2026, 11, 1, 3)) == utc(2026, 11, 1, 13)  # 23:00 EDT the night before
    assert quiet(utc(2026, 11, 1, 16)) is None  # 11:00 EST


def test_quiet_window_bounds_are_start_inclusive_end_exclusive():
    assert quiet(utc(2026, 6, 10, 2)) == utc(2026, 6, 10, 12)  # 22:00 EDT
    assert quiet(utc(2026, 6, 10, 12)) is None  # 08:00 EDT
    assert quiet(utc(2026, 6, 10, 12) - TICK) == utc(2026, 6, 10, 12)
    daytime = {"start": time(13), "end": time(14), "tz": PARIS}
    assert in_window(utc(2026, 6, 10, 11, 30), **daytime) == utc(2026, 6, 10, 12)
    assert in_window(utc(2026, 6, 10, 12, 30), **daytime) is None


def test_quiet_window_ending_inside_a_gap_ends_with_the_gap():
    assert quiet(utc(2026, 3, 8, 6, 45), end=time(2, 30)) == utc(2026, 3, 8, 7)


def test_quiet_window_ending_inside_an_overlap_ends_at_the_clock_reading_end_again():
    # 01:15 EST comes after the first 01:30 (EDT); the clock next reads 01:30 at 06:30Z.
    assert quiet(utc(2026, 11, 1, 6, 15), end=time(1, 30)) == utc(2026, 11, 1, 6, 30)


def test_quiet_window_spanning_a_skipped_date_ends_at_the_next_real_end():
    # Thursday 22:30 in Apia was followed directly by Saturday 00:00, still quiet.
    ends = quiet(local_instant(date(2011, 12, 29), time(22, 30), APIA), tz=APIA)
    assert ends.astimezone(APIA).isoformat() == "2011-12-31T08:00:00+14:00"


def test_quiet_window_must_not_be_empty():
    with pytest.raises(ValueError):
        quiet(utc(2026, 6, 10), start=time(8), end=time(8))


# --- due dates ------------------------------------------------------------------------------


def test_due_dates_in_a_month():
    days = weekday_numbers(["mon", "wed", "fri"])
    june = list(due_dates(start=date(2026, 6, 1), end=date(2026, 6, 30), days=days))
    assert [d.day for d in june] == [1, 3, 5, 8, 10, 12, 15, 17, 19, 22, 24, 26, 29]
    assert count_due_dates(start=date(2026, 6, 1), end=date(2026, 6, 30), days=days) == 13
    assert count_due_dates(start=date(2026, 6, 1), end=date(2026, 6, 30), days=None) == 30
    assert count_due_dates(start=date(2026, 6, 2), end=date(2026, 6, 1), days=None) == 0
    assert list(due_dates(start=date(2026, 6, 2), end=date(2026, 6, 1), days=None)) == []


def test_count_due_dates_is_constant_time():
    # 400 Gregorian years are exactly 20871 weeks, so each weekday occurs 20871 times.
    cycle = {"start": date(2000, 1, 1), "end": date(2399, 12, 31)}
    assert count_due_dates(**cycle, days=frozenset({SUN})) == 20871
    assert count_due_dates(**cycle, days=frozenset({MON, SAT})) == 2 * 20871
    assert (
        count_due_dates(start=date(1, 1, 1), end=date(9999, 12, 31), days=None)
        == (date(9999, 12, 31) - date(1, 1, 1)).days + 1
    )


PROPERTY = settings(derandomize=True, max_examples=200, deadline=None, database=None)
DAY_SETS = st.none() | st.frozensets(st.integers(0, 6), min_size=1)


@PROPERTY
@given(
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2037, 12, 31)),
    length=st.integers(-3, 400),
    days=st.none() | st.frozensets(st.integers(0, 6)),
)
def test_count_due_dates_matches_enumeration(start, length, days):
    end = start + timedelta(days=length)
    assert count_due_dates(start=start, end=end, days=days) == len(
        list(due_dates(start=start, end=end, days=days))
    )


# --- properties over every zone --------------------------------------------------------------

ZONES = sorted(available_timezones())
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@functools.cache
def transitions(zone: str, year: int) -> tuple[datetime, ...]:
    """Offset changes in `year`, so generated cases can crowd around them.

    Sampling every three days is enough: the closest pair of changes since 1990 is a week apart
    (America/Boa_Vista, October 2000).
    """
    tz = ZoneInfo(zone)
    base = int((datetime(year, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds())
    step = 3 * 86400

    def offset(seconds: int) -> timedelta:
        return (_EPOCH + timedelta(seconds=seconds)).astimezone(tz).utcoffset()

    found = []
    for low in range(base, base + 123 * step, step):
        high = low + step
        if offset(low) != offset(high):
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == offset(low) else (low, middle)
            found.append(_EPOCH + timedelta(seconds=high))
    return tuple(found)


@st.composite
def schedules(draw):
    """A zone, wall time, day filter and starting instant, often right around an offset change."""
    zone = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(zone)
    days = draw(DAY_SETS)
    year = draw(st.integers(1990, 2037))
    nearby = transitions(zone, year)
    if nearby and draw(st.booleans()):
        change = draw(st.sampled_from(nearby))
        low, high = sorted((wall(change - TICK, tz), wall(change, tz)))
        # Wall times inside, on the edges of, and just around the skipped or repeated stretch.
        at = (
            low
            + draw(
                st.sampled_from([TICK, timedelta(0), high - low, high - low - TICK])
                | st.timedeltas(timedelta(minutes=-90), high - low + timedelta(minutes=90))
            )
        ).time()
        start = change + draw(st.timedeltas(timedelta(days=-3), timedelta(days=3)))
    else:
        at = draw(st.times())
        start = draw(
            st.datetimes(
                datetime(year, 1, 1), datetime(year, 12, 31, 23, 59), timezones=st.just(UTC)
            )
        )
    return tz, at, days, start


def is_due(day: date, days: frozenset[int] | None) -> bool:
    return days is None or day.weekday() in days


def fires_on(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    instant = local_instant(day, at, tz)
    return instant if local_date(instant, tz) == day else None


def assert_shows_at(fired: datetime, at: time, tz: ZoneInfo) -> None:
    local = fired.astimezone(tz)
    assert local.fold == 0, "a repeated wall time fires at its first showing"
    target = datetime.combine(local.date(), at)
    if local.time() != at:
        # `at` was skipped that day: the firing is the first instant after the gap.
        assert wall(fired - TICK, tz) < target < local.replace(tzinfo=None)


@PROPERTY
@given(schedules())
def test_next_fire_at_properties(schedule):
    tz, at, days, after = schedule
    found = firings(after=after, at=at, tz=tz, days=days, count=6)
    fired = found[0]
    assert fired > after
    for instant in found:
        assert_shows_at(instant, at, tz)
        assert is_due(local_date(instant, tz), days)

    # Nothing skipped and nothing doubled: every due local date between the start and the last
    # firing that really shows `at` fires exactly once, in order.
    assert found == sorted(set(found))
    first_day = local_date(after, tz) - timedelta(days=2)
    expected = []
    for offset in range((local_date(found[-1], tz) - first_day).days + 1):
        day = first_day + timedelta(days=offset)
        if is_due(day, days):
            instant = fires_on(day, at, tz)
            if instant is not None and instant > after:
                expected.append(instant)
    assert expected == found
    assert [local_date(f, tz) for f in found] == sorted({local_date(f, tz) for f in found})


@PROPERTY
@given(schedules())
def test_latest_fire_at_or_before_properties(schedule):
    tz, at, days, until = schedule
    latest = latest_fire_at_or_before(until=until, at=at, tz=tz, days=days)
    assert latest <= until
    assert next_fire_at(after=latest, at=at, tz=tz, days=days) > until
    assert next_fire_at(after=latest - TICK, at=at, tz=tz, days=days) == latest


@PROPERTY
@given(st.sampled_from(ZONES), st.dates(date(1990, 1, 1), date(2037, 12, 31)), st.times())
def test_local_instant_shows_the_wall_time_or_ends_its_gap(zone, day, at):
    tz = ZoneInfo(zone)
    instant = local_instant(day, at, tz)
    local = instant.astimezone(tz)
    assert local.fold == 0
    target = datetime.combine(day, at.replace(fold=0))
    if local.replace(tzinfo=None) != target:
        assert wall(instant - TICK, tz) < target < local.replace(tzinfo=None)


@PROPERTY
@given(schedules(), st.times(), st.times())
def test_local_day_and_quiet_window_boundaries(schedule, start, end):
    tz, _, _, instant = schedule
    ends = end_of_local_day(instant, tz)
    assert ends > instant
    assert local_date(ends, tz) > local_date(instant, tz)
    assert wall(ends - TICK, tz).date() == local_date(instant, tz)

    if start == end:
        return
    quiet_until = in_window(instant, start=start, end=end, tz=tz)
    inside = in_quiet_hours(wall(instant, tz).time(), start, end)
    assert (quiet_until is not None) == inside
    if quiet_until is not None:
        assert quiet_until > instant
        assert not in_quiet_hours(wall(quiet_until, tz).time(), start, end)
        assert in_quiet_hours(wall(quiet_until - TICK, tz).time(), start, end)


def in_quiet_hours(t: time, start: time, end: time) -> bool:
    return start <= t < end if start < end else (t >= start or t < end)


# --- joint firings: each partner at the same wall time in their own zone ------------------------

BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
TOKYO = ZoneInfo("Asia/Tokyo")
LONDON = ZoneInfo("Europe/London")
# Zones that keep one offset all year (in the years generated): paired with a zone around its
# change, only one of the two partners changes clocks.
STEADY_ZONES = ["UTC", "Asia/Tokyo", "Asia/Kolkata", "America/Phoenix", "Asia/Kathmandu"]


def test_a_couple_nine_hours_apart_is_asked_at_each_ones_evening():
    # Monday 23 November 2026: 20:00 in Berlin is 19:00Z; 20:00 in Los Angeles is 04:00Z on
    # Tuesday. Monday's firing is both Mondays, and happens at the first of them.
    firing = next_joint_firing(
        after=utc(2026, 11, 23, 12), at=time(20), zones=[BERLIN, LOS_ANGELES], days=EVERY_DAY
    )
    assert firing.day == date(2026, 11, 23)
    assert firing.instants == (utc(2026, 11, 23, 19), utc(2026, 11, 24, 4))
    assert firing.at == utc(2026, 11, 23, 19)
    # Between the two instants, the next firing is Tuesday's, not a second Monday.
    following = next_joint_firing(
        after=firing.at, at=time(20), zones=[BERLIN, LOS_ANGELES], days=EVERY_DAY
    )
    assert following.day == date(2026, 11, 24)
    assert following.instants == (utc(2026, 11, 24, 19), utc(2026, 11, 25, 4))


@pytest.mark.parametrize(
    ("zones", "start", "end"),
    [
        # The US changes on 14 March 2027 and Europe on 28 March: for two weeks only Los
        # Angeles has moved, and the couple is eight hours apart.
        ((BERLIN, LOS_ANGELES), date(2027, 3, 10), date(2027, 4, 2)),
        # Tokyo never changes: London moves alone, from nine hours behind to eight.
        ((TOKYO, LONDON), date(2027, 3, 24), date(2027, 4, 2)),
        # And back in autumn (Europe on 31 October, the US on 7 November 2027).
        ((BERLIN, LOS_ANGELES), date(2027, 10, 27), date(2027, 11, 10)),
    ],
)
def test_across_a_change_in_one_zone_each_is_asked_at_20_00_every_day(zones, start, end):
    firing = next_joint_firing(
        after=local_instant(start, time(0), zones[0]), at=time(20), zones=zones, days=EVERY_DAY
    )
    day = start
    while day <= end:
        assert firing.day == day
        for tz, instant in zip(zones, firing.instants, strict=True):
            assert wall(instant, tz) == datetime.combine(day, time(20))
        assert firing.at == min(firing.instants)
        firing = next_joint_firing(after=firing.at, at=time(20), zones=zones, days=EVERY_DAY)
        day += timedelta(days=1)


def test_a_weekday_filter_means_each_ones_own_weekday():
    # Mondays only: Berlin's Monday 20:00 and Los Angeles's Monday 20:00 (Tuesday in Berlin).
    firing = next_joint_firing(
        after=utc(2026, 11, 24, 0), at=time(20), zones=[BERLIN, LOS_ANGELES], days=frozenset({MON})
    )
    assert firing.day == date(2026, 11, 30)
    assert [
        wall(i, tz).strftime("%a %H:%M")
        for i, tz in zip(firing.instants, [BERLIN, LOS_ANGELES], strict=True)
    ] == ["Mon 20:00", "Mon 20:00"]
    # Latest at or before a moment between the two Monday instants: that same firing.
    latest = latest_joint_firing_at_or_before(
        until=utc(2026, 11, 30, 23), at=time(20), zones=[BERLIN, LOS_ANGELES], days=frozenset({MON})
    )
    assert latest == firing


def test_a_date_a_zone_skips_is_asked_in_the_other_zone_only():
    # Apia skipped 30 December 2011; Los Angeles lived it.
    firing = joint_firing(date(2011, 12, 30), at=time(20), zones=[APIA, LOS_ANGELES], days=None)
    assert firing.instants[0] is None
    assert wall(firing.instants[1], LOS_ANGELES) == datetime(2011, 12, 30, 20)
    assert firing.at == firing.instants[1]


def test_joint_firings_refuse_what_single_ones_refuse():
    with pytest.raises(ValueError):
        next_joint_firing(after=utc(2026, 1, 1), at=time(20), zones=[], days=None)
    with pytest.raises(ValueError):
        next_joint_firing(after=datetime(2026, 1, 1), at=time(20), zones=[PARIS], days=None)
    with pytest.raises(ValueError):
        next_joint_firing(after=utc(2026, 1, 1), at=time(20), zones=[PARIS], days=frozenset())


@st.composite
def joint_schedules(draw):
    """Two zones, a wall time, a day filter and a start, often right around one zone's offset
    change; the other zone is sometimes one that never changes, sometimes the same zone."""
    tz, at, days, start = draw(schedules())
    other = ZoneInfo(draw(st.sampled_from(STEADY_ZONES) | st.sampled_from(ZONES) | st.just(tz.key)))
    zones = [tz, other] if draw(st.booleans()) else [other, tz]
    return zones, at, days, start


def expected_instants(day: date, at: time, zones) -> tuple[datetime | None, ...]:
    """Each zone's own firing on `day`, from the single-zone rules."""
    return tuple(fires_on(day, at, tz) for tz in zones)


@PROPERTY
@given(joint_schedules())
def test_next_joint_firing_properties(schedule):
    zones, at, days, after = schedule
    found = []
    cursor = after
    for _ in range(5):
        firing = next_joint_firing(after=cursor, at=at, zones=zones, days=days)
        found.append(firing)
        cursor = firing.at
    assert found[0].at > after
    assert [f.at for f in found] == sorted({f.at for f in found})
    assert len({f.day for f in found}) == len(found), "a date fires once"
    for firing in found:
        assert is_due(firing.day, days)
        # Each partner at `at` on that date in their own zone, DST or not.
        assert firing.instants == expected_instants(firing.day, at, zones)
        for tz, instant in zip(zones, firing.instants, strict=True):
            if instant is not None:
                assert local_date(instant, tz) == firing.day
                assert_shows_at(instant, at, tz)
        assert firing.at == min(i for i in firing.instants if i is not None)

    # Nothing skipped: every due date whose first instant falls in the span fires, in order.
    first_day = min(local_date(after, tz) for tz in zones) - timedelta(days=3)
    last_day = max(local_date(found[-1].at, tz) for tz in zones) + timedelta(days=3)
    expected = []
    for offset in range((last_day - first_day).days + 1):
        day = first_day + timedelta(days=offset)
        instants = [i for i in expected_instants(day, at, zones) if i is not None]
        if is_due(day, days) and instants and after < min(instants) <= found[-1].at:
            expected.append(min(instants))
    assert sorted(expected) == [f.at for f in found]


@PROPERTY
@given(joint_schedules())
def test_latest_joint_firing_properties(schedule):
    zones, at, days, until = schedule
    latest = latest_joint_firing_at_or_before(until=until, at=at, zones=zones, days=days)
    assert latest.at <= until
    assert next_joint_firing(after=latest.at, at=at, zones=zones, days=days).at > until
    assert next_joint_firing(after=latest.at - TICK, at=at, zones=zones, days=days) == latest


@PROPERTY
@given(schedules())
def test_one_zone_fires_as_a_single_schedule(schedule):
    tz, at, days, after = schedule
    firing = next_joint_firing(after=after, at=at, zones=[tz], days=days)
    assert firing.instants == (firing.at,)
    assert firing.at == next_fire_at(after=after, at=at, tz=tz, days=days)
    latest = latest_joint_firing_at_or_before(until=after, at=at, zones=[tz], days=days)
    assert latest.at == latest_fire_at_or_before(until=after, at=at, tz=tz, days=days)
