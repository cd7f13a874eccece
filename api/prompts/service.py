"""The prompt library, schedules, rounds and answers (answer to reveal)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from api import timeutil
from api.accounts import service as accounts_service
from api.accounts.models import User
from api.buckets import week_of, week_params
from api.db import get_in_couple, insert_ignoring_conflicts
from api.errors import Conflict, NotFound, Unprocessable
from api.i18n import N_, ByLocale, Message, Renderable, Verbatim, effective_locale
from api.notifications import service as notifications_service
from api.pagination import Cursor, Page, paginate
from api.pairing import service as pairing_service
from api.pairing.models import Couple
from api.prompts.library import SOURCE_LOCALE
from api.prompts.models import Answer, Prompt, PromptTranslation, Round

# --- prompts ----------------------------------------------------------------------------------


def _visible_prompts(couple_id: uuid.UUID | None):
    if couple_id is None:
        return Prompt.source == "library"
    return or_(Prompt.source == "library", Prompt.couple_id == couple_id)


@dataclass(frozen=True)
class PromptView:
    """A prompt as one viewer reads it: a library prompt in the viewer's locale, the couple's
    and therapists' own as written (`locale` None: Steady does not know their language)."""

    id: uuid.UUID
    kind: str
    text: str
    source: str
    category: str | None
    locale: str | None


def _translated(locale: str):
    """The viewer's translation joined to a prompt; none for English, the library's own."""
    return and_(PromptTranslation.prompt_id == Prompt.id, PromptTranslation.locale == locale)


def _prompt_view(prompt: Prompt, translation: str | None, locale: str) -> PromptView:
    if prompt.source != "library":
        text, shown_in = prompt.text, None
    elif translation is not None:
        text, shown_in = translation, locale
    else:
        text, shown_in = prompt.text, SOURCE_LOCALE
    return PromptView(
        id=prompt.id,
        kind=prompt.kind,
        text=text,
        source=prompt.source,
        category=prompt.category,
        locale=shown_in,
    )


def list_prompts(
    *,
    session: Session,
    couple_id: uuid.UUID | None,
    locale: str,
    kind: str | None,
    offset: int,
    limit: int,
    category: str | None = None,
) -> tuple[list[PromptView], int | None]:
    """Library, then the couple's own and therapist-assigned prompts, in a stable order; the
    library alone without a couple, or when asked for a category (only the library has
    them). Library prompts in `locale` (the viewer's effective one); one statement."""
    locale = effective_locale(locale)
    stmt = (
        select(Prompt, PromptTranslation.text)
        .outerjoin(PromptTranslation, _translated(locale))
        .where(_visible_prompts(couple_id))
    )
    if kind:
        stmt = stmt.where(Prompt.kind == kind)
    if category:
        stmt = stmt.where(Prompt.category == category)
    stmt = stmt.order_by(
        Prompt.kind,
        case((Prompt.source == "library", 0), else_=1),
        Prompt.position,
        Prompt.created_at,
        Prompt.id,
    )
    rows = session.execute(stmt.offset(offset).limit(limit + 1)).all()
    next_offset = offset + limit if len(rows) > limit else None
    return [_prompt_view(p, text, locale) for p, text in rows[:limit]], next_offset


def create_prompt(
    *, session: Session, couple: Couple, user: User, kind: str, text: str, now: datetime
) -> Prompt:
    prompt = Prompt(
        id=uuid.uuid4(),
        kind=kind,
        text=text,
        source="couple",
        couple_id=couple.id,
        created_by=user.id,
        created_at=now,
    )
    session.add(prompt)
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return prompt


def prompt_for(*, session: Session, couple: Couple, prompt_id: uuid.UUID, kind: str) -> Prompt:
    """A prompt of this kind the couple may be asked, or 404 / 422."""
    prompt = session.get(Prompt, prompt_id)
    if prompt is None or (prompt.source != "library" and prompt.couple_id != couple.id):
        raise NotFound("prompt_not_found", "No such prompt.")
    if prompt.kind != kind:
        raise Unprocessable(
            "prompt_kind_mismatch",
            f"This is a {prompt.kind} prompt, not a {kind} one.",
            errors={"json": {"prompt_id": ["The prompt is of another kind."]}},
        )
    return prompt


