from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UUIDPrimaryKey, utcnow
from api.i18n import effective_locale

ROLES = ("partner", "therapist")
PLATFORMS = ("ios", "android", "web")


class User(UUIDPrimaryKey, Base):
    __tablename__ = "users"

    # Nullable: a Firebase account signed in by phone has no email.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    firebase_uid: Mapped[str | None] = mapped_column(String(128), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16), default="partner")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Any BCP 47 tag the app sends; what Steady writes in is `effective_locale`.
    locale: Mapped[str] = mapped_column(String(35), default="en")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def effective_locale(self) -> str:
        """The supported locale that best serves `locale`."""
        return effective_locale(self.locale)


class Device(UUIDPrimaryKey, Base):
    __tablename__ = "devices"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Tokens may be up to 4 KiB, past PostgreSQL's btree row limit, so uniqueness is on a hash.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token: Mapped[str] = mapped_column(String(4096))
    platform: Mapped[str] = mapped_column(String(16))
    app_version: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
