"""GET /v1/couple/progress through the test client, with data made through the API."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.factories import pair
from tests.helpers import assert_error, assert_invalid_fields

PROGRESS = "/v1/couple/progress"


def at(clock, instant: str) -> None:
    clock.set(datetime.fromisoformat(instant))


def post(client, actor, path: str, body: dict | None = None, status: int = 201) -> dict:
    response = client.post(path, headers=actor.headers, json=body or {})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def send_note(client, actor) -> str:
    return post(client, actor, "/v1/couple/gratitude", {"text": "Thank you"})["id"]


def acknowledge(client, actor, note_id: str) -> None:
    post(client, actor, f"/v1/couple/gratitude/{note_id}/acknowledge", status=200)


def ask(client, actor, kind: str) -> str:
    return post(client, actor, "/v1/couple/rounds", {"kind": kind})["id"]


def answer(client, actor, round_id: str, **body) -> None:
    post(client, actor, f"/v1/couple/rounds/{round_id}/answers", body)


def commit(client, actor, **body) -> str:
    return post(client, actor, "/v1/couple/commitments", {"title": "Call", **body})["id"]


def record(client, actor, commitment_id: str, day: str, status: str = "kept") -> str:
    path = f"/v1/couple/commitments/{commitment_id}/checks"
    return post(client, actor, path, {"date": day, "status": status})["id"]


def confirm(client, actor, commitment_id: str, check_id: str) -> None:
    path = f"/v1/couple/commitments/{commitment_id}/checks/{check_id}/confirm"
    post(client, actor, path, status=200)


def progress(client, actor, query: str = "") -> dict:
    response = client.get(f"{PROGRESS}{query}", headers=actor.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def week(
    sent=0, acked=0, asked=0, answered=0, rating=None, due=0, kept=0, confirmed=0, **v11
) -> dict:
    """A partner's week; `v11` holds the v1.1 figures (agreements, reassurance), 0 if left out."""
    return {
        "gratitude_sent": sent,
        "gratitude_acknowledged": acked,
        "rounds_asked": asked,
        "rounds_answered": answered,
        "mean_check_in_rating": rating,
        "commitments_due": due,
        "commitments_kept": kept,
        "commitments_confirmed": confirmed,
        **{name: v11.get(name, 0) for name in V11_WEEK},
    }


V11_WEEK = (
    "check_ins_due",
    "check_ins_on_time",
    "late_notices",
    "reassurance_asked",
    "reassurance_answered",
)
NO_AGREEMENTS = {"on_time_rate_28d": None, "informed_rate_28d": None}


def sent_per_week(body: dict, actor) -> list[int]:
    return [w["partners"][actor.id]["gratitude_sent"] for w in body["weeks"]]