def _rotation_prompt(
    session: Session, couple_id: uuid.UUID, kind: str, categories: list[str] | None = None
) -> Prompt:
    """The library prompt of this kind (and of these categories, if any) the couple was asked
    least recently (ties: library order), so a daily schedule walks the whole library, or the
    chosen part of it, before repeating."""
    last_asked = (
        select(Round.prompt_id, func.max(Round.asked_at).label("last"))
        .where(Round.couple_id == couple_id, Round.prompt_id.is_not(None))
        .group_by(Round.prompt_id)
        .subquery()
    )
    stmt = (
        select(Prompt)
        .outerjoin(last_asked, last_asked.c.prompt_id == Prompt.id)
        .where(Prompt.source == "library", Prompt.kind == kind)
    )
    if categories:
        stmt = stmt.where(Prompt.category.in_(categories))
    prompt = session.scalar(
        stmt.order_by(last_asked.c.last.is_not(None), last_asked.c.last, Prompt.position).limit(1)
    )
    if prompt is None:
        raise NotFound("prompt_not_found", f"The library has no {kind} prompt.")
    return prompt


def get_prompt(*, session: Session, prompt_id: uuid.UUID) -> Prompt | None:
    return session.get(Prompt, prompt_id)


_SHOWN = (
    select(Prompt.id, Prompt.text, PromptTranslation.text)
    .outerjoin(
        PromptTranslation,
        and_(
            PromptTranslation.prompt_id == Prompt.id,
            PromptTranslation.locale == bindparam("locale"),
        ),
    )
    .where(Prompt.id.in_(bindparam("prompt_ids", expanding=True)), Prompt.source == "library")
)


def shown_prompts(
    *, session: Session, prompt_ids: Iterable[uuid.UUID | None], locale: str
) -> dict[uuid.UUID, tuple[str, str]]:
    """The library prompts among `prompt_ids` as `locale` reads them: id → (text, the locale
    of that text). One statement for any number of rounds; couple and therapist prompts are
    absent (their rounds show the words they were asked with)."""
    ids = {prompt_id for prompt_id in prompt_ids if prompt_id is not None}
    if not ids:
        return {}
    rows = session.connection().execute(_SHOWN, {"prompt_ids": list(ids), "locale": locale})
    return {
        prompt_id: (translated, locale) if translated is not None else (text, SOURCE_LOCALE)
        for prompt_id, text, translated in rows
    }


def round_prompt(round_: Any, shown: dict[uuid.UUID, tuple[str, str]]) -> dict[str, Any]:
    """A round's prompt for a viewer: a library prompt from `shown_prompts`, any other as it
    was asked (`locale` None)."""
    text, locale = shown.get(round_.prompt_id, (round_.prompt_text, None))
    return {"id": round_.prompt_id, "text": text, "locale": locale}


def complete_rounds(
    *, session: Session, couple_id: uuid.UUID, limit: int, cursor: Cursor | None
) -> Page[Round]:
    """Rounds both partners answered, newest first: the only ones a therapist may read (show
    their prompts with `shown_prompts` and `round_prompt`)."""
    return paginate(
        session,
        select(Round).where(Round.couple_id == couple_id, Round.completed_at.is_not(None)),
        at_column=Round.asked_at,
        id_column=Round.id,
        limit=limit,
        cursor=cursor,
        key=lambda r: Cursor(at=r.asked_at, id=r.id),
    )


@dataclass(frozen=True)
class RoundCompletion:
    """Who answered one asking of a prompt (never what)."""

    round_id: uuid.UUID
    asked_at: datetime
    answered_by: list[uuid.UUID]


