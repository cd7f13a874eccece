from __future__ import annotations

import pytest
from sqlalchemy import select

from api.notifications.models import Notification
from tests.factories import pair
from tests.helpers import assert_error, assert_invalid_fields

# The clock starts on Monday 2026-11-23 at 12:00Z (13:00 in Paris, the partners' zone).


def create(client, actor, **body):
    body.setdefault("title", "Text you when I leave work")
    body.setdefault("due_time", "18:00")
    return client.post("/v1/couple/commitments", headers=actor.headers, json=body)


def check(client, actor, commitment_id, **body):
    body.setdefault("date", "2026-11-23")
    body.setdefault("status", "kept")
    return client.post(
        f"/v1/couple/commitments/{commitment_id}/checks", headers=actor.headers, json=body
    )


def notifications(session, kind):
    session.commit()
    return session.scalars(select(Notification).where(Notification.kind == kind)).all()


def test_create_a_recurring_commitment(client, couple):
    first, _, _ = couple
    response = create(
        client,
        first,
        days=["fri", "mon", "tue", "wed", "thu"],
        details="Before I get on the train",
        remind_before_minutes=15,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["owner_id"] == first.id
    assert body["days"] == ["mon", "tue", "wed", "thu", "fri"]
    assert (body["date"], body["due_time"], body["timezone"]) == (None, "18:00", "Europe/Paris")
    assert body["next_due_at"] == "2026-11-23T17:00:00.000Z"
    assert (body["kept_rate_28d"], body["current_streak"]) == (None, 0)
    assert body["remind_before_minutes"] == 15


def test_create_a_one_off(client, couple):
    first, _, _ = couple
    body = create(
        client, first, date="2026-11-25", due_time="09:30", timezone="America/New_York"
    ).get_json()
    assert (body["days"], body["date"]) == (None, "2026-11-25")
    assert body["next_due_at"] == "2026-11-25T14:30:00.000Z"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"days": ["mon"], "date": "2026-11-30"}, "date"),
        ({"days": []}, "days"),
        ({"days": ["mon", "mon"]}, "days"),
        ({"date": "2026-11-22"}, "date"),
        ({"date": "23/11/2026"}, "date"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"details": "x" * 2001}, "details"),
        ({"due_time": "6pm"}, "due_time"),
        ({"timezone": "Paris"}, "timezone"),
        ({"remind_before_minutes": 1441}, "remind_before_minutes"),
        ({"remind_before_minutes": -1}, "remind_before_minutes"),
        ({"owner_id": "someone"}, "owner_id"),
    ],
)
def test_commitment_input_is_validated(client, couple, overrides, field):
    first, _, _ = couple
    assert_invalid_fields(create(client, first, **overrides), field)


def test_list_by_owner(client, couple, clock):
    first, second, _ = couple
    mine = create(client, first).get_json()
    clock.advance(seconds=1)
    theirs = create(client, second, title="Call on Sundays", days=["sun"]).get_json()
    everything = client.get("/v1/couple/commitments", headers=first.headers).get_json()
    assert [c["id"] for c in everything["items"]] == [theirs["id"], mine["id"]]
    me = client.get("/v1/couple/commitments?owner=me", headers=first.headers).get_json()
    partner = client.get("/v1/couple/commitments?owner=partner", headers=first.headers)
    assert [c["id"] for c in me["items"]] == [mine["id"]]
    assert [c["id"] for c in partner.get_json()["items"]] == [theirs["id"]]
    assert {"kept_rate_28d", "current_streak", "next_due_at"} <= set(me["items"][0])
    assert_invalid_fields(
        client.get("/v1/couple/commitments?owner=them", headers=first.headers),
        "owner",
        location="query",
    )


