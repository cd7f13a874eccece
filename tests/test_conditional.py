"""Conditional reads: ETags that change with what the viewer would see, 304 without a body,
and reads whose SQL does not grow with the couple's history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from api.auth.models import AuthSession
from api.pairing.models import Couple
from tests.helpers import assert_invalid_fields
from tests.history import fill

CONDITIONAL = [
    "/v1/couple",
    "/v1/couple/rounds",
    "/v1/couple/progress",
    "/v1/couple/commitments",
    "/v1/couple/agreements",
    "/v1/home",
]


@pytest.fixture
def answer_cache_bytes() -> int:
    return 1024 * 1024


@pytest.fixture
def app_config(app_config, answer_cache_bytes):
    return {**app_config, "ANSWER_CACHE_BYTES": answer_cache_bytes}


def etag(client, actor, path, **headers):
    response = client.get(path, headers={**actor.headers, **headers})
    assert response.status_code in (200, 304), response.get_json()
    return response


@pytest.mark.parametrize("path", CONDITIONAL)
def test_a_matching_tag_gets_304_with_no_body(client, couple, path):
    first, _, _ = couple
    answer = etag(client, first, path)
    assert answer.status_code == 200 and answer.headers["ETag"]
    assert answer.headers["Cache-Control"] == "private, no-cache"
    again = etag(client, first, path, **{"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == answer.headers["ETag"]


@pytest.mark.parametrize("path", CONDITIONAL)
def test_a_write_by_the_partner_changes_the_tag(client, couple, path):
    first, second, _ = couple
    before = etag(client, first, path)
    sent = client.post("/v1/couple/rounds", headers=second.headers, json={"kind": "check_in"})
    assert sent.status_code == 201
    stale = etag(client, first, path, **{"If-None-Match": before.headers["ETag"]})
    assert stale.status_code == 200  # the new body, not 304
    assert stale.headers["ETag"] != before.headers["ETag"]
    assert etag(client, first, path, **{"If-None-Match": stale.headers["ETag"]}).status_code == 304


def test_the_tag_is_the_viewers_own(client, couple):
    first, second, _ = couple
    mine = etag(client, first, "/v1/couple").headers["ETag"]
    theirs = etag(client, second, "/v1/couple", **{"If-None-Match": mine})
    assert theirs.status_code == 200 and theirs.headers["ETag"] != mine


def test_the_partners_new_name_changes_the_tag(client, couple):
    first, second, _ = couple
    before = etag(client, first, "/v1/couple").headers["ETag"]
    client.patch("/v1/me", headers=second.headers, json={"display_name": "Sam"})
    after = etag(client, first, "/v1/couple", **{"If-None-Match": before})
    assert after.status_code == 200
    assert after.get_json()["partner"]["display_name"] == "Sam"


def test_the_query_is_part_of_the_tag(client, couple):
    first, _, _ = couple
    tag = etag(client, first, "/v1/couple/progress?weeks=4").headers["ETag"]
    other = etag(client, first, "/v1/couple/progress?weeks=8", **{"If-None-Match": tag})
    assert other.status_code == 200


def test_a_made_up_tag_is_not_honoured(client, couple):
    first, _, _ = couple
    tag = etag(client, first, "/v1/couple/commitments").headers["ETag"].strip('"')
    digest = tag.partition(".")[0]
    for forged in (f'"{digest}.9999999999"', '"x"', "*", '"', f'"{digest}.soon"'):
        answer = etag(client, first, "/v1/couple/commitments", **{"If-None-Match": forged})
        assert answer.status_code == 200, forged


def test_an_over_long_if_none_match_is_refused(client, couple):
    first, _, _ = couple
    answer = client.get("/v1/couple", headers={**first.headers, "If-None-Match": "x" * 1025})
    assert_invalid_fields(answer, "If-None-Match", location="headers")


def _promise_at_three(client, actor) -> None:
    """A daily promise due at 15:00 in the actor's zone."""
    created = client.post(
        "/v1/couple/commitments",
        headers=actor.headers,
        json={"title": "Call at lunch", "due_time": "15:00"},
    )
    assert created.status_code == 201


def test_commitment_figures_hold_only_until_an_occurrence_falls_due(client, couple, clock):
    first, _, _ = couple  # in Paris; the clock reads 12:00Z = 13:00 in Paris
    _promise_at_three(client, first)
    tag = etag(client, first, "/v1/couple/commitments").headers["ETag"]
    clock.set(datetime(2026, 11, 23, 13, 59, tzinfo=UTC))  # 14:59 in Paris: nothing changed
    assert (
        etag(client, first, "/v1/couple/commitments", **{"If-None-Match": tag}).status_code == 304
    )
    clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # 15:00 in Paris: it falls due
    later = etag(client, first, "/v1/couple/commitments", **{"If-None-Match": tag})
    assert later.status_code == 200
    assert later.get_json()["items"][0]["next_due_at"].startswith("2026-11-24T14:00")


