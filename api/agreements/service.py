"""Check-in agreements: a partner's promise to reach out around a time, their check-ins and
"running late" notices, the occurrences with their statuses, the on-time and informed rates,
and the worker's reminder before each due time and gentle nudge at each window's end.

The occurrence arithmetic is api.occurrences, the one rule commitments count by too. An
occurrence is pending until it is resolved (a check-in or a late notice) or its window ends;
only then is it due in a rate.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, literal, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api import occurrences, timeutil
from api.accounts.models import User
from api.agreements.models import Agreement, CheckIn, LateNotice
from api.db import get_in_couple, skip_locked
from api.errors import Conflict, Forbidden, NotFound, Unprocessable
from api.i18n import N_, Message
from api.notifications import service as notifications_service
from api.occurrences import DueToday, Recurrence
from api.pagination import Cursor, Page, paginate
from api.pairing import service as pairing_service
from api.pairing.models import Couple
from api.unset import UNSET

DEFAULT_TITLE = "Check in"
DEFAULT_WINDOW_MINUTES = 15
DEFAULT_REMIND_BEFORE_MINUTES = 10
RATE_WINDOW_DAYS = 28
# A check-in belongs to the occurrence due from 2 h after it to 12 h before it; a late notice
# to one due from now to 2 h ahead, whose window has not ended.
EARLIEST_BEFORE_DUE = timedelta(hours=2)
LATEST_CHECK_IN_AFTER_DUE = timedelta(hours=12)
JOB_BATCH = 100
# A nudge is still worth sending a little after the window ends (a worker restarting, quiet
# hours ending soon), not hours later.
NUDGE_GRACE = timedelta(hours=1)
# "Checked in" is news for a few hours; the inbox keeps it after that.
CHECKED_IN_TTL = timedelta(hours=6)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Figures:
    on_time_rate_28d: float | None
    informed_rate_28d: float | None
    next_due_at: datetime | None


@dataclass(frozen=True)
class AgreementView:
    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    days: list[str] | None
    time: time
    window_minutes: int
    timezone: str
    remind_before_minutes: int
    created_at: datetime
    updated_at: datetime
    next_due_at: datetime | None
    on_time_rate_28d: float | None
    informed_rate_28d: float | None


@dataclass(frozen=True)
class OccurrenceView:
    date: date
    due_at: datetime
    status: str
    check_in: CheckIn | None
    late_notice: LateNotice | None

    @property
    def check_in_at(self) -> datetime | None:
        return self.check_in.created_at if self.check_in else None

    @property
    def notice_at(self) -> datetime | None:
        return self.late_notice.created_at if self.late_notice else None


@dataclass(frozen=True)
class TodayAgreement:
    """One of the user's agreements due today in its zone (for the home screen)."""

    agreement: Agreement
    date: date
    due_at: datetime
    status: str


@dataclass(frozen=True)
class TherapistAgreement:
    """An agreement as the couple's therapist sees it: figures always, the title only with
    the content scope."""

    id: uuid.UUID
    owner_id: uuid.UUID
    title: str | None
    days: list[str] | None
    time: time
    timezone: str
    window_minutes: int
    created_at: datetime
    on_time_rate_28d: float | None
    informed_rate_28d: float | None


class CoupleGrant(Protocol):
    """What a therapist's grant says about access (api.therapists.models.Grant)."""

    couple_id: uuid.UUID
    scope: str


# --- occurrences --------------------------------------------------------------------------


def recurrence(a: Agreement) -> Recurrence:
    return Recurrence.of(
        at=a.time,
        timezone=a.timezone,
        start_date=a.start_date,
        days=a.days,
        starts_at=a.created_at,
    )


def _window(a: Agreement) -> timedelta:
    return timedelta(minutes=a.window_minutes)


def _occurrence_near(
    rule: Recurrence, now: datetime, *, after_due: timedelta
) -> tuple[date, datetime] | None:
    """The occurrence due from `after_due` before now to 2 h after now; the nearest when two
    qualify."""
    today = rule.local_date(now)
    candidates = []
    for day in (today - _ONE_DAY, today, today + _ONE_DAY):
        if not rule.is_due(day):
            continue
        due = rule.due_instant(day)
        if due - EARLIEST_BEFORE_DUE <= now <= due + after_due:
            candidates.append((abs(due - now), day, due))
    if not candidates:
        return None
    _, day, due = min(candidates)
    return day, due


