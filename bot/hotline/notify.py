"""Wakes the operator panels' streams in this process as soon as a call changed here.

It only shortens the wait: the streams read the call from the database and poll its version
anyway, so a change made by another web worker reaches them within a poll interval.
"""
from __future__ import annotations

import asyncio


class CallNotifier:
    def __init__(self) -> None:
        self._changed: asyncio.Event | None = None

    def _event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def notify(self) -> None:
        """Some call changed: every waiting stream looks again."""
        event = self._event()
        self._changed = asyncio.Event()
        event.set()

    async def wait(self, timeout: float) -> None:
        """Returns when notified, or after `timeout` seconds."""
        try:
            await asyncio.wait_for(self._event().wait(), timeout)
        except asyncio.TimeoutError:
            pass
