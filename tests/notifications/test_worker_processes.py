"""Several worker processes on PostgreSQL: no double sends, and nothing lost to a crash."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.db import get_engine, make_session_factory
from api.notifications.dispatch import dispatch_once
from api.notifications.models import Notification
from tests.fcm_fake import fake_fcm, fcm_sender_for, seed_deliveries

pytestmark = pytest.mark.postgres
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def seed(engine, n: int) -> None:
    """n recipients with one device each and one due notification each."""
    seed_deliveries(engine, n, now=datetime.now(UTC) - timedelta(seconds=1))


def start_worker(database_url, fcm, *extra):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.notifications.worker_process",
            "--database-url",
            database_url,
            "--fcm-url",
            fcm.fcm_url_template,
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def statuses(engine) -> Counter:
    with engine.connect() as conn:
        return Counter(conn.scalars(select(Notification.status)))


def test_several_workers_never_send_one_notification_twice(database_url, engine):
    seed(engine, 600)
    with fake_fcm() as fcm:
        workers = [start_worker(database_url, fcm, "--batch", "25") for _ in range(3)]
        outputs = [w.communicate(timeout=240)[0] for w in workers]
        per_token = Counter(r.message["token"] for r in fcm.requests)
    assert all(w.returncode == 0 for w in workers), outputs
    assert len(per_token) == 600
    assert set(per_token.values()) == {1}, [t for t, c in per_token.items() if c > 1]
    claimed = [int(out.split("CLAIMED")[-1]) for out in outputs]
    assert sum(claimed) == 600
    assert sum(1 for c in claimed if c) >= 2, claimed  # the work was really shared
    assert statuses(engine) == Counter({"sent": 600})


def test_a_worker_killed_mid_batch_loses_nothing(database_url, engine):
    seed(engine, 120)
    with fake_fcm() as fcm:
        doomed = start_worker(
            database_url, fcm, "--batch", "40", "--lease-seconds", "2", "--hang-after-send"
        )
        try:
            line = doomed.stdout.readline()  # blocks until the batch has gone out
            assert line.startswith("SENT 40"), line
        finally:
            doomed.kill()
            doomed.wait(30)
        assert statuses(engine)["sending"] == 40
        # Another worker, once the dead one's lease has run out, delivers everything.
        sender = fcm_sender_for(fcm, http_retries=False)
        factory = make_session_factory(get_engine(database_url))
        later = datetime.now(UTC) + timedelta(seconds=3)
        while dispatch_once(
            session_factory=factory, sender=sender, now=later, batch_size=50
        ).claimed:
            pass
        per_token = Counter(r.message["token"] for r in fcm.requests)
    assert statuses(engine) == Counter({"sent": 120})
    assert len(per_token) == 120
    # Only the batch in flight when the worker died went out twice.
    assert sum(1 for c in per_token.values() if c == 2) == 40
    assert max(per_token.values()) == 2
