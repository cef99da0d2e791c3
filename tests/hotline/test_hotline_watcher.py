"""The web worker's watcher of changed calls (bot.hotline.notify.CallWatcher)."""
from __future__ import annotations

import asyncio
import datetime as dt

from bot.hotline.notify import FORGET_AFTER, CallWatcher
from bot.core.db import utcnow


def test_versions_and_each_operators_newest_call() -> None:
    now = utcnow()
    watcher = CallWatcher(lambda _since: [])
    assert watcher.take([(1, "a", "hw01", 3, now), (2, "b", "hw01", 1, now), (3, "c", "hw02", 2, now)])
    assert watcher.version("a") == 3 and watcher.newest["hw01"] == (2, "b") and watcher.newest["hw02"] == (3, "c")
    assert not watcher.take([(1, "a", "hw01", 3, now)])  # read again: nothing new
    assert watcher.take([(1, "a", "hw01", 4, now)]) and watcher.version("a") == 4


def test_calls_quiet_for_long_are_forgotten() -> None:
    watcher = CallWatcher(lambda _since: [])
    watcher.take([(1, "old", "hw01", 5, utcnow() - FORGET_AFTER - dt.timedelta(minutes=1))])
    assert watcher.version("old") is None


def test_a_change_wakes_the_streams_and_a_poke_looks_at_once() -> None:
    changes: list[tuple] = []
    looked: list[dt.datetime] = []

    def read(since: dt.datetime) -> list[tuple]:
        looked.append(since)
        return list(changes)

    async def scenario() -> float:
        watcher = CallWatcher(read, poll_seconds=30)  # only a poke makes it look again soon
        task = asyncio.create_task(watcher.run())
        await asyncio.sleep(0.05)
        assert looked == []  # no panel open: the database is left alone
        watcher.listen()
        await asyncio.sleep(0.05)
        changes.append((7, "call-7", "hw01", 2, utcnow()))
        began = asyncio.get_running_loop().time()
        waiting = asyncio.create_task(watcher.wait(10))
        await asyncio.sleep(0)
        watcher.poke()
        await waiting
        took = asyncio.get_running_loop().time() - began
        task.cancel()
        assert watcher.version("call-7") == 2 and watcher.newest["hw01"] == (7, "call-7")
        return took

    assert asyncio.run(scenario()) < 5
    assert len(looked) == 2  # when the panel opened, and when poked
