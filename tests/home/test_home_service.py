"""The home through its service, and the small reads it composes, with an injected clock.

The clock starts on Monday 2026-11-23 at 12:00Z (13:00 in Paris, the partners' zone).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from api.agreements import service as agreements_service
from api.commitments import service as commitments_service
from api.home import service
from api.i18n import Verbatim
from api.notifications import service as notifications_service


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def promise(session, couple, actor, clock, **kwargs):
    values = {"title": "Call", "due_time": time(18, 0)}
    values.update(kwargs)
    return commitments_service.create_commitment(
        session=session, couple=couple, user=actor.user, now=clock(), **values
    )


def keep(session, couple, actor, clock, view, day, status="kept"):
    return commitments_service.record_check(
        session=session,
        couple=couple,
        user=actor.user,
        commitment_id=view.id,
        date=day,
        status=status,
        now=clock(),
    )


def notify(session, user, clock) -> None:
    notifications_service.enqueue(
        session=session,
        recipient_id=user.id,
        kind="prompt",
        title=Verbatim("Time to check in"),
        body=Verbatim("How connected do you feel?"),
        now=clock(),
    )
    session.commit()


def test_an_unpaired_home_holds_until_a_write(session, factory, clock):
    solo = factory.partner()
    notify(session, solo.user, clock)
    home = service.home(session=session, user=solo.user, couple=None, now=clock())
    assert (home.couple, home.rounds_awaiting_me, home.open_reassurance_request) == (None, [], None)
    assert home.counts.unread_notifications == 1
    assert home.fresh_until is None


def test_the_home_holds_until_the_first_change_time_alone_makes(session, paired, clock):
    first, _, couple = paired
    promise(session, couple, first, clock, due_time=time(18, 0))  # 17:00Z
    agreements_service.create_agreement(
        session=session, couple=couple, user=first.user, time=time(14, 0), now=clock()
    )  # due 13:00Z, its window ends 13:15Z
    home = service.home(session=session, user=first.user, couple=couple, now=clock())
    assert home.fresh_until == utc(2026, 11, 23, 13, 0)
    later = service.home(
        session=session, user=first.user, couple=couple, now=utc(2026, 11, 23, 17, 30)
    )
    # Nothing else falls due today: the day ends in Paris.
    assert later.fresh_until == utc(2026, 11, 23, 23, 0)


def test_checks_to_confirm_are_recent_kept_and_shown(session, paired, clock):
    first, second, couple = paired
    clock.set(utc(2026, 11, 1, 6, 0))
    walk = promise(session, couple, second, clock, title="Walk", due_time=time(8, 0))
    gone = promise(session, couple, second, clock, title="Gone", due_time=time(8, 0))
    mine = promise(session, couple, first, clock, title="Mine", due_time=time(8, 0))
    clock.set(utc(2026, 11, 23, 12, 0))
    old = keep(session, couple, second, clock, walk, date(2026, 11, 9))  # 15 days ago
    oldest_shown = keep(session, couple, second, clock, walk, date(2026, 11, 10))
    missed = keep(session, couple, second, clock, walk, date(2026, 11, 20), status="missed")
    latest = keep(session, couple, second, clock, walk, date(2026, 11, 23))
    keep(session, couple, second, clock, gone, date(2026, 11, 22))
    commitments_service.delete_commitment(
        session=session, couple=couple, user=second.user, commitment_id=gone.id, now=clock()
    )
    keep(session, couple, first, clock, mine, date(2026, 11, 22))  # first's own
    listed = commitments_service.checks_to_confirm(
        session=session, couple=couple, user=first.user, now=clock(), limit=20
    )
    assert [(c.commitment.title, c.check.id) for c in listed] == [
        ("Walk", latest.id),
        ("Walk", oldest_shown.id),
    ]
    assert {old.id, missed.id}.isdisjoint(c.check.id for c in listed)
    assert (
        commitments_service.count_checks_to_confirm(
            session=session, couple=couple, user=first.user, now=clock()
        )
        == 2
    )
    commitments_service.confirm_check(
        session=session,
        couple=couple,
        user=first.user,
        commitment_id=walk.id,
        check_id=latest.id,
        now=clock(),
    )
    assert [
        c.check.id
        for c in commitments_service.checks_to_confirm(
            session=session, couple=couple, user=first.user, now=clock(), limit=20
        )
    ] == [oldest_shown.id]


def test_due_today_is_the_users_own_in_each_zone(session, paired, clock):
    first, second, couple = paired
    paris = promise(session, couple, first, clock, title="Paris", due_time=time(18, 0))
    auckland = promise(
        session,
        couple,
        first,
        clock,
        title="Auckland",
        due_time=time(9, 0),
        timezone="Pacific/Auckland",
    )
    promise(session, couple, first, clock, title="Tuesdays", days=["tue"])
    promise(session, couple, second, clock, title="Theirs")
    checked = keep(session, couple, first, clock, paris, date(2026, 11, 23))
    today = commitments_service.due_today(
        session=session, couple=couple, user=first.user, now=clock()
    )
    assert [(t.commitment.id, t.date, t.due_at, t.check) for t in today.items] == [
        (paris.id, date(2026, 11, 23), utc(2026, 11, 23, 17, 0), checked),
        (auckland.id, date(2026, 11, 24), utc(2026, 11, 23, 20, 0), None),
    ]
    # The first change time alone makes: the Paris promise falls due.
    assert today.fresh_until == utc(2026, 11, 23, 17, 0)


def test_the_inbox_state_moves_with_arrivals_reads_and_read_all(session, factory, clock):
    actor = factory.partner()
    state = notifications_service.inbox_state(session=session, user_id=actor.user.id)
    assert state == (0, None)
    notify(session, actor.user, clock)
    clock.advance(minutes=1)
    notify(session, actor.user, clock)
    assert notifications_service.inbox_state(session=session, user_id=actor.user.id) == (
        2,
        clock(),
    )
    marked = notifications_service.mark_all_read(session=session, user=actor.user, now=clock())
    assert marked == 2
    assert notifications_service.inbox_state(session=session, user_id=actor.user.id) == (0, None)
    assert notifications_service.mark_all_read(session=session, user=actor.user, now=clock()) == 0
