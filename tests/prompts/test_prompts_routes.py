from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from api.notifications.models import Notification
from api.prompts import schedules
from api.prompts.library import library
from tests.factories import pair
from tests.helpers import all_prompts, assert_error, assert_invalid_fields


def first_library(kind):
    return [p for p in library() if p.kind == kind]


# --- prompts ----------------------------------------------------------------------------------


def test_the_library_is_listed_in_a_stable_order(client, factory):
    actor = factory.partner()
    texts = [(p["kind"], p["text"], p["source"]) for p in all_prompts(client, actor)]
    expected = [("check_in", p.text, "library") for p in first_library("check_in")] + [
        ("gratitude", p.text, "library") for p in first_library("gratitude")
    ]
    assert texts == expected
    assert len(first_library("gratitude")) >= 150 and len(first_library("check_in")) >= 150


def test_prompts_filter_by_kind_and_page(client, factory):
    actor = factory.partner()
    page = client.get("/v1/prompts?kind=gratitude&limit=5", headers=actor.headers).get_json()
    assert [p["text"] for p in page["items"]] == [p.text for p in first_library("gratitude")[:5]]
    nxt = client.get(
        f"/v1/prompts?kind=gratitude&limit=5&cursor={page['next_cursor']}", headers=actor.headers
    ).get_json()
    assert nxt["items"][0]["text"] == first_library("gratitude")[5].text
    assert_invalid_fields(
        client.get("/v1/prompts?kind=poem", headers=actor.headers), "kind", location="query"
    )
    assert_error(
        client.get("/v1/prompts?cursor=forged", headers=actor.headers), 422, "invalid_cursor"
    )


def test_couple_prompts_follow_the_library_for_that_couple_only(client, factory, couple):
    first, second, _ = couple
    created = client.post(
        "/v1/couple/prompts",
        headers=first.headers,
        json={"kind": "gratitude", "text": "What did they cook that you loved?"},
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["source"] == "couple" and body["kind"] == "gratitude"
    listed = all_prompts(client, second, "kind=gratitude")
    assert listed[-1] == {**body, "category": None, "locale": None}
    outsider, _, _ = pair(factory)
    others = all_prompts(client, outsider, "kind=gratitude")
    assert body["id"] not in {p["id"] for p in others}
    therapist = factory.therapist()
    theirs = all_prompts(client, therapist, "kind=gratitude")
    assert body["id"] not in {p["id"] for p in theirs}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "gratitude", "text": ""}, "text"),
        ({"kind": "gratitude", "text": "x" * 501}, "text"),
        ({"kind": "poem", "text": "x"}, "kind"),
        ({"text": "x"}, "kind"),
        ({"kind": "gratitude", "text": "x", "source": "library"}, "source"),
    ],
)
def test_couple_prompt_input_is_validated(client, couple, body, field):
    first, _, _ = couple
    assert_invalid_fields(
        client.post("/v1/couple/prompts", headers=first.headers, json=body), field
    )


def test_couple_paths_refuse_therapists_and_the_unpaired(client, factory):
    therapist, loner = factory.therapist(), factory.partner()
    calls = [
        ("post", "/v1/couple/prompts", {"kind": "gratitude", "text": "x"}),
        ("post", "/v1/couple/schedules", {"kind": "gratitude", "time": "20:00"}),
        ("get", "/v1/couple/schedules", None),
        ("post", "/v1/couple/rounds", {"kind": "gratitude"}),
        ("get", "/v1/couple/rounds", None),
    ]
    for method, path, body in calls:
        call = getattr(client, method)
        assert_error(call(path, headers=therapist.headers, json=body), 403, "partners_only")
        assert_error(call(path, headers=loner.headers, json=body), 404, "not_paired")


def test_body_is_validated_before_pairing_is_checked(client, factory):
    loner = factory.partner()
    assert_invalid_fields(client.post("/v1/couple/prompts", headers=loner.headers, json={}), "kind")


# --- schedules --------------------------------------------------------------------------------


