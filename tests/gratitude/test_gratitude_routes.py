from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from api.notifications.models import Notification
from tests.factories import pair
from tests.helpers import assert_error, assert_invalid_fields


def send(client, actor, text="Thank you for waiting up for me"):
    response = client.post("/v1/couple/gratitude", headers=actor.headers, json={"text": text})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def ack(client, actor, note_id, **body):
    return client.post(
        f"/v1/couple/gratitude/{note_id}/acknowledge", headers=actor.headers, json=body
    )


def notifications(session, kind):
    session.commit()
    return session.scalars(select(Notification).where(Notification.kind == kind)).all()


def test_sending_a_note_tells_the_partner(client, session, couple):
    first, second, _ = couple
    note = send(client, first)
    assert note["author_id"] == first.id and note["recipient_id"] == second.id
    assert (note["acknowledged_at"], note["reaction"]) == (None, None)
    assert note["created_at"] == "2026-11-23T12:00:00.000Z"
    [pushed] = notifications(session, "gratitude_received")
    assert pushed.recipient_id == second.user.id
    assert pushed.data == {"gratitude_id": note["id"]}
    assert "waiting up" not in pushed.body  # the words stay in the app


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 1001}, "text"),
        ({}, "text"),
        ({"text": "hi", "recipient_id": "x"}, "recipient_id"),
    ],
)
def test_note_input_is_validated(client, couple, body, field):
    first, _, _ = couple
    assert_invalid_fields(
        client.post("/v1/couple/gratitude", headers=first.headers, json=body), field
    )


def test_listing_by_direction(client, couple, clock):
    first, second, _ = couple
    sent = send(client, first, "for the coffee")
    clock.advance(seconds=1)
    received = send(client, second, "for listening")
    both = client.get("/v1/couple/gratitude", headers=first.headers).get_json()
    assert [n["id"] for n in both["items"]] == [received["id"], sent["id"]]
    only_sent = client.get("/v1/couple/gratitude?direction=sent", headers=first.headers)
    assert [n["id"] for n in only_sent.get_json()["items"]] == [sent["id"]]
    only_received = client.get("/v1/couple/gratitude?direction=received", headers=first.headers)
    assert [n["id"] for n in only_received.get_json()["items"]] == [received["id"]]
    assert_invalid_fields(
        client.get("/v1/couple/gratitude?direction=up", headers=first.headers),
        "direction",
        location="query",
    )


def test_reading_one_note(client, factory, couple):
    first, second, _ = couple
    note = send(client, first)
    assert (
        client.get(f"/v1/couple/gratitude/{note['id']}", headers=second.headers).get_json() == note
    )
    outsider, _, _ = pair(factory)
    assert_error(
        client.get(f"/v1/couple/gratitude/{note['id']}", headers=outsider.headers), 404, "not_found"
    )
    assert_error(client.get("/v1/couple/gratitude/nope", headers=first.headers), 404, "not_found")


def test_the_recipient_acknowledges_and_the_author_hears_back(client, session, couple, clock):
    first, second, _ = couple
    note = send(client, first)
    clock.advance(hours=2)
    response = ack(client, second, note["id"], reaction="❤️")
    assert response.status_code == 200
    body = response.get_json()
    assert body["acknowledged_at"] == "2026-11-23T14:00:00.000Z"
    assert body["reaction"] == "❤️"
    [heard] = notifications(session, "gratitude_acknowledged")
    assert heard.recipient_id == first.user.id and heard.data == {"gratitude_id": note["id"]}


def test_acknowledging_without_a_reaction(client, couple):
    first, second, _ = couple
    note = send(client, first)
    assert ack(client, second, note["id"]).get_json()["reaction"] is None


def test_acknowledgement_rules(client, factory, couple):
    first, second, _ = couple
    note = send(client, first)
    assert_error(ack(client, first, note["id"]), 403, "not_recipient")
    assert_invalid_fields(ack(client, second, note["id"], reaction="x" * 33), "reaction")
    assert_invalid_fields(ack(client, second, note["id"], reaction=""), "reaction")
    assert ack(client, second, note["id"]).status_code == 200
    assert_error(ack(client, second, note["id"]), 409, "already_acknowledged")
    # Ownership is checked before state.
    assert_error(ack(client, first, note["id"]), 403, "not_recipient")
    outsider, _, _ = pair(factory)
    assert_error(ack(client, outsider, note["id"]), 404, "not_found")


def test_gratitude_refuses_therapists_and_the_unpaired(client, factory):
    therapist, loner = factory.therapist(), factory.partner()
    for actor, status, reason in ((therapist, 403, "partners_only"), (loner, 404, "not_paired")):
        assert_error(
            client.post("/v1/couple/gratitude", headers=actor.headers, json={"text": "hi"}),
            status,
            reason,
        )
        assert_error(client.get("/v1/couple/gratitude", headers=actor.headers), status, reason)


def test_export_and_erasure(client, couple):
    first, second, _ = couple
    send(client, first, "first wrote this")
    send(client, second, "second wrote this")
    exported = client.get("/v1/me/export", headers=first.headers).get_json()
    gratitude = exported["couples"][0]["gratitude"]
    assert {(g["direction"], g["text"]) for g in gratitude} == {
        ("sent", "first wrote this"),
        ("received", "second wrote this"),
    }
    client.delete("/v1/me", headers=first.headers)
    left = json.dumps(client.get("/v1/me/export", headers=second.headers).get_json())
    assert "first wrote this" not in left and "second wrote this" in left
