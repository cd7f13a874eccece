"""Small helpers shared by every blueprint."""

from __future__ import annotations

import http

import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser

from api.errors import ErrorSchema


class _Parser(FlaskParser):
    # webargs drops query parameters a schema does not know. Refused instead, like unknown
    # body fields: a misspelt filter (`?stauts=open`) answers 422, not the whole list.
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, refusing unknown query parameters on every route."""

    ARGUMENTS_PARSER = _Parser()


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
