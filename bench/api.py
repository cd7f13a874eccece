"""API throughput: gunicorn serving `wsgi:app` on a seeded database, driven by a closed-loop load
generator at several concurrencies. Each endpoint runs alone, then all of them as a mix; GET
/healthz on the same server is the baseline. Prints requests/s, p50 and p99 latency and errors
per endpoint, and endpoint req/s ÷ healthz req/s.

    .venv/bin/python -m bench.api                                # SQLite, then PostgreSQL
    .venv/bin/python -m bench.api --database sqlite --couples 200 --duration 3
    .venv/bin/python -m bench.api --database postgresql \\
        --postgres-url postgresql+psycopg://postgres@127.0.0.1/bench_api -c 1,4,16,64

The dataset (default 1,000 couples, 2,000 partners, 90 days of history each: daily check-in
rounds and a gratitude round every third day with most answered, gratitude notes, a commitment
per partner with its checks; plus open rounds nobody answered, for the answer POSTs) is written
straight into the tables (bench/seeding.py); access tokens are minted through the auth service
(login would cost ~40 ms of Argon2 per user). The load generator is a few asyncio streams
speaking HTTP/1.1 keep-alive, one connection per concurrent client; it shares the cores with
the server, so the CPU it used is printed beside each run, with gunicorn's CPU per request (the
figure least disturbed by other work on a shared machine) and how busy the whole machine was.

The server inherits the environment, so `ANSWER_CACHE_BYTES=0 python -m bench.api` measures
every read built from the database; with the default, a read that repeats a viewer's unchanged
state (the same partner again, with no write in between) is answered from the bytes the
process kept (api.conditional).

gunicorn runs with the project's gunicorn.conf.py when there is one, overridden by flags:
gthread workers, 4 threads each; 2 processes (one per core) on PostgreSQL, 1 on SQLite, the
most a production SQLite setup is allowed (`--sqlite-workers 2` runs it as development);
no worker recycling mid-run. The default run takes about 4-5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from api.accounts.models import User
from api.auth import service as auth_service
from api.auth.tokens import TokenSettings
from api.config import load_config
from api.db import make_session_factory
from bench import seeding

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.prefix) / "bin" / "gunicorn"
CONFIG = ROOT / "gunicorn.conf.py"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1/bench_api"
TOKEN_TTL_SECONDS = 4 * 3600  # outlives the run; nothing else depends on it
MIX = (  # a partner's app: mostly reads, some writes; the home screen is read most
    ("GET /v1/home", 30),
    ("GET /v1/couple", 25),
    ("GET /v1/couple/rounds", 25),
    ("GET /v1/couple/progress", 20),
    ("POST /v1/couple/gratitude", 15),
    ("POST /v1/couple/rounds/{id}/answers", 15),
)
HEALTHZ = "GET /healthz"
ENDPOINTS = [name for name, _ in MIX]
# The reads again, half of them revalidating an ETag the partner already holds.
REVALIDATE_SUFFIX = " (½ If-None-Match)"
REVALIDATED = [e + REVALIDATE_SUFFIX for e in ENDPOINTS if e.startswith("GET ")]


# --- the dataset -------------------------------------------------------------------------------


@dataclass
class Dataset:
    tokens: list[str]  # one per partner
    # (token index, round id, kind): each answer POST uses one up.
    answer_slots: list[tuple[int, str, str]]


def seed(
    url: str, *, couples: int, days: int, open_rounds: int, rng: random.Random
) -> tuple[Engine, list[seeding.SeededCouple]]:
    with seeding.timed("migrations"):
        engine = seeding.fresh_schema(url)
    prompts = seeding.library(engine)
    now = datetime.now(UTC)
    batch = seeding.Batch()
    seeded = []
    with seeding.timed("seeding") as step:
        for _ in range(couples):
            seeded.append(
                seeding.couple_with_history(
                    batch, rng=rng, prompts=prompts, now=now, days=days, open_rounds=open_rounds
                )
            )
            if batch.pending() >= 50_000:
                batch.flush(engine)
        batch.flush(engine)
        seeding.analyze(engine)
    rows = sum(batch.inserted.values())
    print(
        f"{'':<28}{rows:,} rows ({rows / step.elapsed:,.0f}/s): "
        + ", ".join(f"{m.__tablename__} {n:,}" for m, n in batch.inserted.items()),
        flush=True,
    )
    return engine, seeded


def mint_tokens(
    engine: Engine, seeded: list[seeding.SeededCouple], *, secret: str, rng: random.Random
) -> Dataset:
    """An access token per partner through the auth service's own session opening (what
    login does after the password check), committed in one transaction."""
    config = load_config({})
    settings = TokenSettings(
        secret=secret,
        issuer=config["JWT_ISSUER"],
        audience=config["JWT_AUDIENCE"],
        access_ttl_seconds=TOKEN_TTL_SECONDS,
    )
    dataset = Dataset(tokens=[], answer_slots=[])
    now = datetime.now(UTC)
    index: dict[uuid.UUID, int] = {}
    with seeding.timed("minting tokens"), make_session_factory(engine)() as session:
        users = {u.id: u for u in session.scalars(select(User))}
        for couple in seeded:
            for user_id in couple.user_ids:
                pair = auth_service.open_session(
                    session, settings=settings, user=users[user_id], device_name="bench", now=now
                )
                index[user_id] = len(dataset.tokens)
                dataset.tokens.append(pair.access_token)
        session.commit()
    for couple in seeded:
        for n, round_id in enumerate(couple.open_round_ids):
            kind = "check_in" if n % 2 else "gratitude"
            for user_id in couple.user_ids:
                dataset.answer_slots.append((index[user_id], str(round_id), kind))
    rng.shuffle(dataset.answer_slots)
    engine.dispose()
    return dataset


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn in its own process group, stopped (group and all) on exit."""

    def __init__(
        self,
        *,
        url: str,
        secret: str,
        workers: int,
        threads: int,
        worker_class: str,
        environment: str,
    ):
        self.port = free_port()
        self.log = Path(tempfile.mkdtemp()) / "gunicorn.log"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": secret,
            "RATELIMIT_ENABLED": "0",
            "METRICS_TOKEN": secrets.token_urlsafe(24),
            "ACCESS_TOKEN_TTL_SECONDS": str(TOKEN_TTL_SECONDS),
            "STEADY_ENV": environment,
            "PUSH_BACKEND": "log",
            # Read by gunicorn.conf.py, which checks the serving setup with them.
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
        }
        # The project's serving settings when it has them; the flags below take precedence.
        config = ["--config", str(CONFIG)] if CONFIG.is_file() else []
        self.command = [
            str(GUNICORN),
            *config,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            worker_class,
            "--keep-alive",
            "30",
            # Recycling a worker mid-run would time its restart, not the app.
            "--max-requests",
            "0",
            "--log-level",
            "warning",
            "--error-logfile",
            str(self.log),
            "wsgi:app",
        ]
        # The app's own log lines (one per request) go to the same file as gunicorn's.
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start; its log:\n{self.tail()}")

    def problems(self) -> str:
        """How many tracebacks the server logged, and the first one."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "gunicorn log: (none)"
        count = text.count("Traceback")
        if not count:
            shutil.rmtree(self.log.parent, ignore_errors=True)
            return "gunicorn log: no tracebacks"
        first = text[text.index("Traceback") :].splitlines()[:25]
        return f"gunicorn log: {count} tracebacks ({self.log}); the first:\n" + "\n".join(first)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def cpu_seconds(self) -> float:
        """CPU used so far by the master and its workers (from /proc)."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid, pgid = int(stat.parent.name), int(fields[1]), int(fields[2])
            if self.process.pid in (pid, ppid, pgid):
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# --- the load generator ------------------------------------------------------------------------


