"""The one way couple-scoped routes get the caller's current couple."""

from __future__ import annotations

from flask import g

from api.auth.context import current_user
from api.db import db_session
from api.pairing import service
from api.pairing.models import Couple


def current_couple() -> Couple:
    """The caller's active couple, or 404 `not_paired`; looked up once per request."""
    if "couple" not in g:
        g.couple = service.active_couple(session=db_session(), user=current_user())
    return g.couple
