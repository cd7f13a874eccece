"""Request logs, worker logs and /metrics."""

from __future__ import annotations

import json
import logging

import pytest

from api import create_app
from api.db import get_engine, make_session_factory
from api.i18n import Verbatim
from api.notifications import service as notifications_service
from api.notifications.push import LogSender
from api.observability import JsonFormatter
from api.worker import Worker
from tests.factories import pair


def lines(caplog, logger: str) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == logger]


def test_one_json_line_per_request(client, factory, caplog):
    actor = factory.partner()
    with caplog.at_level(logging.INFO):
        client.get("/v1/me", headers={**actor.headers, "X-Request-ID": "req-42"})
        client.get("/v1/nothing")
    me, unmatched = lines(caplog, "steady.request")[-2:]
    assert me["method"] == "GET" and me["route"] == "/v1/me" and me["status"] == 200
    assert me["request_id"] == "req-42" and me["user_id"] == actor.id
    assert me["duration_ms"] >= 0 and me["level"] == "info" and me["ts"]
    assert unmatched["route"] == "<unmatched>" and unmatched["status"] == 404
    assert unmatched["user_id"] is None and len(unmatched["request_id"]) == 32


def test_routes_are_templates_not_ids(client, factory, caplog):
    first, _, _ = pair(factory)
    note = client.post("/v1/couple/gratitude", headers=first.headers, json={"text": "x"})
    with caplog.at_level(logging.INFO):
        client.get(f"/v1/couple/gratitude/{note.get_json()['id']}", headers=first.headers)
    line = lines(caplog, "steady.request")[-1]
    assert line["route"] == "/v1/couple/gratitude/<uuid:note_id>"


def test_logs_never_hold_bodies_tokens_or_passwords(client, factory, caplog):
    password = "Pa55word-that-must-stay-secret"
    with caplog.at_level(logging.DEBUG):
        registered = client.post(
            "/v1/auth/register",
            json={
                "email": "secret-keeper@example.com",
                "password": password,
                "display_name": "Keeper",
                "timezone": "UTC",
            },
        ).get_json()
        refreshed = client.post(
            "/v1/auth/refresh", json={"refresh_token": registered["refresh_token"]}
        ).get_json()
        first, second, _ = pair(factory)
        client.post(
            "/v1/couple/gratitude",
            headers=first.headers,
            json={"text": "the words only my partner may read"},
        )
        client.post(
            "/v1/auth/login",
            json={"email": "secret-keeper@example.com", "password": "wrong-" + password},
        )
    formatter = JsonFormatter()
    text = "\n".join(formatter.format(r) for r in caplog.records)
    for secret in (
        password,
        registered["access_token"],
        registered["refresh_token"],
        refreshed["access_token"],
        refreshed["refresh_token"],
        "the words only my partner may read",
        first.access_token,
    ):
        assert secret not in text


def test_worker_passes_are_logged_with_their_counts(database_url, factory, clock, caplog):
    user = factory.user()
    notifications_service.enqueue(
        session=factory.session,
        recipient_id=user.id,
        kind="pairing",
        title=Verbatim("t"),
        body=Verbatim("b"),
        now=clock(),
    )
    factory.session.commit()
    worker = Worker(
        session_factory=make_session_factory(get_engine(database_url)),
        sender=LogSender(),
        clock=clock,
    )
    with caplog.at_level(logging.INFO):
        worker.run_once()
    [line] = [
        entry for entry in lines(caplog, "steady.worker") if entry["message"] == "worker pass"
    ]
    assert (line["claimed"], line["skipped"], line["sent"], line["failed"]) == (1, 1, 0, 0)
    assert {"retried", "deferred", "materialised", "duration_ms"} <= set(line)


def test_metrics_after_requests_and_a_worker_pass(client, factory, database_url, clock):
    actor = factory.partner()
    client.get("/v1/me", headers=actor.headers)
    notifications_service.enqueue(
        session=factory.session,
        recipient_id=actor.user.id,
        kind="pairing",
        title=Verbatim("t"),
        body=Verbatim("b"),
        now=clock(),
    )
    factory.session.commit()
    clock.advance(minutes=3)
    body = client.get("/metrics").get_data(as_text=True)
    assert 'steady_http_requests_total{method="GET",route="/v1/me",status="200"}' in body
    assert "steady_http_request_duration_seconds_bucket" in body
    assert 'steady_outbox_notifications{status="pending"} 1.0' in body
    assert "steady_outbox_oldest_pending_age_seconds 180.0" in body
    Worker(
        session_factory=make_session_factory(get_engine(database_url)),
        sender=LogSender(),
        clock=clock,
    ).run_once()
    body = client.get("/metrics").get_data(as_text=True)
    assert 'steady_push_sends_total{outcome="skipped"}' in body
    assert 'steady_outbox_notifications{status="skipped"} 1.0' in body
    assert "steady_push_call_duration_seconds" in body
    assert "steady_schedules_materialised_total" in body


def test_metrics_are_not_public(app_config):
    app_config["METRICS_TOKEN"] = "scrape-token"
    client = create_app(app_config).test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 404
    assert (
        client.get("/metrics", headers={"Authorization": "Bearer scrape-token"}).status_code == 200
    )


def test_without_a_token_only_loopback_may_scrape(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404


@pytest.mark.parametrize("outcome", ["pending", "sent"])
def test_outbox_gauges_list_every_status(client, outcome):
    body = client.get("/metrics").get_data(as_text=True)
    assert f'steady_outbox_notifications{{status="{outcome}"}} 0.0' in body
