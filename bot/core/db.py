"""Database engine and sessions for the intake registry: SQLite by default, PostgreSQL by URL.

SQLite is made safe for several writers at once: WAL journal, a busy timeout, and every
transaction opened with BEGIN IMMEDIATE so that two writers never deadlock on a lock upgrade.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.settings import PROJECT_ROOT

SQLITE_BUSY_TIMEOUT_SECONDS = 30
SQLITE_POOL_SIZE, SQLITE_POOL_OVERFLOW = 8, 32
READ_ONLY_OPTION = "reads_only"
WRITE_LOCK_HELD = "writers_lock_held"


def database_url() -> str:
    """DATABASE_URL, or the SQLite file under var/ (VAR_DIR)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    var_dir = Path(os.environ.get("VAR_DIR") or PROJECT_ROOT / "var")
    var_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{var_dir / 'intake.db'}"


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            # Connections are kept (SQLAlchemy 1.4 would open a new one, and set it up, for
            # every unit of work on a file database).
            poolclass=QueuePool, pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_POOL_OVERFLOW,
            future=True,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA secure_delete=ON")  # deleted personal data is overwritten
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
            cursor.close()

        # The writers of this process queue on a lock of their own before BEGIN IMMEDIATE: the
        # next one starts as soon as the last has committed and given its connection back,
        # instead of polling SQLite's lock with the busy handler's growing sleeps (up to 100 ms
        # each), which made writers under load wait seconds for a lock that was free most of the
        # time. A connection keeps the lock from its first write transaction until it goes back
        # to the pool (after its COMMIT, not before). Other processes still meet at SQLite's lock
        # (busy_timeout); a writer that waits here longer than the timeout goes on to SQLite's.
        writers = threading.Lock()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
            # A unit of work that only reads (`reading`) takes no write lock: with the WAL journal
            # it neither waits for writers nor holds them up.
            if connection.get_execution_options().get(READ_ONLY_OPTION):
                connection.exec_driver_sql("BEGIN")
                return
            if not connection.info.get(WRITE_LOCK_HELD):
                connection.info[WRITE_LOCK_HELD] = writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # on failure the connection goes back: released

        @event.listens_for(engine, "checkin")
        def _sqlite_checkin(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
            if record.info.pop(WRITE_LOCK_HELD, False):
                writers.release()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, future=True)


@lru_cache(maxsize=None)
def _factory(url: str) -> sessionmaker:
    return sessionmaker(bind=make_engine(url), future=True, expire_on_commit=False)


def session_factory(url: str | None = None) -> sessionmaker:
    return _factory(url or database_url())


@contextlib.contextmanager
def transaction(factory: sessionmaker | None = None) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on any error."""
    session: Session = (factory or session_factory())()
    try:
        with session.begin():
            yield session
    finally:
        session.close()


@contextlib.contextmanager
def reading(factory: sessionmaker | None = None) -> Iterator[Session]:
    """A unit of work that only reads. On SQLite it starts with a plain BEGIN instead of BEGIN
    IMMEDIATE, so lists, dashboards and live panels do not queue behind (or hold up) the
    writers; on PostgreSQL it is an ordinary transaction."""
    factory = factory or session_factory()
    session = Session(bind=_reading_bind(factory.kw["bind"]), future=True, expire_on_commit=False)
    try:
        with session.begin():
            yield session
    finally:
        session.close()


@lru_cache(maxsize=None)
def _reading_bind(engine: Engine) -> Engine:
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def utcnow() -> dt.datetime:
    """Naive UTC, as stored in every timestamp column."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


from bot.core import versions  # noqa: E402,F401  (registers the listeners that raise the data versions)
