"""Behind a reverse proxy: the client's address, not the proxy's, keys the rate limits and
decides who may scrape /metrics without a token (TRUSTED_PROXIES)."""

from __future__ import annotations

import pytest

from api import create_app
from tests.helpers import assert_error

PROXY = "10.0.0.2"


@pytest.fixture
def cheap_hashing(app_config):
    # Each registration hashes a password; cheaper hashes keep 60 of them fast.
    app_config.update(ARGON2_MEMORY_KIB=1024, ARGON2_TIME_COST=1)
    yield
    from api.auth import passwords

    passwords.configure(memory_kib=19456, time_cost=2, parallelism=1)


def register(client, n: int, forwarded_for: str, peer: str = PROXY):
    return client.post(
        "/v1/auth/register",
        json={
            "email": f"proxied-{n}@example.com",
            "password": "a long enough password",
            "display_name": f"Client {n}",
            "timezone": "UTC",
        },
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": peer},
    )


def test_two_clients_behind_one_trusted_proxy_are_limited_separately(app_config, cheap_hashing):
    client = create_app({**app_config, "TRUSTED_PROXIES": 1}).test_client()
    for i in range(30):
        assert register(client, i, "203.0.113.1").status_code == 201
    assert_error(register(client, 30, "203.0.113.1"), 429, "rate_limited")
    # Same proxy, another client: its own 30 an hour.
    assert register(client, 31, "203.0.113.2").status_code == 201
    # A client cannot pick its own address: only the entry the proxy appended counts.
    assert_error(register(client, 32, "198.51.100.7, 203.0.113.1"), 429, "rate_limited")


def test_forwarded_for_from_an_untrusted_peer_is_ignored(app_config, cheap_hashing):
    client = create_app({**app_config, "TRUSTED_PROXIES": 0}).test_client()
    for i in range(30):
        assert register(client, i, f"203.0.113.{i + 1}").status_code == 201
    # Thirty "different" clients were one peer, and the thirty-first request is refused.
    assert_error(register(client, 30, "203.0.113.99"), 429, "rate_limited")


def test_the_forwarded_scheme_is_taken_from_a_trusted_proxy_only(app_config):
    seen = []
    for proxies in (1, 0):
        app = create_app({**app_config, "TRUSTED_PROXIES": proxies})

        @app.get("/scheme-probe")
        def probe():
            from flask import request

            seen.append((request.scheme, request.remote_addr))
            return ""

        app.test_client().get(
            "/scheme-probe",
            headers={"X-Forwarded-For": "203.0.113.1", "X-Forwarded-Proto": "https"},
            environ_base={"REMOTE_ADDR": PROXY},
        )
    assert seen == [("https", "203.0.113.1"), ("http", PROXY)]


def scrape(client, *, peer: str, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": peer})


def test_behind_a_local_proxy_only_a_local_client_may_scrape_without_a_token(app_config):
    client = create_app({**app_config, "TRUSTED_PROXIES": 1}).test_client()
    # The proxy runs on this host, so every connection comes from loopback: the client it
    # names decides.
    assert scrape(client, peer="127.0.0.1", forwarded_for="203.0.113.9").status_code == 404
    assert scrape(client, peer="127.0.0.1", forwarded_for="127.0.0.1").status_code == 200
    # A local Prometheus scraping gunicorn directly, past the proxy.
    assert scrape(client, peer="127.0.0.1").status_code == 200
    # A remote peer that claims to be forwarding for loopback is still remote.
    assert scrape(client, peer="203.0.113.9", forwarded_for="127.0.0.1").status_code == 404


def test_in_production_metrics_need_the_token_even_from_loopback(app_config):
    production = {
        **app_config,
        "STEADY_ENV": "production",
        "METRICS_TOKEN": "scrape-token",
        "TRUSTED_PROXIES": 1,
    }
    client = create_app(production).test_client()
    assert scrape(client, peer="127.0.0.1").status_code == 404
    assert scrape(client, peer="127.0.0.1", forwarded_for="127.0.0.1").status_code == 404
    authorised = client.get(
        "/metrics",
        headers={"Authorization": "Bearer scrape-token", "X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": PROXY},
    )
    assert authorised.status_code == 200
