"""Therapist access: link codes, two-partner consent, the access log, content and assignments.

Consent is checked on every therapist request (never cached in a token), so a revocation takes
effect at once; every request about a couple is logged, allowed or denied, without content.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.accounts import service as accounts_service
from api.accounts.models import User
from api.codes import add_with_fresh_code, normalize_code
from api.db import get_in_couple
from api.errors import Conflict, Forbidden, Gone, NotFound, Unprocessable
from api.gratitude import service as gratitude_service
from api.i18n import N_, Message, effective_locale
from api.notifications import service as notifications_service
from api.pagination import Cursor, Page, paginate
from api.pairing import service as pairing_service
from api.pairing.models import Couple
from api.progress import service as progress_service
from api.prompts import schedules as schedules_service
from api.prompts import service as prompts_service
from api.therapists.models import (
    SCOPES,
    AccessLogEntry,
    Assignment,
    Grant,
    GrantApproval,
    LinkCode,
)

LINK_CODE_LIFETIME = timedelta(hours=72)


@dataclass(frozen=True)
class GrantView:
    id: uuid.UUID
    therapist: dict[str, Any]
    scope: str
    status: str
    approvals: list[uuid.UUID]
    created_at: datetime
    activated_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class TherapistCouple:
    id: uuid.UUID
    partners: list[dict[str, Any]]
    scope: str
    since: datetime


@dataclass(frozen=True)
class AssignmentView:
    id: uuid.UUID
    prompt: Any
    schedule: Any
    created_at: datetime


# --- link codes and grants (the couple's side) -------------------------------------------------


def create_link_code(*, session: Session, therapist: User, now: datetime) -> LinkCode:
    """A code the therapist hands to couples; it serves several couples for 72 hours."""
    link = add_with_fresh_code(
        session,
        lambda code: LinkCode(
            id=uuid.uuid4(),
            code=code,
            therapist_id=therapist.id,
            created_at=now,
            expires_at=now + LINK_CODE_LIFETIME,
        ),
    )
    session.commit()
    return link


def _grant_view(session: Session, grant: Grant) -> GrantView:
    therapist = (
        accounts_service.find_user(session=session, user_id=grant.therapist_id)
        if grant.therapist_id
        else None
    )
    return GrantView(
        id=grant.id,
        therapist={
            "id": grant.therapist_id,
            "display_name": therapist.display_name if therapist else None,
        },
        scope=grant.scope,
        status=grant.status,
        approvals=[a.user_id for a in grant.approvals],
        created_at=grant.created_at,
        activated_at=grant.activated_at,
        revoked_at=grant.revoked_at,
    )


def add_therapist(
    *, session: Session, couple: Couple, user: User, code: str, scope: str, now: datetime
) -> GrantView:
    """One partner invites a therapist; access starts only once the other approves too."""
    if scope not in SCOPES:
        raise Unprocessable(errors={"json": {"scope": [f"Must be one of {', '.join(SCOPES)}."]}})
    normalized = normalize_code(code)
    link = (
        session.scalar(select(LinkCode).where(LinkCode.code == normalized)) if normalized else None
    )
    if link is None:
        raise NotFound("link_code_not_found", "No therapist has this code.")
    if link.expires_at <= now:
        raise Gone("link_code_expired", "This code has expired; ask your therapist for a new one.")
    grant = Grant(
        id=uuid.uuid4(),
        couple_id=couple.id,
        therapist_id=link.therapist_id,
        scope=scope,
        status="pending",
        added_by=user.id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(grant)
    except IntegrityError as exc:
        raise Conflict("already_granted", "This therapist already has or awaits access.") from exc
    session.add(GrantApproval(grant_id=grant.id, user_id=user.id, approved_at=now))
    partner_id = couple.partner_id_of(user.id)
    therapist = accounts_service.find_user(session=session, user_id=link.therapist_id)
    if therapist is not None:
        body = Message(
            N_(
                "{name} invited {therapist} to see how you are doing. "
                "Nothing is shared until you approve."
            ),
            name=user.display_name,
            therapist=therapist.display_name,
        )
    else:
        body = Message(
            N_(
                "{name} invited a therapist to see how you are doing. "
                "Nothing is shared until you approve."
            ),
            name=user.display_name,
        )
    if partner_id is not None:
        notifications_service.enqueue(
            session=session,
            recipient_id=partner_id,
            couple_id=couple.id,
            kind="therapist",
            title=Message(N_("A therapist awaits your approval")),
            body=body,
            data={"grant_id": str(grant.id)},
            dedupe_key=f"therapist:{grant.id}",
            now=now,
        )
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    session.refresh(grant)
    return _grant_view(session, grant)


def _couple_grant(session: Session, couple: Couple, grant_id: uuid.UUID) -> Grant:
    return get_in_couple(session, Grant, grant_id, couple.id)


def approve(
    *, session: Session, couple: Couple, user: User, grant_id: uuid.UUID, now: datetime
) -> GrantView:
    """The second approval makes the grant active."""
    grant = _couple_grant(session, couple, grant_id)
    if grant.status == "revoked":
        raise Conflict("grant_revoked", "This access was ended; add the therapist again.")
    if any(a.user_id == user.id for a in grant.approvals):
        raise Conflict("already_approved", "You already approved this.")
    session.add(GrantApproval(grant_id=grant.id, user_id=user.id, approved_at=now))
    session.flush()
    session.refresh(grant, ["approvals"])
    if set(couple.member_ids()) <= {a.user_id for a in grant.approvals}:
        grant.status = "active"
        grant.activated_at = now
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return _grant_view(session, grant)


def _end_grants(session: Session, grants: list[Grant], now: datetime) -> None:
    for grant in grants:
        if grant.status != "revoked":
            grant.status = "revoked"
            grant.revoked_at = now
    # The therapist's questions stop with their access; past rounds stay with the couple.
    assignments = session.scalars(
        select(Assignment).where(
            Assignment.grant_id.in_([g.id for g in grants]), Assignment.deleted_at.is_(None)
        )
    ).all()
    schedules_service.remove_schedules(
        session=session, schedule_ids=[a.schedule_id for a in assignments if a.schedule_id]
    )
    for assignment in assignments:
        assignment.deleted_at = now
    # The couple's schedules changed (and its grants, for the therapist's own erasure too).
    for couple_id in {g.couple_id for g in grants}:
        pairing_service.bump_version(session=session, couple_id=couple_id)


def revoke(*, session: Session, couple: Couple, grant_id: uuid.UUID, now: datetime) -> None:
    """Either partner ends access at once; ending an ended grant is fine."""
    grant = _couple_grant(session, couple, grant_id)
    _end_grants(session, [grant], now)
    session.commit()


def list_grants(
    *, session: Session, couple: Couple, limit: int, cursor: Cursor | None
) -> Page[GrantView]:
    page = paginate(
        session,
        select(Grant).where(Grant.couple_id == couple.id),
        at_column=Grant.created_at,
        id_column=Grant.id,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[_grant_view(session, g) for g in page.items], next_cursor=page.next_cursor)


def get_grant(*, session: Session, couple: Couple, grant_id: uuid.UUID) -> GrantView:
    return _grant_view(session, _couple_grant(session, couple, grant_id))


def access_log(
    *, session: Session, couple: Couple, grant_id: uuid.UUID, limit: int, cursor: Cursor | None
) -> Page[AccessLogEntry]:
    """What this therapist asked about the couple, and whether it was allowed."""
    grant = _couple_grant(session, couple, grant_id)
    return paginate(
        session,
        select(AccessLogEntry).where(
            AccessLogEntry.couple_id == couple.id, AccessLogEntry.therapist_id == grant.therapist_id
        ),
        at_column=AccessLogEntry.at,
        id_column=AccessLogEntry.id,
        limit=limit,
        cursor=cursor,
        key=lambda e: Cursor(at=e.at, id=e.id),
    )


def end_couple_grants(*, session: Session, couple_id: uuid.UUID, now: datetime) -> None:
    """The couple ended: every grant ends with it (no commit)."""
    grants = session.scalars(
        select(Grant).where(Grant.couple_id == couple_id, Grant.status != "revoked")
    ).all()
    _end_grants(session, list(grants), now)


def erase_for_therapist(*, session: Session, user: User, now: datetime) -> None:
    """Part of account erasure for a therapist: their grants end and their assignment schedules
    stop (no commit); link codes go with the account."""
    grants = session.scalars(select(Grant).where(Grant.therapist_id == user.id)).all()
    _end_grants(session, list(grants), now)


def export_grants(*, session: Session, couple_id: uuid.UUID) -> list[GrantView]:
    """Every grant the couple made, oldest first, for each partner's export."""
    grants = session.scalars(
        select(Grant).where(Grant.couple_id == couple_id).order_by(Grant.created_at)
    ).all()
    return [_grant_view(session, g) for g in grants]


