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
