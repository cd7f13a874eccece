from __future__ import annotations

import pytest

from api import create_app
from api.config import DEFAULT_SECRET_KEY, ConfigError, load_config


def test_defaults_need_no_environment():
    config = load_config({})
    assert config["DATABASE_URL"].startswith("sqlite:///")
    assert config["DATABASE_URL"].endswith("instance/steady.db")
    assert config["PUSH_BACKEND"] == "log"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert config["AUTH_FIREBASE"] is False


def test_environment_overrides():
    config = load_config(
        {
            "DATABASE_URL": "postgresql+psycopg://db/steady",
            "AUTH_FIREBASE": "1",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        }
    )
    assert config["DATABASE_URL"] == "postgresql+psycopg://db/steady"
    assert config["AUTH_FIREBASE"] is True
    assert config["RATELIMIT_STORAGE_URI"].startswith("redis://")


def test_production_refuses_the_default_secret():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(
            {
                "STEADY_ENV": "production",
                "SECRET_KEY": DEFAULT_SECRET_KEY,
                "DATABASE_URL": "sqlite://",
            }
        )


def test_unknown_push_backend_is_refused():
    with pytest.raises(ConfigError, match="PUSH_BACKEND"):
        create_app({"PUSH_BACKEND": "carrier-pigeon", "DATABASE_URL": "sqlite://"})


def test_create_app_connects_to_nothing():
    # An unreachable database must not stop the app from being built (CLI, spec generation).
    app = create_app({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    assert app.name == "api"


PRODUCTION = {
    "STEADY_ENV": "production",
    "SECRET_KEY": "a-production-secret-that-is-long-enough-1234",
    "DATABASE_URL": "postgresql+psycopg://steady@db/steady",
    # Production requires both since /metrics lost its loopback exemption there and
    # memory:// counters were refused under several processes.
    "METRICS_TOKEN": "a-scrape-token",
    "RATELIMIT_STORAGE_URI": "redis://redis:6379/0",
}


def test_production_refuses_fcm_without_credentials(tmp_path):
    with pytest.raises(ConfigError, match="PUSH_BACKEND=fcm"):
        create_app({**PRODUCTION, "PUSH_BACKEND": "fcm"})
    with pytest.raises(ConfigError, match="PUSH_BACKEND=fcm"):
        create_app(
            {
                **PRODUCTION,
                "PUSH_BACKEND": "fcm",
                "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "missing.json"),
            }
        )
    key = tmp_path / "service-account.json"
    key.write_text("{}")
    assert create_app({**PRODUCTION, "PUSH_BACKEND": "fcm", "FIREBASE_CREDENTIALS_FILE": str(key)})


def test_production_refuses_sqlite_under_several_workers():
    from api.config import check_serving

    sqlite = {**load_config({}), **PRODUCTION, "DATABASE_URL": "sqlite:////tmp/steady.db"}
    with pytest.raises(ConfigError, match="SQLite cannot serve 4 gunicorn workers"):
        check_serving(sqlite, workers=4)
    check_serving(sqlite, workers=1)
    check_serving({**load_config({}), **PRODUCTION}, workers=4)
    check_serving({**load_config({}), "DATABASE_URL": "sqlite:////tmp/dev.db"}, workers=4)


def test_gunicorn_stops_with_a_one_line_explanation(tmp_path):
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {
        **os.environ,
        "STEADY_ENV": "production",
        "WEB_CONCURRENCY": "3",
        "SECRET_KEY": "a-production-secret-that-is-long-enough-1234",
        "DATABASE_URL": f"sqlite:///{tmp_path}/steady.db",
        "METRICS_TOKEN": "a-scrape-token",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "steady: SQLite cannot serve 3 gunicorn workers in production" in result.stderr
    env["SECRET_KEY"] = DEFAULT_SECRET_KEY
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "steady: SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_serve_metrics_without_a_token():
    without = {k: v for k, v in PRODUCTION.items() if k != "METRICS_TOKEN"}
    with pytest.raises(ConfigError, match="METRICS_TOKEN must be set in production"):
        create_app(without)
    assert create_app(PRODUCTION)
    # Outside production the loopback exemption still serves a local Prometheus.
    assert create_app({**without, "STEADY_ENV": "development"})


def test_production_refuses_per_process_rate_limits_under_several_workers():
    from api.config import check_serving

    memory = {**load_config({}), **PRODUCTION, "RATELIMIT_STORAGE_URI": "memory://"}
    with pytest.raises(ConfigError, match="memory:// under 4 gunicorn workers"):
        check_serving(memory, workers=4)
    check_serving(memory, workers=1)  # one process: its counters are the only ones
    check_serving({**memory, "RATELIMIT_ENABLED": False}, workers=4)
    check_serving({**memory, "STEADY_ENV": "development"}, workers=4)
    check_serving({**load_config({}), **PRODUCTION}, workers=4)


def test_gunicorn_refuses_memory_rate_limits_under_several_workers():
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {
        **os.environ,
        **PRODUCTION,
        "WEB_CONCURRENCY": "3",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "steady: RATELIMIT_STORAGE_URI=memory:// under 3 gunicorn workers" in result.stderr


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("TRUSTED_PROXIES", "-1", "TRUSTED_PROXIES"),
        ("OUTBOX_LEASE_SECONDS", "5", "OUTBOX_LEASE_SECONDS must be at least 10"),
    ],
)
def test_proxy_count_and_lease_are_checked(key, value, message):
    from api.config import check_config

    with pytest.raises(ConfigError, match=message):
        check_config(load_config({key: value}))


def test_proxies_and_lease_defaults():
    config = load_config({})
    assert (config["TRUSTED_PROXIES"], config["OUTBOX_LEASE_SECONDS"]) == (0, 60)
    assert config["METRICS_TOKEN"] is None
