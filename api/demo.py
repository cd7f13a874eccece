"""`flask --app wsgi demo`: a demo couple and their therapist with weeks of believable history.

Everything is written through the same service functions the routes and the worker call, with
an injected clock walked forward over the past weeks, so every figure (progress, streaks, kept
rates, the therapist's view) is one the API itself would have produced. The worker's jobs run
at the exact instants they would have come due, so scheduled rounds and reminders are real.

Meant for a fresh, migrated database (local, review or staging); refused in production.
"""

from __future__ import annotations

import heapq
import itertools
import os
import random
import secrets
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from api import timeutil
from api.accounts.models import User
from api.agreements import service as agreements_service
from api.agreements.models import Agreement
from api.auth import service as auth_service
from api.auth.context import token_settings
from api.commitments import service as commitments_service
from api.commitments.models import Commitment
from api.db import now as clock_now
from api.db import session_factory
from api.gratitude import service as gratitude_service
from api.journal import service as journal_service
from api.notifications.dispatch import DEFAULT_BATCH_SIZE, dispatch_once
from api.notifications.push import LogSender
from api.pairing import service as pairing_service
from api.pairing.models import Couple
from api.prompts import schedules as schedules_service
from api.prompts import service as prompts_service
from api.prompts.models import Schedule
from api.reassurance import service as reassurance_service
from api.therapists import service as therapists_service

TIMEZONE = "Europe/Paris"
TZ = ZoneInfo(TIMEZONE)
DOMAIN = "demo.steady.app"
MAYA_EMAIL = f"maya@{DOMAIN}"
SAM_EMAIL = f"sam@{DOMAIN}"
THERAPIST_EMAIL = f"rivera@{DOMAIN}"
DEMO_EMAILS = (MAYA_EMAIL, SAM_EMAIL, THERAPIST_EMAIL)
WEEKDAYS_ONLY = ["mon", "tue", "wed", "thu", "fri"]

# A readable password is four of these and two digits (about 33 bits): plenty for a demo
# account, easy to type on a phone.
_WORDS = (
    "amber anchor apple arrow aspen autumn basil beacon birch bloom breeze brook cabin candle "
    "canyon cedar cherry cider clover cobalt comet coral cotton cove crane dawn delta dune "
    "ember fable fern field fjord flint forest garnet ginger glade harbor hazel heron honey "
    "indigo iris ivory juniper kettle lagoon lantern laurel lemon lilac linen lotus maple "
    "marble meadow mint moss nectar north oak ocean olive orchid otter pebble pepper pine "
    "plum pond poppy prairie quartz quill raven reed ridge river robin saffron sage shell "
    "sierra slate sparrow spruce stone summit thistle thyme tulip velvet violet willow wren"
).split()

# Notes are written to the partner; the partner-specific ones refer to that partner's own
# commitments, so the texts agree with the ledger.
COMMON_NOTES = (
    "You made coffee before I even got up. Small thing, huge difference to my morning.",
    "Thank you for listening to me go on about the project without once checking your phone.",
    "I loved that you remembered my mum's appointment and asked how it went.",
    "Thanks for picking up the groceries when I was stuck late. You saved my evening.",
    "You stayed calm when I got anxious about the money stuff. That meant a lot.",
    "I noticed you cleared the table without being asked. Thank you.",
    "Thanks for putting your phone away at dinner. I felt really listened to.",
    "You made me laugh when I was spiralling about work. I needed that.",
    "Thank you for saying sorry first after this morning. It made it easy to meet you halfway.",
    "I really appreciated the playlist you made for my drive.",
    "You handled the call with the landlord so I didn't have to. Thank you.",
    "Thanks for the hug when I got home. I didn't know how much I needed it.",
    "I love that you saved me the last slice. Don't think I didn't notice.",
    "Thank you for checking in at lunch. It made the afternoon feel lighter.",
    "You were so patient with me while I was stressed about the presentation.",
    "Thank you for planning Saturday. It felt like a proper date again.",
    "I appreciated you asking what I needed instead of guessing. That helped.",
    "Thank you for being kind to me when I wasn't being very kind to myself.",
    "I loved hearing you tell your sister about us. It made me feel proud and safe.",
    "Thank you for the note in my bag. I read it twice on the train.",
    "Thanks for fixing the bike light. I felt safer riding home tonight.",
    "You noticed I was quiet and asked gently instead of letting it slide. Thank you.",
)
NOTES_BY_MAYA = (
    "Thank you for texting me the moment you left work. I didn't spend the evening wondering.",
    "Thank you for telling me you'd be late before I had to ask.",
    "Thanks for booking the table without me having to remind you. It felt like a promise kept.",
)
NOTES_BY_SAM = (
    "You kept the Sunday walk even though it was drizzling. Best hour of my week.",
    "Thanks for getting up with the alarm so I could sleep ten more minutes.",
    "Thank you for reminding me to call my dad. You're better at my family than I am.",
)

