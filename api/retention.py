"""Retention: what Steady stops keeping, and when. Run by the worker in bounded batches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from api.idempotency import service as idempotency_service
from api.notifications import service as notifications_service
from api.pairing import service as pairing_service
from api.therapists import service as therapists_service
from api.web import sessions as web_sessions

BATCH = 1000


@dataclass(frozen=True)
class RetentionPolicy:
    notifications: timedelta = timedelta(days=90)
    expired_codes: timedelta = timedelta(days=30)
    batch: int = BATCH


def purge(
    *, session_factory: sessionmaker[Session], now: datetime, policy: RetentionPolicy
) -> dict[str, int]:
    """One bounded batch per kind of record; returns how many of each went."""
    with session_factory() as session:
        return {
            "notifications": notifications_service.purge_delivered(
                session=session, before=now - policy.notifications, limit=policy.batch
            ),
            "idempotency_keys": idempotency_service.purge_expired(
                session=session, now=now, limit=policy.batch
            ),
            "invites": pairing_service.purge_expired_invites(
                session=session, before=now - policy.expired_codes, limit=policy.batch
            ),
            "link_codes": therapists_service.purge_expired_link_codes(
                session=session, before=now - policy.expired_codes, limit=policy.batch
            ),
            # Ended workspace sessions are kept as long as expired codes, then go.
            "web_sessions": web_sessions.purge_old(
                session=session, before=now - policy.expired_codes, limit=policy.batch
            ),
        }
