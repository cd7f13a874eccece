"""Schedules delivered `each_local`, end to end through the worker with an injected clock: each
partner is asked at the schedule's time in their own zone, in their own language."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from api.accounts.models import Device
from api.auth.tokens import hash_token
from api.notifications.models import Notification
from api.notifications.push import PushResult
from api.prompts.library import of_kind
from api.prompts.models import Round, Schedule
from api.worker import Worker, registered_jobs
from tests.factories import pair


class RecordingSender:
    """Sends everything, and remembers when each push went out."""

    name = "recording"

    def __init__(self):
        self.sent = []  # (instant, PushMessage)

    def send(self, messages, *, now):
        self.sent.extend((now, m) for m in messages)
        return [PushResult("sent", message_id="m") for _ in messages]


def add_device(factory, user):
    token = f"tok-{user.id}"
    factory.session.add(
        Device(
            user_id=user.id,
            token=token,
            token_hash=hash_token(token),
            platform="android",
            created_at=factory.clock(),
            last_seen_at=factory.clock(),
        )
    )
    factory.session.commit()


def couple_of(factory, *partners):
    """Partners given as (name, locale, zone), paired, each with a phone."""
    actors = [
        factory.partner(display_name=name, locale=locale, timezone=zone)
        for name, locale, zone in partners
    ]
    for actor in actors:
        add_device(factory, actor.user)
    return pair(factory, *actors)


def next_event(session) -> datetime:
    """The next instant the worker has something to do: a schedule or a waiting push."""
    session.commit()
    due = [
        session.scalar(select(func.min(Schedule.next_fire_at))),
        session.scalar(
            select(func.min(Notification.next_attempt_at)).where(Notification.status == "pending")
        ),
    ]
    return min(d for d in due if d is not None)


def run_until(session, worker, clock, until: datetime) -> None:
    """Moves the clock from event to event, one worker pass at each, up to `until`."""
    while (at := next_event(session)) <= until:
        clock.set(max(at, clock()))
        worker.run_once()


@pytest.fixture
def worker(session_factory, clock):
    sender = RecordingSender()
    return Worker(
        session_factory=session_factory, sender=sender, clock=clock, jobs=registered_jobs()
    )


def pushes_to(worker, actor):
    return [
        (at, m)
        for at, m in worker.sender.sent
        if m.kind == "prompt" and m.token.endswith(str(actor.user.id))
    ]


def test_spanish_and_german_partners_each_at_20_00_in_their_own_language(
    client, session, factory, clock, worker
):
    # The clock starts on Monday 2026-11-23 at 12:00Z.
    lucia, jonas, _ = couple_of(
        factory,
        ("Lucía", "es-MX", "America/Mexico_City"),  # UTC-6 all year
        ("Jonas", "de", "Europe/Berlin"),  # UTC+1 in winter
    )
    made = client.post(
        "/v1/couple/schedules", headers=lucia.headers, json={"kind": "gratitude", "time": "20:00"}
    )
    assert made.status_code == 201
    assert made.get_json()["delivery"] == "each_local"
    # Berlin's 20:00 comes first: the round exists from then.
    assert made.get_json()["next_fire_at"] == "2026-11-23T19:00:00.000Z"

    clock.set(datetime(2026, 11, 23, 18, 59, tzinfo=UTC))
    worker.run_once()
    assert pushes_to(worker, jonas) == pushes_to(worker, lucia) == []

    clock.set(datetime(2026, 11, 23, 19, 0, tzinfo=UTC))
    worker.run_once()
    prompt = of_kind("gratitude")[0]
    [(at, to_jonas)] = pushes_to(worker, jonas)
    assert at == clock()
    assert (to_jonas.title, to_jonas.body) == ("Eine Frage für euch beide", prompt.texts["de"])
    assert pushes_to(worker, lucia) == []
    # Lucía's waits for her evening, and her inbox says so; the round is already there.
    inbox = client.get("/v1/me/notifications", headers=lucia.headers).get_json()["items"]
    [waiting] = [n for n in inbox if n["kind"] == "prompt"]
    assert (waiting["status"], waiting["deliver_after"]) == (
        "pending",
        "2026-11-24T02:00:00.000Z",
    )
    assert (waiting["title"], waiting["body"]) == (
        "Una pregunta para ustedes dos",
        prompt.texts["es"],
    )
    [round_] = client.get("/v1/couple/rounds", headers=lucia.headers).get_json()["items"]
    assert round_["prompt"] == {"id": str(prompt.id), "text": prompt.texts["es"], "locale": "es"}
    assert round_["asked_at"] == "2026-11-23T19:00:00.000Z"

    clock.set(datetime(2026, 11, 24, 1, 59, tzinfo=UTC))
    worker.run_once()
    assert pushes_to(worker, lucia) == []
    clock.set(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    worker.run_once()
    [(at, to_lucia)] = pushes_to(worker, lucia)
    assert at.astimezone(ZoneInfo("America/Mexico_City")).time() == time(20, 0)
    assert (to_lucia.title, to_lucia.body) == ("Una pregunta para ustedes dos", prompt.texts["es"])
    assert to_lucia.data == to_jonas.data == {"round_id": round_["id"]}

    # A week on, every evening the same: 20:00 for each, in their own language, one round a day.
    run_until(session, worker, clock, datetime(2026, 11, 30, 12, tzinfo=UTC))
    for actor, zone, tag in (
        (jonas, "Europe/Berlin", "de"),
        (lucia, "America/Mexico_City", "es"),
    ):
        sent = pushes_to(worker, actor)
        local = [at.astimezone(ZoneInfo(zone)) for at, _ in sent]
        assert [t.time() for t in local] == [time(20, 0)] * 7
        assert [t.date() for t in local] == [
            date(2026, 11, 23) + timedelta(days=n) for n in range(7)
        ]
        assert [m.body for _, m in sent] == [p.texts[tag] for p in of_kind("gratitude")[:7]]
    assert session.scalar(select(func.count()).select_from(Round)) == 7


@pytest.mark.parametrize(
    ("partners", "start"),
    [
        # Nine hours apart; the US moves on 14 March 2027, Europe only on 28 March.
        (
            (("Jonas", "de", "Europe/Berlin"), ("Sam", "en-US", "America/Los_Angeles")),
            datetime(2027, 3, 10, 12, tzinfo=UTC),
        ),
        # Nine hours apart; Tokyo never moves, London does on 28 March.
        (
            (("Yui", "en", "Asia/Tokyo"), ("Ana", "pt-BR", "Europe/London")),
            datetime(2027, 3, 24, 0, tzinfo=UTC),
        ),
    ],
)
def test_a_couple_nine_hours_apart_across_a_change_in_one_zone(
    client, session, factory, clock, worker, partners, start
):
    clock.set(start)
    first, second, _ = couple_of(factory, *partners)
    made = client.post(
        "/v1/couple/schedules", headers=first.headers, json={"kind": "check_in", "time": "20:00"}
    )
    assert made.status_code == 201
    run_until(session, worker, clock, start + timedelta(days=21))
    for actor, (_, _, zone) in zip((first, second), partners, strict=True):
        local = [at.astimezone(ZoneInfo(zone)) for at, _ in pushes_to(worker, actor)]
        assert len(local) == 21
        assert {t.time() for t in local} == {time(20, 0)}, zone
        first_day = local[0].date()
        assert [t.date() for t in local] == [first_day + timedelta(days=n) for n in range(21)]
    assert session.scalar(select(func.count()).select_from(Round)) == 21


def test_together_asks_both_at_the_schedules_zone(client, session, factory, clock, worker):
    lucia, jonas, _ = couple_of(
        factory,
        ("Lucía", "es-MX", "America/Mexico_City"),
        ("Jonas", "de", "Europe/Berlin"),
    )
    client.post(
        "/v1/couple/schedules",
        headers=jonas.headers,
        json={"kind": "gratitude", "time": "20:00", "delivery": "together"},
    )
    run_until(session, worker, clock, datetime(2026, 11, 24, 12, tzinfo=UTC))
    [(at_jonas, _)] = pushes_to(worker, jonas)
    [(at_lucia, to_lucia)] = pushes_to(worker, lucia)
    # Both at 20:00 in Berlin (the creator's zone), each still in their own language.
    assert at_jonas == at_lucia == datetime(2026, 11, 23, 19, tzinfo=UTC)
    assert to_lucia.body == of_kind("gratitude")[0].texts["es"]


def test_a_schedule_rotates_within_its_categories(client, session, factory, clock, worker):
    first, _, _ = couple_of(
        factory, ("Ana", "pt-BR", "America/Sao_Paulo"), ("Rui", "pt", "America/Sao_Paulo")
    )
    client.post(
        "/v1/couple/schedules",
        headers=first.headers,
        json={"kind": "check_in", "time": "20:00", "categories": ["memories", "dreams"]},
    )
    run_until(session, worker, clock, datetime(2026, 11, 28, 12, tzinfo=UTC))
    chosen = [p for p in of_kind("check_in") if p.category in ("memories", "dreams")]
    asked = session.scalars(select(Round).order_by(Round.asked_at)).all()
    assert [r.prompt_id for r in asked] == [p.id for p in chosen[: len(asked)]]
    assert len(asked) == 5
    assert [m.body for _, m in pushes_to(worker, first)] == [p.texts["pt-BR"] for p in chosen[:5]]


def test_a_partner_who_moves_moves_the_couples_evening(client, session, factory, clock):
    lucia, jonas, _ = couple_of(
        factory,
        ("Lucía", "es-MX", "America/Mexico_City"),
        ("Jonas", "de", "Europe/Berlin"),
    )
    made = client.post(
        "/v1/couple/schedules", headers=lucia.headers, json={"kind": "gratitude", "time": "20:00"}
    ).get_json()
    together = client.post(
        "/v1/couple/schedules",
        headers=lucia.headers,
        json={"kind": "check_in", "time": "20:00", "delivery": "together"},
    ).get_json()
    before = client.get("/v1/couple", headers=lucia.headers).headers.get("ETag")
    # Jonas moves to Mexico City too: the first evening is now both theirs, 02:00Z.
    moved = client.patch("/v1/me", headers=jonas.headers, json={"timezone": "America/Mexico_City"})
    assert moved.status_code == 200
    got = client.get(f"/v1/couple/schedules/{made['id']}", headers=lucia.headers).get_json()
    assert got["next_fire_at"] == "2026-11-24T02:00:00.000Z"
    # A together schedule keeps its own zone.
    kept = client.get(f"/v1/couple/schedules/{together['id']}", headers=lucia.headers).get_json()
    assert kept["next_fire_at"] == together["next_fire_at"]
    assert client.get("/v1/couple", headers=lucia.headers).headers.get("ETag") != before