def test_progress_holds_until_the_viewers_day_ends(client, couple, clock):
    first, _, _ = couple
    tag = etag(client, first, "/v1/couple/progress").headers["ETag"]
    clock.set(datetime(2026, 11, 23, 22, 59, tzinfo=UTC))  # 23:59 in Paris
    assert etag(client, first, "/v1/couple/progress", **{"If-None-Match": tag}).status_code == 304
    clock.set(datetime(2026, 11, 23, 23, 0, tzinfo=UTC))  # midnight in Paris
    assert etag(client, first, "/v1/couple/progress", **{"If-None-Match": tag}).status_code == 200


def test_progress_changes_when_a_note_leaves_the_28_days(client, couple, clock):
    first, second, _ = couple
    client.post("/v1/couple/gratitude", headers=second.headers, json={"text": "Thank you"})
    clock.advance(days=27, hours=23)
    answer = etag(client, first, "/v1/couple/progress")
    assert answer.get_json()["summary"][second.id]["gratitude_per_week_28d"] == 0.25
    clock.advance(hours=1, seconds=1)  # just past 28 days: out of the window, the same day
    later = etag(client, first, "/v1/couple/progress", **{"If-None-Match": answer.headers["ETag"]})
    assert later.status_code == 200
    assert later.get_json()["summary"][second.id]["gratitude_per_week_28d"] == 0


# --- every write the couple sees moves its version ---------------------------------------------

WRITES = [
    ("POST", "/v1/couple/prompts", {"kind": "check_in", "text": "How was today?"}),
    ("POST", "/v1/couple/schedules", {"kind": "gratitude", "time": "20:00"}),
    ("POST", "/v1/couple/rounds", {"kind": "check_in"}),
    ("POST", "/v1/couple/gratitude", {"text": "Thanks for dinner"}),
    ("POST", "/v1/couple/commitments", {"title": "Text at five", "due_time": "17:00"}),
    ("POST", "/v1/couple/agreements", {"time": "12:30"}),
    ("POST", "/v1/couple/reassurance-requests", {"note": "Rough day"}),
]


def _version(session, couple_id) -> int:
    session.rollback()  # a fresh snapshot: the app has written since
    return session.scalar(select(Couple.version).where(Couple.id == couple_id))


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_creating_anything_moves_the_couples_version(client, session, couple, method, path, body):
    first, _, couple_id = couple
    before = _version(session, couple_id)
    answer = client.open(path, method=method, headers=first.headers, json=body)
    assert answer.status_code == 201, answer.get_json()
    assert _version(session, couple_id) == before + 1


def test_changing_and_answering_move_the_version(client, session, couple):
    first, second, couple_id = couple
    post = {"headers": first.headers}
    schedule = client.post(
        "/v1/couple/schedules", **post, json={"kind": "check_in", "time": "20:00"}
    ).get_json()
    round_ = client.post("/v1/couple/rounds", **post, json={"kind": "check_in"}).get_json()
    note = client.post("/v1/couple/gratitude", **post, json={"text": "Thank you"}).get_json()
    commitment = client.post(
        "/v1/couple/commitments", **post, json={"title": "Call", "due_time": "18:00"}
    ).get_json()
    check = client.post(
        f"/v1/couple/commitments/{commitment['id']}/checks",
        **post,
        json={"date": "2026-11-23", "status": "kept"},
    ).get_json()
    steps = [
        (first, "PATCH", f"/v1/couple/schedules/{schedule['id']}", {"time": "21:00"}),
        (first, "DELETE", f"/v1/couple/schedules/{schedule['id']}", None),
        (second, "POST", f"/v1/couple/rounds/{round_['id']}/answers", {"rating": 4}),
        (second, "POST", f"/v1/couple/gratitude/{note['id']}/acknowledge", {}),
        (
            second,
            "POST",
            f"/v1/couple/commitments/{commitment['id']}/checks/{check['id']}/confirm",
            None,
        ),
        (first, "PATCH", f"/v1/couple/commitments/{commitment['id']}", {"title": "Call home"}),
        (first, "DELETE", f"/v1/couple/commitments/{commitment['id']}", None),
    ]
    for actor, method, path, body in steps:
        before = _version(session, couple_id)
        answer = client.open(path, method=method, headers=actor.headers, json=body)
        assert answer.status_code < 300, (path, answer.get_json())
        assert _version(session, couple_id) == before + 1, path


