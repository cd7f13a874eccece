"""Revision 0021 on a database that already has a couple and a schedule: the schedule keeps
asking both partners in its zone (`together`), and the library grows with stable ids, its
categories and its translations. Run on a SQLite file of its own, whatever the suite's database.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time

import sqlalchemy as sa
from alembic import command

from api.db import UTCDateTime, get_engine
from api.prompts.library import library
from tests.conftest import alembic_config

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)

# The tables as the revisions define them (reflection on SQLite would lose the types).
couples = sa.table("couples", sa.column("id", sa.Uuid()), sa.column("created_at", UTCDateTime()))
schedules = sa.table(
    "schedules",
    *(sa.column(name, sa.Uuid()) for name in ("id", "couple_id")),
    *(sa.column(name) for name in ("kind", "timezone", "active", "delivery")),
    sa.column("time", sa.Time()),
    sa.column("categories", sa.JSON()),
    *(sa.column(name, UTCDateTime()) for name in ("next_fire_at", "created_at", "updated_at")),
)
prompts = sa.table(
    "prompts",
    sa.column("id", sa.Uuid()),
    *(sa.column(name) for name in ("library_key", "source", "category", "text", "position")),
)
translations = sa.table(
    "prompt_translations",
    sa.column("prompt_id", sa.Uuid()),
    sa.column("locale"),
    sa.column("text"),
)


def test_existing_schedules_stay_together_and_the_library_is_loaded(tmp_path):
    url = f"sqlite:///{tmp_path / 'before.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0020")
    engine = get_engine(url)
    with engine.begin() as conn:
        before = dict(conn.execute(sa.select(prompts.c.library_key, prompts.c.id)).all())
        couple_id, schedule_id = uuid.uuid4(), uuid.uuid4()
        conn.execute(couples.insert().values(id=couple_id, created_at=NOW))
        conn.execute(
            sa.insert(schedules).values(
                id=schedule_id,
                couple_id=couple_id,
                kind="gratitude",
                time=time(20),
                timezone="Europe/Paris",
                active=True,
                next_fire_at=datetime(2026, 11, 23, 19, tzinfo=UTC),
                created_at=NOW,
                updated_at=NOW,
            )
        )
    assert len(before) == 81

    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        row = conn.execute(sa.select(schedules).where(schedules.c.id == schedule_id)).one()
        assert (row.delivery, row.categories) == ("together", None)
        loaded = {
            r.library_key: r
            for r in conn.execute(sa.select(prompts).where(prompts.c.source == "library"))
        }
        # The prompts already shipped keep their ids; every prompt has its category and text.
        assert {k: loaded[k].id for k in before} == before
        assert {k: (r.id, r.category, r.text) for k, r in loaded.items()} == {
            p.key: (p.id, p.category, p.text) for p in library()
        }
        assert [r.library_key for r in sorted(loaded.values(), key=lambda r: r.position)] == [
            p.key for p in library()
        ]
        texts = {(r.prompt_id, r.locale): r.text for r in conn.execute(sa.select(translations))}
        assert texts == {
            (p.id, tag): text for p in library() for tag, text in p.texts.items() if tag != "en"
        }

    # Down and up again: the schedule is still `together`, the library unchanged.
    command.downgrade(cfg, "0020")
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        delivery = conn.execute(
            sa.select(schedules.c.delivery).where(schedules.c.id == schedule_id)
        ).scalar_one()
        assert delivery == "together"
        count = conn.execute(sa.select(sa.func.count()).select_from(translations)).scalar_one()
        assert count == 4 * len(library())
    engine.dispose()
