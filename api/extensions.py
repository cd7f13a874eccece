"""Extension objects, bound to the app in create_app."""

from __future__ import annotations

import math
import time

from flask import Response, request
from flask_limiter import Limiter
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
