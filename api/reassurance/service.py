"""Reassurance: one partner asks, the other answers in their own words; and the settings the
couple shares (how many requests a day each may make).

The server never answers on a partner's behalf, and nothing here measures how fast a partner
answered: the point is the words, not a response time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, func, literal, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import timeutil
from api.accounts.models import User
from api.buckets import week_of, week_params
from api.db import get_in_couple, insert_ignoring_conflicts
from api.errors import Conflict, Forbidden
from api.i18n import N_, Message
from api.notifications import service as notifications_service
from api.pagination import Cursor, Page, paginate
from api.pairing import service as pairing_service
from api.pairing.models import Couple
from api.reassurance.models import (
    DEFAULT_DAILY_LIMIT,
    CoupleSettings,
    ReassuranceAnswer,
    ReassuranceRequest,
)


@dataclass(frozen=True)
class SettingsView:
    reassurance_daily_limit: int


@dataclass(frozen=True)
class AnswerView:
    text: str
    answered_by: uuid.UUID
    created_at: datetime


@dataclass(frozen=True)
class RequestView:
    id: uuid.UUID
    asker_id: uuid.UUID
    note: str | None
    created_at: datetime
    answered_at: datetime | None
    answer: AnswerView | None
    withdrawn_at: datetime | None


# --- the couple's settings ----------------------------------------------------------------


def _daily_limit(session: Session, couple_id: uuid.UUID) -> int:
    limit = session.scalar(
        select(CoupleSettings.reassurance_daily_limit).where(CoupleSettings.couple_id == couple_id)
    )
    return DEFAULT_DAILY_LIMIT if limit is None else limit


def get_settings(*, session: Session, couple: Couple) -> SettingsView:
    return SettingsView(reassurance_daily_limit=_daily_limit(session, couple.id))


def replace_settings(
    *, session: Session, couple: Couple, reassurance_daily_limit: int, now: datetime
) -> SettingsView:
    """Either partner sets the couple's shared settings."""
    # Two partners saving at once both land: the row is made once, the later value wins.
    insert_ignoring_conflicts(
        session,
        CoupleSettings,
        {"id": uuid.uuid4(), "couple_id": couple.id, "updated_at": now},
        conflict_on=["couple_id"],
    )
    session.execute(
        update(CoupleSettings)
        .where(CoupleSettings.couple_id == couple.id)
        .values(reassurance_daily_limit=reassurance_daily_limit, updated_at=now)
    )
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return SettingsView(reassurance_daily_limit=reassurance_daily_limit)


# --- requests and answers -----------------------------------------------------------------


def _views(session: Session, requests: list[ReassuranceRequest]) -> list[RequestView]:
    if not requests:
        return []
    answers = {
        a.request_id: a
        for a in session.scalars(
            select(ReassuranceAnswer).where(
                ReassuranceAnswer.request_id.in_([r.id for r in requests])
            )
        )
    }
    return [
        RequestView(
            id=r.id,
            asker_id=r.asker_id,
            note=r.note,
            created_at=r.created_at,
            answered_at=r.answered_at,
            answer=AnswerView(
                text=answers[r.id].text,
                answered_by=answers[r.id].author_id,
                created_at=answers[r.id].created_at,
            )
            if r.id in answers
            else None,
            withdrawn_at=r.withdrawn_at,
        )
        for r in requests
    ]


def _view(session: Session, request: ReassuranceRequest) -> RequestView:
    return _views(session, [request])[0]


def _is_open():
    return ReassuranceRequest.answered_at.is_(None) & ReassuranceRequest.withdrawn_at.is_(None)


