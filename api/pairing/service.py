"""Invites, couples and unpairing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.accounts import service as accounts_service
from api.accounts.models import User
from api.codes import add_with_fresh_code, normalize_code
from api.errors import Conflict, Gone, NotFound
from api.i18n import N_, Message
from api.notifications import service as notifications_service
from api.pagination import Cursor, Page, paginate
from api.pairing.models import Couple, CoupleMember, Invite

INVITE_LIFETIME = timedelta(hours=72)
MAX_OPEN_INVITES = 5


@dataclass(frozen=True)
class PartnerView:
    id: uuid.UUID | None
    display_name: str | None
    timezone: str | None


@dataclass(frozen=True)
class CoupleView:
    """A couple as one of its partners sees it."""

    id: uuid.UUID
    since: datetime
    me: PartnerView
    partner: PartnerView


def find_active_couple(*, session: Session, user_id: uuid.UUID) -> Couple | None:
    return session.scalar(
        select(Couple)
        .join(CoupleMember, CoupleMember.couple_id == Couple.id)
        .where(CoupleMember.user_id == user_id, CoupleMember.active.is_(True))
    )


def active_couple(*, session: Session, user: User) -> Couple:
    """The caller's current couple; every couple-scoped path starts here."""
    couple = find_active_couple(session=session, user_id=user.id)
    if couple is None:
        raise NotFound("not_paired", "You are not paired with a partner.")
    return couple


def _open_invites(user_id: uuid.UUID, now: datetime):
    return select(Invite).where(
        Invite.inviter_id == user_id, Invite.status == "open", Invite.expires_at > now
    )


def create_invite(*, session: Session, user: User, now: datetime) -> Invite:
    """Creates a single-use code the partner types in to pair."""
    accounts_service.lock_user(session=session, user_id=user.id)
    if find_active_couple(session=session, user_id=user.id) is not None:
        raise Conflict("already_paired", "You are already paired.")
    open_count = session.scalar(
        select(func.count()).select_from(_open_invites(user.id, now).subquery())
    )
    if open_count >= MAX_OPEN_INVITES:
        raise Conflict("too_many_invites", f"You can have at most {MAX_OPEN_INVITES} open invites.")
    invite = add_with_fresh_code(
        session,
        lambda code: Invite(
            id=uuid.uuid4(),
            code=code,
            inviter_id=user.id,
            status="open",
            created_at=now,
            expires_at=now + INVITE_LIFETIME,
        ),
    )
    session.commit()
    return invite


def list_invites(
    *, session: Session, user: User, now: datetime, limit: int, cursor: Cursor | None
) -> Page[Invite]:
    return paginate(
        session,
        _open_invites(user.id, now),
        at_column=Invite.created_at,
        id_column=Invite.id,
        limit=limit,
        cursor=cursor,
    )


def revoke_invite(*, session: Session, user: User, code: str, now: datetime) -> None:
    normalized = normalize_code(code)
    invite = session.scalar(select(Invite).where(Invite.code == normalized)) if normalized else None
    if invite is None or invite.inviter_id != user.id or invite.status != "open":
        raise NotFound("invite_not_found", "No such open invite.")
    invite.status = "revoked"
    session.commit()


def accept_invite(*, session: Session, user: User, code: str, now: datetime) -> CoupleView:
    """Pairs the caller with the invite's author; both partners' open invites end."""
    invite = _check_invite(session, user=user, code=code, now=now)
    # Both users are locked in a fixed order so two crossing accepts cannot deadlock.
    for user_id in sorted((user.id, invite.inviter_id)):
        accounts_service.lock_user(session=session, user_id=user_id)
    claimed = session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.status == "open")
        .values(status="used", used_at=now)
    ).rowcount
    if claimed != 1:
        session.rollback()
        _check_invite(session, user=user, code=code, now=now)
        raise Conflict("invite_used", "This invite has already been used.")
    if find_active_couple(session=session, user_id=user.id) is not None:
        session.rollback()
        raise Conflict("already_paired", "You are already paired.")
    couple = Couple(id=uuid.uuid4(), created_at=now)
    session.add(couple)
    session.add_all(
        [
            CoupleMember(couple_id=couple.id, user_id=invite.inviter_id, slot=1, joined_at=now),
            CoupleMember(couple_id=couple.id, user_id=user.id, slot=2, joined_at=now),
        ]
    )
    try:
        session.flush()
    except IntegrityError as exc:
        # The partial unique index caught a concurrent pairing of one of the two users.
        session.rollback()
        _check_invite(session, user=user, code=code, now=now)
        raise Conflict("already_paired", "One of you is already paired.") from exc
    invite.couple_id = couple.id
    notifications_service.enqueue(
        session=session,
        recipient_id=invite.inviter_id,
        couple_id=couple.id,
        kind="pairing",
        title=Message(N_("You're paired")),
        body=Message(
            N_("{name} accepted your invite. Welcome to Steady together."),
            name=user.display_name,
        ),
        data={"couple_id": str(couple.id)},
        dedupe_key=f"pairing:{couple.id}",
        now=now,
    )
    session.execute(
        update(Invite)
        .where(Invite.inviter_id.in_([user.id, invite.inviter_id]), Invite.status == "open")
        .values(status="revoked")
    )
    session.commit()
    session.refresh(couple)
    return couple_view(session=session, couple=couple, viewer=user)


