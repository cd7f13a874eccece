from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, UUIDPrimaryKey, utcnow

INVITE_STATUSES = ("open", "used", "revoked")


class Invite(UUIDPrimaryKey, Base):
    __tablename__ = "invites"
    __table_args__ = (CheckConstraint("status IN ('open', 'used', 'revoked')", name="status"),)

    code: Mapped[str] = mapped_column(String(8), unique=True)
    inviter_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    couple_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("couples.id", ondelete="SET NULL")
    )


class Couple(UUIDPrimaryKey, Base):
    __tablename__ = "couples"

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    # Bumped in the same transaction as every write that changes what the couple sees, so a
    # read can tell it is unchanged without building it (ETag, cached progress).
    version: Mapped[int] = mapped_column(default=0, server_default="0")

    members: Mapped[list[CoupleMember]] = relationship(
        back_populates="couple", lazy="selectin", order_by="CoupleMember.slot"
    )

    @property
    def since(self) -> datetime:
        return self.created_at

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def member_ids(self) -> list[uuid.UUID]:
        return [m.user_id for m in self.members]

    def partner_id_of(self, user_id: uuid.UUID) -> uuid.UUID | None:
        """The other partner's id, or None when they erased their account."""
        for member in self.members:
            if member.user_id != user_id:
                return member.user_id
        return None


class CoupleMember(UUIDPrimaryKey, Base):
    """A partner's place in a couple.

    The database, not only Python, keeps the pairing invariants: `slot` is 1 or 2 and unique per
    couple (never three partners), and a partial unique index allows one active membership per
    user (never two couples at once), whatever concurrent requests do.
    """

    __tablename__ = "couple_members"
    __table_args__ = (
        UniqueConstraint("couple_id", "slot"),
        CheckConstraint("slot IN (1, 2)", name="slot"),
        # Every couple-scoped request looks up the caller's membership by user.
        Index("ix_couple_members_user_id", "user_id"),
        Index(
            "uq_couple_members_active_user",
            "user_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    couple_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("couples.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    couple: Mapped[Couple] = relationship(back_populates="members")