# Answers to the library's gratitude questions, about the partner ({p}).
GRATITUDE_ANSWERS = (
    "{p} made me tea and sat with me while I finished my emails.",
    "When I was worried about the results, {p} said 'whatever happens, we'll figure it out "
    "together.' I keep coming back to that.",
    "{p} texted when the train was delayed, so I didn't sit there imagining the worst.",
    "How patient {p} is with my family. Sunday could have been tense and it wasn't.",
    "{p} said they'd call at lunch, and they did, right on time.",
    "{p} noticed I was quiet and asked about it instead of letting it slide.",
    "{p} took the bins out, booked the plumber and still had the energy to cook.",
    "{p} held my hand in the waiting room and didn't try to fix anything.",
    "The way {p} really listens when I talk about work.",
    "{p} told me they were proud of me after the presentation.",
    "{p} left the hallway light on for me when I came home late.",
    "{p} remembered the name of a colleague I'd mentioned once. I felt heard.",
    "{p} apologised first after our argument, and meant it.",
    "{p} planned a quiet evening when I said I was exhausted, no questions asked.",
    "{p} was home for dinner like they promised, even with the deadline.",
    "{p}'s hug before leaving in the morning. I rely on it more than I'd admit.",
    "{p} calmed me down when I was spiralling about the trip.",
    "{p} checked in on me twice on a hard day without me asking.",
    "{p} laughed at my terrible joke at dinner. Honestly, generous.",
    "{p} stood up for me in front of their friends. I felt chosen.",
    "{p} picked me up from the station in the rain.",
    "{p} said 'I'm not going anywhere' when I needed to hear it.",
    "{p} told me they were tired instead of going quiet, so I didn't take it personally.",
    "{p} makes the bed every morning. Small, but the day starts well.",
    "{p} sent me a photo of the sunset from the office window just because.",
)
CHECK_IN_NOTES = {
    "low": (
        "Honestly a bit distant today. I missed you even though we were in the same room.",
        "We snapped at each other about the dishes. I don't want to go to bed like this.",
        "Long week. I felt more like flatmates than partners tonight.",
        "I needed a text this afternoon and didn't get one. It stung more than I said.",
    ),
    "mid": (
        "Okay. Busy, but we had a nice ten minutes on the sofa.",
        "Fine, tired more than anything.",
        "A normal day. I'd love a proper dinner together this week.",
        "Better after we talked in the car.",
    ),
    "high": (
        "Really close. That walk by the canal was exactly what I needed.",
        "Felt looked after today.",
        "We laughed so much at dinner. More of that, please.",
        "You texted when you left work and I noticed I didn't worry at all.",
        "Calm and connected. Good day.",
    ),
}
REACTIONS = ("❤️", "🥰", "🙏", "😊", "🤗", "💛", "thank you!", "made my day")
TEXT_KEPT_NOTES = ("Texted from the platform.", "Left at 18:20, texted straight away.")
TEXT_MISSED_NOTES = (
    "Meeting ran over and I forgot. Told Maya later, sorry.",
    "Phone died. Not an excuse, but that's what happened.",
)
WALK_KEPT_NOTES = ("Along the canal, forty minutes.", "Short one, it was cold.")
WALK_MISSED_NOTES = ("Rain all afternoon, we stayed in.",)
CHECK_IN_MESSAGES = {
    "lunch": (
        "Lunch at my desk, all good. Thinking of you.",
        "Meeting ran long but I'm out now. How's your day?",
        "Sandwich in the park. Sun's out!",
        "Busy morning, calmer now. Love you.",
    ),
    "class": (
        "Class done, walking to the metro.",
        "Out now. We did the hard pose and I didn't fall over.",
        "On my way home, see you in 30.",
    ),
}
LATE_MESSAGES = (
    "Stuck in a meeting, I'll message as soon as I'm out.",
    "Client call overran, give me a bit.",
    "Metro is stuck between stations.",
    "Teacher kept us late, nearly done.",
)
REASSURANCE_NOTES = (
    "Feeling a bit wobbly after today. Could use a word from you.",
    "I know it's silly, but I'm spiralling a little about last night.",
    "Quiet day between us and my brain is filling in the blanks.",
    "Big presentation tomorrow and I'm anxious.",
)
REASSURANCE_ANSWERS = (
    "Not silly at all. I love you, and nothing about last night changes that.",
    "I'm right here. Busy day, but you're on my mind. Dinner together tonight?",
    "We're good. Really. I'm proud of how you told me what you needed.",
    "You've prepared so well. Whatever happens tomorrow, I'm in your corner.",
    "I'm not going anywhere. Call you at lunch?",
    "Thank you for asking instead of guessing. We're OK, I promise.",
)
ASSIGNMENT_TEXT = (
    "Before our next session: what is one moment this week when you felt your partner had "
    "your back?"
)

