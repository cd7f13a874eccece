from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UUIDPrimaryKey, utcnow


class Commitment(UUIDPrimaryKey, Base):
    """A promise one partner makes to the other, due at a local time on some days (or once)."""

    __tablename__ = "commitments"
    __table_args__ = (
        Index("ix_commitments_couple_id_created_at", "couple_id", "created_at"),
        # The reminder job reads only commitments with a reminder due: an index, not a scan.
        Index(
            "ix_commitments_reminder_due",
            "next_reminder_at",
            sqlite_where=text("next_reminder_at IS NOT NULL"),
            postgresql_where=text("next_reminder_at IS NOT NULL"),
        ),
    )

    couple_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[str | None] = mapped_column(String(2000))
    # Recurring on these weekdays (None with no date: every day), or once on `date`.
    days: Mapped[list[str] | None] = mapped_column(JSON)
    date: Mapped[date | None] = mapped_column(Date())
    due_time: Mapped[time] = mapped_column(Time())
    timezone: Mapped[str] = mapped_column(String(64))
    remind_before_minutes: Mapped[int | None] = mapped_column()
    next_reminder_at: Mapped[datetime | None] = mapped_column()
    # The local date it was made on: no occurrence is due before it, nor before `created_at`
    # (api.occurrences).
    start_date: Mapped[date] = mapped_column(Date())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Deleted commitments disappear from the API; their past occurrences stay in the
    # couple's weekly figures.
    deleted_at: Mapped[datetime | None] = mapped_column()


class CommitmentCheck(UUIDPrimaryKey, Base):
    """The owner's record of one due occurrence: kept or missed."""

    __tablename__ = "commitment_checks"
    __table_args__ = (
        UniqueConstraint("commitment_id", "date"),
        CheckConstraint("status IN ('kept', 'missed')", name="status"),
    )

    commitment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE")
    )
    date: Mapped[date] = mapped_column(Date())
    status: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column()
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
