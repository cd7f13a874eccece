"""Commitments: the ledger of promises made, kept and confirmed, and their reminders."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api import occurrences, timeutil
from api.accounts.models import User
from api.commitments.models import Commitment, CommitmentCheck
from api.db import get_in_couple, skip_locked
from api.errors import Conflict, Forbidden, NotFound, Unprocessable
from api.i18n import N_, Message, Verbatim
from api.notifications import service as notifications_service
from api.occurrences import DueToday, Recurrence
from api.pagination import Cursor, Page, paginate
from api.pairing import service as pairing_service
from api.pairing.models import Couple
from api.unset import UNSET

RATE_WINDOW_DAYS = 28
# The home screen asks the partner to confirm kept checks dated in the last two weeks.
CONFIRM_WINDOW_DAYS = 14
CHECK_STATUSES = ("kept", "missed")
STREAK_CHUNK_DAYS = 120
REMINDER_BATCH = 100
# A reminder is still worth sending a little after the due time, not hours later.
REMINDER_GRACE = timedelta(minutes=30)


@dataclass(frozen=True)
class Figures:
    kept_rate_28d: float | None
    current_streak: int
    next_due_at: datetime | None


@dataclass(frozen=True)
class CommitmentView:
    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    details: str | None
    days: list[str] | None
    date: date | None
    due_time: time
    timezone: str
    remind_before_minutes: int | None
    created_at: datetime
    updated_at: datetime
    kept_rate_28d: float | None
    current_streak: int
    next_due_at: datetime | None


@dataclass(frozen=True)
class TodayCommitment:
    """One of the user's commitments due today in its zone, with what they recorded for it."""

    commitment: Commitment
    date: date
    due_at: datetime
    check: CommitmentCheck | None


@dataclass(frozen=True)
class CheckToConfirm:
    """A kept occurrence of the partner's the user may confirm."""

    commitment: Commitment
    check: CommitmentCheck


# --- occurrences and figures (the arithmetic lives in api.occurrences) ------------------------


def recurrence(c: Commitment) -> Recurrence:
    return Recurrence.of(
        at=c.due_time,
        timezone=c.timezone,
        start_date=c.start_date,
        days=c.days,
        once=c.date,
        starts_at=c.created_at,
    )


def _next_reminder(c: Commitment, now: datetime) -> datetime | None:
    if c.remind_before_minutes is None or c.deleted_at is not None:
        return None
    return recurrence(c).next_reminder_at(now, timedelta(minutes=c.remind_before_minutes))


def _figures(
    session: Session, commitments: list[Commitment], now: datetime
) -> dict[uuid.UUID, Figures]:
    """Rate, streak and next due time; bounded reads: the 28-day window for all commitments in
    one query, older checks only while a streak keeps going, a chunk at a time."""
    if not commitments:
        return {}
    rules = {c.id: recurrence(c) for c in commitments}
    todays = {c.id: rules[c.id].local_date(now) for c in commitments}
    earliest = min(todays.values()) - timedelta(days=RATE_WINDOW_DAYS)
    recent: dict[uuid.UUID, dict[date, str]] = {c.id: {} for c in commitments}
    for commitment_id, day, status in session.execute(
        select(CommitmentCheck.commitment_id, CommitmentCheck.date, CommitmentCheck.status).where(
            CommitmentCheck.commitment_id.in_([c.id for c in commitments]),
            CommitmentCheck.date >= earliest,
        )
    ):
        recent[commitment_id][day] = status
    result = {}
    for c in commitments:
        rule, today, checks = rules[c.id], todays[c.id], recent[c.id]
        window = {"first": today - timedelta(days=RATE_WINDOW_DAYS - 1), "last": today}
        due = occurrences.count_due(rule, checks, **window, today=today, now=now)
        kept = sum(
            checks[day] == "kept"
            for day in occurrences.counted_records(rule, checks, **window, today=today)
        )
        result[c.id] = Figures(
            kept_rate_28d=occurrences.rate(kept, due),
            current_streak=occurrences.streak(
                rule,
                checks,
                today=today,
                loaded_from=earliest,
                load_older=lambda day, c=c: _older_checks(session, c.id, before=day),
            ),
            next_due_at=rule.next_due_at(now),
        )
    return result


