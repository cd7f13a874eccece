from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, UUIDPrimaryKey, utcnow

KINDS = ("note", "thought_record")


class JournalFeeling(UUIDPrimaryKey, Base):
    """One feeling named in an entry, with its intensity: before the reframing, or re-rated
    after it (`after`). A row each, so the weekly patterns are aggregated in SQL."""

    __tablename__ = "journal_feelings"
    __table_args__ = (
        # A name appears at most once in each list of an entry.
        UniqueConstraint("entry_id", "after", "name_key"),
        CheckConstraint("intensity BETWEEN 0 AND 100", name="intensity"),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="CASCADE")
    )
    after: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(40))
    # The name lower-cased in Python, so both databases compare names alike (SQLite's lower()
    # folds ASCII only). Lower-casing lengthens only U+0130 (to two characters): 80 is room.
    name_key: Mapped[str] = mapped_column(String(80))
    intensity: Mapped[int] = mapped_column()


class JournalEntry(UUIDPrimaryKey, Base):
    """A page of one person's journal: a note, or a thought record (a CBT exercise that weighs
    an anxious thought against the evidence). It belongs to its author alone; a therapist sees
    it only while the author shares it and their couple's grant to that therapist is active."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('note', 'thought_record')", name="kind"),
        # The author's pages newest first, the weeks of their patterns, and the shared pages of
        # a couple's members all read this index.
        Index("ix_journal_entries_author_id_created_at", "author_id", "created_at"),
    )

    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(String(5000))
    situation: Mapped[str | None] = mapped_column(String(2000))
    thought: Mapped[str | None] = mapped_column(String(2000))
    evidence_for: Mapped[str | None] = mapped_column(String(2000))
    evidence_against: Mapped[str | None] = mapped_column(String(2000))
    balanced_thought: Mapped[str | None] = mapped_column(String(2000))
    shared_with_therapist: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    feelings: Mapped[list[JournalFeeling]] = relationship(
        lazy="selectin",
        order_by=[JournalFeeling.after, JournalFeeling.position],
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
