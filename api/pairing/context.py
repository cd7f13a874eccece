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


def current_couple_or_none() -> Couple | None:
    """The caller's active couple, or None for an unpaired partner or a therapist."""
    user = current_user()
    if user.role != "partner":
        return None
    if "couple" not in g:
        couple = service.find_active_couple(session=db_session(), user_id=user.id)
        if couple is None:
            return None
        g.couple = couple
    return g.couple
