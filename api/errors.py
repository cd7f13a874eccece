"""Domain errors with stable reasons, and the one renderer for every error response."""

from __future__ import annotations

import http
import logging
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger("steady.errors")


class ErrorSchema(ma.Schema):
    """The error body: flask-smorest's shape plus a stable `reason` (open, like every response:
    fields may be added)."""

    class Meta:
        unknown = ma.EXCLUDE

    code = ma.fields.Integer(required=True, metadata={"description": "The HTTP status"})
    status = ma.fields.String(required=True, metadata={"description": "The status's phrase"})
    message = ma.fields.String(required=True, metadata={"description": "For people; may change"})
    reason = ma.fields.String(
        required=True, metadata={"description": "Stable and snake_case: what clients switch on"}
    )
    errors = ma.fields.Dict(
        metadata={"description": "On 422: the invalid fields by location, each with messages"}
    )


class DomainError(Exception):
    """A refusal the client can act on: HTTP status plus a reason clients switch on."""

    status = 400
    reason = "bad_request"
    message = "The request cannot be served."

    def __init__(
        self,
        reason: str | None = None,
        message: str | None = None,
        *,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.reason = reason or type(self).reason
        self.message = message or type(self).message
        self.errors = errors
        self.headers = headers or {}
        super().__init__(self.message)


class Unauthorized(DomainError):
    status = 401
    reason = "invalid_token"
    message = "Authentication is required."


class Forbidden(DomainError):
    status = 403
    reason = "forbidden"
    message = "You may not do this."


class NotFound(DomainError):
    status = 404
    reason = "not_found"
    message = "Not found."


class Conflict(DomainError):
    status = 409
    reason = "conflict"
    message = "The request conflicts with the current state."


class Gone(DomainError):
    status = 410
    reason = "gone"
    message = "This has expired."


class Unprocessable(DomainError):
    status = 422
    reason = "validation_error"
    message = "The request is not valid."


class TooManyRequests(DomainError):
    status = 429
    reason = "rate_limited"
    message = "Too many requests; try again later."


# Reasons for errors raised by Flask, webargs and Flask-Limiter rather than by our code.
_HTTP_REASONS = {
    400: "invalid_json",
    401: "missing_token",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
}
_HTTP_MESSAGES = {
    400: "The body is not valid JSON.",
    404: "Not found.",
    405: "This method is not allowed here.",
    413: "The request body is too large.",
    422: "The request is not valid.",
    429: "Too many requests; try again later.",
    500: "Something went wrong on our side.",
}


def error_response(
    status: int,
    reason: str,
    message: str,
    *,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "code": status,
        "status": http.HTTPStatus(status).phrase,
        "message": message,
        "reason": reason,
    }
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def render_domain_error(error: DomainError) -> Response:
    return error_response(
        error.status, error.reason, error.message, errors=error.errors, headers=error.headers
    )


def render_http_exception(error: HTTPException, *, retry_after: str | None = None) -> Response:
    """Any HTTP error raised by Flask, webargs or Flask-Limiter, in the error shape; a 429
    carries `retry_after` (seconds) as `Retry-After`, "60" when the caller knows no better."""
    status = error.code or 500
    if status >= 500:
        status = 500
    reason = _HTTP_REASONS.get(status, http.HTTPStatus(status).phrase.lower().replace(" ", "_"))
    message = _HTTP_MESSAGES.get(status, error.description or http.HTTPStatus(status).phrase)
    headers: dict[str, str] = {}
    errors = None
    data = getattr(error, "data", None) or {}
    if status == 422:
        errors = data.get("errors") or data.get("messages")
    headers.update(data.get("headers") or {})
    if status == 405:
        # flask-smorest's own handler drops the Allow header Werkzeug computed.
        allow = error.get_response().headers.get("Allow")
        if allow:
            headers["Allow"] = allow
    if status == 429:
        headers["Retry-After"] = retry_after or "60"
    return error_response(status, reason, message, errors=errors, headers=headers)


def render_unexpected(error: Exception) -> Response:
    log.exception("unhandled error", exc_info=error)
    return error_response(500, "internal_error", _HTTP_MESSAGES[500])


def register_error_handlers(app, *, render_http: Callable[[HTTPException], Response]) -> None:
    """`render_http` renders HTTP errors (the one that knows the rate limiter's windows)."""
    app.register_error_handler(DomainError, render_domain_error)
    app.register_error_handler(HTTPException, render_http)
    app.register_error_handler(Exception, render_unexpected)