# Maya's journal: notes and thought records spread over the history (`at` is the share of it
# gone by), the kind of reframing her therapist suggested. `share` says when she shares one
# with Dr. Rivera: "written" as she writes it, "later" after a second look, None never.
JOURNAL = (
    {
        "at": 0.08,
        "hour": (22, 10),
        "kind": "note",
        "text": "First page. Dr. Rivera suggested writing things down when my head gets loud, "
        "so here I am. Today was fine. Sam texted when he was on his way home and I noticed "
        "how much calmer the evening felt.",
        "feelings": (("hopeful", 55), ("nervous", 30)),
    },
    {
        "at": 0.22,
        "hour": (19, 5),
        "kind": "thought_record",
        "situation": "Sam hadn't texted by 18:45 and his phone went to voicemail.",
        "thought": "He's annoyed with me after this morning and doesn't want to come home.",
        "feelings": (("anxious", 85), ("hurt", 60)),
        "evidence_for": "We were short with each other at breakfast.",
        "evidence_against": "He said his meetings would run late this week. He has texted "
        "every other evening, and he kissed me goodbye this morning.",
        "balanced_thought": "He's probably stuck in the meeting he mentioned. This morning was "
        "a small thing, and we're okay.",
        "feelings_after": (("anxious", 40), ("hurt", 25)),
        "share": "later",
    },
    {
        "at": 0.35,
        "hour": (21, 30),
        "kind": "note",
        "text": "A proper dinner, phones away. I told Sam about the job worry and he just "
        "listened. I want to remember that it's okay to ask for what I need.",
        "feelings": (("close", 70), ("relieved", 60)),
    },
    {
        "at": 0.5,
        "hour": (23, 15),
        "kind": "thought_record",
        "situation": "Sam went quiet after the call with his brother and went to bed early.",
        "thought": "I've done something wrong and he's pulling away from me.",
        "feelings": (("anxious", 75), ("lonely", 65)),
        "evidence_for": "He didn't say goodnight the way he usually does.",
        "evidence_against": "He told me the call was hard. He squeezed my hand when I asked "
        "if he was okay. Being tired isn't about me.",
        "balanced_thought": "He's carrying something of his own tonight. I can ask tomorrow "
        "instead of guessing.",
        "feelings_after": (("anxious", 35), ("lonely", 40)),
        "share": "written",
    },
    {
        "at": 0.62,
        "hour": (8, 20),
        "kind": "note",
        "text": "Hard few days, but we talked it through on our walk. I said 'I get scared "
        "when it goes quiet' out loud, and he didn't flinch. He said he'd rather know.",
        "feelings": (("vulnerable", 60), ("relieved", 65)),
    },
    {
        "at": 0.78,
        "hour": (17, 50),
        "kind": "thought_record",
        "situation": "Sam read my message and didn't answer for two hours.",
        "thought": "He's tired of how much I need him.",
        "feelings": (("anxious", 60), ("ashamed", 45)),
        "evidence_for": "I sent three messages in a row.",
        "evidence_against": "He was at the gym, where he never looks at his phone. When he "
        "answered he sent a heart and asked about my day.",
        "balanced_thought": "A slow reply isn't a verdict. He answers when he can, and he "
        "always has.",
        "feelings_after": (("anxious", 25), ("ashamed", 20)),
    },
    {
        "at": 0.92,
        "hour": (21, 45),
        "kind": "note",
        "text": "I noticed today that I didn't check my phone once while Sam was out. Small, "
        "but new. I'd like to tell Dr. Rivera.",
        "feelings": (("proud", 70), ("calm", 60)),
    },
)


def readable_password() -> str:
    words = [secrets.choice(_WORDS) for _ in range(4)]
    return "-".join(words) + f"-{secrets.randbelow(90) + 10}"


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return timeutil.local_instant(day, time(hour, minute), TZ)


class _Bag:
    """Draws texts without repeating one until all were used, so weeks do not echo."""

    def __init__(self, rng: random.Random, items: tuple[str, ...]) -> None:
        self.rng, self.items, self.left = rng, items, []

    def draw(self) -> str:
        if not self.left:
            self.left = list(self.items)
            self.rng.shuffle(self.left)
        return self.left.pop()


@dataclass(order=True)
class _Event:
    at: datetime
    seq: int
    action: Callable[[datetime], None] = field(compare=False)


@dataclass
class _People:
    maya: User
    sam: User
    therapist: User
    couple: Couple


