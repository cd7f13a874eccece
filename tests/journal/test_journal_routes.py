from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select

from api.journal.models import JournalEntry, JournalFeeling
from api.notifications.models import Notification
from api.observability import JsonFormatter
from api.therapists.models import AccessLogEntry
from tests.factories import pair
from tests.helpers import assert_error, assert_invalid_fields

# The clock starts on Monday 2026-11-23 at 12:00Z (13:00 in Paris, the partners' zone).

THOUGHT_RECORD = {
    "kind": "thought_record",
    "situation": "Sam hadn't texted by 19:00 and dinner was at 19:30.",
    "thought": "He's pulling away from me.",
    "feelings": [{"name": "Anxious", "intensity": 80}, {"name": "lonely", "intensity": 55}],
    "evidence_for": "He was quiet at breakfast.",
    "evidence_against": "He said his meeting might run late, and he texted yesterday.",
    "balanced_thought": "A late meeting is the likeliest reason; I can ask when he's home.",
    "feelings_after": [{"name": "anxious", "intensity": 35}],
}


def write(client, actor, **body):
    body.setdefault("kind", "note")
    if body["kind"] == "note":
        body.setdefault("text", "A calm evening; we cooked together.")
    return client.post("/v1/me/journal", headers=actor.headers, json=body)


