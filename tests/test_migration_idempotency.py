"""Revision 0022 on a database with stored answers and a key whose request was still being
served: the answers stay, the unanswered claim goes, and the column that marked it is dropped.
Run on a SQLite file of its own, whatever the suite's database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command

from api.db import UTCDateTime, get_engine
from tests.conftest import alembic_config

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)

users = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    *(sa.column(name) for name in ("display_name", "role", "timezone", "locale")),
    sa.column("created_at", UTCDateTime()),
)
records = sa.table(
    "idempotency_records",
    sa.column("id", sa.Uuid()),
    sa.column("user_id", sa.Uuid()),
    *(sa.column(name) for name in ("key", "method", "path", "request_hash", "response_body")),
    sa.column("response_status", sa.Integer()),
    *(sa.column(name, UTCDateTime()) for name in ("created_at", "expires_at")),
)


def test_answered_keys_stay_and_unanswered_claims_go(tmp_path):
    url = f"sqlite:///{tmp_path / 'before.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0021")
    engine = get_engine(url)
    user_id = uuid.uuid4()
    row = {
        "user_id": user_id,
        "method": "POST",
        "path": "/v1/couple/gratitude",
        "request_hash": "h",
        "created_at": NOW,
        "expires_at": NOW + timedelta(hours=24),
    }
    with engine.begin() as conn:
        conn.execute(
            users.insert().values(
                id=user_id,
                display_name="A",
                role="partner",
                timezone="UTC",
                locale="en",
                created_at=NOW,
            )
        )
        conn.execute(
            records.insert(),
            [
                {**row, "id": uuid.uuid4(), "key": "answered", "response_status": 201},
                {**row, "id": uuid.uuid4(), "key": "in-flight", "response_status": None},
            ],
        )
    command.upgrade(cfg, "0022")
    with engine.connect() as conn:
        kept = conn.execute(sa.select(records.c.key, records.c.response_status)).all()
        columns = {c["name"]: c for c in sa.inspect(conn).get_columns("idempotency_records")}
    assert kept == [("answered", 201)]
    assert "locked_until" not in columns
    assert columns["response_status"]["nullable"] is False
    command.downgrade(cfg, "0021")
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("idempotency_records")}
    assert "locked_until" in columns
