"""Rasa's REST channel (`/webhooks/rest/webhook`), answering each message once.

Configured in credentials.yml as `bot.channels.rest.OnceRestInput`. The body is Rasa's
(`sender`, `message`, optional `metadata` and `input_channel`) plus an optional `message_id`
(the web app sends one with every message). A message id sent again, to this process while the
first request is still being answered or to another process of the cluster (bot.channels.replay),
gets the same answer: the message is handled once.
"""
from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.replay import handle_once
from bot.wechat.store import ChannelStore, channel_store

logger = logging.getLogger(__name__)
MESSAGE_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,63}$")
# A message id is remembered in this process this long after its answer, for requests sent again.
REMEMBER_SECONDS = 60
CHANNEL = "rest"


class OnceRestInput(RestInput):
    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "OnceRestInput":
        return cls()

    def __init__(self, store: Optional[ChannelStore] = None) -> None:
        self._store = store
        self._answers: Dict[Tuple[str, str], asyncio.Future] = {}

    @property
    def store(self) -> ChannelStore:
        if self._store is None:
            self._store = channel_store()
        return self._store

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("rest_once_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            message = UserMessage(
                body.get("message"), CollectingOutputChannel(), body.get("sender"),
                input_channel=body.get("input_channel") or self.name(), metadata=body.get("metadata"),
                message_id=_message_id(body),
            )
            return response.json(await self._answer(request, message, on_new_message))

        return webhook

    async def _answer(
        self, request: Request, message: UserMessage, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> List[Dict[str, Any]]:
        if not message.message_id:
            await self._handle(request, message, on_new_message, seen_before=False)
            return message.output_channel.messages
        key = (message.sender_id, message.message_id)
        earlier = self._answers.get(key)
        if earlier is not None:
            logger.info("REST message %s sent again: the same answer", message.message_id)
            return await asyncio.shield(earlier)
        answer = self._answers[key] = asyncio.get_running_loop().create_future()
        try:
            seen_before = not await self._first_delivery(f"{message.sender_id}:{message.message_id}")
            await self._handle(request, message, on_new_message, seen_before)
        finally:
            answer.set_result(message.output_channel.messages)
            asyncio.get_running_loop().call_later(REMEMBER_SECONDS, self._answers.pop, key, None)
        return message.output_channel.messages

    async def _handle(
        self, request: Request, message: UserMessage,
        on_new_message: Callable[[UserMessage], Awaitable[Any]], seen_before: bool,
    ) -> None:
        try:
            await handle_once(getattr(request.app.ctx, "agent", None), message, on_new_message, seen_before)
        except Exception:
            logger.exception("the assistant failed on a REST message")

    async def _first_delivery(self, key: str) -> bool:
        try:
            return await asyncio.to_thread(self.store.first_delivery, CHANNEL, key)
        except Exception as error:  # the store is down: handled as new (Rasa's lock still orders it)
            logger.warning("delivery store unavailable (%s): handling the message as new", type(error).__name__)
            return True


def _message_id(body: Dict[str, Any]) -> Optional[str]:
    value = body.get("message_id")
    return value if isinstance(value, str) and MESSAGE_ID_RE.match(value) else None
