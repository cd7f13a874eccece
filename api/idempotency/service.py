"""Idempotency keys for create requests: a retried POST gets the first answer, not a second
object (a phone on a flaky network retries; the partner must not get two thank-you notes)."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from api.errors import Conflict, Unprocessable
from api.idempotency.models import IdempotencyRecord

RETENTION = timedelta(hours=24)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    headers: dict[str, str]


def request_hash(body: bytes) -> str:
    """The same request = JSON-equal body: key order and spacing do not matter."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()
    except (ValueError, UnicodeDecodeError):
        return hashlib.sha256(body).hexdigest()


def validate_key(key: str) -> None:
    if not 1 <= len(key) <= 255 or any(not 0x21 <= ord(c) <= 0x7E for c in key):
        raise Unprocessable(
            "idempotency_key_invalid",
            "Idempotency-Key must be 1-255 visible ASCII characters.",
            errors={"headers": {"Idempotency-Key": ["Not a valid idempotency key."]}},
        )


@dataclass(frozen=True)
class Claim:
    """A key held by this request's transaction: stored with its answer, in that transaction."""

    user_id: uuid.UUID
    key: str
    method: str
    path: str
    digest: str
    now: datetime


def _lock_key(user_id: uuid.UUID, key: str) -> int:
    digest = hashlib.sha256(f"{user_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def claim(
    *,
    session: Session,
    user_id: uuid.UUID,
    key: str,
    method: str,
    path: str,
    digest: str,
    now: datetime,
) -> Claim | StoredResponse:
    """Holds the key for the rest of the request's transaction, or returns the stored answer.
    No commit: the request stores its answer and commits once, with its work, and a crash or a
    5xx rolls both back, so a retry runs it again.

    Two requests with one key never both run: on PostgreSQL the hold is a transaction-scoped
    advisory lock taken without waiting, so the second gets 409 idempotency_key_in_use at
    once; on SQLite a writing request holds the database's one write lock from its first
    statement, so the second waits for the first to commit and then finds its answer.
    """
    if session.get_bind().dialect.name == "postgresql":
        held = session.scalar(select(func.pg_try_advisory_xact_lock(_lock_key(user_id, key))))
        if not held:
            raise _in_use()
    record = session.scalar(_RECORD, {"user_id": user_id, "key": key})
    if record is not None and record.expires_at <= now:  # past its retention: starts afresh
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record.id))
        record = None
    if record is not None:
        if (record.method, record.path, record.request_hash) != (method, path[:300], digest):
            raise _reused()
        return StoredResponse(
            status=record.response_status,
            body=record.response_body or "",
            headers=dict(record.response_headers or {}),
        )
    return Claim(user_id=user_id, key=key, method=method, path=path[:300], digest=digest, now=now)


_RECORD = select(IdempotencyRecord).where(
    IdempotencyRecord.user_id == bindparam("user_id"), IdempotencyRecord.key == bindparam("key")
)


def store(
    *, session: Session, claim: Claim, status: int, body: str, headers: dict[str, Any]
) -> None:
    """Stores the first answer beside the request's work (no commit)."""
    session.add(
        IdempotencyRecord(
            id=uuid.uuid4(),
            user_id=claim.user_id,
            key=claim.key,
            method=claim.method,
            path=claim.path,
            request_hash=claim.digest,
            response_status=status,
            response_body=body,
            response_headers=headers,
            created_at=claim.now,
            expires_at=claim.now + RETENTION,
        )
    )


def _in_use() -> Conflict:
    return Conflict(
        "idempotency_key_in_use",
        "The first request with this Idempotency-Key is still being served.",
    )


def _reused() -> Unprocessable:
    return Unprocessable(
        "idempotency_key_reused",
        "This Idempotency-Key was used for another request.",
        errors={"headers": {"Idempotency-Key": ["Already used for another request."]}},
    )


def purge_expired(*, session: Session, now: datetime, limit: int = 1000) -> int:
    """Deletes up to `limit` expired records (retention); returns how many."""
    ids = list(
        session.scalars(
            select(IdempotencyRecord.id).where(IdempotencyRecord.expires_at <= now).limit(limit)
        )
    )
    if ids:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(ids)))
    session.commit()
    return len(ids)


def erase_for_user(*, session: Session, user_id: uuid.UUID) -> None:
    """Part of account erasure: the user's stored requests and answers go (no commit)."""
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id))