# --- the therapist's side ---------------------------------------------------------------------


def check_access(
    *,
    session: Session,
    therapist: User,
    couple_id: uuid.UUID,
    action: str,
    path: str,
    now: datetime,
    content: bool = False,
) -> Grant:
    """Checks consent for one request and logs it, allowed or denied, before answering.

    No grant, a pending or revoked one, or another couple: 404. Content without the
    `summary_and_content` scope: 403 scope_denied. Routes reach this through
    `api.therapists.context.couple_access`, and hand the grant to the use case.
    """
    grant = session.scalar(
        select(Grant).where(
            Grant.couple_id == couple_id,
            Grant.therapist_id == therapist.id,
            Grant.status == "active",
        )
    )
    denied: Exception | None = None
    if grant is None:
        denied = NotFound()
    elif content and grant.scope != "summary_and_content":
        denied = Forbidden("scope_denied", "The couple shares summaries only.")
    if pairing_service.get_couple_by_id(session=session, couple_id=couple_id) is not None:
        session.add(
            AccessLogEntry(
                couple_id=couple_id,
                therapist_id=therapist.id,
                grant_id=grant.id if grant else None,
                action=action,
                path=path[:300],
                outcome="denied" if denied else "allowed",
                at=now,
            )
        )
        session.commit()
    if denied is not None:
        raise denied
    return grant


