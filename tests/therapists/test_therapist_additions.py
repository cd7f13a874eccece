"""The API additions for the workspace: the therapist's grants, a couple's commitments,
assignment completion, and the `therapist` notifications when access starts or ends."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from api.db import get_engine, make_session_factory
from api.notifications.dispatch import dispatch_once
from api.notifications.models import Notification
from api.notifications.push import LogSender
from api.prompts import schedules as schedules_service
from api.prompts.models import Round
from api.therapists import service as therapists_service
from api.therapists.models import AccessLogEntry, Grant
from tests.factories import pair
from tests.helpers import assert_error, assert_invalid_fields
from tests.therapists.test_therapists_routes import add, assign, grant_access, link_code


@pytest.fixture
def therapist(factory):
    return factory.therapist(display_name="Dr. Rivera", timezone="America/Chicago")


def therapist_notes(session, recipient_id) -> list[Notification]:
    session.commit()
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.kind == "therapist", Notification.recipient_id == recipient_id)
            .order_by(Notification.created_at, Notification.title)
        )
    )


# --- GET /v1/therapist/grants -----------------------------------------------------------------


def test_the_therapist_lists_pending_and_active_grants_with_names(
    client, factory, therapist, couple, clock
):
    first, second, couple_id = couple
    active_id = grant_access(client, couple, therapist, scope="summary_and_content")
    clock.advance(minutes=5)
    other_first, other_second, other_couple = pair(factory)
    pending = add(client, other_first, link_code(client, therapist)).get_json()

    response = client.get("/v1/therapist/grants", headers=therapist.headers)

    assert response.status_code == 200
    body = response.get_json()
    assert [g["id"] for g in body["items"]] == [pending["id"], active_id]  # newest first
    newest, oldest = body["items"]
    assert newest == {
        "id": pending["id"],
        "couple_id": str(other_couple),
        "partners": [
            {"id": other_first.id, "display_name": other_first.user.display_name},
            {"id": other_second.id, "display_name": other_second.user.display_name},
        ],
        "scope": "summary",
        "status": "pending",
        "approvals": [other_first.id],
        "created_at": newest["created_at"],
        "activated_at": None,
    }
    assert oldest["status"] == "active" and oldest["scope"] == "summary_and_content"
    assert {p["display_name"] for p in oldest["partners"]} == {
        first.user.display_name,
        second.user.display_name,
    }
    assert sorted(oldest["approvals"]) == sorted([first.id, second.id])
    assert body["next_cursor"] is None

    only = client.get("/v1/therapist/grants?status=active", headers=therapist.headers)
    assert [g["id"] for g in only.get_json()["items"]] == [active_id]
    paged = client.get("/v1/therapist/grants?limit=1", headers=therapist.headers).get_json()
    assert len(paged["items"]) == 1 and paged["next_cursor"]
    rest = client.get(
        f"/v1/therapist/grants?limit=1&cursor={paged['next_cursor']}", headers=therapist.headers
    ).get_json()
    assert [g["id"] for g in rest["items"]] == [active_id]


def test_ended_grants_and_other_therapists_grants_are_not_listed(
    client, factory, therapist, couple
):
    first, _, _ = couple
    grant_id = grant_access(client, couple, therapist)
    client.delete(f"/v1/couple/therapists/{grant_id}", headers=first.headers)
    assert client.get("/v1/therapist/grants", headers=therapist.headers).get_json()["items"] == []
    someone_else = factory.therapist()
    grant_access(client, pair(factory), someone_else)
    assert client.get("/v1/therapist/grants", headers=therapist.headers).get_json()["items"] == []


def test_the_grants_list_is_for_therapists_and_validates_its_query(client, therapist, couple):
    first, _, _ = couple
    assert_error(client.get("/v1/therapist/grants", headers=first.headers), 403, "therapist_only")
    assert_invalid_fields(
        client.get("/v1/therapist/grants?status=revoked", headers=therapist.headers),
        "status",
        location="query",
    )
    assert_invalid_fields(
        client.get("/v1/therapist/grants?limit=0", headers=therapist.headers),
        "limit",
        location="query",
    )
    assert_error(client.get("/v1/therapist/grants"), 401, "missing_token")


# --- GET /v1/therapist/couples/{id}/commitments ----------------------------------------------


def commitments(client, therapist, couple_id, query=""):
    return client.get(
        f"/v1/therapist/couples/{couple_id}/commitments{query}", headers=therapist.headers
    )


def make_commitments(client, couple, clock):
    first, second, _ = couple
    mine = client.post(
        "/v1/couple/commitments",
        headers=first.headers,
        json={"title": "Text when I leave work", "due_time": "12:30", "days": ["mon", "tue"]},
    ).get_json()
    client.post(
        f"/v1/couple/commitments/{mine['id']}/checks",
        headers=first.headers,
        json={"date": "2026-11-23", "status": "kept"},
    )
    clock.advance(minutes=1)
    theirs = client.post(
        "/v1/couple/commitments",
        headers=second.headers,
        json={"title": "Sunday walk", "due_time": "18:00", "date": "2026-11-29"},
    ).get_json()
    return mine, theirs


def test_commitments_show_figures_and_titles_only_with_content_scope(
    client, session, factory, therapist, couple, clock
):
    first, _, couple_id = couple
    grant_access(client, couple, therapist, scope="summary")
    mine, theirs = make_commitments(client, couple, clock)

    response = commitments(client, therapist, couple_id)

    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [c["id"] for c in items] == [theirs["id"], mine["id"]]
    as_the_couple_sees_it = client.get(
        f"/v1/couple/commitments/{mine['id']}", headers=first.headers
    ).get_json()
    assert items[1] == {
        "id": mine["id"],
        "owner_id": first.id,
        "title": None,
        "days": ["mon", "tue"],
        "date": None,
        "due_time": "12:30",
        "timezone": "Europe/Paris",
        "kept_rate_28d": as_the_couple_sees_it["kept_rate_28d"],
        "current_streak": as_the_couple_sees_it["current_streak"],
        "created_at": items[1]["created_at"],
    }
    assert items[1]["kept_rate_28d"] == 1.0 and items[1]["current_streak"] == 1
    assert items[0]["date"] == "2026-11-29" and items[0]["days"] is None
    session.commit()
    actions = session.scalars(
        select(AccessLogEntry.action).where(AccessLogEntry.therapist_id == therapist.user.id)
    ).all()
    assert actions == ["commitments.read"]

    content_therapist = factory.therapist()
    grant_access(client, couple, content_therapist, scope="summary_and_content")
    listed = commitments(client, content_therapist, couple_id).get_json()["items"]
    titles = {c["title"] for c in listed}
    assert titles == {"Text when I leave work", "Sunday walk"}


def test_commitments_need_an_active_grant(client, factory, therapist, couple):
    first, _, couple_id = couple
    assert_error(commitments(client, therapist, couple_id), 404, "not_found")
    add(client, first, link_code(client, therapist))  # pending only
    assert_error(commitments(client, therapist, couple_id), 404, "not_found")
    _, _, other = pair(factory)
    assert_error(commitments(client, therapist, other), 404, "not_found")
    assert_error(commitments(client, therapist, "not-a-uuid"), 404, "not_found")
    assert_error(
        client.get(f"/v1/therapist/couples/{couple_id}/commitments", headers=first.headers),
        403,
        "therapist_only",
    )
    assert_invalid_fields(
        commitments(client, therapist, couple_id, "?limit=101"), "limit", location="query"
    )


# --- assignment completion --------------------------------------------------------------------


def test_assignments_show_who_answered_their_latest_rounds(
    client, session, database_url, therapist, couple, clock
):
    first, second, couple_id = couple
    grant_access(client, couple, therapist)
    made = assign(client, therapist, couple_id)  # daily at 19:00 Paris
    assert made.get_json()["completion"] == []
    worker_sessions = make_session_factory(get_engine(database_url))
    for _ in range(10):
        clock.advance(days=1)
        schedules_service.materialise_due_schedules(session_factory=worker_sessions, now=clock())
    session.commit()
    rounds = session.scalars(select(Round).order_by(Round.asked_at.desc())).all()
    assert len(rounds) == 10
    client.post(
        f"/v1/couple/rounds/{rounds[0].id}/answers", headers=first.headers, json={"rating": 4}
    )
    client.post(
        f"/v1/couple/rounds/{rounds[1].id}/answers", headers=first.headers, json={"rating": 3}
    )
    clock.advance(minutes=1)  # answered_by is in the order they answered
    client.post(
        f"/v1/couple/rounds/{rounds[1].id}/answers", headers=second.headers, json={"rating": 5}
    )

    listed = client.get(
        f"/v1/therapist/couples/{couple_id}/assignments", headers=therapist.headers
    ).get_json()["items"]

    completion = listed[0]["completion"]
    assert [c["round_id"] for c in completion] == [str(r.id) for r in rounds[:8]]
    assert completion[0]["answered_by"] == [first.id]
    assert completion[1]["answered_by"] == [first.id, second.id]
    assert completion[2]["answered_by"] == []
    assert completion[0]["asked_at"].endswith(".000Z")


def test_completion_takes_a_fixed_number_of_statements(
    client, session, engine, database_url, therapist, couple, clock
):
    _, _, couple_id = couple
    grant = grant_access(client, couple, therapist)
    worker_sessions = make_session_factory(get_engine(database_url))

    def statements_to_list() -> int:
        session.commit()
        grant_row = session.get(Grant, uuid.UUID(grant))
        seen = []
        listener = lambda *args, **kwargs: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            therapists_service.list_assignments(
                session=session, grant=grant_row, limit=20, cursor=None
            )
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    assign(client, therapist, couple_id)
    clock.advance(days=1)
    schedules_service.materialise_due_schedules(session_factory=worker_sessions, now=clock())
    one = statements_to_list()
    for _ in range(4):
        assign(client, therapist, couple_id)
    for _ in range(3):
        clock.advance(days=1)
        schedules_service.materialise_due_schedules(session_factory=worker_sessions, now=clock())
    assert statements_to_list() == one


# --- therapist notifications ------------------------------------------------------------------


def test_the_therapist_hears_when_access_starts(client, session, therapist, couple):
    first, second, couple_id = couple
    grant_id = grant_access(client, couple, therapist)

    [note] = therapist_notes(session, therapist.user.id)
    assert note.title == "A couple gave you access"
    assert note.data == {"grant_id": grant_id, "couple_id": str(couple_id)}
    # The lock screen shows no client's name.
    assert first.user.display_name not in note.title + note.body
    assert second.user.display_name not in note.title + note.body


def test_revoking_tells_the_therapist_and_the_other_partner_once(
    client, session, therapist, couple
):
    first, second, _ = couple
    grant_id = grant_access(client, couple, therapist)
    path = f"/v1/couple/therapists/{grant_id}"
    assert client.delete(path, headers=second.headers).status_code == 204
    assert client.delete(path, headers=first.headers).status_code == 204  # already ended

    titles = [n.title for n in therapist_notes(session, therapist.user.id)]
    assert sorted(titles) == ["A couple ended your access", "A couple gave you access"]
    [told] = therapist_notes(session, first.user.id)[-1:]
    assert told.title == "Therapist access ended"
    assert told.body == (
        f"{second.user.display_name} ended Dr. Rivera's access. Nothing more is shared."
    )
    assert told.data == {"grant_id": grant_id}
    # The partner who revoked hears nothing more about their own action.
    assert [n.title for n in therapist_notes(session, second.user.id)] == [
        "A therapist awaits your approval"
    ]


def test_withdrawing_an_invitation_tells_both(client, session, therapist, couple):
    first, second, _ = couple
    grant = add(client, first, link_code(client, therapist)).get_json()
    client.delete(f"/v1/couple/therapists/{grant['id']}", headers=first.headers)

    [note] = therapist_notes(session, therapist.user.id)
    assert note.title == "An invitation was withdrawn"
    titles = [n.title for n in therapist_notes(session, second.user.id)]
    assert titles == ["A therapist awaits your approval", "Therapist invitation withdrawn"]


def test_unpairing_tells_the_therapist_and_is_not_cancelled_with_the_couple(
    client, session, database_url, therapist, couple, clock
):
    first, _, couple_id = couple
    grant_access(client, couple, therapist)
    client.delete("/v1/couple", headers=first.headers)

    ended = [n for n in therapist_notes(session, therapist.user.id) if "ended" in n.title]
    assert [n.title for n in ended] == ["A couple's access ended"]
    assert ended[0].couple_id is None and ended[0].status == "pending"
    assert ended[0].data["couple_id"] == str(couple_id)
    dispatch_once(
        session_factory=make_session_factory(get_engine(database_url)),
        sender=LogSender(),
        now=clock() + timedelta(seconds=1),
    )
    session.refresh(ended[0])
    assert ended[0].last_error != "couple_ended"  # skipped only for want of a device


def test_a_partners_erasure_tells_the_therapist(client, session, therapist, couple):
    first, _, _ = couple
    grant_access(client, couple, therapist)
    client.delete("/v1/me", headers=first.headers)
    titles = [n.title for n in therapist_notes(session, therapist.user.id)]
    assert titles == ["A couple gave you access", "A couple's access ended"]


def test_the_therapists_own_erasure_notifies_nobody(client, session, therapist, couple):
    first, second, _ = couple
    grant_access(client, couple, therapist)
    before = len(therapist_notes(session, first.user.id)) + len(
        therapist_notes(session, second.user.id)
    )
    client.delete("/v1/me", headers=therapist.headers)
    after = len(therapist_notes(session, first.user.id)) + len(
        therapist_notes(session, second.user.id)
    )
    assert after == before
