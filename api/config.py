"""Configuration read from environment variables; every key is listed in the README."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
# Renewed every third of the lease; shorter leaves too little slack for a slow database.
MIN_OUTBOX_LEASE_SECONDS = 10


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Builds the Flask config from the environment (os.environ by default)."""
    env = os.environ if environ is None else environ
    return {
        "STEADY_ENV": env.get("STEADY_ENV", "development"),
        "SECRET_KEY": env.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "DATABASE_URL": env.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'steady.db'}"),
        "SQL_ECHO": _bool(env.get("SQL_ECHO"), False),
        "PUSH_BACKEND": env.get("PUSH_BACKEND", "log"),
        "AUTH_FIREBASE": _bool(env.get("AUTH_FIREBASE"), False),
        "FIREBASE_PROJECT_ID": env.get("FIREBASE_PROJECT_ID") or None,
        "FIREBASE_CREDENTIALS_FILE": env.get("FIREBASE_CREDENTIALS_FILE") or None,
        "FIREBASE_AUTH_EMULATOR_HOST": env.get("FIREBASE_AUTH_EMULATOR_HOST") or None,
        "GOOGLE_APPLICATION_CREDENTIALS": env.get("GOOGLE_APPLICATION_CREDENTIALS") or None,
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        # Reverse proxies in front of gunicorn that append to X-Forwarded-For/-Proto; 0 trusts
        # neither header (a client could otherwise pick its own address for the rate limits).
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "JWT_ISSUER": env.get("JWT_ISSUER", "steady"),
        "JWT_AUDIENCE": env.get("JWT_AUDIENCE", "steady-api"),
        "ACCESS_TOKEN_TTL_SECONDS": int(env.get("ACCESS_TOKEN_TTL_SECONDS", "900")),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        # Scrapes of /metrics present it as a bearer token; unset, only loopback may scrape
        # (outside production, which requires it).
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        "WORKER_METRICS_PORT": int(env.get("WORKER_METRICS_PORT", "0")),
        # How long a worker holds the notifications it claimed; renewed while it sends, so this
        # bounds how long a crashed worker's batch waits, not how long a send may take.
        "OUTBOX_LEASE_SECONDS": int(env.get("OUTBOX_LEASE_SECONDS", "60")),
        "NOTIFICATION_RETENTION_DAYS": int(env.get("NOTIFICATION_RETENTION_DAYS", "90")),
        "INVITE_RETENTION_DAYS": int(env.get("INVITE_RETENTION_DAYS", "30")),
        # Per process: answers to conditional reads kept for a repeat read of the same state
        # (api.conditional); 0 keeps none.
        "ANSWER_CACHE_BYTES": int(env.get("ANSWER_CACHE_BYTES", str(16 * 1024 * 1024))),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(1024 * 1024))),
        # Argon2id cost; OWASP's minimum for argon2id is 19 MiB, 2 iterations, 1 lane.
        "ARGON2_MEMORY_KIB": int(env.get("ARGON2_MEMORY_KIB", "19456")),
        "ARGON2_TIME_COST": int(env.get("ARGON2_TIME_COST", "2")),
        "ARGON2_PARALLELISM": int(env.get("ARGON2_PARALLELISM", "1")),
    }


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says why in one line."""


def check_config(config: Mapping[str, Any]) -> None:
    """Refuses configurations that would be unsafe in production."""
    if config["STEADY_ENV"] not in {"development", "test", "production"}:
        raise ConfigError("STEADY_ENV must be development, test or production.")
    if config["PUSH_BACKEND"] not in {"log", "fcm"}:
        raise ConfigError("PUSH_BACKEND must be 'log' or 'fcm'.")
    if config["TRUSTED_PROXIES"] < 0:
        raise ConfigError("TRUSTED_PROXIES must be 0 or the number of proxies in front.")
    if config["OUTBOX_LEASE_SECONDS"] < MIN_OUTBOX_LEASE_SECONDS:
        raise ConfigError(
            f"OUTBOX_LEASE_SECONDS must be at least {MIN_OUTBOX_LEASE_SECONDS} "
            "(the lease is renewed every third of it)."
        )
    if config["STEADY_ENV"] != "production":
        return
    if config.get("FIREBASE_AUTH_EMULATOR_HOST"):
        raise ConfigError(
            "FIREBASE_AUTH_EMULATOR_HOST is set: the emulator accepts unsigned tokens, "
            "so it is refused in production."
        )
    if config["SECRET_KEY"] == DEFAULT_SECRET_KEY or len(config["SECRET_KEY"]) < 32:
        raise ConfigError("SECRET_KEY must be set to a random value of at least 32 characters.")
    if not config.get("METRICS_TOKEN"):
        # Addresses prove little in production: a proxy on the same host makes every
        # connection local, and a miscounted TRUSTED_PROXIES lets a client name its own.
        raise ConfigError(
            "METRICS_TOKEN must be set in production: /metrics is served only to a bearer token."
        )
    if config["PUSH_BACKEND"] == "fcm":
        credentials = config.get("FIREBASE_CREDENTIALS_FILE") or config.get(
            "GOOGLE_APPLICATION_CREDENTIALS"
        )
        if not credentials or not Path(credentials).is_file():
            raise ConfigError(
                "PUSH_BACKEND=fcm needs a service-account file in FIREBASE_CREDENTIALS_FILE or "
                "GOOGLE_APPLICATION_CREDENTIALS."
            )


def check_serving(config: Mapping[str, Any], *, workers: int) -> None:
    """Refuses serving setups that lose data, lock up or quietly weaken a limit: SQLite has
    one writer at a time, and memory:// counts each process's requests on their own."""
    check_config(config)
    if config["STEADY_ENV"] != "production" or workers <= 1:
        return
    if config["DATABASE_URL"].startswith("sqlite"):
        raise ConfigError(
            f"SQLite cannot serve {workers} gunicorn workers in production; "
            "use PostgreSQL (DATABASE_URL) or a single worker."
        )
    if config["RATELIMIT_ENABLED"] and config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        raise ConfigError(
            f"RATELIMIT_STORAGE_URI=memory:// under {workers} gunicorn workers multiplies every "
            "rate limit by the process count; use Redis (redis://host:6379/0)."
        )
