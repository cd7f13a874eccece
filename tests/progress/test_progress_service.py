"""couple_progress() directly: a fixed number of statements whatever the history. (The
occurrence arithmetic behind the commitment figures is tested without a database in
tests/test_occurrences.py.)"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert

from api import timeutil
from api.agreements.models import Agreement, CheckIn, LateNotice
from api.commitments.models import Commitment, CommitmentCheck
from api.db import make_session_factory
from api.gratitude.models import GratitudeNote
from api.progress.service import couple_progress
from api.prompts.models import Answer, Round
from api.reassurance.models import ReassuranceAnswer, ReassuranceRequest
from tests.factories import pair

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # Monday, 13:00 in Paris
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def statements(engine):
    """The SQL statements sent through the test engine while the test runs."""
    seen: list[str] = []

    def _record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _record)
    yield seen
    event.remove(engine, "before_cursor_execute", _record)


def fill(
    session, couple_id, a, b, *, notes, rounds, commitments, history_days, agreements=1, asks=4
):
    """Bulk-inserts a couple's history, spread back from NOW over `history_days`."""
    step = timedelta(days=history_days) / notes
    note_rows = []
    for i in range(notes):
        created = NOW - step * (i + 1)
        author, recipient = (a, b) if i % 3 else (b, a)
        acknowledged = created + timedelta(minutes=37 * (i % 50)) if i % 2 else None
        note_rows.append(
            {
                "id": uuid.uuid4(),
                "couple_id": couple_id,
                "author_id": author,
                "recipient_id": recipient,
                "text": "Thanks",
                "created_at": created,
                "acknowledged_at": acknowledged,
            }
        )
    session.execute(insert(GratitudeNote), note_rows)
    step = timedelta(days=history_days) / rounds
    round_rows, answer_rows = [], []
    for i in range(rounds):
        asked = NOW - step * (i + 1)
        kind = "check_in" if i % 2 else "gratitude"
        round_id = uuid.uuid4()
        round_rows.append(
            {
                "id": round_id,
                "couple_id": couple_id,
                "kind": kind,
                "prompt_text": "How connected do you feel?",
                "asked_at": asked,
            }
        )
        for n, user_id in enumerate((a, b)[: 1 + i % 2]):
            answer_rows.append(
                {
                    "id": uuid.uuid4(),
                    "round_id": round_id,
                    "user_id": user_id,
                    "text": None if kind == "check_in" else "You",
                    "rating": 1 + (i + n) % 5 if kind == "check_in" else None,
                    "created_at": asked + timedelta(hours=1),
                }
            )
    session.execute(insert(Round), round_rows)
    session.execute(insert(Answer), answer_rows)
    start = NOW.date() - timedelta(days=history_days)
    check_rows = []
    for i in range(commitments):
        commitment_id = uuid.uuid4()
        session.execute(
            insert(Commitment),
            [
                {
                    "id": commitment_id,
                    "couple_id": couple_id,
                    "owner_id": (a, b)[i % 2],
                    "title": "Call",
                    "days": None,
                    "due_time": time(8, 0),
                    "timezone": "Europe/Paris",
                    "start_date": start,
                    "created_at": NOW - timedelta(days=history_days),
                    "updated_at": NOW - timedelta(days=history_days),
                }
            ],
        )
        for day in range(history_days):
            check_rows.append(
                {
                    "id": uuid.uuid4(),
                    "commitment_id": commitment_id,
                    "date": start + timedelta(days=day),
                    "status": "kept" if day % 4 else "missed",
                    "created_at": NOW - timedelta(days=history_days - day),
                    "confirmed_at": NOW if day % 3 == 1 else None,
                }
            )
    session.execute(insert(CommitmentCheck), check_rows)
    check_in_rows, notice_rows = [], []
    for i in range(agreements):
        agreement_id = uuid.uuid4()
        session.execute(
            insert(Agreement),
            [
                {
                    "id": agreement_id,
                    "couple_id": couple_id,
                    "owner_id": (a, b)[i % 2],
                    "title": "Check in",
                    "days": None,
                    "time": time(12, 30),
                    "timezone": "Europe/Paris",
                    "window_minutes": 15,
                    "remind_before_minutes": 10,
                    "start_date": start,
                    "created_at": NOW - timedelta(days=history_days),
                    "updated_at": NOW - timedelta(days=history_days),
                }
            ],
        )
        for day in range(history_days):
            occurrence = start + timedelta(days=day)
            due = timeutil.local_instant(occurrence, time(12, 30), PARIS)
            if day % 5 == 1:
                notice_rows.append(
                    {
                        "id": uuid.uuid4(),
                        "agreement_id": agreement_id,
                        "date": occurrence,
                        "due_at": due,
                        "minutes": 20,
                        "created_at": due - timedelta(minutes=5),
                    }
                )
            if day % 7:
                check_in_rows.append(
                    {
                        "id": uuid.uuid4(),
                        "agreement_id": agreement_id,
                        "date": occurrence,
                        "due_at": due,
                        "status": "late" if day % 5 == 1 else "on_time",
                        "created_at": due + timedelta(minutes=25 if day % 5 == 1 else 3),
                    }
                )
    session.execute(insert(CheckIn), check_in_rows)
    session.execute(insert(LateNotice), notice_rows)
    step = timedelta(days=history_days) / asks
    request_rows, reply_rows = [], []
    for i in range(asks):
        asked = NOW - step * (i + 1)
        asker, partner = (a, b) if i % 4 else (b, a)
        request_id = uuid.uuid4()
        request_rows.append(
            {
                "id": request_id,
                "couple_id": couple_id,
                "asker_id": asker,
                "created_at": asked,
                "answered_at": asked + timedelta(hours=1) if i % 3 else None,
                "withdrawn_at": None if i % 3 else asked + timedelta(hours=2),
            }
        )
        if i % 3:
            reply_rows.append(
                {
                    "id": uuid.uuid4(),
                    "request_id": request_id,
                    "author_id": partner,
                    "text": "I'm here",
                    "created_at": asked + timedelta(hours=1),
                }
            )
    session.execute(insert(ReassuranceRequest), request_rows)
    session.execute(insert(ReassuranceAnswer), reply_rows)
    session.commit()
    return (
        len(note_rows),
        len(round_rows),
        len(answer_rows),
        len(check_rows),
        len(check_in_rows),
        len(request_rows),
    )


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
