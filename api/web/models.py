from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UUIDPrimaryKey, utcnow

# Why a session ended: signed out, 30 idle minutes, 12 hours, or the account can no longer
# use the workspace.
END_REASONS = ("logout", "idle", "expired", "ended")


class WebSession(UUIDPrimaryKey, Base):
    """A therapist signed in to the workspace in one browser.

    The browser holds a random token; only its hash is stored, so a copy of this table opens
    nothing. Ending the row ends the session at once (logout, timeouts).
    """

    __tablename__ = "web_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(String(16))
