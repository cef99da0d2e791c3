"""SQLite's writers in one process (issue 14, speed): they queue on a lock of their own before
BEGIN IMMEDIATE, so a writer starts as soon as the one before has committed instead of polling
SQLite's lock with growing sleeps, and the connections are kept between units of work."""
from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import event, text

from bot.core.db import make_engine, reading, transaction
from sqlalchemy.orm import sessionmaker


def test_a_second_writer_waits_for_the_first_in_the_process_not_at_sqlites_lock(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")

    @event.listens_for(engine, "connect")
    def no_busy_wait(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Without waiting at SQLite's lock, a writer that reached it while held fails at once.
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    factory = sessionmaker(bind=engine, future=True)
    with transaction(factory) as session:
        session.execute(text("CREATE TABLE counts (n INTEGER)"))
    first_in, first_may_commit, failures = threading.Event(), threading.Event(), []

    def first() -> None:
        with transaction(factory) as session:
            session.execute(text("INSERT INTO counts VALUES (1)"))
            first_in.set()
            first_may_commit.wait(10)

    def second() -> None:
        try:
            with transaction(factory) as session:
                session.execute(text("INSERT INTO counts VALUES (2)"))
        except Exception as exc:  # "database is locked" without the queue
            failures.append(exc)

    one = threading.Thread(target=first)
    one.start()
    assert first_in.wait(10)
    two = threading.Thread(target=second)
    two.start()
    with reading(factory) as session:  # a reader neither waits nor blocks
        assert session.execute(text("SELECT count(*) FROM counts")).scalar() == 0
    first_may_commit.set()
    one.join(10)
    two.join(10)
    assert not failures, failures
    with reading(factory) as session:
        assert sorted(session.execute(text("SELECT n FROM counts")).scalars()) == [1, 2]
    assert engine.pool.checkedin() >= 1  # kept for the next unit of work
    engine.dispose()