def create_schedule(client, actor, **body):
    body.setdefault("kind", "gratitude")
    body.setdefault("time", "20:00")
    return client.post("/v1/couple/schedules", headers=actor.headers, json=body)


def test_create_a_schedule_with_defaults(client, couple):
    first, _, _ = couple  # Europe/Paris; the clock says Monday 2026-11-23 12:00Z
    response = create_schedule(client, first)
    assert response.status_code == 201
    body = response.get_json()
    assert body["days"] is None and body["active"] is True and body["prompt_id"] is None
    assert body["timezone"] == "Europe/Paris"
    assert body["time"] == "20:00"
    assert body["next_fire_at"] == "2026-11-23T19:00:00.000Z"


def test_weekday_filter_and_explicit_zone(client, couple):
    first, _, _ = couple
    body = create_schedule(
        client,
        first,
        days=["wed", "mon"],
        time="08:30",
        timezone="America/New_York",
        delivery="together",
    ).get_json()
    assert body["days"] == ["mon", "wed"]
    assert body["next_fire_at"] == "2026-11-23T13:30:00.000Z"  # Monday 08:30 EST, still ahead


def test_inactive_schedule_has_no_next_time(client, couple):
    first, _, _ = couple
    assert create_schedule(client, first, active=False).get_json()["next_fire_at"] is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"time": "8pm"}, "time"),
        ({"time": "24:00"}, "time"),
        ({"days": []}, "days"),
        ({"days": ["mon", "mon"]}, "days"),
        ({"days": ["monday"]}, "days"),
        ({"timezone": "Moon/Base"}, "timezone"),
        ({"kind": "poem"}, "kind"),
        ({"prompt_id": "not-a-uuid"}, "prompt_id"),
    ],
)
def test_schedule_input_is_validated(client, couple, overrides, field):
    first, _, _ = couple
    assert_invalid_fields(create_schedule(client, first, **overrides), field)


def test_schedule_prompt_must_be_visible_and_of_the_kind(client, factory, couple):
    first, _, _ = couple
    prompts = client.get("/v1/prompts?kind=check_in&limit=1", headers=first.headers).get_json()
    check_in_id = prompts["items"][0]["id"]
    assert_error(create_schedule(client, first, prompt_id=check_in_id), 422, "prompt_kind_mismatch")
    outsider, _, _ = pair(factory)
    foreign = client.post(
        "/v1/couple/prompts", headers=outsider.headers, json={"kind": "gratitude", "text": "Theirs"}
    ).get_json()["id"]
    assert_error(create_schedule(client, first, prompt_id=foreign), 404, "prompt_not_found")
    assert_error(
        create_schedule(client, first, prompt_id="00000000-0000-4000-8000-000000000000"),
        404,
        "prompt_not_found",
    )
    good = create_schedule(client, first, kind="check_in", prompt_id=check_in_id)
    assert good.status_code == 201


def test_patch_recomputes_and_either_partner_may_change_it(client, couple):
    first, second, _ = couple
    schedule = create_schedule(client, first).get_json()
    path = f"/v1/couple/schedules/{schedule['id']}"
    moved = client.patch(path, headers=second.headers, json={"time": "07:15"})
    assert moved.status_code == 200
    assert moved.get_json()["next_fire_at"] == "2026-11-24T06:15:00.000Z"
    paused = client.patch(path, headers=second.headers, json={"active": False}).get_json()
    assert paused["next_fire_at"] is None
    resumed = client.patch(
        path, headers=first.headers, json={"active": True, "days": ["sat"]}
    ).get_json()
    assert resumed["next_fire_at"] == "2026-11-28T06:15:00.000Z"
    assert client.get(path, headers=second.headers).get_json() == resumed
    assert_invalid_fields(client.patch(path, headers=first.headers, json={"days": []}), "days")
    assert_invalid_fields(client.patch(path, headers=first.headers, json={"id": "x"}), "id")