def test_three_weeks_of_a_couple(client, factory, clock):
    """Both partners in Paris (UTC+1 in November); every figure of three weeks and the summary."""
    at(clock, "2026-11-09T08:00:00+00:00")  # Monday of the first week
    a, b, _ = pair(factory)
    outsider, other, _ = pair(factory)
    a_promise = commit(client, a, days=["mon", "wed", "fri"], due_time="18:00")
    n1 = send_note(client, a)
    at(clock, "2026-11-09T11:00:00+00:00")
    acknowledge(client, b, n1)  # after 3 hours
    at(clock, "2026-11-09T19:00:00+00:00")
    confirm(client, b, a_promise, record(client, a, a_promise, "2026-11-09"))
    at(clock, "2026-11-10T10:00:00+00:00")
    r1 = ask(client, a, "check_in")
    answer(client, a, r1, rating=4)
    at(clock, "2026-11-11T19:00:00+00:00")
    record(client, a, a_promise, "2026-11-11", "missed")
    at(clock, "2026-11-13T19:00:00+00:00")
    record(client, a, a_promise, "2026-11-13")

    at(clock, "2026-11-16T09:00:00+00:00")  # second week
    n2 = send_note(client, b)
    answer(client, b, r1, rating=2)  # counts in the week r1 was asked
    b_once = commit(client, b, date="2026-11-20", due_time="09:00")
    at(clock, "2026-11-16T19:00:00+00:00")
    confirm(client, b, a_promise, record(client, a, a_promise, "2026-11-16"))
    at(clock, "2026-11-17T09:00:00+00:00")
    acknowledge(client, a, n2)  # after 24 hours
    r2 = ask(client, a, "check_in")
    answer(client, a, r2, rating=5)
    at(clock, "2026-11-18T10:00:00+00:00")
    n3 = send_note(client, a)
    # Another couple, busy the same week, never shows.
    o_note = send_note(client, outsider)
    acknowledge(client, other, o_note)
    o_round = ask(client, outsider, "check_in")
    answer(client, outsider, o_round, rating=1)
    answer(client, other, o_round, rating=1)
    o_promise = commit(client, outsider, date="2026-11-18", due_time="08:00")
    record(client, outsider, o_promise, "2026-11-18")
    at(clock, "2026-11-18T11:00:00+00:00")
    acknowledge(client, b, n3)  # after 1 hour
    at(clock, "2026-11-18T19:00:00+00:00")
    record(client, a, a_promise, "2026-11-18")
    at(clock, "2026-11-19T10:00:00+00:00")
    r3 = ask(client, b, "gratitude")
    answer(client, a, r3, text="Your patience")
    at(clock, "2026-11-20T12:00:00+00:00")
    record(client, b, b_once, "2026-11-20", "missed")
    # a_promise's Friday goes unrecorded: due, not kept.

    at(clock, "2026-11-23T08:00:00+00:00")  # third week
    r4 = ask(client, b, "check_in")
    answer(client, b, r4, rating=3)
    at(clock, "2026-11-23T12:00:00+00:00")
    b_daily = commit(client, b, due_time="08:00")  # today's 08:00 (07:00Z) is already past
    record(client, b, b_daily, "2026-11-23")
    at(clock, "2026-11-23T19:00:00+00:00")
    record(client, a, a_promise, "2026-11-23")
    at(clock, "2026-11-24T06:00:00+00:00")
    # Deleted before Tuesday's 08:00: its Monday stays in the figures, nothing after it counts.
    assert client.delete(f"/v1/couple/commitments/{b_daily}", headers=b.headers).status_code == 204
    at(clock, "2026-11-25T10:00:00+00:00")
    send_note(client, a)  # never acknowledged
    record(client, a, a_promise, "2026-11-25")  # before its 18:00: recorded, so it counts

    at(clock, "2026-11-25T12:00:00+00:00")  # Wednesday, 13:00 in Paris
    body = progress(client, a, "?weeks=3")
    assert body["timezone"] == "Europe/Paris"
    assert [w["week_start"] for w in body["weeks"]] == ["2026-11-09", "2026-11-16", "2026-11-23"]
    assert [w["partners"] for w in body["weeks"]] == [
        {
            a.id: week(sent=1, asked=1, answered=1, rating=4.0, due=3, kept=2, confirmed=1),
            b.id: week(acked=1, asked=1, answered=1, rating=2.0),
        },
        {
            a.id: week(
                sent=1, acked=1, asked=2, answered=2, rating=5.0, due=3, kept=2, confirmed=1
            ),
            b.id: week(sent=1, acked=1, asked=2, due=1),
        },
        {
            a.id: week(sent=1, asked=1, due=2, kept=2),
            b.id: week(asked=1, answered=1, rating=3.0, due=1, kept=1),
        },
    ]
    assert body["summary"] == {
        a.id: {
            "answer_rate_28d": 0.75,  # r1, r2, r3 of 4
            "kept_rate_28d": 0.75,  # 6 of 8
            "gratitude_per_week_28d": 0.75,  # 3 notes / 4
            "median_ack_hours_28d": 24.0,
            **NO_AGREEMENTS,
        },
        b.id: {
            "answer_rate_28d": 0.5,
            "kept_rate_28d": 0.5,  # the missed one-off and the deleted daily's kept Monday
            "gratitude_per_week_28d": 0.25,
            "median_ack_hours_28d": 2.0,  # 3 h and 1 h; the unacknowledged note is left out
            **NO_AGREEMENTS,
        },
    }
    # The aggregate agrees with the commitment's own figure.
    own = client.get(f"/v1/couple/commitments/{a_promise}", headers=a.headers).get_json()
    assert own["kept_rate_28d"] == body["summary"][a.id]["kept_rate_28d"]
    # The partner sees the same figures; the other couple sees only their own.
    assert progress(client, b, "?weeks=3") == body
    theirs = progress(client, outsider, "?weeks=3")
    assert set(theirs["summary"]) == {outsider.id, other.id}
    assert theirs["weeks"][1]["partners"][outsider.id] == week(
        sent=1, asked=1, answered=1, rating=1.0, due=1, kept=1
    )


