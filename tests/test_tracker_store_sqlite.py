"""The SQLite tracker store of `make run` (bot.channels.tracker_store): one kept connection with
a write-ahead log, instead of opening the file for every load and save and waiting for the disk
on every commit on Rasa's event loop (issue 14, throughput); conversations still load as saved."""
from __future__ import annotations

import asyncio
from pathlib import Path

from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text

from bot.channels.tracker_store import RedactingSQLTrackerStore


def test_the_sqlite_store_keeps_one_connection_with_a_write_ahead_log(tmp_path: Path) -> None:
    store = RedactingSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "tracker.db"))
    connections = []
    store.engine.pool._creator = (lambda create: lambda: connections.append(1) or create())(  # noqa: SLF001
        store.engine.pool._creator)  # noqa: SLF001

    async def converse() -> DialogueStateTracker:
        for turn in range(3):
            tracker = await store.get_or_create_tracker("resident-1")
            tracker.update(UserUttered(f"第{turn}句 13912345678"))
            tracker.update(ActionExecuted("action_listen"))
            await store.save(tracker)
        return await store.retrieve("resident-1")

    tracker = asyncio.run(converse())
    texts = [e.text for e in tracker.events if isinstance(e, UserUttered)]
    assert texts == ["第0句 139****5678", "第1句 139****5678", "第2句 139****5678"]
    assert len(connections) <= 1
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