def recent_rounds_of_prompts(
    *, session: Session, couple_id: uuid.UUID, prompt_ids: list[uuid.UUID], per_prompt: int
) -> dict[uuid.UUID, list[RoundCompletion]]:
    """For each prompt, its latest `per_prompt` rounds in this couple, newest first, with who
    answered each. Two statements however many prompts and rounds there are: the rounds ranked
    per prompt by a window function, then their answerers."""
    result: dict[uuid.UUID, list[RoundCompletion]] = {p: [] for p in prompt_ids}
    if not prompt_ids:
        return result
    ranked = (
        select(
            Round.id,
            Round.prompt_id,
            Round.asked_at,
            func.row_number()
            .over(partition_by=Round.prompt_id, order_by=(Round.asked_at.desc(), Round.id.desc()))
            .label("rank"),
        )
        .where(Round.couple_id == couple_id, Round.prompt_id.in_(set(prompt_ids)))
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.id, ranked.c.prompt_id, ranked.c.asked_at)
        .where(ranked.c.rank <= per_prompt)
        .order_by(ranked.c.prompt_id, ranked.c.asked_at.desc(), ranked.c.id.desc())
    ).all()
    answered: dict[uuid.UUID, list[uuid.UUID]] = {round_id: [] for round_id, _, _ in rows}
    if answered:
        for round_id, user_id in session.execute(
            select(Answer.round_id, Answer.user_id)
            .where(Answer.round_id.in_(list(answered)))
            .order_by(Answer.created_at, Answer.id)
        ):
            answered[round_id].append(user_id)
    for round_id, prompt_id, asked_at in rows:
        result[prompt_id].append(
            RoundCompletion(round_id=round_id, asked_at=asked_at, answered_by=answered[round_id])
        )
    return result


def prompts_by_id(*, session: Session, prompt_ids: list[uuid.UUID]) -> dict[uuid.UUID, Prompt]:
    if not prompt_ids:
        return {}
    return {p.id: p for p in session.scalars(select(Prompt).where(Prompt.id.in_(set(prompt_ids))))}


# --- rounds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerView:
    id: uuid.UUID
    text: str | None
    rating: int | None
    created_at: datetime


@dataclass(frozen=True)
class RoundView:
    """A round as one partner sees it: the partner's answer only once they answered too."""

    id: uuid.UUID
    kind: str
    status: str
    prompt: dict[str, Any]
    asked_at: datetime
    schedule_id: uuid.UUID | None
    my_answer: AnswerView | None
    partner_answered: bool
    partner_answer: AnswerView | None


def _answer_view(answer: Answer | None) -> AnswerView | None:
    if answer is None:
        return None
    return AnswerView(
        id=answer.id, text=answer.text, rating=answer.rating, created_at=answer.created_at
    )


def round_view(
    round_: Any,
    viewer_id: uuid.UUID,
    shown: dict[uuid.UUID, tuple[str, str]],
    answers: list[Any] | None = None,
) -> RoundView:
    """`round_` is a Round or a row of its columns; `shown` its library prompt in the viewer's
    locale (`shown_prompts`); `answers` default to the Round's own."""
    answers = round_.answers if answers is None else answers
    mine = next((a for a in answers if a.user_id == viewer_id), None)
    theirs = next((a for a in answers if a.user_id != viewer_id), None)
    return RoundView(
        id=round_.id,
        kind=round_.kind,
        status="complete" if round_.completed_at else "open",
        prompt=round_prompt(round_, shown),
        asked_at=round_.asked_at,
        schedule_id=round_.schedule_id,
        my_answer=_answer_view(mine),
        partner_answered=theirs is not None,
        # Answer to reveal: nothing of the partner's answer before the viewer answered.
        partner_answer=_answer_view(theirs) if mine is not None else None,
    )


def _prompt_texts(session: Session, prompt: Prompt) -> Renderable:
    """What a push says of a prompt: a library prompt in each reader's locale, any other as
    it was written."""
    if prompt.source != "library":
        return Verbatim(prompt.text)
    rows = session.execute(
        select(PromptTranslation.locale, PromptTranslation.text).where(
            PromptTranslation.prompt_id == prompt.id
        )
    )
    texts = {locale: text for locale, text in rows}
    return ByLocale(texts={**texts, SOURCE_LOCALE: prompt.text}, default=prompt.text)


