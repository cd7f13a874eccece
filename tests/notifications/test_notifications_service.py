"""The notifications service called directly: the outbox (enqueue, cancel, depth, retention),
the in-app inbox and the per-user settings. Delivery itself is tested in test_dispatch.py; here
the worker only settles a few rows so the outbox has every status."""

from __future__ import annotations

import random
import uuid
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from api.accounts import service as accounts_service
from api.errors import NotFound
from api.i18n import Verbatim
from api.notifications import dispatch, service
from api.notifications.models import KINDS, Notification, NotificationSettings
from api.notifications.push import PushResult


def enqueue(session, clock, recipient, **kwargs):
    values = {"kind": "gratitude_received", "title": "Thank you", "body": "Open Steady"}
    values.update(kwargs)
    values["title"], values["body"] = Verbatim(values["title"]), Verbatim(values["body"])
    service.enqueue(session=session, recipient_id=recipient.id, now=clock(), **values)


def rows(session, **where):
    session.commit()
    session.expire_all()
    stmt = select(Notification).order_by(Notification.created_at)
    for name, value in where.items():
        stmt = stmt.where(getattr(Notification, name) == value)
    return list(session.scalars(stmt))


class TokenSender:
    """A fake push sender: tokens starting with "ok" are delivered, any other fails."""

    name = "fake"

    def send(self, messages, *, now):
        return [
            PushResult("sent", message_id="m")
            if m.token.startswith("ok")
            else PushResult("failed", error="SENDER_ID_MISMATCH")
            for m in messages
        ]


# --- enqueue ----------------------------------------------------------------------------------


def test_enqueue_adds_a_pending_row_inside_the_callers_transaction(factory, session, clock):
    user = factory.user()
    enqueue(session, clock, user, data={"n": 3, "id": uuid.UUID(int=1)}, dedupe_key="k1")
    session.rollback()  # no commit of its own
    assert rows(session) == []
    enqueue(session, clock, user, data={"n": 3, "id": uuid.UUID(int=1)}, dedupe_key="k1")
    [row] = rows(session)
    assert (row.recipient_id, row.kind, row.status, row.attempts) == (
        user.id,
        "gratitude_received",
        "pending",
        0,
    )
    assert row.data == {"n": "3", "id": str(uuid.UUID(int=1))}  # FCM data is strings only
    assert (row.next_attempt_at, row.created_at) == (clock(), clock())
    assert row.expires_at == clock() + service.DEFAULT_TTL
    assert (row.couple_id, row.read_at, row.sent_at) == (None, None, None)


def test_enqueue_honours_deliver_after_and_expires_at(factory, session, clock):
    user = factory.user()
    later, end = clock() + timedelta(hours=1), clock() + timedelta(hours=3)
    enqueue(session, clock, user, deliver_after=later, expires_at=end)
    [row] = rows(session)
    assert (row.next_attempt_at, row.expires_at) == (later, end)


def test_an_unknown_kind_is_a_programming_error(factory, session, clock):
    user = factory.user()
    with pytest.raises(ValueError, match="unknown notification kind"):
        enqueue(session, clock, user, kind="marketing")
    assert rows(session) == []


def test_a_repeated_dedupe_key_is_a_no_op(factory, session, clock):
    user, other = factory.user(), factory.user()
    enqueue(session, clock, user, dedupe_key="gratitude_received:n1", title="First")
    clock.advance(minutes=1)
    enqueue(session, clock, user, dedupe_key="gratitude_received:n1", title="Second")
    enqueue(session, clock, other, dedupe_key="gratitude_received:n1", title="Third")
    [row] = rows(session)
    assert (row.title, row.recipient_id, row.created_at) == (
        "First",
        user.id,
        clock() - timedelta(minutes=1),
    )


def test_without_a_dedupe_key_every_call_is_its_own_notification(factory, session, clock):
    user = factory.user()
    enqueue(session, clock, user)
    enqueue(session, clock, user)
    assert len({row.dedupe_key for row in rows(session)}) == 2


def test_title_and_body_are_cut_to_their_column_sizes(factory, session, clock):
    user = factory.user()
    enqueue(session, clock, user, title="T" * 250, body="b" * 1500)
    clock.advance(seconds=1)
    enqueue(session, clock, user, title="é" * 200, body="ü" * 1000)  # exactly at the limit
    long, exact = rows(session)
    assert (long.title, long.body) == ("T" * 200, "b" * 1000)
    assert (exact.title, exact.body) == ("é" * 200, "ü" * 1000)