def occurrence_status(
    *, mark: str | None, due_at: datetime, window: timedelta, now: datetime
) -> str:
    """`mark` is what was recorded (see `_marks`): a late notice marks the occurrence whatever
    follows, else the check-in's own status; with neither, the occurrence is missed once its
    window has ended, pending before."""
    if mark is not None:
        return mark
    return "missed" if now >= due_at + window else "pending"


def _marks(
    session: Session, agreement_ids: Iterable[uuid.UUID], *, low: date, high: date | None = None
) -> dict[uuid.UUID, dict[date, str]]:
    """What was recorded on each occurrence dated low..high: "late_notice" when word was
    sent, else the check-in's status. One statement for check-ins and notices together."""
    ids = list(agreement_ids)
    result: dict[uuid.UUID, dict[date, str]] = {agreement_id: {} for agreement_id in ids}
    if not ids:
        return result
    params = {"ids": ids, "low": low, "high": high or date.max}
    for agreement_id, day, mark in session.execute(_MARKS, params):
        if mark == "late_notice" or day not in result[agreement_id]:
            result[agreement_id][day] = mark
    return result


_MARKS = union_all(
    select(CheckIn.agreement_id, CheckIn.date, CheckIn.status.label("mark")).where(
        CheckIn.agreement_id.in_(bindparam("ids", expanding=True)),
        CheckIn.date >= bindparam("low"),
        CheckIn.date <= bindparam("high"),
    ),
    select(LateNotice.agreement_id, LateNotice.date, literal("late_notice").label("mark")).where(
        LateNotice.agreement_id.in_(bindparam("ids", expanding=True)),
        LateNotice.date >= bindparam("low"),
        LateNotice.date <= bindparam("high"),
    ),
)


def _tally(
    rule: Recurrence,
    marks: dict[date, str],
    *,
    first: date,
    last: date,
    today: date,
    now: datetime,
    grace: timedelta,
) -> tuple[int, int, int]:
    """Due, on-time and late-notice occurrences dated first..last, by the one counting rule."""
    due = occurrences.count_due(
        rule, marks, first=first, last=last, today=today, now=now, grace=grace
    )
    counted = occurrences.counted_records(rule, marks, first=first, last=last, today=today)
    on_time = sum(marks[day] == "on_time" for day in counted)
    noticed = sum(marks[day] == "late_notice" for day in counted)
    return due, on_time, noticed


def _figures(
    session: Session, agreements: list[Agreement], now: datetime
) -> dict[uuid.UUID, Figures]:
    """Both 28-day rates and the next due time; one read for all the agreements' marks."""
    if not agreements:
        return {}
    rules = {a.id: recurrence(a) for a in agreements}
    todays = {a.id: rules[a.id].local_date(now) for a in agreements}
    earliest = min(todays.values()) - timedelta(days=RATE_WINDOW_DAYS)
    marks = _marks(session, rules, low=earliest)
    result = {}
    for a in agreements:
        rule, today = rules[a.id], todays[a.id]
        due, on_time, noticed = _tally(
            rule,
            marks[a.id],
            first=today - timedelta(days=RATE_WINDOW_DAYS - 1),
            last=today,
            today=today,
            now=now,
            grace=_window(a),
        )
        result[a.id] = Figures(
            on_time_rate_28d=occurrences.rate(on_time, due),
            informed_rate_28d=occurrences.rate(on_time + noticed, due),
            next_due_at=rule.next_due_at(now),
        )
    return result


def _view(a: Agreement, figures: Figures) -> AgreementView:
    return AgreementView(
        id=a.id,
        owner_id=a.owner_id,
        title=a.title,
        days=a.days,
        time=a.time,
        window_minutes=a.window_minutes,
        timezone=a.timezone,
        remind_before_minutes=a.remind_before_minutes,
        created_at=a.created_at,
        updated_at=a.updated_at,
        next_due_at=figures.next_due_at,
        on_time_rate_28d=figures.on_time_rate_28d,
        informed_rate_28d=figures.informed_rate_28d,
    )


