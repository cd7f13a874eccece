"""Small helpers shared by every blueprint."""

from __future__ import annotations

import http

from flask_smorest import Blueprint

from api.errors import ErrorSchema


def documents_errors(blp: Blueprint, *codes: int):
    """Declares the error responses an operation can answer, in the error shape."""

    def decorator(func):
        for code in sorted(codes, reverse=True):
            func = blp.alt_response(
                code, schema=ErrorSchema, description=http.HTTPStatus(code).phrase
            )(func)
        return func

    return decorator


PUBLIC = {"security": []}
