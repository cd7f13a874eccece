"""Delivery throughput: the worker sending N notifications through the real FCM sender to a
local fake FCM server, beside raw firebase-admin send_each against the same server (the
ceiling). Prints notifications per second and SQL statements per notification.

Then delivery latency: N notifications committed at once while 1 (and, on PostgreSQL, 4)
worker processes poll as in production; prints the time from the commit to each message's
arrival at the fake FCM server (p50/p99).

    .venv/bin/python -m bench.dispatch                      # 10,000 on a temporary SQLite file
    .venv/bin/python -m bench.dispatch -n 2000 --database-url postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
import uuid
import warnings
from datetime import UTC, datetime, timedelta

from firebase_admin import messaging
from firebase_admin.messaging import _MessagingService
from sqlalchemy import delete, event, func, insert, select, text

from api.accounts.models import User
from api.db import get_engine, make_session_factory
from api.models import Base
from api.notifications.models import Notification
from api.notifications.push import MAX_BATCH_SIZE, FcmSender, PushMessage, build_message
from api.worker import Worker
from tests.fcm_fake import (
    StaticTokenCredentials,
    cleanup_fcm_senders,
    fake_fcm,
    fcm_sender_for,
    seed_deliveries,
)


def seed(engine, n: int, now: datetime) -> None:
    seed_deliveries(
        engine,
        n,
        now=now,
        kind="gratitude_received",
        title="Someone is grateful",
        body="Your partner thanked you.",
        ttl=timedelta(hours=6),
        token_prefix="bench-token",
    )


def notifications(recipients: list[uuid.UUID], now: datetime) -> list[dict]:
    """One due notification per recipient."""
    return [
        {
            "id": uuid.uuid4(),
            "recipient_id": user_id,
            "kind": "gratitude_received",
            "title": "Someone is grateful",
            "body": "Your partner thanked you.",
            "data": {"gratitude_id": str(uuid.uuid4())},
            "dedupe_key": f"bench:{uuid.uuid4()}",
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "expires_at": now + timedelta(hours=6),
            "created_at": now,
        }
        for user_id in recipients
    ]


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


def _worker_process(database_url: str, fcm_url: str, ready) -> None:
    """A worker as `flask worker` runs it (default poll interval, lease and batch size), its
    sender pointed at the fake server; SIGTERM stops it between batches."""
    _MessagingService.FCM_URL = fcm_url
    sender = FcmSender(
        project_id="steady-test",
        credential=StaticTokenCredentials(token="x"),
        app_name="bench-worker",
        http_retries=False,
    )
    sender._get_app()
    worker = Worker(session_factory=make_session_factory(get_engine(database_url)), sender=sender)
    worker.run_once()  # connections open, nothing due yet
    ready.set()
    worker.run_forever()


def latency(engine, url: str, fcm, workers: int) -> tuple[list[float], float, float]:
    """Commits one notification per bench recipient at once, with `workers` worker processes
    already polling; returns each message's commit-to-FCM seconds, the time until the last
    arrived, and the workers' poll interval."""
    with engine.begin() as conn:
        conn.execute(delete(Notification))
        recipients = list(conn.scalars(select(User.id)))
    context = multiprocessing.get_context("spawn")  # a fresh process, like a real worker
    readiness = [context.Event() for _ in range(workers)]
    processes = [
        context.Process(target=_worker_process, args=(url, fcm.fcm_url_template, ready))
        for ready in readiness
    ]
    for process in processes:
        process.start()
    try:
        for ready in readiness:
            if not ready.wait(120):
                raise RuntimeError("a worker process did not start")
        before = len(fcm.requests)
        rows = notifications(recipients, datetime.now(UTC))
        with engine.begin() as conn:
            conn.execute(insert(Notification), rows)
        committed = time.monotonic()
        deadline = committed + 600
        while len({r.message["token"] for r in fcm.requests[before:]}) < len(rows):
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not deliver every notification in time")
            time.sleep(0.02)
    finally:
        for process in processes:
            process.terminate()  # SIGTERM: the batch in hand is finished first
        for process in processes:
            process.join(60)
    first_arrival: dict[str, float] = {}
    for request in fcm.requests[before:]:
        first_arrival.setdefault(request.message["token"], request.received_at)
    delays = sorted(arrived - committed for arrived in first_arrival.values())
    return delays, delays[-1], Worker.poll_interval


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


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
        # SQLite has one writer: one worker is how it runs (see README).
        worker_counts = (1, 4) if engine.dialect.name == "postgresql" else (1,)
        latencies = {w: latency(engine, url, fcm, w) for w in worker_counts}

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
    poll = latencies[1][2]
    print(
        f"delivery latency    commit to FCM request, {args.n} notifications committed at once, "
        f"workers polling every {poll:g} s"
    )
    for workers, (delays, last, _) in latencies.items():
        print(
            f"  {workers} worker{'s' if workers > 1 else ' '}         "
            f"p50 {percentile(delays, 50):.2f} s   p99 {percentile(delays, 99):.2f} s   "
            f"last {last:.2f} s ({len(delays) / last:,.0f} notifications/s)"
        )


if __name__ == "__main__":
    main()
