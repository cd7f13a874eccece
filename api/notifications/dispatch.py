"""Delivery of the outbox: claim with a lease, re-check, send outside any transaction, record.

Several workers may run at once. On PostgreSQL the claim skips rows another worker has locked;
everywhere the claim is a compare-and-set, and each result is recorded only while this
worker's lease still holds, so a row is never handed to two workers at once. A worker that dies
mid-batch loses nothing: its lease runs out and another worker takes the rows again; at most
the rows in flight are sent twice, and the collapse key makes the repeat replace the first.

The lease is short (a minute by default), so a dead worker's rows go out again within about a
minute; a live worker keeps its rows however long FCM takes by renewing the lease from a
heartbeat thread while the batch is out.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from api import timeutil
from api.accounts import service as accounts_service
from api.accounts.models import Device
from api.db import skip_locked
from api.notifications import service as notifications_service
from api.notifications.models import Notification
from api.notifications.push import PushMessage, PushResult, PushSender
from api.observability import PUSH_LATENCY, PUSH_SENDS
from api.pairing import service as pairing_service

log = logging.getLogger("steady.worker")

DEFAULT_BATCH_SIZE = 500
DEFAULT_LEASE = timedelta(seconds=60)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)


@dataclass
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    retried: int = 0
    failed: int = 0
    devices_removed: int = 0

    def add(self, other: DispatchStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Outcome:
    """What to write back for one claimed row."""

    status: str
    next_attempt_at: datetime
    attempts: int
    sent_at: datetime | None = None
    last_error: str | None = None


@dataclass
class _Plan:
    outcomes: dict[uuid.UUID, _Outcome] = field(default_factory=dict)
    to_send: list[tuple[Notification, list[Device]]] = field(default_factory=list)


def _due(now: datetime):
    return or_(
        and_(Notification.status == "pending", Notification.next_attempt_at <= now),
        and_(Notification.status == "sending", Notification.locked_until <= now),
    )


def claim(
    *, session: Session, now: datetime, limit: int, lease: timedelta
) -> tuple[list[uuid.UUID], datetime]:
    """Leases up to `limit` due rows to this worker; returns their ids and the lease's end."""
    locked_until = now + lease
    stmt = (
        select(Notification.id).where(_due(now)).order_by(Notification.next_attempt_at).limit(limit)
    )
    candidates = list(session.scalars(skip_locked(stmt, session)))
    if not candidates:
        session.commit()
        return [], locked_until
    # Compare-and-set: only rows still due become ours, whatever another worker did meanwhile.
    claimed = list(
        session.scalars(
            update(Notification)
            .where(Notification.id.in_(candidates), _due(now))
            .values(status="sending", locked_until=locked_until)
            .returning(Notification.id)
        )
    )
    session.commit()
    return claimed, locked_until


class Lease:
    """This worker's hold on a claimed batch: the `locked_until` its rows share.

    `renew` moves it forward by compare-and-set on the value it last wrote, in a transaction of
    its own, so rows whose lease already ran out and were taken by another worker stay theirs.
    `until` is always the value the rows hold, which `record` must match.
    """

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        ids: list[uuid.UUID],
        until: datetime,
        length: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._session_factory = session_factory
        self._ids = ids
        self._clock = clock
        self._lock = threading.Lock()  # the heartbeat renews while the batch's thread reads
        self.length = length
        self._until = until

    @property
    def until(self) -> datetime:
        with self._lock:
            return self._until

    def renew(self) -> int:
        """Extends the lease to now + its length; returns how many rows it still holds."""
        with self._lock:
            until = self._clock() + self.length
            if until <= self._until:
                return len(self._ids)  # never shorten a lease (a clock that stepped back)
            with self._session_factory() as session:
                held = session.execute(
                    update(_outbox)
                    .where(_outbox.c.id.in_(self._ids), _outbox.c.locked_until == self._until)
                    .values(locked_until=until)
                ).rowcount
                session.commit()
            self._until = until
        if held < len(self._ids):
            log.warning(
                "outbox lease lost",
                extra={"fields": {"claimed": len(self._ids), "held": held}},
            )
        return held