def entries(client, actor, **query):
    response = client.get("/v1/me/journal", headers=actor.headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def shared(client, therapist, couple_id):
    return client.get(f"/v1/therapist/couples/{couple_id}/journal", headers=therapist.headers)


@pytest.fixture
def therapist(factory):
    return factory.therapist(display_name="Dr. Rivera")


def grant_access(client, couple, therapist, scope="summary"):
    first, second, _ = couple
    code = client.post("/v1/therapist/link-codes", headers=therapist.headers).get_json()["code"]
    grant = client.post(
        "/v1/couple/therapists", headers=first.headers, json={"code": code, "scope": scope}
    ).get_json()
    approved = client.post(f"/v1/couple/therapists/{grant['id']}/approve", headers=second.headers)
    assert approved.get_json()["status"] == "active"
    return grant["id"]


# --- writing and reading one's own journal ----------------------------------------------------


def test_write_a_note(client, factory):
    me = factory.partner()
    response = write(client, me, text="Slept well. Felt steady.")
    assert response.status_code == 201
    body = response.get_json()
    assert body["kind"] == "note" and body["text"] == "Slept well. Felt steady."
    assert body["situation"] is None and body["thought"] is None
    assert body["feelings"] == [] and body["feelings_after"] == []
    assert body["shared_with_therapist"] is False
    assert body["created_at"] == body["updated_at"] == "2026-11-23T12:00:00.000Z"


def test_write_a_thought_record(client, factory):
    me = factory.partner()
    response = write(client, me, **THOUGHT_RECORD)
    assert response.status_code == 201
    body = response.get_json()
    for field in ("situation", "thought", "evidence_for", "evidence_against", "balanced_thought"):
        assert body[field] == THOUGHT_RECORD[field]
    assert body["feelings"] == THOUGHT_RECORD["feelings"]  # as written, in order
    assert body["feelings_after"] == THOUGHT_RECORD["feelings_after"]
    assert body["text"] is None
    assert client.get(f"/v1/me/journal/{body['id']}", headers=me.headers).get_json() == body


def test_a_note_may_name_its_feelings_and_names_are_trimmed(client, factory):
    me = factory.partner()
    body = write(client, me, feelings=[{"name": "  Hopeful ", "intensity": 60}]).get_json()
    assert body["feelings"] == [{"name": "Hopeful", "intensity": 60}]


def feelings(count: int) -> list[dict]:
    return [{"name": f"feeling {n}", "intensity": 50} for n in range(count)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "thought_record", "situation": "At dinner"}, "thought"),
        ({"kind": "thought_record", "thought": "They're bored of me"}, "situation"),
        ({**THOUGHT_RECORD, "feelings": [{"name": "anxious", "intensity": 101}]}, "feelings"),
        ({**THOUGHT_RECORD, "feelings": [{"name": "anxious", "intensity": -1}]}, "feelings"),
        ({**THOUGHT_RECORD, "feelings": [{"name": "anxious", "intensity": "80"}]}, "feelings"),
        ({**THOUGHT_RECORD, "feelings": [{"name": "anxious", "intensity": 80.5}]}, "feelings"),
        ({**THOUGHT_RECORD, "feelings": [{"name": "anxious"}]}, "feelings"),
        ({**THOUGHT_RECORD, "feelings": feelings(11)}, "feelings"),
        ({**THOUGHT_RECORD, "feelings_after": feelings(11)}, "feelings_after"),
        ({**THOUGHT_RECORD, "feelings": [{"name": "x" * 41, "intensity": 1}]}, "feelings"),
        ({**THOUGHT_RECORD, "feelings": [{"name": "   ", "intensity": 1}]}, "feelings"),
        ({**THOUGHT_RECORD, "feelings": [{"name": "", "intensity": 1}]}, "feelings"),
        (
            {**THOUGHT_RECORD, "feelings": [{"name": "sad", "intensity": 1, "why": "x"}]},
            "feelings",
        ),
        (
            {
                **THOUGHT_RECORD,
                "feelings": [{"name": "Sad", "intensity": 40}, {"name": "sad", "intensity": 60}],
            },
            "feelings",
        ),
        ({**THOUGHT_RECORD, "situation": "x" * 2001}, "situation"),
        ({**THOUGHT_RECORD, "thought": ""}, "thought"),
        ({**THOUGHT_RECORD, "evidence_for": "x" * 2001}, "evidence_for"),
        ({**THOUGHT_RECORD, "evidence_against": "x" * 2001}, "evidence_against"),
        ({**THOUGHT_RECORD, "balanced_thought": "x" * 2001}, "balanced_thought"),
        ({**THOUGHT_RECORD, "text": "Also a note"}, "text"),
        ({"kind": "note", "text": "x", "situation": "At work"}, "situation"),
        ({"kind": "note", "text": "x", "balanced_thought": "Fine"}, "balanced_thought"),
        ({"kind": "note", "text": "x", "feelings_after": feelings(1)}, "feelings_after"),
        ({"kind": "note"}, "text"),
        ({"kind": "note", "text": ""}, "text"),
        ({"kind": "note", "text": "x" * 5001}, "text"),
        ({"kind": "diary", "text": "x"}, "kind"),
        ({"text": "x"}, "kind"),
        ({"kind": "note", "text": "x", "shared_with_therapist": "yes"}, "shared_with_therapist"),
        ({"kind": "note", "text": "x", "shared_with_therapist": 1}, "shared_with_therapist"),
        ({"kind": "note", "text": "x", "mood": "good"}, "mood"),
        ({"kind": "note", "text": "x", "author_id": "someone"}, "author_id"),
    ],
)
def test_entry_input_is_validated(client, factory, session, body, field):
    me = factory.partner()
    assert_invalid_fields(client.post("/v1/me/journal", headers=me.headers, json=body), field)
    session.commit()
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == 0


def test_the_longest_texts_and_most_feelings_are_accepted(client, factory):
    me = factory.partner()
    note = write(client, me, text="x" * 5000, feelings=feelings(10))
    assert note.status_code == 201
    record = write(
        client,
        me,
        **{
            **THOUGHT_RECORD,
            **{f: "y" * 2000 for f in ("situation", "thought", "evidence_for")},
            "feelings": [{"name": "z" * 40, "intensity": 0}, {"name": "calm", "intensity": 100}],
            "feelings_after": feelings(10),
        },
    )
    assert record.status_code == 201


