"""What the contract fuzzer (tests/test_contract_fuzz.py) found, each pinned by a plain test so
it stays fixed even if the fuzzer stops generating the input that found it."""

from __future__ import annotations

import os

import pytest
import yaml

from tests.factories import pair
from tests.helpers import assert_error, assert_invalid_fields

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _contract() -> dict:
    with open(os.path.join(ROOT, "openapi.yaml")) as fh:
        return yaml.safe_load(fh)


# --- text no database can store: 500 on commit, now 422 ------------------------------------------

# NUL made PostgreSQL refuse the INSERT (psycopg.DataError); a lone surrogate has no UTF-8 form,
# so both SQLite and PostgreSQL drivers failed to encode it. Sent as JSON escapes, as a client
# would.
UNSTORABLE = [r"a\u0000b", r"a\udc00b", r"\ud83d"]


@pytest.mark.parametrize("escaped", UNSTORABLE)
def test_unstorable_text_in_a_body_is_422(client, factory, escaped):
    first, _, _ = pair(factory)
    json_headers = {**first.headers, "Content-Type": "application/json"}
    cases = [
        ("POST", "/v1/couple/gratitude", f'{{"text": "{escaped}"}}', "text"),
        ("PATCH", "/v1/me", f'{{"display_name": "{escaped}"}}', "display_name"),
        ("POST", "/v1/me/devices", f'{{"token": "{escaped}", "platform": "ios"}}', "token"),
        (
            "POST",
            "/v1/couple/schedules",
            f'{{"kind": "check_in", "time": "20:00", "days": ["mon", "{escaped}"]}}',
            "days",
        ),
    ]
    for method, path, body, field in cases:
        response = client.open(path, method=method, headers=json_headers, data=body)
        assert response.status_code == 422, (path, response.get_json())
        assert_invalid_fields(response, field)


@pytest.mark.parametrize("escaped", UNSTORABLE)
def test_unstorable_text_in_sign_in_and_sign_up_is_422(client, escaped):
    headers = {"Content-Type": "application/json"}
    login = f'{{"email": "{escaped}@example.com", "password": "whatever-it-is"}}'
    assert_invalid_fields(client.post("/v1/auth/login", headers=headers, data=login), "email")
    register = (
        f'{{"email": "new@example.com", "password": "long enough password", '
        f'"display_name": "{escaped}", "timezone": "UTC"}}'
    )
    assert_invalid_fields(
        client.post("/v1/auth/register", headers=headers, data=register), "display_name"
    )


def test_unstorable_text_in_a_query_is_422(client, factory):
    first, _, _ = pair(factory)
    response = client.get("/v1/couple/gratitude?direction=sent%00", headers=first.headers)
    assert_invalid_fields(response, "direction", location="query")


def test_ordinary_unicode_is_still_stored(client, factory):
    first, _, _ = pair(factory)
    text = "Merci 💛 — ありがとう"
    response = client.post("/v1/couple/gratitude", headers=first.headers, json={"text": text})
    assert response.status_code == 201
    assert response.get_json()["text"] == text


@pytest.mark.parametrize("segment", ["AB%00CD", "AB%0ACD", "%7F"])
def test_an_invite_code_with_control_characters_is_not_a_path(client, factory, segment):
    # With an Idempotency-Key the request path is stored before the route runs, and PostgreSQL
    # refused the NUL: a 500. No code holds a control character, so no route matches.
    solo = factory.partner()
    headers = {**solo.headers, "Idempotency-Key": "accept-1"}
    assert_error(client.post(f"/v1/invites/{segment}/accept", headers=headers), 404, "not_found")
    assert_error(client.delete(f"/v1/invites/{segment}", headers=headers), 404, "not_found")


