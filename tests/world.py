"""A small, realistic world for the contract tests: a couple with some of everything, their
therapist, and unpaired partners holding invites, so every templated path in openapi.yaml has
real objects to point at.

Everything is made through the API itself (the same requests the apps send), so a seed that
stops working fails here, loudly, rather than leaving the fuzzer to probe empty tables.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from tests.factories import Actor, Factory, pair

# The test clock starts on Monday 2026-11-23 at 12:00Z; occurrences are recorded for that day.
TODAY = "2026-11-23"


@dataclass
class World:
    first: Actor  # paired; the caller of partner and shared paths
    second: Actor  # first's partner
    couple_id: str
    therapist: Actor  # holds an ACTIVE summary_and_content grant on the couple
    solo: Actor  # unpaired; the caller of /v1/invites paths (with an open invite, seeded)
    # Templated path -> path parameters naming real objects the path's caller may see.
    path_ids: dict[str, list[dict[str, str]]] = field(default_factory=dict)


def _ok(response, status: int = 201) -> dict:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def _post(client, actor: Actor, path: str, body: dict | None = None, status: int = 201) -> dict:
    return _ok(client.post(path, headers=actor.headers, json=body), status)


def build_couple(client, factory: Factory) -> World:
    """The people only: a couple whose therapist both partners approved, and an unpaired
    partner; no objects yet (`path_ids` is empty)."""
    first, second, couple_id = pair(factory)
    therapist = factory.therapist(display_name="Dr. Rivera")
    code = _post(client, therapist, "/v1/therapist/link-codes")["code"]
    grant = _post(
        client, first, "/v1/couple/therapists", {"code": code, "scope": "summary_and_content"}
    )
    _post(client, second, f"/v1/couple/therapists/{grant['id']}/approve", status=200)
    return World(
        first=first,
        second=second,
        couple_id=str(couple_id),
        therapist=therapist,
        solo=factory.partner(),
        path_ids={"/v1/couple/therapists/{grant_id}": [{"grant_id": grant["id"]}]},
    )


def build_world(client, factory: Factory) -> World:
    """A couple with some of everything, so every templated path has real objects."""
    world = build_couple(client, factory)
    first, second, couple_id = world.first, world.second, world.couple_id
    therapist, solo, other_solo = world.therapist, world.solo, factory.partner()
    grant_id = world.path_ids["/v1/couple/therapists/{grant_id}"][0]["grant_id"]

    def post(actor: Actor, path: str, body: dict | None = None, status: int = 201) -> dict:
        return _post(client, actor, path, body, status)

    # Account objects of the first partner: a device, and a second session to sign out.
    device = post(first, "/v1/me/devices", {"token": f"fcm-{uuid.uuid4().hex}", "platform": "ios"})
    other_session = factory.actor(user=first.user).session_id

    # Prompts, a schedule, and rounds of both kinds; the second partner answered the check-in.
    prompt = post(
        first, "/v1/couple/prompts", {"kind": "gratitude", "text": "What made you laugh?"}
    )
    schedule = post(
        first, "/v1/couple/schedules", {"kind": "check_in", "time": "20:00", "days": ["mon"]}
    )
    check_in = post(first, "/v1/couple/rounds", {"kind": "check_in"})
    post(second, f"/v1/couple/rounds/{check_in['id']}/answers", {"rating": 4, "text": "Close"})
    gratitude_round = post(
        second, "/v1/couple/rounds", {"kind": "gratitude", "prompt_id": prompt["id"]}
    )

    # Notes both ways: one the first partner can acknowledge, one they wrote.
    received = post(second, "/v1/couple/gratitude", {"text": "Thank you for the soup"})
    sent = post(first, "/v1/couple/gratitude", {"text": "Thanks for waiting up"})

    # A commitment each, each with a kept occurrence: the first partner may confirm the
    # second's, and is refused confirming their own.
    mine = post(first, "/v1/couple/commitments", {"title": "Call at lunch", "due_time": "12:30"})
    my_check = post(
        first, f"/v1/couple/commitments/{mine['id']}/checks", {"date": TODAY, "status": "kept"}
    )
    theirs = post(second, "/v1/couple/commitments", {"title": "Walk the dog", "due_time": "18:00"})
    their_check = post(
        second, f"/v1/couple/commitments/{theirs['id']}/checks", {"date": TODAY, "status": "kept"}
    )

    # A check-in agreement each: the first partner's is due now (13:00 in Paris) and checked
    # in; the second's is due at 13:30, and they sent word they are running late.
    my_agreement = post(first, "/v1/couple/agreements", {"title": "Lunch", "time": "13:00"})
    post(first, f"/v1/couple/agreements/{my_agreement['id']}/check-ins", {"message": "Here"})
    their_agreement = post(second, "/v1/couple/agreements", {"time": "13:30"})
    post(second, f"/v1/couple/agreements/{their_agreement['id']}/late", {"minutes": 10})

    # Reassurance both ways, open: one the first partner may answer, one they asked.
    to_answer = post(second, "/v1/couple/reassurance-requests", {"note": "Long day"})
    my_request = post(first, "/v1/couple/reassurance-requests")

    # The therapist (consent was given in build_couple) assigns one question.
    assignment = post(
        therapist,
        f"/v1/therapist/couples/{couple_id}/assignments",
        {"kind": "check_in", "text": "How did this week's talk go?", "time": "19:00"},
    )

    # The first partner's journal: a private note and a thought record shared with the
    # therapist (who reads it at /v1/therapist/couples/{couple_id}/journal).
    private_note = post(first, "/v1/me/journal", {"kind": "note", "text": "Slept badly, again."})
    thought_record = post(
        first,
        "/v1/me/journal",
        {
            "kind": "thought_record",
            "situation": "No text by seven",
            "thought": "They've stopped caring",
            "feelings": [{"name": "anxious", "intensity": 80}],
            "shared_with_therapist": True,
        },
    )

    inbox = _ok(client.get("/v1/me/notifications", headers=first.headers), 200)["items"]
    assert inbox, "the first partner's inbox should hold the second's note"

    solo_code = post(solo, "/v1/invites")["code"]
    other_code = post(other_solo, "/v1/invites")["code"]

    rounds = [{"round_id": check_in["id"]}, {"round_id": gratitude_round["id"]}]
    notes = [{"note_id": received["id"]}, {"note_id": sent["id"]}]
    commitments = [{"commitment_id": mine["id"]}, {"commitment_id": theirs["id"]}]
    agreements = [{"agreement_id": my_agreement["id"]}, {"agreement_id": their_agreement["id"]}]
    requests = [{"request_id": to_answer["id"]}, {"request_id": my_request["id"]}]
    journal = [{"entry_id": private_note["id"]}, {"entry_id": thought_record["id"]}]
    grants = [{"grant_id": grant_id}]
    couples = [{"couple_id": couple_id}]
    invites = [{"code": solo_code}, {"code": other_code}]
    path_ids = {
        "/v1/auth/sessions/{session_id}": [{"session_id": str(other_session)}],
        "/v1/me/devices/{device_id}": [{"device_id": device["id"]}],
        "/v1/me/journal/{entry_id}": journal,
        "/v1/me/notifications/{notification_id}/read": [
            {"notification_id": item["id"]} for item in inbox
        ],
        "/v1/invites/{code}": invites,
        "/v1/invites/{code}/accept": invites,
        "/v1/couple/schedules/{schedule_id}": [{"schedule_id": schedule["id"]}],
        "/v1/couple/rounds/{round_id}": rounds,
        "/v1/couple/rounds/{round_id}/answers": rounds,
        "/v1/couple/gratitude/{note_id}": notes,
        "/v1/couple/gratitude/{note_id}/acknowledge": notes,
        "/v1/couple/commitments/{commitment_id}": commitments,
        "/v1/couple/commitments/{commitment_id}/checks": commitments,
        "/v1/couple/commitments/{commitment_id}/checks/{check_id}/confirm": [
            {"commitment_id": mine["id"], "check_id": my_check["id"]},
            {"commitment_id": theirs["id"], "check_id": their_check["id"]},
        ],
        "/v1/couple/agreements/{agreement_id}": agreements,
        "/v1/couple/agreements/{agreement_id}/check-ins": agreements,
        "/v1/couple/agreements/{agreement_id}/late": agreements,
        "/v1/couple/agreements/{agreement_id}/occurrences": agreements,
        "/v1/couple/reassurance-requests/{request_id}": requests,
        "/v1/couple/reassurance-requests/{request_id}/answer": requests,
        "/v1/couple/reassurance-requests/{request_id}/withdraw": requests,
        "/v1/couple/therapists/{grant_id}": grants,
        "/v1/couple/therapists/{grant_id}/approve": grants,
        "/v1/couple/therapists/{grant_id}/access-log": grants,
        "/v1/therapist/couples/{couple_id}/progress": couples,
        "/v1/therapist/couples/{couple_id}/commitments": couples,
        "/v1/therapist/couples/{couple_id}/rounds": couples,
        "/v1/therapist/couples/{couple_id}/gratitude": couples,
        "/v1/therapist/couples/{couple_id}/assignments": couples,
        "/v1/therapist/couples/{couple_id}/agreements": couples,
        "/v1/therapist/couples/{couple_id}/journal": couples,
        "/v1/therapist/couples/{couple_id}/assignments/{assignment_id}": [
            {"couple_id": couple_id, "assignment_id": assignment["id"]}
        ],
    }
    world.path_ids = path_ids
    return world
