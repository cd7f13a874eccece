"""A couple's history written straight into the tables, for tests that need a lot of it
(statement counts that must not grow with the data)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from api import timeutil
from api.agreements.models import Agreement, CheckIn, LateNotice
from api.commitments.models import Commitment, CommitmentCheck
from api.gratitude.models import GratitudeNote
from api.prompts.models import Answer, Round
from api.reassurance.models import ReassuranceAnswer, ReassuranceRequest

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # Monday, 13:00 in Paris
PARIS = ZoneInfo("Europe/Paris")


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
