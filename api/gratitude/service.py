"""Gratitude notes: thanks said unprompted, and seen to be received."""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, delete, func, or_, select
from sqlalchemy.orm import Session

from api.accounts.models import User
from api.buckets import week_of, week_params
from api.db import get_in_couple
from api.errors import Conflict, Forbidden
from api.gratitude.models import GratitudeNote
from api.i18n import N_, Message
from api.notifications import service as notifications_service
from api.pagination import Cursor, Page, paginate
from api.pairing import service as pairing_service
from api.pairing.models import Couple


def send_note(
    *, session: Session, couple: Couple, author: User, text: str, now: datetime
) -> GratitudeNote:
    """Stores the note and tells the partner, in one transaction."""
    note = GratitudeNote(
        id=uuid.uuid4(),
        couple_id=couple.id,
        author_id=author.id,
        recipient_id=couple.partner_id_of(author.id),
        text=text,
        created_at=now,
    )
    session.add(note)
    if note.recipient_id is not None:
        notifications_service.enqueue(
            session=session,
            recipient_id=note.recipient_id,
            couple_id=couple.id,
            kind="gratitude_received",
            title=Message(N_("{name} sent you a thank-you"), name=author.display_name),
            # The words stay in the app: a lock screen is not private.
            body=Message(N_("Open Steady to read it.")),
            data={"gratitude_id": str(note.id)},
            dedupe_key=f"gratitude_received:{note.id}",
            expires_at=None,
            now=now,
        )
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return note


def list_notes(
    *,
    session: Session,
    couple: Couple,
    user: User,
    direction: str | None,
    limit: int,
    cursor: Cursor | None,
    acknowledged: bool | None = None,
) -> Page[GratitudeNote]:
    """The notes the user sent or received (or one direction), newest first; only the
    acknowledged or the unacknowledged ones when `acknowledged` says so."""
    return paginate(
        session,
        _notes_statement(direction, acknowledged),
        at_column=GratitudeNote.created_at,
        id_column=GratitudeNote.id,
        limit=limit,
        cursor=cursor,
        params={"couple_id": couple.id, "user_id": user.id},
    )


@cache
def _notes_statement(direction: str | None, acknowledged: bool | None):
    """A couple's (`couple_id`) notes in one direction for `user_id`; built once."""
    me = bindparam("user_id")
    stmt = select(GratitudeNote).where(GratitudeNote.couple_id == bindparam("couple_id"))
    if direction == "sent":
        stmt = stmt.where(GratitudeNote.author_id == me)
    elif direction == "received":
        stmt = stmt.where(GratitudeNote.recipient_id == me)
    else:
        stmt = stmt.where(or_(GratitudeNote.author_id == me, GratitudeNote.recipient_id == me))
    if acknowledged is not None:
        stmt = stmt.where(
            GratitudeNote.acknowledged_at.is_not(None)
            if acknowledged
            else GratitudeNote.acknowledged_at.is_(None)
        )
    return stmt


_COUNT_TO_ACKNOWLEDGE = select(func.count(GratitudeNote.id)).where(
    GratitudeNote.couple_id == bindparam("couple_id"),
    GratitudeNote.recipient_id == bindparam("user_id"),
    GratitudeNote.acknowledged_at.is_(None),
)


def count_to_acknowledge(*, session: Session, couple: Couple, user: User) -> int:
    """How many notes the user received and has not acknowledged (for the home screen)."""
    return session.connection().scalar(
        _COUNT_TO_ACKNOWLEDGE, {"couple_id": couple.id, "user_id": user.id}
    )


def list_couple_notes(
    *, session: Session, couple_id: uuid.UUID, limit: int, cursor: Cursor | None
) -> Page[GratitudeNote]:
    """Every note of the couple, newest first (the therapist's content view)."""
    return paginate(
        session,
        select(GratitudeNote).where(GratitudeNote.couple_id == couple_id),
        at_column=GratitudeNote.created_at,
        id_column=GratitudeNote.id,
        limit=limit,
        cursor=cursor,
    )


def get_note(*, session: Session, couple: Couple, note_id: uuid.UUID) -> GratitudeNote:
    return get_in_couple(session, GratitudeNote, note_id, couple.id)


def acknowledge(
    *,
    session: Session,
    couple: Couple,
    user: User,
    note_id: uuid.UUID,
    now: datetime,
    reaction: str | None = None,
) -> GratitudeNote:
    """The recipient says they saw it; the author hears back."""
    note = get_note(session=session, couple=couple, note_id=note_id)
    if note.recipient_id != user.id:
        raise Forbidden("not_recipient", "Only the person thanked can acknowledge a note.")
    if note.acknowledged_at is not None:
        raise Conflict("already_acknowledged", "You already acknowledged this note.")
    note.acknowledged_at = now
    note.reaction = reaction
    notifications_service.enqueue(
        session=session,
        recipient_id=note.author_id,
        couple_id=couple.id,
        kind="gratitude_acknowledged",
        title=Message(N_("{name} saw your thank-you"), name=user.display_name),
        body=Message(N_("They reacted {reaction}"), reaction=reaction)
        if reaction
        else Message(N_("Your note landed.")),
        data={"gratitude_id": str(note.id)},
        dedupe_key=f"gratitude_acknowledged:{note.id}",
        now=now,
    )
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return note


@dataclass(frozen=True)
class ExportedNote:
    """A note as one of the two partners exports it."""

    id: uuid.UUID
    direction: str  # "sent" | "received"
    text: str
    reaction: str | None
    created_at: datetime
    acknowledged_at: datetime | None


