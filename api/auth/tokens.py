"""Access tokens (JWT) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jwt

from api.errors import Unauthorized

ALGORITHM = "HS256"
REFRESH_IDLE_LIMIT = timedelta(days=30)
REFRESH_ABSOLUTE_LIMIT = timedelta(days=90)


@dataclass(frozen=True)
class TokenSettings:
    secret: str
    issuer: str
    audience: str
    access_ttl_seconds: int = 900


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    role: str


def issue_access_token(
    *, settings: TokenSettings, user_id: uuid.UUID, session_id: uuid.UUID, role: str, now: datetime
) -> str:
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": str(user_id),
        "sid": str(session_id),
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + settings.access_ttl_seconds,
    }
    return jwt.encode(claims, settings.secret, algorithm=ALGORITHM)


def is_own_token(token: str, settings: TokenSettings) -> bool:
    """True when the token claims to be ours; anything else may be a Firebase ID token."""
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return False
    return unverified.get("iss") == settings.issuer


def decode_access_token(token: str, *, settings: TokenSettings, now: datetime) -> AccessClaims:
    """The token's claims once its signature, audience and issuer hold and it has not expired.

    Verified tokens are remembered (by the token and the settings that verified it), so a
    client's next requests skip the signature check; expiry is checked every time, and the
    session behind the token is read on every request whatever is remembered here.
    """
    expires, claims = _verified(token, settings)
    if expires <= int(now.timestamp()):
        raise Unauthorized("token_expired", "The access token has expired.")
    return claims


@lru_cache(maxsize=4096)
def _verified(token: str, settings: TokenSettings) -> tuple[int, AccessClaims]:
    try:
        claims = jwt.decode(
            token,
            settings.secret,
            # Pinned: a token naming another algorithm (`none` included) is refused.
            algorithms=[ALGORITHM],
            audience=settings.audience,
            issuer=settings.issuer,
            # Expiry is checked below against the injected clock, not PyJWT's wall clock.
            options={
                "require": ["exp", "iat", "sub", "sid", "iss", "aud"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token_expired", "The access token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid_token", "The access token is not valid.") from exc
    if not isinstance(claims["exp"], int):
        raise Unauthorized("invalid_token", "The access token is not valid.")
    try:
        return claims["exp"], AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            session_id=uuid.UUID(claims["sid"]),
            role=str(claims.get("role", "")),
        )
    except (ValueError, TypeError) as exc:
        raise Unauthorized("invalid_token", "The access token is not valid.") from exc


def new_refresh_token() -> tuple[str, str]:
    """Returns (token, hash): 256 random bits for the client, only the hash is stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
