"""Live updates of the console by Server-Sent Events, across several web workers.

One watcher per worker reads, about once a second and only while some console page is open in
that worker, a fingerprint of what the pages show (the newest message and hand-off, the hand-offs'
versions, the newest change of an application); any worker may have written the change, since
they all share the database. When it moves, every open stream of the worker computes its user's
update (badges, unread hand-offs, new hand-offs, a ticket's new messages) and sends it if it
differs from the last one sent.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Callable, Optional

from sanic import Sanic
from sanic.request import Request
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker
from sqlalchemy.exc import SQLAlchemyError

from bot.core.db import reading
from bot.core.errors import NotFound
from bot.core.models import Application, HandoffTicket, Message
from bot.web.background import run_while_serving
from bot.web.console.base import bp, db, int_arg
from bot.web.console.security import staff_only
from bot.web.console.tickets import collect_updates

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15
STREAM_SECONDS = 600  # then the browser reconnects by itself (EventSource)
RETRY_MS = 3000


def fingerprint(factory: Optional[sessionmaker] = None) -> tuple[Any, ...]:
    """What changes whenever something a console page shows changes (read without a write lock:
    every open console page's watcher asks once a second)."""
    with reading(factory) as session:
        return (
            session.scalar(select(func.max(Message.id))),
            session.scalar(select(func.max(HandoffTicket.id))),
            session.scalar(select(func.sum(HandoffTicket.version))),
            session.scalar(select(func.max(HandoffTicket.read_up_to))),
            session.scalar(select(func.max(Application.updated_at))),
        )


class ConsoleWatcher:
    """Polls the fingerprint while streams listen; wakes them when it moves."""

    def __init__(self, read: Callable[[], tuple[Any, ...]] = fingerprint, poll_seconds: float = POLL_SECONDS) -> None:
        self._read = read
        self.poll_seconds = poll_seconds
        self.listeners = 0
        self._last: Optional[tuple[Any, ...]] = None
        self._changed = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        """True when something changed within `timeout` seconds."""
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def run(self) -> None:
        """Polls until cancelled."""
        while True:
            if self.listeners:
                try:
                    now = await asyncio.to_thread(self._read)
                except SQLAlchemyError as exc:  # the database is away for a moment: try again
                    log.warning("console watcher: database unavailable (%s)", type(exc).__name__)
                else:
                    if now != self._last:
                        self._last = now
                        self._wake()
            await asyncio.sleep(self.poll_seconds)


def register_live(app: Sanic) -> None:
    app.ctx.console_watcher = ConsoleWatcher()
    run_while_serving(app, "console_watch", app.ctx.console_watcher.run)


def sse(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


@bp.get("/api/stream")
@staff_only()
async def stream(request: Request) -> None:
    """The user's updates whenever they change: `update` events, a comment line as heartbeat."""
    user, args = request.ctx.user, request.args
    after_ticket, ticket_id, after_message = (int_arg(args, "after_ticket"), int_arg(args, "ticket"),
                                              int_arg(args, "after_message"))
    watcher: ConsoleWatcher = request.app.ctx.console_watcher
    response = await request.respond(content_type="text/event-stream; charset=utf-8",
                                     headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    await response.send(f"retry: {RETRY_MS}\n\n")
    watcher.listeners += 1
    started, sent, last = time.monotonic(), time.monotonic(), None
    try:
        while time.monotonic() - started < STREAM_SECONDS:
            try:
                payload = await db(collect_updates, user, after_ticket, ticket_id, after_message)
            except NotFound:
                await response.send(sse("gone", {"message": "该人工会话不存在，或您无权查看。"}))
                break
            if payload != last:
                await response.send(sse("update", payload))
                last, sent = payload, time.monotonic()
                after_ticket = max([after_ticket, *[row["id"] for row in payload["tickets"]]])
                after_message = max([after_message, *[m["id"] for m in payload.get("messages", [])]])
            elif time.monotonic() - sent >= HEARTBEAT_SECONDS:
                await response.send(": heartbeat\n\n")
                sent = time.monotonic()
            await watcher.wait(HEARTBEAT_SECONDS)
    finally:
        watcher.listeners -= 1
    await response.eof()