def _notify_prompt(
    session: Session,
    couple: Couple,
    round_: Round,
    prompt: Prompt,
    asked_at: dict[uuid.UUID, datetime],
    now: datetime,
) -> None:
    """Asks each recipient in their language at their instant in `asked_at`: now, or later
    (the outbox holds it until then)."""
    zones = accounts_service.timezones_of(session=session, user_ids=list(asked_at))
    # Never a time of day: with each partner asked in their own zone, "tonight" would be wrong
    # for one of them, and an ask-now round can come at any hour.
    title = (
        Message(N_("A question for you both"))
        if round_.kind == "gratitude"
        else Message(N_("A check-in for you both"))
    )
    body = _prompt_texts(session, prompt)
    for recipient_id, at in asked_at.items():
        tz = ZoneInfo(zones.get(recipient_id, "UTC"))
        at = max(at, now)
        notifications_service.enqueue(
            session=session,
            recipient_id=recipient_id,
            couple_id=couple.id,
            kind="prompt",
            title=title,
            body=body,
            data={"round_id": str(round_.id)},
            dedupe_key=f"prompt:{round_.id}:{recipient_id}",
            deliver_after=at if at > now else None,
            # A question that missed its evening must not arrive the next morning.
            expires_at=timeutil.end_of_local_day(at, tz),
            now=now,
        )


MAX_UNANSWERED_ASKS = 3


def _unanswered_asks(couple_id: uuid.UUID, asker_id: uuid.UUID, partner_id: uuid.UUID):
    """Rounds `asker_id` asked now (not a schedule's) that the partner has not answered."""
    return select(func.count(Round.id)).where(
        Round.couple_id == couple_id,
        Round.asked_by == asker_id,
        ~select(Answer.id)
        .where(Answer.round_id == Round.id, Answer.user_id == partner_id)
        .exists(),
    )


def ask_now(
    *,
    session: Session,
    couple: Couple,
    user: User,
    kind: str,
    prompt_id: uuid.UUID | None,
    now: datetime,
) -> RoundView:
    """Asks both partners now; the partner is notified. A partner waiting on three of their
    own questions already is refused a fourth: asking again is not an answer."""
    prompt = (
        prompt_for(session=session, couple=couple, prompt_id=prompt_id, kind=kind)
        if prompt_id is not None
        else _rotation_prompt(session, couple.id, kind)
    )
    partner_id = couple.partner_id_of(user.id)
    if partner_id is not None:
        # Two asks at once by the same partner count one after the other (PostgreSQL).
        accounts_service.lock_user(session=session, user_id=user.id)
        waiting = session.scalar(_unanswered_asks(couple.id, user.id, partner_id))
        if waiting >= MAX_UNANSWERED_ASKS:
            raise Conflict(
                "too_many_open_rounds",
                f"Your partner has {waiting} of your questions to answer already.",
            )
    round_ = Round(
        id=uuid.uuid4(),
        couple_id=couple.id,
        kind=kind,
        prompt_id=prompt.id,
        prompt_text=prompt.text,
        asked_by=user.id,
        asked_at=now,
    )
    session.add(round_)
    if partner_id is not None:
        _notify_prompt(session, couple, round_, prompt, {partner_id: now}, now)
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    session.refresh(round_)
    return round_view(round_, user.id, _shown(session, [round_], user))


def ask_scheduled(
    *,
    session: Session,
    couple: Couple,
    schedule_id: uuid.UUID,
    kind: str,
    prompt_id: uuid.UUID | None,
    fire_at: datetime,
    asked_at: dict[uuid.UUID, datetime],
    now: datetime,
    categories: list[str] | None = None,
) -> bool:
    """The round of one schedule firing, asked of each partner at their instant in `asked_at`
    (the first of them is `fire_at`; a later one waits in the outbox). No commit: the
    materialiser commits its batch. False when this firing already has its round."""
    prompt = session.get(Prompt, prompt_id) if prompt_id is not None else None
    if prompt is None:
        prompt = _rotation_prompt(session, couple.id, kind, categories)
    round_id = uuid.uuid4()
    created = insert_ignoring_conflicts(
        session,
        Round,
        {
            "id": round_id,
            "couple_id": couple.id,
            "kind": kind,
            "prompt_id": prompt.id,
            "prompt_text": prompt.text,
            "schedule_id": schedule_id,
            "fire_at": fire_at,
            "asked_at": fire_at,
        },
        # UNIQUE(schedule_id, fire_at): the last guard against a firing asked twice.
        conflict_on=["schedule_id", "fire_at"],
    )
    if not created:
        return False
    round_ = session.get(Round, round_id)
    members = set(couple.member_ids())
    _notify_prompt(
        session, couple, round_, prompt, {m: t for m, t in asked_at.items() if m in members}, now
    )
    pairing_service.bump_version(session=session, couple_id=couple.id)
    return True


