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
    # Until when the page holds without a write, when time alone can change it.
    fresh_until: datetime | None = None


def paginate(
    session: Session,
    stmt: Select[Any],
    *,
    at_column: Any,
    id_column: Any,
    limit: int,
    cursor: Cursor | None,
    key: Callable[[Any], Cursor] | None = None,
    rows: bool = False,
) -> Page[Any]:
    """Runs `stmt` newest first from `cursor`, one row past `limit` to know if more follow.

    Items are the statement's first entity, or with `rows` its whole rows (a list can then
    select plain columns and skip building ORM objects)."""
    if cursor is not None:
        stmt = stmt.where(
            or_(at_column < cursor.at, and_(at_column == cursor.at, id_column < cursor.id))
        )
    stmt = stmt.order_by(at_column.desc(), id_column.desc()).limit(limit + 1)
    # Plain rows go straight through the connection: no ORM work for columns.
    fetched = list(session.connection().execute(stmt).all() if rows else session.scalars(stmt))
    items = fetched[:limit]
    next_cursor = None
    if len(fetched) > limit:
        last = items[-1]
        next_cursor = key(last) if key else Cursor(at=last.created_at, id=last.id)
    return Page(items=items, next_cursor=next_cursor)
