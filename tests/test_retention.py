from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from api.db import get_engine, make_session_factory
from api.i18n import Verbatim
from api.idempotency import service as idempotency_service
from api.idempotency.models import IdempotencyRecord
from api.notifications import service as notifications_service
from api.notifications.models import Notification
from api.notifications.push import LogSender
from api.pairing import service as pairing_service
from api.pairing.models import Invite
from api.retention import RetentionPolicy, purge
from api.therapists import service as therapists_service
from api.therapists.models import LinkCode
from api.web import sessions as web_sessions
from api.web.models import WebSession
from api.worker import Worker
from tests.factories import PASSWORD


def count(session, model) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(model))


def seed(factory, clock):
    session = factory.session
    user, therapist = factory.user(), factory.user(role="therapist")
    for status in ("sent", "skipped", "failed", "pending"):
        notifications_service.enqueue(
            session=session,
            recipient_id=user.id,
            kind="pairing",
            title=Verbatim("t"),
            body=Verbatim("b"),
            now=clock(),
            dedupe_key=status,
        )
    session.execute(
        Notification.__table__.update()
        .where(Notification.dedupe_key != "pending")
        .values(status=Notification.dedupe_key)
    )
    session.commit()
    pairing_service.create_invite(session=session, user=user, now=clock())
    therapists_service.create_link_code(session=session, therapist=therapist, now=clock())
    web_sessions.sign_in(session=session, email=therapist.email, password=PASSWORD, now=clock())
    claim = idempotency_service.claim(
        session=session, user_id=user.id, key="k", method="POST", path="/p", digest="d", now=clock()
    )
    idempotency_service.store(session=session, claim=claim, status=201, body="{}", headers={})
    session.commit()


def test_retention_keeps_what_is_recent(factory, session, database_url, clock):
    seed(factory, clock)
    counts = purge(
        session_factory=make_session_factory(get_engine(database_url)),
        now=clock() + timedelta(hours=1),
        policy=RetentionPolicy(),
    )
    assert counts == {
        "notifications": 0,
        "idempotency_keys": 0,
        "invites": 0,
        "link_codes": 0,
        "web_sessions": 0,
    }


def test_retention_deletes_old_records_in_bounded_batches(factory, session, database_url, clock):
    seed(factory, clock)
    later = clock() + timedelta(days=91)
    factory_ = make_session_factory(get_engine(database_url))
    policy = RetentionPolicy(batch=2)
    first = purge(session_factory=factory_, now=later, policy=policy)
    assert first == {
        "notifications": 2,
        "idempotency_keys": 1,
        "invites": 1,
        "link_codes": 1,
        "web_sessions": 1,
    }
    second = purge(session_factory=factory_, now=later, policy=policy)
    assert second["notifications"] == 1
    # A notification still waiting to be delivered is never purged.
    assert session.scalars(select(Notification.status)).all() == ["pending"]
    for model in (IdempotencyRecord, Invite, LinkCode, WebSession):
        assert count(session, model) == 0


def test_the_worker_runs_retention(factory, session, database_url, clock):
    seed(factory, clock)
    clock.advance(days=91)
    worker = Worker(
        session_factory=make_session_factory(get_engine(database_url)),
        sender=LogSender(),
        clock=clock,
        retention=RetentionPolicy(),
    )
    assert worker.run_once()["purged"] >= 5
    assert worker.run_once()["purged"] == 0  # not again before the interval
