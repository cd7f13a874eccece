"""The personal journal: notes and thought records, the author's weekly patterns, and the
entries an author chose to share with their couple's therapist.

A journal belongs to its author. Every use case but `shared_entries` takes the author and
finds only their entries, so anyone else asking for an entry id gets 404. Nothing here notifies
anyone: journal words never leave the app in a push.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, case, delete, func, select
from sqlalchemy.orm import Session, aliased

from api import timeutil
from api.accounts.models import User
from api.buckets import week_of, week_params
from api.errors import NotFound, Unprocessable
from api.journal.models import KINDS, JournalEntry, JournalFeeling
from api.pagination import Cursor, Page, paginate
from api.pairing import service as pairing_service
from api.progress import service as progress_service
from api.unset import UNSET

DEFAULT_WEEKS = 8
MAX_WEEKS = 52
TOP_FEELINGS = 5
MAX_FEELINGS = 10

TEXT_FIELDS = (
    "text",
    "situation",
    "thought",
    "evidence_for",
    "evidence_against",
    "balanced_thought",
)
FEELING_FIELDS = ("feelings", "feelings_after")
# What each kind is made of; anything else sent with a value is refused, so a client cannot
# store words the app would never show. A note may name its feelings too, so patterns see them.
FIELDS_OF_KIND = {
    "note": frozenset({"text", "feelings"}),
    "thought_record": frozenset(
        {
            "situation",
            "thought",
            "feelings",
            "evidence_for",
            "evidence_against",
            "balanced_thought",
            "feelings_after",
        }
    ),
}
REQUIRED_OF_KIND = {"note": ("text",), "thought_record": ("situation", "thought")}
KIND_NAMES = {"note": "a note", "thought_record": "a thought record"}


@dataclass(frozen=True)
class Feeling:
    """A feeling named in an entry and how strong it was, 0 to 100."""

    name: str
    intensity: int


@dataclass(frozen=True)
class EntryView:
    id: uuid.UUID
    author_id: uuid.UUID
    kind: str
    text: str | None
    situation: str | None
    thought: str | None
    feelings: list[Feeling]
    evidence_for: str | None
    evidence_against: str | None
    balanced_thought: str | None
    feelings_after: list[Feeling]
    shared_with_therapist: bool
    created_at: datetime
    updated_at: datetime


def _view(entry: JournalEntry) -> EntryView:
    return EntryView(
        id=entry.id,
        author_id=entry.author_id,
        kind=entry.kind,
        text=entry.text,
        situation=entry.situation,
        thought=entry.thought,
        feelings=[Feeling(f.name, f.intensity) for f in entry.feelings if not f.after],
        evidence_for=entry.evidence_for,
        evidence_against=entry.evidence_against,
        balanced_thought=entry.balanced_thought,
        feelings_after=[Feeling(f.name, f.intensity) for f in entry.feelings if f.after],
        shared_with_therapist=entry.shared_with_therapist,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )


def _name_key(name: str) -> str:
    return name.lower()


def _feeling_rows(feelings: list[Feeling], *, after: bool) -> list[JournalFeeling]:
    return [
        JournalFeeling(
            id=uuid.uuid4(),
            after=after,
            position=position,
            name=feeling.name,
            name_key=_name_key(feeling.name),
            intensity=feeling.intensity,
        )
        for position, feeling in enumerate(feelings)
    ]


def _present(value: Any) -> bool:
    """Sent with something in it: null and an empty list say "nothing" for any kind."""
    return value is not None and value != []


def _check(kind: str, sent: dict[str, Any], result: dict[str, Any]) -> None:
    """422 naming each field that does not belong to the kind, each required one missing from
    the entry as it would be, and each list naming a feeling twice."""
    errors: dict[str, list[str]] = {}
    for name, value in sent.items():
        if _present(value) and name not in FIELDS_OF_KIND[kind]:
            errors[name] = [f"Not part of {KIND_NAMES[kind]}."]
    for name in REQUIRED_OF_KIND[kind]:
        if not result.get(name):
            errors[name] = [f"Required for {KIND_NAMES[kind]}."]
    for name in FEELING_FIELDS:
        feelings = sent.get(name) or []
        if len(feelings) > MAX_FEELINGS:
            errors[name] = [f"At most {MAX_FEELINGS} feelings."]
        elif len({_name_key(f.name) for f in feelings}) != len(feelings):
            errors[name] = ["Name each feeling once."]
    if errors:
        raise Unprocessable(errors={"json": errors})


# --- the author's journal ---------------------------------------------------------------------


def create_entry(
    *,
    session: Session,
    user: User,
    kind: str,
    now: datetime,
    text: str | None = None,
    situation: str | None = None,
    thought: str | None = None,
    feelings: list[Feeling] | None = None,
    evidence_for: str | None = None,
    evidence_against: str | None = None,
    balanced_thought: str | None = None,
    feelings_after: list[Feeling] | None = None,
    shared_with_therapist: bool = False,
) -> EntryView:
    """A new page in the caller's journal; shared with their therapist only if they say so."""
    if kind not in KINDS:
        raise Unprocessable(errors={"json": {"kind": [f"One of: {', '.join(KINDS)}."]}})
    texts = {
        "text": text,
        "situation": situation,
        "thought": thought,
        "evidence_for": evidence_for,
        "evidence_against": evidence_against,
        "balanced_thought": balanced_thought,
    }
    sent = {**texts, "feelings": feelings, "feelings_after": feelings_after}
    _check(kind, sent, sent)
    entry = JournalEntry(
        id=uuid.uuid4(),
        author_id=user.id,
        kind=kind,
        **texts,
        shared_with_therapist=shared_with_therapist,
        created_at=now,
        updated_at=now,
    )
    entry.feelings = _feeling_rows(feelings or [], after=False) + _feeling_rows(
        feelings_after or [], after=True
    )
    session.add(entry)
    session.commit()
    return _view(entry)


