"""Extension objects, bound to the app in create_app."""

from __future__ import annotations

from flask import request
from flask_limiter import Limiter
from flask_smorest import Api as _Api

from api.errors import ErrorSchema, render_http_exception


def client_ip() -> str:
    return request.remote_addr or "unknown"


class Api(_Api):
    # A catch-all `default` response on every operation hides wrong status codes.
    DEFAULT_ERROR_RESPONSE_NAME = None
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return render_http_exception(error)


api = Api()
limiter = Limiter(key_func=client_ip)