def list_rounds(
    *,
    session: Session,
    couple: Couple,
    user: User,
    status: str | None,
    limit: int,
    cursor: Cursor | None,
) -> Page[RoundView]:
    """The couple's rounds as the user sees them, newest first. Read as plain rows: a page of
    rounds and one statement for their answers, no ORM objects."""
    page = paginate(
        session,
        _rounds_statement(status),
        at_column=Round.asked_at,
        id_column=Round.id,
        limit=limit,
        cursor=cursor,
        key=lambda r: Cursor(at=r.asked_at, id=r.id),
        rows=True,
        params={"couple_id": couple.id, "user_id": user.id},
    )
    answers: dict[uuid.UUID, list[Any]] = {r.id: [] for r in page.items}
    if answers:
        rows = session.connection().execute(_ANSWERS_OF, {"round_ids": list(answers)})
        for answer in rows:
            answers[answer.round_id].append(answer)
    shown = _shown(session, page.items, user)
    return Page(
        items=[round_view(r, user.id, shown, answers[r.id]) for r in page.items],
        next_cursor=page.next_cursor,
    )


@cache
def _rounds_statement(status: str | None):
    """A couple's rounds (`couple_id`) with one status as `user_id` sees it; built once."""
    stmt = select(*_ROUND_COLUMNS).where(Round.couple_id == bindparam("couple_id"))
    if status == "open":
        stmt = stmt.where(Round.completed_at.is_(None))
    elif status == "complete":
        stmt = stmt.where(Round.completed_at.is_not(None))
    elif status == "awaiting_me":
        stmt = stmt.where(*_awaiting())
    return stmt


def _awaiting() -> tuple[Any, ...]:
    """Open rounds the user (`user_id`) has not answered."""
    answered = select(Answer.id).where(
        Answer.round_id == Round.id, Answer.user_id == bindparam("user_id")
    )
    return Round.completed_at.is_(None), ~answered.exists()


_COUNT_AWAITING = select(func.count(Round.id)).where(
    Round.couple_id == bindparam("couple_id"), *_awaiting()
)


def count_rounds_awaiting(*, session: Session, couple: Couple, user: User) -> int:
    """How many open rounds of the couple the user has not answered (for the home screen)."""
    return session.connection().scalar(
        _COUNT_AWAITING, {"couple_id": couple.id, "user_id": user.id}
    )


def _shown(session: Session, rounds: list[Any], user: User) -> dict[uuid.UUID, tuple[str, str]]:
    return shown_prompts(
        session=session,
        prompt_ids=[r.prompt_id for r in rounds],
        locale=effective_locale(user.locale),
    )


_ROUND_COLUMNS = (
    Round.id,
    Round.kind,
    Round.completed_at,
    Round.prompt_id,
    Round.prompt_text,
    Round.asked_at,
    Round.schedule_id,
)
_ANSWERS_OF = select(
    Answer.round_id, Answer.id, Answer.user_id, Answer.text, Answer.rating, Answer.created_at
).where(Answer.round_id.in_(bindparam("round_ids", expanding=True)))


def _round(session: Session, couple: Couple, round_id: uuid.UUID) -> Round:
    return get_in_couple(session, Round, round_id, couple.id)


def get_round(*, session: Session, couple: Couple, user: User, round_id: uuid.UUID) -> RoundView:
    round_ = _round(session, couple, round_id)
    return round_view(round_, user.id, _shown(session, [round_], user))


