"""Weekly progress: what each partner did for the other, week by week, and over 28 days.

The same figures serve the couple and their therapist, so nothing here depends on who asks:
the caller passes the couple, its members and the zone whose Mondays start the weeks.
"""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api import occurrences, timeutil
from api.accounts import service as accounts_service
from api.agreements import service as agreements_service
from api.commitments import service as commitments_service
from api.gratitude import service as gratitude_service
from api.kept import Kept
from api.prompts import service as prompts_service
from api.reassurance import service as reassurance_service

DEFAULT_WEEKS = 8
MAX_WEEKS = 52
SUMMARY_WINDOW = timedelta(days=28)
_WEEK = timedelta(weeks=1)
_WEEKS_IN_WINDOW = SUMMARY_WINDOW // _WEEK


def week_starts(*, today: date, weeks: int) -> list[date]:
    """The Mondays of the `weeks` weeks ending with the one holding `today`, oldest first."""
    current = today - timedelta(days=today.weekday())
    return [current - timedelta(weeks=weeks - 1 - index) for index in range(weeks)]


# Recent results of this process, by the couple's version and all else an answer depends on.
_cache: Kept[dict[str, Any]] = Kept(2048)


def _weeks_existed(*, since: datetime, now: datetime) -> int:
    """How many of the summary's four weeks (back from now) the couple existed in, at least
    one: a couple paired ten days ago has had two weeks to write notes, not four."""
    return min(_WEEKS_IN_WINDOW, max(1, math.ceil((now - since) / _WEEK)))


def _weeks_existed_change_at(since: datetime, now: datetime) -> datetime | None:
    """When `_weeks_existed` next grows: just after the couple's next weekly anniversary, until
    it has existed for all four weeks."""
    weeks = max(1, math.ceil((now - since) / _WEEK))
    return since + weeks * _WEEK if weeks < _WEEKS_IN_WINDOW else None


def _median_hours(hours: float | None) -> float | None:
    return None if hours is None else round(hours, 1)


def _agreement_rates(figures: dict[str, Any]) -> dict[str, float | None]:
    due, on_time = figures["due_28d"], figures["on_time_28d"]
    return {
        "on_time_rate_28d": occurrences.rate(on_time, due),
        "informed_rate_28d": occurrences.rate(on_time + figures["late_notices_28d"], due),
    }


def couple_progress(
    *,
    session: Session,
    couple_id: uuid.UUID,
    member_ids: list[uuid.UUID],
    since: datetime,
    timezone: str,
    weeks: int,
    now: datetime,
    version: int | None = None,
) -> dict[str, Any]:
    """Each partner's weekly figures and 28-day summary, keyed by their id, their display
    names (`people`), and `fresh_until`: the instant until which they hold unless the couple
    writes something. `since` is when the couple paired.

    Weeks start at local midnight on Monday in `timezone`. A fixed number of aggregate
    statements whatever the amount of data: the week boundaries are computed here, as UTC
    instants (a DST week is 167 or 169 hours long), and each domain buckets by them in SQL.
    Given the couple's `version`, an unchanged couple's figures come from a cache instead.
    """
    names = accounts_service.display_names(session=session, user_ids=member_ids)
    # A new display name does not move the couple's version: the names are part of the key.
    key = (couple_id, version, tuple(member_ids), tuple(sorted(names.items())))
    key += (since, timezone, weeks)
    if version is not None and (cached := _cache.get(key, now)) is not None:
        return cached
    result = _build(
        session=session,
        couple_id=couple_id,
        member_ids=member_ids,
        since=since,
        timezone=timezone,
        weeks=weeks,
        now=now,
    )
    result["people"] = {
        str(user_id): {"display_name": names[user_id]} for user_id in member_ids if user_id in names
    }
    if version is not None:
        _cache.put(key, result, result["fresh_until"])
    return result