class DemoHistory:
    """Walks a clock from the start of the history to `end`, acting as the couple would."""

    def __init__(
        self,
        *,
        session: Session,
        factory: sessionmaker[Session],
        rng: random.Random,
        end: datetime,
        weeks: int,
        password: str,
    ) -> None:
        self.session, self.factory, self.rng, self.end = session, factory, rng, end
        self.password = password
        today = timeutil.local_date(end, TZ)
        # The Monday of the oldest week a `weeks`-week progress view shows: every week in the
        # default view has data, and the first starts with the couple pairing.
        self.start = today - timedelta(days=today.weekday(), weeks=weeks - 1)
        self.days = (today - self.start).days  # index of today
        middle = self.days // 2
        self.rough = set(range(middle - 3, middle + 4))
        self.events: list[_Event] = []
        self.seq = itertools.count()
        self.seen_rounds: set[uuid.UUID] = set()
        self.counts: Counter[str] = Counter()
        self.people: _People | None = None
        self.text_commitment: uuid.UUID | None = None
        self.walk_commitment: uuid.UUID | None = None
        self.one_off: uuid.UUID | None = None
        self.agreements: dict[str, uuid.UUID] = {}
        self.grant_id: uuid.UUID | None = None
        # Only the worker's jobs and new schedules or commitments move the next job time.
        self.jobs_changed = True
        self.notes = {
            "maya": _Bag(rng, COMMON_NOTES + NOTES_BY_MAYA),
            "sam": _Bag(rng, COMMON_NOTES + NOTES_BY_SAM),
        }
        self.answers = _Bag(rng, GRATITUDE_ANSWERS)
        self.reassurance_notes = _Bag(rng, REASSURANCE_NOTES)
        self.reassurance_answers = _Bag(rng, REASSURANCE_ANSWERS)
        self.check_in_notes = {k: _Bag(rng, v) for k, v in CHECK_IN_NOTES.items()}

    # --- plumbing ------------------------------------------------------------------------------

    def at(self, when: datetime, action: Callable[[datetime], None]) -> None:
        """Plans an action; what would happen after now is simply not written."""
        if when <= self.end:
            heapq.heappush(self.events, _Event(when, next(self.seq), action))

    def _done(self) -> None:
        # Some services read after their commit (figures, refreshed views); under SQLite's
        # BEGIN IMMEDIATE that read holds the write lock, which the worker's jobs need next.
        self.session.commit()

    def _next_job_at(self) -> datetime | None:
        """When the worker would next find something due for this couple."""
        assert self.people is not None
        couple_id = self.people.couple.id
        fire = self.session.scalar(
            select(func.min(Schedule.next_fire_at)).where(
                Schedule.couple_id == couple_id, Schedule.active.is_(True)
            )
        )
        remind = self.session.scalar(
            select(func.min(Commitment.next_reminder_at)).where(Commitment.couple_id == couple_id)
        )
        agreement_jobs = self.session.execute(
            select(func.min(Agreement.next_reminder_at), func.min(Agreement.next_nudge_at)).where(
                Agreement.couple_id == couple_id
            )
        ).one()
        self._done()
        due = [t for t in (fire, remind, *agreement_jobs) if t is not None]
        return min(due) if due else None

    def run(self) -> None:
        """Interleaves the worker's jobs, on time, with the planned actions, until now."""
        from api.worker import registered_jobs

        jobs = registered_jobs()
        last_job: datetime | None = None
        job_at: datetime | None = None
        while True:
            if self.jobs_changed:
                job_at, self.jobs_changed = self._next_job_at(), False
            event_at = self.events[0].at if self.events else None
            if (
                job_at is not None
                and job_at <= self.end
                and (event_at is None or job_at <= event_at)
            ):
                if last_job is not None and job_at <= last_job:
                    raise RuntimeError(f"a worker job did not advance past {job_at.isoformat()}")
                last_job = job_at
                for job in jobs:
                    job(session_factory=self.factory, now=job_at)
                self.jobs_changed = True
                self._plan_new_rounds()
                continue
            if event_at is None:
                return
            event = heapq.heappop(self.events)
            event.action(event.at)
            self._done()

    def mood(self, day: int, who: str) -> int:
        """A check-in rating: a gentle rise over the weeks, a dip in the rough week."""
        base = 2.9 + 1.4 * day / max(self.days, 1) + (-0.15 if who == "maya" else 0.1)
        if day in self.rough:
            base -= 1.3
        return max(1, min(5, round(base + self.rng.gauss(0, 0.45))))

    def day_of(self, instant: datetime) -> int:
        return (timeutil.local_date(instant, TZ) - self.start).days

    def _who(self, user: User) -> str:
        assert self.people is not None
        return "maya" if user.id == self.people.maya.id else "sam"

    def _partner(self, user: User) -> User:
        assert self.people is not None
        return self.people.sam if user.id == self.people.maya.id else self.people.maya

    # --- the first day -------------------------------------------------------------------------

    def set_up(self) -> None:
        day0 = self.start
        settings = token_settings()

        def register(name: str, email: str, role: str, when: datetime) -> User:
            pair = auth_service.register(
                session=self.session,
                settings=settings,
                email=email,
                password=self.password,
                display_name=name,
                timezone=TIMEZONE,
                role=role,
                device_name="Demo setup",
                now=when,
            )
            self._done()
            return pair.user

        therapist = register("Dr. Rivera", THERAPIST_EMAIL, "therapist", local(day0, 8, 40))
        maya = register("Maya", MAYA_EMAIL, "partner", local(day0, 9, 0))
        invite = pairing_service.create_invite(
            session=self.session, user=maya, now=local(day0, 9, 3)
        )
        sam = register("Sam", SAM_EMAIL, "partner", local(day0, 12, 30))
        pairing_service.accept_invite(
            session=self.session, user=sam, code=invite.code, now=local(day0, 12, 32)
        )
        couple = pairing_service.active_couple(session=self.session, user=sam)
        self._done()
        self.people = _People(maya=maya, sam=sam, therapist=therapist, couple=couple)

        schedules_service.create_schedule(
            session=self.session,
            couple=couple,
            user=maya,
            kind="gratitude",
            time=time(21, 0),
            now=local(day0, 12, 40),
        )
        schedules_service.create_schedule(
            session=self.session,
            couple=couple,
            user=sam,
            kind="check_in",
            time=time(20, 0),
            days=["mon", "wed", "fri", "sun"],
            now=local(day0, 12, 45),
        )
        self.text_commitment = commitments_service.create_commitment(
            session=self.session,
            couple=couple,
            user=sam,
            title="Text when I leave work",
            details="So you know I'm on my way and don't have to wonder.",
            days=WEEKDAYS_ONLY,
            due_time=time(18, 0),
            remind_before_minutes=15,
            now=local(day0, 13, 0),
        ).id
        self._done()
        self.walk_commitment = commitments_service.create_commitment(
            session=self.session,
            couple=couple,
            user=maya,
            title="Sunday walk together",
            details="Phones in pockets, just us.",
            days=["sun"],
            due_time=time(16, 0),
            remind_before_minutes=60,
            now=local(day0, 13, 5),
        ).id
        self._done()
        self.counts["commitments"] += 2
        # Check-in agreements: Sam at lunch on weekdays, Maya after her Tuesday and Thursday
        # evening class.
        self.agreements["lunch"] = agreements_service.create_agreement(
            session=self.session,
            couple=couple,
            user=sam,
            title="Check in at lunch",
            days=WEEKDAYS_ONLY,
            time=time(12, 30),
            window_minutes=15,
            remind_before_minutes=10,
            now=local(day0, 13, 8),
        ).id
        self._done()
        self.agreements["class"] = agreements_service.create_agreement(
            session=self.session,
            couple=couple,
            user=maya,
            title="Message when class is over",
            days=["tue", "thu"],
            time=time(21, 0),
            window_minutes=20,
            remind_before_minutes=5,
            now=local(day0, 13, 9),
        ).id
        self._done()
        self.counts["agreements"] += 2

        # The therapist joins over the first days: a code in session, Maya adds them, Sam
        # approves the next morning, then a weekly question of the therapist's own.
        self.at(local(day0 + timedelta(days=1), 10, 0), self._link_code_and_add)
        self.at(local(day0 + timedelta(days=2), 8, 15), self._approve)
        self.at(local(day0 + timedelta(days=3), 11, 0), self._assign)
        one_off_day = max(3, min(round(self.days * 0.4), self.days - 1))
        self.at(
            local(self.start + timedelta(days=max(1, one_off_day - 6)), 20, 30),
            lambda when: self._create_one_off(when, self.start + timedelta(days=one_off_day)),
        )
        for day in range(self.days + 1):
            self._plan_day(day, not_before=local(day0, 13, 10))
        for page in JOURNAL:
            # Never today: every page, and the sharing that follows it, is in the past.
            on = self.start + timedelta(days=round(page["at"] * (self.days - 1)))
            self.at(local(on, *page["hour"]), lambda when, page=page: self._write(when, page))

    def _link_code_and_add(self, when: datetime) -> None:
        assert self.people is not None
        link = therapists_service.create_link_code(
            session=self.session, therapist=self.people.therapist, now=when
        )
        self._done()
        grant = therapists_service.add_therapist(
            session=self.session,
            couple=self.people.couple,
            user=self.people.maya,
            code=link.code,
            scope="summary_and_content",
            now=when + timedelta(hours=9),
        )
        self.grant_id = grant.id

    def _approve(self, when: datetime) -> None:
        assert self.people is not None and self.grant_id is not None
        therapists_service.approve(
            session=self.session,
            couple=self.people.couple,
            user=self.people.sam,
            grant_id=self.grant_id,
            now=when,
        )

    def _assign(self, when: datetime) -> None:
        assert self.people is not None
        therapists_service.create_assignment(
            session=self.session,
            grant=self._access("assignments.create", "assignments", when),
            therapist=self.people.therapist,
            kind="gratitude",
            text=ASSIGNMENT_TEXT,
            days=["sun"],
            time=time(18, 0),
            now=when,
        )
        self.jobs_changed = True
        self.counts["assignments"] += 1

    def _therapist_reads(self, when: datetime) -> None:
        assert self.people is not None
        therapists_service.couple_progress(
            session=self.session,
            grant=self._access("progress.read", "progress", when),
            therapist=self.people.therapist,
            weeks=8,
            now=when,
        )
        agreements_service.therapist_agreements(
            session=self.session,
            grant=self._access("agreements.read", "agreements", when),
            limit=20,
            cursor=None,
            now=when,
        )
        journal_service.shared_entries(
            session=self.session,
            couple_id=self._access("journal.read", "journal", when).couple_id,
            limit=20,
            cursor=None,
        )

    def _write(self, when: datetime, page: dict) -> None:
        """Maya writes in her journal; she shares a page with her therapist at once, after
        reading it over, or not at all."""
        assert self.people is not None
        maya = self.people.maya
        entry = journal_service.create_entry(
            session=self.session,
            user=maya,
            kind=page["kind"],
            **{name: page.get(name) for name in journal_service.TEXT_FIELDS},
            feelings=[journal_service.Feeling(*f) for f in page["feelings"]],
            feelings_after=[journal_service.Feeling(*f) for f in page.get("feelings_after", ())],
            shared_with_therapist=page.get("share") == "written",
            now=when,
        )
        self.counts["journal"] += 1
        if page.get("share") == "written":
            self.counts["journal_shared"] += 1
        elif page.get("share") == "later":
            self.at(when + timedelta(minutes=50), lambda t: self._share(t, entry.id))

    def _share(self, when: datetime, entry_id: uuid.UUID) -> None:
        assert self.people is not None
        journal_service.update_entry(
            session=self.session,
            user=self.people.maya,
            entry_id=entry_id,
            shared_with_therapist=True,
            now=when,
        )
        self.counts["journal_shared"] += 1

    def _access(self, action: str, tail: str, when: datetime):
        """The therapist's grant, checked and written to the access log as the API does."""
        assert self.people is not None
        couple_id = self.people.couple.id
        return therapists_service.check_access(
            session=self.session,
            therapist=self.people.therapist,
            couple_id=couple_id,
            action=action,
            path=f"/v1/therapist/couples/{couple_id}/{tail}",
            now=when,
        )

    def _create_one_off(self, when: datetime, on: date) -> None:
        assert self.people is not None
        self.one_off = commitments_service.create_commitment(
            session=self.session,
            couple=self.people.couple,
            user=self.people.sam,
            title="Book the table for our anniversary dinner",
            date=on,
            due_time=time(12, 0),
            remind_before_minutes=120,
            now=when,
        ).id
        self.counts["commitments"] += 1
        self.jobs_changed = True

        def record(t: datetime) -> None:
            check_id = self._record(t, "one_off", on, "kept", "Booked for 8 pm, window table.")
            self.at(t + timedelta(minutes=40), lambda t2: self._confirm(t2, "one_off", check_id))

        self.at(local(on, 11, 20), record)

    # --- a day in their life -------------------------------------------------------------------

    def _plan_day(self, day: int, *, not_before: datetime) -> None:
        rng, d = self.rng, self.start + timedelta(days=day)
        rough = day in self.rough

        def plan(when: datetime, action: Callable[[datetime], None]) -> None:
            if when >= not_before:
                self.at(when, action)

        for who, chance in (("maya", 0.85), ("sam", 0.75)):
            if rng.random() < (0.4 if rough else chance):
                when = local(d, 7, 30) + timedelta(seconds=rng.randint(0, 15 * 3600))
                text = self.notes[who].draw()
                plan(when, lambda t, who=who, text=text: self._send_note(t, who, text))

        if d.weekday() < 5:  # Sam's text when he leaves work, 18:00 on weekdays
            self._plan_check(plan, "text", d, kept=0.55 if rough else 0.86, confirm=0.75, hour=18)
        if d.weekday() == 6:  # Maya's Sunday walk at 16:00
            self._plan_check(plan, "walk", d, kept=0.4 if rough else 0.88, confirm=0.85, hour=16)

        # Occurrences start once the agreements exist (made after lunch on the first day).
        if d.weekday() < 5 and local(d, 12, 30) >= not_before:  # Sam, 12:30 on weekdays
            self._plan_agreement(plan, "lunch", d, time(12, 30), window=15, rough=rough)
        if d.weekday() in (1, 3):  # Maya's message after class, 21:00 Tuesday and Thursday
            self._plan_agreement(plan, "class", d, time(21, 0), window=20, rough=rough)
        # Maya asks for reassurance now and then, more in the rough week; Sam once in a while.
        for who, chance in (("maya", 0.7 if rough else 0.3), ("sam", 0.06)):
            if rng.random() < chance:
                when = local(d, 9, 0) + timedelta(seconds=rng.randint(0, 11 * 3600))
                plan(when, lambda t, who=who: self._ask_reassurance(t, who))

        if rng.random() < 0.12:  # now and then one of them asks a check-in on the spot
            who = rng.choice(("maya", "sam"))
            when = local(d, 12, 0) + timedelta(seconds=rng.randint(0, 6 * 3600))
            plan(when, lambda t, who=who: self._ask_now(t, who))

        if d.weekday() == 0 and day >= 7:  # the therapist looks in before Monday sessions
            plan(local(d, 9, 30), self._therapist_reads)

    def _plan_agreement(
        self, plan, which: str, d: date, at: time, *, window: int, rough: bool
    ) -> None:
        """Mostly on time; sometimes word sent ahead and a later check-in; now and then late,
        and a few missed (the worker nudges the owner, and only the owner)."""
        rng = self.rng
        due = local(d, at.hour, at.minute)
        roll = rng.random()
        miss, notice, slow = (0.12, 0.22, 0.1) if rough else (0.04, 0.1, 0.06)
        messages = CHECK_IN_MESSAGES[which]
        message = rng.choice(messages) if rng.random() < 0.35 else None
        if roll < miss:
            return
        if roll < miss + notice:
            minutes = rng.choice((10, 15, 20, 30))
            said = due - timedelta(seconds=rng.randint(5 * 60, 45 * 60))
            excuse = rng.choice(LATE_MESSAGES) if rng.random() < 0.6 else None
            plan(said, lambda t: self._running_late(t, which, minutes, excuse))
            if rng.random() < 0.85:
                came = due + timedelta(minutes=minutes, seconds=rng.randint(-300, 600))
                plan(came, lambda t: self._check_in(t, which, message))
            return
        if roll < miss + notice + slow:
            when = due + timedelta(minutes=window, seconds=rng.randint(60, 90 * 60))
        else:
            when = due + timedelta(seconds=rng.randint(-10 * 60, window * 60 - 1))
        plan(when, lambda t: self._check_in(t, which, message))

    def _plan_check(
        self, plan, which: str, d: date, *, kept: float, confirm: float, hour: int
    ) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.07:
            return  # not recorded: it still counts as due, and as not kept
        status = "kept" if roll < 0.07 + (1 - 0.07) * kept else "missed"
        if status == "kept":
            when = local(d, hour, 0) + timedelta(seconds=rng.randint(3 * 60, 80 * 60))
            notes = TEXT_KEPT_NOTES if which == "text" else WALK_KEPT_NOTES
        else:
            when = local(d + timedelta(days=1), 8, 0) + timedelta(seconds=rng.randint(0, 9000))
            notes = TEXT_MISSED_NOTES if which == "text" else WALK_MISSED_NOTES
        note = rng.choice(notes) if rng.random() < 0.3 else None
        confirmed = status == "kept" and rng.random() < confirm
        delay = timedelta(seconds=rng.randint(10 * 60, 150 * 60))

        def record(t: datetime) -> None:
            check_id = self._record(t, which, d, status, note)
            if confirmed:
                self.at(t + delay, lambda t2: self._confirm(t2, which, check_id))

        plan(when, record)

    # --- actions -------------------------------------------------------------------------------

    def _send_note(self, when: datetime, who: str, text: str) -> None:
        assert self.people is not None
        author = getattr(self.people, who)
        note = gratitude_service.send_note(
            session=self.session, couple=self.people.couple, author=author, text=text, now=when
        )
        self.counts["notes"] += 1
        rng, rough = self.rng, self.day_of(when) in self.rough
        if rng.random() >= (0.75 if rough else 0.93):
            return  # seen, perhaps, but never acknowledged
        bucket = rng.random()
        hours = rng.uniform(0.1, 2) if bucket < 0.6 else rng.uniform(2, 6 if bucket < 0.9 else 14)
        reaction = rng.choice(REACTIONS) if rng.random() < 0.45 else None
        recipient = self._partner(author)
        self.at(
            when + timedelta(hours=hours),
            lambda t: self._acknowledge(t, recipient, note.id, reaction),
        )

    def _acknowledge(
        self, when: datetime, user: User, note_id: uuid.UUID, reaction: str | None
    ) -> None:
        assert self.people is not None
        gratitude_service.acknowledge(
            session=self.session,
            couple=self.people.couple,
            user=user,
            note_id=note_id,
            reaction=reaction,
            now=when,
        )
        self.counts["acknowledged"] += 1

    def _agreement_owner(self, which: str) -> User:
        assert self.people is not None
        return self.people.sam if which == "lunch" else self.people.maya

    def _check_in(self, when: datetime, which: str, message: str | None) -> None:
        assert self.people is not None
        agreements_service.check_in(
            session=self.session,
            couple=self.people.couple,
            user=self._agreement_owner(which),
            agreement_id=self.agreements[which],
            message=message,
            now=when,
        )
        self.counts["check_ins"] += 1

    def _running_late(self, when: datetime, which: str, minutes: int, message: str | None) -> None:
        assert self.people is not None
        agreements_service.send_late_notice(
            session=self.session,
            couple=self.people.couple,
            user=self._agreement_owner(which),
            agreement_id=self.agreements[which],
            minutes=minutes,
            message=message,
            now=when,
        )
        self.counts["late_notices"] += 1

    def _ask_reassurance(self, when: datetime, who: str) -> None:
        """One request; the partner answers within hours, or the asker says they are OK."""
        assert self.people is not None
        asker = getattr(self.people, who)
        note = self.reassurance_notes.draw() if who == "maya" and self.rng.random() < 0.6 else None
        request = reassurance_service.ask(
            session=self.session, couple=self.people.couple, user=asker, note=note, now=when
        )
        self.counts["reassurance"] += 1
        if self.rng.random() < 0.88:
            text = self.reassurance_answers.draw()
            delay = timedelta(seconds=self.rng.randint(4 * 60, 150 * 60))
            self.at(when + delay, lambda t: self._answer_reassurance(t, asker, request.id, text))
        else:
            delay = timedelta(seconds=self.rng.randint(30 * 60, 3 * 3600))
            self.at(when + delay, lambda t: self._withdraw_reassurance(t, asker, request.id))

    def _answer_reassurance(
        self, when: datetime, asker: User, request_id: uuid.UUID, text: str
    ) -> None:
        assert self.people is not None
        reassurance_service.answer(
            session=self.session,
            couple=self.people.couple,
            user=self._partner(asker),
            request_id=request_id,
            text=text,
            now=when,
        )
        self.counts["reassured"] += 1

    def _withdraw_reassurance(self, when: datetime, asker: User, request_id: uuid.UUID) -> None:
        assert self.people is not None
        reassurance_service.withdraw(
            session=self.session,
            couple=self.people.couple,
            user=asker,
            request_id=request_id,
            now=when,
        )

    def _commitment(self, which: str) -> uuid.UUID:
        commitment_id = {
            "text": self.text_commitment,
            "walk": self.walk_commitment,
            "one_off": self.one_off,
        }[which]
        assert commitment_id is not None
        return commitment_id

    def _owner(self, which: str) -> User:
        assert self.people is not None
        return self.people.maya if which == "walk" else self.people.sam

    def _record(
        self, when: datetime, which: str, on: date, status: str, note: str | None
    ) -> uuid.UUID:
        assert self.people is not None
        check = commitments_service.record_check(
            session=self.session,
            couple=self.people.couple,
            user=self._owner(which),
            commitment_id=self._commitment(which),
            date=on,
            status=status,
            note=note,
            now=when,
        )
        self.counts[f"checks_{status}"] += 1
        return check.id

    def _confirm(self, when: datetime, which: str, check_id: uuid.UUID) -> None:
        assert self.people is not None
        commitments_service.confirm_check(
            session=self.session,
            couple=self.people.couple,
            user=self._partner(self._owner(which)),
            commitment_id=self._commitment(which),
            check_id=check_id,
            now=when,
        )
        self.counts["confirmed"] += 1

    def _ask_now(self, when: datetime, who: str) -> None:
        assert self.people is not None
        asker = getattr(self.people, who)
        view = prompts_service.ask_now(
            session=self.session,
            couple=self.people.couple,
            user=asker,
            kind="check_in",
            prompt_id=None,
            now=when,
        )
        self.seen_rounds.add(view.id)
        self.counts["rounds"] += 1
        # The one who asked answers at once; the partner when they see it.
        day = self.day_of(when)
        self._plan_answer(view.id, "check_in", asker, when + timedelta(minutes=2), day)
        if self.rng.random() < 0.85:
            delay = timedelta(seconds=self.rng.randint(10 * 60, 4 * 3600))
            self._plan_answer(view.id, "check_in", self._partner(asker), when + delay, day)

    def _plan_new_rounds(self) -> None:
        """Rounds the worker just asked: plan who answers, and when."""
        assert self.people is not None
        page = prompts_service.list_rounds(
            session=self.session,
            couple=self.people.couple,
            user=self.people.maya,
            status="open",
            limit=5,  # newest first; a job asks at most one round per schedule
            cursor=None,
        )
        self._done()
        new = sorted(
            (r for r in page.items if r.id not in self.seen_rounds),
            key=lambda r: (r.asked_at, r.kind, r.prompt["text"]),
        )
        for view in new:
            self.seen_rounds.add(view.id)
            self.counts["rounds"] += 1
            day = self.day_of(view.asked_at)
            chance = 0.62 if day in self.rough else 0.9
            for user in (self.people.maya, self.people.sam):
                if self.rng.random() >= chance:
                    continue
                if self.rng.random() < 0.15:  # seen the next morning
                    next_day = timeutil.local_date(view.asked_at, TZ) + timedelta(days=1)
                    when = local(next_day, 7, 15) + timedelta(seconds=self.rng.randint(0, 7200))
                else:
                    when = view.asked_at + timedelta(seconds=self.rng.randint(60, 3 * 3600))
                self._plan_answer(view.id, view.kind, user, when, day)

    def _plan_answer(
        self, round_id: uuid.UUID, kind: str, user: User, when: datetime, day: int
    ) -> None:
        who = self._who(user)
        if kind == "check_in":
            rating = self.mood(day, who)
            band = "low" if rating <= 2 else "mid" if rating == 3 else "high"
            text = self.check_in_notes[band].draw() if self.rng.random() < 0.45 else None
        else:
            rating = None
            text = self.answers.draw().format(p=self._partner(user).display_name)
        self.at(when, lambda t: self._answer(t, round_id, user, text, rating))

    def _answer(
        self, when: datetime, round_id: uuid.UUID, user: User, text: str | None, rating: int | None
    ) -> None:
        assert self.people is not None
        prompts_service.answer_round(
            session=self.session,
            couple=self.people.couple,
            user=user,
            round_id=round_id,
            text=text,
            rating=rating,
            now=when,
        )
        self.counts["answers"] += 1


