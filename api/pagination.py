"""Keyset pagination, newest first, over (created_at, id)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class Cursor:
    at: datetime
    id: uuid.UUID


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: Cursor | None


def paginate(
    session: Session,
    stmt: Select[Any],
    *,
    at_column: Any,
    id_column: Any,
    limit: int,
    cursor: Cursor | None,
    key: Callable[[Any], Cursor] | None = None,
) -> Page[Any]:
    """Runs `stmt` newest first from `cursor`, one row past `limit` to know if more follow."""
    if cursor is not None:
        stmt = stmt.where(
            or_(at_column < cursor.at, and_(at_column == cursor.at, id_column < cursor.id))
        )
    stmt = stmt.order_by(at_column.desc(), id_column.desc()).limit(limit + 1)
    rows = list(session.scalars(stmt))
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = key(last) if key else Cursor(at=last.created_at, id=last.id)
    return Page(items=items, next_cursor=next_cursor)
