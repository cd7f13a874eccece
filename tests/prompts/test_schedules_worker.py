"""Schedules fired by the worker's job, called directly with an injected clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from api import flows
from api.notifications.models import Notification
from api.pairing import service as pairing_service
from api.prompts import schedules, service
from api.prompts.library import library
from api.prompts.models import Round, Schedule
from tests.factories import pair


def schedule(factory, paired, **kwargs):
    first, _, c = paired
    values = {"kind": "gratitude", "time": time(20, 0)}
    values.update(kwargs)
    return schedules.create_schedule(
        session=factory.session, couple=c, user=first.user, now=factory.clock(), **values
    )


def fire(session_factory, clock):
    return schedules.materialise_due_schedules(session_factory=session_factory, now=clock())


def reload(session, obj):
    session.commit()  # a fresh snapshot: the worker wrote through its own session
    session.refresh(obj)


def rounds(session):
    session.commit()
    session.expire_all()
    return list(session.scalars(select(Round).order_by(Round.asked_at)))


def test_a_due_schedule_fires_once_and_advances(factory, session, session_factory, clock, paired):
    first, second, c = paired
    s = schedule(factory, paired)  # 20:00 Paris = 19:00Z
    assert fire(session_factory, clock) == 0
    clock.set(datetime(2026, 11, 23, 19, 0, tzinfo=UTC))
    assert fire(session_factory, clock) == 1
    assert fire(session_factory, clock) == 0
    [r] = rounds(session)
    assert (r.schedule_id, r.fire_at, r.asked_at, r.kind) == (s.id, clock(), clock(), "gratitude")
    assert r.prompt_text == library()[0].text
    reload(session, s)
    assert s.next_fire_at == datetime(2026, 11, 24, 19, 0, tzinfo=UTC)
    notes = session.scalars(select(Notification).where(Notification.kind == "prompt")).all()
    assert {n.recipient_id for n in notes} == {first.user.id, second.user.id}
    # Its TTL ends that local evening: midnight in Paris.
    assert {n.expires_at for n in notes} == {datetime(2026, 11, 23, 23, 0, tzinfo=UTC)}
    assert {n.data["round_id"] for n in notes} == {str(r.id)}


def test_after_downtime_a_schedule_fires_once_for_the_latest_missed_time(
    factory, session, session_factory, clock, paired
):
    s = schedule(factory, paired)
    clock.set(datetime(2026, 11, 26, 21, 0, tzinfo=UTC))  # three evenings missed
    assert fire(session_factory, clock) == 1
    [r] = rounds(session)
    assert r.fire_at == datetime(2026, 11, 26, 19, 0, tzinfo=UTC)
    reload(session, s)
    assert s.next_fire_at == datetime(2026, 11, 27, 19, 0, tzinfo=UTC)


def test_20_00_stays_20_00_across_daylight_saving(factory, session, session_factory, clock, paired):
    clock.set(datetime(2027, 3, 26, 12, 0, tzinfo=UTC))
    s = schedule(factory, paired)
    fired = []
    for _ in range(4):  # 26, 27 (CET) and 28, 29 March (CEST) 2027
        reload(session, s)
        clock.set(s.next_fire_at)
        fire(session_factory, clock)
        fired.append(clock())
    assert [f.hour for f in fired] == [19, 19, 18, 18]
    assert all(f.astimezone(ZoneInfo("Europe/Paris")).hour == 20 for f in fired)
    assert len(rounds(session)) == 4


def test_inactive_schedules_never_fire(factory, session, session_factory, clock, paired):
    schedule(factory, paired, active=False)
    clock.advance(days=3)
    assert fire(session_factory, clock) == 0
    assert rounds(session) == []


def test_unpairing_stops_the_couples_schedules(factory, session, session_factory, clock, paired):
    first, _, _ = paired
    s = schedule(factory, paired)
    flows.unpair(session=session, user=first.user, now=clock())
    clock.advance(days=2)
    assert fire(session_factory, clock) == 0
    reload(session, s)
    assert (s.active, s.next_fire_at) == (False, None)


def test_rotation_avoids_what_the_couple_was_asked_recently(
    factory, session, session_factory, clock, paired
):
    s = schedule(factory, paired, kind="check_in")
    for _ in range(4):
        reload(session, s)
        clock.set(s.next_fire_at)
        fire(session_factory, clock)
    check_ins = [p.text for p in library() if p.kind == "check_in"]
    assert [r.prompt_text for r in rounds(session)] == check_ins[:4]


def test_a_schedule_with_a_prompt_always_asks_it(factory, session, session_factory, clock, paired):
    first, _, c = paired
    mine = service.create_prompt(
        session=session,
        couple=c,
        user=first.user,
        kind="gratitude",
        text="What did they do today that you noticed?",
        now=clock(),
    )
    s = schedule(factory, paired, prompt_id=mine.id)
    for _ in range(2):
        reload(session, s)
        clock.set(s.next_fire_at)
        fire(session_factory, clock)
    assert {r.prompt_text for r in rounds(session)} == {mine.text}


def test_the_database_refuses_a_second_round_for_one_firing(factory, session, clock, paired):
    _, _, c = paired
    s = schedule(factory, paired)
    for _ in range(2):
        session.add(
            Round(
                couple_id=c.id,
                kind="gratitude",
                prompt_text="q",
                schedule_id=s.id,
                fire_at=s.next_fire_at,
                asked_at=clock(),
            )
        )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_many_due_schedules_are_all_fired(factory, session, session_factory, clock):
    for _ in range(3):
        paired = pair(factory)
        c = pairing_service.active_couple(session=session, user=paired[0].user)
        schedule(factory, (paired[0], paired[1], c))
    clock.advance(days=1)
    assert (
        schedules.materialise_due_schedules(session_factory=session_factory, now=clock(), limit=2)
        == 2
    )
    assert fire(session_factory, clock) == 1


@pytest.mark.postgres
def test_two_workers_fire_each_schedule_exactly_once(factory, session, session_factory, clock):
    for _ in range(20):
        paired = pair(factory)
        c = pairing_service.active_couple(session=session, user=paired[0].user)
        schedule(factory, (paired[0], paired[1], c))
    clock.advance(days=1)
    barrier = threading.Barrier(4)
    counts = []

    def worker():
        barrier.wait()
        counts.append(
            schedules.materialise_due_schedules(
                session_factory=session_factory, now=clock(), limit=5
            )
        )
        counts.append(fire(session_factory, clock))
        counts.append(fire(session_factory, clock))
        counts.append(fire(session_factory, clock))
        counts.append(fire(session_factory, clock))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    session.commit()
    assert sum(counts) == 20
    assert session.scalar(select(func.count()).select_from(Round)) == 20
    per_schedule = session.execute(
        select(Round.schedule_id, func.count()).group_by(Round.schedule_id)
    ).all()
    assert {count for _, count in per_schedule} == {1}
    prompts = session.scalar(
        select(func.count()).select_from(Notification).where(Notification.kind == "prompt")
    )
    assert prompts == 40
    assert (
        session.scalar(
            select(func.count()).select_from(Schedule).where(Schedule.next_fire_at <= clock())
        )
        == 0
    )