def test_only_the_owner_changes_or_deletes(client, couple):
    first, second, _ = couple
    c = create(client, first).get_json()
    path = f"/v1/couple/commitments/{c['id']}"
    assert_error(
        client.patch(path, headers=second.headers, json={"title": "Mine now"}), 403, "not_owner"
    )
    assert_error(client.delete(path, headers=second.headers), 403, "not_owner")
    changed = client.patch(
        path,
        headers=first.headers,
        json={"title": "Text when I leave", "due_time": "18:30", "remind_before_minutes": None},
    )
    assert changed.status_code == 200
    body = changed.get_json()
    assert (body["title"], body["due_time"], body["remind_before_minutes"]) == (
        "Text when I leave",
        "18:30",
        None,
    )
    assert body["next_due_at"] == "2026-11-23T17:30:00.000Z"
    assert client.get(path, headers=second.headers).get_json()["title"] == "Text when I leave"
    assert_invalid_fields(
        client.patch(path, headers=first.headers, json={"days": ["mon"], "date": "2026-12-01"}),
        "date",
    )


def test_switching_between_one_off_and_recurring(client, couple):
    first, _, _ = couple
    c = create(client, first, date="2026-11-30").get_json()
    path = f"/v1/couple/commitments/{c['id']}"
    recurring = client.patch(path, headers=first.headers, json={"days": ["tue"]}).get_json()
    assert (recurring["days"], recurring["date"]) == (["tue"], None)
    once = client.patch(path, headers=first.headers, json={"date": "2026-12-02"}).get_json()
    assert (once["days"], once["date"]) == (None, "2026-12-02")


def test_deleting_removes_it_and_its_checks_from_view(client, couple):
    first, second, _ = couple
    c = create(client, first).get_json()
    check(client, first, c["id"])
    path = f"/v1/couple/commitments/{c['id']}"
    assert client.delete(path, headers=first.headers).status_code == 204
    assert_error(client.get(path, headers=first.headers), 404, "not_found")
    assert_error(client.get(f"{path}/checks", headers=second.headers), 404, "not_found")
    assert client.get("/v1/couple/commitments", headers=first.headers).get_json()["items"] == []
    assert_error(client.delete(path, headers=first.headers), 404, "not_found")


def test_another_couple_sees_nothing(client, factory, couple):
    first, _, _ = couple
    c = create(client, first).get_json()
    kept = check(client, first, c["id"]).get_json()
    outsider, _, _ = pair(factory)
    base = f"/v1/couple/commitments/{c['id']}"
    for call, path in [
        (client.get, base),
        (client.delete, base),
        (client.get, f"{base}/checks"),
        (client.post, f"{base}/checks/{kept['id']}/confirm"),
    ]:
        assert_error(call(path, headers=outsider.headers), 404, "not_found")
    assert_error(
        client.patch(base, headers=outsider.headers, json={"title": "x"}), 404, "not_found"
    )
    assert_error(check(client, outsider, c["id"]), 404, "not_found")


def test_commitments_refuse_therapists_and_the_unpaired(client, factory):
    therapist, loner = factory.therapist(), factory.partner()
    assert_error(create(client, therapist), 403, "partners_only")
    assert_error(create(client, loner), 404, "not_paired")
    assert_error(client.get("/v1/couple/commitments", headers=loner.headers), 404, "not_paired")


# --- checks -----------------------------------------------------------------------------------


def test_recording_a_kept_occurrence_tells_the_partner(client, session, couple):
    first, second, _ = couple
    c = create(client, first).get_json()
    response = check(client, first, c["id"], note="Left at 17:55")  # before the due time: fine
    assert response.status_code == 201
    body = response.get_json()
    assert (body["date"], body["status"], body["note"], body["confirmed_at"]) == (
        "2026-11-23",
        "kept",
        "Left at 17:55",
        None,
    )
    [pushed] = notifications(session, "commitment_kept")
    assert pushed.recipient_id == second.user.id
    assert pushed.data == {"commitment_id": c["id"], "check_id": body["id"]}
    listed = client.get(f"/v1/couple/commitments/{c['id']}/checks", headers=second.headers)
    assert [k["id"] for k in listed.get_json()["items"]] == [body["id"]]


