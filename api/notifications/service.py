"""The outbox every domain writes to, the in-app inbox, and notification settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from api.accounts import service as accounts_service
from api.accounts.models import User
from api.db import insert_ignoring_conflicts
from api.errors import NotFound
from api.i18n import Renderable
from api.notifications.models import KINDS, Notification, NotificationSettings
from api.pagination import Cursor, Page, paginate

DEFAULT_TTL = timedelta(hours=24)
DEFAULT_DAILY_CAP = 10


def enqueue(
    *,
    session: Session,
    recipient_id: uuid.UUID,
    kind: str,
    title: Renderable,
    body: Renderable,
    now: datetime,
    data: dict[str, str] | None = None,
    couple_id: uuid.UUID | None = None,
    dedupe_key: str | None = None,
    expires_at: datetime | None = None,
    deliver_after: datetime | None = None,
) -> None:
    """Adds a notification to the outbox inside the caller's transaction (no commit).

    `title` and `body` are messages (`api.i18n.Message`, or `Verbatim` words someone wrote),
    rendered here in the recipient's effective locale; the inbox keeps what was pushed. A
    repeated `dedupe_key` is ignored, so a retried use case or a second worker cannot notify
    twice for one event.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if isinstance(title, str) or isinstance(body, str):
        raise TypeError("title and body are messages to render, not finished strings")
    locale = accounts_service.effective_locale_of(session=session, user_id=recipient_id)
    values = {
        "id": uuid.uuid4(),
        "recipient_id": recipient_id,
        "couple_id": couple_id,
        "kind": kind,
        "title": title.render(locale)[:200],
        "body": body.render(locale)[:1000],
        "data": {k: str(v) for k, v in (data or {}).items()},
        "dedupe_key": dedupe_key or f"{kind}:{uuid.uuid4()}",
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": deliver_after or now,
        "expires_at": expires_at or now + DEFAULT_TTL,
        "created_at": now,
    }
    insert_ignoring_conflicts(
        session, Notification, values, conflict_on=["dedupe_key"], returning=False
    )


def cancel_for_couple(*, session: Session, couple_id: uuid.UUID, now: datetime) -> None:
    """Pending notifications about an ended couple will not be delivered (no commit)."""
    session.execute(
        update(Notification)
        .where(Notification.couple_id == couple_id, Notification.status.in_(("pending",)))
        .values(status="skipped", last_error="couple_ended", locked_until=None)
    )


# --- inbox ------------------------------------------------------------------------------------


def list_inbox(
    *,
    session: Session,
    user: User,
    limit: int,
    cursor: Cursor | None,
    unread: bool | None = None,
) -> Page[Notification]:
    """The user's inbox, newest first; only the unread or the read items when `unread` says
    so."""
    stmt = select(Notification).where(Notification.recipient_id == user.id)
    if unread is not None:
        stmt = stmt.where(
            Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None)
        )
    return paginate(
        session,
        stmt,
        at_column=Notification.created_at,
        id_column=Notification.id,
        limit=limit,
        cursor=cursor,
    )


def _unread(user_id: Any):
    return Notification.recipient_id == user_id, Notification.read_at.is_(None)


_UNREAD_COUNT = select(func.count(Notification.id)).where(*_unread(bindparam("user_id")))
_INBOX_STATE = select(func.count(Notification.id), func.max(Notification.created_at)).where(
    *_unread(bindparam("user_id"))
)


def unread_count(*, session: Session, user: User) -> int:
    """How many inbox items the user has not read."""
    return session.connection().scalar(_UNREAD_COUNT, {"user_id": user.id})


def inbox_state(*, session: Session, user_id: uuid.UUID) -> tuple[int, datetime | None]:
    """The unread items' count and latest arrival: changes whenever one arrives, is read or
    is purged, so a view of the inbox can tell it is unchanged without reading it."""
    count, latest = session.connection().execute(_INBOX_STATE, {"user_id": user_id}).one()
    return count, latest