def _settle_outbox(factory: sessionmaker[Session], now: datetime) -> None:
    """Runs the dispatcher once over the history's notifications: the old ones are expired and
    the recent ones have no device to go to, so all end `skipped` and none is pushed later as
    news when someone signs in to the demo on a phone."""
    sender = LogSender()
    while (
        dispatch_once(session_factory=factory, sender=sender, now=now).claimed >= DEFAULT_BATCH_SIZE
    ):
        pass


@click.command("demo")
@with_appcontext
@click.option("--weeks", type=click.IntRange(2, 52), default=8, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed for the history.")
@click.option(
    "--password",
    default=None,
    help="Use this password for the three demo accounts (10-256 characters) instead of a "
    "random one drawn for this run, e.g. for a documented shared demo.",
)
def demo_command(weeks: int, seed: int, password: str | None) -> None:
    """Create a demo couple (Maya and Sam) and their therapist with weeks of history."""
    if (
        current_app.config.get("STEADY_ENV") == "production"
        or os.environ.get("STEADY_ENV") == "production"
    ):
        raise click.ClickException("Refusing to create demo accounts with STEADY_ENV=production.")
    if password is not None and not 10 <= len(password) <= 256:
        raise click.BadParameter("must be 10 to 256 characters.", param_hint="--password")
    password = password or readable_password()
    factory = session_factory()
    end = clock_now()
    with factory() as session:
        try:
            existing = session.scalars(select(User.email).where(User.email.in_(DEMO_EMAILS))).all()
            others = session.scalar(
                select(func.count(User.id)).where(User.email.not_in(DEMO_EMAILS))
            )
        except SQLAlchemyError as exc:
            raise click.ClickException(
                "Cannot read the users table; run `alembic upgrade head` on this database first."
            ) from exc
        session.commit()
        if existing:
            raise click.ClickException(
                f"Demo accounts already exist ({', '.join(sorted(existing))}); nothing was "
                "changed. Use a fresh database to create them again."
            )
        history = DemoHistory(
            session=session,
            factory=factory,
            rng=random.Random(seed),
            end=end,
            weeks=weeks,
            password=password,
        )
        history.set_up()
        history.run()
        session.commit()
        assert history.people is not None
        couple_id = history.people.couple.id
    if not others:  # only on a database holding nothing but the demo (see _settle_outbox)
        _settle_outbox(factory, end)

    c = history.counts
    click.echo(
        f"Demo history from {history.start.isoformat()} to "
        f"{timeutil.local_date(end, TZ).isoformat()} ({TIMEZONE}, seed {seed}): "
        f"{c['rounds']} rounds asked, {c['answers']} answers, {c['notes']} gratitude notes "
        f"({c['acknowledged']} acknowledged), {c['commitments']} commitments with "
        f"{c['checks_kept']} kept / {c['checks_missed']} missed checks "
        f"({c['confirmed']} confirmed), {c['agreements']} check-in agreements with "
        f"{c['check_ins']} check-ins and {c['late_notices']} running-late notices, "
        f"{c['reassurance']} reassurance requests ({c['reassured']} answered), "
        f"{c['assignments']} therapist assignment, "
        f"{c['journal']} journal entries by Maya ({c['journal_shared']} shared with "
        "Dr. Rivera)."
    )
    click.echo(f"Couple {couple_id}: Maya and Sam, with Dr. Rivera (summary_and_content).")
    click.echo("")
    click.echo("Logins (the same password for all three):")
    for name, email in (
        ("Maya (partner)", MAYA_EMAIL),
        ("Sam (partner)", SAM_EMAIL),
        ("Dr. Rivera (therapist)", THERAPIST_EMAIL),
    ):
        click.echo(f"  {name:<24} {email:<24} {password}")
    click.echo("")
    click.echo(
        "Next: `flask --app wsgi run`, open http://127.0.0.1:5000/docs, sign in with "
        "POST /v1/auth/login, then GET /v1/couple/progress "
        "(as Dr. Rivera: GET /v1/therapist/couples)."
    )
    click.echo(
        "Therapist workspace: `make run`, open http://127.0.0.1:8000/therapist/ and sign in as "
        f"Dr. Rivera ({THERAPIST_EMAIL})."
    )
