from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.db import get_engine, make_session_factory
from api.notifications.models import Notification
from api.prompts import schedules as schedules_service
from api.prompts.models import Round, Schedule
from tests.factories import pair
from tests.helpers import all_prompts, assert_error, assert_invalid_fields


@pytest.fixture
def therapist(factory):
    return factory.therapist(display_name="Dr. Rivera", timezone="America/Chicago")


def link_code(client, therapist):
    response = client.post("/v1/therapist/link-codes", headers=therapist.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["code"]


def add(client, partner, code, **body):
    return client.post(
        "/v1/couple/therapists", headers=partner.headers, json={"code": code, **body}
    )


def grant_access(client, couple, therapist, scope="summary"):
    first, second, couple_id = couple
    grant = add(client, first, link_code(client, therapist), scope=scope).get_json()
    approved = client.post(f"/v1/couple/therapists/{grant['id']}/approve", headers=second.headers)
    assert approved.get_json()["status"] == "active"
    return grant["id"]


def progress(client, therapist, couple_id):
    return client.get(f"/v1/therapist/couples/{couple_id}/progress", headers=therapist.headers)


# --- link codes and consent -------------------------------------------------------------------


def test_link_codes_are_for_therapists(client, therapist, couple):
    first, _, _ = couple
    response = client.post("/v1/therapist/link-codes", headers=therapist.headers)
    assert response.status_code == 201
    assert response.get_json()["expires_at"] == "2026-11-26T12:00:00.000Z"
    assert_error(
        client.post("/v1/therapist/link-codes", headers=first.headers), 403, "therapist_only"
    )


def test_adding_a_therapist_waits_for_the_other_partner(client, session, therapist, couple):
    first, second, _ = couple
    response = add(client, first, link_code(client, therapist))
    assert response.status_code == 201
    grant = response.get_json()
    assert grant["status"] == "pending" and grant["scope"] == "summary"
    assert grant["approvals"] == [first.id]
    assert grant["therapist"] == {"id": therapist.id, "display_name": "Dr. Rivera"}
    session.commit()
    [note] = session.scalars(select(Notification).where(Notification.kind == "therapist")).all()
    assert note.recipient_id == second.user.id and note.data == {"grant_id": grant["id"]}
    approved = client.post(f"/v1/couple/therapists/{grant['id']}/approve", headers=second.headers)
    assert approved.status_code == 200
    assert approved.get_json()["status"] == "active"
    assert sorted(approved.get_json()["approvals"]) == sorted([first.id, second.id])


def test_adding_reasons(client, therapist, couple, clock):
    first, second, _ = couple
    assert_error(add(client, first, "ZZZZZZZZ"), 404, "link_code_not_found")
    code = link_code(client, therapist)
    assert_invalid_fields(add(client, first, code, scope="everything"), "scope")
    assert_invalid_fields(
        client.post("/v1/couple/therapists", headers=first.headers, json={}), "code"
    )
    assert add(client, first, code.lower()).status_code == 201
    assert_error(add(client, second, code), 409, "already_granted")
    clock.advance(hours=72)
    assert_error(add(client, first, code), 410, "link_code_expired")


def test_one_code_serves_several_couples(client, factory, therapist, couple):
    code = link_code(client, therapist)
    other_first, _, _ = pair(factory)
    assert add(client, couple[0], code).status_code == 201
    assert add(client, other_first, code).status_code == 201


def test_approval_and_revocation_rules(client, therapist, couple):
    first, second, _ = couple
    grant = add(client, first, link_code(client, therapist)).get_json()
    path = f"/v1/couple/therapists/{grant['id']}"
    assert_error(client.post(f"{path}/approve", headers=first.headers), 409, "already_approved")
    assert client.delete(path, headers=second.headers).status_code == 204
    assert client.get(path, headers=first.headers).get_json()["status"] == "revoked"
    assert_error(client.post(f"{path}/approve", headers=second.headers), 409, "grant_revoked")
    assert client.delete(path, headers=first.headers).status_code == 204  # already ended: fine
    # Ended, the therapist can be added again as a new grant.
    assert add(client, first, link_code(client, therapist)).status_code == 201


def test_grants_list_and_another_couple(client, factory, therapist, couple):
    first, second, _ = couple
    grant = add(client, first, link_code(client, therapist)).get_json()
    listed = client.get("/v1/couple/therapists", headers=second.headers).get_json()
    assert [g["id"] for g in listed["items"]] == [grant["id"]]
    outsider, _, _ = pair(factory)
    path = f"/v1/couple/therapists/{grant['id']}"
    for call in (client.get, client.delete):
        assert_error(call(path, headers=outsider.headers), 404, "not_found")
    for suffix in ("/approve",):
        assert_error(client.post(path + suffix, headers=outsider.headers), 404, "not_found")
    assert_error(client.get(path + "/access-log", headers=outsider.headers), 404, "not_found")


def test_roles_are_kept_apart(client, therapist, couple):
    first, _, couple_id = couple
    assert_error(
        client.get("/v1/couple/therapists", headers=therapist.headers), 403, "partners_only"
    )
    assert_error(add(client, therapist, "ABCDEFGH"), 403, "partners_only")
    for path in (
        "/v1/therapist/couples",
        f"/v1/therapist/couples/{couple_id}/progress",
        f"/v1/therapist/couples/{couple_id}/rounds",
    ):
        assert_error(client.get(path, headers=first.headers), 403, "therapist_only")


# --- the consent matrix -----------------------------------------------------------------------


def test_consent_matrix(client, factory, therapist, couple):
    first, second, couple_id = couple
    # No grant.
    assert_error(progress(client, therapist, couple_id), 404, "not_found")
    # Pending, one approval.
    grant = add(client, first, link_code(client, therapist)).get_json()
    assert_error(progress(client, therapist, couple_id), 404, "not_found")
    # Active.
    client.post(f"/v1/couple/therapists/{grant['id']}/approve", headers=second.headers)
    assert progress(client, therapist, couple_id).status_code == 200
    # Another couple, with no grant of its own.
    _, _, other_couple = pair(factory)
    assert_error(progress(client, therapist, other_couple), 404, "not_found")
    assert_error(
        progress(client, therapist, "00000000-0000-4000-8000-000000000000"), 404, "not_found"
    )
    # Another therapist.
    assert_error(progress(client, factory.therapist(), couple_id), 404, "not_found")
    # Revoked: at once, with the same token.
    client.delete(f"/v1/couple/therapists/{grant['id']}", headers=second.headers)
    assert_error(progress(client, therapist, couple_id), 404, "not_found")


def test_the_therapist_lists_couples_with_active_access(client, factory, therapist, couple):
    first, second, couple_id = couple
    grant_access(client, couple, therapist, scope="summary_and_content")
    add(client, pair(factory)[0], link_code(client, therapist))  # pending: not listed
    body = client.get("/v1/therapist/couples", headers=therapist.headers).get_json()
    [item] = body["items"]
    assert item["id"] == str(couple_id)
    assert item["scope"] == "summary_and_content"
    assert {p["id"] for p in item["partners"]} == {first.id, second.id}
    assert item["since"] == "2026-11-23T12:00:00.000Z"


def test_progress_is_in_the_therapists_zone(client, therapist, couple):
    grant_access(client, couple, therapist)
    body = progress(client, therapist, couple[2]).get_json()
    assert body["timezone"] == "America/Chicago"
    assert set(body["summary"]) == {couple[0].id, couple[1].id}


def test_progress_names_the_partners_as_they_are_now(client, therapist, couple):
    first, second, couple_id = couple
    grant_access(client, couple, therapist)
    body = progress(client, therapist, couple_id).get_json()
    assert body["people"] == {
        first.id: {"display_name": first.user.display_name},
        second.id: {"display_name": second.user.display_name},
    }
    # A new name changes no figure (nor the couple's version): the cached figures must not
    # keep the old one.
    client.patch("/v1/me", headers=second.headers, json={"display_name": "Sam"})
    renamed = progress(client, therapist, couple_id).get_json()
    assert renamed["people"][second.id] == {"display_name": "Sam"}


# --- scopes and content -----------------------------------------------------------------------


def _answered_round(client, couple, text_first="Thanks for the soup", text_second="The walk"):
    first, second, _ = couple
    round_id = client.post(
        "/v1/couple/rounds", headers=first.headers, json={"kind": "gratitude"}
    ).get_json()["id"]
    client.post(
        f"/v1/couple/rounds/{round_id}/answers", headers=first.headers, json={"text": text_first}
    )
    client.post(
        f"/v1/couple/rounds/{round_id}/answers", headers=second.headers, json={"text": text_second}
    )
    return round_id


def test_summary_scope_shows_no_content(client, therapist, couple):
    grant_access(client, couple, therapist)
    couple_id = couple[2]
    for what in ("rounds", "gratitude"):
        assert_error(
            client.get(f"/v1/therapist/couples/{couple_id}/{what}", headers=therapist.headers),
            403,
            "scope_denied",
        )


def test_content_scope_shows_only_rounds_both_answered(client, therapist, couple, clock):
    first, second, couple_id = couple
    grant_access(client, couple, therapist, scope="summary_and_content")
    complete = _answered_round(client, couple)
    clock.advance(minutes=1)
    half = client.post(
        "/v1/couple/rounds", headers=first.headers, json={"kind": "gratitude"}
    ).get_json()["id"]
    client.post(
        f"/v1/couple/rounds/{half}/answers",
        headers=first.headers,
        json={"text": "Only mine so far"},
    )
    body = client.get(
        f"/v1/therapist/couples/{couple_id}/rounds", headers=therapist.headers
    ).get_json()
    assert [r["id"] for r in body["items"]] == [complete]
    assert {a["text"] for a in body["items"][0]["answers"]} == {"Thanks for the soup", "The walk"}
    assert "Only mine so far" not in json.dumps(body)
    client.post("/v1/couple/gratitude", headers=second.headers, json={"text": "You listened"})
    notes = client.get(
        f"/v1/therapist/couples/{couple_id}/gratitude", headers=therapist.headers
    ).get_json()
    assert [n["text"] for n in notes["items"]] == ["You listened"]


# --- the access log ---------------------------------------------------------------------------


def test_every_request_is_logged_allowed_or_denied_without_content(
    client, therapist, couple, clock
):
    first, second, couple_id = couple
    grant_id = grant_access(client, couple, therapist)
    _answered_round(client, couple, text_first="secret words")
    progress(client, therapist, couple_id)
    clock.advance(seconds=1)
    client.get(f"/v1/therapist/couples/{couple_id}/rounds", headers=therapist.headers)
    clock.advance(seconds=1)
    client.delete(f"/v1/couple/therapists/{grant_id}", headers=first.headers)
    progress(client, therapist, couple_id)
    log = client.get(
        f"/v1/couple/therapists/{grant_id}/access-log", headers=second.headers
    ).get_json()
    entries = [(e["action"], e["path"], e["outcome"]) for e in log["items"]]
    assert entries == [
        ("progress.read", f"/v1/therapist/couples/{couple_id}/progress", "denied"),
        ("rounds.read", f"/v1/therapist/couples/{couple_id}/rounds", "denied"),
        ("progress.read", f"/v1/therapist/couples/{couple_id}/progress", "allowed"),
    ]
    assert set(log["items"][0]) == {"at", "action", "path", "outcome"}
    assert "secret words" not in json.dumps(log)


def test_the_log_cannot_be_changed_through_the_api(client, therapist, couple):
    grant_id = grant_access(client, couple, therapist)
    path = f"/v1/couple/therapists/{grant_id}/access-log"
    for call in (client.delete, client.put, client.patch, client.post):
        assert_error(call(path, headers=couple[0].headers), 405, "method_not_allowed")


# --- assignments ------------------------------------------------------------------------------


def assign(client, therapist, couple_id, **body):
    body.setdefault("kind", "check_in")
    body.setdefault("text", "How did this week's check-ins feel?")
    body.setdefault("time", "19:00")
    return client.post(
        f"/v1/therapist/couples/{couple_id}/assignments", headers=therapist.headers, json=body
    )


def test_an_assignment_is_delivered_to_both_partners_by_the_worker(
    client, session, database_url, therapist, couple, clock
):
    first, second, couple_id = couple
    grant_access(client, couple, therapist)  # either scope may assign
    response = assign(client, therapist, couple_id, days=["mon", "thu"])
    assert response.status_code == 201
    body = response.get_json()
    assert body["prompt"]["source"] == "therapist"
    schedule = body["schedule"]
    # The zone of the partner who added the therapist.
    assert (schedule["timezone"], schedule["days"]) == ("Europe/Paris", ["mon", "thu"])
    assert schedule["next_fire_at"] == "2026-11-23T18:00:00.000Z"
    prompts = all_prompts(client, second, "kind=check_in")
    assert body["prompt"]["id"] in {p["id"] for p in prompts}

    clock.set(clock() + timedelta(hours=6))
    fired = schedules_service.materialise_due_schedules(
        session_factory=make_session_factory(get_engine(database_url)), now=clock()
    )
    assert fired == 1
    session.commit()
    [round_] = session.scalars(select(Round)).all()
    assert round_.prompt_text == "How did this week's check-ins feel?"
    recipients = {
        n.recipient_id
        for n in session.scalars(select(Notification).where(Notification.kind == "prompt"))
    }
    assert recipients == {first.user.id, second.user.id}


def test_the_couple_stays_in_control_of_assigned_schedules(client, therapist, couple):
    first, second, couple_id = couple
    grant_access(client, couple, therapist)
    schedule = assign(client, therapist, couple_id).get_json()["schedule"]
    paused = client.patch(
        f"/v1/couple/schedules/{schedule['id']}", headers=second.headers, json={"active": False}
    )
    assert paused.get_json()["next_fire_at"] is None


def test_listing_and_deleting_assignments(client, session, therapist, couple):
    first, _, couple_id = couple
    grant_access(client, couple, therapist)
    made = assign(client, therapist, couple_id, timezone="Asia/Tokyo").get_json()
    assert made["schedule"]["timezone"] == "Asia/Tokyo"
    listed = client.get(
        f"/v1/therapist/couples/{couple_id}/assignments", headers=therapist.headers
    ).get_json()
    assert [a["id"] for a in listed["items"]] == [made["id"]]
    path = f"/v1/therapist/couples/{couple_id}/assignments/{made['id']}"
    assert client.delete(path, headers=therapist.headers).status_code == 204
    assert_error(client.delete(path, headers=therapist.headers), 404, "not_found")
    session.commit()
    assert session.get(Schedule, uuid.UUID(made["schedule"]["id"])) is None
    prompts = all_prompts(client, first, "kind=check_in")
    assert made["prompt"]["id"] in {p["id"] for p in prompts}
    assert (
        client.get(
            f"/v1/therapist/couples/{couple_id}/assignments", headers=therapist.headers
        ).get_json()["items"]
        == []
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "poem"}, "kind"),
        ({"text": ""}, "text"),
        ({"text": "x" * 501}, "text"),
        ({"time": "7pm"}, "time"),
        ({"days": []}, "days"),
        ({"timezone": "Nowhere"}, "timezone"),
    ],
)
def test_assignment_input_is_validated(client, therapist, couple, body, field):
    grant_access(client, couple, therapist)
    assert_invalid_fields(assign(client, therapist, couple[2], **body), field)