def _own(session: Session, user: User, entry_id: uuid.UUID) -> JournalEntry:
    """The caller's entry; anyone else's is 404, never a hint that it exists."""
    entry = session.get(JournalEntry, entry_id)
    if entry is None or entry.author_id != user.id:
        raise NotFound()
    return entry


def list_entries(
    *, session: Session, user: User, kind: str | None, limit: int, cursor: Cursor | None
) -> Page[EntryView]:
    """The caller's entries, newest first, of one kind or both."""
    stmt = select(JournalEntry).where(JournalEntry.author_id == user.id)
    if kind is not None:
        stmt = stmt.where(JournalEntry.kind == kind)
    page = paginate(
        session,
        stmt,
        at_column=JournalEntry.created_at,
        id_column=JournalEntry.id,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[_view(e) for e in page.items], next_cursor=page.next_cursor)


def get_entry(*, session: Session, user: User, entry_id: uuid.UUID) -> EntryView:
    return _view(_own(session, user, entry_id))


def update_entry(
    *,
    session: Session,
    user: User,
    entry_id: uuid.UUID,
    now: datetime,
    kind: str = UNSET,
    text: str | None = UNSET,
    situation: str | None = UNSET,
    thought: str | None = UNSET,
    feelings: list[Feeling] = UNSET,
    evidence_for: str | None = UNSET,
    evidence_against: str | None = UNSET,
    balanced_thought: str | None = UNSET,
    feelings_after: list[Feeling] = UNSET,
    shared_with_therapist: bool = UNSET,
) -> EntryView:
    """The author changes what they wrote, or shares or un-shares it; un-sharing hides the
    entry from the therapist at once. The kind stays; the entry must still be whole for it."""
    entry = _own(session, user, entry_id)
    if kind is not UNSET and kind != entry.kind:
        raise Unprocessable(
            errors={"json": {"kind": ["The kind of an entry cannot change; write a new one."]}}
        )
    texts = {
        "text": text,
        "situation": situation,
        "thought": thought,
        "evidence_for": evidence_for,
        "evidence_against": evidence_against,
        "balanced_thought": balanced_thought,
    }
    lists = {"feelings": feelings, "feelings_after": feelings_after}
    sent = {name: value for name, value in {**texts, **lists}.items() if value is not UNSET}
    result = {name: getattr(entry, name) for name in TEXT_FIELDS} | sent
    _check(entry.kind, sent, result)
    for name, value in texts.items():
        if value is not UNSET:
            setattr(entry, name, value)
    replaced = {
        name == "feelings_after": value for name, value in lists.items() if value is not UNSET
    }
    if replaced:
        # The old rows go first: a name kept in the new list would otherwise meet itself in
        # the unique index, since the unit of work inserts before it deletes.
        entry.feelings = [f for f in entry.feelings if f.after not in replaced]
        session.flush()
        for is_after, value in replaced.items():
            entry.feelings.extend(_feeling_rows(value, after=is_after))
    if shared_with_therapist is not UNSET:
        entry.shared_with_therapist = shared_with_therapist
    if sent or shared_with_therapist is not UNSET:
        entry.updated_at = now
    session.commit()
    return _view(entry)


def delete_entry(*, session: Session, user: User, entry_id: uuid.UUID) -> None:
    """Gone for good, for the author and for any therapist it was shared with."""
    entry = _own(session, user, entry_id)
    session.delete(entry)
    session.commit()


# --- patterns ---------------------------------------------------------------------------------


