from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from api import flows
from api.accounts.models import User
from api.db import make_session_factory
from api.errors import DomainError
from api.pairing import service
from api.pairing.models import Couple, CoupleMember
from tests.factories import pair


def test_normalize_code():
    assert service.normalize_code(" abcd-efgh ") == "ABCDEFGH"
    assert service.normalize_code("ABCD EFGH") == "ABCDEFGH"
    assert service.normalize_code("ABCDEFG") is None  # too short
    assert service.normalize_code("ABCDEFG0") is None  # 0 is not in the alphabet
    assert service.normalize_code("ABCDEFGI") is None  # nor is I
    assert service.normalize_code("") is None


def test_the_database_refuses_a_user_in_two_active_couples(factory, session, clock):
    first, second, _ = pair(factory)
    third = factory.partner()
    couple = Couple(id=uuid.uuid4(), created_at=clock())
    session.add(couple)
    session.add(CoupleMember(couple_id=couple.id, user_id=first.user.id, slot=1, joined_at=clock()))
    session.add(CoupleMember(couple_id=couple.id, user_id=third.user.id, slot=2, joined_at=clock()))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_the_database_refuses_a_third_partner(factory, session, clock):
    first, second, couple_id = pair(factory)
    third = factory.partner()
    for slot in (2, 3):
        session.add(
            CoupleMember(couple_id=couple_id, user_id=third.user.id, slot=slot, joined_at=clock())
        )
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()


def test_an_ended_membership_does_not_block_a_new_couple(factory, session, clock):
    first, second, _ = pair(factory)
    flows.unpair(session=session, user=first.user, now=clock())
    _, _, new_couple = pair(factory, first=first)
    active = session.scalar(
        select(func.count())
        .select_from(CoupleMember)
        .where(CoupleMember.user_id == first.user.id, CoupleMember.active.is_(True))
    )
    assert active == 1 and new_couple is not None


# --- concurrency (PostgreSQL: SQLite serialises writers, so races cannot happen there) ---------


def _race(engine, calls):
    """Runs each call on its own thread and session, all released at once."""
    factory = make_session_factory(engine)
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        s = factory()
        try:
            barrier.wait()
            results[i] = call(s)
        except DomainError as exc:
            results[i] = exc.reason
        except Exception as exc:  # surfaced by the assertions below
            results[i] = exc
        finally:
            s.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _accept(user_id, code, now):
    def call(s):
        view = service.accept_invite(session=s, user=s.get(User, user_id), code=code, now=now)
        return view.id

    return call


def _active_memberships(session, user_id) -> int:
    session.commit()
    return session.scalar(
        select(func.count())
        .select_from(CoupleMember)
        .where(CoupleMember.user_id == user_id, CoupleMember.active.is_(True))
    )


@pytest.mark.postgres
def test_concurrent_accepts_of_one_invite_make_one_couple(factory, session, engine, clock):
    for _ in range(5):
        inviter = factory.user()
        takers = [factory.user() for _ in range(6)]
        code = service.create_invite(session=session, user=inviter, now=clock()).code
        session.commit()
        results = _race(engine, [_accept(t.id, code, clock()) for t in takers])
        winners = [r for r in results if isinstance(r, uuid.UUID)]
        assert len(winners) == 1, results
        assert all(r == "invite_used" for r in results if not isinstance(r, uuid.UUID)), results
        assert _active_memberships(session, inviter.id) == 1
        members = session.scalar(
            select(func.count())
            .select_from(CoupleMember)
            .where(CoupleMember.couple_id == winners[0])
        )
        assert members == 2


@pytest.mark.postgres
def test_concurrent_accepts_of_two_invites_by_one_inviter(factory, session, engine, clock):
    for _ in range(5):
        inviter = factory.user()
        b, c = factory.user(), factory.user()
        code_b = service.create_invite(session=session, user=inviter, now=clock()).code
        code_c = service.create_invite(session=session, user=inviter, now=clock()).code
        session.commit()
        results = _race(engine, [_accept(b.id, code_b, clock()), _accept(c.id, code_c, clock())])
        winners = [r for r in results if isinstance(r, uuid.UUID)]
        assert len(winners) == 1, results
        # The loser's invite was revoked by the winning pairing.
        assert [r for r in results if not isinstance(r, uuid.UUID)] == ["invite_not_found"]
        assert _active_memberships(session, inviter.id) == 1


@pytest.mark.postgres
def test_crossing_accepts_never_pair_a_user_twice(factory, session, engine, clock):
    # A accepts B's invite while B accepts A's: one couple, neither in two.
    for _ in range(5):
        a, b = factory.user(), factory.user()
        code_a = service.create_invite(session=session, user=a, now=clock()).code
        code_b = service.create_invite(session=session, user=b, now=clock()).code
        session.commit()
        results = _race(engine, [_accept(a.id, code_b, clock()), _accept(b.id, code_a, clock())])
        winners = [r for r in results if isinstance(r, uuid.UUID)]
        assert len(winners) == 1, results
        assert _active_memberships(session, a.id) == 1
        assert _active_memberships(session, b.id) == 1
