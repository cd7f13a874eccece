"""couple_progress() directly: a fixed number of statements whatever the history. (The
occurrence arithmetic behind the commitment figures is tested without a database in
tests/test_occurrences.py.)"""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from api import timeutil
from api.db import make_session_factory
from api.progress.service import couple_progress
from tests.factories import pair
from tests.history import NOW, fill

PARIS = ZoneInfo("Europe/Paris")


def test_the_number_of_statements_does_not_grow_with_the_data(factory, session, engine, statements):
    small_a, small_b, small = pair(factory)
    large_a, large_b, large = pair(factory)
    ids = {small: [small_a.user.id, small_b.user.id], large: [large_a.user.id, large_b.user.id]}
    small_size = fill(
        session, small, *ids[small], notes=6, rounds=4, commitments=1, history_days=20
    )
    large_size = fill(
        session,
        large,
        *ids[large],
        notes=600,
        rounds=400,
        commitments=4,
        history_days=500,
        agreements=2,
        asks=400,
    )
    assert all(big >= 10 * little for big, little in zip(large_size, small_size, strict=True))

    def run(couple_id):
        statements.clear()
        with make_session_factory(engine)() as s:
            result = couple_progress(
                session=s,
                couple_id=couple_id,
                member_ids=ids[couple_id],
                timezone="Europe/Paris",
                weeks=52,
                now=NOW,
            )
        return [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")], result

    small_sql, _ = run(small)
    large_sql, result = run(large)
    # Notes sent and acknowledged, ack durations, rounds asked, answers, commitments, checks,
    # agreements, their check-ins and notices, reassurance asked and answered.
    assert len(small_sql) == len(large_sql) == 10
    # And the large couple's figures add up: every note since the first Monday is counted.
    first_monday = timeutil.local_instant(date(2025, 12, 1), time(0), PARIS)
    expected_sent = sum(
        1 for i in range(600) if NOW - timedelta(days=500) / 600 * (i + 1) >= first_monday
    )
    counted = sum(
        w["partners"][str(user_id)]["gratitude_sent"]
        for w in result["weeks"]
        for user_id in ids[large]
    )
    assert counted == expected_sent
    assert result["weeks"][0]["week_start"] == date(2025, 12, 1)
    asked = sum(
        w["partners"][str(user_id)]["reassurance_asked"]
        for w in result["weeks"]
        for user_id in ids[large]
    )
    assert asked == sum(
        1 for i in range(400) if NOW - timedelta(days=500) / 400 * (i + 1) >= first_monday
    )
    # The agreement rates: the 27 recorded days of the window, and today's 12:30, whose window
    # ended at 12:45 with nothing recorded.
    recent = range(500 - 27, 500)
    on_time = sum(1 for day in recent if day % 7 and day % 5 != 1)
    noticed = sum(1 for day in recent if day % 5 == 1)
    summary = result["summary"][str(ids[large][0])]
    assert summary["on_time_rate_28d"] == pytest.approx(on_time / 28)
    assert summary["informed_rate_28d"] == pytest.approx((on_time + noticed) / 28)


def test_only_the_members_passed_appear(factory, session):
    a, b, couple_id = pair(factory)
    fill(
        session, couple_id, a.user.id, b.user.id, notes=5, rounds=3, commitments=2, history_days=10
    )
    # As after one partner erased their account: the couple's figures for the one left.
    result = couple_progress(
        session=session,
        couple_id=couple_id,
        member_ids=[a.user.id],
        timezone="Europe/Paris",
        weeks=2,
        now=NOW,
    )
    assert set(result["summary"]) == {a.id}
    assert all(set(w["partners"]) == {a.id} for w in result["weeks"])
    assert sum(w["partners"][a.id]["rounds_asked"] for w in result["weeks"]) >= 1


@pytest.mark.parametrize("weeks", [0, 53])
def test_weeks_out_of_range_is_a_programming_error(session, weeks):
    with pytest.raises(ValueError):
        couple_progress(
            session=session,
            couple_id=uuid.uuid4(),
            member_ids=[],
            timezone="UTC",
            weeks=weeks,
            now=NOW,
        )
