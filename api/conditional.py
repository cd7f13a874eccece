"""Conditional reads of couple-scoped resources: an `ETag` on every answer, and 304 without
building the answer when the client's `If-None-Match` still holds.

A tag stands for what the viewer would see: the couple's version (bumped with every write the
couple sees), who is looking and how (their zone and language, the partner's name and zone),
and the request's path and query. Some answers also change with time alone (a promise falls
due, a day ends): those carry the instant until which they hold, and the tag carries it too, so
a matching tag is honoured only until then. Tags are keyed with the secret key, so a client
cannot make one up.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from flask import Response, current_app, request
from flask_smorest import Blueprint

from api.accounts import service as accounts_service
from api.auth.context import current_user
from api.db import db_session, now
from api.errors import Unprocessable
from api.pairing.context import current_couple_or_none
from api.spec import CONDITIONAL


def fresh_until(result: Any) -> datetime | None:
    """The instant until which a result holds without a write (None: until a write)."""
    if isinstance(result, dict):
        return result.get("fresh_until")
    return getattr(result, "fresh_until", None)


def _state() -> tuple:
    user = current_user()
    couple = current_couple_or_none()
    people: tuple = ()
    if couple is not None:
        # The members' users were read with the caller: found by id, they cost no statement.
        users = (
            accounts_service.find_user(session=db_session(), user_id=member_id)
            for member_id in couple.member_ids()
        )
        people = tuple((str(u.id), u.display_name, u.timezone, u.locale) for u in users if u)
    return (
        str(user.id),
        user.timezone,
        user.locale,
        str(couple.id) if couple else None,
        couple.version if couple else None,
        people,
        request.path,
        tuple(sorted(request.args.items(multi=True))),
    )


def _digest(state: tuple, until: int | None) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    mac = hashlib.blake2b(repr((state, until)).encode(), key=key[:64], digest_size=15)
    return base64.urlsafe_b64encode(mac.digest()).decode()


def _tag(state: tuple, until: datetime | None) -> str:
    if until is None:
        return f'"{_digest(state, None)}"'
    seconds = int(until.timestamp())
    return f'"{_digest(state, seconds)}.{seconds}"'


MAX_IF_NONE_MATCH = 1024  # what the spec says (api.spec); our tags are about 40 characters


def _still_holds(state: tuple, at: datetime) -> str | None:
    """The client's tag that matches and has not expired, if any."""
    header = request.headers.get("If-None-Match", "")
    if len(header) > MAX_IF_NONE_MATCH:
        raise Unprocessable(
            errors={"headers": {"If-None-Match": [f"Longer than {MAX_IF_NONE_MATCH} characters."]}}
        )
    for raw in header.split(",")[:8]:
        tag = raw.strip().removeprefix("W/").strip('"')
        digest, _, until = tag.partition(".")
        seconds = int(until) if until.isdigit() else None
        if until and seconds is None:
            continue
        if seconds is not None and at >= datetime.fromtimestamp(seconds, UTC):
            continue
        if digest == _digest(state, seconds):
            return f'"{tag}"'
    return None


def conditional(blp: Blueprint) -> Callable:
    """Makes a GET view conditional (place it below `@blp.response`)."""

    def decorator(func: Callable) -> Callable:
        @wraps(func)
        def wrapper(*args, **kwargs):
            state = _state()
            headers = {"Cache-Control": "private, no-cache"}
            matched = _still_holds(state, now())
            if matched is not None:
                return Response(status=304, headers={**headers, "ETag": matched})
            result = func(*args, **kwargs)
            # The tag keeps whole seconds, rounded down: it never outlives the answer.
            until = fresh_until(result)
            return result, {**headers, "ETag": _tag(state, until)}

        # openapi.yaml documents the ETag, If-None-Match and 304 (api.spec.ContractPlugin).
        return blp.doc(**{CONDITIONAL: True})(wrapper)

    return decorator
