"""What each workspace page shows, put together from the services the API uses: the figures
are the API's own, only arranged and written out for people. Flask-free: the routes check the
therapist's access (`api.therapists.context.couple_access`, which also writes the couple's
access log) and hand the grant in; pages never reach a couple another way.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from api.accounts.models import User
from api.agreements import service as agreements_service
from api.errors import NotFound
from api.journal import service as journal_service
from api.pagination import MAX_LIMIT
from api.therapists import service as therapists_service
from api.therapists.models import Grant
from api.web import charts, formatting
from api.web.i18n import _
from api.web.series import SERIES, axis_for, csv_number, format_value

WEEK_CHOICES = (4, 8, 12, 26, 52)
DEFAULT_WEEKS = 8
GLANCE_WEEKS = 4
PAGE_CONTENT_ITEMS = 10
REPORT_CONTENT_ITEMS = 3
# Up to this many weeks the report's tables run across the page, a row per partner.
REPORT_ACROSS_WEEKS = 12
CONTENT_SCOPE = therapists_service.CONTENT_SCOPE


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    name: str
    timezone: str
    number: int  # which line style the person's figures are drawn in


def _people(partners: list[dict[str, Any]]) -> list[Person]:
    return [
        Person(id=p["id"], name=p["display_name"], timezone=p["timezone"], number=number)
        for number, p in enumerate(partners)
    ]


def couple_names(people: list[Person]) -> str:
    if len(people) == 2:
        return _("%(first)s and %(second)s") % {
            "first": people[0].name,
            "second": people[1].name,
        }
    return people[0].name if people else _("A couple")


def _name_of(people: list[Person]) -> Callable[[uuid.UUID | None], str]:
    names = {p.id: p.name for p in people}
    return lambda user_id: names.get(user_id, _("A former partner"))


def scope_label(scope: str) -> str:
    return _("Figures and content") if scope == CONTENT_SCOPE else _("Figures only")


# --- the overview -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GlanceRow:
    person: Person
    gratitude_by_week: list[str]
    gratitude_per_week: str
    answer_rate: str
    kept_rate: str


@dataclass(frozen=True)
class CoupleCard:
    couple_id: uuid.UUID
    names: str
    scope: str
    since: str
    weeks: list[str]
    rows: list[GlanceRow]


@dataclass(frozen=True)
class PendingGrant:
    names: str
    scope: str
    invited: str
    waiting_for: list[str]


@dataclass(frozen=True)
class LinkCodeView:
    code: str
    expires: str


@dataclass(frozen=True)
class Overview:
    couples: list[CoupleCard]
    pending: list[PendingGrant]
    link_codes: list[LinkCodeView]


def _all_grants(session: Session, therapist: User) -> list[therapists_service.TherapistGrant]:
    grants, cursor = [], None
    while True:
        page = therapists_service.therapist_grants(
            session=session, therapist=therapist, status=None, limit=MAX_LIMIT, cursor=cursor
        )
        grants.extend(page.items)
        if page.next_cursor is None:
            return grants
        cursor = page.next_cursor


def overview(
    *,
    session: Session,
    therapist: User,
    now: datetime,
    access: Callable[[uuid.UUID], Grant],
) -> Overview:
    """The therapist's couples with their last four weeks, the grants awaiting a partner's
    approval, and the link codes that still work. `access` checks and logs each couple whose
    figures are shown (a grant revoked meanwhile just drops out)."""
    tz = therapist.timezone
    couples, pending = [], []
    for grant in _all_grants(session, therapist):
        people = _people(grant.partners)
        if grant.status == "pending":
            approved = set(grant.approvals)
            pending.append(
                PendingGrant(
                    names=couple_names(people),
                    scope=scope_label(grant.scope),
                    invited=formatting.local_day(grant.created_at, tz),
                    waiting_for=[p.name for p in people if p.id not in approved],
                )
            )
            continue
        try:
            checked = access(grant.couple_id)
        except NotFound:
            continue
        progress = therapists_service.couple_progress(
            session=session, grant=checked, therapist=therapist, weeks=GLANCE_WEEKS, now=now
        )
        rows = []
        for person in people:
            key = str(person.id)
            summary = progress["summary"].get(key, {})
            rows.append(
                GlanceRow(
                    person=person,
                    gratitude_by_week=[
                        formatting.count(week["partners"].get(key, {}).get("gratitude_sent"))
                        for week in progress["weeks"]
                    ],
                    gratitude_per_week=formatting.decimal(summary.get("gratitude_per_week_28d")),
                    answer_rate=formatting.percent(summary.get("answer_rate_28d")),
                    kept_rate=formatting.percent(summary.get("kept_rate_28d")),
                )
            )
        couples.append(
            CoupleCard(
                couple_id=grant.couple_id,
                names=couple_names(people),
                scope=scope_label(grant.scope),
                since=formatting.local_day(grant.activated_at or grant.created_at, tz),
                weeks=[formatting.short_date(week["week_start"]) for week in progress["weeks"]],
                rows=rows,
            )
        )
    codes = therapists_service.active_link_codes(session=session, therapist=therapist, now=now)
    return Overview(
        couples=sorted(couples, key=lambda c: c.names.casefold()),
        pending=pending,
        link_codes=[
            LinkCodeView(code=c.code, expires=formatting.local_datetime(c.expires_at, tz))
            for c in codes
        ],
    )


# --- the couple page and the report -----------------------------------------------------------


@dataclass(frozen=True)
class ChartView:
    key: str
    title: str
    svg: Markup
    labels: list[str]  # the weeks
    rows: list[tuple[str, list[str]]]  # a week, then each partner's value
    columns: list[tuple[Person, list[str]]]  # a partner, then their value each week


@dataclass(frozen=True)
class SummaryRow:
    person: Person
    answer_rate: str
    kept_rate: str
    gratitude_per_week: str
    median_ack: str
    on_time_rate: str
    informed_rate: str


@dataclass(frozen=True)
class CommitmentRow:
    owner: str
    title: str | None
    schedule: str
    kept_rate: str
    streak: int
    since: str


@dataclass(frozen=True)
class AgreementRow:
    owner: str
    title: str | None
    schedule: str
    window_minutes: int
    on_time_rate: str
    informed_rate: str
    since: str


@dataclass(frozen=True)
class FeelingRow:
    name: str
    intensity: int


@dataclass(frozen=True)
class JournalRow:
    """A journal entry its author shared with the therapist."""

    written: str
    author: str
    kind: str
    text: str | None
    situation: str | None
    thought: str | None
    feelings: list[FeelingRow]
    evidence_for: str | None
    evidence_against: str | None
    balanced_thought: str | None
    feelings_after: list[FeelingRow]


@dataclass(frozen=True)
class CompletionRow:
    asked: str
    answered: list[bool]  # per partner, in the page's order of people
    everyone: bool


@dataclass(frozen=True)
class AssignmentRow:
    text: str
    kind: str
    schedule: str | None
    created: str
    completion: list[CompletionRow]
    done: str


@dataclass(frozen=True)
class AnswerRow:
    person: str
    text: str | None
    rating: int | None


@dataclass(frozen=True)
class RoundRow:
    asked: str
    kind: str
    prompt: str
    answers: list[AnswerRow]


@dataclass(frozen=True)
class NoteRow:
    written: str
    author: str
    recipient: str
    text: str
    acknowledged: str | None
    reaction: str | None


@dataclass(frozen=True)
class CouplePage:
    couple_id: uuid.UUID
    names: str
    people: list[Person]
    scope: str
    content: bool
    since: str
    weeks: int
    period: str
    timezone: str
    generated: str
    summary: list[SummaryRow]
    charts: list[ChartView]
    commitments: list[CommitmentRow]
    agreements: list[AgreementRow]
    assignments: list[AssignmentRow]
    journal: list[JournalRow]
    rounds: list[RoundRow] = field(default_factory=list)
    notes: list[NoteRow] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)


def kind_label(kind: str) -> str:
    return _("Check-in") if kind == "check_in" else _("Gratitude")


def _charts(progress: dict[str, Any], people: list[Person], width: int) -> list[ChartView]:
    weeks = progress["weeks"]
    labels = [formatting.short_date(week["week_start"]) for week in weeks]
    views = []
    for series in SERIES:
        values = {
            person.id: [series.value(week["partners"].get(str(person.id), {})) for week in weeks]
            for person in people
        }
        title = _(series.title)
        svg = charts.line_chart(
            chart_id=f"chart-{series.key}",
            title=title,
            x_labels=labels,
            lines=[charts.Line(label=p.name, values=values[p.id]) for p in people],
            axis=axis_for(series, [v for vs in values.values() for v in vs]),
            empty_text=_("No data in these weeks"),
            width=width,
        )
        written = {p.id: [format_value(series, v) for v in values[p.id]] for p in people}
        views.append(
            ChartView(
                key=series.key,
                title=title,
                svg=svg,
                labels=labels,
                rows=[
                    (label, [written[p.id][index] for p in people])
                    for index, label in enumerate(labels)
                ],
                columns=[(p, written[p.id]) for p in people],
            )
        )
    return views


def _completion(
    assignment: therapists_service.AssignmentView, people: list[Person], tz: str
) -> tuple[list[CompletionRow], str]:
    rows = []
    for done in assignment.completion:
        answered = [p.id in done.answered_by for p in people]
        rows.append(
            CompletionRow(
                asked=formatting.local_day(done.asked_at, tz),
                answered=answered,
                everyone=bool(answered) and all(answered),
            )
        )
    both = sum(row.everyone for row in rows)
    done = (
        _("Both answered %(done)s of the last %(asked)s") % {"done": both, "asked": len(rows)}
        if rows
        else _("Not asked yet")
    )
    return rows, done


def couple_page(
    *,
    session: Session,
    grant: Grant,
    therapist: User,
    weeks: int,
    now: datetime,
    content_items: int = PAGE_CONTENT_ITEMS,
    chart_width: int = charts.WIDTH,
) -> CouplePage:
    """Everything the couple page (and the printed report) shows about one couple."""
    tz = therapist.timezone
    people = _people(therapists_service.grant_partners(session=session, grant=grant))
    name_of = _name_of(people)
    progress = therapists_service.couple_progress(
        session=session, grant=grant, therapist=therapist, weeks=weeks, now=now
    )
    first, last = progress["weeks"][0]["week_start"], progress["weeks"][-1]["week_start"]
    summary = [
        SummaryRow(
            person=person,
            answer_rate=formatting.percent(figures.get("answer_rate_28d")),
            kept_rate=formatting.percent(figures.get("kept_rate_28d")),
            gratitude_per_week=formatting.decimal(figures.get("gratitude_per_week_28d")),
            median_ack=formatting.hours(figures.get("median_ack_hours_28d")),
            on_time_rate=formatting.percent(figures.get("on_time_rate_28d")),
            informed_rate=formatting.percent(figures.get("informed_rate_28d")),
        )
        for person in people
        for figures in [progress["summary"].get(str(person.id), {})]
    ]
    commitments = therapists_service.couple_commitments(
        session=session, grant=grant, limit=MAX_LIMIT, cursor=None, now=now
    ).items
    agreements = agreements_service.therapist_agreements(
        session=session, grant=grant, limit=MAX_LIMIT, cursor=None, now=now
    ).items
    # Shared entries are the author's consent, entry by entry; any scope shows them.
    journal = journal_service.shared_entries(
        session=session, couple_id=grant.couple_id, limit=content_items, cursor=None
    ).items
    assignments = therapists_service.list_assignments(
        session=session, grant=grant, limit=MAX_LIMIT, cursor=None
    ).items
    assignment_rows = []
    for assignment in assignments:
        completion, done = _completion(assignment, people, tz)
        schedule = assignment.schedule
        assignment_rows.append(
            AssignmentRow(
                text=assignment.prompt.text if assignment.prompt else "",
                kind=kind_label(assignment.prompt.kind) if assignment.prompt else "",
                schedule=formatting.schedule(schedule.days, None, schedule.time, schedule.timezone)
                if schedule
                else None,
                created=formatting.local_day(assignment.created_at, tz),
                completion=completion,
                done=done,
            )
        )
    content = grant.scope == CONTENT_SCOPE
    page = CouplePage(
        couple_id=grant.couple_id,
        names=couple_names(people),
        people=people,
        scope=scope_label(grant.scope),
        content=content,
        since=formatting.local_day(grant.activated_at or grant.created_at, tz),
        weeks=weeks,
        period=_("%(first)s to %(last)s")
        % {
            "first": formatting.long_date(first),
            "last": formatting.long_date(last + timedelta(days=6)),
        },
        timezone=progress["timezone"],
        generated=formatting.local_datetime(now, tz),
        summary=summary,
        charts=_charts(progress, people, chart_width),
        commitments=[
            CommitmentRow(
                owner=name_of(c.owner_id),
                title=c.title,
                schedule=formatting.schedule(c.days, c.date, c.due_time, c.timezone),
                kept_rate=formatting.percent(c.kept_rate_28d),
                streak=c.current_streak,
                since=formatting.local_day(c.created_at, tz),
            )
            for c in commitments
        ],
        agreements=[
            AgreementRow(
                owner=name_of(a.owner_id),
                title=a.title,
                schedule=formatting.schedule(a.days, None, a.time, a.timezone),
                window_minutes=a.window_minutes,
                on_time_rate=formatting.percent(a.on_time_rate_28d),
                informed_rate=formatting.percent(a.informed_rate_28d),
                since=formatting.local_day(a.created_at, tz),
            )
            for a in agreements
        ],
        assignments=assignment_rows,
        journal=[
            JournalRow(
                written=formatting.local_day(e.created_at, tz),
                author=name_of(e.author_id),
                kind=_("Thought record") if e.kind == "thought_record" else _("Note"),
                text=e.text,
                situation=e.situation,
                thought=e.thought,
                feelings=[FeelingRow(f.name, f.intensity) for f in e.feelings],
                evidence_for=e.evidence_for,
                evidence_against=e.evidence_against,
                balanced_thought=e.balanced_thought,
                feelings_after=[FeelingRow(f.name, f.intensity) for f in e.feelings_after],
            )
            for e in journal
        ],
        zones=sorted({therapist.timezone, *(p.timezone for p in people)}),
    )
    if not content:
        return page
    rounds = therapists_service.couple_rounds(
        session=session, grant=grant, therapist=therapist, limit=content_items, cursor=None
    ).items
    notes = therapists_service.couple_gratitude(
        session=session, grant=grant, limit=content_items, cursor=None
    ).items
    page.rounds.extend(
        RoundRow(
            asked=formatting.local_day(r.asked_at, tz),
            kind=kind_label(r.kind),
            prompt=r.prompt["text"],
            answers=[
                AnswerRow(person=name_of(a["user_id"]), text=a["text"], rating=a["rating"])
                for a in r.answers
            ],
        )
        for r in rounds
    )
    page.notes.extend(
        NoteRow(
            written=formatting.local_day(n.created_at, tz),
            author=name_of(n.author_id),
            recipient=name_of(n.recipient_id),
            text=n.text,
            acknowledged=formatting.local_day(n.acknowledged_at, tz) if n.acknowledged_at else None,
            reaction=n.reaction,
        )
        for n in notes
    )
    return page


# --- the CSV ----------------------------------------------------------------------------------

# A cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60] or "couple"


def weekly_csv(
    *, session: Session, grant: Grant, therapist: User, weeks: int, now: datetime
) -> tuple[str, str]:
    """The weekly figures, one row per week and partner: every figure of the progress service
    as it gives it, then each charted ratio. Returns (file name, CSV text)."""
    people = _people(therapists_service.grant_partners(session=session, grant=grant))
    progress = therapists_service.couple_progress(
        session=session, grant=grant, therapist=therapist, weeks=weeks, now=now
    )
    figures: list[str] = []
    for week in progress["weeks"]:
        for values in week["partners"].values():
            figures.extend(name for name in values if name not in figures)
    derived = [s for s in SERIES if s.key not in figures]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["week_start", "partner", *figures, *(s.key for s in derived)])
    for week in progress["weeks"]:
        for person in people:
            values = week["partners"].get(str(person.id), {})
            writer.writerow(
                [
                    week["week_start"].isoformat(),
                    _cell(person.name),
                    *(csv_number(values.get(name)) for name in figures),
                    *(csv_number(s.value(values)) for s in derived),
                ]
            )
    last = progress["weeks"][-1]["week_start"]
    filename = f"steady-{_slug('-'.join(p.name for p in people))}-{last.isoformat()}.csv"
    return filename, out.getvalue()
