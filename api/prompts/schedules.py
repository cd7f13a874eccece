"""Schedules: when a couple is asked, and the worker's job that turns due schedules into rounds.

A schedule stores a local time, weekdays and a zone, and the next UTC instant that works out to,
stepped with zoneinfo so 20:00 stays 20:00 across DST (see `api.timeutil`).
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from api import timeutil
from api.accounts.models import User
from api.db import get_in_couple, skip_locked
from api.pagination import Cursor, Page, paginate
from api.pairing import service as pairing_service
from api.pairing.models import Couple
from api.prompts import service as prompts_service
from api.prompts.models import Prompt, Schedule
from api.unset import UNSET

MATERIALISE_BATCH = 100


def _next_fire(schedule: Schedule, now: datetime) -> datetime | None:
    if not schedule.active:
        return None
    return timeutil.next_fire_at(
        after=now,
        at=schedule.time,
        tz=ZoneInfo(schedule.timezone),
        days=timeutil.weekday_numbers(schedule.days),
    )


def create_schedule(
    *,
    session: Session,
    couple: Couple,
    user: User,
    kind: str,
    time: time,
    now: datetime,
    prompt_id: uuid.UUID | None = None,
    days: list[str] | None = None,
    timezone: str | None = None,
    active: bool = True,
) -> Schedule:
    """Asks the couple at a local time on chosen days; the next instant is computed now."""
    if prompt_id is not None:
        prompts_service.prompt_for(session=session, couple=couple, prompt_id=prompt_id, kind=kind)
    schedule = Schedule(
        id=uuid.uuid4(),
        couple_id=couple.id,
        kind=kind,
        prompt_id=prompt_id,
        days=timeutil.normalise_days(days),
        time=time,
        timezone=timezone or user.timezone,
        active=active,
        created_by=user.id,
        created_at=now,
        updated_at=now,
    )
    schedule.next_fire_at = _next_fire(schedule, now)
    session.add(schedule)
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return schedule


def assign(
    *,
    session: Session,
    couple_id: uuid.UUID,
    therapist_id: uuid.UUID,
    kind: str,
    text: str,
    time: time,
    timezone: str,
    days: list[str] | None,
    now: datetime,
) -> tuple[Prompt, Schedule]:
    """A therapist's prompt and its schedule on the couple (no commit: the therapist's use
    case commits it with the assignment)."""
    prompt = Prompt(
        id=uuid.uuid4(),
        kind=kind,
        text=text,
        source="therapist",
        couple_id=couple_id,
        created_by=therapist_id,
        created_at=now,
    )
    schedule = Schedule(
        id=uuid.uuid4(),
        couple_id=couple_id,
        kind=kind,
        prompt_id=prompt.id,
        days=timeutil.normalise_days(days),
        time=time,
        timezone=timezone,
        active=True,
        created_by=therapist_id,
        created_at=now,
        updated_at=now,
    )
    schedule.next_fire_at = _next_fire(schedule, now)
    session.add_all([prompt, schedule])
    session.flush()
    return prompt, schedule


def remove_schedules(*, session: Session, schedule_ids: list[uuid.UUID]) -> None:
    """Stops schedules for good (no commit); their past rounds stay."""
    if schedule_ids:
        session.execute(delete(Schedule).where(Schedule.id.in_(schedule_ids)))



def get_schedules(*, session: Session, schedule_ids: list[uuid.UUID]) -> dict[uuid.UUID, Schedule]:
    if not schedule_ids:
        return {}
    return {s.id: s for s in session.scalars(select(Schedule).where(Schedule.id.in_(schedule_ids)))}


def list_schedules(
    *, session: Session, couple: Couple, limit: int, cursor: Cursor | None
) -> Page[Schedule]:
    return paginate(
        session,
        select(Schedule).where(Schedule.couple_id == couple.id),
        at_column=Schedule.created_at,
        id_column=Schedule.id,
        limit=limit,
        cursor=cursor,
    )


def get_schedule(*, session: Session, couple: Couple, schedule_id: uuid.UUID) -> Schedule:
    return get_in_couple(session, Schedule, schedule_id, couple.id)


def update_schedule(
    *,
    session: Session,
    couple: Couple,
    schedule_id: uuid.UUID,
    now: datetime,
    kind: str = UNSET,
    prompt_id: uuid.UUID | None = UNSET,
    days: list[str] | None = UNSET,
    time: time = UNSET,
    timezone: str = UNSET,
    active: bool = UNSET,
) -> Schedule:
    """Changes any schedule of the couple (either partner may) and recomputes the next time."""
    schedule = get_schedule(session=session, couple=couple, schedule_id=schedule_id)
    new_kind = schedule.kind if kind is UNSET else kind
    new_prompt = schedule.prompt_id if prompt_id is UNSET else prompt_id
    if new_prompt is not None and (prompt_id is not UNSET or kind is not UNSET):
        prompts_service.prompt_for(
            session=session, couple=couple, prompt_id=new_prompt, kind=new_kind
        )
    schedule.kind = new_kind
    schedule.prompt_id = new_prompt
    if days is not UNSET:
        schedule.days = timeutil.normalise_days(days)
    if time is not UNSET:
        schedule.time = time
    if timezone is not UNSET:
        schedule.timezone = timezone
    if active is not UNSET:
        schedule.active = active
    schedule.updated_at = now
    schedule.next_fire_at = _next_fire(schedule, now)
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return schedule


def delete_schedule(*, session: Session, couple: Couple, schedule_id: uuid.UUID) -> None:
    schedule = get_schedule(session=session, couple=couple, schedule_id=schedule_id)
    session.delete(schedule)
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()


def stop_couple_schedules(*, session: Session, couple_id: uuid.UUID) -> None:
    """The couple ended: none of its schedules fires again (no commit)."""
    session.execute(
        update(Schedule)
        .where(Schedule.couple_id == couple_id)
        .values(active=False, next_fire_at=None)
    )



# --- the worker's job -------------------------------------------------------------------------


def materialise_due_schedules(
    *, session_factory: sessionmaker[Session], now: datetime, limit: int = MATERIALISE_BATCH
) -> int:
    """Fires every due schedule once: a round and a `prompt` notification for each partner.

    After downtime a schedule fires once, for its latest missed time, not once per missed day.
    """
    fired = 0
    with session_factory() as session:
        stmt = (
            select(Schedule)
            .where(Schedule.active.is_(True), Schedule.next_fire_at <= now)
            .order_by(Schedule.next_fire_at)
            .limit(limit)
        )
        for schedule in list(session.scalars(skip_locked(stmt, session))):
            fired += _fire(session, schedule, now)
        session.commit()
    return fired


def _fire(session: Session, schedule: Schedule, now: datetime) -> int:
    tz = ZoneInfo(schedule.timezone)
    days = timeutil.weekday_numbers(schedule.days)
    due_at = schedule.next_fire_at
    fire_at = timeutil.latest_fire_at_or_before(until=now, at=schedule.time, tz=tz, days=days)
    # Compare-and-set on next_fire_at: whoever moves it first owns this firing.
    advanced = session.execute(
        update(Schedule)
        .where(Schedule.id == schedule.id, Schedule.next_fire_at == due_at)
        .values(next_fire_at=timeutil.next_fire_at(after=now, at=schedule.time, tz=tz, days=days))
        .execution_options(synchronize_session=False)
    ).rowcount
    if advanced != 1:
        return 0
    couple = pairing_service.get_couple_by_id(session=session, couple_id=schedule.couple_id)
    if couple is None or couple.ended_at is not None:
        return 0
    return int(
        prompts_service.ask_scheduled(
            session=session,
            couple=couple,
            schedule_id=schedule.id,
            kind=schedule.kind,
            prompt_id=schedule.prompt_id,
            fire_at=fire_at,
            now=now,
        )
    )
