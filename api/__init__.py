"""Steady: the backend of a couples app."""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from api import db, docs, observability
from api.auth import passwords
from api.auth.context import CALLER_LOADER, authenticate_request, touch_session
from api.config import check_config, load_config
from api.errors import register_error_handlers
from api.extensions import api, limiter, render_http_error
from api.idempotency import hooks as idempotency_hooks
from api.spec import ContractPlugin

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

API_SPEC_OPTIONS = {
    "info": {
        "description": (
            "Steady helps partners be predictable for each other: shared gratitude and "
            "check-in questions, a ledger of promises kept, and a view for the therapist "
            "both partners invited."
        ),
        "license": {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"},
    },
    # Relative: the host that serves this document serves the API.
    "servers": [{"url": "/", "description": "The host serving this document"}],
    "components": {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        }
    },
    "security": [{"bearerAuth": []}],
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Builds the app; connects to nothing until a request or command needs it."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(load_config())
    app.config.update(config or {})
    check_config(app.config)
    app.config.update(
        API_TITLE="Steady API",
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        # Served by Steady from a pinned package (api/docs.py): the page works offline.
        OPENAPI_SWAGGER_UI_URL=docs.ASSETS_URL,
        OPENAPI_SWAGGER_UI_CONFIG=docs.SWAGGER_UI_CONFIG,
        API_SPEC_OPTIONS=API_SPEC_OPTIONS,
        # Retry-After is set on 429 answers only, by the error renderer.
        RATELIMIT_HEADERS_ENABLED=False,
        RATELIMIT_STORAGE_URI=app.config["RATELIMIT_STORAGE_URI"],
        RATELIMIT_ENABLED=app.config["RATELIMIT_ENABLED"],
    )
    passwords.configure(
        memory_kib=app.config["ARGON2_MEMORY_KIB"],
        time_cost=app.config["ARGON2_TIME_COST"],
        parallelism=app.config["ARGON2_PARALLELISM"],
    )

    if proxies := app.config["TRUSTED_PROXIES"]:
        # Each trusted proxy appends one X-Forwarded-For entry; ProxyFix takes the one the
        # outermost trusted proxy wrote, so remote_addr (the rate limits' key, /metrics'
        # loopback check) is the client's and entries a client forged further left are ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    db.init_app(app)
    observability.init_app(app)
    idempotency = idempotency_hooks.IdempotencyPlugin()
    contract = ContractPlugin(app, limiter=limiter)
    api.init_app(app, spec_kwargs={"extra_plugins": [idempotency, contract]})
    docs.init_app(app)
    limiter.init_app(app)
    register_error_handlers(app, render_http=render_http_error)
    _init_firebase_auth(app)

    from api.accounts.routes import blp as accounts_blp
    from api.agreements.routes import blp as agreements_blp
    from api.auth.routes import blp as auth_blp
    from api.commitments.routes import blp as commitments_blp
    from api.gratitude.routes import blp as gratitude_blp
    from api.home.routes import blp as home_blp
    from api.journal.routes import blp as journal_blp
    from api.locales.routes import blp as locales_blp
    from api.notifications.routes import blp as notifications_blp
    from api.ops.routes import blp as ops_blp
    from api.pairing.routes import blp as pairing_blp
    from api.progress.routes import blp as progress_blp
    from api.prompts.routes import blp as prompts_blp
    from api.reassurance.routes import blp as reassurance_blp
    from api.therapists.routes import blp as therapists_blp

    for blueprint in (
        ops_blp,
        auth_blp,
        accounts_blp,
        locales_blp,
        notifications_blp,
        pairing_blp,
        prompts_blp,
        gratitude_blp,
        commitments_blp,
        agreements_blp,
        reassurance_blp,
        progress_blp,
        therapists_blp,
        journal_blp,
        home_blp,
    ):
        api.register_blueprint(blueprint)

    from api.web.routes import blp as workspace_blp

    # The therapist workspace: plain Flask pages, outside the API's contract and openapi.yaml.
    app.register_blueprint(workspace_blp)

    from api.demo import demo_command
    from api.worker import worker_command

    app.cli.add_command(worker_command)
    app.cli.add_command(demo_command)

    from api.pairing.context import load_caller

    # The caller's couple is read with the caller, in one statement per request.
    app.extensions[CALLER_LOADER] = load_caller
    app.before_request(_assign_request_id)
    app.before_request(authenticate_request)
    app.teardown_request(touch_session)
    # After authentication: a stored answer is replayed only to its own, authorised caller.
    idempotency_hooks.init_app(app, idempotency)
    from api import conditional

    conditional.init_app(app)
    app.after_request(_echo_request_id)
    return app


def _init_firebase_auth(app: Flask) -> None:
    if "steady_firebase_verifier" in app.extensions:
        return
    if not app.config["AUTH_FIREBASE"]:
        app.extensions["steady_firebase_verifier"] = None
        return
    from api.auth.firebase import FirebaseAdminVerifier

    app.extensions["steady_firebase_verifier"] = FirebaseAdminVerifier(
        project_id=app.config["FIREBASE_PROJECT_ID"],
        credentials_file=app.config["FIREBASE_CREDENTIALS_FILE"],
        # Revocation is checked against Firebase itself, which the emulator does not offer.
        check_revoked=not app.config["FIREBASE_AUTH_EMULATOR_HOST"],
    )


def _assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID_RE.match(incoming) else secrets.token_hex(16)


def _echo_request_id(response):
    response.headers["X-Request-ID"] = g.get("request_id") or secrets.token_hex(16)
    return response
