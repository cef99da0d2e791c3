"""Which calls changed, for the operator panels' streams of one web worker.

One task per worker polls the database every half second, while some panel is open, for the
calls changed since it last looked (by any worker: the platform's request may reach another
one) and keeps their versions in memory; the streams compare their call's version with it and
read the database only when it changed. A change made in this worker pokes the poller, so it
looks at once.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Callable, Optional

from sqlalchemy.exc import SQLAlchemyError

from bot.core.db import utcnow

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5
# Rows written a moment before the last one seen are read again: transactions commit in an
# order their timestamps need not follow.
OVERLAP = dt.timedelta(seconds=2)
FORGET_AFTER = dt.timedelta(hours=2)

# (id, call_id, operator_id, version, updated_at) of the calls changed since a moment.
Changes = Callable[[dt.datetime], list[tuple[int, str, str, int, dt.datetime]]]


class CallWatcher:
    def __init__(self, changes: Changes, poll_seconds: float = POLL_SECONDS) -> None:
        self._changes = changes
        self.poll_seconds = poll_seconds
        self.versions: dict[str, tuple[int, dt.datetime]] = {}  # call_id → (version, changed at)
        self.newest: dict[str, tuple[int, str]] = {}  # operator_id → (id, call_id) of their newest call
        self._cursor = utcnow() - OVERLAP
        self._changed: Optional[asyncio.Event] = None
        self._poke: Optional[asyncio.Event] = None
        self.listeners = 0  # open streams; with none, the database is not polled

    def listen(self) -> None:
        if self.listeners == 0:
            self._cursor = utcnow() - OVERLAP  # what happened before, the stream reads itself
        self.listeners += 1
        self.poke()

    def leave(self) -> None:
        self.listeners -= 1

    def version(self, call_id: str) -> Optional[int]:
        seen = self.versions.get(call_id)
        return seen[0] if seen else None

    def poke(self) -> None:
        """Something changed in this worker: look now."""
        if self._poke is not None:
            self._poke.set()

    async def wait(self, timeout: float) -> None:
        """Returns when some call changed, or after `timeout` seconds."""
        if self._changed is None:
            self._changed = asyncio.Event()
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    def take(self, rows: list[tuple[int, str, str, int, dt.datetime]]) -> bool:
        """Records the rows read; True when anything is new."""
        changed = False
        for pk, call_id, operator_id, version, updated_at in rows:
            if self.version(call_id) != version:
                self.versions[call_id] = (version, updated_at)
                changed = True
            if pk > self.newest.get(operator_id, (0, ""))[0]:
                self.newest[operator_id] = (pk, call_id)
                changed = True
            self._cursor = max(self._cursor, updated_at - OVERLAP)
        old = utcnow() - FORGET_AFTER
        for call_id in [c for c, (_v, at) in self.versions.items() if at < old]:
            del self.versions[call_id]
        return changed

    async def run(self) -> None:
        """Polls until cancelled."""
        self._poke = asyncio.Event()
        if self._changed is None:
            self._changed = asyncio.Event()
        while True:
            rows = []
            try:
                if self.listeners:
                    rows = await asyncio.to_thread(self._changes, self._cursor)
            except SQLAlchemyError as exc:  # the database is away for a moment: try again
                log.warning("hotline watcher: database unavailable (%s)", type(exc).__name__)
            if self.take(rows):
                changed, self._changed = self._changed, asyncio.Event()
                changed.set()
            try:
                await asyncio.wait_for(self._poke.wait(), self.poll_seconds)
            except asyncio.TimeoutError:
                pass
            self._poke.clear()