def test_assignments_need_consent(client, therapist, couple):
    assert_error(assign(client, therapist, couple[2]), 404, "not_found")


# --- endings ----------------------------------------------------------------------------------


def test_unpairing_ends_the_couples_grants(client, therapist, couple):
    first, second, couple_id = couple
    grant_id = grant_access(client, couple, therapist)
    schedule = assign(client, therapist, couple_id).get_json()["schedule"]
    client.delete("/v1/couple", headers=first.headers)
    assert_error(progress(client, therapist, couple_id), 404, "not_found")
    assert client.get("/v1/therapist/couples", headers=therapist.headers).get_json()["items"] == []
    grants = client.get("/v1/me/export", headers=second.headers).get_json()["couples"][0][
        "therapist_grants"
    ]
    assert [(g["id"], g["status"]) for g in grants] == [(grant_id, "revoked")]
    assert schedule["id"]


def test_erasing_a_partner_ends_the_grants(client, therapist, couple):
    first, _, couple_id = couple
    grant_access(client, couple, therapist)
    client.delete("/v1/me", headers=first.headers)
    assert_error(progress(client, therapist, couple_id), 404, "not_found")


def test_erasing_the_therapist_ends_grants_and_stops_assignments(
    client, session, therapist, couple
):
    first, _, couple_id = couple
    grant_id = grant_access(client, couple, therapist)
    schedule = assign(client, therapist, couple_id).get_json()["schedule"]
    assert client.delete("/v1/me", headers=therapist.headers).status_code == 204
    grant = client.get(f"/v1/couple/therapists/{grant_id}", headers=first.headers).get_json()
    assert grant["status"] == "revoked"
    session.commit()
    assert session.get(Schedule, uuid.UUID(schedule["id"])) is None
