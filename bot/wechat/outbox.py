"""The outbox sweep: stored outbound messages of a pushing channel that are not delivered yet
(status-change notices, which the registry only stores; staff replies whose push failed) are
pushed through the channel's registered sender.

Safe with several workers: bot.handoff.delivery.push claims each message atomically before
sending it. A message that fails is tried again after a growing pause (kept per process), and
given up after 48 hours, when WeChat no longer accepts customer-service messages anyway.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Callable, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from bot.handoff.delivery import push, register_sender
from bot.core.db import transaction, utcnow
from bot.core.models import Message
from bot.wechat.api import WeChatApi, sender_for
from bot.wechat.config import WeChatConfig

logger = logging.getLogger(__name__)
SWEEP_SECONDS = 2.0
BATCH = 50
RETRY_AFTER_SECONDS = (10, 30, 60, 300, 900, 3600)
GIVE_UP_AFTER = dt.timedelta(hours=48)
CHANNEL = "wechat"


class Outbox:
    def __init__(
        self, channel: str, factory: Optional[sessionmaker] = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.channel = channel
        self._factory = factory
        self._clock = clock
        # message id → (failures so far, when to try again, when it first failed): monotonic time
        self._failures: dict[int, tuple[int, float, float]] = {}

    def _failed(self, message_id: int, now: float) -> None:
        count, _, first = self._failures.get(message_id, (0, now, now))
        delay = RETRY_AFTER_SECONDS[min(count, len(RETRY_AFTER_SECONDS) - 1)]
        self._failures[message_id] = (count + 1, now + delay, first)

    def _waiting(self, now: float) -> list[int]:
        """Ids of failed messages whose next try is not due yet (old records dropped)."""
        horizon = GIVE_UP_AFTER.total_seconds()
        self._failures = {k: v for k, v in self._failures.items() if now - v[2] <= horizon}
        return [k for k, (_, next_try, _) in self._failures.items() if next_try > now]

    def pending(self, skip: Sequence[int] = ()) -> list[Message]:
        query = (
            select(Message)
            .where(Message.channel == self.channel, Message.direction == "out",
                   Message.delivered_at.is_(None), Message.created_at >= utcnow() - GIVE_UP_AFTER)
            .order_by(Message.id).limit(BATCH)
        )
        if skip:
            query = query.where(Message.id.not_in(skip))
        with transaction(self._factory) as session:
            return list(session.scalars(query))

    def sweep(self) -> int:
        """Pushes what is due; returns how many messages went out."""
        now = self._clock()
        sent = 0
        for message in self.pending(self._waiting(now)):
            if push(message, self._factory):
                sent += 1
                self._failures.pop(message.id, None)
            else:
                self._failed(message.id, now)
        return sent

    async def run(self, every: float = SWEEP_SECONDS) -> None:
        """Sweeps forever (a background task of the process that owns the channel's sender)."""
        while True:
            try:
                sent = await asyncio.to_thread(self.sweep)
            except SQLAlchemyError as error:
                logger.warning("outbox sweep for %s failed: %s", self.channel, type(error).__name__)
            else:
                if sent:
                    logger.info("outbox: %s message(s) sent through %s", sent, self.channel)
            await asyncio.sleep(every)


def wechat_outbox() -> Optional[Outbox]:
    """For the process that pushes staff replies and notices (the web app): registers the WeChat
    sender and returns the outbox to sweep; None when WECHAT_APPID/WECHAT_APPSECRET are not set."""
    config = WeChatConfig.load()
    if not config.sends:
        return None
    register_sender(CHANNEL, sender_for(WeChatApi(config)))
    return Outbox(CHANNEL)
