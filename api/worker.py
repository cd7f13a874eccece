"""The background worker: materialise due schedules, then deliver the outbox.

`flask --app wsgi worker` runs the loop; `--once` runs one pass. The tests call `run_once`
and the job functions directly with an injected clock.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from prometheus_client import start_http_server
from sqlalchemy.orm import Session, sessionmaker

from api.db import utcnow
from api.notifications.dispatch import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LEASE,
    DispatchStats,
    dispatch_once,
)
from api.notifications.push import PushSender
from api.notifications.senders import make_sender
from api.observability import SCHEDULES_MATERIALISED, WORKER_PASS_SECONDS
from api.retention import RetentionPolicy
from api.retention import purge as purge_retention

log = logging.getLogger("steady.worker")

# A job materialises what has come due (rounds, reminders) into outbox rows; returns a count.
Job = Callable[..., int]


@dataclass
class Worker:
    session_factory: sessionmaker[Session]
    sender: PushSender
    clock: Callable[[], datetime] = utcnow
    jobs: list[Job] = field(default_factory=list)
    batch_size: int = DEFAULT_BATCH_SIZE
    lease: timedelta = DEFAULT_LEASE
    poll_interval: float = 1.0
    max_batches_per_pass: int = 20
    stopping: threading.Event = field(default_factory=threading.Event)

    retention: RetentionPolicy | None = None
    retention_interval: float = 300.0
    _last_retention: float = field(default=float("-inf"), repr=False)

    def run_once(self) -> dict[str, int]:
        """One pass: every job, then outbox batches until nothing is due (or a bound)."""
        started = time.monotonic()
        materialised = 0
        for job in self.jobs:
            materialised += job(session_factory=self.session_factory, now=self.clock())
        SCHEDULES_MATERIALISED.inc(materialised)
        totals = DispatchStats()
        for _ in range(self.max_batches_per_pass):
            stats = dispatch_once(
                session_factory=self.session_factory,
                sender=self.sender,
                now=self.clock(),
                batch_size=self.batch_size,
                lease=self.lease,
                clock=self.clock,
            )
            totals.add(stats)
            # Stop between batches, never inside one: a claimed batch is always recorded.
            if stats.claimed < self.batch_size or self.stopping.is_set():
                break
        purged = self._retention()
        duration = time.monotonic() - started
        WORKER_PASS_SECONDS.observe(duration)
        summary = {"materialised": materialised, **totals.__dict__, "purged": purged}
        if materialised or totals.claimed or purged:
            log.info(
                "worker pass",
                extra={"fields": {**summary, "duration_ms": round(duration * 1000, 2)}},
            )
        return summary

    def _retention(self) -> int:
        if self.retention is None or time.monotonic() - self._last_retention < (
            self.retention_interval
        ):
            return 0
        self._last_retention = time.monotonic()
        counts = purge_retention(
            session_factory=self.session_factory, now=self.clock(), policy=self.retention
        )
        return sum(counts.values())

    def run_forever(self) -> None:
        """Loops until SIGTERM/SIGINT; the batch in hand is finished before exiting."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())
        log.info("worker started", extra={"fields": {"sender": self.sender.name}})
        while not self.stopping.is_set():
            summary = self.run_once()
            if not summary["claimed"] and not summary["materialised"]:
                self.stopping.wait(self.poll_interval)
        log.info("worker stopped")


def registered_jobs() -> list[Job]:
    """The materialisers of every domain that schedules work."""
    from api.agreements import service as agreements_service
    from api.commitments import service as commitments_service
    from api.prompts import schedules as schedules_service

    return [
        schedules_service.materialise_due_schedules,
        commitments_service.send_due_reminders,
        agreements_service.send_due_reminders,
        agreements_service.send_due_nudges,
    ]


def build_worker(app: Flask) -> Worker:
    return Worker(
        session_factory=app.extensions["steady_db"],
        sender=app.extensions.get("steady_push_sender") or make_sender(app.config),
        clock=app.config.get("CLOCK") or utcnow,
        jobs=registered_jobs(),
        lease=timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"]),
        retention=RetentionPolicy(
            notifications=timedelta(days=app.config["NOTIFICATION_RETENTION_DAYS"]),
            expired_codes=timedelta(days=app.config["INVITE_RETENTION_DAYS"]),
        ),
    )


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run one pass and exit.")
def worker_command(once: bool) -> None:
    """Run the background worker (schedules, push delivery, retention)."""
    app = current_app._get_current_object()
    worker = build_worker(app)
    if app.config["WORKER_METRICS_PORT"] and not once:
        # The worker's counters live in its own process; Prometheus scrapes them here.
        start_http_server(app.config["WORKER_METRICS_PORT"], addr="127.0.0.1")
    if once:
        click.echo(worker.run_once())
    else:
        worker.run_forever()