def _older_checks(
    session: Session, commitment_id: uuid.UUID, *, before: date
) -> tuple[date, dict[date, str]]:
    """A streak ran past what was loaded: the next chunk back in time, up to `before`."""
    start = before - timedelta(days=STREAK_CHUNK_DAYS)
    rows = session.execute(
        select(CommitmentCheck.date, CommitmentCheck.status).where(
            CommitmentCheck.commitment_id == commitment_id,
            CommitmentCheck.date >= start,
            CommitmentCheck.date <= before,
        )
    )
    return start, {day: status for day, status in rows}


def _view(c: Commitment, figures: Figures) -> CommitmentView:
    return CommitmentView(
        id=c.id,
        owner_id=c.owner_id,
        title=c.title,
        details=c.details,
        days=c.days,
        date=c.date,
        due_time=c.due_time,
        timezone=c.timezone,
        remind_before_minutes=c.remind_before_minutes,
        created_at=c.created_at,
        updated_at=c.updated_at,
        kept_rate_28d=figures.kept_rate_28d,
        current_streak=figures.current_streak,
        next_due_at=figures.next_due_at,
    )


def _with_figures(session: Session, c: Commitment, now: datetime) -> CommitmentView:
    return _view(c, _figures(session, [c], now)[c.id])


# --- use cases --------------------------------------------------------------------------------


def _check_schedule(c: Commitment, now: datetime) -> None:
    if c.date is not None and c.date < timeutil.local_date(now, ZoneInfo(c.timezone)):
        raise Unprocessable(
            errors={"json": {"date": ["A one-off commitment cannot be in the past."]}}
        )


def create_commitment(
    *,
    session: Session,
    couple: Couple,
    user: User,
    title: str,
    due_time: time,
    now: datetime,
    details: str | None = None,
    days: list[str] | None = None,
    date: date | None = None,
    timezone: str | None = None,
    remind_before_minutes: int | None = None,
) -> CommitmentView:
    """A promise to the partner, owned by the caller."""
    zone = timezone or user.timezone
    c = Commitment(
        id=uuid.uuid4(),
        couple_id=couple.id,
        owner_id=user.id,
        title=title,
        details=details,
        days=timeutil.normalise_days(days),
        date=date,
        due_time=due_time,
        timezone=zone,
        remind_before_minutes=remind_before_minutes,
        start_date=timeutil.local_date(now, ZoneInfo(zone)),
        created_at=now,
        updated_at=now,
    )
    _check_schedule(c, now)
    c.next_reminder_at = _next_reminder(c, now)
    session.add(c)
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return _with_figures(session, c, now)


def _get(session: Session, couple: Couple, commitment_id: uuid.UUID) -> Commitment:
    c = get_in_couple(session, Commitment, commitment_id, couple.id)
    if c.deleted_at is not None:
        raise NotFound()
    return c


def _owned(session: Session, couple: Couple, user: User, commitment_id: uuid.UUID) -> Commitment:
    c = _get(session, couple, commitment_id)
    if c.owner_id != user.id:
        raise Forbidden("not_owner", "Only the partner who made this commitment can do this.")
    return c


def list_commitments(
    *,
    session: Session,
    couple: Couple,
    user: User,
    owner: str | None,
    limit: int,
    cursor: Cursor | None,
    now: datetime,
) -> Page[CommitmentView]:
    stmt = select(Commitment).where(
        Commitment.couple_id == couple.id, Commitment.deleted_at.is_(None)
    )
    if owner == "me":
        stmt = stmt.where(Commitment.owner_id == user.id)
    elif owner == "partner":
        stmt = stmt.where(Commitment.owner_id != user.id)
    page = paginate(
        session,
        stmt,
        at_column=Commitment.created_at,
        id_column=Commitment.id,
        limit=limit,
        cursor=cursor,
    )
    figures = _figures(session, page.items, now)
    return Page(
        items=[_view(c, figures[c.id]) for c in page.items],
        next_cursor=page.next_cursor,
        fresh_until=_changes_at(page.items, now),
    )