def test_a_typed_invite_code_still_reaches_the_route(client, factory):
    inviter, partner = factory.partner(), factory.partner()
    code = client.post("/v1/invites", headers=inviter.headers).get_json()["code"]
    typed = f"{code[:4].lower()}-{code[4:]}"  # case, spaces and dashes are ignored
    accepted = client.post(
        f"/v1/invites/{typed}/accept", headers={**partner.headers, "Idempotency-Key": "a-1"}
    )
    assert accepted.status_code == 201, accepted.get_json()


def test_the_login_rate_limit_key_survives_a_lone_surrogate(app):
    # The per-email limit is counted before the body is validated; with Redis storage (as in
    # production) the key must encode as UTF-8, or the login fails with a 500.
    from redis.connection import Encoder

    from api.auth.limits import login_email_key

    with app.test_request_context("/v1/auth/login", json={"email": " A\udc00b@Example.com "}):
        key = login_email_key()
    assert key == "login-email:a\\udc00b@example.com"
    Encoder("utf-8", "strict", False).encode(key)  # what redis-py does with every key


# --- 400 invalid_json was answered but not documented --------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/auth/register"),
        ("PUT", "/v1/me/notification-settings"),
        ("POST", "/v1/couple/gratitude"),
    ],
)
def test_an_unparseable_body_is_400_and_documented(client, factory, method, path):
    first, _, _ = pair(factory)
    response = client.open(
        path,
        method=method,
        headers={**first.headers, "Content-Type": "application/json"},
        data=b"\x00",
    )
    assert_error(response, 400, "invalid_json")
    assert "400" in _contract()["paths"][path][method.lower()]["responses"]


# --- a body the spec called required was optional in fact ---------------------------------------

# Every field of these bodies is optional, so the app always treated no body as `{}`; the
# contract said a body was required. It now says what the app does.
OPTIONAL_BODIES = {
    ("patch", "/v1/me"),
    ("patch", "/v1/couple/schedules/{schedule_id}"),
    ("patch", "/v1/couple/commitments/{commitment_id}"),
    ("patch", "/v1/me/journal/{entry_id}"),
    ("post", "/v1/couple/gratitude/{note_id}/acknowledge"),
    ("patch", "/v1/couple/agreements/{agreement_id}"),
    ("post", "/v1/couple/agreements/{agreement_id}/check-ins"),
    ("post", "/v1/couple/reassurance-requests"),
}


def test_only_all_optional_bodies_are_documented_as_optional():
    optional = {
        (method, path)
        for path, operations in _contract()["paths"].items()
        for method, operation in operations.items()
        if method != "parameters"
        and "requestBody" in operation
        and not operation["requestBody"].get("required", False)
    }
    assert optional == OPTIONAL_BODIES


def test_no_body_changes_nothing_and_acknowledges(client, factory):
    first, second, _ = pair(factory)
    me = client.get("/v1/me", headers=first.headers).get_json()
    response = client.patch("/v1/me", headers=first.headers)
    assert response.status_code == 200
    assert response.get_json() == me

    schedule = client.post(
        "/v1/couple/schedules", headers=first.headers, json={"kind": "check_in", "time": "20:00"}
    ).get_json()
    unchanged = client.patch(f"/v1/couple/schedules/{schedule['id']}", headers=first.headers)
    assert unchanged.status_code == 200
    assert unchanged.get_json()["next_fire_at"] == schedule["next_fire_at"]

    commitment = client.post(
        "/v1/couple/commitments", headers=first.headers, json={"title": "Call", "due_time": "12:30"}
    ).get_json()
    kept = client.patch(f"/v1/couple/commitments/{commitment['id']}", headers=first.headers)
    assert kept.status_code == 200 and kept.get_json()["title"] == "Call"

    note = client.post(
        "/v1/couple/gratitude", headers=first.headers, json={"text": "Thank you"}
    ).get_json()
    acknowledged = client.post(
        f"/v1/couple/gratitude/{note['id']}/acknowledge", headers=second.headers
    )
    assert acknowledged.status_code == 200
    assert acknowledged.get_json()["acknowledged_at"] is not None
    assert acknowledged.get_json()["reaction"] is None
