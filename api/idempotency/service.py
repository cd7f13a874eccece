"""Idempotency keys for create requests: a retried POST gets the first answer, not a second
object (a phone on a flaky network retries; the partner must not get two thank-you notes)."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.errors import Conflict, Unprocessable
from api.idempotency.models import IdempotencyRecord

RETENTION = timedelta(hours=24)
IN_FLIGHT_TIMEOUT = timedelta(seconds=60)


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


def begin(
    *,
    session: Session,
    user_id: uuid.UUID,
    key: str,
    method: str,
    path: str,
    digest: str,
    now: datetime,
) -> uuid.UUID | StoredResponse:
    """Claims the key for this request (returns the record id) or returns the stored answer.

    Another body under the same key → 422 idempotency_key_reused; the first request still
    being served → 409 idempotency_key_in_use.
    """
    for _ in range(3):
        record = session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
            )
        )
        if record is not None and record.expires_at <= now:
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record.id))
            session.commit()
            record = None
        if record is None:
            record_id = uuid.uuid4()
            session.add(
                IdempotencyRecord(
                    id=record_id,
                    user_id=user_id,
                    key=key,
                    method=method,
                    path=path[:300],
                    request_hash=digest,
                    locked_until=now + IN_FLIGHT_TIMEOUT,
                    created_at=now,
                    expires_at=now + RETENTION,
                )
            )
            try:
                session.commit()
                return record_id
            except IntegrityError:
                session.rollback()  # a concurrent first request claimed it; look again
                continue
        if (record.method, record.path, record.request_hash) != (method, path[:300], digest):
            raise Unprocessable(
                "idempotency_key_reused",
                "This Idempotency-Key was used for another request.",
                errors={"headers": {"Idempotency-Key": ["Already used for another request."]}},
            )
        if record.response_status is not None:
            return StoredResponse(
                status=record.response_status,
                body=record.response_body or "",
                headers=dict(record.response_headers or {}),
            )
        if record.locked_until is not None and record.locked_until > now:
            raise Conflict(
                "idempotency_key_in_use",
                "The first request with this Idempotency-Key is still being served.",
            )
        # Abandoned by a crashed process: take it over, unless someone else just did.
        taken = session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.id == record.id,
                IdempotencyRecord.locked_until == record.locked_until,
                IdempotencyRecord.response_status.is_(None),
            )
            .values(locked_until=now + IN_FLIGHT_TIMEOUT)
        ).rowcount
        session.commit()
        if taken == 1:
            return record.id
    raise Conflict(
        "idempotency_key_in_use",
        "The first request with this Idempotency-Key is still being served.",
    )


@dataclass(frozen=True)
class Claim:
    """A key held by this request's transaction (PostgreSQL): stored with its answer."""

    user_id: uuid.UUID
    key: str
    method: str
    path: str
    digest: str
    now: datetime


def _lock_key(user_id: uuid.UUID, key: str) -> int:
    digest = hashlib.sha256(f"{user_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def claim_in_transaction(
    *,
    session: Session,
    user_id: uuid.UUID,
    key: str,
    method: str,
    path: str,
    digest: str,
    now: datetime,
) -> Claim | StoredResponse:
    """PostgreSQL: holds the key for the rest of the request's transaction, or returns the
    stored answer. No commit: the request stores its answer and commits once, with its work.

    The hold is a transaction-scoped advisory lock taken without waiting, so a second request
    with the key while the first is served gets 409 idempotency_key_in_use at once, and a
    crash frees it with the transaction.
    """
    held = session.scalar(select(func.pg_try_advisory_xact_lock(_lock_key(user_id, key))))
    if not held:
        raise _in_use()
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    )
    if record is not None and record.expires_at <= now:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record.id))
        record = None
    if record is not None:
        if (record.method, record.path, record.request_hash) != (method, path[:300], digest):
            raise _reused()
        if record.response_status is not None:
            return StoredResponse(
                status=record.response_status,
                body=record.response_body or "",
                headers=dict(record.response_headers or {}),
            )
        if record.locked_until is not None and record.locked_until > now:
            raise _in_use()  # claimed the other way (`begin`) and still being served
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record.id))
    return Claim(user_id=user_id, key=key, method=method, path=path[:300], digest=digest, now=now)


def store_in_transaction(
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


def finish(
    *, session: Session, record_id: uuid.UUID, status: int, body: str, headers: dict[str, Any]
) -> None:
    """Stores the first answer (below 500) for replay."""
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(
            response_status=status, response_body=body, response_headers=headers, locked_until=None
        )
    )
    session.commit()


def release(*, session: Session, record_id: uuid.UUID) -> None:
    """A 5xx or a crash frees the key for a real retry."""
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    session.commit()


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
