"""The idempotency service called directly: key validation, claiming a key, storing and
replaying the answer, keys held by another request, retention and erasure.
(test_idempotency.py covers the request hooks.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.errors import Conflict, Unprocessable
from api.idempotency import service
from api.idempotency.models import IdempotencyRecord
from api.idempotency.service import RETENTION, StoredResponse

BODY = b'{"text": "Thank you for today"}'
PATH = "/v1/couple/gratitude"


HEADERS = {"Content-Type": "application/json", "Location": "/v1/couple/gratitude/n1"}


def claim(session, user, clock, key="k-1", body=BODY, path=PATH, method="POST"):
    return service.claim(
        session=session,
        user_id=user.id,
        key=key,
        method=method,
        path=path,
        digest=service.request_hash(body),
        now=clock(),
    )


def store(session, claimed, status=201, body='{"id": "n1"}'):
    """What the request does once it has its answer: stores it and commits, with its work."""
    assert isinstance(claimed, service.Claim)
    service.store(session=session, claim=claimed, status=status, body=body, headers=HEADERS)
    session.commit()


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


# --- claiming a key and storing its answer ---------------------------------------------------


def test_a_key_is_held_by_the_request_and_stored_with_its_answer(factory, session, clock):
    user = factory.user()
    claimed = claim(session, user, clock)
    assert claimed == service.Claim(
        user_id=user.id,
        key="k-1",
        method="POST",
        path=PATH,
        digest=service.request_hash(BODY),
        now=clock(),
    )
    # Nothing is written until the answer is: the key is the request's transaction's.
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
    store(session, claimed)
    [record] = records(session)
    assert (record.user_id, record.key, record.method, record.path, record.response_status) == (
        user.id,
        "k-1",
        "POST",
        PATH,
        201,
    )
    assert record.expires_at == clock() + RETENTION
    assert record.response_headers == HEADERS


def test_the_same_request_later_gets_the_stored_answer(factory, session, clock):
    user = factory.user()
    store(session, claim(session, user, clock))
    clock.advance(hours=23)
    replay = claim(session, user, clock, body=b'{"text":"Thank you for today"}')
    assert replay == StoredResponse(status=201, body='{"id": "n1"}', headers=HEADERS)


def test_error_answers_are_replayed_too(factory, session, clock):
    user = factory.user()
    store(session, claim(session, user, clock), status=409, body='{"reason": "x"}')
    assert claim(session, user, clock).status == 409


def test_another_request_under_the_same_key_is_refused(factory, session, clock):
    user = factory.user()
    store(session, claim(session, user, clock))
    for changed in (
        {"body": b'{"text": "Other"}'},
        {"path": "/v1/couple/commitments"},
        {"method": "PUT"},
    ):
        with pytest.raises(Unprocessable) as refused:
            claim(session, user, clock, **changed)
        assert refused.value.reason == "idempotency_key_reused"


def test_keys_belong_to_one_user(factory, session, clock):
    me, other = factory.user(), factory.user()
    store(session, claim(session, me, clock))
    store(session, claim(session, other, clock))
    assert len(records(session)) == 2


def test_a_rolled_back_request_leaves_the_key_free(factory, session, clock):
    user = factory.user()
    claim(session, user, clock)
    session.rollback()  # a 5xx or a crash: the work and the key go together
    retry = claim(session, user, clock, body=b'{"text": "Different now"}')
    assert isinstance(retry, service.Claim)


def test_a_key_past_its_retention_starts_afresh(factory, session, clock):
    user = factory.user()
    store(session, claim(session, user, clock))
    clock.advance(hours=24)
    fresh = claim(session, user, clock, body=b'{"text": "Another day"}')
    assert isinstance(fresh, service.Claim)
    store(session, fresh, body='{"id": "n2"}')
    [record] = records(session)
    assert (record.request_hash, record.response_body) == (
        service.request_hash(b'{"text": "Another day"}'),
        '{"id": "n2"}',
    )


def test_a_long_path_is_stored_cut_and_still_matches(factory, session, clock):
    user = factory.user()
    long_path = "/v1/" + "p" * 400
    store(session, claim(session, user, clock, path=long_path))
    assert records(session)[0].path == long_path[:300]
    assert isinstance(claim(session, user, clock, path=long_path), StoredResponse)


@pytest.mark.postgres
def test_a_key_held_by_another_request_is_in_use(factory, session, clock):
    from api.db import make_session_factory

    user = factory.user()
    session.commit()
    with make_session_factory(session.get_bind())() as other:
        assert isinstance(claim(other, user, clock), service.Claim)  # held, not yet answered
        with pytest.raises(Conflict) as busy:
            claim(session, user, clock)
        assert busy.value.reason == "idempotency_key_in_use"
        session.rollback()
        other.rollback()  # that request failed: its hold ends with its transaction
    assert isinstance(claim(session, user, clock), service.Claim)


# --- retention and erasure --------------------------------------------------------------------


def test_purge_expired_deletes_in_batches_and_keeps_live_keys(factory, session, clock):
    user = factory.user()
    for key in ("a", "b", "c"):
        store(session, claim(session, user, clock, key=key))
    clock.advance(hours=1)
    store(session, claim(session, user, clock, key="young"))
    later = clock() + RETENTION - timedelta(hours=1)  # the first three have just expired
    assert service.purge_expired(session=session, now=later, limit=2) == 2
    assert service.purge_expired(session=session, now=later, limit=2) == 1
    assert service.purge_expired(session=session, now=later) == 0
    assert [r.key for r in records(session)] == ["young"]


def test_erase_for_user_removes_only_their_records(factory, session, clock):
    gone, stays = factory.user(), factory.user()
    store(session, claim(session, gone, clock, key="a"))
    store(session, claim(session, gone, clock, key="b"))
    store(session, claim(session, stays, clock, key="a"))
    service.erase_for_user(session=session, user_id=gone.id)
    session.rollback()  # no commit of its own
    assert len(records(session)) == 3
    service.erase_for_user(session=session, user_id=gone.id)
    session.commit()
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
    assert records(session)[0].user_id == stays.id
