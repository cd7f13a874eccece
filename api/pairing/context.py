"""The one way couple-scoped routes get the caller's current couple."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from flask import g
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session, aliased, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from api.accounts.models import User
from api.auth.context import current_user
from api.auth.models import AuthSession
from api.db import db_session
from api.errors import NotFound
from api.pairing import service
from api.pairing.models import Couple, CoupleMember


@cache
def _caller_statement():
    """The token's session and user, the user's active couple, and both members with their
    users: every couple-scoped request starts with this one statement (built once)."""
    mine = aliased(CoupleMember)
    member = aliased(CoupleMember)
    member_user = aliased(User)
    return (
        select(
            # The session's columns, not the entity: only checked, never changed here.
            AuthSession.id,
            AuthSession.user_id,
            AuthSession.revoked_at,
            AuthSession.last_used_at,
            User,
            Couple,
            member,
            member_user,
        )
        .join(User, User.id == AuthSession.user_id)
        .outerjoin(mine, and_(mine.user_id == User.id, mine.active.is_(True)))
        .outerjoin(Couple, Couple.id == mine.couple_id)
        .outerjoin(member, member.couple_id == Couple.id)
        .outerjoin(member_user, member_user.id == member.user_id)
        .where(AuthSession.id == bindparam("session_id"))
        .order_by(member.slot)
        # The members come from this statement's rows, not from a second query.
        .options(lazyload(Couple.members))
    )


def load_caller(session: Session, session_id: uuid.UUID) -> tuple[Any, User | None]:
    """An `api.auth.service.SessionLoader` that also keeps the caller's couple for
    `current_couple()`; the members' users land in the session's identity map, so reading
    the partner later costs no statement."""
    rows = session.execute(_caller_statement(), {"session_id": session_id}).all()
    if not rows:
        return None, None
    first = rows[0]
    couple = first[5]
    if couple is not None:
        set_committed_value(couple, "members", [row[6] for row in rows if row[6] is not None])
    g.couple = couple
    # The identity map holds objects weakly: kept here, the partner's row stays in it.
    g.couple_users = [row[7] for row in rows if row[7] is not None]
    return first, first[4]


def current_couple() -> Couple:
    """The caller's active couple, or 404 `not_paired`; looked up once per request."""
    couple = current_couple_or_none()
    if couple is None:
        raise NotFound("not_paired", "You are not paired with a partner.")
    return couple


def current_couple_or_none() -> Couple | None:
    """The caller's active couple, or None for an unpaired partner or a therapist."""
    if "couple" not in g:
        user = current_user()
        g.couple = (
            service.find_active_couple(session=db_session(), user_id=user.id)
            if user.role == "partner"
            else None
        )
    return g.couple