def test_a_new_couple_has_empty_weeks_and_null_rates(client, factory, clock):
    a, b, _ = pair(factory)
    body = progress(client, a)  # 8 weeks by default
    assert len(body["weeks"]) == 8
    assert body["weeks"][-1]["week_start"] == "2026-11-23"  # the clock's Monday
    assert body["weeks"][0]["week_start"] == "2026-10-05"
    for w in body["weeks"]:
        assert w["partners"] == {a.id: week(), b.id: week()}
    empty = {
        "answer_rate_28d": None,
        "kept_rate_28d": None,
        "gratitude_per_week_28d": 0.0,
        "median_ack_hours_28d": None,
        **NO_AGREEMENTS,
    }
    assert body["summary"] == {a.id: empty, b.id: empty}


def test_a_new_pairing_starts_empty(client, factory, clock):
    a, b, _ = pair(factory)
    acknowledge(client, b, send_note(client, a))
    answer(client, b, ask(client, a, "check_in"), rating=5)
    record(client, a, commit(client, a, due_time="08:00"), "2026-11-23")
    assert client.delete("/v1/couple", headers=a.headers).status_code == 204
    clock.advance(hours=1)
    _, c, _ = pair(factory, first=a)
    body = progress(client, a, "?weeks=1")
    assert body["weeks"][0]["partners"] == {a.id: week(), c.id: week()}


def test_the_summary_covers_the_last_28_days(client, factory, clock):
    at(clock, "2026-10-20T12:00:00+00:00")  # 34 days before now
    a, b, _ = pair(factory)
    old = send_note(client, a)
    clock.advance(hours=2)
    acknowledge(client, b, old)
    answer(client, b, ask(client, a, "check_in"), rating=1)
    at(clock, "2026-11-23T12:00:00+00:00")
    body = progress(client, a)
    assert sent_per_week(body, a) == [0, 0, 1, 0, 0, 0, 0, 0]  # the week of 2026-10-19
    assert body["weeks"][2]["partners"][b.id]["mean_check_in_rating"] == 1.0
    assert body["summary"][a.id]["gratitude_per_week_28d"] == 0.0
    assert body["summary"][b.id]["median_ack_hours_28d"] is None
    assert body["summary"][b.id]["answer_rate_28d"] is None  # no round asked in 28 days


