"""The worker's delivery of the outbox, called directly with an injected clock."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.accounts.models import Device
from api.auth.tokens import hash_token
from api.i18n import Verbatim
from api.notifications import dispatch, service
from api.notifications.models import Notification
from api.notifications.push import LogSender, PushResult
from api.worker import Worker
from tests.factories import pair
from tests.fcm_fake import fake_fcm, fcm_sender_for


class ScriptedSender:
    """Answers each token as told (default: sent) and remembers what it was asked."""

    name = "scripted"

    def __init__(self, answers=None):
        self.answers = answers or {}
        self.sent = []

    def send(self, messages, *, now):
        self.sent.extend(messages)
        return [self.answers.get(m.token, PushResult("sent", message_id="m")) for m in messages]


def add_device(factory, user, token="tok", platform="android"):
    device = Device(
        user_id=user.id,
        token=token,
        token_hash=hash_token(token),
        platform=platform,
        created_at=factory.clock(),
        last_seen_at=factory.clock(),
    )
    factory.session.add(device)
    factory.session.commit()
    return device


def notify(factory, user, *, kind="gratitude_received", **kwargs):
    service.enqueue(
        session=factory.session,
        recipient_id=user.id,
        kind=kind,
        title=Verbatim("Thank you"),
        body=Verbatim("Sam noticed the coffee"),
        now=factory.clock(),
        data={"gratitude_id": "g1"},
        **kwargs,
    )
    factory.session.commit()


def rows(session):
    session.commit()
    session.expire_all()  # the worker wrote through other sessions
    return list(session.scalars(select(Notification).order_by(Notification.created_at)))


def run(session_factory, sender, clock, **kwargs):
    return dispatch.dispatch_once(
        session_factory=session_factory, sender=sender, now=clock(), rng=random.Random(7), **kwargs
    )


def set_settings(factory, user, **kwargs):
    values = {"quiet_hours": None, "daily_cap": 10, "kinds": None}
    values.update(kwargs)
    service.replace_settings(session=factory.session, user=user, now=factory.clock(), **values)


def test_a_due_notification_is_sent_to_every_device(factory, session, session_factory, clock):
    user = factory.user()
    add_device(factory, user, "phone", "ios")
    add_device(factory, user, "tablet", "android")
    notify(factory, user)
    sender = ScriptedSender()
    stats = run(session_factory, sender, clock)
    assert (stats.claimed, stats.sent) == (1, 1)
    assert {m.token for m in sender.sent} == {"phone", "tablet"}
    message = sender.sent[0]
    assert (message.title, message.body, message.kind) == (
        "Thank you",
        "Sam noticed the coffee",
        "gratitude_received",
    )
    assert message.data == {"gratitude_id": "g1"}
    [row] = rows(session)
    assert (row.status, row.sent_at, row.attempts, row.locked_until) == ("sent", clock(), 1, None)
    # Nothing is due any more.
    assert run(session_factory, sender, clock).claimed == 0


def test_not_yet_due_notifications_wait(factory, session, session_factory, clock):
    user = factory.user()
    add_device(factory, user)
    notify(factory, user, deliver_after=clock() + timedelta(minutes=30))
    assert run(session_factory, ScriptedSender(), clock).claimed == 0
    clock.advance(minutes=30)
    assert run(session_factory, ScriptedSender(), clock).sent == 1


def test_without_a_device_it_stays_in_the_inbox_as_skipped(
    factory, session, session_factory, clock
):
    user = factory.user()
    notify(factory, user)
    assert run(session_factory, ScriptedSender(), clock).skipped == 1
    [row] = rows(session)
    assert (row.status, row.last_error) == ("skipped", "no_device")


def test_a_kind_switched_off_is_skipped(factory, session, session_factory, clock):
    user = factory.user()
    add_device(factory, user)
    set_settings(factory, user, kinds={"gratitude_received": False})
    notify(factory, user)
    sender = ScriptedSender()
    run(session_factory, sender, clock)
    assert sender.sent == []
    assert [(r.status, r.last_error) for r in rows(session)] == [("skipped", "kind_off")]


def test_quiet_hours_defer_to_the_end_of_the_window_across_midnight(
    factory, session, session_factory, clock
):
    user = factory.user(timezone="Europe/Paris")  # UTC+1 in November
    add_device(factory, user)
    set_settings(
        factory,
        user,
        quiet_hours={
            "start": datetime.min.time().replace(hour=22),
            "end": datetime.min.time().replace(hour=8),
        },
    )
    clock.set(datetime(2026, 11, 23, 22, 30, tzinfo=UTC))  # 23:30 in Paris
    notify(factory, user, expires_at=clock() + timedelta(hours=24))
    sender = ScriptedSender()
    assert run(session_factory, sender, clock).deferred == 1
    [row] = rows(session)
    assert row.status == "pending"
    assert row.next_attempt_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Paris
    assert row.attempts == 0 and sender.sent == []
    clock.set(datetime(2026, 11, 24, 6, 59, tzinfo=UTC))
    assert run(session_factory, sender, clock).claimed == 0
    clock.set(datetime(2026, 11, 24, 7, 0, tzinfo=UTC))
    assert run(session_factory, sender, clock).sent == 1


def test_outside_quiet_hours_it_is_sent(factory, session, session_factory, clock):
    user = factory.user(timezone="Europe/Paris")
    add_device(factory, user)
    set_settings(
        factory,
        user,
        quiet_hours={
            "start": datetime.min.time().replace(hour=22),
            "end": datetime.min.time().replace(hour=8),
        },
    )
    clock.set(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # 08:00 in Paris: the window ended
    notify(factory, user)
    assert run(session_factory, ScriptedSender(), clock).sent == 1


def test_the_daily_cap_defers_to_the_next_local_day(factory, session, session_factory, clock):
    user = factory.user(timezone="America/New_York")  # UTC-5
    add_device(factory, user)
    set_settings(factory, user, daily_cap=2)
    for _ in range(3):
        notify(factory, user, expires_at=clock() + timedelta(days=2))
    stats = run(session_factory, ScriptedSender(), clock)
    assert (stats.sent, stats.deferred) == (2, 1)
    deferred = [r for r in rows(session) if r.status == "pending"]
    assert deferred[0].next_attempt_at == datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # NY midnight
    clock.set(datetime(2026, 11, 24, 5, 0, tzinfo=UTC))
    assert run(session_factory, ScriptedSender(), clock).sent == 1


def test_a_notification_about_an_ended_couple_is_skipped(
    factory, session, session_factory, clock, client
):
    inviter, partner, couple_id = pair(factory)
    add_device(factory, inviter.user)
    notify(factory, partner.user, couple_id=couple_id)
    # Ended behind the outbox's back (e.g. between claim and send): the re-check catches it.
    from api.pairing.models import Couple

    session.get(Couple, couple_id).ended_at = clock()
    session.commit()
    run(session_factory, ScriptedSender(), clock)
    statuses = {(r.kind, r.status, r.last_error) for r in rows(session)}
    assert statuses == {
        ("pairing", "skipped", "couple_ended"),
        ("gratitude_received", "skipped", "couple_ended"),
    }


def test_a_notification_past_its_ttl_is_not_sent(factory, session, session_factory, clock):
    user = factory.user()
    add_device(factory, user)
    notify(factory, user, expires_at=clock() + timedelta(hours=1))
    clock.advance(hours=1)
    sender = ScriptedSender()
    run(session_factory, sender, clock)
    assert sender.sent == []
    assert [(r.status, r.last_error) for r in rows(session)] == [("skipped", "expired")]


def test_retryable_errors_back_off_honouring_retry_after(factory, session, session_factory, clock):
    user = factory.user()
    add_device(factory, user)
    notify(factory, user, expires_at=clock() + timedelta(hours=6))
    sender = ScriptedSender(
        {"tok": PushResult("retry", error="QUOTA_EXCEEDED: slow down", retry_after=600)}
    )
    assert run(session_factory, sender, clock).retried == 1
    [row] = rows(session)
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == clock() + timedelta(seconds=600)
    assert row.last_error == "QUOTA_EXCEEDED: slow down"


def test_backoff_grows_exponentially_with_jitter():
    rng = random.Random(1)
    for attempts, base in ((1, 30), (2, 60), (3, 120), (8, 3600), (20, 3600)):
        delay = dispatch.backoff(attempts, rng).total_seconds()
        assert base * 0.5 <= delay <= base * 1.5


def test_backoff_never_shortens_and_stays_within_its_bounds():
    cap = dispatch.BACKOFF_CAP.total_seconds()
    for seed in range(500):
        rng = random.Random(seed)
        schedule = [dispatch.backoff(n, rng).total_seconds() for n in range(1, 16)]
        assert schedule == sorted(schedule), (seed, schedule)
        for n, delay in enumerate(schedule, start=1):
            base = 30 * 2 ** (n - 1)
            assert min(cap, base / 2) <= delay <= min(cap, base), (seed, n, delay)
    # The first retries: 15-30 s, then 30-60 s, 60-120 s; from the 9th on, exactly the hour.
    assert dispatch.backoff(9, random.Random(0)) == dispatch.BACKOFF_CAP
    assert dispatch.backoff(10_000, random.Random(0)) == dispatch.BACKOFF_CAP


def test_retries_stop_when_the_ttl_runs_out(factory, session, session_factory, clock):
    user = factory.user()
    add_device(factory, user)
    notify(factory, user, expires_at=clock() + timedelta(minutes=10))
    sender = ScriptedSender({"tok": PushResult("retry", error="UNAVAILABLE: down")})
    attempts = 0
    while rows(session)[0].status == "pending":
        row = rows(session)[0]
        clock.set(max(clock(), row.next_attempt_at))
        run(session_factory, sender, clock)
        attempts += 1
        assert attempts < 20
    [row] = rows(session)
    assert row.status == "failed"
    assert row.last_error.startswith("expired: UNAVAILABLE")
    assert len(sender.sent) == row.attempts >= 2


def test_an_invalid_token_removes_the_device(factory, session, session_factory, clock):
    user = factory.user()
    dead_id = add_device(factory, user, "dead-token").id
    alive_id = add_device(factory, user, "alive-token").id
    notify(factory, user)
    sender = ScriptedSender({"dead-token": PushResult("invalid_token", error="UNREGISTERED")})
    stats = run(session_factory, sender, clock)
    assert (stats.sent, stats.devices_removed) == (1, 1)
    session.commit()
    session.expire_all()
    remaining = session.scalars(select(Device.id).where(Device.user_id == user.id)).all()
    assert remaining == [alive_id] and dead_id not in remaining


def test_when_every_token_is_dead_the_notification_is_skipped(
    factory, session, session_factory, clock
):
    user = factory.user()
    add_device(factory, user, "dead-token")
    notify(factory, user)
    sender = ScriptedSender({"dead-token": PushResult("invalid_token", error="UNREGISTERED")})
    run(session_factory, sender, clock)
    assert [(r.status, r.last_error) for r in rows(session)] == [("skipped", "no_device")]


def test_other_errors_fail_and_keep_the_error(factory, session, session_factory, clock):
    user = factory.user()
    add_device(factory, user)
    notify(factory, user)
    sender = ScriptedSender({"tok": PushResult("failed", error="THIRD_PARTY_AUTH_ERROR: apns")})
    assert run(session_factory, sender, clock).failed == 1
    assert [(r.status, r.last_error) for r in rows(session)] == [
        ("failed", "THIRD_PARTY_AUTH_ERROR: apns")
    ]


def test_a_leased_row_is_not_claimed_again_until_the_lease_expires(
    factory, session, session_factory, clock
):
    user = factory.user()
    add_device(factory, user)
    notify(factory, user)
    with session_factory() as s:
        ids, lease = dispatch.claim(session=s, now=clock(), limit=10, lease=timedelta(minutes=5))
    assert len(ids) == 1
    # A second worker finds nothing while the first holds the lease ...
    assert run(session_factory, ScriptedSender(), clock).claimed == 0
    # ... and takes the row over once the first worker (crashed) let the lease run out.
    clock.advance(minutes=5)
    assert run(session_factory, ScriptedSender(), clock).sent == 1
    # The crashed worker's late result is not written over the second worker's.
    with session_factory() as s:
        dispatch.record(
            session=s,
            lease=lease,
            dead_devices=set(),
            outcomes={ids[0]: dispatch._Outcome("failed", clock(), 9, last_error="late")},
        )
    [row] = rows(session)
    assert (row.status, row.attempts) == ("sent", 1)


def test_batches_are_bounded(factory, session, session_factory, clock):
    user = factory.user()
    add_device(factory, user)
    set_settings(factory, user, daily_cap=50)
    for _ in range(5):
        notify(factory, user)
    assert run(session_factory, ScriptedSender(), clock, batch_size=2).claimed == 2
    assert run(session_factory, ScriptedSender(), clock, batch_size=2).claimed == 2
    assert run(session_factory, ScriptedSender(), clock, batch_size=2).claimed == 1


def test_the_log_sender_delivers_nothing_but_records(factory, session, session_factory, clock):
    user = factory.user()
    add_device(factory, user)
    notify(factory, user)
    sender = LogSender()
    assert run(session_factory, sender, clock).sent == 1
    assert [m.kind for m in sender.sent] == ["gratitude_received"]


# --- the worker loop --------------------------------------------------------------------------


def test_run_once_runs_jobs_then_delivers(factory, session, session_factory, clock):
    user = factory.user()
    add_device(factory, user)
    calls = []

    def job(*, session_factory, now):
        calls.append(now)
        with session_factory() as s:
            service.enqueue(
                session=s,
                recipient_id=user.id,
                kind="prompt",
                title=Verbatim("Tonight"),
                body=Verbatim("What made you smile?"),
                now=now,
            )
            s.commit()
        return 1

    worker = Worker(
        session_factory=session_factory, sender=ScriptedSender(), clock=clock, jobs=[job]
    )
    summary = worker.run_once()
    assert calls == [clock()]
    assert summary["materialised"] == 1 and summary["sent"] == 1


def test_sigterm_finishes_the_pass_and_stops(factory, session, session_factory, clock):
    user = factory.user()
    add_device(factory, user)
    notify(factory, user)
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)

    def job(*, session_factory, now):
        os.kill(os.getpid(), signal.SIGTERM)  # arrives mid-pass
        return 0

    worker = Worker(
        session_factory=session_factory,
        sender=ScriptedSender(),
        clock=clock,
        jobs=[job],
        poll_interval=60,
    )
    try:
        worker.run_forever()  # returns instead of waiting 60 s for the next poll
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    assert worker.stopping.is_set()
    assert [r.status for r in rows(session)] == ["sent"]


def test_worker_cli_runs_one_pass(app, factory, session):
    user = factory.user()
    add_device(factory, user)
    notify(factory, user)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "'sent': 1" in result.output
    assert [r.status for r in rows(session)] == ["sent"]


# --- the real firebase-admin code against the local fake FCM server --------------------------


def test_fcm_outcomes_through_the_worker(factory, session, session_factory, clock):
    tokens = ["ok", "unregistered", "bad-token", "quota", "unavailable", "internal"]
    users = {}
    for token in tokens:
        users[token] = factory.user()
        add_device(factory, users[token], token, "ios" if token == "ok" else "android")
        notify(
            factory, users[token], expires_at=clock() + timedelta(hours=2), dedupe_key=f"t:{token}"
        )
    with fake_fcm() as fcm:
        fcm.unregistered("unregistered")
        fcm.invalid_argument("bad-token")
        fcm.quota("quota", retry_after="120")
        fcm.unavailable("unavailable")
        fcm.internal("internal")
        sender = fcm_sender_for(fcm, http_retries=False)
        stats = run(session_factory, sender, clock)
        received = {r.message["token"]: r.message for r in fcm.requests}
    assert set(received) == set(tokens)
    assert (stats.sent, stats.skipped, stats.retried, stats.devices_removed) == (1, 2, 3, 2)

    by_user = {r.recipient_id: r for r in rows(session)}
    outcome = {token: by_user[users[token].id] for token in tokens}
    assert outcome["ok"].status == "sent"
    for dead in ("unregistered", "bad-token"):
        assert (outcome[dead].status, outcome[dead].last_error) == ("skipped", "no_device")
        assert session.scalars(select(Device).where(Device.user_id == users[dead].id)).all() == []
    assert outcome["quota"].status == "pending"
    assert outcome["quota"].next_attempt_at >= clock() + timedelta(seconds=120)
    assert outcome["quota"].last_error.startswith("QUOTA_EXCEEDED")
    for transient in ("unavailable", "internal"):
        assert outcome[transient].status == "pending"
        assert clock() < outcome[transient].next_attempt_at <= clock() + timedelta(seconds=45)

    # What Firebase was asked to deliver, for the one that succeeded.
    message = received["ok"]
    notification_id = str(outcome["ok"].id)
    assert message["notification"] == {"title": "Thank you", "body": "Sam noticed the coffee"}
    assert message["data"] == {
        "gratitude_id": "g1",
        "notification_id": notification_id,
        "kind": "gratitude_received",
    }
    assert message["android"]["priority"] == "high"
    assert message["android"]["ttl"] == "7200s"
    assert message["android"]["collapse_key"] == notification_id
    headers = message["apns"]["headers"]
    assert headers["apns-priority"] == "10"
    assert headers["apns-collapse-id"] == notification_id
    assert headers["apns-expiration"] == str(int((clock() + timedelta(hours=2)).timestamp()))


# --- the lease: short, renewed while a batch is out --------------------------------------------


class BlockingSender:
    """Holds the batch "at FCM" until the test releases it, as a very slow FCM would."""

    name = "blocking"

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()
        self.sent = []

    def send(self, messages, *, now):
        self.sent.extend(messages)
        self.entered.set()
        assert self.release.wait(10), "the test never released the send"
        return [PushResult("sent", message_id="m") for _ in messages]


class Killed(BaseException):
    """The process dies: nothing after this line of the worker runs."""


class DyingSender:
    name = "dying"

    def __init__(self):
        self.sent = []

    def send(self, messages, *, now):
        self.sent.extend(messages)  # the pushes went out ...
        raise Killed()  # ... and the worker died before recording them


def in_background(target):
    results = []
    thread = threading.Thread(target=lambda: results.append(target()), daemon=True)
    thread.start()
    return thread, results


def two_due(factory):
    user = factory.user()
    add_device(factory, user)
    for i in range(2):
        notify(factory, user, dedupe_key=f"lease:{i}")
    return user


def test_the_default_lease_is_a_minute_and_the_worker_takes_it_from_the_config(app_config):
    from api import create_app
    from api.worker import build_worker

    assert dispatch.DEFAULT_LEASE == timedelta(seconds=60)
    assert build_worker(create_app(app_config)).lease == timedelta(seconds=60)
    app = create_app({**app_config, "OUTBOX_LEASE_SECONDS": 20})
    assert build_worker(app).lease == timedelta(seconds=20)


def test_a_worker_whose_sends_outlast_the_lease_keeps_its_rows(
    factory, session, session_factory, clock
):
    two_due(factory)
    leases = []

    def by_hand(lease):
        # The test plays the heartbeat thread: it renews when it has moved the clock.
        leases.append(lease)
        return contextlib.nullcontext()

    slow, other = BlockingSender(), ScriptedSender()
    thread, results = in_background(
        lambda: dispatch.dispatch_once(
            session_factory=session_factory,
            sender=slow,
            now=clock(),
            clock=clock,
            lease=timedelta(seconds=60),
            heartbeat=by_hand,
        )
    )
    try:
        assert slow.entered.wait(10)
        [lease] = leases
        for _ in range(15):  # five minutes at FCM: five times the lease, renewed every 20 s
            clock.advance(seconds=20)
            assert lease.renew() == 2
            assert lease.until == clock() + timedelta(seconds=60)
            assert run(session_factory, other, clock).claimed == 0
    finally:
        slow.release.set()
        thread.join(10)
    [stats] = results
    assert (stats.claimed, stats.sent) == (2, 2)  # recorded under the renewed lease
    settled = [(r.status, r.attempts, r.locked_until) for r in rows(session)]
    assert settled == [("sent", 1, None)] * 2
    assert other.sent == [] and len(slow.sent) == 2


def test_the_heartbeat_thread_renews_the_lease_while_the_batch_is_out(
    factory, session, session_factory, clock
):
    two_due(factory)
    leases = []

    def fast_heartbeat(lease):
        # The real thread, beating every 10 ms instead of every 20 s.
        leases.append(lease)
        return dispatch.keep_renewed(lease, every=0.01)

    slow, other = BlockingSender(), ScriptedSender()
    thread, results = in_background(
        lambda: dispatch.dispatch_once(
            session_factory=session_factory,
            sender=slow,
            now=clock(),
            clock=clock,
            lease=timedelta(seconds=60),
            heartbeat=fast_heartbeat,
        )
    )
    try:
        assert slow.entered.wait(10)
        [lease] = leases
        for _ in range(3):
            clock.advance(seconds=50)
            expected = clock() + timedelta(seconds=60)
            deadline = time.monotonic() + 10
            while lease.until != expected:  # the next beat, ~10 ms away
                assert time.monotonic() < deadline, "the heartbeat never renewed the lease"
                time.sleep(0.005)
            assert run(session_factory, other, clock).claimed == 0
    finally:
        slow.release.set()
        thread.join(10)
    assert results[0].sent == 2
    assert [r.status for r in rows(session)] == ["sent", "sent"]
    assert other.sent == []


def test_a_killed_workers_rows_go_out_again_once_the_lease_runs_out(
    factory, session, session_factory, clock
):
    two_due(factory)
    dying = DyingSender()
    with pytest.raises(Killed):
        run(session_factory, dying, clock)  # the default lease: a minute
    assert [r.status for r in rows(session)] == ["sending", "sending"]
    survivor = ScriptedSender()
    clock.advance(seconds=59)
    assert run(session_factory, survivor, clock).claimed == 0
    clock.advance(seconds=1)  # the lease is over: the next poll delivers them
    assert run(session_factory, survivor, clock).sent == 2
    assert len(dying.sent) == len(survivor.sent) == 2
    assert [r.status for r in rows(session)] == ["sent", "sent"]


def test_a_lease_that_ran_out_is_not_renewed_over_the_next_workers(
    factory, session, session_factory, clock
):
    two_due(factory)
    with session_factory() as s:
        ids, until = dispatch.claim(session=s, now=clock(), limit=10, lease=timedelta(seconds=60))
    late = dispatch.Lease(
        session_factory=session_factory,
        ids=ids,
        until=until,
        length=timedelta(seconds=60),
        clock=clock,
    )
    clock.advance(seconds=60)
    with session_factory() as s:  # another worker takes the rows over ...
        taken, theirs = dispatch.claim(session=s, now=clock(), limit=10, lease=timedelta(minutes=1))
    assert sorted(taken) == sorted(ids)
    clock.advance(seconds=1)
    assert late.renew() == 0  # ... and the late heartbeat does not steal them back
    assert {r.locked_until for r in rows(session)} == {theirs}
