"""The journal's use cases directly: weekly patterns (bucketing, feelings, a bounded number of
statements) and which shared entries a couple's therapist is shown."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, insert

from api import flows
from api.accounts.models import User
from api.db import make_session_factory
from api.journal import service
from api.journal.models import JournalEntry, JournalFeeling
from api.journal.service import Feeling

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # Monday, 13:00 in Paris


@pytest.fixture
def statements(engine):
    """The SQL statements sent through the test engine while the test runs."""
    seen: list[str] = []

    def _record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _record)
    yield seen
    event.remove(engine, "before_cursor_execute", _record)


def note(session, user, at, *feelings: tuple[str, int], shared=False, text="A page"):
    return service.create_entry(
        session=session,
        user=user,
        kind="note",
        text=text,
        feelings=[Feeling(name, intensity) for name, intensity in feelings],
        shared_with_therapist=shared,
        now=at,
    )


def record(session, user, at, before, after=(), shared=False):
    return service.create_entry(
        session=session,
        user=user,
        kind="thought_record",
        situation="They were late",
        thought="I don't matter",
        feelings=[Feeling(name, intensity) for name, intensity in before],
        feelings_after=[Feeling(name, intensity) for name, intensity in after],
        shared_with_therapist=shared,
        now=at,
    )


def patterns(session, user, weeks, now=NOW):
    return service.patterns(session=session, user=user, weeks=weeks, now=now)


# --- weeks --------------------------------------------------------------------------------------


def test_weeks_start_at_local_midnight_on_monday(session, factory):
    me = factory.user(timezone="Europe/Paris")
    # Monday 2026-11-16 starts at 2026-11-15 23:00Z in Paris (UTC+1).
    note(session, me, datetime(2026, 11, 8, 22, 59, tzinfo=UTC))  # before the first week
    note(session, me, datetime(2026, 11, 8, 23, 0, tzinfo=UTC))  # Monday 00:00, week 1
    note(session, me, datetime(2026, 11, 15, 22, 59, tzinfo=UTC))  # Sunday 23:59, week 1
    record(session, me, datetime(2026, 11, 15, 23, 0, tzinfo=UTC), [("sad", 40)])  # week 2
    note(session, me, NOW)  # this week
    result = patterns(session, me, 3)
    assert result["timezone"] == "Europe/Paris"
    assert [(w["week_start"], w["entries"], w["thought_records"]) for w in result["weeks"]] == [
        (date(2026, 11, 9), 2, 0),
        (date(2026, 11, 16), 1, 1),
        (date(2026, 11, 23), 1, 0),
    ]


def test_a_week_across_daylight_saving_is_bucketed_by_local_time(session, factory):
    me = factory.user(timezone="Europe/Paris")
    monday = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # Paris moved to UTC+2 on the 29th
    # Monday 2026-03-30 00:00 in Paris is 2026-03-29 22:00Z; a fixed +1 h would say 23:00Z.
    note(session, me, datetime(2026, 3, 29, 21, 59, tzinfo=UTC))  # Sunday 23:59
    note(session, me, datetime(2026, 3, 29, 22, 30, tzinfo=UTC))  # Monday 00:30
    result = patterns(session, me, 2, now=monday)
    assert [(w["week_start"], w["entries"]) for w in result["weeks"]] == [
        (date(2026, 3, 23), 1),
        (date(2026, 3, 30), 1),
    ]


def test_weeks_follow_the_authors_zone(session, factory):
    me = factory.user(timezone="America/Los_Angeles")
    # Monday 2026-11-23 00:00 in Los Angeles is 08:00Z; 07:30Z is still Sunday there.
    note(session, me, datetime(2026, 11, 23, 7, 30, tzinfo=UTC))
    result = patterns(session, me, 2)
    assert [w["entries"] for w in result["weeks"]] == [1, 0]
    assert result["timezone"] == "America/Los_Angeles"


# --- feelings -----------------------------------------------------------------------------------


def test_top_feelings_with_their_intensity_before_and_after(session, factory):
    me = factory.user()
    at = NOW - timedelta(hours=1)
    # Re-rated in the same entry: counts towards the mean after.
    record(session, me, at, [("Anxious", 80), ("lonely", 50)], [("anxious", 40)])
    # Named, not re-rated: in the mean before only.
    record(session, me, at, [("anxious", 60)])
    # Re-rated without being named before: not a re-rating of anything.
    record(session, me, at, [("sad", 50)], [("ANXIOUS", 10), ("relieved", 70)])
    note(session, me, at, ("ANXIOUS", 71))
    [week] = patterns(session, me, 1)["weeks"]
    assert week["entries"] == 4 and week["thought_records"] == 3
    assert week["feelings"] == [
        # Names compared ignoring case and reported lower-cased; a mean keeps one decimal.
        {"name": "anxious", "count": 3, "mean_intensity": 70.3, "mean_intensity_after": 40.0},
        {"name": "lonely", "count": 1, "mean_intensity": 50.0, "mean_intensity_after": None},
        {"name": "sad", "count": 1, "mean_intensity": 50.0, "mean_intensity_after": None},
    ]


def test_five_feelings_a_week_most_named_first(session, factory):
    me = factory.user()
    at = NOW - timedelta(hours=1)
    counts = {"worried": 3, "hurt": 2, "calm": 2, "angry": 1, "tired": 1, "hopeful": 1}
    for name, count in counts.items():
        for _ in range(count):
            note(session, me, at, (name, 50))
    [week] = patterns(session, me, 1)["weeks"]
    # Ties in alphabetical order, so the list is stable.
    assert [(f["name"], f["count"]) for f in week["feelings"]] == [
        ("worried", 3),
        ("calm", 2),
        ("hurt", 2),
        ("angry", 1),
        ("hopeful", 1),
    ]


def test_only_the_authors_entries_count(session, factory):
    me, other = factory.user(), factory.user()
    note(session, other, NOW, ("sad", 90))
    [week] = patterns(session, me, 1)["weeks"]
    assert week == {
        "week_start": date(2026, 11, 23),
        "entries": 0,
        "thought_records": 0,
        "feelings": [],
    }


def fill(session, user_id, count: int) -> None:
    """Bulk-writes `count` thought records over the past year, three feelings before and two
    after each."""
    entries, feelings = [], []
    step = timedelta(days=365) / count
    for i in range(count):
        entry_id = uuid.uuid4()
        at = NOW - step * i
        entries.append(
            {
                "id": entry_id,
                "author_id": user_id,
                "kind": "thought_record",
                "situation": "s",
                "thought": "t",
                "shared_with_therapist": False,
                "created_at": at,
                "updated_at": at,
            }
        )
        for position, (name, after) in enumerate(
            [
                ("anxious", False),
                ("sad", False),
                (f"f{i % 7}", False),
                ("anxious", True),
                ("sad", True),
            ]
        ):
            feelings.append(
                {
                    "id": uuid.uuid4(),
                    "entry_id": entry_id,
                    "after": after,
                    "position": position,
                    "name": name,
                    "name_key": name,
                    "intensity": 30 if after else 70,
                }
            )
    session.execute(insert(JournalEntry), entries)
    session.execute(insert(JournalFeeling), feelings)
    session.commit()


def test_the_number_of_statements_does_not_grow_with_the_journal(
    factory, session, engine, statements
):
    small, large = factory.user(), factory.user()
    fill(session, small.id, 3)
    fill(session, large.id, 300)

    def run(user):
        with make_session_factory(engine)() as s:
            author = s.get(User, user.id)
            statements.clear()
            result = service.patterns(session=s, user=author, weeks=52, now=NOW)
        return len([sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]), result

    small_count, _ = run(small)
    large_count, result = run(large)
    assert small_count == large_count == 2  # entries per week; feelings per week
    assert sum(w["entries"] for w in result["weeks"]) == sum(
        w["thought_records"] for w in result["weeks"]
    )
    assert sum(w["entries"] for w in result["weeks"]) >= 290  # a year less this week's rest
    busy = max(result["weeks"], key=lambda w: w["entries"])
    assert busy["feelings"][0]["mean_intensity_after"] == 30.0


# --- the therapist's view -----------------------------------------------------------------------


def test_shared_entries_are_the_current_members_only(session, factory, paired):
    first, second, couple = paired
    stranger = factory.user()
    record(session, first.user, NOW, [("sad", 10)], shared=True)
    note(session, second.user, NOW, shared=True)
    note(session, second.user, NOW, shared=False)
    note(session, stranger, NOW, shared=True)

    def authors(**kwargs):
        page = service.shared_entries(
            session=session, couple_id=couple.id, limit=20, cursor=None, **kwargs
        )
        return sorted(str(e.author_id) for e in page.items)

    assert authors() == sorted([first.id, second.id])
    # Asking for someone outside the couple finds nothing of theirs.
    assert authors(member_ids=[first.user.id, stranger.id]) == [first.id]
    flows.unpair(session=session, user=first.user, now=NOW)
    assert authors() == []
    assert authors(member_ids=[first.user.id, second.user.id]) == []


def test_erasure_leaves_no_row_behind(session, factory):
    me, other = factory.user(), factory.user()
    record(session, me, NOW, [("sad", 10)], [("sad", 5)], shared=True)
    kept = note(session, other, NOW, ("calm", 50))
    flows.erase_account(session=session, user=me, now=NOW)
    assert [e.id for e in service.export_for_user(session=session, user=other)] == [kept.id]
    assert session.query(JournalFeeling).count() == 1