def test_schedules_list_get_and_delete(client, factory, couple, clock):
    first, second, _ = couple
    one = create_schedule(client, first).get_json()
    clock.advance(seconds=1)
    two = create_schedule(client, second, kind="check_in", time="21:00").get_json()
    listed = client.get("/v1/couple/schedules", headers=first.headers).get_json()
    assert [s["id"] for s in listed["items"]] == [two["id"], one["id"]]
    assert (
        client.delete(f"/v1/couple/schedules/{one['id']}", headers=second.headers).status_code
        == 204
    )
    assert_error(
        client.get(f"/v1/couple/schedules/{one['id']}", headers=first.headers), 404, "not_found"
    )
    outsider, _, _ = pair(factory)
    for call in (client.get, client.delete):
        assert_error(
            call(f"/v1/couple/schedules/{two['id']}", headers=outsider.headers), 404, "not_found"
        )
    assert_error(
        client.patch(
            f"/v1/couple/schedules/{two['id']}", headers=outsider.headers, json={"time": "10:00"}
        ),
        404,
        "not_found",
    )


# --- rounds and answers -----------------------------------------------------------------------


def ask(client, actor, **body):
    body.setdefault("kind", "gratitude")
    response = client.post("/v1/couple/rounds", headers=actor.headers, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def answer(client, actor, round_id, **body):
    return client.post(f"/v1/couple/rounds/{round_id}/answers", headers=actor.headers, json=body)


def test_ask_now_rotates_through_the_library_and_notifies_the_partner(client, session, couple):
    first, second, _ = couple
    gratitude = first_library("gratitude")
    one = ask(client, first)
    assert one["prompt"]["text"] == gratitude[0].text
    assert (one["status"], one["my_answer"], one["partner_answered"]) == ("open", None, False)
    assert one["schedule_id"] is None
    two = ask(client, second)
    assert two["prompt"]["text"] == gratitude[1].text
    session.commit()
    prompts = session.scalars(select(Notification).where(Notification.kind == "prompt")).all()
    assert sorted((n.recipient_id, n.data["round_id"]) for n in prompts) == sorted(
        [(second.user.id, one["id"]), (first.user.id, two["id"])]
    )


def test_ask_now_with_a_chosen_prompt(client, couple):
    first, _, _ = couple
    mine = client.post(
        "/v1/couple/prompts",
        headers=first.headers,
        json={"kind": "check_in", "text": "How close today?"},
    ).get_json()
    asked = ask(client, first, kind="check_in", prompt_id=mine["id"])
    assert asked["prompt"] == {"id": mine["id"], "text": "How close today?", "locale": None}
    assert_error(
        client.post(
            "/v1/couple/rounds",
            headers=first.headers,
            json={"kind": "gratitude", "prompt_id": mine["id"]},
        ),
        422,
        "prompt_kind_mismatch",
    )


def test_answer_to_reveal_holds_everywhere(client, couple):
    first, second, _ = couple
    round_id = ask(client, first)["id"]
    mine = answer(client, first, round_id, text="You walked the dog in the rain")
    assert mine.status_code == 201
    body = mine.get_json()
    assert body["my_answer"]["text"] == "You walked the dog in the rain"
    assert (body["partner_answered"], body["partner_answer"]) == (False, None)

    # The partner knows an answer exists, but sees nothing of it until they answer.
    seen = client.get(f"/v1/couple/rounds/{round_id}", headers=second.headers).get_json()
    assert (seen["partner_answered"], seen["partner_answer"], seen["my_answer"]) == (
        True,
        None,
        None,
    )
    listed = client.get("/v1/couple/rounds", headers=second.headers).get_json()["items"][0]
    assert listed["partner_answer"] is None
    export = client.get("/v1/me/export", headers=second.headers).get_json()
    assert "walked the dog" not in json.dumps(export)

    theirs = answer(client, second, round_id, text="You made me tea").get_json()
    assert theirs["partner_answer"]["text"] == "You walked the dog in the rain"
    assert theirs["status"] == "complete"
    back = client.get(f"/v1/couple/rounds/{round_id}", headers=first.headers).get_json()
    assert back["partner_answer"]["text"] == "You made me tea"
    export = client.get("/v1/me/export", headers=second.headers).get_json()
    assert "walked the dog" in json.dumps(export)


def test_answering_notifies_the_partner(client, session, couple):
    first, second, _ = couple
    round_id = ask(client, first)["id"]
    answer(client, second, round_id, text="The note in my bag")
    session.commit()
    [note] = session.scalars(
        select(Notification).where(Notification.kind == "partner_answered")
    ).all()
    assert note.recipient_id == first.user.id and note.data == {"round_id": round_id}
    assert "bag" not in note.body and "bag" not in note.title


def test_each_partner_answers_once(client, couple):
    first, _, _ = couple
    round_id = ask(client, first)["id"]
    assert answer(client, first, round_id, text="one").status_code == 201
    assert_error(answer(client, first, round_id, text="two"), 409, "already_answered")


def test_check_ins_need_a_rating(client, couple):
    first, second, _ = couple
    round_id = ask(client, first, kind="check_in")["id"]
    assert_error(answer(client, first, round_id, text="fine"), 422, "rating_required")
    assert_invalid_fields(answer(client, first, round_id, rating=6), "rating")
    assert_invalid_fields(answer(client, first, round_id, rating=0), "rating")
    assert_invalid_fields(answer(client, first, round_id, rating="4"), "rating")
    ok = answer(client, first, round_id, rating=4)
    assert ok.status_code == 201 and ok.get_json()["my_answer"]["rating"] == 4
    with_text = answer(client, second, round_id, rating=2, text="A long week")
    assert with_text.get_json()["partner_answer"]["rating"] == 4


def test_gratitude_answers_need_text_and_no_rating(client, couple):
    first, _, _ = couple
    round_id = ask(client, first)["id"]
    assert_error(answer(client, first, round_id), 422, "text_required")
    assert_error(answer(client, first, round_id, text="x", rating=3), 422, "rating_not_allowed")
    assert_invalid_fields(answer(client, first, round_id, text="x" * 1001), "text")
    assert_invalid_fields(answer(client, first, round_id, text="x", mood="good"), "mood")


def test_rounds_list_filters_by_status(client, couple, clock):
    first, second, _ = couple
    done = ask(client, first)["id"]
    clock.advance(minutes=1)
    waiting = ask(client, first)["id"]
    answer(client, first, done, text="a")
    answer(client, second, done, text="b")
    answer(client, first, waiting, text="c")
    open_ = client.get("/v1/couple/rounds?status=open", headers=first.headers).get_json()
    complete = client.get("/v1/couple/rounds?status=complete", headers=first.headers).get_json()
    everything = client.get("/v1/couple/rounds", headers=first.headers).get_json()
    assert [r["id"] for r in open_["items"]] == [waiting]
    assert [r["id"] for r in complete["items"]] == [done]
    assert [r["id"] for r in everything["items"]] == [waiting, done]
    assert_invalid_fields(
        client.get("/v1/couple/rounds?status=closed", headers=first.headers),
        "status",
        location="query",
    )


def test_rounds_awaiting_me_are_open_and_not_answered_by_me(client, couple, clock):
    first, second, _ = couple
    theirs = ask(client, second)["id"]  # first has not answered
    clock.advance(minutes=1)
    mine = ask(client, first)["id"]  # nor here: the asker answers too
    clock.advance(minutes=1)
    answered = ask(client, second)["id"]
    answer(client, first, answered, text="Done")  # answered by first, open for second
    clock.advance(minutes=1)
    complete = ask(client, first)["id"]
    answer(client, first, complete, text="a")
    answer(client, second, complete, text="b")

    def awaiting(actor):
        body = client.get("/v1/couple/rounds?status=awaiting_me", headers=actor.headers)
        assert body.status_code == 200, body.get_json()
        return [r["id"] for r in body.get_json()["items"]]

    assert awaiting(first) == [mine, theirs]
    assert awaiting(second) == [answered, mine, theirs]
    page = client.get(
        "/v1/couple/rounds?status=awaiting_me&limit=1", headers=first.headers
    ).get_json()
    more = client.get(
        f"/v1/couple/rounds?status=awaiting_me&limit=1&cursor={page['next_cursor']}",
        headers=first.headers,
    ).get_json()
    assert [r["id"] for r in page["items"] + more["items"]] == [mine, theirs]
    assert more["next_cursor"] is None


def test_at_most_three_asks_wait_on_the_partner(client, session_factory, couple, clock):
    first, second, couple_id = couple
    asked = [ask(client, first)["id"] for _ in range(3)]
    answer(client, first, asked[0], text="Mine")  # the asker's own answer changes nothing
    fourth = client.post("/v1/couple/rounds", headers=first.headers, json={"kind": "check_in"})
    assert_error(fourth, 409, "too_many_open_rounds")
    # The partner's own asks are theirs to count.
    assert ask(client, second)["id"]
    # Scheduled rounds are nobody's asks.
    client.post(
        "/v1/couple/schedules", headers=first.headers, json={"kind": "check_in", "time": "13:30"}
    )
    clock.advance(minutes=31)
    assert schedules.materialise_due_schedules(session_factory=session_factory, now=clock()) == 1
    assert_error(
        client.post("/v1/couple/rounds", headers=first.headers, json={"kind": "gratitude"}),
        409,
        "too_many_open_rounds",
    )
    # Once the partner answers one, one more may be asked.
    assert answer(client, second, asked[1], text="Yours").status_code == 201
    assert ask(client, first)["id"]
    assert_error(
        client.post("/v1/couple/rounds", headers=first.headers, json={"kind": "gratitude"}),
        409,
        "too_many_open_rounds",
    )


def test_a_refused_ask_is_checked_after_the_body_and_the_prompt(client, couple):
    first, _, _ = couple
    for _ in range(3):
        ask(client, first)
    assert_invalid_fields(
        client.post("/v1/couple/rounds", headers=first.headers, json={"kind": "poem"}), "kind"
    )
    unknown = {"kind": "gratitude", "prompt_id": "00000000-0000-4000-8000-000000000000"}
    assert_error(
        client.post("/v1/couple/rounds", headers=first.headers, json=unknown),
        404,
        "prompt_not_found",
    )


def test_another_couples_round_is_not_found(client, factory, couple):
    first, _, _ = couple
    round_id = ask(client, first)["id"]
    outsider, _, _ = pair(factory)
    assert_error(
        client.get(f"/v1/couple/rounds/{round_id}", headers=outsider.headers), 404, "not_found"
    )
    assert_error(answer(client, outsider, round_id, text="sneaky"), 404, "not_found")
    assert client.get("/v1/couple/rounds", headers=outsider.headers).get_json()["items"] == []


def test_a_new_pairing_starts_empty(client, factory, couple):
    first, second, _ = couple
    ask(client, first)
    client.delete("/v1/couple", headers=first.headers)
    _, _, _ = pair(factory, first=first)
    assert client.get("/v1/couple/rounds", headers=first.headers).get_json()["items"] == []
    assert client.get("/v1/couple/schedules", headers=first.headers).get_json()["items"] == []


def test_erasure_removes_answers_and_custom_prompts(client, session, couple):
    first, second, _ = couple
    mine = client.post(
        "/v1/couple/prompts",
        headers=first.headers,
        json={"kind": "gratitude", "text": "Custom question"},
    ).get_json()
    round_id = ask(client, first, prompt_id=mine["id"])["id"]
    answer(client, first, round_id, text="first's words")
    answer(client, second, round_id, text="second's words")
    client.delete("/v1/me", headers=first.headers)
    export = json.dumps(client.get("/v1/me/export", headers=second.headers).get_json())
    assert "first's words" not in export
    assert "second's words" in export
    assert "Custom question" in export  # the round keeps the question it asked
