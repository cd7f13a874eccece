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

    def run_once(self) -> dict[str, int]:
        """One pass: every job, then outbox batches until nothing is due (or a bound)."""
        started = time.monotonic()
        materialised = 0
        for job in self.jobs:
            materialised += job(session_factory=self.session_factory, now=self.clock())
        totals = DispatchStats()
        for _ in range(self.max_batches_per_pass):
            stats = dispatch_once(
                session_factory=self.session_factory,
                sender=self.sender,
                now=self.clock(),
                batch_size=self.batch_size,
                lease=self.lease,
            )
            totals.add(stats)
            # Stop between batches, never inside one: a claimed batch is always recorded.
            if stats.claimed < self.batch_size or self.stopping.is_set():
                break
        summary = {"materialised": materialised, **totals.__dict__}
        if materialised or totals.claimed:
            log.info(
                "worker pass %s duration_ms=%d",
                " ".join(f"{k}={v}" for k, v in summary.items()),
                (time.monotonic() - started) * 1000,
            )
        return summary

    def run_forever(self) -> None:
        """Loops until SIGTERM/SIGINT; the batch in hand is finished before exiting."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())
        log.info("worker started (sender=%s)", self.sender.name)
        while not self.stopping.is_set():
            summary = self.run_once()
            if not summary["claimed"] and not summary["materialised"]:
                self.stopping.wait(self.poll_interval)
        log.info("worker stopped")


def registered_jobs() -> list[Job]:
    """The materialisers of every domain that schedules work."""
    from api.commitments import service as commitments_service
    from api.prompts import service as prompts_service

    return [prompts_service.materialise_due_schedules, commitments_service.send_due_reminders]


def build_worker(app: Flask) -> Worker:
    return Worker(
        session_factory=app.extensions["steady_db"],
        sender=app.extensions.get("steady_push_sender") or make_sender(app.config),
        clock=app.config.get("CLOCK") or utcnow,
        jobs=registered_jobs(),
    )


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run one pass and exit.")
def worker_command(once: bool) -> None:
    """Run the background worker (schedules and push delivery)."""
    worker = build_worker(current_app._get_current_object())
    if once:
        click.echo(worker.run_once())
    else:
        worker.run_forever()
