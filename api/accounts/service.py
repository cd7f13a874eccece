"""The account: users, their profile and their devices.

A low domain: it calls no other domain. Export and erasure across domains are orchestrated in
`api.flows`, which calls the functions here for this domain's part.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.accounts.models import Device, User
from api.auth.tokens import hash_token
from api.errors import NotFound
from api.i18n import effective_locale
from api.pagination import Cursor, Page, paginate

# --- users ------------------------------------------------------------------------------------


def find_user(*, session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def users_by_id(*, session: Session, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, User]:
    """The users that still exist among `user_ids`, in one query."""
    if not user_ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(set(user_ids))))}


def display_names(*, session: Session, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The display names of the users that still exist among `user_ids`. Users the session
    already holds (a request's caller and their partner) cost nothing; the others are read
    in one query."""
    names: dict[uuid.UUID, str] = {}
    missing = []
    for user_id in user_ids:
        held = session.identity_map.get(session.identity_key(User, user_id))
        if held is not None:
            names[user_id] = held.display_name
        else:
            missing.append(user_id)
    if missing:
        rows = session.execute(select(User.id, User.display_name).where(User.id.in_(missing)))
        names.update({user_id: name for user_id, name in rows})
    return names


def effective_locale_of(*, session: Session, user_id: uuid.UUID) -> str:
    """The supported locale a user reads in: no statement when the user is already loaded
    (a request's caller and partner are), one otherwise; English for a user who is gone."""
    user = session.get(User, user_id)
    return effective_locale(user.locale if user is not None else None)


def find_by_email(*, session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email))


def find_by_firebase_uid(*, session: Session, uid: str) -> User | None:
    return session.scalar(select(User).where(User.firebase_uid == uid))


def lock_user(*, session: Session, user_id: uuid.UUID) -> None:
    """Serialises changes that involve one user (pairing) on PostgreSQL until the transaction
    ends; SQLite has one writer at a time anyway."""
    session.execute(select(User.id).where(User.id == user_id).with_for_update())


def add_user(
    *,
    session: Session,
    display_name: str,
    role: str,
    timezone: str,
    now: datetime,
    email: str | None = None,
    password_hash: str | None = None,
    firebase_uid: str | None = None,
) -> User:
    """Adds a new account row (no commit: signing up commits it with its first session)."""
    user = User(
        id=uuid.uuid4(),
        email=email,
        password_hash=password_hash,
        firebase_uid=firebase_uid,
        display_name=display_name,
        role=role,
        timezone=timezone,
        created_at=now,
    )
    session.add(user)
    return user


def set_password_hash(*, user: User, password_hash: str) -> None:
    """A stronger hash of the same password (no commit: sign-in commits it)."""
    user.password_hash = password_hash


def link_firebase(*, session: Session, user: User, uid: str) -> User:
    """Links a local account to the Firebase account with the same verified email."""
    user.firebase_uid = uid
    session.commit()
    return user


def apply_profile(
    *,
    user: User,
    display_name: str | None = None,
    timezone: str | None = None,
    locale: str | None = None,
) -> None:
    """Changes what is given of the profile (no commit: `api.flows.update_profile` commits it
    with what follows a new time zone)."""
    if display_name is not None:
        user.display_name = display_name
    if timezone is not None:
        user.timezone = timezone
    if locale is not None:
        user.locale = locale


def update_profile(
    *,
    session: Session,
    user: User,
    display_name: str | None = None,
    timezone: str | None = None,
    locale: str | None = None,
) -> User:
    apply_profile(user=user, display_name=display_name, timezone=timezone, locale=locale)
    session.commit()
    return user


def delete_user(*, session: Session, user: User) -> None:
    """The last step of erasure: the user row and their devices (no commit)."""
    session.execute(delete(Device).where(Device.user_id == user.id))
    session.delete(user)


# --- devices ----------------------------------------------------------------------------------


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


def devices_for(*, session: Session, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Device]]:
    """Every device of these users, in one query (the push worker's recipients)."""
    devices: dict[uuid.UUID, list[Device]] = defaultdict(list)
    if user_ids:
        for device in session.scalars(select(Device).where(Device.user_id.in_(user_ids))):
            devices[device.user_id].append(device)
    return devices


def remove_devices(*, session: Session, device_ids: set[uuid.UUID]) -> None:
    """Devices whose tokens FCM reported dead (no commit)."""
    if device_ids:
        session.execute(delete(Device).where(Device.id.in_(device_ids)))


def user_devices(*, session: Session, user: User) -> list[Device]:
    """The user's devices, oldest first, for their export."""
    return list(
        session.scalars(select(Device).where(Device.user_id == user.id).order_by(Device.created_at))
    )


def timezones_of(*, session: Session, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each existing user's IANA zone name, in one query; erased users are absent."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.timezone).where(User.id.in_(set(user_ids))))
    return {user_id: tz for user_id, tz in rows}
