"""Bucketing instants into the weeks of a report, in SQL that SQLite and PostgreSQL share.

Statements that bucket are built once per number of weeks and run with bind parameters: the
week boundaries `b0`..`bN` come from `week_params`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case


def week_of(at: Any, weeks: int) -> Any:
    """SQL for the week an instant falls in: i within [b{i}, b{i+1}), -1 before b0, `weeks`
    from b{weeks} on.

    Local midnights are computed in Python (zoneinfo knows DST; SQLite and PostgreSQL disagree
    on zone handling), so one CASE over fixed instants buckets the same on both.
    """
    return case(
        *((at < bindparam(f"b{index}"), index - 1) for index in range(weeks + 1)),
        else_=weeks,
    )


def week_params(boundaries: list[datetime]) -> dict[str, datetime]:
    """The bind parameters of `week_of` for these boundaries (the starts, then the end)."""
    return {f"b{index}": bound for index, bound in enumerate(boundaries)}
