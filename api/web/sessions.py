"""Web sessions of the therapist workspace: server-side, revocable, with idle and absolute
timeouts. Flask-free; the routes keep the token in a cookie.

A browser gets a random 256-bit token at sign-in and only its hash is stored (as for refresh
tokens). Every request looks the session up, so ending it (logout, a timeout) takes effect at
once, and nothing about it lives in the process.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from api.accounts import service as accounts_service
from api.accounts.models import User
from api.auth import service as auth_service
from api.auth.tokens import hash_token, new_refresh_token
from api.errors import Forbidden
from api.web.models import WebSession

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# Writing last_seen_at on every page would make every read a write; a minute is well inside
# the idle timeout.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class SignedIn:
    """A new web session: the token goes to the browser, the row stays here."""

    token: str
    web_session: WebSession
    user: User


@dataclass(frozen=True)
class Resolved:
    """What a session cookie stands for: the session and its therapist, or why not."""

    web_session: WebSession | None
    user: User | None
    # None when signed in; otherwise "missing", "unknown", "ended", "idle" or "expired".
    refusal: str | None = None


def sign_in(*, session: Session, email: str, password: str, now: datetime) -> SignedIn:
    """Checks the password exactly as the API's login does (401 `invalid_credentials` for an
    unknown email or a wrong password alike); a partner's account is refused with 403
    `therapist_only` — only once the password was right, so it reveals nothing to a guesser."""
    user = auth_service.check_credentials(session=session, email=email, password=password)
    if user.role != "therapist":
        session.rollback()
        raise Forbidden("therapist_only", "This space is for therapists.")
    token, token_hash = new_refresh_token()
    web_session = WebSession(
        id=uuid.uuid4(),
        user_id=user.id,
        token_hash=token_hash,
        created_at=now,
        last_seen_at=now,
    )
    session.add(web_session)
    session.commit()
    return SignedIn(token=token, web_session=web_session, user=user)


def _end(web_session: WebSession, reason: str, now: datetime) -> None:
    if web_session.ended_at is None:
        web_session.ended_at = now
        web_session.end_reason = reason


def resolve(*, session: Session, token: str | None, now: datetime) -> Resolved:
    """The session a cookie's token belongs to, if it is still open; a session found idle or
    past its absolute limit is ended here (and says which)."""
    if not token:
        return Resolved(None, None, "missing")
    if len(token) > 128:
        return Resolved(None, None, "unknown")
    web_session = session.scalar(
        select(WebSession).where(WebSession.token_hash == hash_token(token))
    )
    if web_session is None:
        return Resolved(None, None, "unknown")
    if web_session.ended_at is not None:
        return Resolved(web_session, None, "ended")
    refusal = None
    if now - web_session.created_at >= ABSOLUTE_TIMEOUT:
        refusal = "expired"
    elif now - web_session.last_seen_at >= IDLE_TIMEOUT:
        refusal = "idle"
    user = accounts_service.find_user(session=session, user_id=web_session.user_id)
    if refusal is None and (user is None or user.role != "therapist"):
        refusal = "ended"
    if refusal is not None:
        _end(web_session, refusal, now)
        session.commit()
        return Resolved(web_session, None, refusal)
    if now - web_session.last_seen_at >= LAST_SEEN_RESOLUTION:
        web_session.last_seen_at = now
        session.commit()
    return Resolved(web_session, user)


def sign_out(*, session: Session, web_session_id: uuid.UUID, now: datetime) -> None:
    """Ends the session at once: its cookie opens nothing from now on."""
    web_session = session.get(WebSession, web_session_id)
    if web_session is not None:
        _end(web_session, "logout", now)
    session.commit()


def export_for_user(*, session: Session, user: User) -> list[WebSession]:
    """Every workspace session the user opened, oldest first, for their export (never the
    token's hash)."""
    return list(
        session.scalars(
            select(WebSession).where(WebSession.user_id == user.id).order_by(WebSession.created_at)
        )
    )


def erase_for_user(*, session: Session, user: User) -> None:
    """Part of account erasure: the user's workspace sessions go (no commit)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def purge_old(*, session: Session, before: datetime, limit: int) -> int:
    """Retention: deletes up to `limit` sessions that ended, or began, before `before` (any
    session begun then is past its absolute limit anyway)."""
    ids = list(
        session.scalars(
            select(WebSession.id)
            .where(or_(WebSession.ended_at < before, WebSession.created_at < before))
            .limit(limit)
        )
    )
    if ids:
        session.execute(delete(WebSession).where(WebSession.id.in_(ids)))
    session.commit()
    return len(ids)
