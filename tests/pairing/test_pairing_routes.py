from __future__ import annotations

import re

import pytest

from tests.factories import pair
from tests.helpers import assert_error

CODE_RE = re.compile(r"^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$")


def invite(client, actor):
    response = client.post("/v1/invites", headers=actor.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["code"]


def accept(client, actor, code):
    return client.post(f"/v1/invites/{code}/accept", headers=actor.headers)


# --- invites ----------------------------------------------------------------------------------


def test_create_invite_gives_an_unambiguous_code_for_72_hours(client, factory):
    actor = factory.partner()
    response = client.post("/v1/invites", headers=actor.headers)
    assert response.status_code == 201
    body = response.get_json()
    assert CODE_RE.match(body["code"])
    assert body["expires_at"] == "2026-11-26T12:00:00.000Z"


def test_codes_are_random(client, factory):
    codes = {invite(client, factory.partner()) for _ in range(10)}
    assert len(codes) == 10


def test_list_shows_only_open_invites(client, factory, clock):
    actor = factory.partner()
    old = invite(client, actor)
    clock.advance(hours=71)
    kept = invite(client, actor)
    withdrawn = invite(client, actor)
    client.delete(f"/v1/invites/{withdrawn}", headers=factory.actor(actor.user).headers)
    clock.advance(hours=2)  # `old` is now expired
    fresh = factory.actor(actor.user)
    body = client.get("/v1/invites", headers=fresh.headers).get_json()
    assert [i["code"] for i in body["items"]] == [kept]
    assert body["next_cursor"] is None
    assert old != kept


def test_at_most_five_open_invites(client, factory, clock):
    actor = factory.partner()
    for _ in range(5):
        invite(client, actor)
    assert_error(client.post("/v1/invites", headers=actor.headers), 409, "too_many_invites")
    clock.advance(hours=72)  # they all expired; expired ones do not count
    again = factory.actor(actor.user)
    assert client.post("/v1/invites", headers=again.headers).status_code == 201


def test_a_paired_user_cannot_invite(client, factory):
    first, second, _ = pair(factory)
    assert_error(client.post("/v1/invites", headers=first.headers), 409, "already_paired")


def test_withdrawing_an_invite(client, factory):
    inviter, other = factory.partner(), factory.partner()
    code = invite(client, inviter)
    assert client.delete(f"/v1/invites/{code.lower()}", headers=inviter.headers).status_code == 204
    assert_error(accept(client, other, code), 404, "invite_not_found")
    assert_error(
        client.delete(f"/v1/invites/{code}", headers=inviter.headers), 404, "invite_not_found"
    )


def test_someone_elses_invite_cannot_be_withdrawn(client, factory):
    inviter, stranger = factory.partner(), factory.partner()
    code = invite(client, inviter)
    assert_error(
        client.delete(f"/v1/invites/{code}", headers=stranger.headers), 404, "invite_not_found"
    )
    assert_error(
        client.delete("/v1/invites/NOPE2345", headers=stranger.headers), 404, "invite_not_found"
    )
    assert [
        i["code"] for i in client.get("/v1/invites", headers=inviter.headers).get_json()["items"]
    ] == [code]


# --- accepting --------------------------------------------------------------------------------


def test_accepting_pairs_the_two_partners(client, factory):
    inviter = factory.partner(display_name="Ana", timezone="Europe/Lisbon")
    partner = factory.partner(display_name="Ben", timezone="America/Toronto")
    code = invite(client, inviter)
    response = accept(client, partner, code)
    assert response.status_code == 201
    body = response.get_json()
    assert body["me"] == {"id": partner.id, "display_name": "Ben", "timezone": "America/Toronto"}
    assert body["partner"] == {"id": inviter.id, "display_name": "Ana", "timezone": "Europe/Lisbon"}
    assert body["since"] == "2026-11-23T12:00:00.000Z"
    seen_by_inviter = client.get("/v1/couple", headers=inviter.headers).get_json()
    assert seen_by_inviter["id"] == body["id"]
    assert seen_by_inviter["me"]["id"] == inviter.id
    assert seen_by_inviter["partner"]["id"] == partner.id


@pytest.mark.parametrize(
    "transform",
    [str.lower, lambda c: f"{c[:4]}-{c[4:]}", lambda c: f" {c[:2]} {c[2:]} ".replace(" ", "%20")],
)
def test_codes_ignore_case_spaces_and_dashes(client, factory, transform):
    inviter, partner = factory.partner(), factory.partner()
    code = invite(client, inviter)
    assert accept(client, partner, transform(code)).status_code == 201


def test_pairing_revokes_both_partners_open_invites(client, factory):
    inviter, partner, third = factory.partner(), factory.partner(), factory.partner()
    first_code = invite(client, inviter)
    other_code = invite(client, inviter)
    partners_own = invite(client, partner)
    assert accept(client, partner, first_code).status_code == 201
    for code in (other_code, partners_own):
        assert_error(accept(client, third, code), 404, "invite_not_found")
    assert client.get("/v1/invites", headers=inviter.headers).get_json()["items"] == []


def test_accept_reasons(client, factory, clock):
    inviter, partner, third = factory.partner(), factory.partner(), factory.partner()
    assert_error(accept(client, partner, "ZZZZZZZZ"), 404, "invite_not_found")
    assert_error(accept(client, partner, "not-a-code-at-all"), 404, "invite_not_found")
    code = invite(client, inviter)
    assert_error(accept(client, inviter, code), 409, "own_invite")
    assert accept(client, partner, code).status_code == 201
    assert_error(accept(client, third, code), 409, "invite_used")


def test_an_expired_invite_is_gone(client, factory, clock):
    inviter, partner = factory.partner(), factory.partner()
    code = invite(client, inviter)
    clock.advance(hours=72)
    fresh = factory.actor(partner.user)
    assert_error(accept(client, fresh, code), 410, "invite_expired")


def test_check_order_own_before_used_before_expired_before_paired(client, factory, clock):
    inviter, partner = factory.partner(), factory.partner()
    code = invite(client, inviter)
    clock.advance(hours=73)
    # Own and expired: own_invite comes first.
    assert_error(accept(client, factory.actor(inviter.user), code), 409, "own_invite")
    # Expired and the accepter already paired: invite_expired comes first.
    _, _, _ = pair(factory, first=factory.actor(partner.user))
    assert_error(accept(client, factory.actor(partner.user), code), 410, "invite_expired")


def test_a_paired_user_cannot_accept(client, factory):
    first, second, _ = pair(factory)
    code = invite(client, factory.partner())
    assert_error(accept(client, first, code), 409, "already_paired")


def test_therapists_cannot_pair(client, factory):
    therapist, partner = factory.therapist(), factory.partner()
    code = invite(client, partner)
    assert_error(client.post("/v1/invites", headers=therapist.headers), 403, "partners_only")
    assert_error(client.get("/v1/invites", headers=therapist.headers), 403, "partners_only")
    assert_error(accept(client, therapist, code), 403, "partners_only")
    assert_error(client.get("/v1/couple", headers=therapist.headers), 403, "partners_only")
    assert_error(client.delete("/v1/couple", headers=therapist.headers), 403, "partners_only")


def test_pairing_needs_a_token(client):
    assert_error(client.post("/v1/invites"), 401, "missing_token")
    assert_error(client.post("/v1/invites/ABCDEFGH/accept"), 401, "missing_token")
    assert_error(client.get("/v1/couple"), 401, "missing_token")


# --- the couple -------------------------------------------------------------------------------


def test_not_paired(client, factory):
    loner = factory.partner()
    assert_error(client.get("/v1/couple", headers=loner.headers), 404, "not_paired")
    assert_error(client.delete("/v1/couple", headers=loner.headers), 404, "not_paired")


def test_a_third_user_sees_only_their_own_state(client, factory):
    first, second, couple_id = pair(factory)
    third = factory.partner()
    assert_error(client.get("/v1/couple", headers=third.headers), 404, "not_paired")
    assert_error(client.delete("/v1/couple", headers=third.headers), 404, "not_paired")
    assert client.get("/v1/couple", headers=first.headers).get_json()["id"] == str(couple_id)


def test_unpairing_ends_the_couple_for_both(client, factory):
    first, second, couple_id = pair(factory)
    assert client.delete("/v1/couple", headers=second.headers).status_code == 204
    for actor in (first, second):
        assert_error(client.get("/v1/couple", headers=actor.headers), 404, "not_paired")


def test_after_unpairing_either_can_pair_again(client, factory, clock):
    first, second, old_couple = pair(factory)
    client.delete("/v1/couple", headers=first.headers)
    clock.advance(minutes=1)
    newcomer = factory.partner()
    assert accept(client, newcomer, invite(client, first)).status_code == 201
    # And the former partner can pair with the first again after that ends.
    client.delete("/v1/couple", headers=newcomer.headers)
    again = accept(client, second, invite(client, first)).get_json()
    assert again["id"] != str(old_couple)
    export = client.get("/v1/me/export", headers=first.headers).get_json()
    assert len(export["couples"]) == 3
    ended = [c for c in export["couples"] if c["ended_at"]]
    assert len(ended) == 2
    assert {c["partner"]["id"] for c in export["couples"]} == {second.id, newcomer.id}


def test_export_keeps_an_ended_couple_for_each_partner(client, factory):
    first, second, couple_id = pair(factory)
    client.delete("/v1/couple", headers=first.headers)
    for me, partner in ((first, second), (second, first)):
        couples = client.get("/v1/me/export", headers=me.headers).get_json()["couples"]
        assert couples == [
            {
                "id": str(couple_id),
                "since": "2026-11-23T12:00:00.000Z",
                "ended_at": "2026-11-23T12:00:00.000Z",
                "partner": {"id": partner.id, "display_name": partner.user.display_name},
                "rounds": [],
                "gratitude": [],
                "commitments": [],
                "agreements": [],
                "reassurance": [],
                "therapist_grants": [],
            }
        ]


def test_erasing_an_account_ends_the_couple(client, factory):
    first, second, couple_id = pair(factory)
    assert client.delete("/v1/me", headers=first.headers).status_code == 204
    assert_error(client.get("/v1/couple", headers=second.headers), 404, "not_paired")
    couples = client.get("/v1/me/export", headers=second.headers).get_json()["couples"]
    assert couples[0]["id"] == str(couple_id) and couples[0]["ended_at"] is not None
    assert couples[0]["partner"] is None
    assert client.post("/v1/invites", headers=second.headers).status_code == 201