def test_a_missed_occurrence_notifies_nobody(client, session, couple):
    first, _, _ = couple
    c = create(client, first).get_json()
    assert check(client, first, c["id"], status="missed").status_code == 201
    assert notifications(session, "commitment_kept") == []


def test_check_rules(client, couple):
    first, second, _ = couple
    c = create(client, first, days=["mon", "wed"]).get_json()
    assert_error(check(client, first, c["id"], date="2026-11-25"), 422, "date_in_future")
    assert_error(check(client, first, c["id"], date="2026-11-22"), 422, "not_due")  # Sunday
    assert_error(check(client, first, c["id"], date="2026-11-16"), 422, "not_due")  # before
    assert_error(check(client, second, c["id"]), 403, "not_owner")
    assert_invalid_fields(check(client, first, c["id"], status="sort of"), "status")
    assert_invalid_fields(check(client, first, c["id"], note="x" * 1001), "note")
    assert_invalid_fields(check(client, first, c["id"], date="yesterday"), "date")
    assert check(client, first, c["id"]).status_code == 201
    assert_error(check(client, first, c["id"], status="missed"), 409, "already_recorded")


def test_a_one_off_is_due_on_its_date_only(client, couple, clock):
    first, _, _ = couple
    c = create(client, first, date="2026-11-24").get_json()
    assert_error(check(client, first, c["id"], date="2026-11-23"), 422, "not_due")
    clock.advance(days=1)
    assert check(client, first, c["id"], date="2026-11-24").status_code == 201


def test_the_partner_confirms_a_kept_promise(client, session, couple, clock):
    first, second, _ = couple
    c = create(client, first).get_json()
    kept = check(client, first, c["id"]).get_json()
    path = f"/v1/couple/commitments/{c['id']}/checks/{kept['id']}/confirm"
    assert_error(client.post(path, headers=first.headers), 403, "cannot_confirm_own")
    clock.advance(minutes=5)
    confirmed = client.post(path, headers=second.headers)
    assert confirmed.status_code == 200
    assert confirmed.get_json()["confirmed_at"] == "2026-11-23T12:05:00.000Z"
    [pushed] = notifications(session, "commitment_confirmed")
    assert pushed.recipient_id == first.user.id
    assert pushed.data == {"commitment_id": c["id"], "check_id": kept["id"]}
    assert_error(client.post(path, headers=second.headers), 409, "already_confirmed")


def test_a_missed_occurrence_cannot_be_confirmed(client, couple):
    first, second, _ = couple
    c = create(client, first).get_json()
    missed = check(client, first, c["id"], status="missed").get_json()
    path = f"/v1/couple/commitments/{c['id']}/checks/{missed['id']}/confirm"
    assert_error(client.post(path, headers=second.headers), 409, "not_kept")


def test_a_check_of_another_commitment_is_not_found(client, couple):
    first, second, _ = couple
    one = create(client, first).get_json()
    other = create(client, first, title="Another").get_json()
    kept = check(client, first, one["id"]).get_json()
    path = f"/v1/couple/commitments/{other['id']}/checks/{kept['id']}/confirm"
    assert_error(client.post(path, headers=second.headers), 404, "not_found")


def test_export_holds_own_commitments_and_erasure_removes_them(client, couple):
    first, second, _ = couple
    c = create(client, first).get_json()
    check(client, first, c["id"], note="done")
    exported = client.get("/v1/me/export", headers=first.headers).get_json()
    [mine] = exported["couples"][0]["commitments"]
    assert mine["title"] == c["title"] and mine["checks"][0]["note"] == "done"
    client.delete("/v1/me", headers=first.headers)
    left = client.get("/v1/me/export", headers=second.headers).get_json()
    assert left["couples"][0]["commitments"] == []