def _check_invite(session: Session, *, user: User, code: str, now: datetime) -> Invite:
    normalized = normalize_code(code)
    invite = session.scalar(select(Invite).where(Invite.code == normalized)) if normalized else None
    if invite is None or invite.status == "revoked":
        raise NotFound("invite_not_found", "No invite has this code.")
    if invite.inviter_id == user.id:
        raise Conflict("own_invite", "You cannot accept your own invite.")
    if invite.status == "used":
        raise Conflict("invite_used", "This invite has already been used.")
    if invite.expires_at <= now:
        raise Gone("invite_expired", "This invite has expired; ask for a new one.")
    if find_active_couple(session=session, user_id=user.id) is not None:
        raise Conflict("already_paired", "You are already paired.")
    return invite


def couple_view(*, session: Session, couple: Couple, viewer: User) -> CoupleView:
    partner_id = couple.partner_id_of(viewer.id)
    partner = (
        accounts_service.find_user(session=session, user_id=partner_id) if partner_id else None
    )
    return CoupleView(
        id=couple.id,
        since=couple.created_at,
        me=PartnerView(id=viewer.id, display_name=viewer.display_name, timezone=viewer.timezone),
        partner=PartnerView(
            id=partner.id if partner else None,
            display_name=partner.display_name if partner else None,
            timezone=partner.timezone if partner else None,
        ),
    )


def get_couple(*, session: Session, user: User) -> CoupleView:
    return couple_view(
        session=session, couple=active_couple(session=session, user=user), viewer=user
    )


def end_couple(*, session: Session, couple: Couple, now: datetime) -> None:
    """Marks the couple ended for both partners (no commit). What else ends with a couple is
    the orchestration's part (`api.flows`)."""
    couple.ended_at = now
    session.execute(
        update(CoupleMember).where(CoupleMember.couple_id == couple.id).values(active=False)
    )


def bump_version(*, session: Session, couple_id: uuid.UUID) -> None:
    """Something the couple sees changed (no commit: part of the caller's write)."""
    session.execute(_BUMP, {"couple_id": couple_id})


_BUMP = (
    update(Couple)
    .where(Couple.id == bindparam("couple_id"))
    .values(version=Couple.version + 1)
    .execution_options(synchronize_session=False)
)


def couples_of_user(*, session: Session, user_id: uuid.UUID) -> list[Couple]:
    """Every couple the user has been in, current or ended, oldest first."""
    return list(
        session.scalars(
            select(Couple)
            .join(CoupleMember, CoupleMember.couple_id == Couple.id)
            .where(CoupleMember.user_id == user_id)
            .order_by(Couple.created_at)
        )
    )


def get_couple_by_id(*, session: Session, couple_id: uuid.UUID) -> Couple | None:
    return session.get(Couple, couple_id)


def couples_by_id(*, session: Session, couple_ids: list[uuid.UUID]) -> dict[uuid.UUID, Couple]:
    """These couples (ended ones included), with their members, in a bounded number of
    statements."""
    if not couple_ids:
        return {}
    return {c.id: c for c in session.scalars(select(Couple).where(Couple.id.in_(set(couple_ids))))}


def ended_couple_ids(*, session: Session, couple_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Of these couples, the ones that have ended (or no longer exist)."""
    if not couple_ids:
        return set()
    active = set(
        session.scalars(
            select(Couple.id).where(Couple.id.in_(couple_ids), Couple.ended_at.is_(None))
        )
    )
    return set(couple_ids) - active


def purge_expired_invites(*, session: Session, before: datetime, limit: int) -> int:
    """Retention: deletes up to `limit` invites that expired before `before`."""
    ids = list(session.scalars(select(Invite.id).where(Invite.expires_at < before).limit(limit)))
    if ids:
        session.execute(delete(Invite).where(Invite.id.in_(ids)))
    session.commit()
    return len(ids)