class Connection:
    """One HTTP/1.1 keep-alive connection; reconnects when the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes, dict[str, str]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, body, headers

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


def build(
    method: str,
    path: str,
    token: str | None,
    body: object | None,
    headers: dict[str, str] | None = None,
) -> bytes:
    payload = b"" if body is None else json.dumps(body).encode()
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


class Requests:
    """Makes the next request of each endpoint for a random partner; None when the open
    rounds for answers have run out. POSTs carry an Idempotency-Key, as the apps send. With
    `revalidate`, half the GETs carry the ETag the same partner last got for that path, as an
    app refreshing a screen does (a 304 then counts as answered)."""

    def __init__(self, dataset: Dataset, rng: random.Random):
        self.dataset = dataset
        self.rng = rng
        self.exhausted = False
        self.revalidate = False
        self.etags: dict[tuple[str, str], str] = {}

    def token(self) -> str:
        return self.rng.choice(self.dataset.tokens)

    def make(self, endpoint: str) -> tuple[bytes, set[int], tuple[str, str] | None] | None:
        if endpoint == HEALTHZ:
            return build("GET", "/healthz", None, None), {200}, None
        if endpoint.startswith("GET "):
            token, path = self.token(), endpoint[4:]
            headers = {}
            if self.revalidate and self.rng.random() < 0.5 and (token, path) in self.etags:
                headers["If-None-Match"] = self.etags[(token, path)]
            return build("GET", path, token, None, headers), {200, 304}, (token, path)
        key = {"Idempotency-Key": uuid.uuid4().hex}
        if endpoint == "POST /v1/couple/gratitude":
            body = {"text": "Thank you for picking me up, it made my day."}
            return build("POST", "/v1/couple/gratitude", self.token(), body, key), {201}, None
        if not self.dataset.answer_slots:
            self.exhausted = True
            return None
        token_index, round_id, kind = self.dataset.answer_slots.pop()
        body = {"rating": 4} if kind == "check_in" else {"text": "Your hug this morning."}
        path = f"/v1/couple/rounds/{round_id}/answers"
        return build("POST", path, self.dataset.tokens[token_index], body, key), {201}, None


@dataclass
class Result:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)  # one error body per endpoint
    elapsed: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    machine_busy: float = 0.0
    not_modified: int = 0


async def drive(
    port: int,
    requests: Requests,
    pick: Callable[[], str],
    *,
    concurrency: int,
    duration: float,
    server: Server,
) -> Result:
    """`concurrency` clients, each sending its next request as soon as the last one answered,
    until `duration` seconds have passed."""
    result = Result()
    deadline = time.perf_counter() + duration

    async def client() -> None:
        conn = Connection(port)
        try:
            while time.perf_counter() < deadline:
                endpoint = pick()
                made = requests.make(endpoint)
                if made is None:
                    return
                raw, expected, cache_key = made
                started = time.perf_counter()
                headers: dict[str, str] = {}
                try:
                    status, body, headers = await conn.request(raw)
                except (OSError, asyncio.IncompleteReadError) as exc:
                    await conn.close()
                    status, body = 0, repr(exc).encode()
                latency = time.perf_counter() - started
                if cache_key is not None and "etag" in headers:
                    requests.etags[cache_key] = headers["etag"]
                if status == 304:
                    result.not_modified += 1
                if status in expected:
                    result.latencies.setdefault(endpoint, []).append(latency)
                else:
                    result.errors[endpoint] = result.errors.get(endpoint, 0) + 1
                    result.samples.setdefault(endpoint, f"{status} {body[:200].decode()}")
        finally:
            await conn.close()

    cpu, server_cpu, (busy, total) = (
        time.process_time(),
        server.cpu_seconds(),
        seeding.machine_times(),
    )
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - started
    busy2, total2 = seeding.machine_times()
    result.client_cpu = (time.process_time() - cpu) / result.elapsed
    result.server_cpu = (server.cpu_seconds() - server_cpu) / result.elapsed
    result.machine_busy = (busy2 - busy) / max(total2 - total, 1) * os.cpu_count()
    return result


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(label: str, result: Result, endpoint: str, baseline: float | None) -> str:
    lat = result.latencies.get(endpoint, [])
    rps = len(lat) / result.elapsed
    ratio = f"{rps / baseline:10.2f}" if baseline else f"{'':>10}"
    cpu = f"{server_ms_per_request(result):9.2f}" if baseline is not None else f"{'':>9}"
    return (
        f"  {label:<46}{rps:9.1f}{percentile(lat, 0.5) * 1000:9.1f}"
        f"{percentile(lat, 0.99) * 1000:9.1f}{result.errors.get(endpoint, 0):8d}{ratio}{cpu}"
    )


def server_ms_per_request(result: Result) -> float:
    done = sum(len(v) for v in result.latencies.values()) + sum(result.errors.values())
    return result.server_cpu * result.elapsed / max(done, 1) * 1000


def cpu_note(result: Result) -> str:
    return (
        f"gunicorn {server_ms_per_request(result):.1f} ms CPU/request; cores busy: gunicorn "
        f"{result.server_cpu:.2f}, load generator {result.client_cpu:.2f}, whole machine "
        f"{result.machine_busy:.2f} of {os.cpu_count()}"
    )


def run_database(name: str, url: str, args: argparse.Namespace) -> dict[str, dict[int, float]]:
    """Seeds, serves and measures one database; returns the ratios by endpoint and concurrency."""
    rng = random.Random(args.seed)
    print(f"\n=== {name} ({url}) ===", flush=True)
    engine, seeded = seed(
        url, couples=args.couples, days=args.days, open_rounds=args.open_rounds, rng=rng
    )
    secret = secrets.token_urlsafe(48)
    dataset = mint_tokens(engine, seeded, secret=secret, rng=rng)
    workers = args.sqlite_workers if name == "SQLite" else args.workers
    # The project refuses SQLite under several gunicorn workers in production (one writer).
    environment = "development" if name == "SQLite" and workers > 1 else "production"
    ratios: dict[str, dict[int, float]] = {e: {} for e in [*ENDPOINTS, *REVALIDATED]}
    p99s: dict[str, dict[int, float]] = {e: {} for e in [*ENDPOINTS, *REVALIDATED]}
    server = Server(
        url=url,
        secret=secret,
        workers=workers,
        threads=args.threads,
        worker_class=args.worker_class,
        environment=environment,
    )
    print(
        f"gunicorn: {workers} workers x {args.threads} threads ({args.worker_class}), "
        f"STEADY_ENV={environment}, {os.cpu_count()} cores; "
        f"{' '.join(server.command[1:])}\n"
        f"{len(dataset.tokens):,} partners with tokens; "
        f"{len(dataset.answer_slots):,} unanswered (round, partner) slots",
        flush=True,
    )
    try:
        server.wait_ready()
        requests = Requests(dataset, rng)
        weights = [w for _, w in MIX]

        def mix() -> str:
            return rng.choices(ENDPOINTS, weights)[0]

        # Warm-up: every worker process imports, connects and fills its caches.
        asyncio.run(
            drive(server.port, requests, mix, concurrency=8, duration=args.warmup, server=server)
        )
        for concurrency in args.concurrency:
            print(
                f"\n{name} · concurrency {concurrency} · {args.duration:g} s per run\n"
                f"  {'endpoint':<46}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
                f"{'/healthz':>10}{'CPU ms':>9}",
                flush=True,
            )
            notes = []
            baseline = None
            for label in [HEALTHZ, *ENDPOINTS, *REVALIDATED]:
                endpoint = label.removesuffix(REVALIDATE_SUFFIX)
                requests.revalidate = label in REVALIDATED
                result = asyncio.run(
                    drive(
                        server.port,
                        requests,
                        lambda e=endpoint: e,
                        concurrency=concurrency,
                        duration=args.duration,
                        server=server,
                    )
                )
                requests.revalidate = False
                lat = result.latencies.get(endpoint, [])
                if endpoint == HEALTHZ:
                    baseline = len(lat) / result.elapsed
                else:
                    ratios[label][concurrency] = len(lat) / result.elapsed / baseline
                    p99s[label][concurrency] = percentile(lat, 0.99) * 1000
                print(row(label, result, endpoint, baseline), flush=True)
                share = (
                    f", {result.not_modified / max(len(lat), 1):.0%} answered 304"
                    if (label in REVALIDATED)
                    else ""
                )
                notes.append(f"    {label}: {cpu_note(result)}{share}")
                if endpoint in result.samples:
                    notes.append(f"    {label}: first error: {result.samples[endpoint]}")
            result = asyncio.run(
                drive(
                    server.port,
                    requests,
                    mix,
                    concurrency=concurrency,
                    duration=args.duration,
                    server=server,
                )
            )
            total = sum(len(v) for v in result.latencies.values()) / result.elapsed
            errors = sum(result.errors.values())
            shares = "/".join(str(w) for w in weights)
            print(
                f"  {'mix (' + shares + ') total':<40}{total:9.1f}{'':>18}{errors:8d}"
                f"{total / baseline if baseline else float('nan'):10.2f}"
            )
            for endpoint in ENDPOINTS:
                print(row("  in the mix: " + endpoint, result, endpoint, None))
                if endpoint in result.samples:
                    notes.append(f"    mix {endpoint}: first error: {result.samples[endpoint]}")
            notes.append(f"    mix: {cpu_note(result)}")
            print("\n".join(notes), flush=True)
            if requests.exhausted:
                print("  (the open rounds ran out: raise --open-rounds for more answer POSTs)")
                requests.exhausted = False
    finally:
        server.stop()
        print(server.problems())
    return {"ratio": ratios, "p99": p99s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql", "both"),
        default="both",
        help="PostgreSQL is skipped with a message when unreachable",
    )
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a database the benchmark may wipe (created when missing)",
    )
    parser.add_argument("--couples", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=90, help="days of history per couple")
    parser.add_argument(
        "--open-rounds", type=int, default=12, help="unanswered rounds per couple, for answers"
    )
    parser.add_argument(
        "-c",
        "--concurrency",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1, 4, 16, 64],
        help="comma-separated client counts",
    )
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of mix before runs")
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn processes on PostgreSQL (one per core)"
    )
    parser.add_argument(
        "--sqlite-workers",
        type=int,
        default=1,
        help="gunicorn processes on SQLite (production allows one; more runs as development)",
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    # SIGTERM must reach the finally blocks that stop gunicorn, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    print(
        f"machine: {os.cpu_count()} cores, {seeding.busy_cores():.2f} busy before the start; "
        f"{args.couples:,} couples x {args.days} days; "
        f"mix weights {dict(MIX)}",
        flush=True,
    )
    summary: dict[str, dict[str, dict[str, dict[int, float]]]] = {}
    if args.database in ("sqlite", "both"):
        scratch = tempfile.mkdtemp()
        try:
            summary["SQLite"] = run_database("SQLite", f"sqlite:///{scratch}/bench.db", args)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    if args.database in ("postgresql", "both"):
        reason = seeding.postgres_unreachable(args.postgres_url)
        if reason:
            print(f"\nPostgreSQL skipped: {args.postgres_url} is unreachable ({reason})")
        else:
            summary["PostgreSQL"] = run_database("PostgreSQL", args.postgres_url, args)

    header = "".join(f"{'c=' + str(c):>8}" for c in args.concurrency)
    for figure, title in (
        ("ratio", "endpoint req/s ÷ /healthz req/s at the same concurrency"),
        ("p99", "p99 latency, ms"),
    ):
        print(f"\n{title}")
        for name, figures in summary.items():
            print(f"  {name:<50}{header}")
            for endpoint in [*ENDPOINTS, *REVALIDATED]:
                cells = "".join(
                    f"{figures[figure][endpoint].get(c, float('nan')):8.2f}"
                    for c in args.concurrency
                )
                print(f"    {endpoint:<48}{cells}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # the server was stopped on the way out
        sys.exit("interrupted")
