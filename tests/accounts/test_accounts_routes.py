from __future__ import annotations

import json

from sqlalchemy import func, select

from api.accounts.models import Device, User
from api.auth.models import AuthSession, RefreshToken
from tests.helpers import assert_error, assert_invalid_fields


def test_me_shows_the_account(client, factory):
    actor = factory.partner(display_name="Maya", timezone="America/New_York")
    body = client.get("/v1/me", headers=actor.headers).get_json()
    assert body == {
        "id": actor.id,
        "email": actor.user.email,
        "display_name": "Maya",
        "role": "partner",
        "timezone": "America/New_York",
        "locale": "en",
        "effective_locale": "en",
        "created_at": "2026-11-23T12:00:00.000Z",
    }


def test_patch_me_changes_the_profile(client, factory):
    actor = factory.partner()
    response = client.patch(
        "/v1/me",
        headers=actor.headers,
        json={"display_name": "Maya R.", "timezone": "Asia/Kolkata", "locale": "pt-BR"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["display_name"], body["timezone"], body["locale"]) == (
        "Maya R.",
        "Asia/Kolkata",
        "pt-BR",
    )
    assert client.get("/v1/me", headers=actor.headers).get_json() == body


def test_patch_me_with_nothing_changes_nothing(client, factory):
    actor = factory.partner()
    before = client.get("/v1/me", headers=actor.headers).get_json()
    assert client.patch("/v1/me", headers=actor.headers, json={}).get_json() == before


def test_patch_me_rejects_bad_input(client, factory):
    actor = factory.partner()
    for body, field in [
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "x" * 81}, "display_name"),
        ({"locale": "not a locale"}, "locale"),
        ({"locale": "en-" + "x" * 40}, "locale"),
        ({"email": "new@example.com"}, "email"),
        ({"role": "therapist"}, "role"),
        ({"display_name": None}, "display_name"),
    ]:
        assert_invalid_fields(client.patch("/v1/me", headers=actor.headers, json=body), field)


def test_erasing_the_account_removes_it_for_good(client, factory, session):
    actor = factory.partner(email="gone@example.com")
    other = factory.partner()
    user_id = actor.user.id
    client.post("/v1/me/devices", headers=actor.headers, json={"token": "t-1", "platform": "ios"})
    assert client.delete("/v1/me", headers=actor.headers).status_code == 204
    assert_error(client.get("/v1/me", headers=actor.headers), 401, "session_revoked")
    session.expire_all()
    assert session.get(User, user_id) is None
    for model in (Device, AuthSession):
        count = session.scalar(
            select(func.count()).select_from(model).where(model.user_id == user_id)
        )
        assert count == 0
    assert session.scalar(select(func.count()).select_from(RefreshToken)) == 1  # other's only
    assert client.get("/v1/me", headers=other.headers).status_code == 200
    # The email is free to register again.
    again = client.post(
        "/v1/auth/register",
        json={
            "email": "gone@example.com",
            "password": "a new password",
            "display_name": "New",
            "timezone": "UTC",
        },
    )
    assert again.status_code == 201


def test_export_holds_the_users_data_and_no_secrets(client, factory):
    actor = factory.partner()
    client.post(
        "/v1/me/devices",
        headers=actor.headers,
        json={"token": "secret-push-token", "platform": "android", "app_version": "1.2"},
    )
    response = client.get("/v1/me/export", headers=actor.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["id"] == actor.id
    assert len(body["sessions"]) == 1 and body["sessions"][0]["ended_at"] is None
    assert body["devices"][0]["platform"] == "android"
    text = json.dumps(body)
    for secret in (actor.refresh_token, actor.access_token, "secret-push-token", "argon2"):
        assert secret not in text


def test_export_only_holds_the_callers_data(client, factory):
    me, other = factory.partner(), factory.partner()
    client.post("/v1/me/devices", headers=other.headers, json={"token": "o", "platform": "ios"})
    body = client.get("/v1/me/export", headers=me.headers).get_json()
    assert body["devices"] == []
    assert other.id not in json.dumps(body)


# --- devices ----------------------------------------------------------------------------------


def test_register_list_and_remove_a_device(client, factory):
    actor = factory.partner()
    created = client.post(
        "/v1/me/devices",
        headers=actor.headers,
        json={"token": "fcm-token-1", "platform": "ios", "app_version": "3.1.0"},
    )
    assert created.status_code == 201
    device = created.get_json()
    assert set(device) == {"id", "platform", "app_version", "created_at", "last_seen_at"}
    listed = client.get("/v1/me/devices", headers=actor.headers).get_json()
    assert listed == {"items": [device], "next_cursor": None}
    assert client.delete(f"/v1/me/devices/{device['id']}", headers=actor.headers).status_code == 204
    assert client.get("/v1/me/devices", headers=actor.headers).get_json()["items"] == []
    assert_error(
        client.delete(f"/v1/me/devices/{device['id']}", headers=actor.headers), 404, "not_found"
    )


def test_re_registering_a_token_answers_200_and_moves_it(client, factory, clock):
    first, second = factory.partner(), factory.partner()
    body = {"token": "shared-phone", "platform": "android"}
    created = client.post("/v1/me/devices", headers=first.headers, json=body)
    assert created.status_code == 201
    same = client.post("/v1/me/devices", headers=first.headers, json=body)
    assert same.status_code == 200 and same.get_json()["id"] == created.get_json()["id"]
    clock.advance(minutes=10)
    moved = client.post("/v1/me/devices", headers=second.headers, json=body)
    assert moved.status_code == 200
    assert moved.get_json()["last_seen_at"] == "2026-11-23T12:10:00.000Z"
    assert client.get("/v1/me/devices", headers=first.headers).get_json()["items"] == []
    assert len(client.get("/v1/me/devices", headers=second.headers).get_json()["items"]) == 1


def test_device_input_is_validated(client, factory):
    actor = factory.partner()
    for body, field in [
        ({"token": "t", "platform": "windows"}, "platform"),
        ({"token": "", "platform": "ios"}, "token"),
        ({"token": "x" * 4097, "platform": "ios"}, "token"),
        ({"token": "t", "platform": "ios", "app_version": "v" * 51}, "app_version"),
        ({"platform": "ios"}, "token"),
    ]:
        assert_invalid_fields(
            client.post("/v1/me/devices", headers=actor.headers, json=body), field
        )


def test_a_long_token_is_accepted(client, factory):
    actor = factory.partner()
    response = client.post(
        "/v1/me/devices", headers=actor.headers, json={"token": "x" * 4096, "platform": "web"}
    )
    assert response.status_code == 201


def test_another_users_device_is_not_found(client, factory):
    owner, stranger = factory.partner(), factory.partner()
    device = client.post(
        "/v1/me/devices", headers=owner.headers, json={"token": "t", "platform": "ios"}
    ).get_json()
    assert_error(
        client.delete(f"/v1/me/devices/{device['id']}", headers=stranger.headers),
        404,
        "not_found",
    )
    assert len(client.get("/v1/me/devices", headers=owner.headers).get_json()["items"]) == 1


def test_therapists_have_an_account_too(client, factory):
    therapist = factory.therapist()
    assert client.get("/v1/me", headers=therapist.headers).get_json()["role"] == "therapist"
    assert client.get("/v1/me/export", headers=therapist.headers).status_code == 200
