from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from api.accounts.models import User
from api.auth.models import AuthSession
from tests.factories import PASSWORD
from tests.helpers import assert_error, assert_invalid_fields

SECRET = "test-secret-key-that-is-long-enough-0123456789"


def register(client, **overrides):
    body = {
        "email": "maya@example.com",
        "password": "a long enough password",
        "display_name": "Maya",
        "timezone": "Europe/Paris",
    }
    body.update(overrides)
    return client.post("/v1/auth/register", json=body)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- register ---------------------------------------------------------------------------------


def test_register_creates_account_and_signs_in(client):
    response = register(client, email="  Maya@Example.COM ", device_name="Maya's phone")
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["email"] == "maya@example.com"
    assert body["user"]["role"] == "partner"
    assert body["user"]["locale"] == "en"
    assert body["expires_in"] == 900
    assert len(body["refresh_token"]) >= 43  # 32 random bytes, base64url
    me = client.get("/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.get_json()["id"] == body["user"]["id"]
    sessions = client.get("/v1/auth/sessions", headers=bearer(body["access_token"])).get_json()
    assert sessions["items"][0]["device_name"] == "Maya's phone"


def test_register_therapist_role(client):
    body = register(client, role="therapist").get_json()
    assert body["user"]["role"] == "therapist"


def test_register_stores_argon2id_hash_with_owasp_cost(client, session):
    register(client)
    stored = session.scalar(select(User.password_hash).where(User.email == "maya@example.com"))
    assert stored.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in stored


def test_register_existing_email_is_a_conflict_whatever_the_case(client):
    assert register(client).status_code == 201
    assert_error(register(client, email="MAYA@example.com"), 409, "email_taken")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a" * 250 + "@x.com"}, "email"),
        ({"password": "too short"}, "password"),
        ({"password": "x" * 257}, "password"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "x" * 81}, "display_name"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "+02:00"}, "timezone"),
        ({"role": "admin"}, "role"),
        ({"device_name": "x" * 101}, "device_name"),
        ({"is_admin": True}, "is_admin"),
    ],
)
def test_register_rejects_bad_input_naming_the_field(client, overrides, field):
    assert_invalid_fields(register(client, **overrides), field)


def test_register_requires_every_field(client):
    response = client.post("/v1/auth/register", json={})
    assert_invalid_fields(response, "email", "password", "display_name", "timezone")


def test_register_accepts_utc_and_etc_zones(client):
    assert register(client, timezone="UTC").status_code == 201
    assert register(client, email="b@example.com", timezone="Etc/GMT+5").status_code == 201


def test_unparseable_body_is_invalid_json(client):
    response = client.post("/v1/auth/register", data="{not json", content_type="application/json")
    assert_error(response, 400, "invalid_json")


def test_register_is_rate_limited_per_ip(client):
    for i in range(30):
        assert register(client, email=f"u{i}@example.com").status_code == 201
    response = register(client, email="one-more@example.com")
    assert_error(response, 429, "rate_limited")
    assert 0 < int(response.headers["Retry-After"]) <= 3600


# --- login ------------------------------------------------------------------------------------


