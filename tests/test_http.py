"""Behaviour every endpoint shares: error shape, limits, request ids, health."""

from __future__ import annotations

from api import create_app
from tests.helpers import assert_error


def test_unknown_path_is_404_with_or_without_token(client, factory):
    actor = factory.partner()
    assert_error(client.get("/v1/nothing-here"), 404, "not_found")
    assert_error(client.get("/v1/nothing-here", headers=actor.headers), 404, "not_found")


def test_wrong_method_is_405_with_allow(client, factory):
    actor = factory.partner()
    response = client.put("/v1/me", headers=actor.headers, json={})
    assert_error(response, 405, "method_not_allowed")
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "PATCH", "DELETE"} <= allowed


def test_body_over_one_megabyte_is_413(client, factory):
    actor = factory.partner()
    response = client.patch(
        "/v1/me",
        headers={**actor.headers, "Content-Type": "application/json"},
        data=b'{"display_name": "' + b"x" * (1024 * 1024) + b'"}',
    )
    assert_error(response, 413, "payload_too_large")


def test_unexpected_errors_are_500_without_details(app_config):
    app = create_app(app_config)

    @app.get("/boom")
    def boom():
        raise RuntimeError("SELECT secret FROM users -- Traceback")

    response = app.test_client().get("/boom")
    body = assert_error(response, 500, "internal_error")
    assert "SELECT" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert set(body) == {"code", "status", "message", "reason"}


def test_request_id_is_echoed_when_well_formed(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123:x.y_z"}).headers["X-Request-ID"]
        == "abc-123:x.y_z"
    )
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["X-Request-ID"] != "bad id with spaces"
    assert len(generated.headers["X-Request-ID"]) == 32
    assert client.get("/v1/none").headers["X-Request-ID"]


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok"}


def test_readiness_fails_when_the_database_is_unreachable(app_config):
    app_config["DATABASE_URL"] = (
        "postgresql+psycopg://postgres@127.0.0.1:1/steady?connect_timeout=1"
    )
    response = create_app(app_config).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_docs_and_spec_are_served(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