def mark_all_read(*, session: Session, user: User, now: datetime) -> int:
    """Marks every unread inbox item read; answers how many that was (0 the second time)."""
    marked = session.execute(
        update(Notification)
        .where(*_unread(user.id))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return marked


def mark_read(
    *, session: Session, user: User, notification_id: uuid.UUID, now: datetime
) -> Notification:
    """Marks an inbox item read; reading it again keeps the first time."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.recipient_id != user.id:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = now
        session.commit()
    return notification


# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time


@dataclass(frozen=True)
class Settings:
    quiet_hours: QuietHours | None
    daily_cap: int
    kinds: dict[str, bool]

    def allows(self, kind: str) -> bool:
        return self.kinds.get(kind, True)


def _to_settings(row: NotificationSettings | None) -> Settings:
    if row is None:
        return Settings(
            quiet_hours=None, daily_cap=DEFAULT_DAILY_CAP, kinds={k: True for k in KINDS}
        )
    quiet = (
        QuietHours(start=row.quiet_start, end=row.quiet_end)
        if row.quiet_start is not None and row.quiet_end is not None
        else None
    )
    disabled = set(row.disabled_kinds or [])
    return Settings(
        quiet_hours=quiet, daily_cap=row.daily_cap, kinds={k: k not in disabled for k in KINDS}
    )


def get_settings(*, session: Session, user_id: uuid.UUID) -> Settings:
    return _to_settings(session.get(NotificationSettings, user_id))


def settings_for(*, session: Session, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, Settings]:
    """Settings for many users in one query (defaults for those who never changed them)."""
    rows = (
        {
            row.user_id: row
            for row in session.scalars(
                select(NotificationSettings).where(NotificationSettings.user_id.in_(user_ids))
            )
        }
        if user_ids
        else {}
    )
    return {user_id: _to_settings(rows.get(user_id)) for user_id in user_ids}


def replace_settings(
    *,
    session: Session,
    user: User,
    quiet_hours: dict[str, time] | None,
    daily_cap: int,
    kinds: dict[str, bool] | None,
    now: datetime,
) -> Settings:
    """Replaces the user's settings; kinds left out are on."""
    row = session.get(NotificationSettings, user.id)
    if row is None:
        row = NotificationSettings(user_id=user.id)
        session.add(row)
    row.quiet_start = quiet_hours["start"] if quiet_hours else None
    row.quiet_end = quiet_hours["end"] if quiet_hours else None
    row.daily_cap = daily_cap
    row.disabled_kinds = sorted(k for k, on in (kinds or {}).items() if not on)
    row.updated_at = now
    session.commit()
    return _to_settings(row)


def export_inbox(*, session: Session, user: User) -> list[Notification]:
    """The user's inbox, oldest first, for their export."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.recipient_id == user.id)
            .order_by(Notification.created_at)
        )
    )


def public_status(status: str) -> str:
    # A row a worker is sending right now is still pending as far as the user can tell.
    return "pending" if status == "sending" else status


def erase_for_user(*, session: Session, user: User) -> None:
    """Part of account erasure: the user's inbox, outbox rows and settings go (no commit)."""
    session.execute(delete(Notification).where(Notification.recipient_id == user.id))
    session.execute(delete(NotificationSettings).where(NotificationSettings.user_id == user.id))


def outbox_depth(*, session: Session) -> tuple[dict[str, int], datetime | None]:
    """Notifications per status, and when the oldest one still waiting to be pushed was
    created (the metrics' view of the outbox)."""
    counts = {
        status: count
        for status, count in session.execute(
            select(Notification.status, func.count()).group_by(Notification.status)
        )
    }
    oldest = session.scalar(
        select(func.min(Notification.created_at)).where(
            Notification.status.in_(("pending", "sending"))
        )
    )
    return counts, oldest


def purge_delivered(*, session: Session, before: datetime, limit: int) -> int:
    """Retention: deletes up to `limit` settled notifications created before `before`."""
    ids = list(
        session.scalars(
            select(Notification.id)
            .where(
                Notification.status.in_(("sent", "skipped", "failed")),
                Notification.created_at < before,
            )
            .limit(limit)
        )
    )
    if ids:
        session.execute(delete(Notification).where(Notification.id.in_(ids)))
    session.commit()
    return len(ids)
