"""Wires idempotency keys into every create endpoint, without touching the routes.

A create endpoint is a POST documented to answer 201, outside /v1/auth. The hook runs after
authentication and the role check, so a replay is never served to the wrong caller.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request

from api.db import db_session, now
from api.idempotency import service

HEADER = "Idempotency-Key"
_REPLAY_HEADERS = ("Content-Type", "Location")


def _is_create_endpoint() -> bool:
    if request.method != "POST" or request.url_rule is None or request.path.startswith("/v1/auth"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    method = getattr(getattr(view, "view_class", None), "post", None)
    return 201 in getattr(method, "_apidoc", {}).get("success_status_codes", [])


def _before() -> Response | None:
    key = request.headers.get(HEADER)
    if key is None or not _is_create_endpoint() or "principal" not in g:
        return None
    service.validate_key(key)
    # The request's own session: on SQLite a second connection would wait on its write lock.
    outcome = service.begin(
        session=db_session(),
        user_id=g.principal.user.id,
        key=key,
        method=request.method,
        path=request.path,
        digest=service.request_hash(request.get_data()),
        now=now(),
    )
    if isinstance(outcome, service.StoredResponse):
        response = Response(outcome.body, status=outcome.status, headers=outcome.headers)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    g.idempotency_record = outcome
    return None


def _after(response: Response) -> Response:
    record_id = g.pop("idempotency_record", None)
    if record_id is None:
        return response
    session = db_session()
    session.rollback()  # whatever the view left unfinished is not ours to keep
    if response.status_code >= 500:
        service.release(session=session, record_id=record_id)
    else:
        service.finish(
            session=session,
            record_id=record_id,
            status=response.status_code,
            body=response.get_data(as_text=True),
            headers={h: response.headers[h] for h in _REPLAY_HEADERS if h in response.headers},
        )
    return response


def _teardown(exc: BaseException | None) -> None:
    # Reached with the record still claimed only when the request died before answering.
    record_id = g.pop("idempotency_record", None)
    if record_id is not None:
        session = db_session()
        session.rollback()
        service.release(session=session, record_id=record_id)


def init_app(app: Flask) -> None:
    app.before_request(_before)
    app.after_request(_after)
    app.teardown_request(_teardown)


def document(spec) -> None:
    """Adds the Idempotency-Key header and its answers to every create operation."""
    parameter = {
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
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path, operations in spec._paths.items():
        operation = operations.get("post")
        if path.startswith("/v1/auth") or not operation or "201" not in operation["responses"]:
            continue
        operation.setdefault("parameters", []).append(parameter)
        operation["responses"].setdefault("409", {**error, "description": "Conflict"})
        # The body is read to compare requests, so an oversized one is refused here too.
        operation["responses"].setdefault("413", {**error, "description": "Content Too Large"})
        operation["responses"].setdefault("422", {**error, "description": "Unprocessable Entity"})