def _changes_at(commitments: Iterable[Commitment], now: datetime) -> datetime | None:
    """When time alone next changes what is shown of these commitments: a due instant passes
    (the occurrence counts, the next one is shown) or a day ends in a commitment's zone (the
    windows move, another day's occurrence is today's)."""
    changes = []
    for c in commitments:
        rule = recurrence(c)
        changes.append(timeutil.end_of_local_day(now, rule.tz))
        if (due_at := rule.next_due_at(now)) is not None:
            changes.append(due_at)
    return min(changes, default=None)


def due_today(
    *, session: Session, couple: Couple, user: User, now: datetime
) -> DueToday[TodayCommitment]:
    """The user's commitments due today in each one's zone, earliest first, each with the
    check recorded for today if any (for the home screen). Two statements however long the
    history: the user's commitments, then today's checks."""
    commitments = session.scalars(
        _OWN_COMMITMENTS, {"couple_id": couple.id, "user_id": user.id}
    ).all()
    due = []
    for c in commitments:
        rule = recurrence(c)
        today = rule.local_date(now)
        if rule.is_due(today):
            due.append((c, today, rule.due_instant(today)))
    checks: dict[tuple[uuid.UUID, date], CommitmentCheck] = {}
    if due:
        days = [day for _, day, _ in due]
        for check in session.scalars(
            _CHECKS_ON_DAYS,
            {"ids": [c.id for c, _, _ in due], "first": min(days), "last": max(days)},
        ):
            checks[check.commitment_id, check.date] = check
    items = [
        TodayCommitment(commitment=c, date=day, due_at=due_at, check=checks.get((c.id, day)))
        for c, day, due_at in due
    ]
    items.sort(key=lambda item: (item.due_at, str(item.commitment.id)))
    return DueToday(items=items, fresh_until=_changes_at(commitments, now))


_OWN_COMMITMENTS = select(Commitment).where(
    Commitment.couple_id == bindparam("couple_id"),
    Commitment.owner_id == bindparam("user_id"),
    Commitment.deleted_at.is_(None),
)
_CHECKS_ON_DAYS = select(CommitmentCheck).where(
    CommitmentCheck.commitment_id.in_(bindparam("ids", expanding=True)),
    CommitmentCheck.date >= bindparam("first"),
    CommitmentCheck.date <= bindparam("last"),
)
# The partner's kept checks dated after `since` in the user's calendar that nobody confirmed
# yet (only the user can), on commitments still shown.
_TO_CONFIRM = (
    Commitment.couple_id == bindparam("couple_id"),
    Commitment.owner_id != bindparam("user_id"),
    Commitment.deleted_at.is_(None),
    CommitmentCheck.status == "kept",
    CommitmentCheck.confirmed_at.is_(None),
    CommitmentCheck.date > bindparam("since"),
)
_CHECKS_TO_CONFIRM = (
    select(CommitmentCheck, Commitment)
    .join(Commitment, Commitment.id == CommitmentCheck.commitment_id)
    .where(*_TO_CONFIRM)
    .order_by(
        CommitmentCheck.date.desc(),
        CommitmentCheck.created_at.desc(),
        CommitmentCheck.id.desc(),
    )
    .limit(bindparam("limit", type_=Integer))
)
_COUNT_TO_CONFIRM = (
    select(func.count(CommitmentCheck.id))
    .join(Commitment, Commitment.id == CommitmentCheck.commitment_id)
    .where(*_TO_CONFIRM)
)


def _to_confirm(couple: Couple, user: User, now: datetime) -> dict[str, Any]:
    """`_TO_CONFIRM`'s values: the last CONFIRM_WINDOW_DAYS days of the user's calendar."""
    today = timeutil.local_date(now, ZoneInfo(user.timezone))
    return {
        "couple_id": couple.id,
        "user_id": user.id,
        "since": today - timedelta(days=CONFIRM_WINDOW_DAYS),
    }


