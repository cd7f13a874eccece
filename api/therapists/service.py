"""Therapist access: link codes, two-partner consent, the access log, content and assignments.

Consent is checked on every therapist request (never cached in a token), so a revocation takes
effect at once; every request about a couple is logged, allowed or denied, without content.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.accounts import service as accounts_service
from api.accounts.models import User
from api.codes import add_with_fresh_code, normalize_code
from api.commitments import service as commitments_service
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
class TherapistGrant:
    """A grant as its therapist sees it: whose couple, and how far consent has got."""

    id: uuid.UUID
    couple_id: uuid.UUID
    partners: list[dict[str, Any]]
    scope: str
    status: str
    approvals: list[uuid.UUID]
    created_at: datetime
    activated_at: datetime | None


@dataclass(frozen=True)
class TherapistCommitment:
    """A commitment with its figures; the title only where the couple shares content."""

    id: uuid.UUID
    owner_id: uuid.UUID
    title: str | None
    days: list[str] | None
    date: date | None
    due_time: time
    timezone: str
    kept_rate_28d: float | None
    current_streak: int
    created_at: datetime


@dataclass(frozen=True)
class AssignmentView:
    id: uuid.UUID
    prompt: Any
    schedule: Any
    created_at: datetime
    # The assignment's latest rounds (newest first) and who answered each.
    completion: list[prompts_service.RoundCompletion]


CONTENT_SCOPE = "summary_and_content"
# How many of an assignment's latest rounds show whether it was done.
COMPLETION_ROUNDS = 8


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


def active_link_codes(*, session: Session, therapist: User, now: datetime) -> list[LinkCode]:
    """The therapist's codes that still work, newest first (a handful at most: each lasts 72
    hours)."""
    return list(
        session.scalars(
            select(LinkCode)
            .where(LinkCode.therapist_id == therapist.id, LinkCode.expires_at > now)
            .order_by(LinkCode.created_at.desc(), LinkCode.id.desc())
            .limit(20)
        )
    )


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
        if grant.therapist_id is not None:
            # No names on a therapist's lock screen: who the clients are stays in the workspace.
            notifications_service.enqueue(
                session=session,
                recipient_id=grant.therapist_id,
                couple_id=couple.id,
                kind="therapist",
                title=Message(N_("A couple gave you access")),
                body=Message(N_("Both partners approved. Their progress is in your workspace.")),
                data={"grant_id": str(grant.id), "couple_id": str(couple.id)},
                dedupe_key=f"therapist_active:{grant.id}",
                now=now,
            )
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return _grant_view(session, grant)


def _end_grants(session: Session, grants: list[Grant], now: datetime) -> list[tuple[Grant, str]]:
    """Ends the grants and stops their assignments (no commit); returns the grants that were
    still live, each with the status it had."""
    ended = []
    for grant in grants:
        if grant.status != "revoked":
            ended.append((grant, grant.status))
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
    return ended


def _tell_therapist_access_ended(
    session: Session, grant: Grant, *, title: Message, body: Message, now: datetime
) -> None:
    if grant.therapist_id is None:
        return
    notifications_service.enqueue(
        session=session,
        recipient_id=grant.therapist_id,
        # Not tied to the couple: ending the couple cancels what is about it, and this is news
        # for the therapist precisely because the couple ended.
        couple_id=None,
        kind="therapist",
        title=title,
        body=body,
        data={"grant_id": str(grant.id), "couple_id": str(grant.couple_id)},
        dedupe_key=f"therapist_ended:{grant.id}",
        now=now,
    )


def revoke(
    *, session: Session, couple: Couple, user: User, grant_id: uuid.UUID, now: datetime
) -> None:
    """Either partner ends access at once; ending an ended grant is fine. The therapist and
    the other partner are told."""
    grant = _couple_grant(session, couple, grant_id)
    for ended, was in _end_grants(session, [grant], now):
        active = was == "active"
        _tell_therapist_access_ended(
            session,
            ended,
            title=Message(N_("A couple ended your access"))
            if active
            else Message(N_("An invitation was withdrawn")),
            body=Message(N_("Their progress is no longer shared with you."))
            if active
            else Message(N_("A couple withdrew their invitation before it was approved.")),
            now=now,
        )
        partner_id = couple.partner_id_of(user.id)
        if partner_id is None:
            continue
        therapist = (
            accounts_service.find_user(session=session, user_id=ended.therapist_id)
            if ended.therapist_id
            else None
        )
        if therapist is None:
            body = (
                Message(
                    N_("{name} ended the therapist's access. Nothing more is shared."),
                    name=user.display_name,
                )
                if active
                else Message(
                    N_("{name} withdrew the invitation to the therapist."), name=user.display_name
                )
            )
        elif active:
            body = Message(
                N_("{name} ended {therapist}'s access. Nothing more is shared."),
                name=user.display_name,
                therapist=therapist.display_name,
            )
        else:
            body = Message(
                N_("{name} withdrew the invitation to {therapist}."),
                name=user.display_name,
                therapist=therapist.display_name,
            )
        notifications_service.enqueue(
            session=session,
            recipient_id=partner_id,
            couple_id=couple.id,
            kind="therapist",
            title=Message(N_("Therapist access ended"))
            if active
            else Message(N_("Therapist invitation withdrawn")),
            body=body,
            data={"grant_id": str(ended.id)},
            dedupe_key=f"therapist_revoked:{ended.id}",
            now=now,
        )
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
    """The couple ended (unpairing, or a partner's erasure): every grant ends with it, and
    each therapist is told (no commit)."""
    grants = session.scalars(
        select(Grant).where(Grant.couple_id == couple_id, Grant.status != "revoked")
    ).all()
    for ended, _ in _end_grants(session, list(grants), now):
        _tell_therapist_access_ended(
            session,
            ended,
            title=Message(N_("A couple's access ended")),
            body=Message(N_("They are no longer paired on Steady, so nothing more is shared.")),
            now=now,
        )


def erase_for_therapist(*, session: Session, user: User, now: datetime) -> None:
    """Part of account erasure for a therapist: their grants end and their assignment schedules
    stop (no commit); link codes go with the account. Nobody is notified: the therapist is
    gone, and the couples see the grant ended in their list."""
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


def _partners_of(
    session: Session, couple_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Each couple's partners as `{id, display_name, timezone}`, in the couple's order; a fixed
    number of statements for any number of couples. An erased partner is left out."""
    couples = pairing_service.couples_by_id(session=session, couple_ids=couple_ids)
    members = accounts_service.users_by_id(
        session=session, user_ids=[m for c in couples.values() for m in c.member_ids()]
    )
    return {
        couple_id: [
            {
                "id": members[user_id].id,
                "display_name": members[user_id].display_name,
                "timezone": members[user_id].timezone,
            }
            for user_id in couple.member_ids()
            if user_id in members
        ]
        for couple_id, couple in couples.items()
    }


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
    partners = _partners_of(session, [grant.couple_id for grant in page.items])
    items = [
        TherapistCouple(
            id=grant.couple_id,
            partners=partners.get(grant.couple_id, []),
            scope=grant.scope,
            since=grant.activated_at or grant.created_at,
        )
        for grant in page.items
    ]
    return Page(items=items, next_cursor=page.next_cursor)


def therapist_grants(
    *,
    session: Session,
    therapist: User,
    limit: int,
    cursor: Cursor | None,
    status: str | None = None,
) -> Page[TherapistGrant]:
    """The therapist's pending and active grants (or those of one status), newest first, with
    the partners' names; ended grants are not listed."""
    statuses = [status] if status else ["pending", "active"]
    page = paginate(
        session,
        select(Grant).where(Grant.therapist_id == therapist.id, Grant.status.in_(statuses)),
        at_column=Grant.created_at,
        id_column=Grant.id,
        limit=limit,
        cursor=cursor,
    )
    partners = _partners_of(session, [grant.couple_id for grant in page.items])
    return Page(
        items=[
            TherapistGrant(
                id=grant.id,
                couple_id=grant.couple_id,
                partners=partners.get(grant.couple_id, []),
                scope=grant.scope,
                status=grant.status,
                approvals=[a.user_id for a in grant.approvals],
                created_at=grant.created_at,
                activated_at=grant.activated_at,
            )
            for grant in page.items
        ],
        next_cursor=page.next_cursor,
    )


def grant_partners(*, session: Session, grant: Grant) -> list[dict[str, Any]]:
    """The partners of the grant's couple as `{id, display_name, timezone}`."""
    return _partners_of(session, [grant.couple_id]).get(grant.couple_id, [])


def couple_commitments(
    *, session: Session, grant: Grant, limit: int, cursor: Cursor | None, now: datetime
) -> Page[TherapistCommitment]:
    """Both partners' commitments with the figures the couple sees; a title is content, so
    it shows only under the `summary_and_content` scope."""
    page = commitments_service.list_couple_commitments(
        session=session, couple_id=grant.couple_id, limit=limit, cursor=cursor, now=now
    )
    content = grant.scope == CONTENT_SCOPE
    return Page(
        items=[
            TherapistCommitment(
                id=c.id,
                owner_id=c.owner_id,
                title=c.title if content else None,
                days=c.days,
                date=c.date,
                due_time=c.due_time,
                timezone=c.timezone,
                kept_rate_28d=c.kept_rate_28d,
                current_streak=c.current_streak,
                created_at=c.created_at,
            )
            for c in page.items
        ],
        next_cursor=page.next_cursor,
    )


def couple_progress(
    *, session: Session, grant: Grant, therapist: User, weeks: int, now: datetime
) -> dict[str, Any]:
    """The couple's weekly progress, its weeks starting on the therapist's Mondays."""
    couple = pairing_service.get_couple_by_id(session=session, couple_id=grant.couple_id)
    return progress_service.couple_progress(
        session=session,
        couple_id=couple.id,
        member_ids=couple.member_ids(),
        since=couple.since,
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


def _assignment_views(session: Session, assignments: list[Assignment]) -> list[AssignmentView]:
    """The assignments with their prompts, schedules and completion, in a fixed number of
    statements however many there are."""
    prompt_ids = [a.prompt_id for a in assignments if a.prompt_id]
    prompts = prompts_service.prompts_by_id(session=session, prompt_ids=prompt_ids)
    schedules = schedules_service.get_schedules(
        session=session, schedule_ids=[a.schedule_id for a in assignments if a.schedule_id]
    )
    completion: dict[uuid.UUID, list[prompts_service.RoundCompletion]] = {}
    for couple_id in {a.couple_id for a in assignments}:
        completion.update(
            prompts_service.recent_rounds_of_prompts(
                session=session,
                couple_id=couple_id,
                prompt_ids=[a.prompt_id for a in assignments if a.prompt_id],
                per_prompt=COMPLETION_ROUNDS,
            )
        )
    return [
        AssignmentView(
            id=a.id,
            prompt=prompts.get(a.prompt_id) if a.prompt_id else None,
            schedule=schedules.get(a.schedule_id) if a.schedule_id else None,
            created_at=a.created_at,
            completion=completion.get(a.prompt_id, []) if a.prompt_id else [],
        )
        for a in assignments
    ]


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
    return AssignmentView(
        id=assignment.id, prompt=prompt, schedule=schedule, created_at=now, completion=[]
    )


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
    return Page(items=_assignment_views(session, page.items), next_cursor=page.next_cursor)


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
