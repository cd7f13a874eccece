"""Schedules: when a couple is asked, and the worker's job that turns due schedules into rounds.

A schedule stores a local time, weekdays and a zone, and the next UTC instant that works out to,
stepped with zoneinfo so 20:00 stays 20:00 across DST (see `api.timeutil`).

Delivery: `together` asks both partners at `time` in the schedule's zone. `each_local` asks each
partner at `time` in their own zone (their account's), on the same local date: the round exists
from the first of the two instants, which is the schedule's `next_fire_at`, and the other
partner's notification waits in the outbox until theirs (`timeutil.JointFiring`). A partner who
changes zone moves the couple's `each_local` schedules with them (`follow_member_zones`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from api import timeutil
from api.accounts import service as accounts_service
from api.accounts.models import User
from api.db import get_in_couple, skip_locked
from api.pagination import Cursor, Page, paginate
from api.pairing import service as pairing_service
from api.pairing.models import Couple
from api.prompts import service as prompts_service
from api.prompts.library import CATEGORIES
from api.prompts.models import Prompt, Schedule
from api.unset import UNSET

MATERIALISE_BATCH = 100


@dataclass(frozen=True)
class Firing:
    """One firing: when its round is asked, and when each partner is."""

    fire_at: datetime
    asked_at: dict[uuid.UUID, datetime]


def _member_zones(session: Session, member_ids: list[uuid.UUID]) -> dict[uuid.UUID, ZoneInfo]:
    """Each partner's own zone, in slot order (one statement)."""
    zones = accounts_service.timezones_of(session=session, user_ids=member_ids)
    return {m: ZoneInfo(zones[m]) for m in member_ids if m in zones}


def _each_local(schedule: Schedule, zones: dict[uuid.UUID, ZoneInfo]) -> bool:
    return schedule.delivery == "each_local" and bool(zones)


def _next_fire(
    schedule: Schedule, now: datetime, zones: dict[uuid.UUID, ZoneInfo]
) -> datetime | None:
    if not schedule.active:
        return None
    days = timeutil.weekday_numbers(schedule.days)
    if _each_local(schedule, zones):
        return timeutil.next_joint_firing(
            after=now, at=schedule.time, zones=list(zones.values()), days=days
        ).at
    return timeutil.next_fire_at(
        after=now, at=schedule.time, tz=ZoneInfo(schedule.timezone), days=days
    )


def _latest_firing(schedule: Schedule, now: datetime, zones: dict[uuid.UUID, ZoneInfo]) -> Firing:
    """The firing a due schedule makes now: its latest at or before `now`."""
    days = timeutil.weekday_numbers(schedule.days)
    if _each_local(schedule, zones):
        joint = timeutil.latest_joint_firing_at_or_before(
            until=now, at=schedule.time, zones=list(zones.values()), days=days
        )
        return Firing(
            fire_at=joint.at,
            asked_at={
                member: instant
                for member, instant in zip(zones, joint.instants, strict=True)
                if instant is not None
            },
        )
    fire_at = timeutil.latest_fire_at_or_before(
        until=now, at=schedule.time, tz=ZoneInfo(schedule.timezone), days=days
    )
    return Firing(fire_at=fire_at, asked_at={member: fire_at for member in zones})


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
    delivery: str = "each_local",
    categories: list[str] | None = None,
) -> Schedule:
    """Asks the couple at a local time on chosen days; the next instant is computed now."""
    if prompt_id is not None:
        prompts_service.prompt_for(session=session, couple=couple, prompt_id=prompt_id, kind=kind)
    schedule = Schedule(
        id=uuid.uuid4(),
        couple_id=couple.id,
        kind=kind,
        prompt_id=prompt_id,
        categories=_categories(categories),
        days=timeutil.normalise_days(days),
        time=time,
        timezone=timezone or user.timezone,
        delivery=delivery,
        active=active,
        created_by=user.id,
        created_at=now,
        updated_at=now,
    )
    schedule.next_fire_at = _next_fire(schedule, now, _member_zones(session, couple.member_ids()))
    session.add(schedule)
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return schedule


def _categories(categories: list[str] | None) -> list[str] | None:
    """In the library's order, so a schedule reads the same however they were sent."""
    if categories is None:
        return None
    return [c for c in CATEGORIES if c in set(categories)]


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
    delivery: str = "each_local",
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
        delivery=delivery,
        active=True,
        created_by=therapist_id,
        created_at=now,
        updated_at=now,
    )
    couple = pairing_service.get_couple_by_id(session=session, couple_id=couple_id)
    members = couple.member_ids() if couple is not None else []
    schedule.next_fire_at = _next_fire(schedule, now, _member_zones(session, members))
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
    delivery: str = UNSET,
    categories: list[str] | None = UNSET,
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
    if delivery is not UNSET:
        schedule.delivery = delivery
    if categories is not UNSET:
        schedule.categories = _categories(categories)
    schedule.updated_at = now
    schedule.next_fire_at = _next_fire(schedule, now, _member_zones(session, couple.member_ids()))
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return schedule


def delete_schedule(*, session: Session, couple: Couple, schedule_id: uuid.UUID) -> None:
    schedule = get_schedule(session=session, couple=couple, schedule_id=schedule_id)
    session.delete(schedule)
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()


def follow_member_zones(*, session: Session, couple: Couple, now: datetime) -> None:
    """A partner changed zone: the couple's `each_local` schedules are recomputed for it
    (no commit: the profile change commits it)."""
    schedules = list(
        session.scalars(
            select(Schedule).where(
                Schedule.couple_id == couple.id,
                Schedule.delivery == "each_local",
                Schedule.active.is_(True),
            )
        )
    )
    if not schedules:
        return
    zones = _member_zones(session, couple.member_ids())
    for schedule in schedules:
        schedule.next_fire_at = _next_fire(schedule, now, zones)
        schedule.updated_at = now
    pairing_service.bump_version(session=session, couple_id=couple.id)


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
    couple = pairing_service.get_couple_by_id(session=session, couple_id=schedule.couple_id)
    zones = _member_zones(session, couple.member_ids()) if couple is not None else {}
    due_at = schedule.next_fire_at
    firing = _latest_firing(schedule, now, zones)
    # Compare-and-set on next_fire_at: whoever moves it first owns this firing.
    advanced = session.execute(
        update(Schedule)
        .where(Schedule.id == schedule.id, Schedule.next_fire_at == due_at)
        .values(next_fire_at=_next_fire(schedule, now, zones))
        .execution_options(synchronize_session=False)
    ).rowcount
    if advanced != 1:
        return 0
    if couple is None or couple.ended_at is not None:
        return 0
    return int(
        prompts_service.ask_scheduled(
            session=session,
            couple=couple,
            schedule_id=schedule.id,
            kind=schedule.kind,
            prompt_id=schedule.prompt_id,
            categories=schedule.categories,
            fire_at=firing.fire_at,
            asked_at=firing.asked_at,
            now=now,
        )
    )