def test_cancel_for_couple_skips_only_that_couples_pending_rows(
    factory, session, session_factory, paired, clock
):
    first, second, c = paired
    # The pairing notification (about this couple) was settled already: no device, skipped.
    dispatch.dispatch_once(session_factory=session_factory, sender=TokenSender(), now=clock())
    [settled] = rows(session, kind="pairing")
    assert (settled.status, settled.last_error) == ("skipped", "no_device")
    enqueue(session, clock, first.user, couple_id=c.id, title="about the couple")
    enqueue(session, clock, second.user, couple_id=c.id, title="about the couple, too")
    enqueue(session, clock, first.user, title="about nobody")
    session.commit()
    service.cancel_for_couple(session=session, couple_id=c.id, now=clock())
    session.rollback()  # no commit of its own
    assert [r.status for r in rows(session, status="pending")] == ["pending"] * 3
    service.cancel_for_couple(session=session, couple_id=c.id, now=clock())
    session.commit()
    by_title = {r.title: r for r in rows(session)}
    for title in ("about the couple", "about the couple, too"):
        assert (by_title[title].status, by_title[title].last_error) == ("skipped", "couple_ended")
    assert by_title["about nobody"].status == "pending"
    assert rows(session, kind="pairing")[0].last_error == "no_device"  # settled rows keep theirs


# --- inbox ------------------------------------------------------------------------------------


def test_mark_read_keeps_the_first_time(factory, session, clock):
    user = factory.user()
    enqueue(session, clock, user)
    [row] = rows(session)
    clock.advance(minutes=5)
    read = service.mark_read(session=session, user=user, notification_id=row.id, now=clock())
    first_read = clock()
    assert read.read_at == first_read
    clock.advance(hours=1)
    again = service.mark_read(session=session, user=user, notification_id=row.id, now=clock())
    assert again.read_at == first_read
    assert rows(session)[0].read_at == first_read


def test_someone_elses_notification_is_not_found(factory, session, clock):
    owner, stranger = factory.user(), factory.user()
    enqueue(session, clock, owner)
    [row] = rows(session)
    for notification_id in (row.id, uuid.uuid4()):
        with pytest.raises(NotFound):
            service.mark_read(
                session=session, user=stranger, notification_id=notification_id, now=clock()
            )
    assert rows(session)[0].read_at is None


def test_list_inbox_and_export_inbox_hold_only_the_users_own(factory, session, clock):
    user, other = factory.user(), factory.user()
    for n in range(3):
        enqueue(session, clock, user, title=f"n{n}")
        clock.advance(minutes=1)
    enqueue(session, clock, other, title="theirs")
    session.commit()
    exported = service.export_inbox(session=session, user=user)
    assert [r.title for r in exported] == ["n0", "n1", "n2"]  # oldest first
    page = service.list_inbox(session=session, user=user, limit=2, cursor=None)
    rest = service.list_inbox(session=session, user=user, limit=2, cursor=page.next_cursor)
    assert [r.title for r in page.items + rest.items] == ["n2", "n1", "n0"]  # newest first
    assert rest.next_cursor is None


# --- settings ---------------------------------------------------------------------------------


def test_settings_default_to_every_kind_on_a_cap_of_ten_and_no_quiet_hours(factory, session):
    user = factory.user()
    settings = service.get_settings(session=session, user_id=user.id)
    assert settings.quiet_hours is None
    assert settings.daily_cap == service.DEFAULT_DAILY_CAP == 10
    assert settings.kinds == {kind: True for kind in KINDS}
    assert session.get(NotificationSettings, user.id) is None  # defaults are not stored


def test_replace_settings_replaces_everything(factory, session, clock):
    user = factory.user()
    got = service.replace_settings(
        session=session,
        user=user,
        quiet_hours={"start": time(22, 0), "end": time(7, 30)},
        daily_cap=3,
        kinds={"prompt": False, "pairing": True, "commitment_reminder": False},
        now=clock(),
    )
    assert got.quiet_hours == service.QuietHours(start=time(22, 0), end=time(7, 30))
    assert got.daily_cap == 3
    assert [k for k, on in got.kinds.items() if not on] == ["prompt", "commitment_reminder"]
    assert not got.allows("prompt") and got.allows("pairing") and got.allows("therapist")
    session.expire_all()
    assert session.get(NotificationSettings, user.id).disabled_kinds == [
        "commitment_reminder",
        "prompt",
    ]
    assert service.get_settings(session=session, user_id=user.id) == got
    # A replacement, not a merge: what is left out goes back to its default.
    again = service.replace_settings(
        session=session, user=user, quiet_hours=None, daily_cap=10, kinds=None, now=clock()
    )
    assert again.quiet_hours is None and all(again.kinds.values())


