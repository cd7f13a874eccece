"""The idempotency service called directly: key validation, claiming a key, replaying the stored
answer, abandoned claims, retention and erasure. (test_idempotency.py covers the request hooks.)"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.errors import Conflict, Unprocessable
from api.idempotency import service
from api.idempotency.models import IdempotencyRecord
from api.idempotency.service import IN_FLIGHT_TIMEOUT, RETENTION, StoredResponse

BODY = b'{"text": "Thank you for today"}'
PATH = "/v1/couple/gratitude"


def begin(session, user, clock, key="k-1", body=BODY, path=PATH, method="POST"):
    return service.begin(
        session=session,
        user_id=user.id,
        key=key,
        method=method,
        path=path,
        digest=service.request_hash(body),
        now=clock(),
    )


def finish(session, record_id, status=201, body='{"id": "n1"}'):
    service.finish(
        session=session,
        record_id=record_id,
        status=status,
        body=body,
        headers={"Content-Type": "application/json", "Location": "/v1/couple/gratitude/n1"},
    )


def records(session):
    session.commit()
    session.expire_all()
    return list(session.scalars(select(IdempotencyRecord).order_by(IdempotencyRecord.created_at)))


# --- keys and request identity ----------------------------------------------------------------


@pytest.mark.parametrize("key", ["a", "x" * 255, "!~", "order-42_retry.1"])
def test_valid_keys(key):
    service.validate_key(key)


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "tab\there", "é", "line\n"])
def test_invalid_keys(key):
    with pytest.raises(Unprocessable) as refused:
        service.validate_key(key)
    assert refused.value.reason == "idempotency_key_invalid"
    assert "Idempotency-Key" in refused.value.errors["headers"]


def test_json_equal_bodies_hash_alike_and_others_do_not():
    same = service.request_hash(b'{"b": 1, "a": [1, 2]}')
    assert service.request_hash(b'{"a":[1,2],"b":1}') == same
    assert service.request_hash(b'{"a": [2, 1], "b": 1}') != same
    # Not JSON: the raw bytes are hashed, still deterministically.
    assert service.request_hash(b"\xff not json") == service.request_hash(b"\xff not json")
    assert service.request_hash(b"\xff not json") != service.request_hash(b"\xff not json!")


# --- begin and finish -------------------------------------------------------------------------


def test_a_new_key_is_claimed_for_a_while(factory, session, clock):
    user = factory.user()
    record_id = begin(session, user, clock)
    assert isinstance(record_id, uuid.UUID)
    [record] = records(session)
    assert (record.id, record.user_id, record.key, record.method, record.path) == (
        record_id,
        user.id,
        "k-1",
        "POST",
        PATH,
    )
    assert record.locked_until == clock() + IN_FLIGHT_TIMEOUT
    assert record.expires_at == clock() + RETENTION
    assert record.response_status is None


def test_the_same_request_after_finish_gets_the_stored_answer(factory, session, clock):
    user = factory.user()
    record_id = begin(session, user, clock)
    finish(session, record_id)
    clock.advance(hours=23)
    replay = begin(session, user, clock, body=b'{"text":"Thank you for today"}')
    assert replay == StoredResponse(
        status=201,
        body='{"id": "n1"}',
        headers={"Content-Type": "application/json", "Location": "/v1/couple/gratitude/n1"},
    )
    assert records(session)[0].locked_until is None


def test_error_answers_are_replayed_too(factory, session, clock):
    user = factory.user()
    finish(session, begin(session, user, clock), status=409, body='{"reason": "x"}')
    assert begin(session, user, clock).status == 409


def test_another_request_under_the_same_key_is_refused(factory, session, clock):
    user = factory.user()
    finish(session, begin(session, user, clock))
    for changed in (
        {"body": b'{"text": "Other"}'},
        {"path": "/v1/couple/commitments"},
        {"method": "PUT"},
    ):
        with pytest.raises(Unprocessable) as refused:
            begin(session, user, clock, **changed)
        assert refused.value.reason == "idempotency_key_reused"


def test_keys_belong_to_one_user(factory, session, clock):
    me, other = factory.user(), factory.user()
    finish(session, begin(session, me, clock))
    assert isinstance(begin(session, other, clock), uuid.UUID)
    assert len(records(session)) == 2


def test_a_request_still_in_flight_is_a_conflict(factory, session, clock):
    user = factory.user()
    begin(session, user, clock)
    clock.advance(seconds=IN_FLIGHT_TIMEOUT.total_seconds() - 1)
    with pytest.raises(Conflict) as busy:
        begin(session, user, clock)
    assert busy.value.reason == "idempotency_key_in_use"


def test_an_abandoned_claim_is_taken_over_once_its_lock_runs_out(factory, session, clock):
    user = factory.user()
    first = begin(session, user, clock)
    clock.advance(seconds=IN_FLIGHT_TIMEOUT.total_seconds())
    taken = begin(session, user, clock)
    assert taken == first  # the same record, claimed again
    [record] = records(session)
    assert record.locked_until == clock() + IN_FLIGHT_TIMEOUT
    # The new claim holds in turn.
    with pytest.raises(Conflict):
        begin(session, user, clock)


def test_a_key_past_its_retention_starts_afresh(factory, session, clock):
    user = factory.user()
    old = begin(session, user, clock)
    finish(session, old)
    clock.advance(hours=24)
    fresh = begin(session, user, clock, body=b'{"text": "Another day"}')
    assert isinstance(fresh, uuid.UUID) and fresh != old
    [record] = records(session)
    assert (record.id, record.response_status) == (fresh, None)


def test_release_frees_the_key_for_a_real_retry(factory, session, clock):
    user = factory.user()
    record_id = begin(session, user, clock)
    service.release(session=session, record_id=record_id)
    assert records(session) == []
    retry = begin(session, user, clock, body=b'{"text": "Different now"}')
    assert isinstance(retry, uuid.UUID) and retry != record_id


def test_a_long_path_is_stored_cut_and_still_matches(factory, session, clock):
    user = factory.user()
    long_path = "/v1/" + "p" * 400
    finish(session, begin(session, user, clock, path=long_path))
    assert records(session)[0].path == long_path[:300]
    assert isinstance(begin(session, user, clock, path=long_path), StoredResponse)


# --- retention and erasure --------------------------------------------------------------------


def test_purge_expired_deletes_in_batches_and_keeps_live_keys(factory, session, clock):
    user = factory.user()
    for key in ("a", "b", "c"):
        begin(session, user, clock, key=key)
    clock.advance(hours=1)
    begin(session, user, clock, key="young")
    later = clock() + RETENTION - timedelta(hours=1)  # the first three have just expired
    assert service.purge_expired(session=session, now=later, limit=2) == 2
    assert service.purge_expired(session=session, now=later, limit=2) == 1
    assert service.purge_expired(session=session, now=later) == 0
    assert [r.key for r in records(session)] == ["young"]


def test_erase_for_user_removes_only_their_records(factory, session, clock):
    gone, stays = factory.user(), factory.user()
    begin(session, gone, clock, key="a")
    begin(session, gone, clock, key="b")
    begin(session, stays, clock, key="a")
    service.erase_for_user(session=session, user_id=gone.id)
    session.rollback()  # no commit of its own
    assert len(records(session)) == 3
    service.erase_for_user(session=session, user_id=gone.id)
    session.commit()
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
    assert records(session)[0].user_id == stays.id