def _build(
    *,
    session: Session,
    couple_id: uuid.UUID,
    member_ids: list[uuid.UUID],
    since: datetime,
    timezone: str,
    weeks: int,
    now: datetime,
) -> dict[str, Any]:
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be 1..{MAX_WEEKS}, got {weeks}")
    tz = ZoneInfo(timezone)
    starts = week_starts(today=timeutil.local_date(now, tz), weeks=weeks)
    boundaries = [
        timeutil.local_instant(day, time(0), tz)
        for day in [*starts, starts[-1] + timedelta(weeks=1)]
    ]
    window_start = now - SUMMARY_WINDOW
    scope = {"session": session, "couple_id": couple_id, "member_ids": member_ids, "now": now}
    gratitude = gratitude_service.weekly_counts(**scope, boundaries=boundaries, since=window_start)
    rounds = prompts_service.weekly_counts(**scope, boundaries=boundaries, since=window_start)
    commitments = commitments_service.weekly_counts(**scope, week_starts=starts)
    agreements = agreements_service.weekly_counts(**scope, week_starts=starts)
    reassurance = reassurance_service.weekly_counts(**scope, boundaries=boundaries)

    gratitude_by, commitments_by = gratitude["partners"], commitments["partners"]
    agreements_by = agreements["partners"]

    def partner_week(user_id: uuid.UUID, week: int) -> dict[str, Any]:
        answers = rounds["partners"][user_id]
        rated = answers["rating_count"][week]
        return {
            "gratitude_sent": gratitude_by[user_id]["sent"][week],
            "gratitude_acknowledged": gratitude_by[user_id]["acknowledged"][week],
            "rounds_asked": rounds["asked"][week],
            "rounds_answered": answers["answered"][week],
            "mean_check_in_rating": answers["rating_sum"][week] / rated if rated else None,
            "commitments_due": commitments_by[user_id]["due"][week],
            "commitments_kept": commitments_by[user_id]["kept"][week],
            "commitments_confirmed": commitments_by[user_id]["confirmed"][week],
            "check_ins_due": agreements_by[user_id]["due"][week],
            "check_ins_on_time": agreements_by[user_id]["on_time"][week],
            "late_notices": agreements_by[user_id]["late_notices"][week],
            "reassurance_asked": reassurance[user_id]["asked"][week],
            "reassurance_answered": reassurance[user_id]["answered"][week],
        }

    existed = _weeks_existed(since=since, now=now)

    def summary(user_id: uuid.UUID) -> dict[str, Any]:
        asked = rounds["asked_28d"]
        due = commitments_by[user_id]["due_28d"]
        return {
            "answer_rate_28d": rounds["partners"][user_id]["answered_28d"] / asked
            if asked
            else None,
            "kept_rate_28d": commitments_by[user_id]["kept_28d"] / due if due else None,
            "gratitude_per_week_28d": gratitude_by[user_id]["sent_28d"] / existed,
            "median_ack_hours_28d": _median_hours(gratitude_by[user_id]["median_ack_hours_28d"]),
            **_agreement_rates(agreements_by[user_id]),
        }

    # Time alone changes the figures when the viewer's day ends (weeks move on), when the
    # oldest note or round counted in the 28 days leaves them, when a commitment's or an
    # agreement's occurrence falls due, its window ends, or its day ends, and when the couple
    # has existed for one more of the four weeks.
    changes = [
        timeutil.end_of_local_day(now, tz),
        commitments["changes_at"],
        agreements["changes_at"],
        _weeks_existed_change_at(since, now),
        *(
            oldest + SUMMARY_WINDOW
            for oldest in (gratitude["oldest_since"], rounds["oldest_since"])
            if oldest is not None
        ),
    ]
    return {
        "fresh_until": min(change for change in changes if change is not None),
        "timezone": timezone,
        "weeks": [
            {
                "week_start": start,
                "partners": {str(user_id): partner_week(user_id, week) for user_id in member_ids},
            }
            for week, start in enumerate(starts)
        ],
        "summary": {str(user_id): summary(user_id) for user_id in member_ids},
    }
