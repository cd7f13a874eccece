"""GET /v1/home through the test client: one call for the home screen, for paired and unpaired
partners, bounded lists with exact counts, a fixed number of statements, and an ETag that also
follows the viewer's inbox.

The clock starts on Monday 2026-11-23 at 12:00Z (13:00 in Paris, the partners' zone).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from api.i18n import Verbatim
from api.notifications import service as notifications_service
from api.prompts.models import Round
from tests.factories import pair
from tests.helpers import assert_error
from tests.history import fill

HOME = "/v1/home"
KEYS = {
    "couple",
    "rounds_awaiting_me",
    "gratitude_to_acknowledge",
    "checks_to_confirm",
    "my_commitments_today",
    "my_agreements_today",
    "open_reassurance_request",
    "counts",
}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def home(client, actor, **headers):
    response = client.get(HOME, headers={**actor.headers, **headers})
    assert response.status_code in (200, 304), response.get_json()
    return response


def body(client, actor) -> dict:
    response = home(client, actor)
    assert response.status_code == 200
    return response.get_json()


def post(client, actor, path: str, json: dict | None = None, status: int = 201) -> dict:
    response = client.post(path, headers=actor.headers, json=json)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def notify(factory, actor) -> None:
    """A notification as the worker writes them: no write the couple sees."""
    notifications_service.enqueue(
        session=factory.session,
        recipient_id=actor.user.id,
        kind="commitment_reminder",
        title=Verbatim("A promise is coming up"),
        body=Verbatim("Call at lunch"),
        now=factory.clock(),
    )
    factory.session.commit()


def ids(items: list[dict], *path: str) -> list[str]:
    found = []
    for item in items:
        for key in path:
            item = item[key]
        found.append(item["id"])
    return found


# --- who gets what ----------------------------------------------------------------------------


def test_an_unpaired_partner_gets_an_empty_home_and_their_unread_count(client, factory):
    solo = factory.partner()
    notify(factory, solo)
    notify(factory, solo)
    assert body(client, solo) == {
        "couple": None,
        "rounds_awaiting_me": [],
        "gratitude_to_acknowledge": [],
        "checks_to_confirm": [],
        "my_commitments_today": [],
        "my_agreements_today": [],
        "open_reassurance_request": None,
        "counts": {
            "rounds_awaiting_me": 0,
            "gratitude_to_acknowledge": 0,
            "checks_to_confirm": 0,
            "unread_notifications": 2,
        },
    }


def test_partners_only(client, factory):
    assert_error(client.get(HOME, headers=factory.therapist().headers), 403, "partners_only")
    assert_error(client.get(HOME), 401, "missing_token")


def test_the_home_gathers_what_waits_for_the_partner(client, factory, clock):
    first, second, couple_id = pair(factory)
    # Rounds: one the partner asked, one first asked (the asker answers too), one first
    # answered already.
    theirs = post(client, second, "/v1/couple/rounds", {"kind": "gratitude"})
    clock.advance(minutes=1)
    mine = post(client, first, "/v1/couple/rounds", {"kind": "check_in"})
    clock.advance(minutes=1)
    answered = post(client, second, "/v1/couple/rounds", {"kind": "gratitude"})
    post(client, first, f"/v1/couple/rounds/{answered['id']}/answers", {"text": "You"})
    # Notes: one acknowledged, one waiting, one first sent.
    thanked = post(client, second, "/v1/couple/gratitude", {"text": "For the soup"})
    post(client, first, f"/v1/couple/gratitude/{thanked['id']}/acknowledge", {}, status=200)
    clock.advance(minutes=1)
    waiting = post(client, second, "/v1/couple/gratitude", {"text": "For listening"})
    coffee = post(client, first, "/v1/couple/gratitude", {"text": "For the coffee"})
    # The partner's checks: kept (to confirm), kept and confirmed, missed.
    walk = post(client, second, "/v1/couple/commitments", {"title": "Walk", "due_time": "18:00"})
    kept = post(
        client,
        second,
        f"/v1/couple/commitments/{walk['id']}/checks",
        {"date": "2026-11-23", "status": "kept"},
    )
    call = post(client, second, "/v1/couple/commitments", {"title": "Call", "due_time": "19:00"})
    confirmed = post(
        client,
        second,
        f"/v1/couple/commitments/{call['id']}/checks",
        {"date": "2026-11-23", "status": "kept"},
    )
    post(
        client,
        first,
        f"/v1/couple/commitments/{call['id']}/checks/{confirmed['id']}/confirm",
        status=200,
    )
    # First's own commitments: due at 18:00 (recorded), at 20:00 once, at 09:00 (made after
    # today's 09:00, so first due tomorrow) and on Tuesdays.
    daily = post(client, first, "/v1/couple/commitments", {"title": "Text", "due_time": "18:00"})
    recorded = post(
        client,
        first,
        f"/v1/couple/commitments/{daily['id']}/checks",
        {"date": "2026-11-23", "status": "kept"},
    )
    once = post(
        client,
        first,
        "/v1/couple/commitments",
        {"title": "Flowers", "date": "2026-11-23", "due_time": "20:00"},
    )
    post(client, first, "/v1/couple/commitments", {"title": "Run", "due_time": "09:00"})
    post(
        client,
        first,
        "/v1/couple/commitments",
        {"title": "Gym", "due_time": "18:00", "days": ["tue"]},
    )
    # Agreements: first's at 14:00; the partner's is theirs.
    lunch = post(client, first, "/v1/couple/agreements", {"title": "Lunch", "time": "14:00"})
    post(client, second, "/v1/couple/agreements", {"time": "15:00"})
    # Reassurance: the partner asks; first's own request is not for first to answer.
    asked = post(client, second, "/v1/couple/reassurance-requests", {"note": "Long day"})
    post(client, first, "/v1/couple/reassurance-requests")

    answer = body(client, first)
    assert set(answer) == KEYS  # nothing else, nothing about when the partner was active
    assert answer["couple"] == {
        "id": str(couple_id),
        "since": "2026-11-23T12:00:00.000Z",
        "partner": {
            "id": second.id,
            "display_name": second.user.display_name,
            "timezone": "Europe/Paris",
        },
    }
    assert ids(answer["rounds_awaiting_me"]) == [mine["id"], theirs["id"]]
    assert answer["rounds_awaiting_me"][0]["partner_answer"] is None
    assert ids(answer["gratitude_to_acknowledge"]) == [waiting["id"]]
    [to_confirm] = answer["checks_to_confirm"]
    assert to_confirm["commitment"] == {"id": walk["id"], "title": "Walk"}
    assert to_confirm["check"]["id"] == kept["id"]
    assert [
        (t["commitment"]["title"], t["date"], t["due_at"], t["check"] and t["check"]["id"])
        for t in answer["my_commitments_today"]
    ] == [
        ("Text", "2026-11-23", "2026-11-23T17:00:00.000Z", recorded["id"]),
        ("Flowers", "2026-11-23", "2026-11-23T19:00:00.000Z", None),
    ]
    assert answer["my_commitments_today"][0]["commitment"] == {
        "id": daily["id"],
        "title": "Text",
        "due_time": "18:00",
        "timezone": "Europe/Paris",
    }
    assert once["id"] == answer["my_commitments_today"][1]["commitment"]["id"]
    assert answer["my_agreements_today"] == [
        {
            "agreement": {
                "id": lunch["id"],
                "title": "Lunch",
                "time": "14:00",
                "timezone": "Europe/Paris",
            },
            "date": "2026-11-23",
            "due_at": "2026-11-23T13:00:00.000Z",
            "status": "pending",
        }
    ]
    assert answer["open_reassurance_request"]["id"] == asked["id"]
    unread = client.get("/v1/me/notifications/unread-count", headers=first.headers).get_json()
    assert unread["count"] > 0
    assert answer["counts"] == {
        "rounds_awaiting_me": 2,
        "gratitude_to_acknowledge": 1,
        "checks_to_confirm": 1,
        "unread_notifications": unread["count"],
    }
    # The partner's home is their own.
    theirs_home = body(client, second)
    assert theirs_home["couple"]["partner"]["id"] == first.id
    assert ids(theirs_home["rounds_awaiting_me"]) == [answered["id"], mine["id"], theirs["id"]]
    assert ids(theirs_home["gratitude_to_acknowledge"]) == [coffee["id"]]
    assert [t["agreement"]["time"] for t in theirs_home["my_agreements_today"]] == ["15:00"]


def test_another_couples_objects_never_appear(client, factory, clock):
    first, second, _ = pair(factory)
    before, partners = body(client, first), body(client, second)
    outsider, other, _ = pair(factory)
    post(client, outsider, "/v1/couple/rounds", {"kind": "gratitude"})
    post(client, outsider, "/v1/couple/gratitude", {"text": "Thanks"})
    promise = post(
        client, outsider, "/v1/couple/commitments", {"title": "Call", "due_time": "18:00"}
    )
    post(
        client,
        outsider,
        f"/v1/couple/commitments/{promise['id']}/checks",
        {"date": "2026-11-23", "status": "kept"},
    )
    post(client, other, "/v1/couple/agreements", {"time": "15:00"})
    post(client, outsider, "/v1/couple/reassurance-requests")
    assert body(client, first) == before
    assert body(client, second) == partners
    # The other couple sees theirs.
    assert body(client, other)["counts"]["checks_to_confirm"] == 1


# --- bounds -----------------------------------------------------------------------------------


def _scheduled_rounds(session, couple_id, clock, n: int, apart: timedelta) -> None:
    """`n` scheduled check-in rounds, the newest `apart` ago (ask-now allows three at a time)."""
    session.execute(
        insert(Round),
        [
            {
                "id": uuid.uuid4(),
                "couple_id": couple_id,
                "kind": "check_in",
                "prompt_text": "How connected do you feel?",
                "asked_at": clock() - apart * (1 + i),
            }
            for i in range(n)
        ],
    )
    session.commit()


def test_lists_stop_at_20_and_the_counts_do_not(client, factory, session, clock):
    first, second, couple_id = pair(factory)
    _scheduled_rounds(session, couple_id, clock, 25, timedelta(hours=1))
    for n in range(25):
        clock.advance(seconds=1)
        post(client, second, "/v1/couple/gratitude", {"text": f"Thanks #{n}"})
    # Two daily promises of the partner's made 13 days ago, kept every day since: 28 checks.
    clock.set(utc(2026, 11, 10, 6, 0))
    promises = [
        post(client, second, "/v1/couple/commitments", {"title": t, "due_time": "08:00"})
        for t in ("Call", "Walk")
    ]
    for day in range(14):
        clock.set(utc(2026, 11, 10, 12, 0) + timedelta(days=day))
        for promise in promises:
            post(
                client,
                second,
                f"/v1/couple/commitments/{promise['id']}/checks",
                {"date": f"2026-11-{10 + day}", "status": "kept"},
            )
    answer = body(client, first)
    assert answer["counts"]["rounds_awaiting_me"] == 25
    assert answer["counts"]["gratitude_to_acknowledge"] == 25
    assert answer["counts"]["checks_to_confirm"] == 28
    assert len(answer["rounds_awaiting_me"]) == 20
    assert len(answer["gratitude_to_acknowledge"]) == 20
    assert len(answer["checks_to_confirm"]) == 20
    asked = [r["asked_at"] for r in answer["rounds_awaiting_me"]]
    assert asked == sorted(asked, reverse=True)
    assert answer["gratitude_to_acknowledge"][0]["text"] == "Thanks #24"
    dates = [c["check"]["date"] for c in answer["checks_to_confirm"]]
    assert dates == sorted(dates, reverse=True) and dates[0] == "2026-11-23"
    # Kept checks older than the last 14 days of first's calendar are not asked about.
    clock.advance(days=1)
    later = body(client, first)
    assert later["counts"]["checks_to_confirm"] == 26
    assert min(c["check"]["date"] for c in later["checks_to_confirm"]) >= "2026-11-11"


def test_a_full_list_and_one_more_are_counted_exactly(client, factory, session, clock):
    first, second, couple_id = pair(factory)
    _scheduled_rounds(session, couple_id, clock, 20, timedelta(minutes=1))
    for n in range(20):
        clock.advance(seconds=1)
        post(client, second, "/v1/couple/gratitude", {"text": f"Thanks #{n}"})
    full = body(client, first)
    assert full["counts"]["rounds_awaiting_me"] == len(full["rounds_awaiting_me"]) == 20
    assert full["counts"]["gratitude_to_acknowledge"] == 20
    _scheduled_rounds(session, couple_id, clock, 1, timedelta(minutes=1))
    post(client, second, "/v1/couple/gratitude", {"text": "One more"})
    more = body(client, first)
    assert more["counts"]["rounds_awaiting_me"] == 21 and len(more["rounds_awaiting_me"]) == 20
    assert more["counts"]["gratitude_to_acknowledge"] == 21
    assert len(more["gratitude_to_acknowledge"]) == 20


def _selects(statements) -> list[str]:
    return [sql for sql in statements if not sql.lstrip().upper().startswith("BEGIN")]


def test_the_statements_do_not_grow_with_the_history(client, factory, session, statements):
    small = pair(factory)
    large = pair(factory)
    small_rows = fill(
        session,
        small[2],
        small[0].user.id,
        small[1].user.id,
        notes=3,
        rounds=3,
        commitments=2,
        history_days=4,
        agreements=2,
        asks=3,
    )
    large_rows = fill(
        session,
        large[2],
        large[0].user.id,
        large[1].user.id,
        notes=300,
        rounds=300,
        commitments=2,
        history_days=200,
        agreements=2,
        asks=100,
    )
    assert 10 <= sum(small_rows) <= 30 and sum(large_rows) >= 1000
    counts = []
    for _, viewer, _ in (small, large):  # the second partner: something in every list
        statements.clear()
        answer = body(client, viewer)
        counts.append(len(_selects(statements)))
        assert answer["rounds_awaiting_me"] and answer["gratitude_to_acknowledge"]
        assert answer["checks_to_confirm"] and answer["my_commitments_today"]
        assert answer["my_agreements_today"]
    # Short lists are their own counts; a full list (the large history's) costs one count, and
    # there are three lists: more history costs nothing more than that.
    assert counts[0] < counts[1] <= counts[0] + 3
    # A tag that still holds costs the caller's statement and the inbox's, nothing more.
    tag = home(client, large[1]).headers["ETag"]
    statements.clear()
    assert home(client, large[1], **{"If-None-Match": tag}).status_code == 304
    assert len(_selects(statements)) == 2


# --- conditional ------------------------------------------------------------------------------


def test_the_tag_follows_the_viewers_inbox(client, factory):
    first, second, _ = pair(factory)
    start = home(client, first)
    unread = start.get_json()["counts"]["unread_notifications"]  # "You're paired"
    tag = start.headers["ETag"]
    assert home(client, first, **{"If-None-Match": tag}).status_code == 304
    # A notification arrives (a worker's reminder: no write the couple sees).
    notify(factory, first)
    arrived = home(client, first, **{"If-None-Match": tag})
    assert arrived.status_code == 200
    assert arrived.get_json()["counts"]["unread_notifications"] == unread + 1
    tag = arrived.headers["ETag"]
    assert home(client, first, **{"If-None-Match": tag}).status_code == 304
    # Someone else's inbox is not the viewer's.
    notify(factory, second)
    assert home(client, first, **{"If-None-Match": tag}).status_code == 304
    # The viewer reads one.
    item = client.get("/v1/me/notifications", headers=first.headers).get_json()["items"][0]
    client.post(f"/v1/me/notifications/{item['id']}/read", headers=first.headers)
    read = home(client, first, **{"If-None-Match": tag})
    assert read.status_code == 200
    assert read.get_json()["counts"]["unread_notifications"] == unread
    # Two arrive and all are read at once.
    notify(factory, first)
    notify(factory, first)
    tag = home(client, first).headers["ETag"]
    client.post("/v1/me/notifications/read-all", headers=first.headers)
    all_read = home(client, first, **{"If-None-Match": tag})
    assert all_read.status_code == 200
    assert all_read.get_json()["counts"]["unread_notifications"] == 0


def test_the_tag_of_an_unpaired_partner_follows_their_inbox(client, factory):
    solo = factory.partner()
    tag = home(client, solo).headers["ETag"]
    assert home(client, solo, **{"If-None-Match": tag}).status_code == 304
    notify(factory, solo)
    assert home(client, solo, **{"If-None-Match": tag}).status_code == 200


def test_the_home_holds_until_time_alone_changes_it(client, factory, clock):
    first, _, _ = pair(factory)
    post(client, first, "/v1/couple/agreements", {"time": "14:00"})  # 13:00Z, window 15 min
    tag = home(client, first).headers["ETag"]
    clock.set(utc(2026, 11, 23, 12, 59))
    assert home(client, first, **{"If-None-Match": tag}).status_code == 304
    clock.set(utc(2026, 11, 23, 13, 0))  # it falls due: still pending
    due = home(client, first, **{"If-None-Match": tag})
    assert due.status_code == 200
    assert due.get_json()["my_agreements_today"][0]["status"] == "pending"
    clock.set(utc(2026, 11, 23, 13, 15))  # its window ends without a word
    missed = home(client, first, **{"If-None-Match": due.headers["ETag"]})
    assert missed.status_code == 200
    assert missed.get_json()["my_agreements_today"][0]["status"] == "missed"


def test_todays_commitments_move_on_at_midnight_in_their_zone(client, factory, clock):
    first, _, _ = pair(factory)
    promise = post(
        client,
        first,
        "/v1/couple/commitments",
        {"title": "Call", "due_time": "09:00", "timezone": "Pacific/Auckland"},
    )
    # 13:00Z is 02:00 on Tuesday in Auckland: Tuesday's 09:00 is today's there.
    [today] = body(client, first)["my_commitments_today"]
    assert (today["date"], today["due_at"]) == ("2026-11-24", "2026-11-23T20:00:00.000Z")
    post(
        client,
        first,
        f"/v1/couple/commitments/{promise['id']}/checks",
        {"date": "2026-11-24", "status": "kept"},
    )
    clock.set(utc(2026, 11, 23, 20, 30))  # after its due time, before midnight in Paris
    tag = home(client, first).headers["ETag"]
    clock.set(utc(2026, 11, 24, 10, 59))  # 23:59 in Auckland (and the same day in Paris)
    assert home(client, first, **{"If-None-Match": tag}).status_code in (200, 304)
    clock.set(utc(2026, 11, 24, 11, 0))  # Wednesday in Auckland
    moved = home(client, first, **{"If-None-Match": tag})
    assert moved.status_code == 200
    [tomorrow] = moved.get_json()["my_commitments_today"]
    assert (tomorrow["date"], tomorrow["check"]) == ("2026-11-25", None)