def test_a_refused_write_does_not_move_the_version(client, session, couple):
    first, _, couple_id = couple
    before = _version(session, couple_id)
    answer = client.post("/v1/couple/gratitude", headers=first.headers, json={"text": ""})
    assert answer.status_code == 422
    assert _version(session, couple_id) == before


# --- what a read costs ------------------------------------------------------------------------


def _count(client, actor, statements, path) -> int:
    statements.clear()
    assert client.get(path, headers=actor.headers).status_code == 200
    return len(statements)


@pytest.mark.parametrize("path", CONDITIONAL)
def test_statements_per_read_do_not_grow_with_history(client, factory, session, statements, path):
    from tests.factories import pair

    small = pair(factory)
    large = pair(factory)
    fill(
        session,
        small[2],
        small[0].user.id,
        small[1].user.id,
        notes=3,
        rounds=2,
        commitments=1,
        history_days=5,
    )
    fill(
        session,
        large[2],
        large[0].user.id,
        large[1].user.id,
        notes=300,
        rounds=200,
        commitments=4,
        history_days=200,
    )
    few = _count(client, small[0], statements, path)
    many = _count(client, large[0], statements, path)
    # The home counts a list only when it is full (three lists): a bound, whatever the history.
    assert few <= many <= few + (3 if path == "/v1/home" else 0)


def test_the_caller_and_couple_are_one_statement(client, couple, statements):
    first, _, _ = couple
    statements.clear()
    assert client.get("/v1/couple", headers=first.headers).status_code == 200
    # BEGIN (SQLite emits it; PostgreSQL's driver does not), then one SELECT.
    assert len([s for s in statements if not s.startswith("BEGIN")]) == 1


@pytest.mark.parametrize("answer_cache_bytes", [0])
def test_unchanged_progress_is_not_computed_again(client, couple, statements):
    first, second, _ = couple
    cold = _count(client, first, statements, "/v1/couple/progress")
    warm = _count(client, first, statements, "/v1/couple/progress")
    assert warm < cold
    client.post("/v1/couple/gratitude", headers=second.headers, json={"text": "Thank you"})
    assert _count(client, first, statements, "/v1/couple/progress") == cold
    answer = client.get("/v1/couple/progress", headers=first.headers).get_json()
    assert answer["weeks"][-1]["partners"][second.id]["gratitude_sent"] == 1


# --- answers kept by the process --------------------------------------------------------------


@pytest.mark.parametrize("path", CONDITIONAL)
def test_a_repeat_read_is_answered_without_building_it(client, couple, statements, path):
    first, _, _ = couple
    built = client.get(path, headers=first.headers)
    statements.clear()
    kept = client.get(path, headers=first.headers)
    assert kept.status_code == 200
    assert kept.data == built.data and kept.headers["ETag"] == built.headers["ETag"]
    assert kept.headers["Cache-Control"] == "private, no-cache"
    assert kept.headers["X-Request-ID"] != built.headers["X-Request-ID"]
    reads = [s for s in statements if not s.startswith("BEGIN")]
    # The caller with their couple's version; the home also reads the viewer's inbox state.
    assert len(reads) == (2 if path == "/v1/home" else 1)


@pytest.mark.parametrize("path", CONDITIONAL)
def test_a_kept_answer_is_not_served_after_a_write(client, couple, path):
    first, second, _ = couple
    before = client.get(path, headers=first.headers)
    sent = client.post("/v1/couple/rounds", headers=second.headers, json={"kind": "check_in"})
    assert sent.status_code == 201
    after = client.get(path, headers=first.headers)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.data == client.get(path, headers=first.headers).data


def test_a_kept_answer_shows_the_new_round(client, couple):
    first, second, _ = couple
    assert client.get("/v1/couple/rounds", headers=first.headers).get_json()["items"] == []
    sent = client.post("/v1/couple/rounds", headers=second.headers, json={"kind": "check_in"})
    items = client.get("/v1/couple/rounds", headers=first.headers).get_json()["items"]
    assert [item["id"] for item in items] == [sent.get_json()["id"]]


def test_a_kept_answer_is_the_viewers_own(client, couple):
    first, second, _ = couple
    mine = client.get("/v1/couple", headers=first.headers)
    theirs = client.get("/v1/couple", headers=second.headers)
    assert theirs.get_json()["partner"]["id"] == first.id
    assert mine.get_json()["partner"]["id"] == second.id


def test_a_kept_answer_shows_the_partners_new_name(client, couple):
    first, second, _ = couple
    client.get("/v1/couple", headers=first.headers)
    client.patch("/v1/me", headers=second.headers, json={"display_name": "Sam"})
    answer = client.get("/v1/couple", headers=first.headers)
    assert answer.get_json()["partner"]["display_name"] == "Sam"