@contextlib.contextmanager
def keep_renewed(lease: Lease, *, every: float | None = None) -> Iterator[None]:
    """Renews `lease` from a thread every `every` seconds (a third of the lease by default)
    until the block ends; the thread has stopped when the block is left, so a renewal never
    races the recording of results."""
    interval = lease.length.total_seconds() / 3 if every is None else every
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            try:
                lease.renew()
            except Exception:
                # A database blip must not kill the heartbeat: the next beat may still make it
                # in time, and a lease that lapses only costs a repeat the collapse key absorbs.
                log.warning("outbox lease renewal failed", exc_info=True)

    thread = threading.Thread(target=beat, name="outbox-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


Heartbeat = Callable[[Lease], AbstractContextManager[object]]


def _sent_today(
    session: Session, recipients: dict[uuid.UUID, ZoneInfo], now: datetime
) -> dict[uuid.UUID, int]:
    """Pushes sent to each recipient since their local midnight (the daily cap's count)."""
    counts: dict[uuid.UUID, int] = defaultdict(int)
    if not recipients:
        return counts
    day_starts = {
        user_id: timeutil.end_of_local_day(now, tz) - timedelta(days=1)
        for user_id, tz in recipients.items()
    }
    earliest = min(day_starts.values()) - timedelta(hours=3)  # a 23-25 h local day
    rows = session.execute(
        select(Notification.recipient_id, Notification.sent_at).where(
            Notification.recipient_id.in_(list(recipients)),
            Notification.status == "sent",
            Notification.sent_at >= earliest,
        )
    )
    for recipient_id, sent_at in rows:
        if sent_at >= _local_midnight(now, recipients[recipient_id]):
            counts[recipient_id] += 1
    return counts


def _local_midnight(now: datetime, tz: ZoneInfo) -> datetime:
    return timeutil.local_instant(timeutil.local_date(now, tz), datetime.min.time(), tz)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def plan(*, session: Session, ids: list[uuid.UUID], now: datetime) -> _Plan:
    """Re-reads each recipient just before sending and decides: skip, defer or send."""
    result = _Plan()
    rows = list(
        session.scalars(
            select(Notification).where(Notification.id.in_(ids)).order_by(Notification.created_at)
        )
    )
    recipient_ids = list({r.recipient_id for r in rows})
    zones = {
        user_id: _zone(tz)
        for user_id, tz in accounts_service.timezones_of(
            session=session, user_ids=recipient_ids
        ).items()
    }
    settings = notifications_service.settings_for(session=session, user_ids=recipient_ids)
    devices = accounts_service.devices_for(session=session, user_ids=recipient_ids)
    ended = pairing_service.ended_couple_ids(
        session=session, couple_ids={r.couple_id for r in rows if r.couple_id}
    )
    sent_today = _sent_today(session, zones, now)

    for row in rows:

        def skip(reason: str, row=row) -> None:
            result.outcomes[row.id] = _Outcome(
                "skipped", row.next_attempt_at, row.attempts, last_error=reason
            )

        def defer(until: datetime, row=row) -> None:
            result.outcomes[row.id] = _Outcome(
                "pending", until, row.attempts, last_error=row.last_error
            )

        if row.recipient_id not in zones:
            skip("recipient_erased")
        elif row.couple_id is not None and row.couple_id in ended:
            skip("couple_ended")
        elif row.expires_at <= now:
            if row.attempts:
                result.outcomes[row.id] = _Outcome(
                    "failed",
                    row.next_attempt_at,
                    row.attempts,
                    last_error=f"expired: {row.last_error or 'not delivered in time'}"[:500],
                )
            else:
                skip("expired")
        elif not settings[row.recipient_id].allows(row.kind):
            skip("kind_off")
        elif quiet := _quiet_until(settings[row.recipient_id], zones[row.recipient_id], now):
            defer(quiet)
        elif sent_today[row.recipient_id] >= settings[row.recipient_id].daily_cap:
            defer(timeutil.end_of_local_day(now, zones[row.recipient_id]))
        elif not devices[row.recipient_id]:
            skip("no_device")
        else:
            sent_today[row.recipient_id] += 1
            result.to_send.append((row, devices[row.recipient_id]))
    return result


def _quiet_until(
    settings: notifications_service.Settings, tz: ZoneInfo, now: datetime
) -> datetime | None:
    quiet = settings.quiet_hours
    if quiet is None:
        return None
    return timeutil.in_window(now, start=quiet.start, end=quiet.end, tz=tz)


def _messages(to_send: list[tuple[Notification, list[Device]]]) -> list[PushMessage]:
    return [
        PushMessage(
            notification_id=str(row.id),
            device_id=str(device.id),
            token=device.token,
            platform=device.platform,
            kind=row.kind,
            title=row.title,
            body=row.body,
            data={k: str(v) for k, v in (row.data or {}).items()},
            expires_at=row.expires_at,
        )
        for row, row_devices in to_send
        for device in row_devices
    ]


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Exponential backoff with "equal jitter", capped: the n-th retry waits between half and
    all of BASE * 2**(n-1).

    Successive ranges ([b/2, b], then [b, 2b]) only touch, so a later retry never comes sooner
    than an earlier one (±50 % jitter let the second come before the first). The cap is applied
    to the jittered delay, which keeps that order; once half the doubled base passes the cap,
    every retry waits exactly the cap, by when earlier jitter has long spread the rows apart.
    """
    # Past the cap a bigger exponent changes nothing; bounded, a huge count cannot overflow.
    exponent = min(max(0, attempts - 1), 32)
    base = BACKOFF_BASE.total_seconds() * 2**exponent
    return min(BACKOFF_CAP, timedelta(seconds=rng.uniform(base / 2, base)))


def _settle(
    row: Notification,
    results: list[tuple[PushMessage, PushResult]],
    now: datetime,
    rng: random.Random,
) -> _Outcome:
    """One notification's outcome from its devices' results."""
    attempts = row.attempts + 1
    outcomes = [r.outcome for _, r in results]
    if "sent" in outcomes:
        return _Outcome("sent", row.next_attempt_at, attempts, sent_at=now)
    retryable = [r for _, r in results if r.outcome == "retry"]
    if retryable:
        delay = backoff(attempts, rng)
        hinted = max((r.retry_after or 0.0) for r in retryable)
        next_at = now + max(delay, timedelta(seconds=hinted))
        error = retryable[0].error
        if next_at >= row.expires_at:
            return _Outcome(
                "failed", row.next_attempt_at, attempts, last_error=f"expired: {error}"[:500]
            )
        return _Outcome("pending", next_at, attempts, last_error=error)
    if all(o == "invalid_token" for o in outcomes):
        return _Outcome("skipped", row.next_attempt_at, attempts, last_error="no_device")
    failed = next(r for _, r in results if r.outcome == "failed")
    return _Outcome("failed", row.next_attempt_at, attempts, last_error=failed.error)


_outbox = Notification.__table__
# One executemany for the whole batch (Core, not ORM: no per-object bookkeeping).
_RECORD = (
    update(_outbox)
    .where(_outbox.c.id == bindparam("b_id"), _outbox.c.locked_until == bindparam("b_lease"))
    .values(
        status=bindparam("b_status"),
        next_attempt_at=bindparam("b_next"),
        attempts=bindparam("b_attempts"),
        sent_at=bindparam("b_sent_at"),
        last_error=bindparam("b_error"),
        locked_until=None,
    )
)


def record(
    *,
    session: Session,
    outcomes: dict[uuid.UUID, _Outcome],
    lease: datetime,
    dead_devices: set[uuid.UUID],
) -> None:
    """Writes the outcomes while this worker's lease holds (a lost lease writes nothing)."""
    if outcomes:
        session.execute(
            _RECORD,
            [
                {
                    "b_id": notification_id,
                    "b_lease": lease,
                    "b_status": o.status,
                    "b_next": o.next_attempt_at,
                    "b_attempts": o.attempts,
                    "b_sent_at": o.sent_at,
                    "b_error": o.last_error,
                }
                for notification_id, o in outcomes.items()
            ],
        )
    accounts_service.remove_devices(session=session, device_ids=dead_devices)
    session.commit()


def dispatch_once(
    *,
    session_factory: sessionmaker[Session],
    sender: PushSender,
    now: datetime,
    batch_size: int = DEFAULT_BATCH_SIZE,
    lease: timedelta = DEFAULT_LEASE,
    rng: random.Random | None = None,
    clock: Callable[[], datetime] | None = None,
    heartbeat: Heartbeat = keep_renewed,
) -> DispatchStats:
    """Claims one batch of due notifications and delivers it.

    `clock` dates the lease renewals (by default `now` plus the time elapsed since the call);
    `heartbeat` keeps the lease alive while the batch is out (tests drive it by hand).
    """
    rng = rng or random.Random()
    stats = DispatchStats()
    with session_factory() as session:
        ids, locked_until = claim(session=session, now=now, limit=batch_size, lease=lease)
        if not ids:
            return stats
        stats.claimed = len(ids)
        decided = plan(session=session, ids=ids, now=now)
        session.commit()  # end the read transaction: nothing is held while FCM answers

    held = Lease(
        session_factory=session_factory,
        ids=ids,
        until=locked_until,
        length=lease,
        clock=clock or _elapsed_since(now),
    )
    messages = _messages(decided.to_send)
    results: list[PushResult] = []
    if messages:
        # However long FCM takes, the rows stay this worker's while it is alive.
        with heartbeat(held), PUSH_LATENCY.labels(sender.name).time():
            results = sender.send(messages, now=now)
    by_notification: dict[str, list[tuple[PushMessage, PushResult]]] = defaultdict(list)
    dead_devices: set[uuid.UUID] = set()
    for message, push_result in zip(messages, results, strict=True):
        by_notification[message.notification_id].append((message, push_result))
        if push_result.outcome == "invalid_token":
            dead_devices.add(uuid.UUID(message.device_id))
    outcomes = dict(decided.outcomes)
    for row, _devices in decided.to_send:
        outcomes[row.id] = _settle(row, by_notification[str(row.id)], now, rng)

    with session_factory() as session:
        # The heartbeat has stopped: the lease's last value is the one the rows hold.
        record(session=session, outcomes=outcomes, lease=held.until, dead_devices=dead_devices)

    stats.devices_removed = len(dead_devices)
    for row_id, outcome in outcomes.items():
        if outcome.status == "pending":
            if row_id in decided.outcomes:
                stats.deferred += 1
            else:
                stats.retried += 1
        else:
            setattr(stats, outcome.status, getattr(stats, outcome.status) + 1)
    for outcome_name in ("sent", "skipped", "deferred", "retried", "failed"):
        if count := getattr(stats, outcome_name):
            PUSH_SENDS.labels(outcome_name).inc(count)
    return stats


def _elapsed_since(now: datetime) -> Callable[[], datetime]:
    """A clock that starts at `now` and runs at the pace of the monotonic clock."""
    started = time.monotonic()

    def clock() -> datetime:
        return now + timedelta(seconds=time.monotonic() - started)

    return clock
