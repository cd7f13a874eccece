"""Sign-up, sign-in, token refresh and sessions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.accounts import service as accounts_service
from api.accounts.models import User
from api.auth import passwords
from api.auth.firebase import FirebaseVerifier
from api.auth.models import AuthSession, RefreshToken
from api.auth.tokens import (
    REFRESH_ABSOLUTE_LIMIT,
    REFRESH_IDLE_LIMIT,
    TokenSettings,
    decode_access_token,
    hash_token,
    is_own_token,
    issue_access_token,
    new_refresh_token,
)
from api.errors import Conflict, NotFound, Unauthorized
from api.pagination import Cursor, Page, paginate

# Touching last_used_at on every request would make every read a write: at most once a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# Given a session id: the session (its `id`, `user_id`, `revoked_at` and `last_used_at` are
# read) and its user, or Nones.
SessionLoader = Callable[[Session, uuid.UUID], tuple[Any, "User | None"]]


@dataclass(frozen=True)
class TokenPair:
    user: User
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, and the session when signed in with our own tokens."""

    user: User
    session_id: uuid.UUID | None
    last_used_at: datetime | None = None


@dataclass(frozen=True)
class SessionView:
    id: uuid.UUID
    device_name: str | None
    created_at: datetime
    last_used_at: datetime
    current: bool


def open_session(
    session: Session, *, settings: TokenSettings, user: User, device_name: str | None, now: datetime
) -> TokenPair:
    """Opens a session for the user and issues its first token pair (no commit)."""
    auth_session = AuthSession(
        id=uuid.uuid4(), user_id=user.id, device_name=device_name, created_at=now, last_used_at=now
    )
    session.add(auth_session)
    token, token_hash = new_refresh_token()
    session.add(RefreshToken(session_id=auth_session.id, token_hash=token_hash, created_at=now))
    return TokenPair(
        user=user,
        access_token=issue_access_token(
            settings=settings, user_id=user.id, session_id=auth_session.id, role=user.role, now=now
        ),
        refresh_token=token,
        expires_in=settings.access_ttl_seconds,
    )


def register(
    *,
    session: Session,
    settings: TokenSettings,
    email: str,
    password: str,
    display_name: str,
    timezone: str,
    role: str,
    device_name: str | None,
    now: datetime,
) -> TokenPair:
    """Creates the account and signs it in on the device that registered."""
    if accounts_service.find_by_email(session=session, email=email) is not None:
        raise Conflict("email_taken", "An account with this email already exists.")
    user = accounts_service.add_user(
        session=session,
        email=email,
        password_hash=passwords.hash_password(password),
        display_name=display_name,
        role=role,
        timezone=timezone,
        now=now,
    )
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("email_taken", "An account with this email already exists.") from exc
    pair = open_session(session, settings=settings, user=user, device_name=device_name, now=now)
    session.commit()
    return pair


def check_credentials(*, session: Session, email: str, password: str) -> User:
    """The account these credentials open, or 401 `invalid_credentials` (the same for an
    unknown email and a wrong password, in the same time). Upgrades an outdated hash (no
    commit: the caller's sign-in commits it). Every sign-in, the API's and the therapist
    workspace's, checks passwords here."""
    user = accounts_service.find_by_email(session=session, email=email.strip().lower())
    if not passwords.verify_password(user.password_hash if user else None, password):
        raise Unauthorized("invalid_credentials", "The email or password is wrong.")
    assert user is not None and user.password_hash is not None
    if passwords.needs_rehash(user.password_hash):
        accounts_service.set_password_hash(
            user=user, password_hash=passwords.hash_password(password)
        )
    return user


def login(
    *,
    session: Session,
    settings: TokenSettings,
    email: str,
    password: str,
    device_name: str | None,
    now: datetime,
) -> TokenPair:
    """Signs in with email and password; unknown email and wrong password look the same."""
    user = check_credentials(session=session, email=email, password=password)
    pair = open_session(session, settings=settings, user=user, device_name=device_name, now=now)
    session.commit()
    return pair


def refresh(
    *, session: Session, settings: TokenSettings, refresh_token: str, now: datetime
) -> TokenPair:
    """Rotates a refresh token; presenting a rotated one again ends the whole session."""
    stored = session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_token(refresh_token))
    )
    if stored is None:
        raise Unauthorized("invalid_refresh_token", "The refresh token is not valid.")
    auth_session = session.get(AuthSession, stored.session_id)
    if auth_session is None or auth_session.revoked_at is not None:
        raise Unauthorized("session_revoked", "This session has ended.")
    if stored.used_at is not None:
        _revoke(session, auth_session, now)
        session.commit()
        raise Unauthorized("refresh_token_reused", "This refresh token was already used.")
    if (
        now - stored.created_at > REFRESH_IDLE_LIMIT
        or now - auth_session.created_at > REFRESH_ABSOLUTE_LIMIT
    ):
        raise Unauthorized("refresh_token_expired", "The refresh token has expired.")
    # Compare-and-set, so two concurrent refreshes with one token cannot both succeed.
    claimed = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == stored.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        session.rollback()
        auth_session = session.get(AuthSession, stored.session_id)
        if auth_session is not None:
            _revoke(session, auth_session, now)
            session.commit()
        raise Unauthorized("refresh_token_reused", "This refresh token was already used.")
    token, token_hash = new_refresh_token()
    session.add(RefreshToken(session_id=auth_session.id, token_hash=token_hash, created_at=now))
    auth_session.last_used_at = now
    user = accounts_service.find_user(session=session, user_id=auth_session.user_id)
    assert user is not None
    pair = TokenPair(
        user=user,
        access_token=issue_access_token(
            settings=settings, user_id=user.id, session_id=auth_session.id, role=user.role, now=now
        ),
        refresh_token=token,
        expires_in=settings.access_ttl_seconds,
    )
    session.commit()
    return pair