def test_settings_for_many_users_at_once(factory, session, clock):
    quiet, plain = factory.user(), factory.user()
    service.replace_settings(
        session=session,
        user=quiet,
        quiet_hours=None,
        daily_cap=1,
        kinds={"prompt": False},
        now=clock(),
    )
    found = service.settings_for(session=session, user_ids=[quiet.id, plain.id])
    assert (found[quiet.id].daily_cap, found[quiet.id].allows("prompt")) == (1, False)
    assert found[plain.id] == service.get_settings(session=session, user_id=plain.id)
    assert found[plain.id].daily_cap == 10
    assert service.settings_for(session=session, user_ids=[]) == {}


# --- the outbox as a whole --------------------------------------------------------------------


def settle_three(factory, session, session_factory, clock):
    """Three rows the worker settles now: one sent, one failed, one skipped (no device)."""
    delivered, refused, unreachable = factory.user(), factory.user(), factory.user()
    accounts_service.register_device(
        session=session,
        user=delivered,
        token="ok-1",
        platform="ios",
        app_version=None,
        now=clock(),
    )
    accounts_service.register_device(
        session=session,
        user=refused,
        token="bad-1",
        platform="ios",
        app_version=None,
        now=clock(),
    )
    for user, title in ((delivered, "sent"), (refused, "failed"), (unreachable, "skipped")):
        enqueue(session, clock, user, title=title)
    session.commit()
    stats = dispatch.dispatch_once(
        session_factory=session_factory, sender=TokenSender(), now=clock(), rng=random.Random(1)
    )
    assert (stats.sent, stats.failed, stats.skipped) == (1, 1, 1)
    return delivered


def test_outbox_depth_counts_each_status_and_dates_the_oldest_waiting(
    factory, session, session_factory, clock
):
    user = settle_three(factory, session, session_factory, clock)
    assert service.outbox_depth(session=session) == ({"sent": 1, "failed": 1, "skipped": 1}, None)
    clock.advance(minutes=10)
    waiting_since = clock()
    enqueue(session, clock, user, title="later", deliver_after=clock() + timedelta(days=1))
    clock.advance(minutes=10)
    enqueue(session, clock, user, title="in flight")
    session.commit()
    claimed, _ = dispatch.claim(session=session, now=clock(), limit=10, lease=timedelta(minutes=1))
    assert len(claimed) == 1
    counts, oldest = service.outbox_depth(session=session)
    assert counts == {"sent": 1, "failed": 1, "skipped": 1, "pending": 1, "sending": 1}
    assert oldest == waiting_since


def test_purge_delivered_removes_only_settled_rows_before_the_cut_in_batches(
    factory, session, session_factory, clock
):
    settled_at = clock()
    user = settle_three(factory, session, session_factory, clock)
    enqueue(session, clock, user, title="still waiting", deliver_after=clock() + timedelta(days=9))
    clock.advance(days=1)
    cut = clock()
    settle_three(factory, session, session_factory, clock)  # settled, but after the cut
    assert service.purge_delivered(session=session, before=cut, limit=2) == 2
    assert service.purge_delivered(session=session, before=cut, limit=2) == 1
    assert service.purge_delivered(session=session, before=cut, limit=2) == 0
    left = rows(session)
    assert [r.title for r in left if r.created_at == settled_at] == ["still waiting"]
    assert sorted(r.status for r in left if r.created_at == cut) == ["failed", "sent", "skipped"]


# --- erasure ----------------------------------------------------------------------------------


def test_erase_for_user_removes_their_inbox_and_settings_only(factory, session, clock):
    gone, stays = factory.user(), factory.user()
    for user in (gone, stays):
        enqueue(session, clock, user)
        service.replace_settings(
            session=session, user=user, quiet_hours=None, daily_cap=2, kinds=None, now=clock()
        )
    service.erase_for_user(session=session, user=gone)
    session.commit()
    assert [r.recipient_id for r in rows(session)] == [stays.id]
    assert session.get(NotificationSettings, gone.id) is None
    assert session.get(NotificationSettings, stays.id) is not None
    assert session.scalar(select(func.count()).select_from(NotificationSettings)) == 1
