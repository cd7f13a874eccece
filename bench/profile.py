"""Where a request's time goes: each endpoint served in process (Flask's test client, no HTTP
server, one thread) on a seeded database, with CPU time per request (the quickest of five
batches), SQL statements and Python function calls per request (the work done, which does not
move with how busy the machine is) and the functions that cost most. Every read is built unless
`--keep-answers` lets the app keep answers for repeat reads. The counterpart of bench/api.py,
which measures throughput and latency over HTTP; this one explains its figures.

    .venv/bin/python -m bench.profile                                   # SQLite
    .venv/bin/python -m bench.profile --database-url postgresql+psycopg://postgres@127.0.0.1/bench_profile
    .venv/bin/python -m bench.profile --couples 1000 --requests 600 --top 15 --only home
    .venv/bin/python -m bench.profile --sort cumulative --only /v1/couple/rounds
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import secrets
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import event, select

from api import create_app
from api.accounts.models import User
from api.auth import service as auth_service
from api.auth.context import token_settings
from api.db import make_session_factory
from bench import seeding

READS = (
    "/v1/home",
    "/v1/couple",
    "/v1/couple/rounds",
    "/v1/couple/progress",
    "/v1/couple/commitments",
)


def seed(url: str, couples: int, days: int, rng: random.Random):
    engine = seeding.fresh_schema(url)
    prompts = seeding.library(engine)
    batch = seeding.Batch()
    now = datetime.now(UTC)
    seeded = [
        seeding.couple_with_history(
            batch, rng=rng, prompts=prompts, now=now, days=days, open_rounds=40
        )
        for _ in range(couples)
    ]
    batch.flush(engine)
    seeding.analyze(engine)
    return engine, seeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--couples", type=int, default=300)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--requests", type=int, default=1000, help="per endpoint")
    parser.add_argument("--top", type=int, default=12, help="functions listed per endpoint")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep-answers",
        action="store_true",
        help="let the app keep built answers (ANSWER_CACHE_BYTES); off, every read is built",
    )
    parser.add_argument("--only", default="", help="endpoints whose name contains this")
    parser.add_argument(
        "--sort", default="tottime", choices=("tottime", "cumulative"), help="profile order"
    )
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/profile.db"
    if url.startswith("postgresql"):
        seeding.ensure_postgres_database(url)
    rng = random.Random(args.seed)
    with seeding.timed("seeding"):
        engine, seeded = seed(url, args.couples, args.days, rng)

    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "RATELIMIT_ENABLED": False,
            "ACCESS_TOKEN_TTL_SECONDS": 4 * 3600,
            **({} if args.keep_answers else {"ANSWER_CACHE_BYTES": 0}),
        }
    )
    tokens: list[str] = []
    answer_slots: list[tuple[int, uuid.UUID, str]] = []
    with app.app_context(), make_session_factory(engine)() as session:
        users = {u.id: u for u in session.scalars(select(User))}
        for couple in seeded:
            for user_id in couple.user_ids:
                index = len(tokens)
                tokens.append(
                    auth_service.open_session(
                        session,
                        settings=token_settings(),
                        user=users[user_id],
                        device_name="profile",
                        now=datetime.now(UTC),
                    ).access_token
                )
                for n, round_id in enumerate(couple.open_round_ids):
                    answer_slots.append((index, round_id, "check_in" if n % 2 else "gratitude"))
        session.commit()
    rng.shuffle(answer_slots)
    client = app.test_client()
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def auth(token: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", **extra}

    def read(path: str):
        def request(i: int):
            return client.get(path, headers=auth(rng.choice(tokens))), 200

        return request

    def gratitude(i: int):
        headers = auth(rng.choice(tokens), **{"Idempotency-Key": uuid.uuid4().hex})
        body = {"text": "Thank you for picking me up, it made my day."}
        return client.post("/v1/couple/gratitude", headers=headers, json=body), 201

    def answer(i: int):
        index, round_id, kind = answer_slots.pop()
        body = {"rating": 4} if kind == "check_in" else {"text": "Your hug this morning."}
        headers = auth(tokens[index], **{"Idempotency-Key": uuid.uuid4().hex})
        return client.post(f"/v1/couple/rounds/{round_id}/answers", headers=headers, json=body), 201

    endpoints = {
        "GET /healthz": lambda i: (client.get("/healthz"), 200),
        **{f"GET {path}": read(path) for path in READS},
        "POST /v1/couple/gratitude (Idempotency-Key)": gratitude,
        "POST /v1/couple/rounds/{id}/answers (Idempotency-Key)": answer,
    }
    endpoints = {
        name: call
        for name, call in endpoints.items()
        if name == "GET /healthz" or args.only in name
    }
    print(
        f"\n{args.couples} couples x {args.days} days on {engine.dialect.name}; "
        f"{args.requests} requests per endpoint, in process, one thread\n"
    )
    summary = []
    for name, call in endpoints.items():
        for i in range(20):  # warm: compiled statements, caches
            call(i)
        statements.clear()
        # Timed without the profiler (which doubles the cost), in five batches: the quickest
        # batch is the figure least disturbed by whatever else the machine was doing.
        batches = []
        batch = max(args.requests // 5, 1)
        for start in range(0, batch * 5, batch):
            cpu, wall = time.process_time(), time.perf_counter()
            for i in range(start, start + batch):
                response, expected = call(i)
                if response.status_code != expected:
                    raise SystemExit(
                        f"{name}: {response.status_code} {response.get_data()[:300]!r}"
                    )
            batches.append((time.process_time() - cpu, time.perf_counter() - wall))
        cpu, wall = min(batches)
        timed = batch
        timed_statements = list(statements)
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(args.requests // 2):
            call(i)
        profiler.disable()
        kinds = Counter(s.split(None, 1)[0].upper() for s in timed_statements)
        per = len(timed_statements) / (timed * 5)
        stats = pstats.Stats(profiler)
        # Python function calls per request: the work done, untouched by how busy the machine
        # is (CPU time on a shared machine can move by a third from one run to the next).
        calls = stats.total_calls / max(args.requests // 2, 1)
        summary.append((name, cpu / timed * 1000, per, calls))
        print(
            f"== {name}: {cpu / timed * 1000:.2f} ms CPU/request "
            f"(wall {wall / timed * 1000:.2f} ms), {per:.1f} SQL statements/request "
            f"({', '.join(f'{k} {v / (timed * 5):.1f}' for k, v in kinds.most_common())})"
        )
        stats.sort_stats(args.sort).print_stats(args.top)
    print("\nsummary (CPU per request, in process)")
    base = summary[0][1]
    for name, ms, per, calls in summary:
        print(
            f"  {name:<58}{ms:7.2f} ms {ms / base:6.1f}x healthz {per:5.1f} statements"
            f" {calls:8,.0f} calls"
        )


if __name__ == "__main__":
    main()