def _with_figures(session: Session, a: Agreement, now: datetime) -> AgreementView:
    return _view(a, _figures(session, [a], now)[a.id])


def _next_reminder(a: Agreement, now: datetime) -> datetime | None:
    if a.deleted_at is not None:
        return None
    return recurrence(a).next_reminder_at(now, timedelta(minutes=a.remind_before_minutes))


def _next_nudge(a: Agreement, now: datetime) -> datetime | None:
    """The end of the first window still ahead."""
    if a.deleted_at is not None:
        return None
    due = recurrence(a).next_due_at(now - _window(a))
    return due + _window(a) if due is not None else None


def _schedule_jobs(a: Agreement, now: datetime) -> None:
    a.next_reminder_at = _next_reminder(a, now)
    a.next_nudge_at = _next_nudge(a, now)


# --- agreements ---------------------------------------------------------------------------


def create_agreement(
    *,
    session: Session,
    couple: Couple,
    user: User,
    time: time,
    now: datetime,
    title: str | None = None,
    days: list[str] | None = None,
    window_minutes: int = DEFAULT_WINDOW_MINUTES,
    timezone: str | None = None,
    remind_before_minutes: int = DEFAULT_REMIND_BEFORE_MINUTES,
) -> AgreementView:
    """A promise to check in with the partner, owned by the caller."""
    zone = timezone or user.timezone
    a = Agreement(
        id=uuid.uuid4(),
        couple_id=couple.id,
        owner_id=user.id,
        title=title or DEFAULT_TITLE,
        days=timeutil.normalise_days(days),
        time=time,
        timezone=zone,
        window_minutes=window_minutes,
        remind_before_minutes=remind_before_minutes,
        start_date=timeutil.local_date(now, ZoneInfo(zone)),
        created_at=now,
        updated_at=now,
    )
    _schedule_jobs(a, now)
    session.add(a)
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return _with_figures(session, a, now)


def _get(session: Session, couple: Couple, agreement_id: uuid.UUID) -> Agreement:
    a = get_in_couple(session, Agreement, agreement_id, couple.id)
    if a.deleted_at is not None:
        raise NotFound()
    return a


def _owned(session: Session, couple: Couple, user: User, agreement_id: uuid.UUID) -> Agreement:
    a = _get(session, couple, agreement_id)
    if a.owner_id != user.id:
        raise Forbidden("not_owner", "Only the partner who made this agreement can do this.")
    return a


def list_agreements(
    *,
    session: Session,
    couple: Couple,
    user: User,
    owner: str | None,
    limit: int,
    cursor: Cursor | None,
    now: datetime,
) -> Page[AgreementView]:
    stmt = select(Agreement).where(Agreement.couple_id == couple.id, Agreement.deleted_at.is_(None))
    if owner == "me":
        stmt = stmt.where(Agreement.owner_id == user.id)
    elif owner == "partner":
        stmt = stmt.where(Agreement.owner_id != user.id)
    page = paginate(
        session,
        stmt,
        at_column=Agreement.created_at,
        id_column=Agreement.id,
        limit=limit,
        cursor=cursor,
    )
    figures = _figures(session, page.items, now)
    return Page(
        items=[_view(a, figures[a.id]) for a in page.items],
        next_cursor=page.next_cursor,
        fresh_until=_figures_change_at(page.items, now),
    )


def _figures_change_at(agreements: Iterable[Agreement], now: datetime) -> datetime | None:
    """When time alone next changes these figures or statuses: an occurrence falls due (the
    next one is shown), its window ends (an unresolved one is missed), or a day ends in an
    agreement's zone (the 28 days move, another day's occurrence is today's)."""
    changes = []
    for a in agreements:
        rule, window = recurrence(a), _window(a)
        changes.append(timeutil.end_of_local_day(now, rule.tz))
        if (due_at := rule.next_due_at(now)) is not None:
            changes.append(due_at)
        if (pending := rule.next_due_at(now - window)) is not None:
            changes.append(pending + window)
    return min(changes, default=None)


def get_agreement(
    *, session: Session, couple: Couple, agreement_id: uuid.UUID, now: datetime
) -> AgreementView:
    return _with_figures(session, _get(session, couple, agreement_id), now)


