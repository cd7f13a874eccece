"""Reassurance requests and the couple's settings, through the test client.

The clock starts on Monday 2026-11-23 at 12:00Z (13:00 in Paris, the partners' zone).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from api.notifications.models import Notification
from api.pairing import service as pairing_service
from api.reassurance import service
from tests.factories import pair
from tests.helpers import assert_error, assert_invalid_fields

REQUESTS = "/v1/couple/reassurance-requests"
SETTINGS = "/v1/couple/settings"


def at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def ask(client, actor, **body):
    return client.post(REQUESTS, headers=actor.headers, json=body)


def asked(client, actor, **body) -> dict:
    response = ask(client, actor, **body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def answer(client, actor, request_id, text="I'm right here. We're OK."):
    return client.post(
        f"{REQUESTS}/{request_id}/answer", headers=actor.headers, json={"text": text}
    )


def withdraw(client, actor, request_id):
    return client.post(f"{REQUESTS}/{request_id}/withdraw", headers=actor.headers)


def notifications(session, kind):
    session.commit()
    return session.scalars(select(Notification).where(Notification.kind == kind)).all()


# --- asking and answering ---------------------------------------------------------------------


def test_ask_and_be_answered_in_their_own_words(client, session, couple, clock):
    first, second, _ = couple
    response = ask(client, first, note="Feeling wobbly after the call with mum")
    assert response.status_code == 201
    body = response.get_json()
    assert body["asker_id"] == first.id
    assert body["note"] == "Feeling wobbly after the call with mum"
    assert at(body["created_at"]) == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert (body["answered_at"], body["answer"], body["withdrawn_at"]) == (None, None, None)
    [requested] = notifications(session, "reassurance_requested")
    assert requested.recipient_id == second.user.id
    assert requested.data == {"request_id": body["id"]}
    assert "mum" not in requested.title + requested.body  # the note stays in the app

    clock.advance(minutes=7)
    answered = answer(client, second, body["id"], "I love you. The call doesn't change us.")
    assert answered.status_code == 200
    got = answered.get_json()
    assert at(got["answered_at"]) == datetime(2026, 11, 23, 12, 7, tzinfo=UTC)
    assert got["answer"]["text"] == "I love you. The call doesn't change us."
    assert got["answer"]["answered_by"] == second.id
    assert at(got["answer"]["created_at"]) == at(got["answered_at"])
    [told] = notifications(session, "reassurance_answered")
    assert told.recipient_id == first.user.id
    assert told.data == {"request_id": body["id"]}
    assert "love" not in told.title + told.body
    shown = client.get(f"{REQUESTS}/{body['id']}", headers=first.headers).get_json()
    assert shown == got


def test_a_request_without_a_note(client, couple):
    first, _, _ = couple
    response = client.post(REQUESTS, headers=first.headers)
    assert response.status_code == 201
    assert response.get_json()["note"] is None


@pytest.mark.parametrize(
    ("body", "field"), [({"note": ""}, "note"), ({"note": "x" * 281}, "note"), ({"x": 1}, "x")]
)
def test_the_note_is_validated(client, couple, body, field):
    first, _, _ = couple
    assert_invalid_fields(ask(client, first, **body), field)


@pytest.mark.parametrize(
    ("body", "field"), [({}, "text"), ({"text": ""}, "text"), ({"text": "x" * 1001}, "text")]
)
def test_the_answer_is_validated(client, couple, body, field):
    first, second, _ = couple
    request = asked(client, first)
    response = client.post(f"{REQUESTS}/{request['id']}/answer", headers=second.headers, json=body)
    assert_invalid_fields(response, field)


def test_one_open_request_at_a_time(client, couple):
    first, second, _ = couple
    request = asked(client, first)
    assert_error(ask(client, first), 409, "request_open")
    # The partner may ask too: one open request per asker.
    asked(client, second)
    answer(client, second, request["id"])
    asked(client, first)


def test_only_the_partner_answers_and_only_once(client, couple):
    first, second, _ = couple
    request = asked(client, first)
    assert_error(answer(client, first, request["id"]), 403, "not_recipient")
    assert answer(client, second, request["id"]).status_code == 200
    assert_error(answer(client, second, request["id"], "Again"), 409, "already_answered")


def test_withdrawing_says_i_am_ok_now(client, session, couple, clock):
    first, second, _ = couple
    request = asked(client, first)
    assert_error(withdraw(client, second, request["id"]), 403, "not_owner")
    clock.advance(minutes=3)
    response = withdraw(client, first, request["id"])
    assert response.status_code == 200
    assert at(response.get_json()["withdrawn_at"]) == datetime(2026, 11, 23, 12, 3, tzinfo=UTC)
    # Twice is the same answer; the partner can no longer answer it.
    clock.advance(minutes=3)
    assert withdraw(client, first, request["id"]).get_json() == response.get_json()
    assert_error(answer(client, second, request["id"]), 409, "request_withdrawn")
    asked(client, first)  # no longer open: another may be asked


def test_an_answered_request_cannot_be_withdrawn(client, couple):
    first, second, _ = couple
    request = asked(client, first)
    answer(client, second, request["id"])
    assert_error(withdraw(client, first, request["id"]), 409, "already_answered")


def test_the_list_has_both_directions_newest_first(client, couple, clock):
    first, second, _ = couple
    mine = asked(client, first)
    clock.advance(minutes=1)
    theirs = asked(client, second)
    clock.advance(minutes=1)
    answer(client, second, mine["id"])
    for actor in (first, second):
        body = client.get(REQUESTS, headers=actor.headers).get_json()
        assert [r["id"] for r in body["items"]] == [theirs["id"], mine["id"]]
        assert body["items"][1]["answer"]["answered_by"] == second.id
    page = client.get(f"{REQUESTS}?limit=1", headers=first.headers).get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    assert_invalid_fields(
        client.get(f"{REQUESTS}?direction=asked", headers=first.headers),
        "direction",
        location="query",
    )


def test_another_couple_sees_nothing(client, factory, couple):
    first, _, _ = couple
    request = asked(client, first)
    outsider, _, _ = pair(factory)
    assert_error(
        client.get(f"{REQUESTS}/{request['id']}", headers=outsider.headers), 404, "not_found"
    )
    assert_error(answer(client, outsider, request["id"]), 404, "not_found")
    assert_error(withdraw(client, outsider, request["id"]), 404, "not_found")
    assert client.get(REQUESTS, headers=outsider.headers).get_json()["items"] == []


def test_requests_refuse_therapists_and_the_unpaired(client, factory):
    therapist, loner = factory.therapist(), factory.partner()
    assert_error(ask(client, therapist), 403, "partners_only")
    assert_error(client.get(SETTINGS, headers=therapist.headers), 403, "partners_only")
    assert_error(ask(client, loner), 404, "not_paired")
    assert_error(client.get(SETTINGS, headers=loner.headers), 404, "not_paired")


def test_asking_is_idempotent(client, session, couple):
    first, _, _ = couple
    headers = {**first.headers, "Idempotency-Key": "reassure-1"}
    created = client.post(REQUESTS, headers=headers, json={"note": "Hi"})
    again = client.post(REQUESTS, headers=headers, json={"note": "Hi"})
    assert (created.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == created.get_json()
    assert len(notifications(session, "reassurance_requested")) == 1


# --- the daily limit --------------------------------------------------------------------------


def ask_and_withdraw(client, actor, times):
    for _ in range(times):
        request = asked(client, actor)
        assert withdraw(client, actor, request["id"]).status_code == 200


def test_the_daily_limit_counts_the_askers_local_day(client, factory, clock):
    # Auckland is UTC+13 in November: its day starts at 11:00Z.
    clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))  # 23:00 in Auckland
    kiwi = factory.partner(timezone="Pacific/Auckland")
    first, second, _ = pair(factory, first=kiwi)
    ask_and_withdraw(client, first, 3)
    assert_error(ask(client, first), 409, "reassurance_limit")
    asked(client, second)  # the limit is each partner's own
    clock.set(datetime(2026, 11, 23, 10, 59, tzinfo=UTC))
    assert_error(ask(client, first), 409, "reassurance_limit")
    clock.set(datetime(2026, 11, 23, 11, 0, tzinfo=UTC))  # midnight in Auckland
    ask_and_withdraw(client, first, 3)
    assert_error(ask(client, first), 409, "reassurance_limit")


def test_the_couple_sets_the_limit(client, couple):
    first, second, _ = couple
    assert client.get(SETTINGS, headers=first.headers).get_json() == {"reassurance_daily_limit": 3}
    changed = client.put(SETTINGS, headers=second.headers, json={"reassurance_daily_limit": 1})
    assert changed.status_code == 200
    assert changed.get_json() == {"reassurance_daily_limit": 1}
    assert client.get(SETTINGS, headers=first.headers).get_json() == {"reassurance_daily_limit": 1}
    ask_and_withdraw(client, first, 1)
    assert_error(ask(client, first), 409, "reassurance_limit")
    client.put(SETTINGS, headers=first.headers, json={"reassurance_daily_limit": 10})
    ask_and_withdraw(client, first, 9)
    assert_error(ask(client, first), 409, "reassurance_limit")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reassurance_daily_limit": 0},
        {"reassurance_daily_limit": 11},
        {"reassurance_daily_limit": "3"},
        {"reassurance_daily_limit": None},
        {"reassurance_daily_limit": 3, "theme": "dark"},
    ],
)
def test_settings_are_validated(client, couple, body):
    first, _, _ = couple
    response = client.put(SETTINGS, headers=first.headers, json=body)
    assert response.status_code == 422
    assert response.get_json()["reason"] == "validation_error"


def test_a_new_pairing_starts_with_the_default(client, factory, couple):
    first, _, _ = couple
    client.put(SETTINGS, headers=first.headers, json={"reassurance_daily_limit": 7})
    client.delete("/v1/couple", headers=first.headers)
    _, _, _ = pair(factory, first=first)
    assert client.get(SETTINGS, headers=first.headers).get_json() == {"reassurance_daily_limit": 3}


# --- for the home screen ----------------------------------------------------------------------


def test_the_open_request_the_partner_asked_me(client, session, couple, clock):
    first, second, _ = couple
    c = pairing_service.active_couple(session=session, user=first.user)
    assert service.open_request_for(session=session, couple=c, user=second.user) is None
    mine = asked(client, second)  # asked by second: not for second to answer
    assert service.open_request_for(session=session, couple=c, user=second.user) is None
    clock.advance(minutes=1)
    request = asked(client, first)
    session.commit()
    found = service.open_request_for(session=session, couple=c, user=second.user)
    assert str(found.id) == request["id"]
    answer(client, second, request["id"])
    session.commit()
    assert service.open_request_for(session=session, couple=c, user=second.user) is None
    assert (
        str(service.open_request_for(session=session, couple=c, user=first.user).id) == (mine["id"])
    )


# --- export and erasure -----------------------------------------------------------------------


def test_each_partner_exports_both_directions(client, couple, clock):
    first, second, _ = couple
    mine = asked(client, first, note="Need a hug")
    answer(client, second, mine["id"], "Coming home early")
    clock.advance(minutes=1)
    theirs = asked(client, second)
    answer(client, first, theirs["id"], "Always")
    exported = client.get("/v1/me/export", headers=first.headers).get_json()
    rows = {r["id"]: r for r in exported["couples"][0]["reassurance"]}
    assert rows[mine["id"]]["direction"] == "asked"
    assert rows[mine["id"]]["note"] == "Need a hug"
    assert rows[mine["id"]]["answer"]["text"] == "Coming home early"  # the partner's answer
    assert rows[theirs["id"]]["direction"] == "received"
    assert rows[theirs["id"]]["answer"]["text"] == "Always"  # their own answer
    assert rows[theirs["id"]]["answer"]["answered_by"] == first.id


def test_erasure_removes_what_the_user_asked_and_answered(client, session, couple, clock):
    first, second, _ = couple
    mine = asked(client, first, note="Wobbly")
    clock.advance(minutes=1)
    theirs = asked(client, second, note="Long day")
    answer(client, first, theirs["id"], "Proud of you")
    assert client.delete("/v1/me", headers=first.headers).status_code == 204
    left = client.get("/v1/me/export", headers=second.headers).get_json()
    [row] = left["couples"][0]["reassurance"]
    # The partner keeps their own request; the erased partner's answer is gone with them.
    assert (row["id"], row["direction"], row["note"]) == (theirs["id"], "asked", "Long day")
    assert row["answer"] is None and row["answered_at"] is not None
    assert mine["id"] not in {r["id"] for r in left["couples"][0]["reassurance"]}
