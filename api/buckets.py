"""Bucketing instants into the weeks of a report, in SQL that SQLite and PostgreSQL share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case


def week_of(at: Any, boundaries: list[datetime]) -> Any:
    """SQL for the week an instant falls in: i within [boundaries[i], boundaries[i+1]), -1 before.

    Local midnights are computed in Python (zoneinfo knows DST; SQLite and PostgreSQL disagree
    on zone handling), so one CASE over fixed instants buckets the same on both.
    """
    return case(
        *((at < bound, index - 1) for index, bound in enumerate(boundaries)),
        else_=len(boundaries) - 1,
    )