def answer_round(
    *,
    session: Session,
    couple: Couple,
    user: User,
    round_id: uuid.UUID,
    now: datetime,
    text: str | None = None,
    rating: int | None = None,
) -> RoundView:
    """Records the caller's one answer; the partner learns they answered, not what.

    The round is read with its answers and locked (PostgreSQL; SQLite has one writer), and
    completion is decided by one UPDATE after the insert, which sees an answer the partner
    committed while this request waited for the lock.
    """
    round_ = (
        session.execute(_ROUND_TO_ANSWER, {"round_id": round_id, "couple_id": couple.id})
        .unique()
        .scalar_one_or_none()
    )
    if round_ is None:
        raise NotFound()
    if round_.kind == "check_in" and rating is None:
        raise Unprocessable(
            "rating_required",
            "A check-in needs a rating from 1 to 5.",
            errors={"json": {"rating": ["Missing data for required field."]}},
        )
    if round_.kind == "gratitude" and rating is not None:
        raise Unprocessable(
            "rating_not_allowed",
            "A gratitude answer has no rating.",
            errors={"json": {"rating": ["Not allowed on a gratitude round."]}},
        )
    if round_.kind == "gratitude" and not text:
        raise Unprocessable(
            "text_required",
            "A gratitude answer needs text.",
            errors={"json": {"text": ["Missing data for required field."]}},
        )
    if rating is not None and not 1 <= rating <= 5:
        raise Unprocessable(errors={"json": {"rating": ["Must be from 1 to 5."]}})
    answered = {a.user_id for a in round_.answers}
    if user.id in answered:
        raise Conflict("already_answered", "You already answered this round.")
    round_.answers.append(
        Answer(id=uuid.uuid4(), user_id=user.id, text=text, rating=rating, created_at=now)
    )
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent second answer by the same partner
        session.rollback()
        raise Conflict("already_answered", "You already answered this round.") from exc
    partner_id = couple.partner_id_of(user.id)
    completed = partner_id is not None and bool(
        session.execute(_COMPLETE, {"round_id": round_.id, "now": now}).first()
    )
    if completed:
        set_committed_value(round_, "completed_at", now)
        if partner_id not in answered:  # answered while we waited: read it for the reveal
            session.refresh(round_, ["answers"])
    if partner_id is not None:
        notifications_service.enqueue(
            session=session,
            recipient_id=partner_id,
            couple_id=couple.id,
            kind="partner_answered",
            title=Message(N_("{name} answered"), name=user.display_name),
            body=Message(N_("You've both answered: see what they said."))
            if completed
            else Message(N_("Your partner answered. Answer too to see what they said.")),
            data={"round_id": str(round_.id)},
            dedupe_key=f"partner_answered:{round_.id}:{user.id}",
            now=now,
        )
    pairing_service.bump_version(session=session, couple_id=couple.id)
    session.commit()
    return round_view(round_, user.id, _shown(session, [round_], user))


_COMPLETE = (
    update(Round)
    .where(
        Round.id == bindparam("round_id"),
        Round.completed_at.is_(None),
        select(func.count()).where(Answer.round_id == Round.id).scalar_subquery() >= 2,
    )
    .values(completed_at=bindparam("now"))
    .returning(Round.id)
    .execution_options(synchronize_session=False)
)
_ROUND_TO_ANSWER = (
    select(Round)
    .where(Round.id == bindparam("round_id"), Round.couple_id == bindparam("couple_id"))
    .options(joinedload(Round.answers))
    .with_for_update(of=Round)
)


# --- export and erasure -----------------------------------------------------------------------


def export_couple(*, session: Session, couple_id: uuid.UUID, user: User) -> list[RoundView]:
    """The couple's rounds as the user saw them: the partner's answers only where revealed,
    library prompts in the user's locale."""
    rounds = list(
        session.scalars(select(Round).where(Round.couple_id == couple_id).order_by(Round.asked_at))
    )
    shown = _shown(session, rounds, user)
    return [round_view(round_, user.id, shown) for round_ in rounds]


def export_prompts(*, session: Session, user: User) -> list[Prompt]:
    """The prompts the user wrote for their couple, oldest first."""
    return list(
        session.scalars(
            select(Prompt)
            .where(Prompt.created_by == user.id, Prompt.source == "couple")
            .order_by(Prompt.created_at)
        )
    )