def checks_to_confirm(
    *, session: Session, couple: Couple, user: User, now: datetime, limit: int
) -> list[CheckToConfirm]:
    """Up to `limit` of the partner's recent kept checks the user has not confirmed, newest
    occurrence first (for the home screen)."""
    rows = session.execute(
        _CHECKS_TO_CONFIRM, {**_to_confirm(couple, user, now), "limit": limit}
    )
    return [CheckToConfirm(commitment=c, check=check) for check, c in rows]


def count_checks_to_confirm(*, session: Session, couple: Couple, user: User, now: datetime) -> int:
    """How many checks `checks_to_confirm` would list without a limit."""
    return session.connection().scalar(_COUNT_TO_CONFIRM, _to_confirm(couple, user, now))


def list_couple_commitments(
    *, session: Session, couple_id: uuid.UUID, limit: int, cursor: Cursor | None, now: datetime
) -> Page[CommitmentView]:
    """Both partners' commitments with their figures, newest first (the therapist's view:
    whoever asks, the figures are the ones the couple sees)."""
    page = paginate(
        session,
        select(Commitment).where(
            Commitment.couple_id == couple_id, Commitment.deleted_at.is_(None)
        ),
        at_column=Commitment.created_at,
        id_column=Commitment.id,
        limit=limit,
        cursor=cursor,
    )
    figures = _figures(session, page.items, now)
    return Page(items=[_view(c, figures[c.id]) for c in page.items], next_cursor=page.next_cursor)


def get_commitment(
    *, session: Session, couple: Couple, commitment_id: uuid.UUID, now: datetime
) -> CommitmentView:
    return _with_figures(session, _get(session, couple, commitment_id), now)


def update_commitment(
    *,
    session: Session,
    couple: Couple,
    user: User,
    commitment_id: uuid.UUID,
    now: datetime,
    title: str = UNSET,
    details: str | None = UNSET,
    days: list[str] | None = UNSET,
    date: date | None = UNSET,
    due_time: time = UNSET,
    timezone: str = UNSET,
    remind_before_minutes: int | None = UNSET,
) -> CommitmentView:
    """The owner changes their commitment; past checks keep counting."""
    c = _owned(session, couple, user, commitment_id)
    if days is not UNSET and date is not UNSET and days is not None and date is not None:
        raise Unprocessable(errors={"json": {"date": ["Give either days or a date, not both."]}})
    if title is not UNSET:
        c.title = title
    if details is not UNSET:
        c.details = details
    if date is not UNSET and date is not None:
        c.date, c.days = date, None
    elif days is not UNSET:
        c.days, c.date = timeutil.normalise_days(days), None
    elif date is not UNSET:  # date: null turns a one-off into an every-day commitment
        c.date = None
    if due_time is not UNSET:
        c.due_time = due_time
    if timezone is not UNSET:
        c.timezone = timezone
    if remind_before_minutes is not UNSET:
        c.remind_before_minutes = remind_before_minutes
    _check_schedule(c, now)
    c.updated_at = now
    c.next_reminder_at = _next_reminder(c, now)
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return _with_figures(session, c, now)


def delete_commitment(
    *, session: Session, couple: Couple, user: User, commitment_id: uuid.UUID, now: datetime
) -> None:
    """Removes the commitment and its checks from view; the weekly figures keep them."""
    c = _owned(session, couple, user, commitment_id)
    c.deleted_at = now
    c.next_reminder_at = None
    # What was written goes; only the fact of each occurrence stays for the figures.
    session.execute(
        update(CommitmentCheck).where(CommitmentCheck.commitment_id == c.id).values(note=None)
    )
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()


