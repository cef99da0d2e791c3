"""A resident's "1" or "2" answering the options (buttons) of the bot's last message.

WeChat shows buttons as numbered options, and a resident on the REST channel (or the chat page
on an old phone) may type the number too: it becomes the chosen button's payload.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa.shared.core.events import BotUttered, UserUttered
from sanic.request import Request

from bot.wechat.text import chosen_index, chosen_payload

logger = logging.getLogger(__name__)


async def offered_buttons(request: Request, sender_id: str) -> List[Dict[str, Any]]:
    """The buttons of the bot's last message since the resident last wrote, if any."""
    agent = getattr(request.app.ctx, "agent", None)
    tracker_store = getattr(agent, "tracker_store", None)
    if tracker_store is None:
        return []
    tracker = await tracker_store.retrieve(sender_id)
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, UserUttered):
            return []
        if isinstance(event, BotUttered) and event.data.get("buttons"):
            return list(event.data["buttons"])
    return []


async def with_option(request: Request, sender_id: str, text: Any) -> Any:
    """A number answering the bot's options becomes the option's payload; anything else is kept."""
    if not isinstance(text, str) or chosen_index(text) is None:
        return text
    try:
        buttons = await offered_buttons(request, sender_id)
    except Exception as error:  # the store is down: the number goes through as typed
        logger.warning("could not read the offered options (%s)", type(error).__name__)
        return text
    return chosen_payload(text, buttons) or text
