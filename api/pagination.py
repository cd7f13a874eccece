"""Keyset pagination, newest first, over (created_at, id)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Integer, Select, and_, bindparam, or_
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
    params: Mapping[str, Any] | None = None,
) -> Page[Any]:
    """Runs `stmt` newest first from `cursor`, one row past `limit` to know if more follow.

    Items are the statement's first entity, or with `rows` its whole rows (a list can then
    select plain columns and skip building ORM objects). A statement built once with bind
    parameters comes with their values in `params`: its paged forms are then built once too
    (a hot list skips building SQL expressions on every request)."""
    if params is None:
        if cursor is not None:
            stmt = stmt.where(
                or_(at_column < cursor.at, and_(at_column == cursor.at, id_column < cursor.id))
            )
        stmt = stmt.order_by(at_column.desc(), id_column.desc()).limit(limit + 1)
        values: dict[str, Any] = {}
    else:
        stmt = _paged(stmt, at_column, id_column, after=cursor is not None)
        values = {**params, "page_size": limit + 1}
        if cursor is not None:
            values.update(page_after_at=cursor.at, page_after_id=cursor.id)
    # Plain rows go straight through the connection: no ORM work for columns.
    fetched = list(
        session.connection().execute(stmt, values).all()
        if rows
        else session.scalars(stmt, values)
    )
    items = fetched[:limit]
    next_cursor = None
    if len(fetched) > limit:
        last = items[-1]
        next_cursor = key(last) if key else Cursor(at=last.created_at, id=last.id)
    return Page(items=items, next_cursor=next_cursor)


_paged_statements: dict[tuple[int, bool], tuple[Select[Any], Select[Any]]] = {}
_paged_lock = threading.Lock()


def _paged(stmt: Select[Any], at_column: Any, id_column: Any, *, after: bool) -> Select[Any]:
    """`stmt` ordered newest first, limited by `page_size` and, `after` a cursor, starting
    past `page_after_at`/`page_after_id`; built once per statement (kept beside it, so the
    id stays its own)."""
    key = (id(stmt), after)
    found = _paged_statements.get(key)
    if found is not None and found[0] is stmt:
        return found[1]
    paged = stmt
    if after:
        at, id_ = bindparam("page_after_at"), bindparam("page_after_id")
        paged = paged.where(or_(at_column < at, and_(at_column == at, id_column < id_)))
    paged = paged.order_by(at_column.desc(), id_column.desc()).limit(
        bindparam("page_size", type_=Integer)
    )
    with _paged_lock:
        _paged_statements[key] = (stmt, paged)
    return paged