def therapist_couples(
    *, session: Session, therapist: User, limit: int, cursor: Cursor | None
) -> Page[TherapistCouple]:
    page = paginate(
        session,
        select(Grant).where(Grant.therapist_id == therapist.id, Grant.status == "active"),
        at_column=Grant.created_at,
        id_column=Grant.id,
        limit=limit,
        cursor=cursor,
    )
    items = []
    for grant in page.items:
        couple = pairing_service.get_couple_by_id(session=session, couple_id=grant.couple_id)
        members = accounts_service.users_by_id(session=session, user_ids=couple.member_ids())
        items.append(
            TherapistCouple(
                id=couple.id,
                partners=[
                    {"id": members[user_id].id, "display_name": members[user_id].display_name}
                    for user_id in couple.member_ids()
                    if user_id in members
                ],
                scope=grant.scope,
                since=grant.activated_at or grant.created_at,
            )
        )
    return Page(items=items, next_cursor=page.next_cursor)


def couple_progress(
    *, session: Session, grant: Grant, therapist: User, weeks: int, now: datetime
) -> dict[str, Any]:
    """The couple's weekly progress, its weeks starting on the therapist's Mondays."""
    couple = pairing_service.get_couple_by_id(session=session, couple_id=grant.couple_id)
    return progress_service.couple_progress(
        session=session,
        couple_id=couple.id,
        member_ids=couple.member_ids(),
        timezone=therapist.timezone,
        weeks=weeks,
        now=now,
        version=couple.version,
    )


@dataclass(frozen=True)
class ContentRound:
    id: uuid.UUID
    kind: str
    prompt: dict[str, Any]
    asked_at: datetime
    answers: list[dict[str, Any]]


def couple_rounds(
    *, session: Session, grant: Grant, therapist: User, limit: int, cursor: Cursor | None
) -> Page[ContentRound]:
    """Answered rounds with both answers: answer to reveal holds for the therapist too. Library
    prompts read in the therapist's locale, the couple's own as written."""
    page = prompts_service.complete_rounds(
        session=session, couple_id=grant.couple_id, limit=limit, cursor=cursor
    )
    shown = prompts_service.shown_prompts(
        session=session,
        prompt_ids=[r.prompt_id for r in page.items],
        locale=effective_locale(therapist.locale),
    )
    return Page(
        items=[
            ContentRound(
                id=r.id,
                kind=r.kind,
                prompt=prompts_service.round_prompt(r, shown),
                asked_at=r.asked_at,
                answers=[
                    {
                        "user_id": a.user_id,
                        "text": a.text,
                        "rating": a.rating,
                        "created_at": a.created_at,
                    }
                    for a in r.answers
                ],
            )
            for r in page.items
        ],
        next_cursor=page.next_cursor,
    )


