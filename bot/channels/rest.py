"""Rasa's REST channel (`/webhooks/rest/webhook`), answering each message once.

Configured in credentials.yml as `bot.channels.rest.OnceRestInput`. The body is Rasa's
(`sender`, `message`, optional `metadata`) plus an optional `message_id` (the web app sends one
with every message); the input channel is always `rest` (a caller cannot pose as WeChat).

Only the web app may call it: a request must carry `Authorization: Bearer <RASA_TOKEN>`
(401 otherwise; 503 while RASA_TOKEN is unset), since the web app alone decides which resident
a conversation belongs to (bot/web/chat_session.py). A body that is not such a JSON object gets
400; a text longer than MAX_CHANNEL_CHARS gets a polite reply and never reaches the tracker store. A message id sent again, to this process while the
first request is still being answered or to another process of the cluster (bot.channels.replay),
gets the same answer: the message is handled once (across processes through Redis, REDIS_URL;
one process alone remembers its own). A turn that fails as a whole (the tracker
store or the lock store unreachable) is answered with an apology instead of an empty list. A
turn goes on when its caller stops waiting (the web app tells the resident the answer is still
coming, and asks again with the same message id): its answer is not lost, nor the message handled
twice.
"""
from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import replies
from bot.channels.options import with_option
from bot.channels.replay import handle_once
from bot.channels.shared_secret import error, refusal
from bot.channels.warmup import readiness, warm_up
from bot.settings import get_settings
from bot.wechat.store import ChannelStore, channel_store

logger = logging.getLogger(__name__)
MESSAGE_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,63}$")
SENDER_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A message id is remembered in this process this long after its answer, for requests sent again.
REMEMBER_SECONDS = 60
CHANNEL = "rest"


class OnceRestInput(RestInput):
    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "OnceRestInput":
        return cls()

    def __init__(self, store: Optional[ChannelStore] = None) -> None:
        # Shared by the processes of a cluster (Redis); one process alone needs only its memory.
        self.store = store or (channel_store() if get_settings().redis_url else None)
        self._answers: Dict[Tuple[str, str], asyncio.Future] = {}
        self._turns: Set[asyncio.Task] = set()  # running turns, kept from the garbage collector
        self._warming: Optional[asyncio.Task] = None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("rest_once_webhook", __name__)

        @webhook.listener("before_server_start")
        async def chinese_size_errors(app: Any, _loop: Any) -> None:
            """The Rasa server refuses a body over its cap (SANIC_REQUEST_MAX_SIZE) before any
            route runs: the answer in Chinese, as every other refusal."""
            app.error_handler.add(PayloadTooLarge, _too_large)

        @webhook.listener("after_server_start")
        async def warm(app: Any, _loop: Any) -> None:
            """The process's first turn is warmed before it says it is ready (bot.channels.warmup)."""
            self._warming = asyncio.get_running_loop().create_task(warm_up(getattr(app.ctx, "agent", None)))

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            """The readiness check: 503 until the process has warmed up."""
            if not readiness.ready:
                return response.json({"status": "warming_up"}, status=503)
            return response.json({"status": "ok", "warmed_up_seconds": round(readiness.seconds or 0, 1)})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = _refused(request)
            if refused is not None:
                return refused
            body = _body(request)
            if body is None:
                return error("security.bad_message", 400)
            sender, text = body["sender"], body["message"]
            limit = get_settings().max_channel_chars
            if len(text) > limit:  # answered here: the text never reaches the tracker store
                logger.info("REST message of %s characters refused (limit %s)", len(text), limit)
                return response.json([{"recipient_id": sender, "text": replies.text("security.too_long", limit=limit)}])
            given_id = _message_id(body)
            text = await with_option(request, sender, text)  # "1", "2": an offered option
            metadata = body.get("metadata")
            message = UserMessage(
                text, CollectingOutputChannel(), sender, input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else None, message_id=given_id,
            )
            if given_id is None:  # Rasa made up an id: nothing to recognise a second time
                await self._handle(request, message, on_new_message, seen_before=False)
                return response.json(message.output_channel.messages)
            return response.json(await self._answer(request, message, on_new_message))

        return webhook

    async def _answer(
        self, request: Request, message: UserMessage, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> List[Dict[str, Any]]:
        key = (message.sender_id, message.message_id)
        earlier = self._answers.get(key)
        if earlier is not None:
            logger.info("REST message %s sent again: the same answer", message.message_id)
            return await asyncio.shield(earlier)
        loop = asyncio.get_running_loop()
        answer = self._answers[key] = loop.create_future()

        async def turn() -> None:
            try:
                seen_before = not await self._first_delivery(f"{message.sender_id}:{message.message_id}")
                await self._handle(request, message, on_new_message, seen_before)
            finally:
                answer.set_result(message.output_channel.messages)
                loop.call_later(REMEMBER_SECONDS, self._answers.pop, key, None)
                self._turns.discard(task)

        # The turn is a task of its own: when the caller stops waiting (the web app's
        # CHAT_WAIT_SECONDS) Sanic cancels this request, not the turn, whose answer the same
        # message id sent again then gets (within REMEMBER_SECONDS here, or from the tracker).
        task = loop.create_task(turn())
        self._turns.add(task)
        return await asyncio.shield(answer)

    async def _handle(
        self, request: Request, message: UserMessage,
        on_new_message: Callable[[UserMessage], Awaitable[Any]], seen_before: bool,
    ) -> None:
        try:
            await handle_once(getattr(request.app.ctx, "agent", None), message, on_new_message, seen_before)
        except Exception:  # a store down, say: the resident is told, not left in silence
            logger.exception("the assistant failed on a REST message")
            message.output_channel.messages.clear()  # the turn was not saved: no half answers
            await message.output_channel.send_text_message(
                message.sender_id, replies.text("common.assistant_unavailable"))

    async def _first_delivery(self, key: str) -> bool:
        if self.store is None:
            return True
        try:
            return await asyncio.to_thread(self.store.first_delivery, CHANNEL, key)
        except Exception as error:  # the store is down: handled as new (Rasa's lock still orders it)
            logger.warning("delivery store unavailable (%s): handling the message as new", type(error).__name__)
            return True


def _message_id(body: Dict[str, Any]) -> Optional[str]:
    value = body.get("message_id")
    return value if isinstance(value, str) and MESSAGE_ID_RE.match(value) else None


async def _too_large(_request: Request, _exception: Exception) -> HTTPResponse:
    return error("pages.too_large.text", 413)


def _refused(request: Request) -> Optional[HTTPResponse]:
    """None when the request carries the web app's token (RASA_TOKEN); else the refusal."""
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    given = value.strip() if scheme.lower() == "bearer" else ""
    return refusal(given, get_settings().rasa_token, "security.channel_refused")


def _body(request: Request) -> Optional[Dict[str, Any]]:
    """The JSON object with a well-formed sender and a text message, else None."""
    try:
        body = request.json
    except Exception:  # not JSON: sanic raises
        return None
    if not isinstance(body, dict):
        return None
    sender, text = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not SENDER_RE.match(sender) or not isinstance(text, str):
        return None
    return body