def erase_for_user(*, session: Session, user: User) -> None:
    """Part of account erasure: the user's answers and custom prompts go (no commit)."""
    session.execute(delete(Answer).where(Answer.user_id == user.id))
    session.execute(delete(Prompt).where(Prompt.created_by == user.id, Prompt.source == "couple"))


# --- weekly figures ---------------------------------------------------------------------------


@cache
def _weekly_statements(weeks: int) -> tuple[Any, Any]:
    """The figures' two statements for a report of `weeks` weeks, built once and run with bind
    parameters: the week boundaries, `couple_id`, `members`, `since`, `start`, `now`."""
    window = (
        Round.couple_id == bindparam("couple_id"),
        Round.asked_at >= bindparam("start"),
        Round.asked_at <= bindparam("now"),
    )
    recent = case((Round.asked_at >= bindparam("since"), 1), else_=0)
    # Grouping by a subquery's columns, not the CASE itself: PostgreSQL does not see two copies
    # of a CASE with separately bound parameters as the same expression.
    asked_rows = (
        select(
            week_of(Round.asked_at, weeks).label("week"),
            recent.label("recent"),
            Round.asked_at.label("at"),
        )
        .where(*window)
        .subquery()
    )
    asked = select(
        asked_rows.c.week,
        func.count(),
        func.sum(asked_rows.c.recent),
        func.min(case((asked_rows.c.recent == 1, asked_rows.c.at))),
    ).group_by(asked_rows.c.week)
    answer_rows = (
        select(
            week_of(Round.asked_at, weeks).label("week"),
            Answer.user_id,
            recent.label("recent"),
            case((Round.kind == "check_in", Answer.rating)).label("rating"),
        )
        .select_from(Answer)
        .join(Round, Round.id == Answer.round_id)
        .where(*window, Answer.user_id.in_(bindparam("members", expanding=True)))
        .subquery()
    )
    answered = select(
        answer_rows.c.week,
        answer_rows.c.user_id,
        func.count(),
        func.sum(answer_rows.c.recent),
        func.sum(answer_rows.c.rating),
        func.count(answer_rows.c.rating),
    ).group_by(answer_rows.c.week, answer_rows.c.user_id)
    return asked, answered


def weekly_counts(
    *,
    session: Session,
    couple_id: uuid.UUID,
    member_ids: list[uuid.UUID],
    boundaries: list[datetime],
    since: datetime,
    now: datetime,
) -> dict[str, Any]:
    """Rounds asked per week and since `since`; per partner, their answers to those rounds and
    the sum and count of their check-in ratings, each counted in the week the round was asked;
    and `oldest_since`, the oldest round asked since `since` (when it leaves the window, the
    figures change).

    `boundaries` are the UTC instants that start each week, then the end of the last one.
    Two statements however many rounds there are.
    """
    weeks = len(boundaries) - 1
    asked_stmt, answered_stmt = _weekly_statements(weeks)
    params = {
        **week_params(boundaries),
        "couple_id": couple_id,
        "members": member_ids,
        "since": since,
        "start": min(boundaries[0], since),
        "now": now,
    }
    asked = [0] * weeks
    asked_recent = 0
    oldest: datetime | None = None
    for week, count, in_window, first in session.connection().execute(asked_stmt, params):
        if 0 <= week < weeks:
            asked[week] = count
        asked_recent += int(in_window or 0)
        if first is not None and (oldest is None or first < oldest):
            oldest = first
    partners: dict[uuid.UUID, dict[str, Any]] = {
        user_id: {
            "answered": [0] * weeks,
            "answered_28d": 0,
            "rating_sum": [0] * weeks,
            "rating_count": [0] * weeks,
        }
        for user_id in member_ids
    }
    for week, user_id, count, in_window, rating_sum, rating_count in session.connection().execute(
        answered_stmt, params
    ):
        figures = partners[user_id]
        figures["answered_28d"] += int(in_window or 0)
        if 0 <= week < weeks:
            figures["answered"][week] = count
            figures["rating_sum"][week] = int(rating_sum or 0)
            figures["rating_count"][week] = rating_count
    return {
        "asked": asked,
        "asked_28d": asked_recent,
        "partners": partners,
        "oldest_since": oldest,
    }
