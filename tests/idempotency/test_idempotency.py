from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.gratitude.models import GratitudeNote
from api.idempotency import service
from api.idempotency.models import IdempotencyRecord
from tests.helpers import assert_error


def post_note(client, actor, key, body=None, path="/v1/couple/gratitude"):
    headers = {**actor.headers}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(path, headers=headers, json=body or {"text": "Thank you for today"})


def notes(session) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(GratitudeNote))


def test_the_same_key_and_body_replay_the_first_answer(client, session, couple):
    first, _, _ = couple
    created = post_note(client, first, "key-1")
    assert created.status_code == 201
    assert "Idempotent-Replayed" not in created.headers
    again = post_note(client, first, "key-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == created.get_json()
    assert again.headers["Content-Type"] == "application/json"
    assert notes(session) == 1


def test_json_equal_bodies_are_the_same_request(client, session, couple):
    first, _, _ = couple
    headers = {**first.headers, "Idempotency-Key": "k", "Content-Type": "application/json"}
    client.post("/v1/couple/gratitude", headers=headers, data='{"text": "hi"}')
    replay = client.post("/v1/couple/gratitude", headers=headers, data='{ "text":"hi" }')
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert notes(session) == 1


def test_another_body_or_path_under_the_same_key_is_refused(client, session, couple):
    first, _, _ = couple
    post_note(client, first, "key-1")
    assert_error(
        post_note(client, first, "key-1", {"text": "Something else"}), 422, "idempotency_key_reused"
    )
    assert_error(
        post_note(client, first, "key-1", {"kind": "gratitude"}, path="/v1/couple/rounds"),
        422,
        "idempotency_key_reused",
    )
    assert notes(session) == 1


def test_keys_belong_to_one_user(client, session, couple):
    first, second, _ = couple
    assert post_note(client, first, "shared").status_code == 201
    theirs = post_note(client, second, "shared")
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert notes(session) == 2


def test_errors_are_replayed_too(client, couple):
    first, _, _ = couple
    bad = post_note(client, first, "bad-body", {"text": ""})
    assert bad.status_code == 422
    replay = post_note(client, first, "bad-body", {"text": ""})
    assert replay.status_code == 422 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json() == bad.get_json()


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "naïve", "tab\there"])
def test_invalid_keys(client, couple, key):
    first, _, _ = couple
    assert_error(post_note(client, first, key), 422, "idempotency_key_invalid")


def test_a_key_of_255_visible_characters_is_fine(client, couple):
    first, _, _ = couple
    assert post_note(client, first, "~" * 255).status_code == 201


def test_a_server_error_frees_the_key(client, session, couple, monkeypatch):
    first, _, _ = couple
    from api.gratitude import service as gratitude_service

    real = gratitude_service.send_note

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(gratitude_service, "send_note", broken)
    assert post_note(client, first, "retry-me").status_code == 500
    monkeypatch.setattr(gratitude_service, "send_note", real)
    retried = post_note(client, first, "retry-me")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert notes(session) == 1


@pytest.mark.postgres
def test_a_key_held_by_a_request_being_served_is_a_conflict(app, session, couple, clock):
    from api.db import make_session_factory

    first, _, _ = couple
    digest = service.request_hash(b'{"text": "Thank you for today"}')
    with make_session_factory(session.get_bind())() as serving:
        held = service.claim(
            session=serving,
            user_id=first.user.id,
            key="busy",
            method="POST",
            path="/v1/couple/gratitude",
            digest=digest,
            now=clock(),
        )
        assert isinstance(held, service.Claim)
        assert_error(post_note(app.test_client(), first, "busy"), 409, "idempotency_key_in_use")
        serving.rollback()  # that request failed: the key is free for a real retry
    assert post_note(app.test_client(), first, "busy").status_code == 201


def test_keys_are_kept_24_hours(client, session, couple, clock):
    first, _, _ = couple
    post_note(client, first, "daily")
    clock.advance(hours=23, minutes=59)
    assert post_note(client, first, "daily").headers.get("Idempotent-Replayed") == "true"
    clock.advance(minutes=2)
    fresh = post_note(client, first, "daily")
    assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh.headers
    assert notes(session) == 2


def test_authentication_and_role_come_before_a_replay(client, factory, couple):
    first, _, _ = couple
    post_note(client, first, "mine")
    assert_error(
        client.post(
            "/v1/couple/gratitude",
            json={"text": "Thank you for today"},
            headers={"Idempotency-Key": "mine"},
        ),
        401,
        "missing_token",
    )
    therapist = factory.therapist()
    assert_error(post_note(client, therapist, "mine"), 403, "partners_only")


def test_only_create_endpoints_outside_auth_use_keys(client, session, couple):
    first, _, _ = couple
    body = {
        "email": "new@example.com",
        "password": "a long password",
        "display_name": "N",
        "timezone": "UTC",
    }
    headers = {"Idempotency-Key": "register"}
    assert client.post("/v1/auth/register", json=body, headers=headers).status_code == 201
    assert_error(client.post("/v1/auth/register", json=body, headers=headers), 409, "email_taken")
    patched = client.patch(
        "/v1/me",
        json={"display_name": "X"},
        headers={**first.headers, "Idempotency-Key": "x" * 300},
    )
    assert patched.status_code == 200  # not a create: the header is ignored
    session.commit()
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


def test_expired_records_are_purged(session, couple, clock):
    first, _, _ = couple
    for key in ("a", "b", "c"):
        claim = service.claim(
            session=session,
            user_id=first.user.id,
            key=key,
            method="POST",
            path="/p",
            digest="d",
            now=clock(),
        )
        service.store(session=session, claim=claim, status=201, body="{}", headers={})
        session.commit()
    assert service.purge_expired(session=session, now=clock() + timedelta(hours=25), limit=2) == 2
    assert service.purge_expired(session=session, now=clock() + timedelta(hours=25)) == 1


def test_the_spec_documents_the_header_on_create_operations(app):
    from api.extensions import api

    with app.app_context():
        paths = api.spec.to_dict()["paths"]
    documented = {
        p
        for p, ops in paths.items()
        if any(
            x.get("name") == "Idempotency-Key" for x in ops.get("post", {}).get("parameters", [])
        )
    }
    assert "/v1/couple/gratitude" in documented
    assert "/v1/invites" in documented
    assert not any(p.startswith("/v1/auth") for p in documented)
    assert "/v1/me/notifications/{notification_id}/read" not in documented


def test_concurrent_requests_with_one_key_create_one_object(app, session, couple):
    first, _, _ = couple
    barrier = threading.Barrier(6)
    statuses = []
    headers = {**first.headers, "Idempotency-Key": "race"}

    def call():
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/v1/couple/gratitude", headers=headers, json={"text": "Thank you for today"}
        )
        statuses.append((response.status_code, response.headers.get("Idempotent-Replayed")))

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert notes(session) == 1
    firsts = [s for s in statuses if s == (201, None)]
    assert len(firsts) == 1, statuses
    # PostgreSQL refuses a request while another holds the key; SQLite's one write lock makes
    # it wait for the first answer, which it then replays.
    others = {(201, "true"), (409, None)} if session.get_bind().dialect.name == "postgresql" else {
        (201, "true")
    }
    assert all(s in others for s in statuses if s != (201, None)), statuses
    replay = app.test_client().post(
        "/v1/couple/gratitude", headers=headers, json={"text": "Thank you for today"}
    )
    assert replay.headers["Idempotent-Replayed"] == "true"
