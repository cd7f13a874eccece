from __future__ import annotations

import pytest

from api.i18n import Verbatim
from api.notifications import service
from api.notifications.models import KINDS
from tests.factories import pair
from tests.helpers import assert_error, assert_invalid_fields

SETTINGS = "/v1/me/notification-settings"


def notify(factory, user, *, kind="gratitude_received", **kwargs):
    service.enqueue(
        session=factory.session,
        recipient_id=user.id,
        kind=kind,
        title=Verbatim("A note"),
        body=Verbatim("Sam thanked you"),
        now=factory.clock(),
        data=kwargs.pop("data", {"x": "1"}),
        **kwargs,
    )
    factory.session.commit()


# --- settings ---------------------------------------------------------------------------------


def test_settings_default_to_every_kind_on_and_a_cap_of_ten(client, factory):
    actor = factory.partner()
    body = client.get(SETTINGS, headers=actor.headers).get_json()
    assert body == {"quiet_hours": None, "daily_cap": 10, "kinds": {k: True for k in KINDS}}


def test_put_replaces_the_settings(client, factory):
    actor = factory.partner()
    response = client.put(
        SETTINGS,
        headers=actor.headers,
        json={
            "quiet_hours": {"start": "22:00", "end": "08:00"},
            "daily_cap": 3,
            "kinds": {"prompt": False, "pairing": True},
        },
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["quiet_hours"] == {"start": "22:00", "end": "08:00"}
    assert body["daily_cap"] == 3
    assert body["kinds"]["prompt"] is False
    assert all(on for kind, on in body["kinds"].items() if kind != "prompt")
    assert client.get(SETTINGS, headers=actor.headers).get_json() == body
    # A later PUT without kinds turns every kind back on: PUT replaces.
    again = client.put(
        SETTINGS, headers=actor.headers, json={"quiet_hours": None, "daily_cap": 50}
    ).get_json()
    assert again == {"quiet_hours": None, "daily_cap": 50, "kinds": {k: True for k in KINDS}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"daily_cap": 10}, "quiet_hours"),
        ({"quiet_hours": None}, "daily_cap"),
        ({"quiet_hours": None, "daily_cap": 0}, "daily_cap"),
        ({"quiet_hours": None, "daily_cap": 51}, "daily_cap"),
        ({"quiet_hours": None, "daily_cap": 5, "kinds": {"marketing": True}}, "kinds"),
        ({"quiet_hours": None, "daily_cap": 5, "kinds": {"prompt": "maybe"}}, "kinds"),
        ({"quiet_hours": {"start": "22:00", "end": "22:00"}, "daily_cap": 5}, "quiet_hours"),
        ({"quiet_hours": {"start": "25:00", "end": "08:00"}, "daily_cap": 5}, "quiet_hours"),
        ({"quiet_hours": {"start": "8:00", "end": "09:00"}, "daily_cap": 5}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00"}, "daily_cap": 5}, "quiet_hours"),
        ({"quiet_hours": None, "daily_cap": 5, "sound": "loud"}, "sound"),
    ],
)
def test_put_rejects_bad_settings(client, factory, body, field):
    actor = factory.partner()
    assert_invalid_fields(client.put(SETTINGS, headers=actor.headers, json=body), field)


def test_settings_serve_therapists_too(client, factory):
    therapist = factory.therapist()
    response = client.put(
        SETTINGS,
        headers=therapist.headers,
        json={"quiet_hours": {"start": "19:00", "end": "07:30"}, "daily_cap": 5},
    )
    assert response.status_code == 200


def test_settings_need_a_token(client):
    assert_error(client.get(SETTINGS), 401, "missing_token")


# --- inbox ------------------------------------------------------------------------------------


def test_accepting_an_invite_notifies_the_inviter(client, factory):
    inviter, partner, couple_id = pair(factory)
    items = client.get("/v1/me/notifications", headers=inviter.headers).get_json()["items"]
    assert len(items) == 1
    item = items[0]
    assert item["kind"] == "pairing"
    assert item["data"] == {"couple_id": str(couple_id)}
    assert item["status"] == "pending"
    assert item["deliver_after"] == "2026-11-23T12:00:00.000Z"
    assert item["read_at"] is None
    assert partner.user.display_name in item["body"]
    assert client.get("/v1/me/notifications", headers=partner.headers).get_json()["items"] == []


def test_reading_a_notification(client, factory, clock):
    actor = factory.partner()
    notify(factory, actor.user)
    item = client.get("/v1/me/notifications", headers=actor.headers).get_json()["items"][0]
    read = client.post(f"/v1/me/notifications/{item['id']}/read", headers=actor.headers)
    assert read.status_code == 200
    assert read.get_json()["read_at"] == "2026-11-23T12:00:00.000Z"
    clock.advance(minutes=5)
    again = client.post(f"/v1/me/notifications/{item['id']}/read", headers=actor.headers)
    assert again.status_code == 200
    assert again.get_json()["read_at"] == "2026-11-23T12:00:00.000Z"


def test_someone_elses_notification_is_not_found(client, factory):
    owner, stranger = factory.partner(), factory.partner()
    notify(factory, owner.user)
    item = client.get("/v1/me/notifications", headers=owner.headers).get_json()["items"][0]
    assert_error(
        client.post(f"/v1/me/notifications/{item['id']}/read", headers=stranger.headers),
        404,
        "not_found",
    )
    assert_error(
        client.post("/v1/me/notifications/123/read", headers=owner.headers), 404, "not_found"
    )
    assert client.get("/v1/me/notifications", headers=stranger.headers).get_json()["items"] == []


