"""A Rasa event broker that puts what a resident writes during a hand-off on the staff ticket.

While a conversation is paused Rasa logs the resident's messages but runs no action; every
logged event passes through the event broker, so this works the same for every channel.
Configured in endpoints.yml as `event_broker: {type: bot.channels.handoff_events.HandoffEventBroker}`.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.handoff.delivery import channel_for
from bot.handoff.tickets import record_resident_message
from bot.core.privacy import install_log_redaction

logger = logging.getLogger(__name__)


class HandoffEventBroker(EventBroker):
    """Rasa calls `publish` on its event loop for every event it saves; the registry write runs
    on one thread of its own (in the order the messages came), so that the loop goes on serving
    other conversations meanwhile."""

    def __init__(self) -> None:
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="handoff-broker")

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: Optional[asyncio.AbstractEventLoop] = None
    ) -> "HandoffEventBroker":
        install_log_redaction()  # the Rasa server's own logs too
        return cls()

    def publish(self, event: Dict[Text, Any]) -> None:
        if event.get("event") != "user" or not event.get("sender_id"):
            return
        self._writer.submit(_store, event)

    def is_ready(self) -> bool:
        return True

    async def close(self) -> None:
        await asyncio.to_thread(self._writer.shutdown, wait=True)


def _store(event: Dict[Text, Any]) -> None:
    sent_at = dt.datetime.fromtimestamp(float(event.get("timestamp") or 0), dt.timezone.utc)
    try:
        message = record_resident_message(
            event["sender_id"], event.get("text") or "", channel_for(event.get("input_channel")),
            sent_at.replace(tzinfo=None),
        )
    except Exception:  # the conversation goes on even when the registry is down
        logger.exception("could not store a hand-off message")
        return
    if message is not None:
        logger.info("hand-off message %s stored on ticket %s", message.id, message.ticket_id)