def couple_gratitude(*, session: Session, grant: Grant, limit: int, cursor: Cursor | None):
    return gratitude_service.list_couple_notes(
        session=session, couple_id=grant.couple_id, limit=limit, cursor=cursor
    )


def _assignment_view(session: Session, assignment: Assignment) -> AssignmentView:
    prompt = (
        prompts_service.get_prompt(session=session, prompt_id=assignment.prompt_id)
        if assignment.prompt_id
        else None
    )
    schedule = schedules_service.get_schedules(
        session=session, schedule_ids=[assignment.schedule_id] if assignment.schedule_id else []
    ).get(assignment.schedule_id)
    return AssignmentView(
        id=assignment.id, prompt=prompt, schedule=schedule, created_at=assignment.created_at
    )


def create_assignment(
    *,
    session: Session,
    grant: Grant,
    therapist: User,
    kind: str,
    text: str,
    time: time,
    now: datetime,
    days: list[str] | None = None,
    timezone: str | None = None,
) -> AssignmentView:
    """A therapist's question, asked on a schedule by the same worker; works with either
    scope, since it reveals nothing. Without a zone each partner is asked in their own
    (`each_local`); a zone the therapist names asks both at `time` there (`together`)."""
    delivery = "each_local" if timezone is None else "together"
    if timezone is None:
        adder = (
            accounts_service.find_user(session=session, user_id=grant.added_by)
            if grant.added_by
            else None
        )
        timezone = adder.timezone if adder else therapist.timezone
    prompt, schedule = schedules_service.assign(
        session=session,
        couple_id=grant.couple_id,
        therapist_id=therapist.id,
        kind=kind,
        text=text,
        time=time,
        timezone=timezone,
        delivery=delivery,
        days=days,
        now=now,
    )
    assignment = Assignment(
        id=uuid.uuid4(),
        couple_id=grant.couple_id,
        therapist_id=therapist.id,
        grant_id=grant.id,
        prompt_id=prompt.id,
        schedule_id=schedule.id,
        created_at=now,
    )
    session.add(assignment)
    pairing_service.bump_version(session=session, couple_id=grant.couple_id)
    session.commit()
    return AssignmentView(id=assignment.id, prompt=prompt, schedule=schedule, created_at=now)


def _assignments_of(grant: Grant):
    return select(Assignment).where(
        Assignment.couple_id == grant.couple_id,
        Assignment.therapist_id == grant.therapist_id,
        Assignment.deleted_at.is_(None),
    )


def list_assignments(
    *, session: Session, grant: Grant, limit: int, cursor: Cursor | None
) -> Page[AssignmentView]:
    page = paginate(
        session,
        _assignments_of(grant),
        at_column=Assignment.created_at,
        id_column=Assignment.id,
        limit=limit,
        cursor=cursor,
    )
    return Page(
        items=[_assignment_view(session, a) for a in page.items], next_cursor=page.next_cursor
    )


def delete_assignment(
    *, session: Session, grant: Grant, assignment_id: uuid.UUID, now: datetime
) -> None:
    """Stops the assignment's schedule; its prompt and past rounds stay."""
    assignment = session.scalar(_assignments_of(grant).where(Assignment.id == assignment_id))
    if assignment is None:
        raise NotFound()
    if assignment.schedule_id:
        schedules_service.remove_schedules(session=session, schedule_ids=[assignment.schedule_id])
    assignment.deleted_at = now
    pairing_service.bump_version(session=session, couple_id=grant.couple_id)
    session.commit()


def purge_expired_link_codes(*, session: Session, before: datetime, limit: int) -> int:
    """Retention: deletes up to `limit` link codes that expired before `before`."""
    ids = list(
        session.scalars(select(LinkCode.id).where(LinkCode.expires_at < before).limit(limit))
    )
    if ids:
        session.execute(delete(LinkCode).where(LinkCode.id.in_(ids)))
    session.commit()
    return len(ids)
