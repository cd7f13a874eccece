from __future__ import annotations

import uuid
from datetime import datetime, time

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, UUIDPrimaryKey, utcnow
from api.prompts.library import CATEGORIES, KINDS, SOURCE_LOCALE

PROMPT_KINDS = KINDS
SOURCES = ("library", "couple", "therapist")
# each_local: each partner at `time` in their own zone; together: both at `time` in `timezone`.
DELIVERIES = ("each_local", "together")


class Prompt(UUIDPrimaryKey, Base):
    __tablename__ = "prompts"
    __table_args__ = (
        CheckConstraint("kind IN ('gratitude', 'check_in')", name="kind"),
        CheckConstraint("source IN ('library', 'couple', 'therapist')", name="source"),
        CheckConstraint(
            f"category IS NULL OR category IN ({', '.join(repr(c) for c in CATEGORIES)})",
            name="category",
        ),
        Index("ix_prompts_couple_id_kind", "couple_id", "kind"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    # Library prompts: the English text (their other locales are PromptTranslations). Couple
    # and therapist prompts: the words as written, in whatever language they were written.
    text: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(16))
    # Library prompts: a stable key, their place in the library's order and their category.
    library_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    position: Mapped[int | None] = mapped_column()
    category: Mapped[str | None] = mapped_column(String(16))
    # The couple's own and therapist-assigned prompts belong to one couple.
    couple_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("couples.id", ondelete="CASCADE")
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def locale(self) -> str | None:
        """The language of `text`: English for the library; for words people wrote, unknown."""
        return SOURCE_LOCALE if self.source == "library" else None


class PromptTranslation(Base):
    """A library prompt's text in one locale other than English."""

    __tablename__ = "prompt_translations"

    prompt_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("prompts.id", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    text: Mapped[str] = mapped_column(String(500))


class Schedule(UUIDPrimaryKey, Base):
    """When a couple is asked: a local time on some weekdays in a zone, and the next UTC instant
    that works out to (kept up to date on every change and every firing)."""

    __tablename__ = "schedules"
    __table_args__ = (
        CheckConstraint("kind IN ('gratitude', 'check_in')", name="kind"),
        CheckConstraint("delivery IN ('each_local', 'together')", name="delivery"),
        # The worker's claim reads only due schedules: an index range, not a scan. Inactive
        # schedules have no next_fire_at, and `next_fire_at <= :now` lets both planners prove
        # this predicate (they cannot match `active IS true` against `WHERE active`).
        Index(
            "ix_schedules_due",
            "next_fire_at",
            sqlite_where=text("next_fire_at IS NOT NULL"),
            postgresql_where=text("next_fire_at IS NOT NULL"),
        ),
    )

    couple_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("couples.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    # None: rotate through the library prompts of this kind (within `categories`, if set).
    prompt_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("prompts.id", ondelete="SET NULL")
    )
    categories: Mapped[list[str] | None] = mapped_column(JSON)
    days: Mapped[list[str] | None] = mapped_column(JSON)
    time: Mapped[time] = mapped_column(Time())
    # The zone of a `together` schedule; an `each_local` one keeps it for a switch back.
    timezone: Mapped[str] = mapped_column(String(64))
    delivery: Mapped[str] = mapped_column(String(16), default="each_local")
    active: Mapped[bool] = mapped_column(default=True)
    next_fire_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Round(UUIDPrimaryKey, Base):
    """One asking of one prompt to both partners."""

    __tablename__ = "rounds"
    __table_args__ = (
        # A schedule fires once per instant, however many workers race for it.
        UniqueConstraint("schedule_id", "fire_at"),
        Index("ix_rounds_couple_id_asked_at", "couple_id", "asked_at"),
    )

    couple_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    prompt_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("prompts.id", ondelete="SET NULL"), index=True
    )
    # Kept with the round: the history reads the same after a custom prompt is erased.
    prompt_text: Mapped[str] = mapped_column(String(500))
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("schedules.id", ondelete="SET NULL")
    )
    fire_at: Mapped[datetime | None] = mapped_column()
    asked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()

    answers: Mapped[list[Answer]] = relationship(
        lazy="selectin", order_by="Answer.created_at", passive_deletes=True
    )


class Answer(UUIDPrimaryKey, Base):
    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str | None] = mapped_column(String(1000))
    rating: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