def ask(
    *, session: Session, couple: Couple, user: User, now: datetime, note: str | None = None
) -> RequestView:
    """The caller asks their partner for reassurance; the partner is told at once.

    One open request at a time, and at most the couple's daily limit in the asker's own
    local day (withdrawn ones count: asking is what the limit bounds).
    """
    open_request = session.scalar(
        select(ReassuranceRequest.id).where(
            ReassuranceRequest.couple_id == couple.id,
            ReassuranceRequest.asker_id == user.id,
            _is_open(),
        )
    )
    if open_request is not None:
        raise Conflict("request_open", "Your partner has not answered your last request yet.")
    tz = ZoneInfo(user.timezone)
    day_start = timeutil.local_instant(timeutil.local_date(now, tz), time(0), tz)
    asked_today = session.scalar(
        select(func.count(ReassuranceRequest.id)).where(
            ReassuranceRequest.couple_id == couple.id,
            ReassuranceRequest.asker_id == user.id,
            ReassuranceRequest.created_at >= day_start,
            ReassuranceRequest.created_at < timeutil.end_of_local_day(now, tz),
        )
    )
    if asked_today >= _daily_limit(session, couple.id):
        raise Conflict("reassurance_limit", "You have asked as often as you agreed for today.")
    request = ReassuranceRequest(
        id=uuid.uuid4(), couple_id=couple.id, asker_id=user.id, note=note, created_at=now
    )
    session.add(request)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent request from the same asker got in first
        session.rollback()
        raise Conflict(
            "request_open", "Your partner has not answered your last request yet."
        ) from exc
    partner_id = couple.partner_id_of(user.id)
    if partner_id is not None:
        notifications_service.enqueue(
            session=session,
            recipient_id=partner_id,
            couple_id=couple.id,
            kind="reassurance_requested",
            title=Message(N_("{name} could use some reassurance"), name=user.display_name),
            # The note stays in the app: a lock screen is not private.
            body=Message(N_("Open Steady to answer in your own words.")),
            data={"request_id": str(request.id)},
            dedupe_key=f"reassurance_requested:{request.id}",
            now=now,
        )
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return _view(session, request)


def list_requests(
    *, session: Session, couple: Couple, limit: int, cursor: Cursor | None
) -> Page[RequestView]:
    """Both directions, newest first."""
    page = paginate(
        session,
        select(ReassuranceRequest).where(ReassuranceRequest.couple_id == couple.id),
        at_column=ReassuranceRequest.created_at,
        id_column=ReassuranceRequest.id,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=_views(session, page.items), next_cursor=page.next_cursor)


def get_request(*, session: Session, couple: Couple, request_id: uuid.UUID) -> RequestView:
    return _view(session, get_in_couple(session, ReassuranceRequest, request_id, couple.id))


