"""Each message answered once, across Rasa processes.

A message comes again when its sender did not get the answer: WeChat retries after 5 s, the load
balancer sends a request again to another Rasa process when the first one died while handling
it. The process that gets the message again and does not have it in memory takes the
conversation's lock (so that a process still handling it finishes first), then looks in the
shared tracker store: a message already there (the same message id) gets the replies that were
given to it, sent again; a message not there (its process died before saving it) is handled now.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.events import BotUttered, UserUttered

from bot import replies
from bot.channels.action_calls import checked_once_action_results, failed_action_calls, retrying_action_endpoint

logger = logging.getLogger(__name__)


async def earlier_replies(agent: Any, sender_id: str, message_id: str) -> Optional[List[Dict[str, Any]]]:
    """The bot's replies to that message when the conversation already has it, else None. A
    message that got no reply while the conversation is not with a staff member (its action
    failed: the apology was sent, not stored) gets the apology again, not an empty list."""
    tracker = await agent.tracker_store.retrieve(sender_id)
    found = _replies_in(tracker, message_id)
    if found == [] and tracker is not None and not tracker.is_paused():
        return [{"text": replies.text("service.action_failed")}]
    return found


def _replies_in(tracker: Any, message_id: str) -> Optional[List[Dict[str, Any]]]:
    found: Optional[List[Dict[str, Any]]] = None
    for event in tracker.events if tracker else []:
        if isinstance(event, UserUttered):
            if found is not None:
                break
            if event.message_id == message_id:
                found = []
        elif found is not None and isinstance(event, BotUttered):
            found.append(event.message())
    return found


def _raise(error: Exception) -> None:
    raise error


def no_fallback_tracker(agent: Any) -> None:
    """Rasa wraps the tracker store in a FailSafeTrackerStore that, when the database is down,
    starts the conversation afresh in memory and keeps what is said there: the resident's
    context is gone and the conversation splits between processes. Instead the error goes up,
    and the channel apologises; the next message after the database is back goes on as before."""
    store = getattr(agent, "tracker_store", None)
    if isinstance(store, FailSafeTrackerStore) and store._on_tracker_store_error is not _raise:  # noqa: SLF001
        store._on_tracker_store_error = _raise  # noqa: SLF001 - set through its constructor elsewhere


async def handle_once(
    agent: Any, message: UserMessage, on_new_message: Callable[[UserMessage], Awaitable[Any]],
    seen_before: bool,
) -> None:
    """Handles the message, unless it was `seen_before` and the conversation already has it:
    then its replies go to the message's output channel again."""
    no_fallback_tracker(agent)
    retrying_action_endpoint(agent)
    checked_once_action_results()
    if seen_before and message.message_id and agent is not None:
        async with agent.lock_store.lock(message.sender_id):
            earlier = await earlier_replies(agent, message.sender_id, message.message_id)
        if earlier is not None:
            for reply in earlier:
                await message.output_channel.send_response(message.sender_id, reply)
            return
    with failed_action_calls() as failures:
        await on_new_message(message)
    if failures:
        # Rasa went on without the action's replies and events: the resident is told, not left
        # with a half answer or an empty one.
        logger.error("conversation %s: %d custom action call(s) failed (%s); the resident got an apology",
                     message.sender_id, len(failures), "; ".join(failures))
        await message.output_channel.send_text_message(message.sender_id, replies.text("service.action_failed"))
