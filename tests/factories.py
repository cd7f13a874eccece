"""Builders for users and signed-in callers, fast enough to use in every test."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy.orm import Session

from api.accounts.models import User
from api.auth import passwords
from api.auth.context import token_settings
from api.auth.service import _open_session

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@lru_cache(maxsize=1)
def password_hash() -> str:
    # One real Argon2id hash shared by every factory user: hashing costs ~40 ms each.
    return passwords.hash_password(PASSWORD)


@dataclass
class Actor:
    user: User
    access_token: str
    refresh_token: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.user.id)


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
    ) -> User:
        n = next(_counter)
        user = User(
            id=uuid.uuid4(),
            email=email or f"user{n}-{uuid.uuid4().hex[:6]}@example.com",
            password_hash=password_hash(),
            display_name=display_name or f"User {n}",
            role=role,
            timezone=timezone,
            created_at=self.clock(),
        )
        self.session.add(user)
        self.session.commit()
        return user

    def actor(self, user: User | None = None, **kwargs) -> Actor:
        """A signed-in user with a real session and tokens."""
        user = user or self.user(**kwargs)
        with self.app.app_context():
            pair = _open_session(
                self.session,
                settings=token_settings(),
                user=user,
                device_name="test",
                now=self.clock(),
            )
        self.session.commit()
        return Actor(
            user=user,
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            headers={"Authorization": f"Bearer {pair.access_token}"},
        )

    def partner(self, **kwargs) -> Actor:
        return self.actor(role="partner", **kwargs)

    def therapist(self, **kwargs) -> Actor:
        return self.actor(role="therapist", **kwargs)