@pytest.mark.parametrize("weeks", [1, 52])
def test_weeks_bounds(client, factory, weeks):
    a, _, _ = pair(factory)
    body = progress(client, a, f"?weeks={weeks}")
    starts = [date.fromisoformat(w["week_start"]) for w in body["weeks"]]
    assert len(starts) == weeks
    assert starts[-1] == date(2026, 11, 23)
    assert starts == [date(2026, 11, 23) - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


@pytest.mark.parametrize("query", ["?weeks=0", "?weeks=53", "?weeks=x", "?weeks="])
def test_weeks_is_validated(client, factory, query):
    a, _, _ = pair(factory)
    response = client.get(f"{PROGRESS}{query}", headers=a.headers)
    assert_invalid_fields(response, "weeks", location="query")


def test_unknown_query_fields_are_refused(client, factory):
    a, _, _ = pair(factory)
    response = client.get(f"{PROGRESS}?weeks=2&since=2026-01-01", headers=a.headers)
    assert_invalid_fields(response, "since", location="query")


def test_partners_only_and_paired_only(client, factory):
    therapist, loner = factory.therapist(), factory.partner()
    assert_error(client.get(PROGRESS, headers=therapist.headers), 403, "partners_only")
    assert_error(client.get(PROGRESS, headers=loner.headers), 404, "not_paired")
    assert_error(client.get(PROGRESS), 401, "missing_token")


def test_weeks_start_on_monday_in_the_viewers_zone(client, factory, clock):
    # Sunday 12:00 UTC is already Monday 01:00 in Auckland (UTC+13), still Sunday in Paris.
    at(clock, "2026-11-22T10:30:00+00:00")  # Sunday 23:30 in Auckland
    a, b = factory.partner(timezone="Pacific/Auckland"), factory.partner()
    a, b, _ = pair(factory, first=a, second=b)
    send_note(client, a)
    at(clock, "2026-11-22T11:30:00+00:00")  # Monday 00:30 in Auckland
    send_note(client, a)
    at(clock, "2026-11-22T12:00:00+00:00")

    auckland = progress(client, a, "?weeks=2")
    assert auckland["timezone"] == "Pacific/Auckland"
    assert [w["week_start"] for w in auckland["weeks"]] == ["2026-11-16", "2026-11-23"]
    assert sent_per_week(auckland, a) == [1, 1]

    paris = progress(client, b, "?weeks=2")
    assert paris["timezone"] == "Europe/Paris"
    assert [w["week_start"] for w in paris["weeks"]] == ["2026-11-09", "2026-11-16"]
    assert sent_per_week(paris, a) == [0, 2]


def test_a_week_with_a_dst_change_is_169_hours_long(client, factory, clock):
    # Paris leaves summer time on Sunday 2026-10-25: that week runs from 2026-10-18T22:00Z
    # (Monday 00:00 CEST) to 2026-10-25T23:00Z (Monday 00:00 CET).
    at(clock, "2026-10-18T21:59:00+00:00")
    a, _, _ = pair(factory)
    for instant in (
        "2026-10-18T21:59:00+00:00",  # Sunday 23:59 CEST: the week before
        "2026-10-18T22:00:00+00:00",  # Monday 00:00 CEST: first instant of the DST week
        "2026-10-25T22:30:00+00:00",  # Sunday 23:30 CET: last hour of the DST week
        "2026-10-25T23:00:00+00:00",  # Monday 00:00 CET: the week after
    ):
        at(clock, instant)
        send_note(client, a)
    at(clock, "2026-10-26T12:00:00+00:00")
    body = progress(client, a, "?weeks=3")
    assert [w["week_start"] for w in body["weeks"]] == ["2026-10-12", "2026-10-19", "2026-10-26"]
    assert sent_per_week(body, a) == [1, 2, 1]


def test_check_ins_and_reassurance_in_the_weeks(client, factory, clock):
    """The partners in Paris; a's lunch check-in on Mondays, Wednesdays and Fridays at 12:30."""
    at(clock, "2026-11-16T08:00:00+00:00")  # Monday of the first week, 09:00 in Paris
    a, b, _ = pair(factory)
    lunch = post(
        client, a, "/v1/couple/agreements", {"time": "12:30", "days": ["mon", "wed", "fri"]}
    )["id"]
    base = f"/v1/couple/agreements/{lunch}"
    requests = "/v1/couple/reassurance-requests"
    at(clock, "2026-11-16T11:35:00+00:00")
    post(client, a, f"{base}/check-ins")  # Monday: on time
    at(clock, "2026-11-17T18:00:00+00:00")
    asked = post(client, b, requests, {"note": "Wobbly"})["id"]
    at(clock, "2026-11-17T18:10:00+00:00")
    post(client, a, f"{requests}/{asked}/answer", {"text": "I'm here"}, status=200)
    at(clock, "2026-11-18T11:20:00+00:00")
    post(client, a, f"{base}/late", {"minutes": 20})  # Wednesday: word sent...
    at(clock, "2026-11-18T11:55:00+00:00")
    post(client, a, f"{base}/check-ins")  # ... then a late check-in
    at(clock, "2026-11-19T08:00:00+00:00")
    withdrawn = post(client, b, requests)["id"]
    post(client, b, f"{requests}/{withdrawn}/withdraw", status=200)
    # Friday passes without a word.

    at(clock, "2026-11-23T11:30:00+00:00")  # second week
    post(client, a, f"{base}/check-ins")  # Monday: on time
    again = post(client, b, requests)["id"]
    post(client, a, f"{requests}/{again}/answer", {"text": "Always"}, status=200)
    at(clock, "2026-11-25T11:40:00+00:00")  # Wednesday, inside its window: not due yet

    body = progress(client, b, "?weeks=2")
    assert [w["partners"] for w in body["weeks"]] == [
        {
            a.id: week(
                check_ins_due=3, check_ins_on_time=1, late_notices=1, reassurance_answered=1
            ),
            b.id: week(reassurance_asked=2),
        },
        {
            a.id: week(check_ins_due=1, check_ins_on_time=1, reassurance_answered=1),
            b.id: week(reassurance_asked=1),
        },
    ]
    assert body["summary"][a.id]["on_time_rate_28d"] == 0.5  # 2 of 4
    assert body["summary"][a.id]["informed_rate_28d"] == 0.75  # and Wednesday's word
    assert (
        body["summary"][b.id]["on_time_rate_28d"],
        body["summary"][b.id]["informed_rate_28d"],
    ) == (None, None)
    own = client.get(base, headers=b.headers).get_json()
    assert (own["on_time_rate_28d"], own["informed_rate_28d"]) == (0.5, 0.75)
    # A deleted agreement leaves the figures up to its deletion.
    at(clock, "2026-11-25T11:50:00+00:00")  # Wednesday's window has ended, unrecorded
    assert client.delete(base, headers=a.headers).status_code == 204
    at(clock, "2026-11-27T12:00:00+00:00")
    later = progress(client, b, "?weeks=2")
    assert later["weeks"][1]["partners"][a.id]["check_ins_due"] == 2
    assert later["summary"][a.id]["on_time_rate_28d"] == 0.4