def export_couple(*, session: Session, couple_id: uuid.UUID, user: User) -> list[ExportedNote]:
    notes = session.scalars(
        select(GratitudeNote)
        .where(
            GratitudeNote.couple_id == couple_id,
            or_(GratitudeNote.author_id == user.id, GratitudeNote.recipient_id == user.id),
        )
        .order_by(GratitudeNote.created_at)
    )
    return [
        ExportedNote(
            id=n.id,
            direction="sent" if n.author_id == user.id else "received",
            text=n.text,
            reaction=n.reaction,
            created_at=n.created_at,
            acknowledged_at=n.acknowledged_at,
        )
        for n in notes
    ]


def erase_for_user(*, session: Session, user: User) -> None:
    """Part of account erasure: the notes the user wrote go (no commit)."""
    session.execute(delete(GratitudeNote).where(GratitudeNote.author_id == user.id))


# --- weekly figures ---------------------------------------------------------------------------


@cache
def _weekly_statements(weeks: int) -> dict[str, Any]:
    """The figures' statements for a report of `weeks` weeks, built once and run with bind
    parameters: the week boundaries, `couple_id`, `members`, `since`, `start`, `now`."""

    def by_week(who: Any, at: Any):
        rows = (
            select(
                week_of(at, weeks).label("week"),
                who.label("user_id"),
                case((at >= bindparam("since"), 1), else_=0).label("recent"),
                at.label("at"),
            )
            .where(
                GratitudeNote.couple_id == bindparam("couple_id"),
                who.in_(bindparam("members", expanding=True)),
                at >= bindparam("start"),
                at <= bindparam("now"),
            )
            .subquery()
        )
        # Grouping by the subquery's column, not the CASE itself: PostgreSQL does not see two
        # copies of a CASE with separately bound parameters as the same expression.
        return select(
            rows.c.week,
            rows.c.user_id,
            func.count(),
            func.sum(rows.c.recent),
            func.min(case((rows.c.recent == 1, rows.c.at))),
        ).group_by(rows.c.week, rows.c.user_id)

    return {
        "sent": by_week(GratitudeNote.author_id, GratitudeNote.created_at),
        "acknowledged": by_week(GratitudeNote.recipient_id, GratitudeNote.acknowledged_at),
        # Bounded by the window's notes; PostgreSQL has a median (percentile_cont), SQLite none.
        "ack_hours": select(
            GratitudeNote.recipient_id, GratitudeNote.created_at, GratitudeNote.acknowledged_at
        ).where(
            GratitudeNote.couple_id == bindparam("couple_id"),
            GratitudeNote.recipient_id.in_(bindparam("members", expanding=True)),
            GratitudeNote.created_at >= bindparam("since"),
            GratitudeNote.created_at <= bindparam("now"),
            GratitudeNote.acknowledged_at <= bindparam("now"),
        ),
    }


def _counts(
    session: Session, stmt: Any, params: dict[str, Any], weeks: int
) -> tuple[dict[uuid.UUID, tuple[list[int], int]], datetime | None]:
    """Per partner: counts per week and since `since`; and the oldest instant since `since`."""
    counts: dict[uuid.UUID, tuple[list[int], int]] = {}
    oldest: datetime | None = None
    for week, user_id, count, recent, first in session.connection().execute(stmt, params):
        per_week, total = counts.setdefault(user_id, ([0] * weeks, 0))
        if 0 <= week < weeks:
            per_week[week] = count
        counts[user_id] = (per_week, total + int(recent or 0))
        if first is not None and (oldest is None or first < oldest):
            oldest = first
    return counts, oldest


def weekly_counts(
    *,
    session: Session,
    couple_id: uuid.UUID,
    member_ids: list[uuid.UUID],
    boundaries: list[datetime],
    since: datetime,
    now: datetime,
) -> dict[str, Any]:
    """Per partner: notes sent and acknowledgements made per week, notes sent since `since`,
    and the median hours they took to acknowledge notes they received since `since`; and
    `oldest_since`, the oldest note counted since `since` (when it leaves the window, the
    figures change).

    `boundaries` are the UTC instants that start each week, then the end of the last one.
    Three statements however many notes there are.
    """
    weeks = len(boundaries) - 1
    statements = _weekly_statements(weeks)
    params = {
        **week_params(boundaries),
        "couple_id": couple_id,
        "members": member_ids,
        "since": since,
        "start": min(boundaries[0], since),
        "now": now,
    }
    sent, oldest = _counts(session, statements["sent"], params, weeks)
    acknowledged, _ = _counts(session, statements["acknowledged"], params, weeks)
    hours: dict[uuid.UUID, list[float]] = {user_id: [] for user_id in member_ids}
    for recipient_id, created_at, acknowledged_at in session.connection().execute(
        statements["ack_hours"], params
    ):
        hours[recipient_id].append((acknowledged_at - created_at).total_seconds() / 3600)
    result: dict[str, Any] = {"oldest_since": oldest, "partners": {}}
    for user_id in member_ids:
        sent_weekly, sent_recent = sent.get(user_id) or ([0] * weeks, 0)
        acknowledged_weekly, _ = acknowledged.get(user_id) or ([0] * weeks, 0)
        result["partners"][user_id] = {
            "sent": sent_weekly,
            "acknowledged": acknowledged_weekly,
            "sent_28d": sent_recent,
            "median_ack_hours_28d": statistics.median(hours[user_id]) if hours[user_id] else None,
        }
    return result
