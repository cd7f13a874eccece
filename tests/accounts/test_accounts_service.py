"""The accounts service called directly: profile, devices, the batch look-ups other domains
use, and the account row's own life (add, lock, delete)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from api.accounts import service
from api.accounts.models import Device, User
from api.auth.tokens import hash_token
from api.errors import NotFound


def register(session, user, clock, token="push-token-1", platform="ios", app_version="1.0"):
    return service.register_device(
        session=session,
        user=user,
        token=token,
        platform=platform,
        app_version=app_version,
        now=clock(),
    )


def count_devices(session) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(Device))


# --- profile ----------------------------------------------------------------------------------


def test_update_profile_changes_only_what_is_given(factory, session):
    user = factory.user(display_name="Maya", timezone="Europe/Paris")
    service.update_profile(session=session, user=user, display_name="Maya B.")
    service.update_profile(session=session, user=user, locale="fr")
    session.expire_all()
    stored = session.get(User, user.id)
    assert (stored.display_name, stored.timezone, stored.locale) == (
        "Maya B.",
        "Europe/Paris",
        "fr",
    )
    service.update_profile(session=session, user=stored, timezone="America/New_York")
    session.expire_all()
    stored = session.get(User, user.id)
    assert (stored.display_name, stored.timezone, stored.locale) == (
        "Maya B.",
        "America/New_York",
        "fr",
    )


def test_update_profile_with_nothing_changes_nothing(factory, session):
    user = factory.user(display_name="Sam", timezone="UTC")
    service.update_profile(session=session, user=user)
    session.expire_all()
    stored = session.get(User, user.id)
    assert (stored.display_name, stored.timezone, stored.locale) == ("Sam", "UTC", "en")


# --- devices ----------------------------------------------------------------------------------


def test_a_new_token_is_created_and_stored_with_its_hash(factory, session, clock):
    user = factory.user()
    device, created = register(session, user, clock, token="tok-A", platform="android")
    assert created is True
    session.expire_all()
    stored = session.get(Device, device.id)
    assert stored.user_id == user.id
    assert (stored.token, stored.token_hash) == ("tok-A", hash_token("tok-A"))
    assert (stored.platform, stored.app_version) == ("android", "1.0")
    assert stored.created_at == stored.last_seen_at == clock()


def test_the_same_token_again_updates_the_device(factory, session, clock):
    user = factory.user()
    first, _ = register(session, user, clock, app_version="1.0")
    clock.advance(days=3)
    again, created = register(session, user, clock, app_version="1.1")
    assert created is False
    assert again.id == first.id
    assert (again.app_version, again.last_seen_at) == ("1.1", clock())
    assert again.created_at == clock() - timedelta(days=3)
    assert count_devices(session) == 1


def test_a_token_seen_on_another_account_moves_to_the_new_one(factory, session, clock):
    before, after = factory.user(), factory.user()
    device, _ = register(session, before, clock, token="shared-phone")
    moved, created = register(session, after, clock, token="shared-phone", platform="android")
    assert created is False and moved.id == device.id
    session.expire_all()
    assert service.devices_for(session=session, user_ids=[before.id]) == {}
    [only] = service.devices_for(session=session, user_ids=[after.id])[after.id]
    assert (only.id, only.platform) == (device.id, "android")


def test_list_devices_shows_only_the_users_own_newest_first(factory, session, clock):
    user, other = factory.user(), factory.user()
    made = []
    for n in range(3):
        made.append(register(session, user, clock, token=f"mine-{n}")[0].id)
        clock.advance(minutes=1)
    register(session, other, clock, token="theirs")
    page = service.list_devices(session=session, user=user, limit=2, cursor=None)
    assert [d.id for d in page.items] == [made[2], made[1]]
    assert page.next_cursor is not None
    rest = service.list_devices(session=session, user=user, limit=2, cursor=page.next_cursor)
    assert [d.id for d in rest.items] == [made[0]]
    assert rest.next_cursor is None


def test_remove_device(factory, session, clock):
    user = factory.user()
    device, _ = register(session, user, clock)
    service.remove_device(session=session, user=user, device_id=device.id)
    assert count_devices(session) == 0


def test_another_users_device_is_not_found_and_stays(factory, session, clock):
    owner, stranger = factory.user(), factory.user()
    device, _ = register(session, owner, clock)
    with pytest.raises(NotFound):
        service.remove_device(session=session, user=stranger, device_id=device.id)
    with pytest.raises(NotFound):
        service.remove_device(session=session, user=owner, device_id=uuid.uuid4())
    session.rollback()
    assert count_devices(session) == 1


def test_devices_for_groups_by_user_in_one_call(factory, session, clock):
    a, b, c = factory.user(), factory.user(), factory.user()
    register(session, a, clock, token="a1")
    register(session, a, clock, token="a2")
    register(session, b, clock, token="b1")
    found = service.devices_for(session=session, user_ids=[a.id, b.id, c.id])
    assert {user_id: sorted(d.token for d in ds) for user_id, ds in found.items()} == {
        a.id: ["a1", "a2"],
        b.id: ["b1"],
    }
    assert service.devices_for(session=session, user_ids=[]) == {}


def test_remove_devices_deletes_those_named_without_committing(factory, session, clock):
    user = factory.user()
    dead, _ = register(session, user, clock, token="dead")
    alive, _ = register(session, user, clock, token="alive")
    service.remove_devices(session=session, device_ids={dead.id})
    session.rollback()  # not committed: the caller's transaction decides
    assert count_devices(session) == 2
    service.remove_devices(session=session, device_ids={dead.id})
    service.remove_devices(session=session, device_ids=set())
    session.commit()
    assert [d.id for d in service.user_devices(session=session, user=user)] == [alive.id]


def test_user_devices_are_oldest_first(factory, session, clock):
    user = factory.user()
    first, _ = register(session, user, clock, token="old")
    clock.advance(hours=1)
    second, _ = register(session, user, clock, token="new")
    assert [d.id for d in service.user_devices(session=session, user=user)] == [
        first.id,
        second.id,
    ]


# --- batch look-ups ---------------------------------------------------------------------------


def test_timezones_and_users_by_id_leave_erased_users_out(factory, session):
    paris = factory.user(timezone="Europe/Paris")
    tokyo = factory.user(timezone="Asia/Tokyo")
    gone = factory.user(timezone="America/Denver")
    service.delete_user(session=session, user=gone)
    session.commit()
    ids = [paris.id, tokyo.id, gone.id, paris.id]
    assert service.timezones_of(session=session, user_ids=ids) == {
        paris.id: "Europe/Paris",
        tokyo.id: "Asia/Tokyo",
    }
    found = service.users_by_id(session=session, user_ids=ids)
    assert set(found) == {paris.id, tokyo.id}
    assert found[tokyo.id].timezone == "Asia/Tokyo"
    assert service.timezones_of(session=session, user_ids=[]) == {}
    assert service.users_by_id(session=session, user_ids=[]) == {}


# --- the account row --------------------------------------------------------------------------


def test_add_user_is_committed_by_the_caller(session, clock):
    user = service.add_user(
        session=session,
        display_name="Noor",
        role="therapist",
        timezone="Asia/Kolkata",
        now=clock(),
        email="noor@example.com",
    )
    assert service.find_by_email(session=session, email="noor@example.com") is user
    session.rollback()
    assert service.find_by_email(session=session, email="noor@example.com") is None
    user = service.add_user(
        session=session,
        display_name="Noor",
        role="therapist",
        timezone="Asia/Kolkata",
        now=clock(),
        firebase_uid="fb-123",
    )
    session.commit()
    session.expire_all()
    stored = service.find_by_firebase_uid(session=session, uid="fb-123")
    assert stored.id == user.id
    assert (stored.email, stored.password_hash, stored.role) == (None, None, "therapist")
    assert (stored.locale, stored.created_at) == ("en", clock())


def test_delete_user_takes_their_devices_and_leaves_others(factory, session, clock):
    gone, stays = factory.user(), factory.user()
    register(session, gone, clock, token="g")
    register(session, stays, clock, token="s")
    service.delete_user(session=session, user=gone)
    session.commit()
    session.expire_all()
    assert service.find_user(session=session, user_id=gone.id) is None
    assert service.find_user(session=session, user_id=stays.id) is not None
    assert [d.token for d in session.scalars(select(Device))] == ["s"]


def test_lock_user_runs_inside_a_transaction(factory, session):
    user = factory.user()
    service.lock_user(session=session, user_id=user.id)
    service.lock_user(session=session, user_id=uuid.uuid4())  # nobody to lock: no error
    # The lock does not stop the holder from writing in the same transaction.
    service.update_profile(session=session, user=user, display_name="Locked and changed")
    session.expire_all()
    assert session.get(User, user.id).display_name == "Locked and changed"


@pytest.mark.postgres
def test_lock_user_holds_other_transactions_off_until_commit(factory, session, session_factory):
    user = factory.user()
    service.lock_user(session=session, user_id=user.id)
    with session_factory() as other:
        other.execute(text("SET LOCAL lock_timeout = '100ms'"))
        with pytest.raises(OperationalError):
            service.lock_user(session=other, user_id=user.id)
        other.rollback()
        session.commit()  # released
        service.lock_user(session=other, user_id=user.id)
        other.rollback()
