"""Delivery throughput: the worker sending N notifications through the real FCM sender to a
local fake FCM server, beside raw firebase-admin send_each against the same server (the
ceiling). Prints notifications per second and SQL statements per notification.

    .venv/bin/python -m bench.dispatch                      # 10,000 on a temporary SQLite file
    .venv/bin/python -m bench.dispatch -n 2000 --database-url postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
import warnings
from datetime import UTC, datetime, timedelta

from firebase_admin import messaging
from sqlalchemy import event, func, insert, select, text

from api.accounts.models import Device, User
from api.auth.tokens import hash_token
from api.db import get_engine, make_session_factory
from api.models import Base
from api.notifications.models import Notification
from api.notifications.push import MAX_BATCH_SIZE, PushMessage, build_message
from api.worker import Worker
from tests.fcm_fake import cleanup_fcm_senders, fake_fcm, fcm_sender_for


def seed(engine, n: int, now: datetime) -> None:
    users, devices, rows = [], [], []
    for i in range(n):
        user_id = uuid.uuid4()
        users.append(
            {
                "id": user_id,
                "email": f"bench{i}-{user_id.hex[:8]}@example.com",
                "display_name": f"Bench {i}",
                "role": "partner",
                "timezone": "UTC",
                "locale": "en",
                "created_at": now,
            }
        )
        devices.append(
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "token": f"bench-token-{i}",
                "token_hash": hash_token(f"bench-token-{i}-{user_id}"),
                "platform": "android",
                "created_at": now,
                "last_seen_at": now,
            }
        )
        rows.append(
            {
                "id": uuid.uuid4(),
                "recipient_id": user_id,
                "kind": "gratitude_received",
                "title": "Someone is grateful",
                "body": "Your partner thanked you.",
                "data": {"gratitude_id": str(uuid.uuid4())},
                "dedupe_key": f"bench:{user_id}",
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "expires_at": now + timedelta(hours=6),
                "created_at": now,
            }
        )
    with engine.begin() as conn:
        for table, values in ((User, users), (Device, devices), (Notification, rows)):
            for start in range(0, n, 5000):
                conn.execute(insert(table), values[start : start + 5000])


def ceiling(fcm, n: int, now: datetime) -> float:
    """Raw send_each throughput: what the SDK and the fake server allow at best."""
    sender = fcm_sender_for(fcm, http_retries=False)
    app = sender._get_app()
    pushes = [
        PushMessage(
            notification_id=str(uuid.uuid4()),
            device_id="d",
            token=f"raw-{i}",
            platform="android",
            kind="gratitude_received",
            title="t",
            body="b",
            data={},
            expires_at=now + timedelta(hours=6),
        )
        for i in range(n)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        messages = [build_message(p, now=now) for p in pushes]
    started = time.perf_counter()
    for i in range(0, n, MAX_BATCH_SIZE):
        messaging.send_each(messages[i : i + MAX_BATCH_SIZE], app=app)
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="notifications (and devices)")
    parser.add_argument("--database-url", help="a database the benchmark may wipe")
    args = parser.parse_args()

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = get_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    now = datetime.now(UTC)
    seed(engine, args.n, now)

    statements = 0

    def count(*_args, **_kwargs):
        nonlocal statements
        statements += 1

    with fake_fcm() as fcm:
        raw = ceiling(fcm, args.n, now)
        sender = fcm_sender_for(fcm, http_retries=False)
        sender._get_app()  # set-up outside the timing, as in the ceiling
        worker = Worker(
            session_factory=make_session_factory(engine),
            sender=sender,
            clock=lambda: datetime.now(UTC),
            max_batches_per_pass=1_000_000,
        )
        event.listen(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        worker.run_once()
        elapsed = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", count)
        cleanup_fcm_senders()
    with engine.connect() as conn:
        sent = conn.scalar(select(func.count()).where(Notification.status == "sent"))

    rate = sent / elapsed
    print(f"database            {engine.dialect.name}")
    print(f"notifications       {args.n} ({sent} sent)")
    print(f"worker              {rate:,.0f} notifications/s ({elapsed:.1f} s)")
    print(f"send_each ceiling   {raw:,.0f} messages/s")
    print(f"worker / ceiling    {rate / raw:.0%}")
    print(
        f"SQL statements      {statements / max(sent, 1):.3f} per notification "
        f"({statements} in all; an executemany counts once)"
    )


if __name__ == "__main__":
    main()
