"""Extension objects, bound to the app in create_app."""

from __future__ import annotations

import math
import time

from flask import Response, request
from flask_limiter import Limiter as _Limiter
from flask_smorest import Api as _Api
from werkzeug.exceptions import HTTPException

from api.errors import ErrorSchema, render_http_exception


def client_ip() -> str:
    return request.remote_addr or "unknown"


class Api(_Api):
    # A catch-all `default` response on every operation hides wrong status codes.
    DEFAULT_ERROR_RESPONSE_NAME = None
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return render_http_error(error)


class Limiter(_Limiter):
    """Consulted only by the views that declare a limit (`@limiter.limit` checks inside the
    view it wraps). Steady sets no application-wide or default limits, so the check Flask-Limiter
    also runs before every request would find nothing to count; it is left out."""

    def init_app(self, app, *args, **kwargs) -> None:
        super().init_app(app, *args, **kwargs)
        checks = app.before_request_funcs.get(None, [])
        app.before_request_funcs[None] = [f for f in checks if f != self._check_request_limit]


api = Api()
limiter = Limiter(key_func=client_ip)


def render_http_error(error: HTTPException) -> Response:
    """Renders an HTTP error; a 429 says when the breached limit's window ends."""
    retry_after = retry_after_seconds() if error.code == 429 else None
    return render_http_exception(error, retry_after=retry_after)


def retry_after_seconds() -> str:
    """Seconds until the breached rate limit's window ends (for `Retry-After`)."""
    breached = limiter.current_limit
    if breached is None:
        return "60"
    window = breached.limit.get_expiry()
    return str(min(window, max(1, math.ceil(breached.reset_at - time.time()))))