def record_check(
    *,
    session: Session,
    couple: Couple,
    user: User,
    commitment_id: uuid.UUID,
    date: date,
    status: str,
    now: datetime,
    note: str | None = None,
) -> CommitmentCheck:
    """The owner records one due occurrence; a kept one tells the partner."""
    if status not in CHECK_STATUSES:
        raise Unprocessable(errors={"json": {"status": ["Must be kept or missed."]}})
    c = _owned(session, couple, user, commitment_id)
    rule = recurrence(c)
    if date > rule.local_date(now):
        raise Unprocessable(
            "date_in_future",
            "That date has not come yet.",
            errors={"json": {"date": ["The date is in the future."]}},
        )
    if not rule.is_due(date):
        raise Unprocessable(
            "not_due",
            "The commitment was not due on that date.",
            errors={"json": {"date": ["Not a due date of this commitment."]}},
        )
    check = CommitmentCheck(
        id=uuid.uuid4(), commitment_id=c.id, date=date, status=status, note=note, created_at=now
    )
    session.add(check)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("already_recorded", "That date is already recorded.") from exc
    partner_id = couple.partner_id_of(user.id)
    if status == "kept" and partner_id is not None:
        notifications_service.enqueue(
            session=session,
            recipient_id=partner_id,
            couple_id=couple.id,
            kind="commitment_kept",
            title=Message(N_("{name} kept a promise"), name=user.display_name),
            body=Verbatim(c.title),
            data={"commitment_id": str(c.id), "check_id": str(check.id)},
            dedupe_key=f"commitment_kept:{check.id}",
            now=now,
        )
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return check


def list_checks(
    *,
    session: Session,
    couple: Couple,
    commitment_id: uuid.UUID,
    limit: int,
    cursor: Cursor | None,
) -> Page[CommitmentCheck]:
    c = _get(session, couple, commitment_id)
    return paginate(
        session,
        select(CommitmentCheck).where(CommitmentCheck.commitment_id == c.id),
        at_column=CommitmentCheck.created_at,
        id_column=CommitmentCheck.id,
        limit=limit,
        cursor=cursor,
    )


def confirm_check(
    *,
    session: Session,
    couple: Couple,
    user: User,
    commitment_id: uuid.UUID,
    check_id: uuid.UUID,
    now: datetime,
) -> CommitmentCheck:
    """The partner confirms a kept promise; the owner hears it was noticed."""
    c = _get(session, couple, commitment_id)
    check = session.get(CommitmentCheck, check_id)
    if check is None or check.commitment_id != c.id:
        raise NotFound()
    if c.owner_id == user.id:
        raise Forbidden("cannot_confirm_own", "Your partner confirms what you kept.")
    if check.status != "kept":
        raise Conflict("not_kept", "Only a kept occurrence can be confirmed.")
    if check.confirmed_at is not None:
        raise Conflict("already_confirmed", "You already confirmed this.")
    check.confirmed_at = now
    check.confirmed_by = user.id
    notifications_service.enqueue(
        session=session,
        recipient_id=c.owner_id,
        couple_id=couple.id,
        kind="commitment_confirmed",
        title=Message(N_("{name} noticed"), name=user.display_name),
        body=Message(N_("They confirmed you kept: {title}"), title=c.title),
        data={"commitment_id": str(c.id), "check_id": str(check.id)},
        dedupe_key=f"commitment_confirmed:{check.id}",
        now=now,
    )
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return check


# --- the worker's job -------------------------------------------------------------------------


def send_due_reminders(
    *, session_factory: sessionmaker[Session], now: datetime, limit: int = REMINDER_BATCH
) -> int:
    """Reminds owners before each due time: at most once per occurrence, DST-correct."""
    sent = 0
    with session_factory() as session:
        stmt = (
            select(Commitment)
            .where(Commitment.next_reminder_at.is_not(None), Commitment.next_reminder_at <= now)
            .order_by(Commitment.next_reminder_at)
            .limit(limit)
        )
        for c in list(session.scalars(skip_locked(stmt, session))):
            sent += _remind(session, c, now)
        session.commit()
    return sent


