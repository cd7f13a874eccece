"""api/prompts/schedules.py called directly, for what the worker tests (test_schedules_worker.py)
do not cover: creating and changing schedules (UNSET versus an explicit None), and the
functions other domains call to stop, remove and read schedules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from api.errors import NotFound, Unprocessable
from api.pairing import service as pairing_service
from api.prompts import schedules, service
from api.prompts.models import Round, Schedule
from tests.factories import pair

# The clock starts on Monday 2026-11-23 at 12:00Z (13:00 in Paris).


def create(session, paired, clock, **kwargs):
    first, _, c = paired
    values = {"kind": "gratitude", "time": time(20, 0)}
    values.update(kwargs)
    return schedules.create_schedule(
        session=session, couple=c, user=first.user, now=clock(), **values
    )


def update(session, paired, clock, schedule, **kwargs):
    _, _, c = paired
    return schedules.update_schedule(
        session=session, couple=c, schedule_id=schedule.id, now=clock(), **kwargs
    )


def stored(session, schedule) -> Schedule:
    session.commit()
    session.expire_all()
    return session.get(Schedule, schedule.id)


def own_prompt(session, paired, clock, kind):
    first, _, c = paired
    return service.create_prompt(
        session=session, couple=c, user=first.user, kind=kind, text=f"Our {kind}", now=clock()
    )


def another_couple(factory, session):
    first, second, _ = pair(factory)
    return first, second, pairing_service.active_couple(session=session, user=first.user)


# --- create -----------------------------------------------------------------------------------


def test_create_defaults_to_every_day_in_the_creators_zone(factory, session, clock):
    paired = pair(factory, first=factory.partner(timezone="America/New_York"))
    paired = (*paired[:2], pairing_service.active_couple(session=session, user=paired[0].user))
    first, _, c = paired
    made = create(session, paired, clock)
    got = stored(session, made)
    assert (got.couple_id, got.kind, got.prompt_id, got.days) == (c.id, "gratitude", None, None)
    assert (got.timezone, got.active, got.created_by) == ("America/New_York", True, first.user.id)
    assert (got.delivery, got.categories) == ("each_local", None)
    assert got.created_at == got.updated_at == clock()
    # Each partner at 20:00 in their own zone: the partner in Paris comes first (19:00Z); the
    # one in New York follows at 01:00Z on Tuesday.
    assert got.next_fire_at == datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
    # Together, both are asked at 20:00 in the schedule's zone, New York's.
    update(session, paired, clock, made, delivery="together")
    assert stored(session, made).next_fire_at == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def test_create_with_days_and_a_zone(session, paired, clock):
    made = create(
        session,
        paired,
        clock,
        days=["sat", "wed", "sat"],
        timezone="Asia/Tokyo",
        delivery="together",
    )
    got = stored(session, made)
    assert (got.days, got.timezone) == (["wed", "sat"], "Asia/Tokyo")
    # Wednesday 20:00 in Tokyo is 11:00Z that day.
    assert got.next_fire_at == datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


def test_an_inactive_schedule_has_no_next_time(session, paired, clock):
    made = create(session, paired, clock, active=False)
    assert (stored(session, made).active, stored(session, made).next_fire_at) == (False, None)


def test_create_checks_the_prompt(factory, session, paired, clock):
    check_in = own_prompt(session, paired, clock, "check_in")
    theirs = own_prompt(session, another_couple(factory, session), clock, "gratitude")
    with pytest.raises(NotFound) as hidden:
        create(session, paired, clock, prompt_id=theirs.id)
    assert hidden.value.reason == "prompt_not_found"
    with pytest.raises(Unprocessable) as mismatch:
        create(session, paired, clock, kind="gratitude", prompt_id=check_in.id)
    assert mismatch.value.reason == "prompt_kind_mismatch"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Schedule)) == 0
    made = create(session, paired, clock, kind="check_in", prompt_id=check_in.id)
    assert stored(session, made).prompt_id == check_in.id


# --- update: UNSET leaves a field alone, None clears it ---------------------------------------


def test_update_changes_only_what_is_given_and_recomputes(session, paired, clock):
    mine = own_prompt(session, paired, clock, "gratitude")
    made = create(session, paired, clock, prompt_id=mine.id, days=["mon", "tue"])
    clock.advance(hours=1)
    update(session, paired, clock, made, time=time(21, 30))
    got = stored(session, made)
    assert (got.kind, got.prompt_id, got.days, got.timezone, got.active) == (
        "gratitude",
        mine.id,
        ["mon", "tue"],
        "Europe/Paris",
        True,
    )
    assert got.time == time(21, 30)
    assert got.updated_at == clock() and got.created_at == clock() - timedelta(hours=1)
    assert got.next_fire_at == datetime(2026, 11, 23, 20, 30, tzinfo=UTC)


def test_an_explicit_none_clears_the_prompt_and_the_days(session, paired, clock):
    mine = own_prompt(session, paired, clock, "gratitude")
    made = create(session, paired, clock, prompt_id=mine.id, days=["sun"])
    update(session, paired, clock, made, prompt_id=None)
    got = stored(session, made)
    assert (got.prompt_id, got.days) == (None, ["sun"])
    update(session, paired, clock, made, days=None)
    got = stored(session, made)
    assert got.days is None
    assert got.next_fire_at == datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # every day: tonight


def test_changing_the_kind_is_checked_against_the_kept_prompt(session, paired, clock):
    mine = own_prompt(session, paired, clock, "gratitude")
    made = create(session, paired, clock, prompt_id=mine.id)
    with pytest.raises(Unprocessable) as mismatch:
        update(session, paired, clock, made, kind="check_in")
    assert mismatch.value.reason == "prompt_kind_mismatch"
    session.rollback()
    assert (stored(session, made).kind, stored(session, made).prompt_id) == ("gratitude", mine.id)
    # Changing the kind and clearing the prompt together is fine: the library rotates.
    update(session, paired, clock, made, kind="check_in", prompt_id=None)
    assert (stored(session, made).kind, stored(session, made).prompt_id) == ("check_in", None)
    check_in = own_prompt(session, paired, clock, "check_in")
    update(session, paired, clock, made, prompt_id=check_in.id)
    assert stored(session, made).prompt_id == check_in.id


def test_switching_off_and_on_again(session, paired, clock):
    made = create(session, paired, clock)
    update(session, paired, clock, made, active=False)
    assert stored(session, made).next_fire_at is None
    clock.set(datetime(2026, 11, 25, 20, 0, tzinfo=UTC))  # Wednesday, after 20:00 in Paris
    update(session, paired, clock, made, active=True)
    assert stored(session, made).next_fire_at == datetime(2026, 11, 26, 19, 0, tzinfo=UTC)


def test_a_zone_change_moves_the_next_instant(session, paired, clock):
    made = create(session, paired, clock, delivery="together")
    update(session, paired, clock, made, timezone="America/Los_Angeles")
    assert stored(session, made).next_fire_at == datetime(2026, 11, 24, 4, 0, tzinfo=UTC)


def test_another_couples_schedule_is_not_found(factory, session, paired, clock):
    made = create(session, paired, clock)
    outsider = another_couple(factory, session)
    with pytest.raises(NotFound):
        update(session, outsider, clock, made, active=False)
    with pytest.raises(NotFound):
        schedules.delete_schedule(session=session, couple=outsider[2], schedule_id=made.id)
    session.rollback()
    assert stored(session, made).active is True


# --- what other domains call ------------------------------------------------------------------


def test_stop_couple_schedules_stops_only_that_couple(factory, session, paired, clock):
    _, _, c = paired
    ours = [create(session, paired, clock), create(session, paired, clock, kind="check_in")]
    theirs = create(session, another_couple(factory, session), clock)
    schedules.stop_couple_schedules(session=session, couple_id=c.id)
    session.rollback()  # no commit of its own
    assert all(stored(session, s).next_fire_at is not None for s in ours)
    schedules.stop_couple_schedules(session=session, couple_id=c.id)
    session.commit()
    for s in ours:
        assert (stored(session, s).active, stored(session, s).next_fire_at) == (False, None)
    assert stored(session, theirs).next_fire_at is not None


def test_remove_schedules_deletes_them_and_keeps_their_rounds(session, paired, clock):
    _, _, c = paired
    gone = create(session, paired, clock)
    kept = create(session, paired, clock, kind="check_in")
    service.ask_scheduled(
        session=session,
        couple=c,
        schedule_id=gone.id,
        kind="gratitude",
        prompt_id=None,
        fire_at=gone.next_fire_at,
        asked_at={member: gone.next_fire_at for member in c.member_ids()},
        now=clock(),
    )
    session.commit()
    schedules.remove_schedules(session=session, schedule_ids=[gone.id])
    schedules.remove_schedules(session=session, schedule_ids=[])
    session.commit()
    session.expire_all()
    assert session.scalars(select(Schedule.id)).all() == [kept.id]
    [past] = session.scalars(select(Round)).all()
    assert (past.schedule_id, past.fire_at) == (None, gone.next_fire_at)


def test_get_schedules_returns_those_that_exist(session, paired, clock):
    one = create(session, paired, clock)
    two = create(session, paired, clock, kind="check_in")
    found = schedules.get_schedules(session=session, schedule_ids=[one.id, two.id, uuid.uuid4()])
    assert {k: v.kind for k, v in found.items()} == {one.id: "gratitude", two.id: "check_in"}
    assert schedules.get_schedules(session=session, schedule_ids=[]) == {}
