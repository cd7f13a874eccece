"""Invites, couples and unpairing."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.accounts.models import User
from api.commitments import service as commitments_service
from api.errors import Conflict, Gone, NotFound
from api.gratitude import service as gratitude_service
from api.notifications import service as notifications_service
from api.pagination import Cursor, Page, paginate
from api.pairing.models import Couple, CoupleMember, Invite
from api.prompts import service as prompts_service
from api.therapists import service as therapists_service

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L look-alikes
CODE_LENGTH = 8
INVITE_LIFETIME = timedelta(hours=72)
MAX_OPEN_INVITES = 5
_SEPARATORS = re.compile(r"[\s-]+")


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


def normalize_code(raw: str) -> str | None:
    """Codes are compared ignoring case, spaces and dashes; None when it cannot be a code."""
    code = _SEPARATORS.sub("", raw or "").upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


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


def _lock_user(session: Session, user_id: uuid.UUID) -> None:
    # Serialises one user's pairing changes on PostgreSQL; SQLite has one writer anyway.
    session.execute(select(User.id).where(User.id == user_id).with_for_update())


def _open_invites(user_id: uuid.UUID, now: datetime):
    return select(Invite).where(
        Invite.inviter_id == user_id, Invite.status == "open", Invite.expires_at > now
    )


def create_invite(*, session: Session, user: User, now: datetime) -> Invite:
    """Creates a single-use code the partner types in to pair."""
    _lock_user(session, user.id)
    if find_active_couple(session=session, user_id=user.id) is not None:
        raise Conflict("already_paired", "You are already paired.")
    open_count = session.scalar(
        select(func.count()).select_from(_open_invites(user.id, now).subquery())
    )
    if open_count >= MAX_OPEN_INVITES:
        raise Conflict("too_many_invites", f"You can have at most {MAX_OPEN_INVITES} open invites.")
    for _ in range(5):
        invite = Invite(
            id=uuid.uuid4(),
            code=new_code(),
            inviter_id=user.id,
            status="open",
            created_at=now,
            expires_at=now + INVITE_LIFETIME,
        )
        try:
            with session.begin_nested():
                session.add(invite)
            break
        except IntegrityError:
            continue  # a code collision: 31^8 makes it rare, but not impossible
    else:
        raise RuntimeError("could not draw a free invite code")
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
        _lock_user(session, user_id)
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
        title="You're paired",
        body=f"{user.display_name} accepted your invite. Welcome to Steady together.",
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
    partner = session.get(User, partner_id) if partner_id else None
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


def _end(session: Session, couple: Couple, now: datetime) -> None:
    couple.ended_at = now
    session.execute(
        update(CoupleMember).where(CoupleMember.couple_id == couple.id).values(active=False)
    )
    notifications_service.cancel_for_couple(session=session, couple_id=couple.id, now=now)
    prompts_service.stop_couple_schedules(session=session, couple_id=couple.id)
    commitments_service.stop_couple_reminders(session=session, couple_id=couple.id)
    therapists_service.end_couple_grants(session=session, couple_id=couple.id, now=now)


def unpair(*, session: Session, user: User, now: datetime) -> None:
    """Ends the couple for both partners; each keeps its history in their export."""
    couple = active_couple(session=session, user=user)
    _end(session, couple, now)
    session.commit()


def end_couple_of_erased_user(*, session: Session, user: User, now: datetime) -> None:
    """Part of account erasure: ends the user's couple inside the caller's transaction."""
    couple = find_active_couple(session=session, user_id=user.id)
    if couple is not None:
        _end(session, couple, now)


def export_couples(*, session: Session, user: User) -> list[dict[str, Any]]:
    """Every couple the user has been in, current or ended, for their export."""
    couples = session.scalars(
        select(Couple)
        .join(CoupleMember, CoupleMember.couple_id == Couple.id)
        .where(CoupleMember.user_id == user.id)
        .order_by(Couple.created_at)
    )
    exported = []
    for couple in couples:
        view = couple_view(session=session, couple=couple, viewer=user)
        exported.append(
            {
                "id": str(couple.id),
                "since": couple.created_at.isoformat(),
                "ended_at": couple.ended_at.isoformat() if couple.ended_at else None,
                "partner": {"id": str(view.partner.id), "display_name": view.partner.display_name}
                if view.partner.id
                else None,
                "rounds": prompts_service.export_couple(
                    session=session, couple_id=couple.id, user=user
                ),
                "gratitude": gratitude_service.export_couple(
                    session=session, couple_id=couple.id, user=user
                ),
                "commitments": commitments_service.export_couple(
                    session=session, couple_id=couple.id, user=user
                ),
                "therapist_grants": therapists_service.export_grants(
                    session=session, couple_id=couple.id
                ),
            }
        )
    return exported


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
    from sqlalchemy import delete

    ids = list(session.scalars(select(Invite.id).where(Invite.expires_at < before).limit(limit)))
    if ids:
        session.execute(delete(Invite).where(Invite.id.in_(ids)))
    session.commit()
    return len(ids)