def _remind(session: Session, c: Commitment, now: datetime) -> int:
    remind_at = c.next_reminder_at
    assert remind_at is not None and c.remind_before_minutes is not None
    due = remind_at + timedelta(minutes=c.remind_before_minutes)
    occurrence = timeutil.local_date(due, ZoneInfo(c.timezone))
    advanced = session.execute(
        update(Commitment)
        .where(Commitment.id == c.id, Commitment.next_reminder_at == remind_at)
        .values(next_reminder_at=_next_reminder(c, now))
        .execution_options(synchronize_session=False)
    ).rowcount
    if advanced != 1 or now > due + REMINDER_GRACE:
        return 0  # another worker had it, or the occurrence passed while we were down
    couple = pairing_service.get_couple_by_id(session=session, couple_id=c.couple_id)
    recorded = session.scalar(
        select(CommitmentCheck.id).where(
            CommitmentCheck.commitment_id == c.id, CommitmentCheck.date == occurrence
        )
    )
    if couple is None or couple.ended_at is not None or recorded is not None:
        return 0
    notifications_service.enqueue(
        session=session,
        recipient_id=c.owner_id,
        couple_id=c.couple_id,
        kind="commitment_reminder",
        title=Message(N_("A promise is coming up")),
        body=Verbatim(c.title),
        data={"commitment_id": str(c.id)},
        dedupe_key=f"commitment_reminder:{c.id}:{occurrence.isoformat()}",
        expires_at=due + REMINDER_GRACE,
        now=now,
    )
    return 1


def stop_couple_reminders(*, session: Session, couple_id: uuid.UUID) -> None:
    """The couple ended: no more reminders (no commit)."""
    session.execute(
        update(Commitment).where(Commitment.couple_id == couple_id).values(next_reminder_at=None)
    )


# --- export and erasure -----------------------------------------------------------------------


@dataclass(frozen=True)
class ExportedCommitment:
    """One of the owner's commitments with every check recorded on it, for their export."""

    commitment: Commitment
    checks: list[CommitmentCheck]


def export_couple(
    *, session: Session, couple_id: uuid.UUID, user: User
) -> list[ExportedCommitment]:
    commitments = session.scalars(
        select(Commitment)
        .where(
            Commitment.couple_id == couple_id,
            Commitment.owner_id == user.id,
            Commitment.deleted_at.is_(None),
        )
        .order_by(Commitment.created_at)
    ).all()
    checks: dict[uuid.UUID, list[CommitmentCheck]] = {c.id: [] for c in commitments}
    for check in session.scalars(
        select(CommitmentCheck)
        .where(CommitmentCheck.commitment_id.in_(list(checks)))
        .order_by(CommitmentCheck.date)
    ):
        checks[check.commitment_id].append(check)
    return [ExportedCommitment(commitment=c, checks=checks[c.id]) for c in commitments]


def erase_for_user(*, session: Session, user: User) -> None:
    """Part of account erasure: the user's commitments and their checks go (no commit)."""
    session.execute(delete(Commitment).where(Commitment.owner_id == user.id))


# --- weekly figures ---------------------------------------------------------------------------


def _tally(
    rule: Recurrence,
    checks: dict[date, tuple[str, bool]],
    *,
    first: date,
    last: date,
    today: date,
    now: datetime,
) -> tuple[int, int, int]:
    """Due, kept and confirmed occurrences dated first..last, by the one counting rule."""
    due = occurrences.count_due(rule, checks, first=first, last=last, today=today, now=now)
    counted = occurrences.counted_records(rule, checks, first=first, last=last, today=today)
    kept = sum(checks[day][0] == "kept" for day in counted)
    confirmed = sum(checks[day] == ("kept", True) for day in counted)
    return due, kept, confirmed


_WEEKLY_COMMITMENTS = select(Commitment).where(
    Commitment.couple_id == bindparam("couple_id"),
    Commitment.owner_id.in_(bindparam("members", expanding=True)),
    or_(Commitment.deleted_at.is_(None), Commitment.deleted_at >= bindparam("deleted_cutoff")),
)
# Rows are bounded by the window's dates times the commitments, not by history.
_WEEKLY_CHECKS = (
    select(
        CommitmentCheck.commitment_id,
        CommitmentCheck.date,
        CommitmentCheck.status,
        CommitmentCheck.confirmed_at,
    )
    .join(Commitment, Commitment.id == CommitmentCheck.commitment_id)
    .where(
        Commitment.couple_id == bindparam("couple_id"),
        Commitment.owner_id.in_(bindparam("members", expanding=True)),
        CommitmentCheck.date >= bindparam("low"),
        CommitmentCheck.date <= bindparam("high"),
    )
)


