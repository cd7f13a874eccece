"""Check-in agreements through the test client.

The clock starts on Monday 2026-11-23 at 12:00Z (13:00 in Paris, the partners' zone).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from api.agreements.models import Agreement, CheckIn
from api.notifications.models import Notification
from tests.factories import pair
from tests.helpers import assert_error, assert_invalid_fields

AGREEMENTS = "/v1/couple/agreements"


def at(value: str | None) -> datetime | None:
    """An instant from a response, whatever its fractional digits or zone suffix."""
    return None if value is None else datetime.fromisoformat(value)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def create(client, actor, **body):
    body.setdefault("time", "13:00")  # due at 12:00Z, the clock's now
    return client.post(AGREEMENTS, headers=actor.headers, json=body)


def made(client, actor, **body) -> dict:
    response = create(client, actor, **body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def check_in(client, actor, agreement_id, **body):
    return client.post(f"{AGREEMENTS}/{agreement_id}/check-ins", headers=actor.headers, json=body)


def late(client, actor, agreement_id, **body):
    body.setdefault("minutes", 20)
    return client.post(f"{AGREEMENTS}/{agreement_id}/late", headers=actor.headers, json=body)


def occurrences(client, actor, agreement_id, query: str = "") -> dict:
    response = client.get(f"{AGREEMENTS}/{agreement_id}/occurrences{query}", headers=actor.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def notifications(session, kind):
    session.commit()
    return session.scalars(
        select(Notification).where(Notification.kind == kind).order_by(Notification.created_at)
    ).all()


# --- agreements -------------------------------------------------------------------------------


def test_make_an_agreement_with_the_defaults(client, couple):
    first, _, _ = couple
    response = create(client, first, time="12:30", days=["fri", "mon", "tue", "wed", "thu"])
    assert response.status_code == 201
    body = response.get_json()
    assert body["owner_id"] == first.id
    assert body["title"] == "Check in"
    assert body["days"] == ["mon", "tue", "wed", "thu", "fri"]
    assert (body["time"], body["timezone"]) == ("12:30", "Europe/Paris")
    assert (body["window_minutes"], body["remind_before_minutes"]) == (15, 10)
    assert (body["on_time_rate_28d"], body["informed_rate_28d"]) == (None, None)
    # Today's 12:30 had passed when it was made: the first occurrence is tomorrow's.
    assert at(body["next_due_at"]) == utc(2026, 11, 24, 11, 30)
    assert at(body["created_at"]) == utc(2026, 11, 23, 12, 0)


def test_make_an_agreement_with_everything(client, couple):
    first, _, _ = couple
    body = made(
        client,
        first,
        title="Message when I land",
        time="18:45",
        window_minutes=30,
        remind_before_minutes=0,
        timezone="America/New_York",
    )
    assert body["days"] is None
    assert (body["title"], body["window_minutes"], body["remind_before_minutes"]) == (
        "Message when I land",
        30,
        0,
    )
    assert at(body["next_due_at"]) == utc(2026, 11, 23, 23, 45)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"days": []}, "days"),
        ({"days": ["mon", "mon"]}, "days"),
        ({"days": ["monday"]}, "days"),
        ({"time": "24:00"}, "time"),
        ({"time": "1230"}, "time"),
        ({"time": None}, "time"),
        ({"window_minutes": 4}, "window_minutes"),
        ({"window_minutes": 121}, "window_minutes"),
        ({"window_minutes": "15"}, "window_minutes"),
        ({"remind_before_minutes": -1}, "remind_before_minutes"),
        ({"remind_before_minutes": 121}, "remind_before_minutes"),
        ({"timezone": "Paris"}, "timezone"),
        ({"owner_id": "someone"}, "owner_id"),
    ],
)
def test_agreement_input_is_validated(client, couple, overrides, field):
    first, _, _ = couple
    assert_invalid_fields(create(client, first, **overrides), field)


def test_the_time_is_required(client, couple):
    first, _, _ = couple
    response = client.post(AGREEMENTS, headers=first.headers, json={"title": "Call"})
    assert_invalid_fields(response, "time")


def test_list_by_owner(client, couple, clock):
    first, second, _ = couple
    mine = made(client, first)
    clock.advance(seconds=1)
    theirs = made(client, second, title="Good-night text", time="22:30")
    everything = client.get(AGREEMENTS, headers=first.headers).get_json()
    assert [a["id"] for a in everything["items"]] == [theirs["id"], mine["id"]]
    assert everything["next_cursor"] is None
    me = client.get(f"{AGREEMENTS}?owner=me", headers=first.headers).get_json()
    partner = client.get(f"{AGREEMENTS}?owner=partner", headers=first.headers).get_json()
    assert [a["id"] for a in me["items"]] == [mine["id"]]
    assert [a["id"] for a in partner["items"]] == [theirs["id"]]
    page = client.get(f"{AGREEMENTS}?limit=1", headers=first.headers).get_json()
    assert [a["id"] for a in page["items"]] == [theirs["id"]] and page["next_cursor"]
    rest = client.get(
        AGREEMENTS, headers=first.headers, query_string={"cursor": page["next_cursor"]}
    ).get_json()
    assert [a["id"] for a in rest["items"]] == [mine["id"]]
    assert_invalid_fields(
        client.get(f"{AGREEMENTS}?owner=them", headers=first.headers), "owner", location="query"
    )
    assert_invalid_fields(
        client.get(f"{AGREEMENTS}?status=open", headers=first.headers), "status", location="query"
    )


def test_only_the_owner_changes_or_deletes(client, couple):
    first, second, _ = couple
    a = made(client, first)
    path = f"{AGREEMENTS}/{a['id']}"
    assert_error(client.patch(path, headers=second.headers, json={"title": "x"}), 403, "not_owner")
    assert_error(client.delete(path, headers=second.headers), 403, "not_owner")
    changed = client.patch(
        path,
        headers=first.headers,
        json={"title": "Lunch check-in", "time": "14:00", "days": ["tue"], "window_minutes": 5},
    )
    assert changed.status_code == 200
    body = changed.get_json()
    assert (body["title"], body["time"], body["days"], body["window_minutes"]) == (
        "Lunch check-in",
        "14:00",
        ["tue"],
        5,
    )
    assert at(body["next_due_at"]) == utc(2026, 11, 24, 13, 0)
    assert at(body["updated_at"]) == utc(2026, 11, 23, 12, 0)
    assert client.get(path, headers=second.headers).get_json()["title"] == "Lunch check-in"
    assert client.patch(path, headers=first.headers).status_code == 200  # no body: no change
    assert_invalid_fields(
        client.patch(path, headers=first.headers, json={"window_minutes": 200}), "window_minutes"
    )
    assert_invalid_fields(client.patch(path, headers=first.headers, json={"days": []}), "days")


def test_deleting_hides_it_and_its_occurrences(client, couple):
    first, second, _ = couple
    a = made(client, first)
    assert check_in(client, first, a["id"]).status_code == 201
    path = f"{AGREEMENTS}/{a['id']}"
    assert client.delete(path, headers=first.headers).status_code == 204
    assert_error(client.get(path, headers=first.headers), 404, "not_found")
    assert_error(client.get(f"{path}/occurrences", headers=second.headers), 404, "not_found")
    assert_error(check_in(client, first, a["id"]), 404, "not_found")
    assert client.get(AGREEMENTS, headers=first.headers).get_json()["items"] == []
    assert_error(client.delete(path, headers=first.headers), 404, "not_found")


def test_another_couple_sees_nothing(client, factory, couple):
    first, _, _ = couple
    a = made(client, first)
    outsider, _, _ = pair(factory)
    base = f"{AGREEMENTS}/{a['id']}"
    for call, path in [
        (client.get, base),
        (client.delete, base),
        (client.get, f"{base}/occurrences"),
    ]:
        assert_error(call(path, headers=outsider.headers), 404, "not_found")
    assert_error(
        client.patch(base, headers=outsider.headers, json={"title": "x"}), 404, "not_found"
    )
    assert_error(check_in(client, outsider, a["id"]), 404, "not_found")
    assert_error(late(client, outsider, a["id"]), 404, "not_found")
    assert client.get(AGREEMENTS, headers=outsider.headers).get_json()["items"] == []


def test_agreements_refuse_therapists_and_the_unpaired(client, factory):
    therapist, loner = factory.therapist(), factory.partner()
    assert_error(create(client, therapist), 403, "partners_only")
    assert_error(create(client, loner), 404, "not_paired")
    assert_error(client.get(AGREEMENTS, headers=loner.headers), 404, "not_paired")


def test_making_an_agreement_is_idempotent(client, couple):
    first, _, _ = couple
    headers = {**first.headers, "Idempotency-Key": "agreement-1"}
    body = {"time": "12:30", "title": "Lunch"}
    created = client.post(AGREEMENTS, headers=headers, json=body)
    again = client.post(AGREEMENTS, headers=headers, json=body)
    assert created.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == created.get_json()
    assert len(client.get(AGREEMENTS, headers=first.headers).get_json()["items"]) == 1


# --- check-ins --------------------------------------------------------------------------------


def test_checking_in_tells_the_partner_without_the_words(client, session, couple):
    first, second, _ = couple
    a = made(client, first)
    response = check_in(client, first, a["id"], message="On my lunch break, all good")
    assert response.status_code == 201
    body = response.get_json()
    assert (body["date"], body["status"], body["message"]) == (
        "2026-11-23",
        "on_time",
        "On my lunch break, all good",
    )
    assert at(body["due_at"]) == at(body["at"]) == utc(2026, 11, 23, 12, 0)
    [pushed] = notifications(session, "partner_checked_in")
    assert pushed.recipient_id == second.user.id
    assert pushed.data == {"agreement_id": a["id"], "check_in_id": body["id"]}
    assert first.user.display_name in pushed.title
    assert "lunch" not in pushed.body.lower()  # the message stays in the app
    assert notifications(session, "partner_running_late") == []
    assert_error(check_in(client, first, a["id"]), 409, "already_checked_in")


def test_a_check_in_without_a_body(client, couple):
    first, _, _ = couple
    a = made(client, first)
    response = client.post(f"{AGREEMENTS}/{a['id']}/check-ins", headers=first.headers)
    assert response.status_code == 201
    assert response.get_json()["message"] is None


def test_early_counts_as_on_time_and_after_the_window_is_late(client, couple, clock):
    first, _, _ = couple
    early = made(client, first, time="14:30")  # due 13:30Z: 90 minutes ahead
    assert check_in(client, first, early["id"]).get_json()["status"] == "on_time"
    slow = made(client, first, time="13:00", window_minutes=10)  # due now
    clock.advance(minutes=10)
    assert check_in(client, first, slow["id"]).get_json()["status"] == "on_time"
    later = made(client, first, time="15:00", window_minutes=10)  # due 14:00Z
    clock.set(utc(2026, 11, 24, 1, 59))  # 11h59 after
    body = check_in(client, first, later["id"]).get_json()
    assert (body["status"], body["date"]) == ("late", "2026-11-23")


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (utc(2026, 11, 23, 9, 59), 422),  # 2 h 1 min before
        (utc(2026, 11, 23, 10, 0), 201),  # 2 h before
        (utc(2026, 11, 24, 0, 0), 201),  # 12 h after
        (utc(2026, 11, 24, 0, 1), 422),  # 12 h 1 min after: not tomorrow's either
    ],
)
def test_a_check_in_needs_an_occurrence_near(client, couple, clock, when, expected):
    first, _, _ = couple
    clock.set(utc(2026, 11, 23, 9, 0))
    a = made(client, first)  # 13:00 Paris, due 12:00Z
    clock.set(when)
    response = check_in(client, first, a["id"])
    if expected == 422:
        assert_error(response, 422, "not_due")
    else:
        assert response.status_code == 201
        assert response.get_json()["date"] == "2026-11-23"


def test_a_check_in_on_a_day_that_is_not_due(client, couple, clock):
    first, _, _ = couple
    a = made(client, first, days=["tue"])
    assert_error(check_in(client, first, a["id"]), 422, "not_due")
    clock.advance(days=1)
    assert check_in(client, first, a["id"]).get_json()["date"] == "2026-11-24"


def test_only_the_owner_checks_in(client, couple):
    first, second, _ = couple
    a = made(client, first)
    assert_error(check_in(client, second, a["id"]), 403, "not_owner")
    assert_error(late(client, second, a["id"]), 403, "not_owner")


def test_check_in_message_is_validated(client, couple):
    first, _, _ = couple
    a = made(client, first)
    assert_invalid_fields(check_in(client, first, a["id"], message=""), "message")
    assert_invalid_fields(check_in(client, first, a["id"], message="x" * 281), "message")
    assert_invalid_fields(check_in(client, first, a["id"], mood="fine"), "mood")


def test_checking_in_is_idempotent(client, session, couple):
    first, _, _ = couple
    a = made(client, first)
    headers = {**first.headers, "Idempotency-Key": "check-in-1"}
    path = f"{AGREEMENTS}/{a['id']}/check-ins"
    created = client.post(path, headers=headers, json={"message": "Here"})
    again = client.post(path, headers=headers, json={"message": "Here"})
    assert (created.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == created.get_json()
    assert len(notifications(session, "partner_checked_in")) == 1


# --- running late -----------------------------------------------------------------------------


def test_running_late_tells_the_partner_at_once(client, session, couple, clock):
    first, second, _ = couple
    a = made(client, first, time="13:30")  # due 12:30Z
    response = late(client, first, a["id"], minutes=25, message="Train stuck at Châtelet")
    assert response.status_code == 201
    body = response.get_json()
    assert (body["date"], body["minutes"], body["message"]) == (
        "2026-11-23",
        25,
        "Train stuck at Châtelet",
    )
    assert at(body["due_at"]) == utc(2026, 11, 23, 12, 30)
    assert at(body["at"]) == utc(2026, 11, 23, 12, 0)
    [pushed] = notifications(session, "partner_running_late")
    assert pushed.recipient_id == second.user.id
    assert pushed.data == {"agreement_id": a["id"], "late_notice_id": body["id"]}
    assert "25 minutes" in pushed.body and "Châtelet" not in pushed.body
    assert pushed.expires_at == utc(2026, 11, 23, 12, 55)
    assert_error(late(client, first, a["id"]), 409, "already_noticed")
    # Checking in afterwards is still welcome; the occurrence stays "late_notice".
    clock.advance(minutes=50)
    assert check_in(client, first, a["id"]).get_json()["status"] == "late"
    [occurrence] = occurrences(client, second, a["id"])["items"]
    assert occurrence["status"] == "late_notice"
    assert occurrence["late_notice"]["message"] == "Train stuck at Châtelet"


def test_a_late_notice_only_until_the_window_ends(client, couple, clock):
    first, _, _ = couple
    clock.set(utc(2026, 11, 23, 9, 0))
    a = made(client, first)  # due 12:00Z, window 15 minutes
    clock.set(utc(2026, 11, 23, 9, 59))
    assert_error(late(client, first, a["id"]), 422, "not_due")
    clock.set(utc(2026, 11, 23, 12, 16))
    assert_error(late(client, first, a["id"]), 422, "not_due")
    clock.set(utc(2026, 11, 23, 12, 15))
    assert late(client, first, a["id"]).status_code == 201


def test_no_late_notice_after_checking_in(client, couple):
    first, _, _ = couple
    a = made(client, first)
    check_in(client, first, a["id"])
    assert_error(late(client, first, a["id"]), 409, "already_checked_in")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"minutes": 4}, "minutes"),
        ({"minutes": 241}, "minutes"),
        ({"minutes": "20"}, "minutes"),
        ({"minutes": None}, "minutes"),
        ({"minutes": 20, "message": ""}, "message"),
        ({"minutes": 20, "message": "x" * 281}, "message"),
    ],
)
def test_late_notice_input_is_validated(client, couple, body, field):
    first, _, _ = couple
    a = made(client, first)
    response = client.post(f"{AGREEMENTS}/{a['id']}/late", headers=first.headers, json=body)
    assert_invalid_fields(response, field)


def test_running_late_is_idempotent(client, session, couple):
    first, _, _ = couple
    a = made(client, first)
    headers = {**first.headers, "Idempotency-Key": "late-1"}
    path = f"{AGREEMENTS}/{a['id']}/late"
    created = client.post(path, headers=headers, json={"minutes": 10})
    again = client.post(path, headers=headers, json={"minutes": 10})
    assert (created.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(notifications(session, "partner_running_late")) == 1


# --- occurrences and rates --------------------------------------------------------------------


def test_a_week_of_occurrences_and_the_rates(client, couple, clock):
    """Daily at 13:00 Paris (12:00Z), made the Monday before: each status once."""
    first, second, _ = couple
    clock.set(utc(2026, 11, 16, 8, 0))
    a = made(client, first)
    steps = [
        (utc(2026, 11, 16, 12, 5), "check_in"),  # Mon: on time
        (utc(2026, 11, 17, 12, 40), "check_in"),  # Tue: late
        (utc(2026, 11, 18, 11, 50), "late"),  # Wed: word sent
        (utc(2026, 11, 18, 12, 30), "check_in"),  # ... then checked in
        # Thu: nothing at all (missed)
        (utc(2026, 11, 20, 11, 30), "check_in"),  # Fri: early, on time
        (utc(2026, 11, 21, 12, 10), "late"),  # Sat: word sent, never checked in
        # Sun: missed
    ]
    for instant, what in steps:
        clock.set(instant)
        response = (
            check_in(client, first, a["id"]) if what == "check_in" else late(client, first, a["id"])
        )
        assert response.status_code == 201, response.get_json()
    clock.set(utc(2026, 11, 23, 12, 5))  # Monday, inside today's window
    body = occurrences(client, second, a["id"])
    assert [(o["date"], o["status"]) for o in body["items"]] == [
        ("2026-11-23", "pending"),
        ("2026-11-22", "missed"),
        ("2026-11-21", "late_notice"),
        ("2026-11-20", "on_time"),
        ("2026-11-19", "missed"),
        ("2026-11-18", "late_notice"),
        ("2026-11-17", "late"),
        ("2026-11-16", "on_time"),
    ]
    assert body["next_cursor"] is None
    wednesday = body["items"][5]
    assert at(wednesday["due_at"]) == utc(2026, 11, 18, 12, 0)
    assert at(wednesday["notice_at"]) == utc(2026, 11, 18, 11, 50)
    assert at(wednesday["check_in_at"]) == utc(2026, 11, 18, 12, 30)
    assert wednesday["check_in"]["status"] == "late"
    missed = body["items"][4]
    assert (missed["check_in_at"], missed["notice_at"], missed["check_in"]) == (None, None, None)
    # Today's pending occurrence is not due yet: 7 due, 2 on time, 2 more with word sent.
    got = client.get(f"{AGREEMENTS}/{a['id']}", headers=second.headers).get_json()
    assert got["on_time_rate_28d"] == pytest.approx(2 / 7)
    assert got["informed_rate_28d"] == pytest.approx(4 / 7)
    clock.set(utc(2026, 11, 23, 12, 15))  # today's window has ended
    got = client.get(f"{AGREEMENTS}/{a['id']}", headers=second.headers).get_json()
    assert got["on_time_rate_28d"] == pytest.approx(2 / 8)
    assert occurrences(client, second, a["id"])["items"][0]["status"] == "missed"


def test_occurrences_are_paged_newest_first(client, couple, clock):
    first, _, _ = couple
    clock.set(utc(2026, 11, 2, 8, 0))
    a = made(client, first, days=["mon", "wed", "fri"])
    clock.set(utc(2026, 11, 23, 12, 5))
    seen, cursor = [], None
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get(
            f"{AGREEMENTS}/{a['id']}/occurrences", headers=first.headers, query_string=query
        ).get_json()
        assert len(page["items"]) <= 3
        seen += [o["date"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [
        "2026-11-23",
        "2026-11-20",
        "2026-11-18",
        "2026-11-16",
        "2026-11-13",
        "2026-11-11",
        "2026-11-09",
        "2026-11-06",
        "2026-11-04",
        "2026-11-02",
    ]
    # A cursor belongs to the agreement that gave it.
    other = made(client, first)
    page = occurrences(client, first, a["id"], "?limit=1")
    response = client.get(
        f"{AGREEMENTS}/{other['id']}/occurrences",
        headers=first.headers,
        query_string={"cursor": page["next_cursor"]},
    )
    assert_error(response, 422, "invalid_cursor")
    assert_invalid_fields(
        client.get(f"{AGREEMENTS}/{a['id']}/occurrences?limit=0", headers=first.headers),
        "limit",
        location="query",
    )


def test_a_new_agreement_has_no_occurrence_yet(client, couple):
    first, _, _ = couple
    a = made(client, first, time="12:30")  # today's 12:30 had passed
    assert occurrences(client, first, a["id"]) == {"items": [], "next_cursor": None}


# --- the therapist ----------------------------------------------------------------------------


def _therapist_with(client, factory, couple, scope):
    first, second, couple_id = couple
    therapist = factory.therapist()
    code = client.post("/v1/therapist/link-codes", headers=therapist.headers).get_json()["code"]
    grant = client.post(
        "/v1/couple/therapists", headers=first.headers, json={"code": code, "scope": scope}
    ).get_json()
    client.post(f"/v1/couple/therapists/{grant['id']}/approve", headers=second.headers)
    return therapist, f"/v1/therapist/couples/{couple_id}/agreements", grant


@pytest.mark.parametrize("scope", ["summary", "summary_and_content"])
def test_the_therapist_sees_the_rates_and_titles_only_with_content(
    client, factory, couple, clock, scope
):
    first, second, _ = couple
    a = made(client, first, title="Lunch text")
    check_in(client, first, a["id"])
    made(client, second, title="Good night", time="22:00")
    client.delete(
        f"{AGREEMENTS}/{made(client, second, title='Gone')['id']}", headers=second.headers
    )
    therapist, path, grant = _therapist_with(client, factory, couple, scope)
    response = client.get(path, headers=therapist.headers)
    assert response.status_code == 200
    items = {i["owner_id"]: i for i in response.get_json()["items"]}
    assert len(response.get_json()["items"]) == 2
    mine = items[first.id]
    assert mine["title"] == ("Lunch text" if scope == "summary_and_content" else None)
    assert (mine["on_time_rate_28d"], mine["informed_rate_28d"]) == (1.0, 1.0)
    assert (mine["time"], mine["timezone"], mine["window_minutes"]) == ("13:00", "Europe/Paris", 15)
    assert set(mine) >= {"id", "days", "created_at"}
    log = client.get(
        f"/v1/couple/therapists/{grant['id']}/access-log", headers=first.headers
    ).get_json()["items"]
    assert "agreements.read" in {entry["action"] for entry in log}


def test_the_therapist_needs_a_grant(client, factory, couple):
    _, _, couple_id = couple
    stranger = factory.therapist()
    response = client.get(f"/v1/therapist/couples/{couple_id}/agreements", headers=stranger.headers)
    assert_error(response, 404, "not_found")
    partner = couple[0]
    response = client.get(f"/v1/therapist/couples/{couple_id}/agreements", headers=partner.headers)
    assert_error(response, 403, "therapist_only")


# --- export, erasure, unpairing ---------------------------------------------------------------


def test_export_holds_own_agreements_and_erasure_removes_them(client, session, couple, clock):
    first, second, _ = couple
    mine = made(client, first, title="Lunch text")
    check_in(client, first, mine["id"], message="Here!")
    theirs = made(client, second, time="13:30")
    late(client, second, theirs["id"], minutes=15, message="Bus")
    exported = client.get("/v1/me/export", headers=first.headers).get_json()
    [agreement] = exported["couples"][0]["agreements"]
    assert (agreement["id"], agreement["title"], agreement["time"]) == (
        mine["id"],
        "Lunch text",
        "13:00",
    )
    [row] = agreement["check_ins"]
    assert (row["date"], row["status"], row["message"]) == ("2026-11-23", "on_time", "Here!")
    assert agreement["late_notices"] == []
    [their_agreement] = client.get("/v1/me/export", headers=second.headers).get_json()["couples"][
        0
    ]["agreements"]
    assert their_agreement["late_notices"][0]["message"] == "Bus"

    assert client.delete("/v1/me", headers=first.headers).status_code == 204
    session.commit()
    owners = set(session.scalars(select(Agreement.owner_id)))
    assert owners == {second.user.id}  # the partner's own agreement stays theirs
    assert session.scalars(select(CheckIn)).all() == []
    left = client.get("/v1/me/export", headers=second.headers).get_json()
    assert [a["id"] for a in left["couples"][0]["agreements"]] == [theirs["id"]]


def test_after_unpairing_nothing_is_due_and_a_new_couple_starts_empty(client, factory, couple):
    first, _, _ = couple
    made(client, first)
    assert client.delete("/v1/couple", headers=first.headers).status_code == 204
    _, _, _ = pair(factory, first=first)
    assert client.get(AGREEMENTS, headers=first.headers).get_json()["items"] == []