def test_a_kept_answer_lasts_only_while_it_holds(client, couple, clock):
    first, _, _ = couple  # in Paris; the clock reads 12:00Z = 13:00 in Paris
    _promise_at_three(client, first)
    first_due = client.get("/v1/couple/commitments", headers=first.headers).get_json()
    assert first_due["items"][0]["next_due_at"].startswith("2026-11-23T14:00")
    clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # 15:00 in Paris: it falls due
    later = client.get("/v1/couple/commitments", headers=first.headers).get_json()
    assert later["items"][0]["next_due_at"].startswith("2026-11-24T14:00")


def test_a_new_notification_changes_the_kept_home(client, couple, session):
    first, second, _ = couple
    before = client.get("/v1/home", headers=first.headers).get_json()
    client.post("/v1/couple/gratitude", headers=second.headers, json={"text": "Thank you"})
    after = client.get("/v1/home", headers=first.headers).get_json()
    assert after["counts"]["gratitude_to_acknowledge"] == before["counts"][
        "gratitude_to_acknowledge"
    ] + 1
    assert after["counts"]["unread_notifications"] == before["counts"]["unread_notifications"] + 1
    read = client.post("/v1/me/notifications/read-all", headers=first.headers)
    assert read.status_code == 200
    assert client.get("/v1/home", headers=first.headers).get_json()["counts"][
        "unread_notifications"
    ] == 0


@pytest.mark.parametrize("answer_cache_bytes", [0])
def test_no_answers_are_kept_when_turned_off(client, couple, statements):
    first, _, _ = couple
    cold = _count(client, first, statements, "/v1/couple/rounds")
    assert _count(client, first, statements, "/v1/couple/rounds") == cold >= 2  # caller, page


def test_kept_answers_stay_within_their_budget():
    from api.kept import Kept

    at = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    answers = Kept(100, weigh=lambda answer: len(answer[0]), largest=40)
    answers.put(("a",), (b"x" * 40, '"a"'), None)
    answers.put(("b",), (b"x" * 40, '"b"'), None)
    assert answers.get(("a",), at) == (b"x" * 40, '"a"')  # now the most recently used
    answers.put(("c",), (b"x" * 40, '"c"'), None)  # over 100 bytes: the least recent goes
    assert answers.get(("b",), at) is None
    assert answers.get(("a",), at) is not None and answers.get(("c",), at) is not None
    answers.put(("d",), (b"x" * 41, '"d"'), None)  # larger than any one answer may be
    assert answers.get(("d",), at) is None and len(answers) == 2
    answers.put(("e",), (b"x", '"e"'), at + timedelta(seconds=1))
    assert answers.get(("e",), at) == (b"x", '"e"')
    assert answers.get(("e",), at + timedelta(seconds=1)) is None  # no longer holds
    answers.put(("a",), (b"yy", '"a2"'), None)  # a newer answer for the same state replaces it
    assert answers.get(("a",), at) == (b"yy", '"a2"')


# --- sessions ---------------------------------------------------------------------------------


def test_a_revoked_session_is_refused_on_the_very_next_request(client, couple):
    first, _, _ = couple
    assert client.get("/v1/couple", headers=first.headers).status_code == 200
    assert client.post("/v1/auth/logout", headers=first.headers).status_code == 204
    refused = client.get("/v1/couple", headers=first.headers)
    assert refused.status_code == 401 and refused.get_json()["reason"] == "session_revoked"


def test_last_used_is_written_at_most_once_a_minute(client, factory, session, clock):
    actor = factory.partner()

    def last_used():
        session.rollback()  # a fresh snapshot: the app has written since
        return session.scalar(
            select(AuthSession.last_used_at).where(AuthSession.id == actor.session_id)
        )

    opened = last_used()
    clock.advance(seconds=59)
    client.get("/v1/me", headers=actor.headers)
    assert last_used() == opened
    clock.advance(seconds=2)
    client.get("/v1/me", headers=actor.headers)
    assert last_used() == clock()
    clock.advance(seconds=30)
    client.get("/v1/me", headers=actor.headers)
    assert last_used() == clock() - timedelta(seconds=30)


def test_the_rate_limiter_is_consulted_only_where_a_limit_is_declared(
    client, factory, monkeypatch
):
    from api.extensions import limiter

    calls = []
    real = limiter._check_request_limit

    def counting(*args, **kwargs):
        calls.append(kwargs.get("callable_name"))
        return real(*args, **kwargs)

    monkeypatch.setattr(limiter, "_check_request_limit", counting)
    actor = factory.partner()
    assert client.get("/v1/me", headers=actor.headers).status_code == 200
    assert calls == []
    body = {"email": actor.user.email, "password": "not the password"}
    assert client.post("/v1/auth/login", json=body).status_code == 401
    assert calls  # the login's own limits were checked
