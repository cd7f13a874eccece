"""Wires idempotency keys into every create endpoint, without touching the routes.

A create endpoint is a POST documented to answer 201, outside /v1/auth. The hook runs after
authentication and the role check, so a replay is never served to the wrong caller.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from apispec import BasePlugin
from flask import Flask, Response, current_app, g, request
from flask_smorest.spec.plugins import FlaskPlugin
from sqlalchemy.exc import IntegrityError

from api.db import HOLD_COMMIT, db_session, now
from api.idempotency import service

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_REPLAY_HEADERS = ("Content-Type", "Location")
_EXTENSION = "steady_idempotency"


class IdempotencyPlugin(BasePlugin):
    """Finds the create operations as the routes document them — POST answering 201, outside
    /v1/auth — documents the header and its answers on each, and remembers their paths so the
    request hooks apply to exactly the operations the spec says take the header."""

    def __init__(self) -> None:
        self.create_paths: set[str] = set()

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        spec.components.header(REPLAYED_HEADER, deepcopy(_REPLAYED))

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        post = (operations or {}).get("post")
        if not post or not path or path.startswith("/v1/auth"):
            return
        responses = post.setdefault("responses", {})
        # Status codes are still the routes' integers here; apispec turns them into strings.
        if 201 not in responses and "201" not in responses:
            return
        self.create_paths.add(path)
        # Copies: a dict shared between operations would be written out as a YAML anchor.
        post.setdefault("parameters", []).append(deepcopy(_PARAMETER))
        created = responses.get(201) or responses["201"]
        created.setdefault("headers", {})[REPLAYED_HEADER] = {
            "$ref": f"#/components/headers/{REPLAYED_HEADER}"
        }
        for code, description in _ANSWERS.items():
            if code not in responses and str(code) not in responses:
                responses[code] = {**deepcopy(_ERROR_CONTENT), "description": description}


_PARAMETER: dict[str, Any] = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": "Retry-safe creation: the same key and body replay the first answer "
    "(with `Idempotent-Replayed: true`) for at least 24 hours.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^[\\x21-\\x7E]+$",
    },
}
_REPLAYED: dict[str, Any] = {
    "description": "`true` when this is the stored answer to an earlier request with the same "
    "`Idempotency-Key` (nothing was created again); absent on a first answer.",
    "required": False,
    "schema": {"type": "string", "enum": ["true"]},
}
_ERROR_CONTENT = {
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
}
_ANSWERS = {
    409: "Conflict",
    # The body is read to compare requests, so an oversized one is refused here too.
    413: "Content Too Large",
    422: "Unprocessable Entity",
}


def _is_create_endpoint() -> bool:
    if request.method != "POST" or request.url_rule is None:
        return False
    paths = current_app.extensions[_EXTENSION].create_paths
    return FlaskPlugin.flaskpath2openapi(request.url_rule.rule) in paths


def _before() -> Response | None:
    key = request.headers.get(HEADER)
    if key is None or not _is_create_endpoint() or "principal" not in g:
        return None
    service.validate_key(key)
    # The request's own session: on SQLite a second connection would wait on its write lock.
    session = db_session()
    request_ = {
        "user_id": g.principal.user.id,
        "key": key,
        "method": request.method,
        "path": request.path,
        "digest": service.request_hash(request.get_data()),
        "now": now(),
    }
    # One transaction for the whole request: the key, the work and the stored answer.
    outcome = service.claim(session=session, **request_)
    if isinstance(outcome, service.Claim):
        session.info[HOLD_COMMIT] = True
        g.idempotency_claim = outcome
        return None
    session.rollback()
    response = Response(outcome.body, status=outcome.status, headers=outcome.headers)
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _after(response: Response) -> Response:
    claim = g.pop("idempotency_claim", None)
    if claim is not None:
        _store_and_commit(claim, response)
    return response


def _store_and_commit(claim, response: Response) -> None:
    session = db_session()
    session.info.pop(HOLD_COMMIT, None)
    if response.status_code >= 500:
        session.rollback()  # the work goes with the key: a retry runs it again
        return
    service.store(
        session=session,
        claim=claim,
        status=response.status_code,
        body=response.get_data(as_text=True),
        headers={h: response.headers[h] for h in _REPLAY_HEADERS if h in response.headers},
    )
    try:
        session.commit()
    except IntegrityError:
        # The use case rolled back (releasing the key) and a retry stored its answer first;
        # that answer stands, and this one is still the caller's.
        session.rollback()


def _teardown(exc: BaseException | None) -> None:
    # A request that died before answering: its held transaction is rolled back on close.
    if g.pop("idempotency_claim", None) is not None:
        db_session().info.pop(HOLD_COMMIT, None)


def init_app(app: Flask, plugin: IdempotencyPlugin) -> None:
    """Wires the hooks; `plugin` is the one the app's spec was built with."""
    app.extensions[_EXTENSION] = plugin
    app.before_request(_before)
    app.after_request(_after)
    app.teardown_request(_teardown)
