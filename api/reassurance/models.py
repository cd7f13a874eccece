from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UUIDPrimaryKey, utcnow

DEFAULT_DAILY_LIMIT = 3


class ReassuranceRequest(UUIDPrimaryKey, Base):
    """A partner asking the other for reassurance, to be answered in the other's own words."""

    __tablename__ = "reassurance_requests"
    __table_args__ = (
        Index("ix_reassurance_requests_couple_id_created_at", "couple_id", "created_at"),
        # One open request per asker in a couple, kept by the database whatever concurrent
        # requests do; with it, the daily limit cannot be overrun by a race either.
        Index(
            "uq_reassurance_requests_open_asker",
            "couple_id",
            "asker_id",
            unique=True,
            sqlite_where=text("answered_at IS NULL AND withdrawn_at IS NULL"),
            postgresql_where=text("answered_at IS NULL AND withdrawn_at IS NULL"),
        ),
    )

    couple_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    asker_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str | None] = mapped_column(String(280))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set with the answer; it stays when the answer is erased with its author.
    answered_at: Mapped[datetime | None] = mapped_column()
    withdrawn_at: Mapped[datetime | None] = mapped_column()


class ReassuranceAnswer(UUIDPrimaryKey, Base):
    """The partner's answer, in their own words: one per request."""

    __tablename__ = "reassurance_answers"
    __table_args__ = (
        # The weekly figures count answers by when they were given.
        Index("ix_reassurance_answers_author_id_created_at", "author_id", "created_at"),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reassurance_requests.id", ondelete="CASCADE"), unique=True
    )
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CoupleSettings(UUIDPrimaryKey, Base):
    """Settings the two partners share; either may change them."""

    __tablename__ = "couple_settings"
    __table_args__ = (
        CheckConstraint("reassurance_daily_limit BETWEEN 1 AND 10", name="reassurance_daily_limit"),
    )

    couple_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("couples.id", ondelete="CASCADE"), unique=True
    )
    reassurance_daily_limit: Mapped[int] = mapped_column(default=DEFAULT_DAILY_LIMIT)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
