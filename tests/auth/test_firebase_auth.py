"""Firebase ID tokens as bearer tokens, tested offline.

Emulator mode makes firebase-admin accept unsigned tokens without any network; expiry and
revocation, which the emulator does not check, come from an injected verify function.
"""

from __future__ import annotations

import time

import jwt
import pytest
from firebase_admin import auth as firebase_auth

from api import create_app
from api.auth.firebase import FirebaseAdminVerifier
from api.config import ConfigError
from tests.helpers import assert_error

PROJECT = "demo-steady"


def id_token(uid: str = "fb-uid-1", **claims) -> str:
    now = int(time.time())
    body = {
        "iss": f"https://securetoken.google.com/{PROJECT}",
        "aud": PROJECT,
        "sub": uid,
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
    }
    body.update(claims)
    return jwt.encode(body, None, algorithm="none")


@pytest.fixture
def firebase_app(app_config, monkeypatch):
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9")
    app_config.update(
        AUTH_FIREBASE=True,
        FIREBASE_PROJECT_ID=PROJECT,
        FIREBASE_AUTH_EMULATOR_HOST="127.0.0.1:9",
    )
    return create_app(app_config)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_first_use_provisions_the_user(firebase_app):
    client = firebase_app.test_client()
    token = id_token(email="Ana@Example.com", email_verified=True, name="Ana")
    first = client.get("/v1/me", headers=bearer(token))
    assert first.status_code == 200
    body = first.get_json()
    assert body["display_name"] == "Ana"
    assert body["email"] == "ana@example.com"
    assert body["timezone"] == "UTC"
    assert body["role"] == "partner"
    assert client.get("/v1/me", headers=bearer(token)).get_json()["id"] == body["id"]


def test_display_name_falls_back_to_the_email_local_part(firebase_app):
    client = firebase_app.test_client()
    body = client.get("/v1/me", headers=bearer(id_token(email="leo.m@example.com"))).get_json()
    assert body["display_name"] == "leo.m"


def test_a_token_without_email_still_gets_an_account(firebase_app):
    client = firebase_app.test_client()
    body = client.get("/v1/me", headers=bearer(id_token(uid="phone-only"))).get_json()
    assert body["email"] is None and body["display_name"]


def test_verified_email_links_the_local_account(firebase_app, factory):
    local = factory.user(email="kim@example.com")
    client = firebase_app.test_client()
    token = id_token(email="kim@example.com", email_verified=True)
    assert client.get("/v1/me", headers=bearer(token)).get_json()["id"] == str(local.id)


def test_unverified_email_does_not_take_over_the_local_account(firebase_app, factory):
    factory.user(email="kim@example.com")
    client = firebase_app.test_client()
    token = id_token(email="kim@example.com", email_verified=False)
    assert_error(client.get("/v1/me", headers=bearer(token)), 409, "email_taken")


def test_local_tokens_keep_working_with_firebase_enabled(firebase_app, factory):
    actor = factory.partner()
    assert firebase_app.test_client().get("/v1/me", headers=actor.headers).status_code == 200


def test_a_firebase_token_is_refused_when_firebase_auth_is_off(client):
    assert_error(client.get("/v1/me", headers=bearer(id_token())), 401, "invalid_token")


def test_a_token_for_another_project_is_refused(firebase_app):
    token = id_token(aud="someone-elses-project")
    assert_error(
        firebase_app.test_client().get("/v1/me", headers=bearer(token)), 401, "invalid_token"
    )


def _with_verifier(app, verify):
    app.extensions["steady_firebase_verifier"] = FirebaseAdminVerifier(
        project_id=PROJECT, credentials_file=None, check_revoked=True, verify=verify
    )
    return app.test_client()


def test_an_expired_id_token_is_refused(firebase_app):
    def verify(token, check_revoked):
        raise firebase_auth.ExpiredIdTokenError("Token expired", cause=None)

    client = _with_verifier(firebase_app, verify)
    assert_error(client.get("/v1/me", headers=bearer(id_token())), 401, "token_expired")


def test_a_revoked_id_token_is_refused(firebase_app):
    seen = {}

    def verify(token, check_revoked):
        seen["check_revoked"] = check_revoked
        raise firebase_auth.RevokedIdTokenError("Token revoked")

    client = _with_verifier(firebase_app, verify)
    assert_error(client.get("/v1/me", headers=bearer(id_token())), 401, "session_revoked")
    assert seen["check_revoked"] is True


def test_an_invalid_id_token_is_refused(firebase_app):
    def verify(token, check_revoked):
        raise firebase_auth.InvalidIdTokenError("bad")

    client = _with_verifier(firebase_app, verify)
    assert_error(client.get("/v1/me", headers=bearer(id_token())), 401, "invalid_token")


def test_production_refuses_the_auth_emulator(app_config):
    app_config.update(
        STEADY_ENV="production",
        SECRET_KEY="a-production-secret-that-is-long-enough-1234",
        FIREBASE_AUTH_EMULATOR_HOST="127.0.0.1:9099",
    )
    with pytest.raises(ConfigError, match="FIREBASE_AUTH_EMULATOR_HOST"):
        create_app(app_config)
