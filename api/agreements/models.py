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

CHECK_IN_STATUSES = ("on_time", "late")
OCCURRENCE_STATUSES = ("pending", "on_time", "late", "late_notice", "missed")


class Agreement(UUIDPrimaryKey, Base):
    """A partner's promise to check in around a local time on some days ("12:30 on weekdays"),
    within a window of minutes."""

    __tablename__ = "agreements"
    __table_args__ = (
        Index("ix_agreements_couple_id_created_at", "couple_id", "created_at"),
        # The worker's two jobs read only agreements with something due: indexes, not scans.
        Index(
            "ix_agreements_reminder_due",
            "next_reminder_at",
            sqlite_where=text("next_reminder_at IS NOT NULL"),
            postgresql_where=text("next_reminder_at IS NOT NULL"),
        ),
        Index(
            "ix_agreements_nudge_due",
            "next_nudge_at",
            sqlite_where=text("next_nudge_at IS NOT NULL"),
            postgresql_where=text("next_nudge_at IS NOT NULL"),
        ),
        CheckConstraint("window_minutes BETWEEN 5 AND 120", name="window_minutes"),
        CheckConstraint("remind_before_minutes BETWEEN 0 AND 120", name="remind_before_minutes"),
    )

    couple_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    # These weekdays, or None: every day.
    days: Mapped[list[str] | None] = mapped_column(JSON)
    time: Mapped[time] = mapped_column(Time())
    timezone: Mapped[str] = mapped_column(String(64))
    window_minutes: Mapped[int] = mapped_column()
    remind_before_minutes: Mapped[int] = mapped_column()
    # The first local date with an occurrence: the creation date, or the next one when that
    # day's time had already passed when the agreement was made.
    start_date: Mapped[date] = mapped_column(Date())
    # When the worker next reminds the owner before a due time, and next looks at a window's
    # end; each claimed by compare-and-set, so every occurrence is handled once.
    next_reminder_at: Mapped[datetime | None] = mapped_column()
    next_nudge_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Deleted agreements disappear from the API; their past occurrences stay in the weekly
    # figures.
    deleted_at: Mapped[datetime | None] = mapped_column()


class CheckIn(UUIDPrimaryKey, Base):
    """The owner reaching out for one occurrence; on time or late by the window then."""

    __tablename__ = "agreement_check_ins"
    __table_args__ = (
        UniqueConstraint("agreement_id", "date"),
        CheckConstraint("status IN ('on_time', 'late')", name="status"),
    )

    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    # The occurrence: its local date in the agreement's zone, and its due instant.
    date: Mapped[date] = mapped_column(Date())
    due_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(8))
    message: Mapped[str | None] = mapped_column(String(280))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LateNotice(UUIDPrimaryKey, Base):
    """Word that the owner is running late, sent before the window closed, so the partner is
    not left waiting without news."""

    __tablename__ = "agreement_late_notices"
    __table_args__ = (
        UniqueConstraint("agreement_id", "date"),
        CheckConstraint("minutes BETWEEN 5 AND 240", name="minutes"),
    )

    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date())
    due_at: Mapped[datetime] = mapped_column()
    minutes: Mapped[int] = mapped_column()
    message: Mapped[str | None] = mapped_column(String(280))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
