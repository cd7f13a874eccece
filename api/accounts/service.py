"""The account: profile, devices, export and erasure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.accounts.models import Device, User
from api.auth.models import AuthSession
from api.auth.tokens import hash_token
from api.commitments import service as commitments_service
from api.errors import NotFound
from api.gratitude import service as gratitude_service
from api.idempotency.models import IdempotencyRecord
from api.notifications import service as notifications_service
from api.pagination import Cursor, Page, paginate
from api.pairing import service as pairing_service
from api.prompts import service as prompts_service
from api.therapists import service as therapists_service


def update_profile(
    *,
    session: Session,
    user: User,
    display_name: str | None = None,
    timezone: str | None = None,
    locale: str | None = None,
) -> User:
    if display_name is not None:
        user.display_name = display_name
    if timezone is not None:
        user.timezone = timezone
    if locale is not None:
        user.locale = locale
    session.commit()
    return user


def register_device(
    *,
    session: Session,
    user: User,
    token: str,
    platform: str,
    app_version: str | None,
    now: datetime,
) -> tuple[Device, bool]:
    """Registers a push token; returns (device, created). A token seen before moves here."""
    token_hash = hash_token(token)
    device = session.scalar(select(Device).where(Device.token_hash == token_hash).with_for_update())
    created = device is None
    if device is None:
        device = Device(
            id=uuid.uuid4(), user_id=user.id, token_hash=token_hash, token=token, created_at=now
        )
        session.add(device)
    # A phone that changed hands (or accounts) must stop receiving the previous owner's pushes.
    device.user_id = user.id
    device.platform = platform
    device.app_version = app_version
    device.last_seen_at = now
    session.commit()
    return device, created


def list_devices(
    *, session: Session, user: User, limit: int, cursor: Cursor | None
) -> Page[Device]:
    return paginate(
        session,
        select(Device).where(Device.user_id == user.id),
        at_column=Device.created_at,
        id_column=Device.id,
        limit=limit,
        cursor=cursor,
    )


def remove_device(*, session: Session, user: User, device_id: uuid.UUID) -> None:
    device = session.get(Device, device_id)
    if device is None or device.user_id != user.id:
        raise NotFound()
    session.delete(device)
    session.commit()


def export_data(*, session: Session, user: User) -> dict[str, Any]:
    """Everything the user wrote or that is about them, without secrets or token hashes."""
    sessions = session.scalars(
        select(AuthSession).where(AuthSession.user_id == user.id).order_by(AuthSession.created_at)
    )
    devices = session.scalars(
        select(Device).where(Device.user_id == user.id).order_by(Device.created_at)
    )
    return {
        **notifications_service.export_data(session=session, user=user),
        "user": user,
        "sessions": [
            {
                "id": str(s.id),
                "device_name": s.device_name,
                "created_at": s.created_at.isoformat(),
                "last_used_at": s.last_used_at.isoformat(),
                "ended_at": s.revoked_at.isoformat() if s.revoked_at else None,
            }
            for s in sessions
        ],
        "devices": list(devices),
        "couples": pairing_service.export_couples(session=session, user=user),
        "prompts": prompts_service.export_prompts(session=session, user=user),
    }


def erase_account(*, session: Session, user: User, now: datetime) -> None:
    """Deletes the account and what only it owns, and ends its couple. Cannot be undone."""
    pairing_service.end_couple_of_erased_user(session=session, user=user, now=now)
    therapists_service.erase_for_therapist(session=session, user=user, now=now)
    notifications_service.erase_for_user(session=session, user=user)
    prompts_service.erase_for_user(session=session, user=user)
    gratitude_service.erase_for_user(session=session, user=user)
    commitments_service.erase_for_user(session=session, user=user)
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_id == user.id))
    session.execute(delete(Device).where(Device.user_id == user.id))
    session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    session.delete(user)
    session.commit()
