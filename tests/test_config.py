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