def _close(session: Session, request: ReassuranceRequest, **values: Any) -> bool:
    """Compare-and-set on an open request, so an answer and a withdrawal cannot both land."""
    return (
        session.execute(
            update(ReassuranceRequest)
            .where(ReassuranceRequest.id == request.id, _is_open())
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def _refuse_closed(request: ReassuranceRequest) -> None:
    if request.answered_at is not None:
        raise Conflict("already_answered", "This request has already been answered.")
    if request.withdrawn_at is not None:
        raise Conflict("request_withdrawn", "Your partner said they are OK now.")


def answer(
    *,
    session: Session,
    couple: Couple,
    user: User,
    request_id: uuid.UUID,
    text: str,
    now: datetime,
) -> RequestView:
    """The partner answers in their own words; the asker is told at once."""
    request = get_in_couple(session, ReassuranceRequest, request_id, couple.id)
    if request.asker_id == user.id:
        raise Forbidden("not_recipient", "Your partner answers what you asked.")
    _refuse_closed(request)
    if not _close(session, request, answered_at=now):
        # Withdrawn or answered since it was read: say which.
        session.rollback()
        session.refresh(request)
        _refuse_closed(request)
        raise Conflict("already_answered", "This request has already been answered.")
    session.add(
        ReassuranceAnswer(
            id=uuid.uuid4(), request_id=request.id, author_id=user.id, text=text, created_at=now
        )
    )
    notifications_service.enqueue(
        session=session,
        recipient_id=request.asker_id,
        couple_id=couple.id,
        kind="reassurance_answered",
        title=Message(N_("{name} answered you"), name=user.display_name),
        # Their words stay in the app: a lock screen is not private.
        body=Message(N_("Open Steady to read it.")),
        data={"request_id": str(request.id)},
        dedupe_key=f"reassurance_answered:{request.id}",
        now=now,
    )
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    session.refresh(request)
    return _view(session, request)


def withdraw(
    *, session: Session, couple: Couple, user: User, request_id: uuid.UUID, now: datetime
) -> RequestView:
    """The asker says they are OK now. Withdrawing twice changes nothing; an answered request
    stays answered."""
    request = get_in_couple(session, ReassuranceRequest, request_id, couple.id)
    if request.asker_id != user.id:
        raise Forbidden("not_owner", "Only the partner who asked can withdraw this.")
    if request.withdrawn_at is None:
        if request.answered_at is not None or not _close(session, request, withdrawn_at=now):
            session.rollback()
            session.refresh(request)
            if request.answered_at is not None:
                raise Conflict("already_answered", "This request has already been answered.")
        pairing_service.bump_version(session=session, couple_id=couple.id)
        session.commit()
        session.refresh(request)
    return _view(session, request)


def open_request_for(*, session: Session, couple: Couple, user: User) -> RequestView | None:
    """The latest request the partner asked `user` that is still open, or None (for the home
    screen)."""
    request = session.scalar(_OPEN_FOR, {"couple_id": couple.id, "user_id": user.id})
    return _view(session, request) if request is not None else None


_OPEN_FOR = (
    select(ReassuranceRequest)
    .where(
        ReassuranceRequest.couple_id == bindparam("couple_id"),
        ReassuranceRequest.asker_id != bindparam("user_id"),
        _is_open(),
    )
    .order_by(ReassuranceRequest.created_at.desc(), ReassuranceRequest.id.desc())
    .limit(1)
)


# --- export and erasure -------------------------------------------------------------------


@dataclass(frozen=True)
class ExportedRequest:
    """A request as one of the two partners exports it: asked (with the partner's answer) or
    received (with their own)."""

    direction: str  # "asked" | "received"
    request: RequestView


def export_couple(*, session: Session, couple_id: uuid.UUID, user: User) -> list[ExportedRequest]:
    requests = session.scalars(
        select(ReassuranceRequest)
        .where(ReassuranceRequest.couple_id == couple_id)
        .order_by(ReassuranceRequest.created_at)
    ).all()
    return [
        ExportedRequest(direction="asked" if view.asker_id == user.id else "received", request=view)
        for view in _views(session, list(requests))
    ]


def erase_for_user(*, session: Session, user: User) -> None:
    """Part of account erasure: the requests the user asked (with the answers on them) and the
    answers they gave go (no commit)."""
    session.execute(delete(ReassuranceAnswer).where(ReassuranceAnswer.author_id == user.id))
    session.execute(delete(ReassuranceRequest).where(ReassuranceRequest.asker_id == user.id))


# --- weekly figures -----------------------------------------------------------------------


@cache
def _weekly_statement(weeks: int) -> Any:
    """Built once per number of weeks, run with bind parameters: the week boundaries,
    `couple_id`, `members`, `now`."""
    start, now = bindparam("b0"), bindparam("now")
    asked = select(
        week_of(ReassuranceRequest.created_at, weeks).label("week"),
        ReassuranceRequest.asker_id.label("user_id"),
        literal("asked").label("figure"),
    ).where(
        ReassuranceRequest.couple_id == bindparam("couple_id"),
        ReassuranceRequest.asker_id.in_(bindparam("members", expanding=True)),
        ReassuranceRequest.created_at >= start,
        ReassuranceRequest.created_at <= now,
    )
    answered = (
        select(
            week_of(ReassuranceAnswer.created_at, weeks).label("week"),
            ReassuranceAnswer.author_id.label("user_id"),
            literal("answered").label("figure"),
        )
        .join(ReassuranceRequest, ReassuranceRequest.id == ReassuranceAnswer.request_id)
        .where(
            ReassuranceRequest.couple_id == bindparam("couple_id"),
            ReassuranceAnswer.author_id.in_(bindparam("members", expanding=True)),
            ReassuranceAnswer.created_at >= start,
            ReassuranceAnswer.created_at <= now,
        )
    )
    rows = union_all(asked, answered).subquery()
    # Grouping by the subquery's columns: PostgreSQL does not see two copies of a CASE with
    # separately bound parameters as the same expression.
    return select(rows.c.week, rows.c.user_id, rows.c.figure, func.count()).group_by(
        rows.c.week, rows.c.user_id, rows.c.figure
    )


def weekly_counts(
    *,
    session: Session,
    couple_id: uuid.UUID,
    member_ids: list[uuid.UUID],
    boundaries: list[datetime],
    now: datetime,
) -> dict[uuid.UUID, dict[str, list[int]]]:
    """Per partner per week: the requests they asked and the answers they gave, by when.

    `boundaries` are the UTC instants that start each week, then the end of the last one.
    One statement however many requests there are.
    """
    weeks = len(boundaries) - 1
    result = {user_id: {"asked": [0] * weeks, "answered": [0] * weeks} for user_id in member_ids}
    if not member_ids or weeks < 1:
        return result
    params = {
        **week_params(boundaries),
        "couple_id": couple_id,
        "members": member_ids,
        "now": now,
    }
    for week, user_id, figure, count in session.connection().execute(
        _weekly_statement(weeks), params
    ):
        if 0 <= week < weeks and user_id in result:
            result[user_id][figure][week] = count
    return result
