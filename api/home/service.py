"""The home screen: what waits for the partner today, gathered from every domain in one read.

Each list is bounded and each count exact, and the number of statements is the same whatever
the couple's history. Nothing here says when the partner was last active.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api import timeutil
from api.accounts.models import User
from api.agreements import service as agreements_service
from api.commitments import service as commitments_service
from api.gratitude import service as gratitude_service
from api.gratitude.models import GratitudeNote
from api.notifications import service as notifications_service
from api.pairing import service as pairing_service
from api.pairing.models import Couple
from api.prompts import service as prompts_service
from api.reassurance import service as reassurance_service

LIST_LIMIT = 20


@dataclass(frozen=True)
class Counts:
    rounds_awaiting_me: int
    gratitude_to_acknowledge: int
    checks_to_confirm: int
    unread_notifications: int


@dataclass(frozen=True)
class Home:
    couple: pairing_service.CoupleView | None
    rounds_awaiting_me: list[prompts_service.RoundView]
    gratitude_to_acknowledge: list[GratitudeNote]
    checks_to_confirm: list[commitments_service.CheckToConfirm]
    my_commitments_today: list[commitments_service.TodayCommitment]
    my_agreements_today: list[agreements_service.TodayAgreement]
    open_reassurance_request: reassurance_service.RequestView | None
    counts: Counts
    # Until when it holds with no write and no new or read notification (api.conditional).
    fresh_until: datetime | None


def inbox_state(*, session: Session, user: User) -> tuple[int, datetime | None]:
    """What of the home changes without a couple write: the viewer's unread notifications
    (a reminder arrives, they read one). One cheap statement, read before deciding on 304."""
    return notifications_service.inbox_state(session=session, user_id=user.id)


def home(
    *,
    session: Session,
    user: User,
    couple: Couple | None,
    now: datetime,
    unread: int | None = None,
) -> Home:
    """What the partner has to answer, acknowledge, confirm and do today; for an unpaired
    partner only their unread notifications (`unread` when the caller has read the count).

    A count is read only when its list is full: a shorter list is the count."""
    if unread is None:
        unread = notifications_service.unread_count(session=session, user=user)
    if couple is None:
        return Home(
            couple=None,
            rounds_awaiting_me=[],
            gratitude_to_acknowledge=[],
            checks_to_confirm=[],
            my_commitments_today=[],
            my_agreements_today=[],
            open_reassurance_request=None,
            counts=Counts(
                rounds_awaiting_me=0,
                gratitude_to_acknowledge=0,
                checks_to_confirm=0,
                unread_notifications=unread,
            ),
            fresh_until=None,
        )
    mine = {"session": session, "couple": couple, "user": user}
    first_page = {"limit": LIST_LIMIT, "cursor": None}
    rounds = prompts_service.list_rounds(**mine, status="awaiting_me", **first_page)
    notes = gratitude_service.list_notes(
        **mine, direction="received", acknowledged=False, **first_page
    )
    # One more than is shown: a list that does not fill up is its own count.
    checks = commitments_service.checks_to_confirm(**mine, now=now, limit=LIST_LIMIT + 1)
    commitments_today = commitments_service.due_today(**mine, now=now)
    agreements_today = agreements_service.agreements_due_today(**mine, now=now)
    changes = [
        # The checks to confirm are those of the last days of the viewer's calendar.
        timeutil.end_of_local_day(now, ZoneInfo(user.timezone)),
        commitments_today.fresh_until,
        agreements_today.fresh_until,
    ]
    return Home(
        couple=pairing_service.couple_view(session=session, couple=couple, viewer=user),
        rounds_awaiting_me=rounds.items,
        gratitude_to_acknowledge=notes.items,
        checks_to_confirm=checks[:LIST_LIMIT],
        my_commitments_today=commitments_today.items,
        my_agreements_today=agreements_today.items,
        open_reassurance_request=reassurance_service.open_request_for(**mine),
        counts=Counts(
            rounds_awaiting_me=len(rounds.items)
            if rounds.next_cursor is None
            else prompts_service.count_rounds_awaiting(**mine),
            gratitude_to_acknowledge=len(notes.items)
            if notes.next_cursor is None
            else gratitude_service.count_to_acknowledge(**mine),
            checks_to_confirm=len(checks)
            if len(checks) <= LIST_LIMIT
            else commitments_service.count_checks_to_confirm(**mine, now=now),
            unread_notifications=unread,
        ),
        fresh_until=min(change for change in changes if change is not None),
    )