def update_agreement(
    *,
    session: Session,
    couple: Couple,
    user: User,
    agreement_id: uuid.UUID,
    now: datetime,
    title: str = UNSET,
    days: list[str] | None = UNSET,
    time: time = UNSET,
    window_minutes: int = UNSET,
    timezone: str = UNSET,
    remind_before_minutes: int = UNSET,
) -> AgreementView:
    """The owner changes their agreement; what was recorded keeps counting, and the worker
    follows the new times from now on."""
    a = _owned(session, couple, user, agreement_id)
    if title is not UNSET:
        a.title = title
    if days is not UNSET:
        a.days = timeutil.normalise_days(days)
    if time is not UNSET:
        a.time = time
    if window_minutes is not UNSET:
        a.window_minutes = window_minutes
    if timezone is not UNSET:
        a.timezone = timezone
    if remind_before_minutes is not UNSET:
        a.remind_before_minutes = remind_before_minutes
    a.updated_at = now
    _schedule_jobs(a, now)
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return _with_figures(session, a, now)


def delete_agreement(
    *, session: Session, couple: Couple, user: User, agreement_id: uuid.UUID, now: datetime
) -> None:
    """Removes the agreement, its check-ins and notices from view and stops its reminders;
    the weekly figures keep the occurrences up to now."""
    a = _owned(session, couple, user, agreement_id)
    a.deleted_at = now
    a.next_reminder_at = a.next_nudge_at = None
    # What was written goes; only the fact of each occurrence stays for the figures.
    session.execute(update(CheckIn).where(CheckIn.agreement_id == a.id).values(message=None))
    session.execute(update(LateNotice).where(LateNotice.agreement_id == a.id).values(message=None))
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()


# --- check-ins and late notices -----------------------------------------------------------


def _not_due(what: str) -> Unprocessable:
    return Unprocessable(
        "not_due",
        f"No occurrence of this agreement is open for {what} now.",
        errors={"json": {"_schema": [f"No occurrence is open for {what} now."]}},
    )


