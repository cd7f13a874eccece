from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UUIDPrimaryKey, utcnow

KINDS = (
    "prompt",
    "partner_answered",
    "gratitude_received",
    "gratitude_acknowledged",
    "commitment_reminder",
    "commitment_kept",
    "commitment_confirmed",
    "pairing",
    "therapist",
    "agreement_reminder",
    "partner_checked_in",
    "partner_running_late",
    "reassurance_requested",
    "reassurance_answered",
)
STATUSES = ("pending", "sending", "sent", "skipped", "failed")


class Notification(UUIDPrimaryKey, Base):
    """One notification to one recipient: the outbox row the worker delivers, and the item the
    recipient sees in their in-app inbox."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'skipped', 'failed')", name="status"
        ),
        # The worker's claim: due pending rows and expired leases, oldest first.
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notifications_recipient_id_created_at", "recipient_id", "created_at"),
        Index("ix_notifications_recipient_id_sent_at", "recipient_id", "sent_at"),
    )

    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The couple the notification is about; ending the couple cancels it.
    couple_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("couples.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(1000))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    read_at: Mapped[datetime | None] = mapped_column()


class NotificationSettings(Base):
    __tablename__ = "notification_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    quiet_start: Mapped[time | None] = mapped_column(Time())
    quiet_end: Mapped[time | None] = mapped_column(Time())
    daily_cap: Mapped[int] = mapped_column(default=10)
    # Only the switched-off kinds are stored, so a kind added later is on for everyone.
    disabled_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
