"""The auth service called directly, with explicit token settings and the test clock: sign-up,
sign-in, refresh rotation, sessions and per-request authentication."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.accounts import service as accounts_service
from api.auth import passwords, service
from api.auth.models import AuthSession, RefreshToken
from api.auth.service import LAST_USED_RESOLUTION, Principal
from api.auth.tokens import TokenSettings, decode_access_token
from api.errors import Conflict, NotFound, Unauthorized
from tests.factories import PASSWORD

SETTINGS = TokenSettings(
    secret="test-secret-key-that-is-long-enough-0123456789",
    issuer="steady",
    audience="steady-api",
    access_ttl_seconds=900,
)
# The configured Argon2id cost (README: ARGON2_* defaults); the app sets it at start-up.
DEFAULT_COST = {"memory_kib": 19456, "time_cost": 2, "parallelism": 1}


def register(session, clock, email="maya@example.com", password="a long password", **kw):
    values = {
        "display_name": "Maya",
        "timezone": "Europe/Paris",
        "role": "partner",
        "device_name": "Maya's phone",
    }
    values.update(kw)
    return service.register(
        session=session, settings=SETTINGS, email=email, password=password, now=clock(), **values
    )


def login(session, clock, email, password=PASSWORD, device_name=None):
    return service.login(
        session=session,
        settings=SETTINGS,
        email=email,
        password=password,
        device_name=device_name,
        now=clock(),
    )


def refresh(session, clock, token):
    return service.refresh(session=session, settings=SETTINGS, refresh_token=token, now=clock())


def authenticate(session, clock, token):
    return service.authenticate(
        session=session, settings=SETTINGS, token=token, now=clock(), firebase_verifier=None
    )


def session_id_of(pair, clock) -> uuid.UUID:
    return decode_access_token(pair.access_token, settings=SETTINGS, now=clock()).session_id


def auth_session(session, session_id) -> AuthSession:
    session.commit()
    session.expire_all()
    return session.get(AuthSession, session_id)


@pytest.fixture
def restore_password_cost():
    yield
    passwords.configure(**DEFAULT_COST)


# --- register ---------------------------------------------------------------------------------


def test_register_creates_the_account_and_its_first_session(session, clock):
    pair = register(session, clock, role="therapist")
    user = accounts_service.find_by_email(session=session, email="maya@example.com")
    assert pair.user.id == user.id
    assert (user.role, user.timezone, user.created_at) == ("therapist", "Europe/Paris", clock())
    assert user.password_hash.startswith("$argon2id$")
    assert pair.expires_in == 900 and pair.token_type == "Bearer"
    claims = decode_access_token(pair.access_token, settings=SETTINGS, now=clock())
    assert (claims.user_id, claims.role) == (user.id, "therapist")
    opened = auth_session(session, claims.session_id)
    assert (opened.device_name, opened.created_at, opened.revoked_at) == (
        "Maya's phone",
        clock(),
        None,
    )


def test_register_refuses_a_taken_email_and_adds_nothing(factory, session, clock):
    factory.user(email="taken@example.com")
    with pytest.raises(Conflict) as refused:
        register(session, clock, email="taken@example.com")
    assert refused.value.reason == "email_taken"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AuthSession)) == 0


# --- login ------------------------------------------------------------------------------------


def test_login_opens_a_new_session(factory, session, clock):
    user = factory.user(email="sam@example.com")
    pair = login(session, clock, " SAM@example.com ", device_name="tablet")
    assert pair.user.id == user.id
    opened = auth_session(session, session_id_of(pair, clock))
    assert (opened.user_id, opened.device_name) == (user.id, "tablet")


def test_unknown_email_and_wrong_password_are_refused_alike(factory, session, clock):
    factory.user(email="sam@example.com")
    refusals = []
    for email, password in (("sam@example.com", "wrong password"), ("nobody@x.com", PASSWORD)):
        with pytest.raises(Unauthorized) as refused:
            login(session, clock, email, password)
        refusals.append((type(refused.value), refused.value.reason, refused.value.message))
    assert refusals[0] == refusals[1]
    assert refusals[0][1] == "invalid_credentials"
    assert session.scalar(select(func.count()).select_from(AuthSession)) == 0


def test_an_account_without_a_password_cannot_sign_in_with_one(session, clock):
    # A Firebase account with an email has no password hash: any password is wrong.
    accounts_service.add_user(
        session=session,
        display_name="Phone user",
        role="partner",
        timezone="UTC",
        now=clock(),
        email="fb@example.com",
        firebase_uid="fb-1",
    )
    session.commit()
    with pytest.raises(Unauthorized) as refused:
        login(session, clock, "fb@example.com", "anything at all")
    assert refused.value.reason == "invalid_credentials"


def test_login_rehashes_when_the_cost_changes(session, clock, restore_password_cost):
    passwords.configure(memory_kib=8192, time_cost=1, parallelism=1)
    register(session, clock, email="old@example.com", password="an old password")
    weak = accounts_service.find_by_email(session=session, email="old@example.com").password_hash
    assert "m=8192,t=1,p=1" in weak
    passwords.configure(**DEFAULT_COST)
    login(session, clock, "old@example.com", "an old password")
    session.expire_all()
    strong = accounts_service.find_by_email(session=session, email="old@example.com").password_hash
    assert "m=19456,t=2,p=1" in strong
    assert passwords.verify_password(strong, "an old password")
    # At the configured cost already: the next sign-in leaves the hash alone.
    login(session, clock, "old@example.com", "an old password")
    session.expire_all()
    assert (
        accounts_service.find_by_email(session=session, email="old@example.com").password_hash
        == strong
    )


def test_a_failed_login_does_not_rehash(session, clock, restore_password_cost):
    passwords.configure(memory_kib=8192, time_cost=1, parallelism=1)
    register(session, clock, email="old@example.com", password="an old password")
    passwords.configure(**DEFAULT_COST)
    with pytest.raises(Unauthorized):
        login(session, clock, "old@example.com", "not the password")
    session.rollback()
    stored = accounts_service.find_by_email(session=session, email="old@example.com")
    assert "m=8192,t=1,p=1" in stored.password_hash


# --- refresh ----------------------------------------------------------------------------------


def test_refresh_rotates_the_token_within_the_session(factory, session, clock):
    actor = factory.partner()
    clock.advance(minutes=20)
    rotated = refresh(session, clock, actor.refresh_token)
    assert rotated.refresh_token != actor.refresh_token
    assert session_id_of(rotated, clock) == actor.session_id
    assert auth_session(session, actor.session_id).last_used_at == clock()
    tokens = session.scalars(
        select(RefreshToken)
        .where(RefreshToken.session_id == actor.session_id)
        .order_by(RefreshToken.created_at)
    ).all()
    assert [t.used_at for t in tokens] == [clock(), None]
    # The new one rotates in turn.
    assert refresh(session, clock, rotated.refresh_token).refresh_token != rotated.refresh_token


def test_a_reused_refresh_token_ends_the_whole_session(factory, session, clock):
    actor = factory.partner()
    rotated = refresh(session, clock, actor.refresh_token)
    clock.advance(minutes=1)
    with pytest.raises(Unauthorized) as reused:
        refresh(session, clock, actor.refresh_token)
    assert reused.value.reason == "refresh_token_reused"
    assert auth_session(session, actor.session_id).revoked_at == clock()
    # The thief's (or the owner's) newer token dies with the session, and so do access tokens.
    with pytest.raises(Unauthorized) as ended:
        refresh(session, clock, rotated.refresh_token)
    assert ended.value.reason == "session_revoked"
    with pytest.raises(Unauthorized) as denied:
        authenticate(session, clock, rotated.access_token)
    assert denied.value.reason == "session_revoked"


def test_unknown_and_idle_refresh_tokens_are_refused(factory, session, clock):
    actor = factory.partner()
    with pytest.raises(Unauthorized) as unknown:
        refresh(session, clock, "not-a-token")
    assert unknown.value.reason == "invalid_refresh_token"
    clock.advance(days=30, seconds=1)
    with pytest.raises(Unauthorized) as idle:
        refresh(session, clock, actor.refresh_token)
    assert idle.value.reason == "refresh_token_expired"


def test_a_session_ends_after_90_days_however_often_it_refreshes(factory, session, clock):
    actor = factory.partner()
    token = actor.refresh_token
    for _ in range(4):
        clock.advance(days=20)
        token = refresh(session, clock, token).refresh_token
    clock.advance(days=10, seconds=1)  # 90 days and a second after sign-in
    with pytest.raises(Unauthorized) as expired:
        refresh(session, clock, token)
    assert expired.value.reason == "refresh_token_expired"


# --- sessions ---------------------------------------------------------------------------------


def test_logout_ends_only_the_callers_session(factory, session, clock):
    user = factory.user()
    phone = factory.actor(user)
    laptop = factory.actor(user)
    clock.advance(minutes=3)
    service.logout(session=session, principal=Principal(user, phone.session_id), now=clock())
    assert auth_session(session, phone.session_id).revoked_at == clock()
    assert auth_session(session, laptop.session_id).revoked_at is None
    # Logging out twice keeps the first end; a Firebase caller has no session to end.
    clock.advance(minutes=1)
    service.logout(session=session, principal=Principal(user, phone.session_id), now=clock())
    service.logout(session=session, principal=Principal(user, None), now=clock())
    assert auth_session(session, phone.session_id).revoked_at == clock() - timedelta(minutes=1)
    assert auth_session(session, laptop.session_id).revoked_at is None


def test_list_sessions_marks_the_current_one_and_hides_ended_ones(factory, session, clock):
    user = factory.user()
    first = factory.actor(user)
    clock.advance(minutes=1)
    second = factory.actor(user)
    clock.advance(minutes=1)
    ended = factory.actor(user)
    factory.actor()  # someone else's
    service.logout(session=session, principal=Principal(user, ended.session_id), now=clock())
    page = service.list_sessions(
        session=session, principal=Principal(user, first.session_id), limit=10, cursor=None
    )
    assert [(s.id, s.current) for s in page.items] == [
        (second.session_id, False),
        (first.session_id, True),
    ]
    assert page.next_cursor is None


def test_end_session_signs_out_one_device(factory, session, clock):
    user = factory.user()
    here, there = factory.actor(user), factory.actor(user)
    service.end_session(
        session=session,
        principal=Principal(user, here.session_id),
        session_id=there.session_id,
        now=clock(),
    )
    assert auth_session(session, there.session_id).revoked_at == clock()
    # Ended already: not found, like a session that never existed.
    for missing in (there.session_id, uuid.uuid4()):
        with pytest.raises(NotFound):
            service.end_session(
                session=session,
                principal=Principal(user, here.session_id),
                session_id=missing,
                now=clock(),
            )


def test_another_users_session_is_not_found_and_stays_open(factory, session, clock):
    me, them = factory.partner(), factory.partner()
    with pytest.raises(NotFound):
        service.end_session(
            session=session,
            principal=Principal(me.user, me.session_id),
            session_id=them.session_id,
            now=clock(),
        )
    session.rollback()
    assert auth_session(session, them.session_id).revoked_at is None


# --- authenticate -----------------------------------------------------------------------------


def test_authenticate_resolves_the_user_and_session(factory, session, clock):
    actor = factory.partner()
    principal = authenticate(session, clock, actor.access_token)
    assert (principal.user.id, principal.session_id) == (actor.user.id, actor.session_id)


def test_a_revoked_session_is_refused_at_once(factory, session, clock):
    actor = factory.partner()
    service.logout(session=session, principal=Principal(actor.user, actor.session_id), now=clock())
    with pytest.raises(Unauthorized) as refused:
        authenticate(session, clock, actor.access_token)
    assert refused.value.reason == "session_revoked"


def test_an_expired_access_token_is_refused_by_the_injected_clock(factory, session, clock):
    actor = factory.partner()
    clock.advance(seconds=899)
    authenticate(session, clock, actor.access_token)
    clock.advance(seconds=1)
    with pytest.raises(Unauthorized) as expired:
        authenticate(session, clock, actor.access_token)
    assert expired.value.reason == "token_expired"


def test_authenticating_reads_and_never_writes_last_used(factory, session, clock):
    actor = factory.partner()
    opened_at = clock()
    clock.advance(minutes=10)
    principal = authenticate(session, clock, actor.mint())
    assert principal.last_used_at == opened_at
    assert auth_session(session, actor.session_id).last_used_at == opened_at


def test_last_used_is_touched_at_most_every_resolution(factory, session, clock):
    actor = factory.partner()
    opened_at = clock()

    def touch():
        service.touch_session(session=session, session_id=actor.session_id, now=clock())

    clock.advance(seconds=LAST_USED_RESOLUTION.total_seconds())
    touch()
    assert auth_session(session, actor.session_id).last_used_at == opened_at
    clock.advance(seconds=1)
    touch()
    touched = clock()
    assert auth_session(session, actor.session_id).last_used_at == touched
    clock.advance(seconds=30)
    touch()
    assert auth_session(session, actor.session_id).last_used_at == touched


def test_a_deleted_account_cannot_authenticate(factory, session, clock):
    actor = factory.partner()
    service.erase_for_user(session=session, user=actor.user)
    accounts_service.delete_user(session=session, user=actor.user)
    session.commit()
    with pytest.raises(Unauthorized) as refused:
        authenticate(session, clock, actor.access_token)
    assert refused.value.reason == "session_revoked"


# --- export and erasure -----------------------------------------------------------------------


def test_export_sessions_holds_ended_ones_oldest_first(factory, session, clock):
    user = factory.user()
    first = factory.actor(user)
    clock.advance(hours=1)
    second = factory.actor(user)
    factory.actor()  # someone else's
    service.logout(session=session, principal=Principal(user, first.session_id), now=clock())
    exported = service.export_sessions(session=session, user=user)
    assert [s.id for s in exported] == [first.session_id, second.session_id]
    assert [s.revoked_at for s in exported] == [clock(), None]


def test_erase_for_user_removes_sessions_and_refresh_tokens(factory, session, clock):
    gone, stays = factory.partner(), factory.partner()
    refresh(session, clock, gone.refresh_token)  # a second refresh token on the session
    service.erase_for_user(session=session, user=gone.user)
    session.rollback()  # no commit of its own: erasure is one transaction
    assert len(service.export_sessions(session=session, user=gone.user)) == 1
    service.erase_for_user(session=session, user=gone.user)
    session.commit()
    assert service.export_sessions(session=session, user=gone.user) == []
    remaining = session.scalars(select(RefreshToken.session_id)).all()
    assert remaining == [stays.session_id]
