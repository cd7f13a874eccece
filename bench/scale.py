"""Scale: the schedule materialiser and the progress figures as the tables grow to 10k, 100k
(and 1M) rows. Prints the time per due schedule (a fixed 100 due among N schedules), the time
of the claim query alone and its plan, and the time per couple_progress call for one couple of
fixed size among N rows of history (rounds, answers, gratitude notes, commitments, checks).

    .venv/bin/python -m bench.scale                              # 10k and 100k, SQLite temp file
    .venv/bin/python -m bench.scale --1m                         # and 1M
    .venv/bin/python -m bench.scale --1m \\
        --database-url postgresql+psycopg://postgres@127.0.0.1/bench_scale

Both costs should stay flat as N grows: the claim should read the partial index
ix_schedules_due (an index range over the due rows, not a scan), and progress reads one couple's
rows through indexes led by couple_id. The claim's plan is printed as the service sends it and
rewritten with the index's own predicate (`WHERE active`), and both are timed, so the table
shows what the index gives when the planner can use it.

Sizes are reached by growing one database (each step adds rows). Filler schedules belong to
1,000 couples and fire within the next 7 days (10% inactive); filler history is couples like
the measured one (90 days each). Rows are bulk-inserted (COPY on PostgreSQL, executemany on
SQLite), then ANALYZE runs.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as local_time

from sqlalchemy import delete, event, func, select, update
from sqlalchemy.engine import Engine

from api.db import make_session_factory
from api.pairing.models import Couple
from api.progress.service import couple_progress
from api.prompts.models import Round, Schedule
from api.prompts.service import materialise_due_schedules
from bench import seeding

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
FILLER_COUPLES = 1_000


def parse_size(text: str) -> int:
    text = text.strip().lower()
    return SIZES.get(text) or int(text.replace("_", "").replace(",", ""))


class Bench:
    def __init__(self, engine: Engine, *, due: int, rng: random.Random, now: datetime):
        self.engine = engine
        self.factory = make_session_factory(engine)
        self.rng = rng
        self.now = now
        self.prompts = seeding.library(engine)
        self.batch = seeding.Batch()
        self.filler_couples: list[uuid.UUID] = []
        self.due_ids: list[uuid.UUID] = []
        self.claim: tuple[str, object] | None = None

        # The measured couple first, then the couples whose schedules are due.
        self.measured = seeding.couple_with_history(
            self.batch, rng=rng, prompts=self.prompts, now=now, days=90
        )
        for index in range(due):
            couple = seeding.couple(
                self.batch, rng=rng, now=now, created_at=now - timedelta(days=30)
            )
            schedule_id = uuid.uuid4()
            self.due_ids.append(schedule_id)
            self.batch.add(
                Schedule,
                self._schedule(
                    schedule_id,
                    couple.couple_id,
                    kind="check_in" if index % 2 else "gratitude",
                    timezone=couple.timezones[0],
                    next_fire_at=now - timedelta(minutes=1),
                    created_by=couple.user_ids[0],
                ),
            )
        for _ in range(FILLER_COUPLES):
            couple_id = uuid.uuid4()
            self.filler_couples.append(couple_id)
            self.batch.add(
                Couple, {"id": couple_id, "created_at": now - timedelta(days=60), "ended_at": None}
            )
        self.batch.flush(engine)
        self.history = self.batch.history_rows()

    def _schedule(self, schedule_id, couple_id, *, kind, timezone, next_fire_at, created_by):
        return {
            "id": schedule_id,
            "couple_id": couple_id,
            "kind": kind,
            "prompt_id": None,
            "days": None,
            "time": local_time(self.rng.randrange(24), self.rng.choice((0, 15, 30, 45))),
            "timezone": timezone,
            "active": next_fire_at is not None,
            "next_fire_at": next_fire_at,
            "created_by": created_by,
            "created_at": self.now - timedelta(days=30),
            "updated_at": self.now - timedelta(days=30),
        }

    def grow(self, size: int) -> None:
        """Adds filler history, then filler schedules, until both reach `size` rows (history
        couples bring a schedule each, counted in)."""
        while self.batch.history_rows() + self._pending(*seeding.HISTORY) < size:
            seeding.couple_with_history(
                self.batch, rng=self.rng, prompts=self.prompts, now=self.now, days=90
            )
            if self.batch.pending() >= 50_000:
                self.batch.flush(self.engine)
        while self.batch.inserted.get(Schedule, 0) + self._pending(Schedule) < size:
            inactive = self.rng.random() < 0.1
            ahead = timedelta(seconds=self.rng.randrange(60, 7 * 24 * 3600))
            self.batch.add(
                Schedule,
                self._schedule(
                    uuid.uuid4(),
                    self.rng.choice(self.filler_couples),
                    kind=self.rng.choice(("gratitude", "check_in")),
                    timezone=self.rng.choice(seeding.TIMEZONES),
                    next_fire_at=None if inactive else self.now + ahead,
                    created_by=None,
                ),
            )
            if self.batch.pending() >= 50_000:
                self.batch.flush(self.engine)
        self.batch.flush(self.engine)
        seeding.analyze(self.engine)

    def _pending(self, *models: type) -> int:
        return sum(len(self.batch.rows.get(m, [])) for m in models)

    def counts(self) -> tuple[int, int]:
        with self.engine.connect() as conn:
            schedules = conn.scalar(select(func.count()).select_from(Schedule))
            history = sum(conn.scalar(select(func.count()).select_from(m)) for m in seeding.HISTORY)
        return schedules, history

    # --- the materialiser ----------------------------------------------------------------------

    def reset_due(self) -> None:
        """Makes the due schedules due again, with their rounds gone, so each repetition fires
        the same work."""
        with self.engine.begin() as conn:
            conn.execute(delete(Round).where(Round.schedule_id.in_(self.due_ids)))
            conn.execute(
                update(Schedule)
                .where(Schedule.id.in_(self.due_ids))
                .values(next_fire_at=self.now - timedelta(minutes=1))
            )

    def materialise(self) -> tuple[float, int]:
        self.reset_due()
        started = time.perf_counter()
        fired = materialise_due_schedules(
            session_factory=self.factory, now=self.now, limit=len(self.due_ids)
        )
        return time.perf_counter() - started, fired

    def capture_claim(self) -> None:
        """Records the claim statement materialise_due_schedules sends, with its parameters."""

        def listen(_conn, _cursor, statement, parameters, _context, executemany):
            if (
                self.claim is None
                and not executemany
                and "FROM schedules" in statement
                and "ORDER BY schedules.next_fire_at" in statement
            ):
                self.claim = (statement, parameters)

        event.listen(self.engine, "before_cursor_execute", listen)
        try:
            self.materialise()
        finally:
            event.remove(self.engine, "before_cursor_execute", listen)
        assert self.claim is not None, "the claim statement was not seen"

    def claim_statements(self) -> dict[str, tuple[str, object]]:
        """The claim as the service sends it, and the same query written with the partial
        index's own predicate (`WHERE active`), for comparison: the planners use a partial
        index only when they can prove its predicate from the query, and neither proves
        `active` from `active IS 1` (SQLite) or `active IS true` (PostgreSQL)."""
        assert self.claim is not None
        statement, parameters = self.claim
        variant = statement
        for form in ("schedules.active IS 1", "schedules.active IS true"):
            variant = variant.replace(form, "schedules.active")
        return {"as sent": (statement, parameters), "with WHERE active": (variant, parameters)}

    def explain(self, statement: str, parameters: object) -> list[str]:
        self.reset_due()
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
            else:
                prefix = "EXPLAIN QUERY PLAN "
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            conn.rollback()  # the PostgreSQL claim took row locks
        return [r[0] if len(r) == 1 else r[-1] for r in rows]

    def time_query(self, statement: str, parameters: object, repeat: int) -> float:
        """One claim query alone, median seconds (rolled back: nothing fires)."""
        self.reset_due()
        times = []
        for _ in range(repeat):
            with self.engine.connect() as conn:
                started = time.perf_counter()
                found = len(conn.exec_driver_sql(statement, parameters).all())
                times.append(time.perf_counter() - started)
                conn.rollback()
            assert found == len(self.due_ids), found
        return statistics.median(times)

    # --- progress ------------------------------------------------------------------------------

    def progress(self, weeks: int) -> tuple[float, float]:
        """Wall and CPU seconds (this process's CPU: Python's share, not the database's)."""
        with self.factory() as session:
            started, cpu = time.perf_counter(), time.process_time()
            couple_progress(
                session=session,
                couple_id=self.measured.couple_id,
                member_ids=list(self.measured.user_ids),
                since=self.measured.since,
                timezone=self.measured.timezones[0],
                weeks=weeks,
                now=self.now,
            )
            return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a database the benchmark may wipe")
    parser.add_argument(
        "--sizes",
        type=lambda s: [parse_size(x) for x in s.split(",")],
        default=[SIZES["10k"], SIZES["100k"]],
        help="comma-separated row counts (10k, 100k, 1M or numbers)",
    )
    parser.add_argument("--1m", dest="million", action="store_true", help="add the 1M size")
    parser.add_argument("--due", type=int, default=100, help="schedules due at each size")
    parser.add_argument("--repeat", type=int, default=5, help="materialiser runs per size")
    parser.add_argument("--progress-repeat", type=int, default=30, help="progress calls per size")
    parser.add_argument("--weeks", type=int, default=8, help="weeks of progress (API default 8)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    sizes = sorted(set(args.sizes + ([SIZES["1m"]] if args.million else [])))

    scratch = None if args.database_url else tempfile.mkdtemp()
    try:
        run(args, sizes, args.database_url or f"sqlite:///{scratch}/scale.db")
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def run(args: argparse.Namespace, sizes: list[int], url: str) -> None:
    with seeding.timed("migrations"):
        engine = seeding.fresh_schema(url)
    print(f"database            {engine.dialect.name} ({url})")
    print(
        f"machine             {os.cpu_count()} cores, {seeding.busy_cores():.2f} busy at the start"
    )
    rng = random.Random(args.seed)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with seeding.timed("base rows"):
        bench = Bench(engine, due=args.due, rng=rng, now=now)
    print(
        f"measured couple     {bench.history:,} rows of history (90 days); "
        f"progress over {args.weeks} weeks; {args.due} due schedules"
    )

    table = []
    for size in sizes:
        print(f"\n--- {size:,} rows ---", flush=True)
        with seeding.timed(f"seeding to {size:,}") as step:
            bench.grow(size)
        schedules, history = bench.counts()
        print(f"rows                {schedules:,} schedules, {history:,} rows of history")

        if bench.claim is None:
            bench.capture_claim()
        claims = {}
        for label, (statement, parameters) in bench.claim_statements().items():
            print(f"claim query plan, {label}:")
            for line in bench.explain(statement, parameters):
                print(f"    {line}")
            claims[label] = bench.time_query(statement, parameters, args.repeat)
        bench.materialise()  # warm-up
        per_due = []
        for _ in range(args.repeat):
            elapsed, fired = bench.materialise()
            assert fired == args.due, f"fired {fired} of {args.due}"
            per_due.append(elapsed / fired)

        for _ in range(3):
            bench.progress(args.weeks)
        calls = [bench.progress(args.weeks) for _ in range(args.progress_repeat)]
        progress = sorted(wall for wall, _ in calls)
        table.append(
            (
                schedules,
                history,
                step.elapsed,
                statistics.median(per_due) * 1000,
                claims["as sent"] * 1000,
                claims["with WHERE active"] * 1000,
                statistics.median(progress) * 1000,
                progress[int(0.9 * (len(progress) - 1))] * 1000,
                statistics.median(cpu for _, cpu in calls) * 1000,
            )
        )

    print(
        f"\n{engine.dialect.name}: medians of {args.repeat} materialiser runs and of "
        f"{args.progress_repeat} progress calls"
    )
    print(
        "claim ms: the claim query alone as sent; 'WHERE active' ms: rewritten with the index's"
        " predicate.\nprogress: wall median and p90; cpu: this process's CPU (Python), median."
    )
    print(
        f"{'schedules':>11}{'history':>11}{'seed s':>9}{'ms/due sched':>14}{'claim ms':>10}"
        f"{'WHERE active ms':>17}{'progress ms':>13}{'p90 ms':>9}{'cpu ms':>8}"
    )
    for schedules, history, seeded, per_due, claim, indexed, progress, p90, cpu in table:
        print(
            f"{schedules:>11,}{history:>11,}{seeded:>9.1f}{per_due:>14.2f}{claim:>10.2f}"
            f"{indexed:>17.2f}{progress:>13.2f}{p90:>9.2f}{cpu:>8.2f}"
        )
    engine.dispose()


if __name__ == "__main__":
    main()