def test_the_list_is_newest_first_by_kind_and_paged(client, factory, clock):
    me = factory.partner()
    note = write(client, me).get_json()
    clock.advance(minutes=5)
    record = write(client, me, **THOUGHT_RECORD).get_json()
    clock.advance(minutes=5)
    later = write(client, me, text="Later").get_json()
    assert [e["id"] for e in entries(client, me)["items"]] == [
        later["id"],
        record["id"],
        note["id"],
    ]
    assert [e["id"] for e in entries(client, me, kind="note")["items"]] == [later["id"], note["id"]]
    assert [e["id"] for e in entries(client, me, kind="thought_record")["items"]] == [record["id"]]
    first_page = entries(client, me, limit=2)
    assert [e["id"] for e in first_page["items"]] == [later["id"], record["id"]]
    rest = entries(client, me, limit=2, cursor=first_page["next_cursor"])
    assert [e["id"] for e in rest["items"]] == [note["id"]] and rest["next_cursor"] is None
    for query, field in (({"kind": "dream"}, "kind"), ({"limit": 0}, "limit"), ({"x": 1}, "x")):
        response = client.get("/v1/me/journal", headers=me.headers, query_string=query)
        assert_invalid_fields(response, field, location="query")


def test_an_idempotent_create_is_replayed(client, factory, session):
    me = factory.partner()
    headers = {**me.headers, "Idempotency-Key": "journal-1"}
    created = client.post("/v1/me/journal", headers=headers, json=THOUGHT_RECORD)
    again = client.post("/v1/me/journal", headers=headers, json=THOUGHT_RECORD)
    assert created.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == created.get_json()
    session.commit()
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == 1
    reused = client.post("/v1/me/journal", headers=headers, json={"kind": "note", "text": "Other"})
    assert_error(reused, 422, "idempotency_key_reused")


# --- changing and deleting --------------------------------------------------------------------


