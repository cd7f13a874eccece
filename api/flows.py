"""Use cases that cross domains: ending a couple, erasing an account, exporting a user's data.

This is the one module that may call every domain's service, and no domain service imports
it, so the domains stay layered: each reaches only the domains below it, and what touches them
all is orchestrated here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from api.accounts import service as accounts_service
from api.accounts.models import Device, User
from api.agreements import service as agreements_service
from api.auth import service as auth_service
from api.auth.models import AuthSession
from api.commitments import service as commitments_service
from api.gratitude import service as gratitude_service
from api.idempotency import service as idempotency_service
from api.journal import service as journal_service
from api.notifications import service as notifications_service
from api.notifications.models import Notification
from api.pairing import service as pairing_service
from api.pairing.models import Couple
from api.prompts import schedules as schedules_service
from api.prompts import service as prompts_service
from api.prompts.models import Prompt
from api.reassurance import service as reassurance_service
from api.therapists import service as therapists_service
from api.web import sessions as web_sessions
from api.web.models import WebSession

# --- ending a couple --------------------------------------------------------------------------


def _end_couple(session: Session, couple: Couple, now: datetime) -> None:
    """Everything that ends with a couple, inside the caller's transaction."""
    pairing_service.end_couple(session=session, couple=couple, now=now)
    notifications_service.cancel_for_couple(session=session, couple_id=couple.id, now=now)
    schedules_service.stop_couple_schedules(session=session, couple_id=couple.id)
    commitments_service.stop_couple_reminders(session=session, couple_id=couple.id)
    agreements_service.stop_couple_agreements(session=session, couple_id=couple.id)
    therapists_service.end_couple_grants(session=session, couple_id=couple.id, now=now)


def unpair(*, session: Session, user: User, now: datetime) -> None:
    """Ends the couple for both partners; each keeps its history in their export, and their
    journal, which was never the couple's."""
    couple = pairing_service.active_couple(session=session, user=user)
    _end_couple(session, couple, now)
    session.commit()


# --- the profile -------------------------------------------------------------------------------


def update_profile(
    *,
    session: Session,
    user: User,
    now: datetime,
    display_name: str | None = None,
    timezone: str | None = None,
    locale: str | None = None,
) -> User:
    """Changes the caller's name, zone or locale. A partner asked in their own zone follows
    it: the couple's `each_local` schedules are recomputed in the same transaction."""
    moved = timezone is not None and timezone != user.timezone
    accounts_service.apply_profile(
        user=user, display_name=display_name, timezone=timezone, locale=locale
    )
    couple = pairing_service.find_active_couple(session=session, user_id=user.id) if moved else None
    if couple is not None:
        session.flush()  # the schedules read the partners' zones, this one's new one included
        schedules_service.follow_member_zones(session=session, couple=couple, now=now)
    session.commit()
    return user


# --- erasure ----------------------------------------------------------------------------------


def erase_account(*, session: Session, user: User, now: datetime) -> None:
    """Deletes the account and what only it owns, and ends its couple. Cannot be undone.

    What the partner wrote stays the partner's. One transaction: all of it, or nothing.
    """
    couple = pairing_service.find_active_couple(session=session, user_id=user.id)
    if couple is not None:
        _end_couple(session, couple, now)
    therapists_service.erase_for_therapist(session=session, user=user, now=now)
    notifications_service.erase_for_user(session=session, user=user)
    prompts_service.erase_for_user(session=session, user=user)
    gratitude_service.erase_for_user(session=session, user=user)
    commitments_service.erase_for_user(session=session, user=user)
    agreements_service.erase_for_user(session=session, user=user)
    reassurance_service.erase_for_user(session=session, user=user)
    journal_service.erase_for_user(session=session, user=user)
    idempotency_service.erase_for_user(session=session, user_id=user.id)
    auth_service.erase_for_user(session=session, user=user)
    web_sessions.erase_for_user(session=session, user=user)
    accounts_service.delete_user(session=session, user=user)
    session.commit()


# --- export -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoupleExport:
    """One couple the user has been in, as they saw it."""

    id: uuid.UUID
    since: datetime
    ended_at: datetime | None
    partner: dict[str, Any] | None
    rounds: list[prompts_service.RoundView]
    gratitude: list[gratitude_service.ExportedNote]
    commitments: list[commitments_service.ExportedCommitment]
    agreements: list[agreements_service.ExportedAgreement]
    reassurance: list[reassurance_service.ExportedRequest]
    therapist_grants: list[therapists_service.GrantView]


@dataclass(frozen=True)
class UserExport:
    """Everything the user wrote or that is about them; `schemas.accounts.ExportSchema` says
    how it is written out."""

    user: User
    notification_settings: notifications_service.Settings
    sessions: list[AuthSession]
    devices: list[Device]
    notifications: list[Notification]
    couples: list[CoupleExport]
    prompts: list[Prompt]
    workspace_sessions: list[WebSession]
    journal: list[journal_service.EntryView]


def _export_couple(session: Session, couple: Couple, user: User) -> CoupleExport:
    view = pairing_service.couple_view(session=session, couple=couple, viewer=user)
    scope = {"session": session, "couple_id": couple.id, "user": user}
    return CoupleExport(
        id=couple.id,
        since=couple.created_at,
        ended_at=couple.ended_at,
        partner={"id": view.partner.id, "display_name": view.partner.display_name}
        if view.partner.id
        else None,
        rounds=prompts_service.export_couple(**scope),
        gratitude=gratitude_service.export_couple(**scope),
        commitments=commitments_service.export_couple(**scope),
        agreements=agreements_service.export_couple(**scope),
        reassurance=reassurance_service.export_couple(**scope),
        therapist_grants=therapists_service.export_grants(session=session, couple_id=couple.id),
    )


def export_data(*, session: Session, user: User) -> UserExport:
    """Everything the user wrote or that is about them, without secrets or token hashes."""
    return UserExport(
        user=user,
        notification_settings=notifications_service.get_settings(session=session, user_id=user.id),
        sessions=auth_service.export_sessions(session=session, user=user),
        devices=accounts_service.user_devices(session=session, user=user),
        notifications=notifications_service.export_inbox(session=session, user=user),
        couples=[
            _export_couple(session, couple, user)
            for couple in pairing_service.couples_of_user(session=session, user_id=user.id)
        ],
        prompts=prompts_service.export_prompts(session=session, user=user),
        workspace_sessions=web_sessions.export_for_user(session=session, user=user),
        journal=journal_service.export_for_user(session=session, user=user),
    )
