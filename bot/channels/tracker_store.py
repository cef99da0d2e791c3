"""Rasa's SQL tracker store, except that the ID and mobile numbers residents type are stored
masked. The conversation in memory keeps the real text for the turn that is being handled;
what an application needs across turns is sealed in its slots (bot.core.privacy.seal).

Configured in endpoints.yml as `tracker_store: {type: bot.channels.tracker_store.RedactingSQLTrackerStore, ...}`.
"""
from __future__ import annotations

import copy
from typing import Any, Iterator

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.core.privacy import redact


def redacted(event: Event) -> Event:
    """A copy of a user or bot message with personal numbers masked (a staff reply recorded in the
    conversation is a bot message); other events as they are."""
    if isinstance(event, BotUttered) and event.text:
        if redact(event.text) == event.text:
            return event
        stored = copy.deepcopy(event)
        stored.text = redact(stored.text)
        return stored
    if not isinstance(event, UserUttered) or not event.text:
        return event
    stored = copy.deepcopy(event)
    stored.text = redact(stored.text)
    parse_data = getattr(stored, "parse_data", None)
    if isinstance(parse_data, dict):
        parse_data["text"] = redact(parse_data.get("text") or "")
        for entity in parse_data.get("entities") or []:
            if isinstance(entity.get("value"), str):
                entity["value"] = redact(entity["value"])
    return stored


class RedactingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self.engine, self.sessionmaker = _kept_sqlite_engine(self.engine)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        for event in super()._additional_events(session, tracker):
            yield redacted(event)


def _kept_sqlite_engine(engine: Engine) -> tuple[Engine, sessionmaker]:
    """Rasa's SQLite tracker store (`make run`) opened the file anew for every load and save
    (SQLAlchemy 1.4 gives SQLite files no pool) and waited for the disk on every commit, on Rasa's
    event loop. One connection is kept (Rasa uses it from the event loop's thread only), with a
    write-ahead log and commits synced at checkpoints: a crash of the process loses nothing, a
    power cut at most the last moments of conversations."""
    kept = sa.create_engine(engine.url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    sa.event.listen(kept, "connect", _sqlite_pragmas)
    engine.dispose()
    return kept, sessionmaker(bind=kept)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
