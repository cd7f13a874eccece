from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UUIDPrimaryKey, utcnow


class GratitudeNote(UUIDPrimaryKey, Base):
    __tablename__ = "gratitude_notes"
    __table_args__ = (
        Index("ix_gratitude_notes_couple_id_created_at", "couple_id", "created_at"),
        # The weekly figures count acknowledgements by when they were made.
        Index("ix_gratitude_notes_couple_id_acknowledged_at", "couple_id", "acknowledged_at"),
    )

    couple_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    # Erasing the author erases their notes; erasing the recipient leaves the author's words.
    author_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(String(1000))
    reaction: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
