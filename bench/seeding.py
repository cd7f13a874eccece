"""Bulk seeding shared by the benchmarks: couples and their history written straight into the
tables with executemany in chunks, not through the services (a service call per row would take
hours at a million rows). The rows are those the services write, so the services and routes read
them back as their own. Also: a fresh schema through the real migrations.
"""

from __future__ import annotations

import json
import random
import time as clock
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, insert, select, text
from sqlalchemy.engine import Engine, make_url

from api.accounts.models import User
from api.commitments.models import Commitment, CommitmentCheck
from api.db import get_engine
from api.gratitude.models import GratitudeNote
from api.pairing.models import Couple, CoupleMember
from api.prompts.models import Answer, Prompt, Round, Schedule

ROOT = Path(__file__).resolve().parent.parent
TIMEZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney")
CHUNK = 5_000
# Inserted in this order, so foreign keys always point at rows already there.
TABLE_ORDER = (
    User,
    Couple,
    CoupleMember,
    Schedule,
    Commitment,
    Round,
    Answer,
    GratitudeNote,
    CommitmentCheck,
)
HISTORY = (Round, Answer, GratitudeNote, Commitment, CommitmentCheck)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# --- databases ----------------------------------------------------------------------------------


def ensure_postgres_database(url: str) -> None:
    """Creates the benchmark's own database when it is missing (nothing else is touched)."""
    parsed = make_url(url)
    engine = get_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    engine.dispose()


def postgres_unreachable(url: str) -> str | None:
    """Why PostgreSQL at `url` cannot be used, or None when it answers (its database is created
    when missing)."""
    import psycopg

    parsed = make_url(url)
    params = {
        "host": parsed.host or "127.0.0.1",
        "port": parsed.port or 5432,
        "user": parsed.username or "postgres",
        "password": parsed.password,
        "connect_timeout": 3,
    }
    try:
        psycopg.connect(dbname=parsed.database, **params).close()
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0]
        if "does not exist" not in reason:
            return reason
        ensure_postgres_database(url)
    return None


def fresh_schema(url: str) -> Engine:
    """Empties the database and builds the schema with `alembic upgrade head`, as deployed
    (which also loads the prompt library)."""
    engine = get_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")
    return engine


def analyze(engine: Engine) -> None:
    """Planner statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) keep them."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


def library(engine: Engine) -> dict[str, list[tuple[uuid.UUID, str]]]:
    """The library prompts by kind: (id, text)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Prompt.kind, Prompt.id, Prompt.text)
            .where(Prompt.source == "library")
            .order_by(Prompt.position)
        ).all()
    prompts: dict[str, list[tuple[uuid.UUID, str]]] = {"gratitude": [], "check_in": []}
    for kind, prompt_id, prompt_text in rows:
        prompts[kind].append((prompt_id, prompt_text))
    return prompts


# --- rows ---------------------------------------------------------------------------------------


@dataclass
class Batch:
    """Rows waiting to be inserted, by model; `flush` writes them in foreign-key order."""

    rows: dict[type, list[dict[str, Any]]] = field(default_factory=dict)
    inserted: dict[type, int] = field(default_factory=dict)

    def add(self, model: type, row: dict[str, Any]) -> None:
        self.rows.setdefault(model, []).append(row)

    def pending(self) -> int:
        return sum(len(v) for v in self.rows.values())

    def flush(self, engine: Engine) -> None:
        with engine.begin() as conn:
            for model in TABLE_ORDER:
                values = self.rows.pop(model, [])
                if not values:
                    continue
                if conn.dialect.name == "postgresql":
                    _copy(conn, model, values)
                else:
                    for start in range(0, len(values), CHUNK):
                        conn.execute(insert(model), values[start : start + CHUNK])
                self.inserted[model] = self.inserted.get(model, 0) + len(values)
        assert not self.rows, f"models outside TABLE_ORDER: {list(self.rows)}"

    def history_rows(self) -> int:
        """History inserted so far: rounds, answers, gratitude notes, commitments, checks."""
        return sum(self.inserted.get(m, 0) for m in HISTORY)


