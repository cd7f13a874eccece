"""Locales through the API: the list, `effective_locale`, library prompts and rounds in each
viewer's language, pushes in each recipient's, and schedules' categories and delivery."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.notifications.models import Notification
from api.prompts.library import CATEGORIES, library, of_kind
from tests.factories import pair
from tests.helpers import all_prompts, assert_error, assert_invalid_fields

TEXTS = {p.text: p for p in library()}  # English text → the library prompt


def bilingual(factory):
    """A couple with two languages: a Spanish speaker in Mexico (es-MX) and a German speaker in
    Berlin."""
    lucia = factory.partner(display_name="Lucía", locale="es-MX", timezone="America/Mexico_City")
    jonas = factory.partner(display_name="Jonas", locale="de", timezone="Europe/Berlin")
    return pair(factory, lucia, jonas)


def notifications(session, kind):
    session.commit()
    return session.scalars(select(Notification).where(Notification.kind == kind)).all()


# --- the list and the account -----------------------------------------------------------------


def test_the_locales_are_listed_without_signing_in(client):
    response = client.get("/v1/locales")
    assert response.status_code == 200
    assert response.get_json() == {
        "items": [
            {"tag": "en", "name": "English"},
            {"tag": "es", "name": "Español"},
            {"tag": "fr", "name": "Français"},
            {"tag": "de", "name": "Deutsch"},
            {"tag": "pt-BR", "name": "Português (Brasil)"},
        ],
        "next_cursor": None,
    }
    assert_invalid_fields(client.get("/v1/locales?limit=5"), "limit", location="query")


@pytest.mark.parametrize(
    ("locale", "effective"),
    [("es-MX", "es"), ("pt", "pt-BR"), ("fr-CA", "fr"), ("tlh", "en"), ("en-GB", "en")],
)
def test_me_shows_the_effective_locale(client, factory, locale, effective):
    actor = factory.partner(locale=locale)
    body = client.get("/v1/me", headers=actor.headers).get_json()
    assert (body["locale"], body["effective_locale"]) == (locale, effective)


def test_changing_the_locale_changes_the_effective_one(client, factory):
    actor = factory.partner()
    changed = client.patch("/v1/me", headers=actor.headers, json={"locale": "pt"})
    assert changed.status_code == 200
    assert (changed.get_json()["locale"], changed.get_json()["effective_locale"]) == (
        "pt",
        "pt-BR",
    )
    assert client.get("/v1/me", headers=actor.headers).get_json()["effective_locale"] == "pt-BR"
    assert_invalid_fields(
        client.patch("/v1/me", headers=actor.headers, json={"locale": "not a tag"}), "locale"
    )


# --- the library ------------------------------------------------------------------------------


def test_the_library_is_deep_spread_over_categories_and_in_every_locale():
    for kind in ("gratitude", "check_in"):
        prompts = of_kind(kind)
        assert len(prompts) >= 150
        per_category = {c: sum(p.category == c for p in prompts) for c in CATEGORIES}
        assert min(per_category.values()) >= 15, per_category
        for prompt in prompts:
            assert set(prompt.texts) == {"en", "es", "fr", "de", "pt-BR"}
            # Written for each language: never the English left in place.
            others = [t for tag, t in prompt.texts.items() if tag != "en"]
            assert prompt.text not in others and len(set(others)) == 4, prompt.key
    keys = [p.key for p in library()]
    assert len(keys) == len(set(keys))
    assert len({p.id for p in library()}) == len(keys)


def test_the_listed_library_follows_the_viewers_locale(client, factory):
    lucia, jonas, _ = bilingual(factory)
    klingon = factory.partner(locale="tlh")
    spanish = all_prompts(client, lucia, "kind=gratitude")
    german = all_prompts(client, jonas, "kind=gratitude")
    english = all_prompts(client, klingon, "kind=gratitude")
    assert [p["id"] for p in spanish] == [p["id"] for p in german] == [p["id"] for p in english]
    expected = of_kind("gratitude")
    assert [(p["text"], p["locale"]) for p in spanish] == [(e.texts["es"], "es") for e in expected]
    assert [(p["text"], p["locale"]) for p in german] == [(e.texts["de"], "de") for e in expected]
    assert [(p["text"], p["locale"]) for p in english] == [(e.text, "en") for e in expected]
    assert [p["category"] for p in spanish] == [e.category for e in expected]


def test_prompts_filter_by_category(client, factory, couple):
    first, _, _ = couple
    client.post(
        "/v1/couple/prompts", headers=first.headers, json={"kind": "check_in", "text": "Ours"}
    )
    repair = all_prompts(client, first, "category=repair")
    expected = [p for p in of_kind("check_in") + of_kind("gratitude") if p.category == "repair"]
    assert sorted(p["id"] for p in repair) == sorted(str(p.id) for p in expected)
    assert {(p["source"], p["category"]) for p in repair} == {("library", "repair")}
    fun = all_prompts(client, first, "kind=check_in&category=fun")
    assert [p["text"] for p in fun] == [p.text for p in of_kind("check_in") if p.category == "fun"]
    assert_invalid_fields(
        client.get("/v1/prompts?category=romance", headers=first.headers),
        "category",
        location="query",
    )
    assert_invalid_fields(
        client.get("/v1/prompts?lang=es", headers=first.headers), "lang", location="query"
    )


# --- rounds in each viewer's language ---------------------------------------------------------


def test_two_languages_answer_the_same_question_each_in_their_own(client, session, factory):
    lucia, jonas, _ = bilingual(factory)
    asked = client.post("/v1/couple/rounds", headers=lucia.headers, json={"kind": "gratitude"})
    assert asked.status_code == 201
    round_ = asked.get_json()
    prompt = TEXTS[of_kind("gratitude")[0].text]
    assert round_["prompt"] == {"id": str(prompt.id), "text": prompt.texts["es"], "locale": "es"}
    seen = client.get(f"/v1/couple/rounds/{round_['id']}", headers=jonas.headers).get_json()
    assert seen["prompt"] == {"id": str(prompt.id), "text": prompt.texts["de"], "locale": "de"}
    listed = client.get("/v1/couple/rounds", headers=jonas.headers).get_json()["items"]
    assert listed[0]["prompt"]["text"] == prompt.texts["de"]
    answered = client.post(
        f"/v1/couple/rounds/{round_['id']}/answers", headers=jonas.headers, json={"text": "Kaffee"}
    ).get_json()
    assert answered["prompt"]["locale"] == "de"
    # The push asked Jonas in German, with the question itself in German.
    [pushed] = notifications(session, "prompt")
    assert (pushed.recipient_id, pushed.title, pushed.body) == (
        jonas.user.id,
        "Eine Frage für euch beide",
        prompt.texts["de"],
    )
    # His answer reached Lucía in Spanish.
    [told] = notifications(session, "partner_answered")
    assert told.recipient_id == lucia.user.id
    assert told.title.startswith("Jonas ") and told.title != "Jonas answered"


def test_the_couples_own_prompt_is_shown_as_written(client, factory):
    lucia, jonas, _ = bilingual(factory)
    ours = client.post(
        "/v1/couple/prompts",
        headers=lucia.headers,
        json={"kind": "gratitude", "text": "¿Qué cocinó que te encantó?"},
    ).get_json()
    assert (ours["category"], ours["locale"]) == (None, None)
    asked = client.post(
        "/v1/couple/rounds",
        headers=lucia.headers,
        json={"kind": "gratitude", "prompt_id": ours["id"]},
    ).get_json()
    seen = client.get(f"/v1/couple/rounds/{asked['id']}", headers=jonas.headers).get_json()
    assert seen["prompt"] == {
        "id": ours["id"],
        "text": "¿Qué cocinó que te encantó?",
        "locale": None,
    }


def test_the_export_shows_library_prompts_in_the_exporters_locale(client, factory):
    lucia, jonas, _ = bilingual(factory)
    client.post("/v1/couple/rounds", headers=lucia.headers, json={"kind": "check_in"})
    prompt = of_kind("check_in")[0]
    for actor, tag in ((lucia, "es"), (jonas, "de")):
        exported = client.get("/v1/me/export", headers=actor.headers).get_json()
        [asked] = exported["couples"][0]["rounds"]
        assert asked["prompt"] == prompt.texts[tag]


def test_a_therapist_reads_library_prompts_in_their_own_locale(client, factory):
    from tests.therapists.test_therapists_routes import grant_access

    lucia, jonas, couple_id = bilingual(factory)
    therapist = factory.therapist(locale="fr-CA")
    grant_access(client, (lucia, jonas, couple_id), therapist, scope="summary_and_content")
    asked = client.post(
        "/v1/couple/rounds", headers=lucia.headers, json={"kind": "gratitude"}
    ).get_json()
    for actor, text in ((lucia, "Gracias"), (jonas, "Danke")):
        client.post(
            f"/v1/couple/rounds/{asked['id']}/answers", headers=actor.headers, json={"text": text}
        )
    [shown] = client.get(
        f"/v1/therapist/couples/{couple_id}/rounds", headers=therapist.headers
    ).get_json()["items"]
    prompt = of_kind("gratitude")[0]
    assert shown["prompt"] == {"id": str(prompt.id), "text": prompt.texts["fr"], "locale": "fr"}


# --- pushes in each recipient's language ------------------------------------------------------


def test_pushes_are_written_in_the_recipients_locale(client, session, factory):
    lucia, jonas, _ = bilingual(factory)
    client.post("/v1/couple/gratitude", headers=jonas.headers, json={"text": "Gracias"})
    client.post("/v1/couple/gratitude", headers=lucia.headers, json={"text": "Danke"})
    received = {n.recipient_id: n for n in notifications(session, "gratitude_received")}
    assert (received[lucia.user.id].title, received[lucia.user.id].body) == (
        "Jonas te envió un agradecimiento",
        "Abre Steady para leerlo.",
    )
    assert received[jonas.user.id].title.startswith("Lucía ")
    assert received[jonas.user.id].body == "Öffne Steady, um es zu lesen."


def test_an_unknown_locale_reads_english(client, session, factory):
    first = factory.partner(display_name="Sam", locale="tlh")
    second = factory.partner(display_name="Ari", locale="xx-YY")
    pair(factory, first, second)
    [paired] = notifications(session, "pairing")
    assert (paired.recipient_id, paired.title, paired.body) == (
        first.user.id,
        "You're paired",
        "Ari accepted your invite. Welcome to Steady together.",
    )


def test_a_count_takes_the_recipients_plural_form(client, session, factory, clock):
    lucia, jonas, _ = bilingual(factory)
    clock.set(clock().replace(hour=11, minute=0))  # 12:00 in Berlin, 05:00 in Mexico City
    agreement = client.post(
        "/v1/couple/agreements", headers=lucia.headers, json={"time": "06:00"}
    ).get_json()
    late = client.post(
        f"/v1/couple/agreements/{agreement['id']}/late",
        headers=lucia.headers,
        json={"minutes": 20},
    )
    assert late.status_code == 201, late.get_json()
    [pushed] = notifications(session, "partner_running_late")
    assert pushed.recipient_id == jonas.user.id
    assert pushed.body == "Etwa 20 Minuten – damit du Bescheid weißt."


# --- schedules: categories and delivery -------------------------------------------------------


def schedule(client, actor, **body):
    body.setdefault("kind", "gratitude")
    body.setdefault("time", "20:00")
    return client.post("/v1/couple/schedules", headers=actor.headers, json=body)


def test_a_schedule_takes_categories_and_a_delivery(client, couple):
    first, second, _ = couple
    made = schedule(client, first, categories=["fun", "repair"])
    assert made.status_code == 201
    body = made.get_json()
    assert (body["categories"], body["delivery"]) == (["repair", "fun"], "each_local")
    changed = client.patch(
        f"/v1/couple/schedules/{body['id']}",
        headers=second.headers,
        json={"categories": None, "delivery": "together"},
    ).get_json()
    assert (changed["categories"], changed["delivery"]) == (None, "together")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"categories": []}, "categories"),
        ({"categories": ["fun", "fun"]}, "categories"),
        ({"categories": ["romance"]}, "categories"),
        ({"categories": "fun"}, "categories"),
        ({"delivery": "both"}, "delivery"),
        ({"delivery": None}, "delivery"),
    ],
)
def test_bad_categories_or_delivery_are_refused(client, couple, body, field):
    first, _, _ = couple
    assert_invalid_fields(schedule(client, first, **body), field)
    made = schedule(client, first).get_json()
    assert_invalid_fields(
        client.patch(f"/v1/couple/schedules/{made['id']}", headers=first.headers, json=body),
        field,
    )


def test_another_couple_cannot_change_the_delivery(client, factory, couple):
    first, _, _ = couple
    made = schedule(client, first).get_json()
    outsider, _, _ = pair(factory)
    assert_error(
        client.patch(
            f"/v1/couple/schedules/{made['id']}",
            headers=outsider.headers,
            json={"delivery": "together"},
        ),
        404,
        "not_found",
    )
    therapist = factory.therapist()
    response = schedule(client, therapist, delivery="together")
    assert response.status_code == 403
