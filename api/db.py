"""Engine, sessions and the declarative base every model uses."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

from flask import current_app, g, has_request_context, request
from sqlalchemy import DateTime, MetaData, Uuid, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants in UTC and always returns them timezone-aware.

    SQLite keeps no zone, so values go in as naive UTC and come back re-tagged; PostgreSQL
    uses timestamptz and the value is normalised to UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass a UTC-aware one")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


def utcnow() -> datetime:
    return datetime.now(UTC)


# SQLite: how a transaction begins. IMMEDIATE takes the write lock up front: a deferred
# transaction that read first fails at once ("database is locked") when it tries to write after
# another writer committed, while an immediate one waits its turn (busy_timeout) — so anything
# that may write begins IMMEDIATE. Reads begin DEFERRED, so they never queue behind a writer
# (WAL lets readers and the one writer run together).
SQLITE_BEGIN = "sqlite_begin"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT semantics;
        # turning it off and emitting BEGIN ourselves gives real transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def get_engine(url: str, echo: bool = False, *, sqlite_immediate: bool = True) -> Engine:
    """One engine (and pool) per database URL per process; `sqlite_immediate=False` gives the
    same pool with transactions that begin deferred (for sessions that only read)."""
    engine = _engine(url, echo)
    return engine if sqlite_immediate else reading(engine)


def reading(engine: Engine) -> Engine:
    """The engine for read-only work: on SQLite its transactions begin DEFERRED."""
    return engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})


@lru_cache(maxsize=8)
def _engine(url: str, echo: bool) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 5}
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


# Set in a session's `info` while a request keeps all its work in one transaction (an
# idempotent create): the use case's commit then only flushes, and the request commits once it
# has stored its answer beside the work.
HOLD_COMMIT = "steady_hold_commit"


class RequestSession(Session):
    def commit(self) -> None:
        if self.info.get(HOLD_COMMIT):
            self.flush()
            return
        super().commit()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, class_=RequestSession)


def init_app(app) -> None:
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = get_engine(url, app.config.get("SQL_ECHO", False))
    app.extensions["steady_db"] = make_session_factory(engine)
    app.extensions["steady_db_read"] = make_session_factory(reading(engine))

    @app.teardown_appcontext
    def _close_sessions(_exc):
        for name in ("db_session", "db_write_session"):
            session = g.pop(name, None)
            if session is not None:
                session.close()


def session_factory() -> sessionmaker[Session]:
    return current_app.extensions["steady_db"]


_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def db_session() -> Session:
    """The request's session, opened on first use and closed at teardown. A GET reads: on
    SQLite its transaction begins deferred and never waits for the write lock."""
    if "db_session" not in g:
        reads = has_request_context() and request.method in _READS
        g.db_session = current_app.extensions["steady_db_read" if reads else "steady_db"]()
    return g.db_session


def write_session() -> Session:
    """The session for a write that even a read request must make (a therapist's read writes
    the access log): the request's own session when the request writes anyway, else a second
    one that takes SQLite's write lock only for that short write."""
    if not (has_request_context() and request.method in _READS):
        return db_session()
    if "db_write_session" not in g:
        g.db_write_session = session_factory()()
    return g.db_write_session


Clock = Callable[[], datetime]


def now() -> datetime:
    """The current instant from the app's clock (tests replace `CLOCK`)."""
    clock: Clock = current_app.config.get("CLOCK") or utcnow
    return clock()


def skip_locked(stmt, session: Session):
    """Lets concurrent workers pass over rows another one holds (PostgreSQL). SQLite has one
    writer at a time; there the compare-and-set that follows every claim is the guard."""
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt


def insert_ignoring_conflicts(
    session: Session, model, values: dict, *, conflict_on: list[str], returning: bool = True
):
    """INSERT ... ON CONFLICT DO NOTHING on either database; returns the new id, or None when
    the row existed (or when `returning` is off). The statement is built once per table."""
    stmt = _insert_ignoring(
        model.__table__, session.get_bind().dialect.name, tuple(conflict_on), returning
    )
    result = session.execute(stmt, values)
    return result.scalar() if returning else None


@lru_cache(maxsize=64)
def _insert_ignoring(table, dialect_name: str, conflict_on: tuple[str, ...], returning: bool):
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=list(conflict_on))
    return stmt.returning(table.c.id) if returning else stmt


def get_in_couple(session: Session, model, object_id, couple_id):
    """The object if it belongs to this couple; otherwise 404, never revealing another
    couple's objects."""
    from api.errors import NotFound

    obj = session.get(model, object_id)
    if obj is None or obj.couple_id != couple_id:
        raise NotFound()
    return obj