def _copy(conn: Any, model: Any, values: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY: several times faster than psycopg's pipelined executemany."""
    # COPY applies only the database's defaults; add the model's own scalar ones it leaves out.
    defaults = {
        c.name: c.default.arg
        for c in model.__table__.c
        if c.name not in values[0] and c.default is not None and c.default.is_scalar
    }
    if defaults:
        values = [{**defaults, **row} for row in values]
    columns = list(values[0])
    json_columns = {c for c in columns if isinstance(model.__table__.c[c].type, JSON)}
    sql = f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in values:
            copy.write_row(
                [
                    json.dumps(row[c]) if c in json_columns and row[c] is not None else row[c]
                    for c in columns
                ]
            )


@dataclass(frozen=True)
class SeededCouple:
    couple_id: uuid.UUID
    user_ids: tuple[uuid.UUID, uuid.UUID]
    timezones: tuple[str, str]
    open_round_ids: list[uuid.UUID]
    since: datetime


def couple(
    batch: Batch, *, rng: random.Random, now: datetime, created_at: datetime
) -> SeededCouple:
    """Two partners and their couple, no history."""
    couple_id = uuid.uuid4()
    user_ids = (uuid.uuid4(), uuid.uuid4())
    zones = (rng.choice(TIMEZONES), rng.choice(TIMEZONES))
    for user_id, zone in zip(user_ids, zones, strict=True):
        batch.add(
            User,
            {
                "id": user_id,
                "email": f"bench-{user_id.hex}@example.com",
                "password_hash": None,
                "display_name": f"Partner {user_id.hex[:6]}",
                "role": "partner",
                "timezone": zone,
                "locale": "en",
                "created_at": created_at,
            },
        )
    batch.add(Couple, {"id": couple_id, "created_at": created_at, "ended_at": None})
    for slot, user_id in enumerate(user_ids, start=1):
        batch.add(
            CoupleMember,
            {
                "id": uuid.uuid4(),
                "couple_id": couple_id,
                "user_id": user_id,
                "slot": slot,
                "active": True,
                "joined_at": created_at,
            },
        )
    return SeededCouple(couple_id, user_ids, zones, [], since=created_at)


def couple_with_history(
    batch: Batch,
    *,
    rng: random.Random,
    prompts: dict[str, list[tuple[uuid.UUID, str]]],
    now: datetime,
    days: int,
    open_rounds: int = 0,
) -> SeededCouple:
    """A couple paired `days` ago that used the app every day since: a check-in schedule that
    fired daily, a gratitude round asked every third day, answers from most of them, gratitude
    notes (most acknowledged), one daily or weekday commitment per partner with its checks
    (some confirmed); then `open_rounds` rounds asked in the last hours that neither answered.
    """
    start = now - timedelta(days=days + 1)
    seeded = couple(batch, rng=rng, now=now, created_at=start)
    a, b = seeded.user_ids
    schedule_id = uuid.uuid4()
    batch.add(
        Schedule,
        {
            "id": schedule_id,
            "couple_id": seeded.couple_id,
            "kind": "check_in",
            "prompt_id": None,
            "days": None,
            "time": time(20, 0),
            "timezone": seeded.timezones[0],
            "active": True,
            "next_fire_at": now + timedelta(minutes=rng.randrange(1, 24 * 60)),
            "created_by": a,
            "created_at": start,
            "updated_at": start,
        },
    )

    def answers(round_id: uuid.UUID, kind: str, asked_at: datetime) -> datetime | None:
        answered = []
        for user_id in (a, b):
            if rng.random() >= 0.8:
                continue
            at = min(asked_at + timedelta(minutes=rng.randrange(5, 600)), now)
            answered.append(at)
            batch.add(
                Answer,
                {
                    "id": uuid.uuid4(),
                    "round_id": round_id,
                    "user_id": user_id,
                    "text": "Thank you for listening to me tonight."
                    if kind == "gratitude"
                    else None,
                    "rating": rng.randint(1, 5) if kind == "check_in" else None,
                    "created_at": at,
                },
            )
        return max(answered) if len(answered) == 2 else None

    def round_(kind: str, asked_at: datetime, scheduled: bool, index: int) -> dict[str, Any]:
        prompt_id, prompt_text = prompts[kind][index % len(prompts[kind])]
        row = {
            "id": uuid.uuid4(),
            "couple_id": seeded.couple_id,
            "kind": kind,
            "prompt_id": prompt_id,
            "prompt_text": prompt_text,
            "schedule_id": schedule_id if scheduled else None,
            "fire_at": asked_at if scheduled else None,
            "asked_by": None if scheduled else a,
            "asked_at": asked_at,
            "completed_at": None,
        }
        batch.add(Round, row)
        return row

    for day in range(days, 0, -1):
        midnight = (now - timedelta(days=day)).replace(hour=0, minute=0, second=0, microsecond=0)
        asked_at = midnight + timedelta(hours=19)
        rounds = [("check_in", asked_at, True)]
        if day % 3 == 0:
            rounds.append(("gratitude", midnight + timedelta(hours=12), False))
        for kind, at, scheduled in rounds:
            row = round_(kind, at, scheduled, day)
            row["completed_at"] = answers(row["id"], kind, at)
        for author, recipient in ((a, b), (b, a)):
            if rng.random() >= 0.5:
                continue
            created_at = midnight + timedelta(minutes=rng.randrange(7 * 60, 23 * 60))
            acknowledged_at = created_at + timedelta(minutes=rng.randrange(10, 36 * 60))
            acknowledged = rng.random() < 0.7 and acknowledged_at < now
            batch.add(
                GratitudeNote,
                {
                    "id": uuid.uuid4(),
                    "couple_id": seeded.couple_id,
                    "author_id": author,
                    "recipient_id": recipient,
                    "text": "Thank you for making coffee this morning.",
                    "reaction": "heart" if acknowledged and rng.random() < 0.5 else None,
                    "created_at": created_at,
                    "acknowledged_at": acknowledged_at if acknowledged else None,
                },
            )

    for index, (owner, partner, zone) in enumerate(
        ((a, b, seeded.timezones[0]), (b, a, seeded.timezones[1]))
    ):
        commitment_id = uuid.uuid4()
        days_of_week = None if index == 0 else list(WEEKDAYS[:5])
        start_date = start.date()
        batch.add(
            Commitment,
            {
                "id": commitment_id,
                "couple_id": seeded.couple_id,
                "owner_id": owner,
                "title": "Text you when I leave work" if index else "Ask how your day went",
                "details": None,
                "days": days_of_week,
                "date": None,
                "due_time": time(18, 0),
                "timezone": zone,
                "remind_before_minutes": None,
                "next_reminder_at": None,
                "start_date": start_date,
                "created_at": start,
                "updated_at": start,
                "deleted_at": None,
            },
        )
        for day in _dates(start_date, now.date() - timedelta(days=1), days_of_week):
            if rng.random() >= 0.85:
                continue
            kept = rng.random() < 0.8
            recorded_at = datetime.combine(day, time(19, 0), tzinfo=UTC)
            confirmed = kept and rng.random() < 0.5
            batch.add(
                CommitmentCheck,
                {
                    "id": uuid.uuid4(),
                    "commitment_id": commitment_id,
                    "date": day,
                    "status": "kept" if kept else "missed",
                    "note": None,
                    "created_at": recorded_at,
                    "confirmed_at": recorded_at + timedelta(hours=2) if confirmed else None,
                    "confirmed_by": partner if confirmed else None,
                },
            )

    for index in range(open_rounds):
        kind = "check_in" if index % 2 else "gratitude"
        asked_at = now - timedelta(minutes=5 * (index + 1))
        seeded.open_round_ids.append(round_(kind, asked_at, False, index)["id"])
    return seeded


def _dates(first: date, last: date, days: list[str] | None) -> list[date]:
    wanted = None if days is None else {WEEKDAYS.index(d) for d in days}
    out = []
    day = first
    while day <= last:
        if wanted is None or day.weekday() in wanted:
            out.append(day)
        day += timedelta(days=1)
    return out


def timed(label: str):
    """A context manager printing how long a step took."""

    class _Timed:
        def __enter__(self):
            self.started = clock.perf_counter()
            return self

        def __exit__(self, *exc):
            self.elapsed = clock.perf_counter() - self.started
            if exc[0] is None:
                print(f"{label:<28}{self.elapsed:8.1f} s", flush=True)

    return _Timed()


def machine_times() -> tuple[int, int]:
    """(busy, total) jiffies summed over all cores, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def busy_cores(seconds: float = 1.0) -> float:
    """How many cores the whole machine keeps busy over `seconds` (other people's work too:
    numbers taken on a shared machine say so)."""
    import os

    busy, total = machine_times()
    clock.sleep(seconds)
    busy2, total2 = machine_times()
    return (busy2 - busy) / max(total2 - total, 1) * (os.cpu_count() or 1)
