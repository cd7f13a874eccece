"""Builders for users and signed-in callers, fast enough to use in every test."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import jwt
from sqlalchemy.orm import Session

from api.accounts.models import User
from api.auth import passwords
from api.auth.context import token_settings
from api.auth.service import open_session
from api.auth.tokens import issue_access_token

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@lru_cache(maxsize=1)
def password_hash() -> str:
    # One real Argon2id hash shared by every factory user: hashing costs ~40 ms each.
    return passwords.hash_password(PASSWORD)


@dataclass
class Actor:
    """A signed-in user. `headers` carries an access token minted at the test clock's now, so
    tests can move the clock by days; `access_token` is the one issued at sign-in."""

    user: User
    access_token: str
    refresh_token: str
    session_id: uuid.UUID
    mint: Callable[[], str] = field(repr=False)

    @property
    def id(self) -> str:
        return str(self.user.id)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.mint()}"}


@dataclass
class Factory:
    app: object
    session: Session
    clock: object

    def user(
        self,
        *,
        role: str = "partner",
        email: str | None = None,
        display_name: str | None = None,
        timezone: str = "Europe/Paris",
        locale: str = "en",
    ) -> User:
        self.session.commit()  # start from a fresh snapshot: the app may have written since
        n = next(_counter)
        user = User(
            id=uuid.uuid4(),
            email=email or f"user{n}-{uuid.uuid4().hex[:6]}@example.com",
            password_hash=password_hash(),
            display_name=display_name or f"User {n}",
            role=role,
            timezone=timezone,
            locale=locale,
            created_at=self.clock(),
        )
        self.session.add(user)
        self.session.commit()
        return user

    def actor(self, user: User | None = None, **kwargs) -> Actor:
        """A signed-in user with a real session and tokens."""
        user = user or self.user(**kwargs)
        self.session.commit()
        with self.app.app_context():
            pair = open_session(
                self.session,
                settings=token_settings(),
                user=user,
                device_name="test",
                now=self.clock(),
            )
        self.session.commit()
        session_id = uuid.UUID(
            jwt.decode(pair.access_token, options={"verify_signature": False})["sid"]
        )

        def mint() -> str:
            with self.app.app_context():
                return issue_access_token(
                    settings=token_settings(),
                    user_id=user.id,
                    session_id=session_id,
                    role=user.role,
                    now=self.clock(),
                )

        return Actor(
            user=user,
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            session_id=session_id,
            mint=mint,
        )

    def partner(self, **kwargs) -> Actor:
        return self.actor(role="partner", **kwargs)

    def therapist(self, **kwargs) -> Actor:
        return self.actor(role="therapist", **kwargs)


def pair(factory: Factory, first: Actor | None = None, second: Actor | None = None):
    """Two partners paired through the real invite flow; returns (first, second, couple_id)."""
    from api.pairing import service as pairing_service

    first = first or factory.partner()
    second = second or factory.partner()
    factory.session.commit()
    invite = pairing_service.create_invite(
        session=factory.session, user=first.user, now=factory.clock()
    )
    couple = pairing_service.accept_invite(
        session=factory.session, user=second.user, code=invite.code, now=factory.clock()
    )
    factory.session.commit()
    return first, second, couple.id
