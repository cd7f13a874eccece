"""Extension objects, bound to the app in create_app."""

from __future__ import annotations

import http
import math
import time

from flask import Response, request
from flask_limiter import Limiter as _Limiter
from flask_smorest import Api as _Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from api.errors import ErrorSchema, render_http_exception
from api.spec import REQUEST_ID


def client_ip() -> str:
    return request.remote_addr or "unknown"


class Api(_Api):
    # A catch-all `default` response on every operation hides wrong status codes.
    DEFAULT_ERROR_RESPONSE_NAME = None
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return render_http_error(error)

    def _register_responses(self):
        # The error answers flask-smorest documents by reference (422 from `@blp.arguments`),
        # with the request id every answer carries (api.spec).
        for status in http.HTTPStatus:
            response = {
                "description": status.phrase,
                "headers": {REQUEST_ID: {"$ref": f"#/components/headers/{REQUEST_ID}"}},
            }
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)

    def _register_pagination_header(self):
        # Lists page with cursors (schemas.common.PageSchema), not flask-smorest's pagination:
        # its header and metadata schema would sit unused in openapi.yaml.
        pass


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