@cache
def _pattern_statements(weeks: int) -> tuple[Any, Any]:
    """The patterns' two statements for `weeks` weeks, built once and run with bind
    parameters: the week boundaries and `author_id`."""
    in_window = and_(
        JournalEntry.author_id == bindparam("author_id"),
        JournalEntry.created_at >= bindparam("b0"),
        JournalEntry.created_at < bindparam(f"b{weeks}"),
    )
    # Grouping by a subquery's column: PostgreSQL does not see two copies of a CASE with
    # separately bound parameters as the same expression.
    entries = (
        select(
            week_of(JournalEntry.created_at, weeks).label("week"),
            case((JournalEntry.kind == "thought_record", 1), else_=0).label("thought_record"),
        )
        .where(in_window)
        .subquery()
    )
    before, after = aliased(JournalFeeling), aliased(JournalFeeling)
    named = (
        select(
            week_of(JournalEntry.created_at, weeks).label("week"),
            before.name_key.label("name"),
            before.intensity.label("intensity"),
            after.intensity.label("intensity_after"),
        )
        .select_from(before)
        .join(JournalEntry, JournalEntry.id == before.entry_id)
        # Names are unique per list, so each feeling meets at most its own re-rating.
        .outerjoin(
            after,
            and_(
                after.entry_id == before.entry_id,
                after.after.is_(True),
                after.name_key == before.name_key,
            ),
        )
        .where(before.after.is_(False), in_window)
        .subquery()
    )
    return (
        select(entries.c.week, func.count(), func.sum(entries.c.thought_record)).group_by(
            entries.c.week
        ),
        select(
            named.c.week,
            named.c.name,
            func.count(),
            func.avg(named.c.intensity),
            func.avg(named.c.intensity_after),
        ).group_by(named.c.week, named.c.name),
    )


def patterns(*, session: Session, user: User, weeks: int, now: datetime) -> dict[str, Any]:
    """Per week, oldest first: how many entries and thought records the author wrote, and the
    five feelings they named most, with the mean intensity before and after reframing.

    Weeks start at local midnight on Monday in the author's zone, computed here as UTC instants
    and bucketed in SQL, as progress does: two statements whatever the journal's size. Names
    are compared lower-cased and reported lower-cased. A feeling's `mean_intensity_after` is
    over the entries that re-rated that same feeling; null when none did.
    """
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be 1..{MAX_WEEKS}, got {weeks}")
    tz = ZoneInfo(user.timezone)
    starts = progress_service.week_starts(today=timeutil.local_date(now, tz), weeks=weeks)
    boundaries = [
        timeutil.local_instant(day, time(0), tz)
        for day in [*starts, starts[-1] + timedelta(weeks=1)]
    ]
    entries_stmt, feelings_stmt = _pattern_statements(weeks)
    params = {**week_params(boundaries), "author_id": user.id}
    counts = {
        week: (count, int(thought_records or 0))
        for week, count, thought_records in session.execute(entries_stmt, params)
    }
    feelings: dict[int, list[dict[str, Any]]] = {}
    for week, name, count, mean, mean_after in session.execute(feelings_stmt, params):
        feelings.setdefault(week, []).append(
            {
                "name": name,
                "count": count,
                "mean_intensity": _mean(mean),
                "mean_intensity_after": _mean(mean_after),
            }
        )
    return {
        "timezone": user.timezone,
        "weeks": [
            {
                "week_start": start,
                "entries": counts.get(week, (0, 0))[0],
                "thought_records": counts.get(week, (0, 0))[1],
                "feelings": sorted(feelings.get(week, []), key=lambda f: (-f["count"], f["name"]))[
                    :TOP_FEELINGS
                ],
            }
            for week, start in enumerate(starts)
        ],
    }


def _mean(value: Any) -> float | None:
    # PostgreSQL averages integers as numeric (a Decimal), SQLite as a float.
    return None if value is None else round(float(value), 1)


# --- the therapist's view ---------------------------------------------------------------------


def shared_entries(
    *,
    session: Session,
    couple_id: uuid.UUID,
    limit: int,
    cursor: Cursor | None,
    member_ids: list[uuid.UUID] | None = None,
) -> Page[EntryView]:
    """The entries the couple's current members marked shared, newest first, for their
    therapist. The caller has checked the therapist's grant (for the API,
    `api.therapists.context.couple_access`); this finds the current members itself, so a
    former partner's entries never show whatever ids are passed. `member_ids` narrows further.
    """
    couple = pairing_service.get_couple_by_id(session=session, couple_id=couple_id)
    if couple is None or couple.ended_at is not None:
        return Page(items=[], next_cursor=None)
    authors = [m.user_id for m in couple.members if m.active]
    if member_ids is not None:
        authors = [user_id for user_id in authors if user_id in set(member_ids)]
    page = paginate(
        session,
        select(JournalEntry).where(
            JournalEntry.author_id.in_(authors), JournalEntry.shared_with_therapist.is_(True)
        ),
        at_column=JournalEntry.created_at,
        id_column=JournalEntry.id,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[_view(e) for e in page.items], next_cursor=page.next_cursor)


# --- export and erasure -----------------------------------------------------------------------


def export_for_user(*, session: Session, user: User) -> list[EntryView]:
    """The author's whole journal, oldest first, for their export."""
    entries = session.scalars(
        select(JournalEntry)
        .where(JournalEntry.author_id == user.id)
        .order_by(JournalEntry.created_at, JournalEntry.id)
    )
    return [_view(e) for e in entries]


def erase_for_user(*, session: Session, user: User) -> None:
    """Part of account erasure: the author's journal goes, feelings and all (no commit)."""
    entry_ids = select(JournalEntry.id).where(JournalEntry.author_id == user.id)
    session.execute(delete(JournalFeeling).where(JournalFeeling.entry_id.in_(entry_ids)))
    session.execute(delete(JournalEntry).where(JournalEntry.author_id == user.id))
