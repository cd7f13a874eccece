"""Fixtures: the app on a fresh schema, an injected clock, and users to act as.

Set TEST_DATABASE_URL to run against PostgreSQL; by default a SQLite file in a temp dir.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event, text

from api import create_app
from api.db import get_engine, make_session_factory
from api.models import Base
from api.pairing import service as pairing_service
from tests.contract import ContractCheckingClient
from tests.factories import Factory, pair

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class FakeClock:
    """A clock the tests move by hand; services read it through `now()`."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta) -> datetime:
        self.current = self.current + timedelta(**delta)
        return self.current

    def set(self, instant: datetime) -> None:
        self.current = instant


@pytest.fixture(autouse=True, scope="session")
def responses_dump_as_marshmallow_does():
    """Every response the suite builds is also dumped by marshmallow's own code, and the two
    must agree: the quicker serialisation in ResponseSchema changes nothing a client sees."""
    import marshmallow as ma

    from schemas.common import ResponseSchema

    quick = ResponseSchema._serialize

    def checked(self, obj, *, many=False):
        dumped = quick(self, obj, many=many)
        assert dumped == ma.Schema._serialize(self, obj, many=many), type(self).__name__
        return dumped

    ResponseSchema._serialize = checked
    yield
    ResponseSchema._serialize = quick


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig(os.path.join(ROOT, "alembic.ini"))
    cfg.set_main_option("script_location", os.path.join(ROOT, "migrations"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


def reset_database(url: str) -> None:
    engine = get_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    command.upgrade(alembic_config(url), "head")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'steady-test.db'}"
    reset_database(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url):
    return get_engine(database_url)


def empty_tables(engine) -> None:
    """Deletes every row a test may have written; the migrated prompt library stays."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name == "prompts":
                # The library is loaded by a migration, once per test database.
                conn.execute(table.delete().where(table.c.source != "library"))
            elif table.name == "prompt_translations":
                continue  # the library's own, loaded with it
            else:
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Empties every table after a test that touched the database (pure tests skip it)."""
    engine = request.getfixturevalue("engine") if "database_url" in request.fixturenames else None
    yield
    if engine is not None:
        empty_tables(engine)


@pytest.fixture
def statements(engine):
    """The SQL statements sent through the test engine while the test runs."""
    seen: list[str] = []

    def _record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _record)
    yield seen
    event.remove(engine, "before_cursor_execute", _record)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))


@pytest.fixture
def app_config(database_url, clock) -> dict:
    return {
        "STEADY_ENV": "test",
        "DATABASE_URL": database_url,
        "CLOCK": clock,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    }


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    # Every answer a test sees is checked against openapi.yaml (tests/contract.py).
    app.test_client_class = ContractCheckingClient
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(database_url):
    # Deferred transactions: the tests' own reads must not hold SQLite's write lock while the
    # app serves a request.
    s = make_session_factory(get_engine(database_url, sqlite_immediate=False))()
    yield s
    s.close()


@pytest.fixture
def factory(app, session, clock) -> Factory:
    return Factory(app=app, session=session, clock=clock)


@pytest.fixture
def session_factory(database_url):
    """Sessions as the worker opens them (its jobs take a factory, not a session)."""
    return make_session_factory(get_engine(database_url))


@pytest.fixture
def couple(factory):
    """Two partners paired through the real invite flow: (first, second, couple_id)."""
    return pair(factory)


@pytest.fixture
def paired(factory, session):
    """Two paired partners and their couple's row, for service tests: (first, second, couple)."""
    first, second, _ = pair(factory)
    return first, second, pairing_service.active_couple(session=session, user=first.user)


def pytest_collection_modifyitems(config, items):
    if (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