def test_inbox_pages_newest_first(client, factory, clock):
    actor = factory.partner()
    for _ in range(5):
        clock.advance(seconds=1)
        notify(factory, actor.user)
    first = client.get("/v1/me/notifications?limit=3", headers=actor.headers).get_json()
    second = client.get(
        f"/v1/me/notifications?limit=3&cursor={first['next_cursor']}", headers=actor.headers
    ).get_json()
    assert len(first["items"]) == 3 and len(second["items"]) == 2
    assert second["next_cursor"] is None
    created = [i["created_at"] for i in first["items"] + second["items"]]
    assert created == sorted(created, reverse=True)


def test_the_unread_filter_count_and_read_all(client, factory, clock):
    actor, other = factory.partner(), factory.partner()
    for _ in range(3):
        clock.advance(seconds=1)
        notify(factory, actor.user)
    notify(factory, other.user)
    items = client.get("/v1/me/notifications", headers=actor.headers).get_json()["items"]
    client.post(f"/v1/me/notifications/{items[1]['id']}/read", headers=actor.headers)

    def listed(query):
        response = client.get(f"/v1/me/notifications?{query}", headers=actor.headers)
        assert response.status_code == 200, response.get_json()
        return [i["id"] for i in response.get_json()["items"]]

    def unread_count(who=actor):
        response = client.get("/v1/me/notifications/unread-count", headers=who.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    assert listed("unread=true") == [items[0]["id"], items[2]["id"]]
    assert listed("unread=false") == [items[1]["id"]]
    assert unread_count() == {"count": 2}
    clock.advance(minutes=1)
    read_all = client.post("/v1/me/notifications/read-all", headers=actor.headers)
    assert (read_all.status_code, read_all.get_json()) == (200, {"count": 2})
    assert listed("unread=true") == []
    assert unread_count() == {"count": 0}
    # Reading twice marks nothing more; someone else's inbox is untouched.
    again = client.post("/v1/me/notifications/read-all", headers=actor.headers)
    assert again.get_json() == {"count": 0}
    assert unread_count(other) == {"count": 1}
    # Each keeps the instant it was first read.
    read_at = {
        i["id"]: i["read_at"]
        for i in client.get("/v1/me/notifications", headers=actor.headers).get_json()["items"]
    }
    assert read_at[items[1]["id"]] == "2026-11-23T12:00:03.000Z"
    assert read_at[items[0]["id"]] == read_at[items[2]["id"]] == "2026-11-23T12:01:03.000Z"


def test_the_inbox_filters_are_validated_and_need_a_token(client, factory):
    actor = factory.partner()
    assert_invalid_fields(
        client.get("/v1/me/notifications?unread=perhaps", headers=actor.headers),
        "unread",
        location="query",
    )
    assert_error(client.get("/v1/me/notifications/unread-count"), 401, "missing_token")
    assert_error(client.post("/v1/me/notifications/read-all"), 401, "missing_token")


def test_therapists_have_an_inbox_too(client, factory):
    therapist = factory.therapist()
    notify(factory, therapist.user, kind="therapist")
    count = client.get("/v1/me/notifications/unread-count", headers=therapist.headers)
    assert count.get_json() == {"count": 1}
    read_all = client.post("/v1/me/notifications/read-all", headers=therapist.headers)
    assert read_all.get_json() == {"count": 1}


def test_the_same_event_is_notified_once(factory, client):
    actor = factory.partner()
    notify(factory, actor.user, dedupe_key="gratitude:abc")
    notify(factory, actor.user, dedupe_key="gratitude:abc")
    assert len(client.get("/v1/me/notifications", headers=actor.headers).get_json()["items"]) == 1


def test_unpairing_cancels_pending_notifications_about_the_couple(client, factory):
    inviter, partner, _ = pair(factory)
    client.delete("/v1/couple", headers=partner.headers)
    item = client.get("/v1/me/notifications", headers=inviter.headers).get_json()["items"][0]
    assert item["status"] == "skipped"
    assert item["deliver_after"] is None


def test_export_holds_settings_and_inbox(client, factory):
    actor = factory.partner()
    notify(factory, actor.user)
    client.put(SETTINGS, headers=actor.headers, json={"quiet_hours": None, "daily_cap": 4})
    body = client.get("/v1/me/export", headers=actor.headers).get_json()
    assert body["notification_settings"]["daily_cap"] == 4
    assert [n["kind"] for n in body["notifications"]] == ["gratitude_received"]


def test_erasure_removes_notifications_and_settings(client, factory, session):
    from sqlalchemy import func, select

    from api.notifications.models import Notification, NotificationSettings

    actor = factory.partner()
    user_id = actor.user.id
    notify(factory, actor.user)
    client.put(SETTINGS, headers=actor.headers, json={"quiet_hours": None, "daily_cap": 4})
    client.delete("/v1/me", headers=actor.headers)
    session.commit()
    for model, column in (
        (Notification, Notification.recipient_id),
        (NotificationSettings, NotificationSettings.user_id),
    ):
        assert session.scalar(select(func.count()).select_from(model).where(column == user_id)) == 0
