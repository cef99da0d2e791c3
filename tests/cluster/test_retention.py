"""Retention of the tracker store (bot.channels.retention), on SQLite and PostgreSQL: idle
conversations go whole, earlier sessions' old events go, the current session stays."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from bot.channels.retention import DAY_SECONDS, purge, tracker_url
from bot.core.testing import PostgresServer

NOW = time.time()


def events_table(engine: sa.engine.Engine) -> sa.Table:
    metadata = sa.MetaData()
    table = sa.Table(
        "events", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("type_name", sa.String(255), nullable=False),
        sa.Column("timestamp", sa.Float),
        sa.Column("intent_name", sa.String(255)),
        sa.Column("action_name", sa.String(255)),
        sa.Column("data", sa.Text),
    )
    metadata.create_all(engine)
    return table


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.engine.Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        server.drop_database("tracker_retention")
        url = server.create_database("tracker_retention")
    made = sa.create_engine(url, future=True)
    yield made
    made.dispose()


def add(connection: sa.engine.Connection, table: sa.Table, sender: str, kind: str, days_ago: float) -> None:
    connection.execute(table.insert().values(sender_id=sender, type_name=kind, timestamp=NOW - days_ago * DAY_SECONDS,
                                             data=json.dumps({"event": kind})))


def test_idle_conversations_and_old_sessions_are_deleted(engine: sa.engine.Engine) -> None:
    table = events_table(engine)
    with engine.begin() as connection:
        for days_ago, kind in ((200, "session_started"), (200, "user"), (199, "bot")):
            add(connection, table, "idle", kind, days_ago)
        for days_ago, kind in ((60, "session_started"), (60, "user"), (59, "slot"), (1, "session_started"),
                               (1, "slot"), (1, "user"), (0.5, "bot")):
            add(connection, table, "active", kind, days_ago)
        for days_ago, kind in ((40, "session_started"), (40, "user")):
            add(connection, table, "one-session", kind, days_ago)
    result = purge(engine, NOW, retention_days=180, history_days=30)
    with engine.begin() as connection:
        left = connection.execute(sa.select(table.c.sender_id, table.c.type_name).order_by(table.c.id)).all()
    assert result.conversations == 1 and result.events == 6
    assert [tuple(row) for row in left] == [
        ("active", "session_started"), ("active", "slot"), ("active", "user"), ("active", "bot"),
        ("one-session", "session_started"), ("one-session", "user"),  # its only session is the current one
    ]


def test_the_tracker_store_is_read_from_endpoints(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: var/rasa_tracker.db\n")
    assert str(tracker_url(endpoints)).endswith("/var/rasa_tracker.db")
    endpoints.write_text("tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: 127.0.0.1\n  port: 5433\n"
                         "  db: rasa_tracker\n  username: postgres\n")
    url = tracker_url(endpoints)
    assert (url.host, url.port, url.database) == ("127.0.0.1", 5433, "rasa_tracker")