def check_in(
    *,
    session: Session,
    couple: Couple,
    user: User,
    agreement_id: uuid.UUID,
    now: datetime,
    message: str | None = None,
) -> CheckIn:
    """The owner checks in for the occurrence due around now; the partner hears at once."""
    a = _owned(session, couple, user, agreement_id)
    found = _occurrence_near(recurrence(a), now, after_due=LATEST_CHECK_IN_AFTER_DUE)
    if found is None:
        raise _not_due("a check-in")
    day, due = found
    row = CheckIn(
        id=uuid.uuid4(),
        agreement_id=a.id,
        date=day,
        due_at=due,
        status="on_time" if now <= due + _window(a) else "late",
        message=message,
        created_at=now,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("already_checked_in", "You already checked in for this one.") from exc
    partner_id = couple.partner_id_of(user.id)
    if partner_id is not None:
        notifications_service.enqueue(
            session=session,
            recipient_id=partner_id,
            couple_id=couple.id,
            kind="partner_checked_in",
            title=Message(N_("{name} checked in"), name=user.display_name),
            # Their words stay in the app: a lock screen is not private.
            body=Message(N_("Open Steady to read their message."))
            if message
            else Message(N_("Just as they said.")),
            data={"agreement_id": str(a.id), "check_in_id": str(row.id)},
            dedupe_key=f"partner_checked_in:{row.id}",
            expires_at=now + CHECKED_IN_TTL,
            now=now,
        )
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return row


def send_late_notice(
    *,
    session: Session,
    couple: Couple,
    user: User,
    agreement_id: uuid.UUID,
    minutes: int,
    now: datetime,
    message: str | None = None,
) -> LateNotice:
    """The owner says they are running late, before the window closes; the partner hears at
    once, so they are not left waiting without word."""
    a = _owned(session, couple, user, agreement_id)
    found = _occurrence_near(recurrence(a), now, after_due=_window(a))
    if found is None:
        raise _not_due("a late notice")
    day, due = found
    checked_in = session.scalar(
        select(CheckIn.id).where(CheckIn.agreement_id == a.id, CheckIn.date == day)
    )
    if checked_in is not None:
        raise Conflict("already_checked_in", "You already checked in for this one.")
    row = LateNotice(
        id=uuid.uuid4(),
        agreement_id=a.id,
        date=day,
        due_at=due,
        minutes=minutes,
        message=message,
        created_at=now,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("already_noticed", "You already said you are running late.") from exc
    partner_id = couple.partner_id_of(user.id)
    if partner_id is not None:
        # Their words stay in the app: the push only says there are some.
        body = (
            Message.plural(
                "About {minutes} minute. They wanted you to know, and left you a message.",
                "About {minutes} minutes. They wanted you to know, and left you a message.",
                minutes,
                minutes=minutes,
            )
            if message
            else Message.plural(
                "About {minutes} minute. They wanted you to know.",
                "About {minutes} minutes. They wanted you to know.",
                minutes,
                minutes=minutes,
            )
        )
        notifications_service.enqueue(
            session=session,
            recipient_id=partner_id,
            couple_id=couple.id,
            kind="partner_running_late",
            title=Message(N_("{name} is running late"), name=user.display_name),
            body=body,
            data={"agreement_id": str(a.id), "late_notice_id": str(row.id)},
            dedupe_key=f"partner_running_late:{row.id}",
            # News until they are due to be there; the inbox keeps it after that.
            expires_at=max(now, due) + timedelta(minutes=minutes),
            now=now,
        )
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return row


# --- occurrences --------------------------------------------------------------------------


def _occurrence_cursor(a: Agreement, day: date) -> Cursor:
    # The list is ordered by date; the cursor holds the last date given, tied to this agreement.
    return Cursor(at=datetime.combine(day, time(0), tzinfo=UTC), id=a.id)


def list_occurrences(
    *,
    session: Session,
    couple: Couple,
    agreement_id: uuid.UUID,
    limit: int,
    cursor: Cursor | None,
    now: datetime,
) -> Page[OccurrenceView]:
    """Occurrences from the first one to today's, newest first, with what was recorded.

    Bounded by the page: scheduled dates are stepped back only until `limit` + 1 are found,
    and only what was recorded between those dates is read.
    """
    a = _get(session, couple, agreement_id)
    if cursor is not None and cursor.id != a.id:
        raise Unprocessable(
            "invalid_cursor",
            "The cursor is not valid.",
            errors={"query": {"cursor": ["Not a valid cursor."]}},
        )
    rule = recurrence(a)
    before = cursor.at.date() if cursor is not None else None
    day = before - _ONE_DAY if before is not None else rule.local_date(now)
    scheduled: list[date] = []
    while day >= rule.first_date and len(scheduled) <= limit:
        if rule.is_due(day):
            scheduled.append(day)
        day -= _ONE_DAY
    low = scheduled[-1] if len(scheduled) > limit else rule.first_date
    check_ins_q = select(CheckIn).where(CheckIn.agreement_id == a.id, CheckIn.date >= low)
    notices_q = select(LateNotice).where(LateNotice.agreement_id == a.id, LateNotice.date >= low)
    if before is not None:
        check_ins_q = check_ins_q.where(CheckIn.date < before)
        notices_q = notices_q.where(LateNotice.date < before)
    check_ins = {c.date: c for c in session.scalars(check_ins_q)}
    notices = {n.date: n for n in session.scalars(notices_q)}
    dates = sorted({*scheduled, *check_ins, *notices}, reverse=True)
    items = []
    for day in dates[:limit]:
        recorded = check_ins.get(day) or notices.get(day)
        due = recorded.due_at if recorded is not None else rule.due_instant(day)
        check = check_ins.get(day)
        mark = "late_notice" if day in notices else check.status if check else None
        items.append(
            OccurrenceView(
                date=day,
                due_at=due,
                status=occurrence_status(mark=mark, due_at=due, window=_window(a), now=now),
                check_in=check,
                late_notice=notices.get(day),
            )
        )
    next_cursor = _occurrence_cursor(a, items[-1].date) if len(dates) > limit else None
    return Page(items=items, next_cursor=next_cursor)


_OWN_AGREEMENTS = select(Agreement).where(
    Agreement.couple_id == bindparam("couple_id"),
    Agreement.owner_id == bindparam("user_id"),
    Agreement.deleted_at.is_(None),
)


def agreements_due_today(
    *, session: Session, couple: Couple, user: User, now: datetime
) -> DueToday[TodayAgreement]:
    """The user's agreements in the couple that are due today in their own zone, earliest
    first, each with its occurrence's status (for the home screen), and until when that holds.
    Two statements however long the history."""
    agreements = session.scalars(
        _OWN_AGREEMENTS, {"couple_id": couple.id, "user_id": user.id}
    ).all()
    due_today = []
    for a in agreements:
        rule = recurrence(a)
        today = rule.local_date(now)
        if rule.is_due(today):
            due_today.append((a, today, rule.due_instant(today)))
    fresh_until = _figures_change_at(agreements, now)
    if not due_today:
        return DueToday(items=[], fresh_until=fresh_until)
    marks = _marks(
        session,
        [a.id for a, _, _ in due_today],
        low=min(day for _, day, _ in due_today),
        high=max(day for _, day, _ in due_today),
    )
    result = [
        TodayAgreement(
            agreement=a,
            date=day,
            due_at=due,
            status=occurrence_status(
                mark=marks[a.id].get(day), due_at=due, window=_window(a), now=now
            ),
        )
        for a, day, due in due_today
    ]
    result.sort(key=lambda item: (item.due_at, str(item.agreement.id)))
    return DueToday(items=result, fresh_until=fresh_until)


# --- the therapist's view -----------------------------------------------------------------


def therapist_agreements(
    *,
    session: Session,
    grant: CoupleGrant,
    limit: int,
    cursor: Cursor | None,
    now: datetime,
) -> Page[TherapistAgreement]:
    """The couple's agreements with their figures; titles only with the content scope."""
    page = paginate(
        session,
        select(Agreement).where(
            Agreement.couple_id == grant.couple_id, Agreement.deleted_at.is_(None)
        ),
        at_column=Agreement.created_at,
        id_column=Agreement.id,
        limit=limit,
        cursor=cursor,
    )
    figures = _figures(session, page.items, now)
    content = grant.scope == "summary_and_content"
    return Page(
        items=[
            TherapistAgreement(
                id=a.id,
                owner_id=a.owner_id,
                title=a.title if content else None,
                days=a.days,
                time=a.time,
                timezone=a.timezone,
                window_minutes=a.window_minutes,
                created_at=a.created_at,
                on_time_rate_28d=figures[a.id].on_time_rate_28d,
                informed_rate_28d=figures[a.id].informed_rate_28d,
            )
            for a in page.items
        ],
        next_cursor=page.next_cursor,
    )


# --- the worker's jobs --------------------------------------------------------------------


def _due_for(session: Session, column: Any, now: datetime, limit: int) -> list[Agreement]:
    stmt = select(Agreement).where(column.is_not(None), column <= now).order_by(column).limit(limit)
    return list(session.scalars(skip_locked(stmt, session)))


def _advance(
    session: Session, a: Agreement, column: Any, claimed: datetime, to: datetime | None
) -> bool:
    """Compare-and-set: moves the job's time on only if no other worker did first."""
    return (
        session.execute(
            update(Agreement)
            .where(Agreement.id == a.id, column == claimed)
            .values({column.key: to})
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def _still_open(session: Session, a: Agreement, day: date) -> bool:
    """Neither a check-in nor a notice for that occurrence, in a couple that goes on."""
    couple = pairing_service.get_couple_by_id(session=session, couple_id=a.couple_id)
    if couple is None or couple.ended_at is not None:
        return False
    return not any(_marks(session, [a.id], low=day, high=day)[a.id])


def send_due_reminders(
    *, session_factory: sessionmaker[Session], now: datetime, limit: int = JOB_BATCH
) -> int:
    """Reminds owners `remind_before_minutes` before each due time: at most once per
    occurrence whatever the number of workers, DST-correct, never once the window is over."""
    sent = 0
    with session_factory() as session:
        for a in _due_for(session, Agreement.next_reminder_at, now, limit):
            sent += _remind(session, a, now)
        session.commit()
    return sent


def _remind(session: Session, a: Agreement, now: datetime) -> int:
    remind_at = a.next_reminder_at
    assert remind_at is not None
    due = remind_at + timedelta(minutes=a.remind_before_minutes)
    window_end = due + _window(a)
    if not _advance(session, a, Agreement.next_reminder_at, remind_at, _next_reminder(a, now)):
        return 0  # another worker had it
    day = recurrence(a).local_date(due)
    if now >= window_end or not _still_open(session, a, day):
        return 0  # the occurrence passed while we were down, or they already reached out
    notifications_service.enqueue(
        session=session,
        recipient_id=a.owner_id,
        couple_id=a.couple_id,
        kind="agreement_reminder",
        title=Message(N_("Time to check in"))
        if now >= due
        else Message(N_("A check-in is coming up")),
        body=Message(N_("{title}: a few words are all it takes."), title=a.title),
        data={"agreement_id": str(a.id), "date": day.isoformat()},
        dedupe_key=f"agreement_reminder:{a.id}:{day.isoformat()}",
        expires_at=window_end,
        now=now,
    )
    return 1


def send_due_nudges(
    *, session_factory: sessionmaker[Session], now: datetime, limit: int = JOB_BATCH
) -> int:
    """At each window's end with neither a check-in nor a late notice, a gentle nudge to the
    owner only: once per occurrence, and nothing ever goes to the partner about it."""
    sent = 0
    with session_factory() as session:
        for a in _due_for(session, Agreement.next_nudge_at, now, limit):
            sent += _nudge(session, a, now)
        session.commit()
    return sent


def _nudge(session: Session, a: Agreement, now: datetime) -> int:
    window_end = a.next_nudge_at
    assert window_end is not None
    if not _advance(session, a, Agreement.next_nudge_at, window_end, _next_nudge(a, now)):
        return 0
    day = recurrence(a).local_date(window_end - _window(a))
    if now > window_end + NUDGE_GRACE or not _still_open(session, a, day):
        return 0
    notifications_service.enqueue(
        session=session,
        recipient_id=a.owner_id,
        couple_id=a.couple_id,
        kind="agreement_reminder",
        title=Message(N_("Still time to check in")),
        body=Message(N_("A quick message, or a word that you're running late, is all it takes.")),
        data={"agreement_id": str(a.id), "date": day.isoformat()},
        dedupe_key=f"agreement_nudge:{a.id}:{day.isoformat()}",
        expires_at=window_end + NUDGE_GRACE,
        now=now,
    )
    return 1


def stop_couple_agreements(*, session: Session, couple_id: uuid.UUID) -> None:
    """The couple ended: no more reminders or nudges (no commit)."""
    session.execute(
        update(Agreement)
        .where(Agreement.couple_id == couple_id)
        .values(next_reminder_at=None, next_nudge_at=None)
    )


# --- export and erasure -------------------------------------------------------------------


@dataclass(frozen=True)
class ExportedAgreement:
    """One of the owner's agreements with its check-ins and late notices, for their export."""

    agreement: Agreement
    check_ins: list[CheckIn]
    late_notices: list[LateNotice]


def export_couple(*, session: Session, couple_id: uuid.UUID, user: User) -> list[ExportedAgreement]:
    agreements = session.scalars(
        select(Agreement)
        .where(
            Agreement.couple_id == couple_id,
            Agreement.owner_id == user.id,
            Agreement.deleted_at.is_(None),
        )
        .order_by(Agreement.created_at)
    ).all()
    ids = [a.id for a in agreements]
    check_ins: dict[uuid.UUID, list[CheckIn]] = {agreement_id: [] for agreement_id in ids}
    notices: dict[uuid.UUID, list[LateNotice]] = {agreement_id: [] for agreement_id in ids}
    for row in session.scalars(
        select(CheckIn).where(CheckIn.agreement_id.in_(ids)).order_by(CheckIn.date)
    ):
        check_ins[row.agreement_id].append(row)
    for notice in session.scalars(
        select(LateNotice).where(LateNotice.agreement_id.in_(ids)).order_by(LateNotice.date)
    ):
        notices[notice.agreement_id].append(notice)
    return [
        ExportedAgreement(agreement=a, check_ins=check_ins[a.id], late_notices=notices[a.id])
        for a in agreements
    ]


def erase_for_user(*, session: Session, user: User) -> None:
    """Part of account erasure: the user's agreements, with their check-ins and late notices,
    go (no commit)."""
    session.execute(delete(Agreement).where(Agreement.owner_id == user.id))


# --- weekly figures -----------------------------------------------------------------------


_WEEKLY_AGREEMENTS = select(Agreement).where(
    Agreement.couple_id == bindparam("couple_id"),
    Agreement.owner_id.in_(bindparam("members", expanding=True)),
    or_(Agreement.deleted_at.is_(None), Agreement.deleted_at >= bindparam("deleted_cutoff")),
)


def weekly_counts(
    *,
    session: Session,
    couple_id: uuid.UUID,
    member_ids: list[uuid.UUID],
    week_starts: list[date],
    now: datetime,
) -> dict[str, Any]:
    """Per partner, over their own agreements: occurrences due, checked in on time and with a
    late notice per week, and the due, on-time and late-notice occurrences behind the 28-day
    rates, summed; and `changes_at`, when time alone next changes them (an occurrence's window
    ends, or a day ends in an agreement's zone).

    Occurrence dates are each agreement's local dates, matched against the seven dates from
    each of `week_starts`. An occurrence is due once resolved or once its window ended. A
    deleted agreement counts what was due up to its deletion. Two statements: the agreements,
    then their check-ins and notices in the window; the counting is linear in weeks plus marks.
    """
    weeks = len(week_starts)
    partners: dict[uuid.UUID, dict[str, Any]] = {
        user_id: {
            "due": [0] * weeks,
            "on_time": [0] * weeks,
            "late_notices": [0] * weeks,
            "due_28d": 0,
            "on_time_28d": 0,
            "late_notices_28d": 0,
        }
        for user_id in member_ids
    }
    result: dict[str, Any] = {"partners": partners, "changes_at": None}
    if not member_ids or not week_starts:
        return result
    # A local date is never more than two days off the UTC one, so an agreement deleted before
    # this cutoff has nothing left in the window.
    earliest = min(week_starts[0], now.date() - timedelta(days=RATE_WINDOW_DAYS))
    agreements = session.scalars(
        _WEEKLY_AGREEMENTS,
        {
            "couple_id": couple_id,
            "members": member_ids,
            "deleted_cutoff": datetime.combine(earliest - timedelta(days=2), time(0), tzinfo=UTC),
        },
    ).all()
    if not agreements:
        return result
    rules = {a.id: recurrence(a) for a in agreements}
    todays = {a.id: rules[a.id].local_date(now) for a in agreements}
    stops = {a.id: min(now, a.deleted_at) if a.deleted_at else now for a in agreements}
    last_days = {a.id: rules[a.id].local_date(stops[a.id]) for a in agreements}
    low = min(week_starts[0], min(todays.values()) - timedelta(days=RATE_WINDOW_DAYS - 1))
    high = max(week_starts[-1] + timedelta(days=6), max(todays.values()) + _ONE_DAY)
    # Rows are bounded by the window's dates times the agreements, not by history.
    marks = _marks(session, rules, low=low, high=high)
    changes = []
    for a in agreements:
        figures = partners[a.owner_id]
        by_week: dict[int, dict[date, str]] = {}
        for day, mark in marks[a.id].items():
            by_week.setdefault((day - week_starts[0]).days // 7, {})[day] = mark
        window = _window(a)
        span = {"today": last_days[a.id], "now": stops[a.id], "grace": window}
        for week, start in enumerate(week_starts):
            due, on_time, noticed = _tally(
                rules[a.id],
                by_week.get(week, {}),
                first=start,
                last=start + timedelta(days=6),
                **span,
            )
            figures["due"][week] += due
            figures["on_time"][week] += on_time
            figures["late_notices"][week] += noticed
        first = todays[a.id] - timedelta(days=RATE_WINDOW_DAYS - 1)
        recent = {day: mark for day, mark in marks[a.id].items() if day >= first}
        due, on_time, noticed = _tally(rules[a.id], recent, first=first, last=todays[a.id], **span)
        figures["due_28d"] += due
        figures["on_time_28d"] += on_time
        figures["late_notices_28d"] += noticed
        changes.append(timeutil.end_of_local_day(now, rules[a.id].tz))
        # An unresolved occurrence becomes due (missed) when its window ends.
        if a.deleted_at is None and (due_at := rules[a.id].next_due_at(now - window)):
            changes.append(due_at + window)
    result["changes_at"] = min(changes, default=None)
    return result