def test_change_a_thought_record(client, factory, clock):
    me = factory.partner()
    entry = write(client, me, **THOUGHT_RECORD).get_json()
    clock.advance(hours=2)
    path = f"/v1/me/journal/{entry['id']}"
    changed = client.patch(
        path,
        headers=me.headers,
        json={
            "kind": "thought_record",  # the same kind may be sent back
            "balanced_thought": "He was in a meeting. I can trust that he comes back.",
            # The same name again: the old rows make way for the new ones.
            "feelings_after": [
                {"name": "Anxious", "intensity": 20},
                {"name": "calm", "intensity": 60},
            ],
            "evidence_for": None,
        },
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["balanced_thought"].startswith("He was in a meeting")
    assert body["evidence_for"] is None
    assert body["feelings"] == THOUGHT_RECORD["feelings"]  # untouched
    assert body["feelings_after"] == [
        {"name": "Anxious", "intensity": 20},
        {"name": "calm", "intensity": 60},
    ]
    assert body["created_at"] == entry["created_at"]
    assert body["updated_at"] == "2026-11-23T14:00:00.000Z"
    assert client.get(path, headers=me.headers).get_json() == body
    cleared = client.patch(path, headers=me.headers, json={"feelings": [], "feelings_after": []})
    assert (cleared.get_json()["feelings"], cleared.get_json()["feelings_after"]) == ([], [])
    clock.advance(hours=1)
    unchanged = client.patch(path, headers=me.headers)  # no body changes nothing
    assert unchanged.status_code == 200 and unchanged.get_json() == cleared.get_json()


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("note", {"kind": "thought_record"}, "kind"),
        ("thought_record", {"kind": "note"}, "kind"),
        ("note", {"text": None}, "text"),
        ("note", {"text": ""}, "text"),
        ("note", {"situation": "At work"}, "situation"),
        ("note", {"feelings_after": [{"name": "calm", "intensity": 10}]}, "feelings_after"),
        ("thought_record", {"thought": None}, "thought"),
        ("thought_record", {"situation": None}, "situation"),
        ("thought_record", {"text": "A note now"}, "text"),
        ("thought_record", {"feelings": [{"name": "sad", "intensity": 101}]}, "feelings"),
        ("thought_record", {"feelings_after": feelings(11)}, "feelings_after"),
        ("thought_record", {"shared_with_therapist": None}, "shared_with_therapist"),
        ("thought_record", {"created_at": "2026-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_a_change_must_leave_a_whole_entry_of_the_same_kind(client, factory, kind, body, field):
    me = factory.partner()
    entry = write(client, me, **(THOUGHT_RECORD if kind == "thought_record" else {})).get_json()
    path = f"/v1/me/journal/{entry['id']}"
    assert_invalid_fields(client.patch(path, headers=me.headers, json=body), field)
    assert client.get(path, headers=me.headers).get_json() == entry


def test_delete_an_entry(client, factory, session):
    me = factory.partner()
    entry = write(client, me, **THOUGHT_RECORD).get_json()
    path = f"/v1/me/journal/{entry['id']}"
    assert client.delete(path, headers=me.headers).status_code == 204
    assert_error(client.get(path, headers=me.headers), 404, "not_found")
    assert_error(client.delete(path, headers=me.headers), 404, "not_found")
    session.commit()
    assert session.scalar(select(func.count()).select_from(JournalFeeling)) == 0


# --- the journal is the author's alone --------------------------------------------------------


def test_nobody_but_the_author_reaches_an_entry(client, factory, couple, therapist):
    first, second, _ = couple
    grant_access(client, couple, therapist)
    entry = write(client, first, **THOUGHT_RECORD, shared_with_therapist=True).get_json()
    path = f"/v1/me/journal/{entry['id']}"
    stranger = factory.partner()
    for who in (second, stranger, therapist):  # the partner, another user, even their therapist
        assert_error(client.get(path, headers=who.headers), 404, "not_found")
        assert_error(
            client.patch(path, headers=who.headers, json={"shared_with_therapist": False}),
            404,
            "not_found",
        )
        assert_error(client.delete(path, headers=who.headers), 404, "not_found")
        assert entries(client, who)["items"] == []
    assert client.get(path, headers=first.headers).get_json() == entry


def test_the_journal_needs_no_partner(client, factory):
    me = factory.partner()  # never paired
    entry = write(client, me, **THOUGHT_RECORD).get_json()
    assert entries(client, me)["items"] == [entry]
    patterns = client.get("/v1/me/journal/patterns?weeks=1", headers=me.headers).get_json()
    assert patterns["weeks"][0]["thought_records"] == 1


def test_a_therapist_may_keep_a_journal_of_their_own(client, therapist):
    assert write(client, therapist, text="Supervision notes to self.").status_code == 201
    assert len(entries(client, therapist)["items"]) == 1


def test_patterns_through_the_api(client, factory, clock):
    me = factory.partner()
    write(client, me, **THOUGHT_RECORD)
    clock.advance(days=1)
    write(client, me, feelings=[{"name": "anxious", "intensity": 40}])
    response = client.get("/v1/me/journal/patterns", headers=me.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["timezone"] == "Europe/Paris"
    assert len(body["weeks"]) == 8  # the default
    assert body["weeks"][-1] == {
        "week_start": "2026-11-23",
        "entries": 2,
        "thought_records": 1,
        "feelings": [
            {"name": "anxious", "count": 2, "mean_intensity": 60.0, "mean_intensity_after": 35.0},
            {"name": "lonely", "count": 1, "mean_intensity": 55.0, "mean_intensity_after": None},
        ],
    }
    assert all(w["entries"] == 0 and w["feelings"] == [] for w in body["weeks"][:-1])
    for weeks in ("0", "53", "two"):
        response = client.get(f"/v1/me/journal/patterns?weeks={weeks}", headers=me.headers)
        assert_invalid_fields(response, "weeks", location="query")
    response = client.get("/v1/me/journal/patterns?kind=note", headers=me.headers)
    assert_invalid_fields(response, "kind", location="query")


# --- sharing with the therapist ---------------------------------------------------------------


def test_the_therapist_sees_exactly_the_shared_entries(client, session, couple, therapist, clock):
    first, second, couple_id = couple
    grant_access(client, couple, therapist)  # a summary grant is enough
    kept_private = write(client, first, text="Just for me.").get_json()
    clock.advance(minutes=1)
    record = write(client, first, **THOUGHT_RECORD).get_json()
    clock.advance(minutes=1)
    note = write(client, first, text="Bring to Thursday's session.", shared_with_therapist=True)
    clock.advance(minutes=1)
    partners = write(client, second, text="I worry I'm not enough.", shared_with_therapist=True)
    # Sharing an existing entry is the author's change to make.
    shared_now = client.patch(
        f"/v1/me/journal/{record['id']}",
        headers=first.headers,
        json={"shared_with_therapist": True},
    )
    assert shared_now.get_json()["shared_with_therapist"] is True

    response = shared(client, therapist, couple_id)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(e["id"], e["author_id"]) for e in items] == [
        (partners.get_json()["id"], second.id),
        (note.get_json()["id"], first.id),
        (record["id"], first.id),
    ]
    assert items[2]["feelings"] == THOUGHT_RECORD["feelings"]
    assert kept_private["id"] not in json.dumps(response.get_json())

    # Taking one back hides it at once.
    client.patch(
        f"/v1/me/journal/{record['id']}",
        headers=first.headers,
        json={"shared_with_therapist": False},
    )
    ids = [e["id"] for e in shared(client, therapist, couple_id).get_json()["items"]]
    assert ids == [partners.get_json()["id"], note.get_json()["id"]]
    # Paged like every list.
    page = client.get(
        f"/v1/therapist/couples/{couple_id}/journal?limit=1", headers=therapist.headers
    ).get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]

    session.commit()
    actions = session.scalars(
        select(AccessLogEntry.action).where(AccessLogEntry.couple_id == couple_id)
    ).all()
    assert actions.count("journal.read") == 3


def test_the_therapist_needs_an_active_grant(client, factory, couple, therapist, session):
    first, second, couple_id = couple
    write(client, first, text="Shared, but no one is allowed yet.", shared_with_therapist=True)
    assert_error(shared(client, therapist, couple_id), 404, "not_found")
    # Pending: only one partner agreed.
    code = client.post("/v1/therapist/link-codes", headers=therapist.headers).get_json()["code"]
    grant = client.post(
        "/v1/couple/therapists", headers=first.headers, json={"code": code}
    ).get_json()
    assert_error(shared(client, therapist, couple_id), 404, "not_found")
    # Active for this therapist, but not for another one.
    client.post(f"/v1/couple/therapists/{grant['id']}/approve", headers=second.headers)
    assert len(shared(client, therapist, couple_id).get_json()["items"]) == 1
    assert_error(shared(client, factory.therapist(), couple_id), 404, "not_found")
    # Partners are refused the therapist's path outright.
    assert_error(shared(client, first, couple_id), 403, "therapist_only")
    session.commit()
    outcomes = session.scalars(
        select(AccessLogEntry.outcome).where(AccessLogEntry.action == "journal.read")
    ).all()
    assert sorted(outcomes) == ["allowed", "denied", "denied", "denied"]


def test_revoking_the_grant_removes_shared_entries_at_once(client, couple, therapist):
    first, _, couple_id = couple
    grant_id = grant_access(client, couple, therapist)
    write(client, first, text="For my therapist.", shared_with_therapist=True)
    assert len(shared(client, therapist, couple_id).get_json()["items"]) == 1
    client.delete(f"/v1/couple/therapists/{grant_id}", headers=first.headers)
    assert_error(shared(client, therapist, couple_id), 404, "not_found")


def test_unpairing_removes_them_and_leaves_the_journal_with_its_author(client, couple, therapist):
    first, second, couple_id = couple
    grant_access(client, couple, therapist)
    mine = write(client, first, text="For my therapist.", shared_with_therapist=True).get_json()
    theirs = write(client, second, **THOUGHT_RECORD).get_json()
    assert client.delete("/v1/couple", headers=second.headers).status_code == 204
    assert_error(shared(client, therapist, couple_id), 404, "not_found")
    assert entries(client, first)["items"] == [mine]
    assert entries(client, second)["items"] == [theirs]
    exported = client.get("/v1/me/export", headers=first.headers).get_json()
    assert [e["id"] for e in exported["journal"]] == [mine["id"]]


def test_erasing_the_author_erases_the_journal(client, session, factory, couple, therapist):
    first, second, couple_id = couple
    grant_access(client, couple, therapist)
    write(client, first, **THOUGHT_RECORD, shared_with_therapist=True)
    kept = write(client, second, text="Mine stays.", shared_with_therapist=True).get_json()
    assert len(shared(client, therapist, couple_id).get_json()["items"]) == 2
    assert client.delete("/v1/me", headers=first.headers).status_code == 204
    assert_error(shared(client, therapist, couple_id), 404, "not_found")
    session.commit()
    authors = session.scalars(select(JournalEntry.author_id)).all()
    assert authors == [second.user.id]
    assert session.scalar(select(func.count()).select_from(JournalFeeling)) == 0
    assert entries(client, second)["items"] == [kept]


def test_the_export_holds_the_journal(client, factory, clock):
    me = factory.partner()
    other = factory.partner()
    first = write(client, me, **THOUGHT_RECORD, shared_with_therapist=True).get_json()
    clock.advance(minutes=1)
    second = write(client, me, text="Second page.").get_json()
    write(client, other, text="Not mine.")
    exported = client.get("/v1/me/export", headers=me.headers).get_json()
    assert exported["journal"] == [first, second]  # oldest first, feelings and all
    assert "Not mine." not in json.dumps(exported)


# --- journal words stay in the app ------------------------------------------------------------


def test_journal_words_reach_no_log_and_no_notification(
    client, session, factory, couple, therapist, caplog
):
    first, second, couple_id = couple
    grant_access(client, couple, therapist)
    words = "Journal-words-7f3a: I am afraid they will leave"
    session.commit()
    before = session.scalar(select(func.count()).select_from(Notification))
    with caplog.at_level(logging.DEBUG):
        created = write(
            client,
            first,
            **{
                **THOUGHT_RECORD,
                "thought": words,
                "feelings": [{"name": words[:40], "intensity": 90}],
            },
            shared_with_therapist=True,
        ).get_json()
        client.patch(
            f"/v1/me/journal/{created['id']}",
            headers=first.headers,
            json={"balanced_thought": words},
        )
        client.get("/v1/me/journal", headers=first.headers)
        client.get("/v1/me/journal/patterns", headers=first.headers)
        assert words in shared(client, therapist, couple_id).get_data(as_text=True)
        # An invalid body names the field, never echoes the words.
        client.post(
            "/v1/me/journal", headers=first.headers, json={"kind": "note", "situation": words}
        )
    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert caplog.records and words not in logged and words[:40] not in logged
    session.commit()
    assert session.scalar(select(func.count()).select_from(Notification)) == before
    for n in session.scalars(select(Notification)):
        assert words[:20] not in f"{n.title} {n.body} {json.dumps(n.data)}"


def test_a_partner_of_another_couple_learns_nothing(client, factory, couple):
    first, _, _ = couple
    other, _, other_couple = pair(factory)
    entry = write(client, first, text="Private").get_json()
    assert_error(
        client.get(f"/v1/me/journal/{entry['id']}", headers=other.headers), 404, "not_found"
    )
    assert_error(
        client.get(f"/v1/therapist/couples/{other_couple}/journal", headers=other.headers),
        403,
        "therapist_only",
    )