def test_login_returns_a_token_pair(client, factory):
    user = factory.user(email="sam@example.com")
    response = client.post(
        "/v1/auth/login",
        json={"email": " SAM@example.com", "password": PASSWORD, "device_name": "Sam's tablet"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["id"] == str(user.id)
    assert client.get("/v1/me", headers=bearer(body["access_token"])).status_code == 200


def test_login_answers_identically_for_unknown_email_and_wrong_password(client, factory):
    factory.user(email="sam@example.com")
    wrong = client.post(
        "/v1/auth/login", json={"email": "sam@example.com", "password": "nope-nope"}
    )
    unknown = client.post(
        "/v1/auth/login", json={"email": "nobody@example.com", "password": "nope-nope"}
    )
    assert_error(wrong, 401, "invalid_credentials")
    assert wrong.get_json() == unknown.get_json()
    assert wrong.status_code == unknown.status_code


def test_login_rehashes_when_parameters_change(client, factory, session):
    user = factory.user(email="old@example.com")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    user.password_hash = weak
    session.commit()
    response = client.post(
        "/v1/auth/login", json={"email": "old@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    session.expire_all()
    rehashed = session.get(User, user.id).password_hash
    assert rehashed != weak
    assert "m=19456,t=2,p=1" in rehashed


def test_login_rejects_bad_input(client):
    assert_invalid_fields(client.post("/v1/auth/login", json={"email": "a@b.c"}), "password")
    assert_invalid_fields(
        client.post("/v1/auth/login", json={"email": "x" * 255, "password": "p"}), "email"
    )


def test_failed_logins_are_limited_per_email(client, factory):
    factory.user(email="sam@example.com")
    for _ in range(10):
        response = client.post(
            "/v1/auth/login", json={"email": "sam@example.com", "password": "wrong-password"}
        )
        assert_error(response, 401, "invalid_credentials")
    # Now even the right password is refused until the window passes.
    blocked = client.post("/v1/auth/login", json={"email": "Sam@example.com", "password": PASSWORD})
    assert_error(blocked, 429, "rate_limited")
    assert 0 < int(blocked.headers["Retry-After"]) <= 900
    # Another email from the same address is not blocked by this email's failures.
    factory.user(email="kim@example.com")
    other = client.post("/v1/auth/login", json={"email": "kim@example.com", "password": PASSWORD})
    assert other.status_code == 200


def test_successful_logins_do_not_count_towards_the_limit(client, factory):
    factory.user(email="sam@example.com")
    for _ in range(12):
        response = client.post(
            "/v1/auth/login", json={"email": "sam@example.com", "password": PASSWORD}
        )
        assert response.status_code == 200


@pytest.fixture
def cheap_hashing(app_config):
    # The per-IP limit needs 100 failed logins; cheaper hashes keep this one test fast.
    app_config.update(ARGON2_MEMORY_KIB=1024, ARGON2_TIME_COST=1)
    yield
    from api.auth import passwords

    passwords.configure(memory_kib=19456, time_cost=2, parallelism=1)


def test_failed_logins_are_limited_per_ip(cheap_hashing, client):
    for i in range(100):
        response = client.post(
            "/v1/auth/login", json={"email": f"guess{i}@example.com", "password": "wrong-pass"}
        )
        assert response.status_code == 401
    blocked = client.post("/v1/auth/login", json={"email": "new@example.com", "password": "x"})
    assert_error(blocked, 429, "rate_limited")
    assert "Retry-After" in blocked.headers


# --- refresh ----------------------------------------------------------------------------------


def test_refresh_rotates_the_pair(client, factory):
    actor = factory.partner()
    response = client.post("/v1/auth/refresh", json={"refresh_token": actor.refresh_token})
    assert response.status_code == 200
    body = response.get_json()
    assert body["refresh_token"] != actor.refresh_token
    assert client.get("/v1/me", headers=bearer(body["access_token"])).status_code == 200
    # The new refresh token works once more.
    again = client.post("/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert again.status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_session(client, factory):
    actor = factory.partner()
    rotated = client.post("/v1/auth/refresh", json={"refresh_token": actor.refresh_token})
    fresh = rotated.get_json()
    reused = client.post("/v1/auth/refresh", json={"refresh_token": actor.refresh_token})
    assert_error(reused, 401, "refresh_token_reused")
    # The thief's copy and the legitimate one both stop working.
    assert_error(
        client.post("/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]}),
        401,
        "session_revoked",
    )
    assert_error(
        client.get("/v1/me", headers=bearer(fresh["access_token"])), 401, "session_revoked"
    )


def test_unknown_refresh_token(client):
    response = client.post("/v1/auth/refresh", json={"refresh_token": "never-issued"})
    assert_error(response, 401, "invalid_refresh_token")


def test_refresh_token_expires_after_30_days_unused(client, factory, clock):
    actor = factory.partner()
    clock.advance(days=30, seconds=1)
    response = client.post("/v1/auth/refresh", json={"refresh_token": actor.refresh_token})
    assert_error(response, 401, "refresh_token_expired")


def test_session_expires_after_90_days_in_all(client, factory, clock):
    token = factory.partner().refresh_token
    for _ in range(4):  # refreshed every 20 days: never idle, but 80 days old
        clock.advance(days=20)
        response = client.post("/v1/auth/refresh", json={"refresh_token": token})
        assert response.status_code == 200
        token = response.get_json()["refresh_token"]
    clock.advance(days=10, seconds=1)
    response = client.post("/v1/auth/refresh", json={"refresh_token": token})
    assert_error(response, 401, "refresh_token_expired")


def test_refresh_requires_a_token(client):
    assert_invalid_fields(client.post("/v1/auth/refresh", json={}), "refresh_token")


# --- access tokens ----------------------------------------------------------------------------


def test_missing_and_malformed_authorization(client):
    assert_error(client.get("/v1/me"), 401, "missing_token")
    assert_error(client.get("/v1/me", headers={"Authorization": "Basic abc"}), 401, "invalid_token")
    assert_error(client.get("/v1/me", headers=bearer("garbage")), 401, "invalid_token")


def test_access_token_expires_after_15_minutes(client, factory, clock):
    actor = factory.partner()
    clock.advance(minutes=14, seconds=59)
    assert client.get("/v1/me", headers=bearer(actor.access_token)).status_code == 200
    clock.advance(seconds=1)
    assert_error(client.get("/v1/me", headers=bearer(actor.access_token)), 401, "token_expired")


def _claims(actor, clock, **overrides):
    claims = jwt.decode(actor.access_token, options={"verify_signature": False})
    claims.update(overrides)
    return claims


def test_forged_signature_is_refused(client, factory, clock):
    actor = factory.partner()
    forged = jwt.encode(_claims(actor, clock), "another-secret-of-sufficient-length!", "HS256")
    assert_error(client.get("/v1/me", headers=bearer(forged)), 401, "invalid_token")


def test_alg_none_is_refused(client, factory, clock):
    actor = factory.partner()
    unsigned = jwt.encode(_claims(actor, clock), None, algorithm="none")
    assert_error(client.get("/v1/me", headers=bearer(unsigned)), 401, "invalid_token")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_another_algorithm_with_the_right_secret_is_refused(client, factory, clock):
    actor = factory.partner()
    token = jwt.encode(_claims(actor, clock), SECRET, algorithm="HS512")
    assert_error(client.get("/v1/me", headers=bearer(token)), 401, "invalid_token")


@pytest.mark.parametrize("claim", [{"aud": "someone-else"}, {"iss": "someone-else"}])
def test_wrong_audience_or_issuer_is_refused(client, factory, clock, claim):
    actor = factory.partner()
    token = jwt.encode(_claims(actor, clock, **claim), SECRET, algorithm="HS256")
    assert_error(client.get("/v1/me", headers=bearer(token)), 401, "invalid_token")


def test_token_for_an_unknown_session_is_refused(client, factory, clock):
    actor = factory.partner()
    token = jwt.encode(_claims(actor, clock, sid=str(uuid.uuid4())), SECRET, algorithm="HS256")
    assert_error(client.get("/v1/me", headers=bearer(token)), 401, "session_revoked")


# --- logout and sessions ----------------------------------------------------------------------


def test_logout_ends_the_session_at_once(client, factory):
    actor = factory.partner()
    assert client.post("/v1/auth/logout", headers=actor.headers).status_code == 204
    assert_error(client.get("/v1/me", headers=actor.headers), 401, "session_revoked")
    assert_error(
        client.post("/v1/auth/refresh", json={"refresh_token": actor.refresh_token}),
        401,
        "session_revoked",
    )


def test_logout_needs_a_token(client):
    assert_error(client.post("/v1/auth/logout"), 401, "missing_token")


def test_sessions_list_marks_the_current_one(client, factory):
    first = factory.partner()
    second = factory.actor(first.user)
    items = client.get("/v1/auth/sessions", headers=second.headers).get_json()["items"]
    assert len(items) == 2
    assert [i["current"] for i in items].count(True) == 1
    current = next(i for i in items if i["current"])
    sid = jwt.decode(second.access_token, options={"verify_signature": False})["sid"]
    assert current["id"] == sid
    assert set(current) == {"id", "device_name", "created_at", "last_used_at", "current"}


def test_sessions_list_is_paginated_newest_first(client, factory, clock):
    actor = factory.partner()
    for _ in range(4):
        clock.advance(seconds=1)
        factory.actor(actor.user)
    page1 = client.get("/v1/auth/sessions?limit=2", headers=actor.headers).get_json()
    assert len(page1["items"]) == 2 and page1["next_cursor"]
    page2 = client.get(
        f"/v1/auth/sessions?limit=2&cursor={page1['next_cursor']}", headers=actor.headers
    ).get_json()
    page3 = client.get(
        f"/v1/auth/sessions?limit=2&cursor={page2['next_cursor']}", headers=actor.headers
    ).get_json()
    assert page3["next_cursor"] is None
    ids = [i["id"] for p in (page1, page2, page3) for i in p["items"]]
    assert len(ids) == len(set(ids)) == 5
    created = [i["created_at"] for p in (page1, page2, page3) for i in p["items"]]
    assert created == sorted(created, reverse=True)


def test_sessions_list_rejects_bad_paging(client, factory):
    actor = factory.partner()
    assert_invalid_fields(
        client.get("/v1/auth/sessions?limit=0", headers=actor.headers), "limit", location="query"
    )
    assert_invalid_fields(
        client.get("/v1/auth/sessions?limit=101", headers=actor.headers),
        "limit",
        location="query",
    )
    assert_error(
        client.get("/v1/auth/sessions?cursor=made-up", headers=actor.headers),
        422,
        "invalid_cursor",
    )


def test_deleting_another_session_signs_that_device_out(client, factory):
    laptop = factory.partner()
    phone = factory.actor(laptop.user)
    phone_sid = jwt.decode(phone.access_token, options={"verify_signature": False})["sid"]
    response = client.delete(f"/v1/auth/sessions/{phone_sid}", headers=laptop.headers)
    assert response.status_code == 204
    assert_error(client.get("/v1/me", headers=phone.headers), 401, "session_revoked")
    assert client.get("/v1/me", headers=laptop.headers).status_code == 200
    # Ended sessions are no longer listed, and deleting again is not found.
    items = client.get("/v1/auth/sessions", headers=laptop.headers).get_json()["items"]
    assert phone_sid not in {i["id"] for i in items}
    assert_error(
        client.delete(f"/v1/auth/sessions/{phone_sid}", headers=laptop.headers), 404, "not_found"
    )


def test_deleting_the_current_session_is_a_logout(client, factory):
    actor = factory.partner()
    sid = jwt.decode(actor.access_token, options={"verify_signature": False})["sid"]
    assert client.delete(f"/v1/auth/sessions/{sid}", headers=actor.headers).status_code == 204
    assert_error(client.get("/v1/me", headers=actor.headers), 401, "session_revoked")


def test_another_users_session_is_not_found(client, factory, session):
    me, other = factory.partner(), factory.partner()
    other_sid = jwt.decode(other.access_token, options={"verify_signature": False})["sid"]
    assert_error(
        client.delete(f"/v1/auth/sessions/{other_sid}", headers=me.headers), 404, "not_found"
    )
    assert client.get("/v1/me", headers=other.headers).status_code == 200
    assert_error(
        client.delete("/v1/auth/sessions/not-a-uuid", headers=me.headers), 404, "not_found"
    )


def test_last_used_is_refreshed_by_requests(client, factory, session, clock):
    actor = factory.partner()
    clock.advance(minutes=10)
    client.get("/v1/me", headers=actor.headers)
    session.expire_all()
    stored = session.scalars(select(AuthSession).where(AuthSession.user_id == actor.user.id)).one()
    assert stored.last_used_at == clock() and stored.created_at == clock() - timedelta(minutes=10)
