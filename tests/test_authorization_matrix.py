"""Who may touch what, for every operation in openapi.yaml.

Objects belong to couple A (seeded by tests/world.py); outsiders ask for them by id and must
learn nothing: 404, never the object and never a hint that it exists. Roles are kept apart:
therapists are refused partner paths, partners therapist paths, before anything else happens.

The operations come from the checked-in contract, so a new endpoint fails
`test_every_templated_operation_is_in_the_matrix` until it is added to MATRIX below.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest
import yaml

from tests.factories import Actor, pair
from tests.helpers import assert_error
from tests.world import TODAY, World, build_couple, build_world

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METHODS = ("get", "put", "post", "patch", "delete")


def _contract() -> dict:
    with open(os.path.join(ROOT, "openapi.yaml")) as fh:
        return yaml.safe_load(fh)


SPEC = _contract()
OPERATIONS = sorted(
    (method.upper(), path)
    for path, operations in SPEC["paths"].items()
    for method in operations
    if method in METHODS
)
TEMPLATED = {(method, path) for method, path in OPERATIONS if "{" in path}


@dataclass(frozen=True)
class Foreign:
    """How an operation is asked about couple A's objects by someone who may not see them.

    `outsider` is "partner" (a partner of couple B, or for /v1/me and /v1/auth paths simply
    another user) or "therapist" (one without consent: no grant, a pending grant, or an active
    grant to another couple only). The objects are every seeded id of the path in
    `World.path_ids`; `body` is valid, so a 422 cannot answer before the ownership check.
    """

    outsider: str
    body: dict | None = None
    status: int = 404
    reason: str = "not_found"


PARTNER = Foreign("partner")
THERAPIST = Foreign("therapist")

MATRIX: dict[tuple[str, str], Foreign] = {
    ("DELETE", "/v1/auth/sessions/{session_id}"): PARTNER,
    ("DELETE", "/v1/me/devices/{device_id}"): PARTNER,
    ("POST", "/v1/me/notifications/{notification_id}/read"): PARTNER,
    # A journal is its author's alone: another user (their partner too, tests/journal) gets 404.
    ("GET", "/v1/me/journal/{entry_id}"): PARTNER,
    ("PATCH", "/v1/me/journal/{entry_id}"): Foreign("partner", {"shared_with_therapist": False}),
    ("DELETE", "/v1/me/journal/{entry_id}"): PARTNER,
    ("DELETE", "/v1/invites/{code}"): Foreign("partner", reason="invite_not_found"),
    # Accepting someone else's open invite is what invites are for; a partner who is already
    # paired is refused by the contract's last check in the accept order.
    ("POST", "/v1/invites/{code}/accept"): Foreign("partner", status=409, reason="already_paired"),
    ("GET", "/v1/couple/schedules/{schedule_id}"): PARTNER,
    ("PATCH", "/v1/couple/schedules/{schedule_id}"): Foreign("partner", {"active": False}),
    ("DELETE", "/v1/couple/schedules/{schedule_id}"): PARTNER,
    ("GET", "/v1/couple/rounds/{round_id}"): PARTNER,
    ("POST", "/v1/couple/rounds/{round_id}/answers"): Foreign(
        "partner", {"rating": 3, "text": "Fine"}
    ),
    ("GET", "/v1/couple/gratitude/{note_id}"): PARTNER,
    ("POST", "/v1/couple/gratitude/{note_id}/acknowledge"): Foreign("partner", {}),
    ("GET", "/v1/couple/commitments/{commitment_id}"): PARTNER,
    ("PATCH", "/v1/couple/commitments/{commitment_id}"): Foreign("partner", {"title": "Mine"}),
    ("DELETE", "/v1/couple/commitments/{commitment_id}"): PARTNER,
    ("GET", "/v1/couple/commitments/{commitment_id}/checks"): PARTNER,
    ("POST", "/v1/couple/commitments/{commitment_id}/checks"): Foreign(
        "partner", {"date": TODAY, "status": "kept"}
    ),
    ("POST", "/v1/couple/commitments/{commitment_id}/checks/{check_id}/confirm"): PARTNER,
    ("GET", "/v1/couple/agreements/{agreement_id}"): PARTNER,
    ("PATCH", "/v1/couple/agreements/{agreement_id}"): Foreign("partner", {"title": "Mine"}),
    ("DELETE", "/v1/couple/agreements/{agreement_id}"): PARTNER,
    ("POST", "/v1/couple/agreements/{agreement_id}/check-ins"): Foreign("partner", {}),
    ("POST", "/v1/couple/agreements/{agreement_id}/late"): Foreign("partner", {"minutes": 10}),
    ("GET", "/v1/couple/agreements/{agreement_id}/occurrences"): PARTNER,
    ("GET", "/v1/couple/reassurance-requests/{request_id}"): PARTNER,
    ("POST", "/v1/couple/reassurance-requests/{request_id}/answer"): Foreign(
        "partner", {"text": "I'm here"}
    ),
    ("POST", "/v1/couple/reassurance-requests/{request_id}/withdraw"): PARTNER,
    ("GET", "/v1/couple/therapists/{grant_id}"): PARTNER,
    ("DELETE", "/v1/couple/therapists/{grant_id}"): PARTNER,
    ("POST", "/v1/couple/therapists/{grant_id}/approve"): PARTNER,
    ("GET", "/v1/couple/therapists/{grant_id}/access-log"): PARTNER,
    ("GET", "/v1/therapist/couples/{couple_id}/progress"): THERAPIST,
    ("GET", "/v1/therapist/couples/{couple_id}/commitments"): THERAPIST,
    ("GET", "/v1/therapist/couples/{couple_id}/rounds"): THERAPIST,
    ("GET", "/v1/therapist/couples/{couple_id}/gratitude"): THERAPIST,
    ("GET", "/v1/therapist/couples/{couple_id}/assignments"): THERAPIST,
    ("GET", "/v1/therapist/couples/{couple_id}/agreements"): THERAPIST,
    ("GET", "/v1/therapist/couples/{couple_id}/journal"): THERAPIST,
    ("POST", "/v1/therapist/couples/{couple_id}/assignments"): Foreign(
        "therapist", {"kind": "check_in", "text": "How was the week?", "time": "19:00"}
    ),
    ("DELETE", "/v1/therapist/couples/{couple_id}/assignments/{assignment_id}"): THERAPIST,
}


def test_every_templated_operation_is_in_the_matrix():
    assert set(MATRIX) == TEMPLATED


@pytest.fixture
def world(client, factory) -> World:
    return build_world(client, factory)


def _therapists_without_consent(client, factory, world: World) -> dict[str, Actor]:
    none = factory.therapist()
    pending = factory.therapist()
    code = client.post("/v1/therapist/link-codes", headers=pending.headers).get_json()["code"]
    # The first partner asks; the second never approves.
    added = client.post("/v1/couple/therapists", headers=world.first.headers, json={"code": code})
    assert added.get_json()["status"] == "pending"
    elsewhere = build_couple(client, factory).therapist  # active, but on couple B only
    return {"no grant": none, "pending grant": pending, "another couple's": elsewhere}


def _call(client, method: str, path: str, params: dict, actor: Actor, body: dict | None):
    url = path.format(**params)
    return client.open(url, method=method, headers=actor.headers, json=body)


def _what_couple_a_sees(client, world: World) -> dict[str, object]:
    """Every seeded object as its owners read it, to compare before and after the outsiders."""
    reads = {
        "/v1/couple/schedules/{schedule_id}",
        "/v1/couple/rounds/{round_id}",
        "/v1/couple/gratitude/{note_id}",
        "/v1/couple/commitments/{commitment_id}",
        "/v1/couple/commitments/{commitment_id}/checks",
        "/v1/couple/therapists/{grant_id}",
        "/v1/couple/agreements/{agreement_id}",
        "/v1/couple/agreements/{agreement_id}/occurrences",
        "/v1/couple/reassurance-requests/{request_id}",
        "/v1/me/journal/{entry_id}",
    }
    seen: dict[str, object] = {}
    for path in reads:
        for params in world.path_ids[path]:
            url = path.format(**params)
            seen[url] = client.get(url, headers=world.first.headers).get_json()
    for url in ("/v1/me/devices", "/v1/auth/sessions", "/v1/me/notifications", "/v1/me/journal"):
        seen[url] = client.get(url, headers=world.first.headers).get_json()
    seen["/v1/invites"] = client.get("/v1/invites", headers=world.solo.headers).get_json()
    seen["assignments"] = client.get(
        f"/v1/therapist/couples/{world.couple_id}/assignments", headers=world.therapist.headers
    ).get_json()
    seen["shared journal"] = client.get(
        f"/v1/therapist/couples/{world.couple_id}/journal", headers=world.therapist.headers
    ).get_json()
    return seen


def test_outsiders_get_nothing_of_another_couple(client, factory, world):
    partner_of_b, _, _ = pair(factory)
    therapists = _therapists_without_consent(client, factory, world)
    outsiders = {"partner": {"partner of couple B": partner_of_b}, "therapist": therapists}
    before = _what_couple_a_sees(client, world)
    for (method, path), foreign in sorted(MATRIX.items()):
        for who, actor in outsiders[foreign.outsider].items():
            for params in world.path_ids[path]:
                response = _call(client, method, path, params, actor, foreign.body)
                assert response.status_code == foreign.status, (method, path, who, params)
                assert_error(response, foreign.status, foreign.reason)
    # Refused writes changed nothing: every object reads as it did.
    assert _what_couple_a_sees(client, world) == before


def _placeholders(path: str) -> str:
    """Any well-formed value: the role check answers before an id is ever looked up."""
    params = {
        parameter["name"]: (
            str(uuid.uuid4()) if parameter["schema"].get("format") == "uuid" else "ABCDEFGH"
        )
        for parameter in SPEC["paths"][path].get("parameters", [])
        if parameter["in"] == "path"
    }
    return path.format(**params)


PARTNER_ONLY = [
    (method, path)
    for method, path in OPERATIONS
    if path == "/v1/couple" or path.startswith(("/v1/couple/", "/v1/invites"))
]
THERAPIST_ONLY = [(method, path) for method, path in OPERATIONS if path.startswith("/v1/therapist")]


def test_therapists_are_refused_every_partner_path(client, factory):
    assert len(PARTNER_ONLY) >= 25  # reads and writes alike: GET, POST, PATCH, DELETE
    therapist = factory.therapist()
    for method, path in PARTNER_ONLY:
        # No body at all: the role is checked before the body is even parsed.
        response = client.open(_placeholders(path), method=method, headers=therapist.headers)
        assert response.status_code == 403, (method, path, response.get_json())
        assert_error(response, 403, "partners_only")


def test_partners_are_refused_every_therapist_path(client, factory):
    assert len(THERAPIST_ONLY) >= 8
    partner, _, _ = pair(factory)
    for method, path in THERAPIST_ONLY:
        response = client.open(_placeholders(path), method=method, headers=partner.headers)
        assert response.status_code == 403, (method, path, response.get_json())
        assert_error(response, 403, "therapist_only")