def weekly_counts(
    *,
    session: Session,
    couple_id: uuid.UUID,
    member_ids: list[uuid.UUID],
    week_starts: list[date],
    now: datetime,
) -> dict[str, Any]:
    """Per partner, over their own commitments: occurrences due, kept, and kept-and-confirmed
    per week, and the due and kept occurrences behind kept_rate_28d, summed; and `changes_at`,
    when time alone next changes them (a due instant passes, or a day ends in a zone).

    Occurrence dates are each commitment's local dates, matched against the seven dates from
    each of `week_starts`. A deleted commitment counts what was due up to its deletion, as if
    time stopped then. Two statements: the commitments, then their checks in the window; the
    counting is linear in weeks plus checks.
    """
    weeks = len(week_starts)
    partners: dict[uuid.UUID, dict[str, Any]] = {
        user_id: {
            "due": [0] * weeks,
            "kept": [0] * weeks,
            "confirmed": [0] * weeks,
            "due_28d": 0,
            "kept_28d": 0,
        }
        for user_id in member_ids
    }
    result: dict[str, Any] = {"partners": partners, "changes_at": None}
    if not member_ids or not week_starts:
        return result
    # A local date is never more than two days off the UTC one, so a commitment deleted before
    # this cutoff has nothing left in the window.
    earliest = min(week_starts[0], now.date() - timedelta(days=RATE_WINDOW_DAYS))
    params: dict[str, Any] = {
        "couple_id": couple_id,
        "members": member_ids,
        "deleted_cutoff": datetime.combine(earliest - timedelta(days=2), time(0), tzinfo=UTC),
    }
    commitments = session.scalars(_WEEKLY_COMMITMENTS, params).all()
    if not commitments:
        return result
    rules = {c.id: recurrence(c) for c in commitments}
    todays = {c.id: rules[c.id].local_date(now) for c in commitments}
    stops = {c.id: min(now, c.deleted_at) if c.deleted_at else now for c in commitments}
    last_days = {c.id: rules[c.id].local_date(stops[c.id]) for c in commitments}
    params["low"] = min(week_starts[0], min(todays.values()) - timedelta(days=RATE_WINDOW_DAYS - 1))
    params["high"] = max(week_starts[-1] + timedelta(days=6), max(todays.values()))
    by_week: dict[uuid.UUID, dict[int, dict[date, tuple[str, bool]]]] = {
        c.id: {} for c in commitments
    }
    recent: dict[uuid.UUID, dict[date, tuple[str, bool]]] = {c.id: {} for c in commitments}
    for commitment_id, day, status, confirmed_at in session.connection().execute(
        _WEEKLY_CHECKS, params
    ):
        if commitment_id not in by_week:
            continue
        check = (status, confirmed_at is not None)
        week = (day - week_starts[0]).days // 7
        if 0 <= week < weeks:
            by_week[commitment_id].setdefault(week, {})[day] = check
        if day > todays[commitment_id] - timedelta(days=RATE_WINDOW_DAYS):
            recent[commitment_id][day] = check
    changes = []
    for c in commitments:
        figures = partners[c.owner_id]
        last_day, stop = last_days[c.id], stops[c.id]
        for week, start in enumerate(week_starts):
            due, kept, confirmed = _tally(
                rules[c.id],
                by_week[c.id].get(week, {}),
                first=start,
                last=start + timedelta(days=6),
                today=last_day,
                now=stop,
            )
            figures["due"][week] += due
            figures["kept"][week] += kept
            figures["confirmed"][week] += confirmed
        due, kept, _ = _tally(
            rules[c.id],
            recent[c.id],
            first=todays[c.id] - timedelta(days=RATE_WINDOW_DAYS - 1),
            last=todays[c.id],
            today=last_day,
            now=stop,
        )
        figures["due_28d"] += due
        figures["kept_28d"] += kept
        # Its 28-day window moves at midnight, also after deletion; its occurrences fall due
        # only while it exists.
        changes.append(timeutil.end_of_local_day(now, rules[c.id].tz))
        if c.deleted_at is None and (due_at := rules[c.id].next_due_at(now)) is not None:
            changes.append(due_at)
    result["changes_at"] = min(changes, default=None)
    return result
