from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, UUIDPrimaryKey, utcnow

SCOPES = ("summary", "summary_and_content")
GRANT_STATUSES = ("pending", "active", "revoked")


class LinkCode(UUIDPrimaryKey, Base):
    """A therapist's code that couples type in to invite them; serves several couples."""

    __tablename__ = "therapist_link_codes"

    code: Mapped[str] = mapped_column(String(8), unique=True)
    therapist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class Grant(UUIDPrimaryKey, Base):
    """A couple's consent for one therapist: active only once both partners approved."""

    __tablename__ = "therapist_grants"
    __table_args__ = (
        CheckConstraint("scope IN ('summary', 'summary_and_content')", name="scope"),
        CheckConstraint("status IN ('pending', 'active', 'revoked')", name="status"),
        # At most one live grant per couple and therapist, whatever requests race.
        Index(
            "uq_therapist_grants_live",
            "couple_id",
            "therapist_id",
            unique=True,
            sqlite_where=text("status IN ('pending', 'active')"),
            postgresql_where=text("status IN ('pending', 'active')"),
        ),
    )

    couple_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("couples.id", ondelete="CASCADE"), index=True
    )
    # Nullable: erasing the therapist's account ends the grant, and the couple keeps its record.
    therapist_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    scope: Mapped[str] = mapped_column(String(24), default="summary")
    status: Mapped[str] = mapped_column(String(8), default="pending")
    added_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    approvals: Mapped[list[GrantApproval]] = relationship(
        lazy="selectin", order_by="GrantApproval.approved_at", passive_deletes=True
    )


class GrantApproval(Base):
    __tablename__ = "therapist_grant_approvals"

    grant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("therapist_grants.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    approved_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessLogEntry(UUIDPrimaryKey, Base):
    """Every therapist request about a couple, allowed or denied; never content.

    Written only by the service; the API offers no way to change or delete it.
    """

    __tablename__ = "therapist_access_log"
    __table_args__ = (
        CheckConstraint("outcome IN ('allowed', 'denied')", name="outcome"),
        Index(
            "ix_therapist_access_log_couple_id_therapist_id_at", "couple_id", "therapist_id", "at"
        ),
    )

    couple_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    therapist_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    grant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("therapist_grants.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(40))
    path: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Assignment(UUIDPrimaryKey, Base):
    """A therapist's prompt with a schedule on the couple, delivered by the same worker."""

    __tablename__ = "therapist_assignments"
    __table_args__ = (
        Index("ix_therapist_assignments_couple_id_created_at", "couple_id", "created_at"),
    )

    couple_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    therapist_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    grant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("therapist_grants.id", ondelete="SET NULL")
    )
    prompt_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("prompts.id", ondelete="SET NULL")
    )
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("schedules.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column()