def _revoke(session: Session, auth_session: AuthSession, now: datetime) -> None:
    if auth_session.revoked_at is None:
        auth_session.revoked_at = now


def logout(*, session: Session, principal: Principal, now: datetime) -> None:
    """Ends the session the caller's access token belongs to."""
    if principal.session_id is None:
        return  # A Firebase ID token has no session of ours to end.
    auth_session = session.get(AuthSession, principal.session_id)
    if auth_session is not None:
        _revoke(session, auth_session, now)
    session.commit()


def list_sessions(
    *, session: Session, principal: Principal, limit: int, cursor: Cursor | None
) -> Page[SessionView]:
    stmt = select(AuthSession).where(
        AuthSession.user_id == principal.user.id, AuthSession.revoked_at.is_(None)
    )
    page = paginate(
        session,
        stmt,
        at_column=AuthSession.created_at,
        id_column=AuthSession.id,
        limit=limit,
        cursor=cursor,
    )
    return Page(
        items=[
            SessionView(
                id=s.id,
                device_name=s.device_name,
                created_at=s.created_at,
                last_used_at=s.last_used_at,
                current=s.id == principal.session_id,
            )
            for s in page.items
        ],
        next_cursor=page.next_cursor,
    )


def end_session(
    *, session: Session, principal: Principal, session_id: uuid.UUID, now: datetime
) -> None:
    """Signs one of the caller's devices out; an ended or foreign session is not found."""
    auth_session = session.get(AuthSession, session_id)
    if (
        auth_session is None
        or auth_session.user_id != principal.user.id
        or auth_session.revoked_at is not None
    ):
        raise NotFound()
    _revoke(session, auth_session, now)
    session.commit()


_SESSION_AND_USER = (
    select(AuthSession, User)
    .join(User, User.id == AuthSession.user_id)
    .where(AuthSession.id == bindparam("session_id"))
)


def load_session(session: Session, session_id: uuid.UUID) -> tuple[AuthSession | None, User | None]:
    """The session and its user, in one statement."""
    row = session.execute(_SESSION_AND_USER, {"session_id": session_id}).first()
    return (row[0], row[1]) if row else (None, None)


def authenticate(
    *,
    session: Session,
    settings: TokenSettings,
    token: str,
    now: datetime,
    firebase_verifier: FirebaseVerifier | None,
    load: SessionLoader = load_session,
) -> Principal:
    """Resolves a bearer token to its user, checking the session on every request (no cache:
    a revoked session is refused on the very next request). `load` reads the session and user;
    the request layer passes one that reads the caller's couple in the same statement."""
    if firebase_verifier is not None and not is_own_token(token, settings):
        claims = firebase_verifier(token)
        return Principal(user=_firebase_user(session, claims, now=now), session_id=None)
    access = decode_access_token(token, settings=settings, now=now)
    auth_session, user = load(session, access.session_id)
    if (
        auth_session is None
        or user is None
        or auth_session.revoked_at is not None
        or auth_session.user_id != access.user_id
    ):
        raise Unauthorized("session_revoked", "This session has ended.")
    return Principal(user=user, session_id=auth_session.id, last_used_at=auth_session.last_used_at)


def touch_session(*, session: Session, session_id: uuid.UUID, now: datetime) -> None:
    """Records that the session was used; a compare-and-set, so of concurrent requests one
    writes, and only when the last write is older than LAST_USED_RESOLUTION."""
    session.execute(
        update(AuthSession)
        .where(
            AuthSession.id == session_id,
            AuthSession.last_used_at < now - LAST_USED_RESOLUTION,
        )
        .values(last_used_at=now)
    )
    session.commit()


def _firebase_user(session: Session, claims: dict[str, Any], *, now: datetime) -> User:
    """The user behind a Firebase ID token, created on first use."""
    uid = claims.get("uid") or claims.get("sub")
    if not uid or not isinstance(uid, str) or len(uid) > 128:
        raise Unauthorized("invalid_token", "The ID token is not valid.")
    user = accounts_service.find_by_firebase_uid(session=session, uid=uid)
    if user is not None:
        return user
    email = claims.get("email")
    email = email.strip().lower() if isinstance(email, str) and email.strip() else None
    if email is not None and len(email) > 254:
        raise Unauthorized("invalid_token", "The ID token is not valid.")
    if email is not None:
        existing = accounts_service.find_by_email(session=session, email=email)
        if existing is not None:
            # Linking on an unverified email would hand the account to whoever typed it.
            if claims.get("email_verified") is not True or existing.firebase_uid is not None:
                raise Conflict("email_taken", "An account with this email already exists.")
            return accounts_service.link_firebase(session=session, user=existing, uid=uid)
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        name = email.split("@", 1)[0] if email else "Steady user"
    user = accounts_service.add_user(
        session=session,
        email=email,
        firebase_uid=uid,
        display_name=name.strip()[:80],
        role="partner",
        timezone="UTC",
        now=now,
    )
    try:
        session.commit()
    except IntegrityError:
        # Two first requests raced; the other one created the user.
        session.rollback()
        user = accounts_service.find_by_firebase_uid(session=session, uid=uid)
        if user is None:
            raise
    return user


def export_sessions(*, session: Session, user: User) -> list[AuthSession]:
    """Every session the user opened, ended ones included, oldest first."""
    return list(
        session.scalars(
            select(AuthSession)
            .where(AuthSession.user_id == user.id)
            .order_by(AuthSession.created_at)
        )
    )


def erase_for_user(*, session: Session, user: User) -> None:
    """Part of account erasure: the user's sessions and refresh tokens go (no commit)."""
    session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
