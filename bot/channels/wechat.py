"""The WeChat Official Account (公众号) input channel: `/webhooks/wechat/webhook` on the Rasa server.

Registered in credentials.yml as `bot.channels.wechat.WeChatInput` (its settings there, or
WECHAT_* in the environment; see bot/wechat/config.py). For each request:
1. the body is read up to 64 KB (413 beyond), the signature, timestamp and (safe mode) the
   encryption are checked, the XML parsed without DOCTYPE or entities (403/400: no conversation
   is touched);
2. a delivery WeChat retries is recognised by its MsgId (events: sender + time) in a store every
   worker shares, and processed once. WeChat retries when it had no answer within 5 s, and then
   reads only the retry's answer: a retry reaching the worker that has the message gets the same
   answer; one reaching another worker (the first one died, or no balancer keeps the resident on
   one worker) is answered from the conversation once the first worker is done with it, or
   handled there if the conversation does not have it (bot.channels.replay);
3. the message goes to the assistant as the resident's OpenID; a reply ready within the budget
   (~4 s, counted from when the load balancer received the request, its X-Request-Start
   header, else from when this process did) is the passive reply, otherwise "success" is
   answered at once and the reply follows through the customer-service API. A process works on
   a few WeChat turns at once (WECHAT_TURNS_AT_ONCE); the others wait their turn, first come
   first served, so that under a burst the first ones are answered in time instead of all of
   them late. A turn that cannot be ready in time behind those waiting (by how long turns take
   here) is answered "success" at once. Replies longer than one WeChat message continue through the
   API. A resident's "1"/"2" answers the numbered options of the bot's last message (its buttons,
   read from the tracker, which every worker shares).
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.options import with_option
from bot.channels.replay import handle_once
from bot.handoff.delivery import register_sender
from bot.core.privacy import install_log_redaction
from bot import replies
from bot.wechat.api import WeChatApi, deliver, sender_for
from bot.wechat.config import WeChatConfig
from bot.wechat.inbound import Answer, AskAssistant, route
from bot.wechat.protocol import MAX_BODY_BYTES, SUCCESS, Inbound, RequestRefused, encode_reply, read_request, verify_url
from bot.wechat.store import ChannelStore, channel_store
from bot.wechat.text import numbered_options, wechat_messages

logger = logging.getLogger(__name__)
CHANNEL = "wechat"
# The rest of a long reply follows the passive reply through the API after this pause, so that
# it arrives after it.
FOLLOW_UP_DELAY_SECONDS = 1.0
# WeChat retries within about 15 s; an answer is kept this long for its retries.
RETRY_MEMORY_SECONDS = 60
# Set by HAProxy (bot.cluster.topology): when it received the request, "t=<ms since the epoch>".
REQUEST_START_HEADER = "X-Request-Start"
QUERY_FIELDS = ("signature", "timestamp", "nonce", "echostr", "encrypt_type", "msg_signature", "openid")


class WeChatCollector(OutputChannel):
    """Collects one turn's replies; buttons become numbered options (WeChat has no buttons)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def __init__(self) -> None:
        self.texts: List[str] = []

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self.texts.append(text)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        self.texts.append(numbered_options(text, buttons))

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        logger.warning("custom JSON responses are not shown on WeChat")


class WeChatPush(WeChatCollector):
    """Sends each reply at once through the customer-service API: Rasa uses it for messages the
    resident did not ask for (HTTP API calls with output_channel=wechat)."""

    def __init__(self, api: WeChatApi) -> None:
        super().__init__()
        self._api = api

    async def _send(self, recipient_id: Text, text: str) -> None:
        await asyncio.to_thread(deliver, self._api, recipient_id, wechat_messages([text]))

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._send(recipient_id, numbered_options(text, buttons))


def _query(request: Request) -> dict[str, str]:
    return {name: request.args.get(name) for name in QUERY_FIELDS if request.args.get(name) is not None}


def received_at(request: Request, budget: float) -> float:
    """When the request was received, on time.monotonic()'s clock: when the load balancer got it
    (its X-Request-Start header: the wait in its queue and in this process's backlog count
    against WeChat's 5 s), else now. A stamp from the future, or older than the budget, is
    taken as at most the budget ago."""
    now = time.monotonic()
    stamp = (request.headers.get(REQUEST_START_HEADER) or "").strip()
    if not stamp.startswith("t="):
        return now
    try:
        waited = time.time() - int(stamp[2:]) / 1000
    except ValueError:
        return now
    return now - min(max(waited, 0.0), budget)


def expected_seconds(queued: int, places: int, turn_seconds: float) -> float:
    """How long until a new turn is done: the turns waiting before it start `places` at a time
    after the ones running now; then its own. With none waiting a place may be free at once."""
    if queued == 0:
        return turn_seconds
    return (queued // places + 2) * turn_seconds


def _plain(text: str, status: int) -> HTTPResponse:
    return response.text(text, status=status)


async def _read_body(request: Request) -> bytes:
    """The body, read no further than the limit (sanic answers 413 past it, also for a declared
    Content-Length, before reading it)."""
    request.stream.request_max_size = MAX_BODY_BYTES
    await request.receive_body()
    return request.body


@dataclass
class _Delivery:
    """One message as WeChat delivers it, and retries it when no answer came within 5 s: WeChat
    then drops the earlier connection and reads only the retry's. So every attempt (in this
    process) is answered with the same answer, worked out once."""

    answer: asyncio.Future  # the WeChat messages of the answer ([] for none)
    key: str = ""
    seen_before: bool = False  # another worker received it first
    may_send: Optional[bool] = None  # this worker claimed sending the answer (None: not asked yet)
    waiting: int = 0  # requests of this delivery waiting to carry the answer
    answered: bool = False  # a request carried it as its passive reply
    followed_up: bool = False  # the rest of a long answer went through the API
    pushed: bool = False  # the whole answer went through the API: attempts answer "success"
    cut_off: bool = False  # it could not be ready in time: answered "success" at once


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WeChatInput":
        install_log_redaction()
        return cls(WeChatConfig.load(credentials))

    def __init__(self, config: WeChatConfig, store: Optional[ChannelStore] = None) -> None:
        self.config = config
        self.store = store or channel_store()
        self.api = WeChatApi(config, self.store) if config.sends else None
        if self.api is not None:
            register_sender(CHANNEL, sender_for(self.api))  # late replies, and pushes from this process
        if not config.receives:
            logger.warning("WeChat channel without WECHAT_TOKEN: /webhooks/wechat/webhook answers 503")
        self._tasks: set[asyncio.Task] = set()
        self._turns: Optional[asyncio.Semaphore] = None  # made on the server's event loop
        self._queued = 0  # turns waiting for a place
        self._turn_seconds: Optional[float] = None  # how long a turn takes here (moving average)
        self._deliveries: dict[str, _Delivery] = {}  # delivery key → its answer, for WeChat's retries

    def get_output_channel(self) -> Optional[OutputChannel]:
        return WeChatPush(self.api) if self.api is not None else None

    def _later(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wechat_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.config.receives else "not configured"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self.config.receives:
                return _plain("WeChat channel not configured", 503)
            try:
                return _plain(verify_url(self.config, _query(request)), 200)
            except RequestRefused as refused:
                logger.info("WeChat URL verification refused: %s", refused.reason)
                return _plain(refused.reason, refused.status)

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            started = received_at(request, self.config.reply_budget)
            if not self.config.receives:
                return _plain("WeChat channel not configured", 503)
            try:
                inbound = read_request(self.config, _query(request), await _read_body(request))
            except PayloadTooLarge:
                return _plain("request body over the size limit", 413)
            except RequestRefused as refused:
                logger.info("WeChat request refused (%s): %s", refused.status, refused.reason)
                return _plain(refused.reason, refused.status)
            return await self._handle(request, inbound, on_new_message, started)

        return webhook

    async def _handle(
        self, request: Request, inbound: Inbound,
        on_new_message: Callable[[UserMessage], Awaitable[Any]], started: float,
    ) -> HTTPResponse:
        action = route(inbound.message)
        if action is None:
            return _plain(SUCCESS, 200)
        key = inbound.delivery_key
        delivery = self._deliveries.get(key)
        if delivery is not None:
            logger.info("WeChat retried delivery %s: the same answer", key)
            return await self._answer(inbound, delivery, started)
        delivery = self._deliveries[key] = _Delivery(asyncio.get_running_loop().create_future(), key)
        delivery.answer.add_done_callback(lambda _: self._settled(key, delivery, inbound.openid))
        seen_before = delivery.seen_before = not await self._claim(key)
        if isinstance(action, Answer):
            delivery.answer.set_result([] if seen_before else wechat_messages([action.text]))
        else:
            assert isinstance(action, AskAssistant)
            if seen_before:
                logger.info("WeChat retried delivery %s, new to this worker", key)
            if self._too_late_to_answer(started):
                delivery.cut_off = True
            turn = asyncio.ensure_future(self._ask(request, inbound, action.text, on_new_message, seen_before))
            turn.add_done_callback(lambda done: delivery.answer.set_result([] if done.cancelled() else done.result()))
        return await self._answer(inbound, delivery, started)

    async def _ask(
        self, request: Request, inbound: Inbound, text: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]], seen_before: bool,
    ) -> List[str]:
        """One turn of the assistant: its replies as WeChat messages. A delivery another worker
        received first is answered from the conversation when it is already there."""
        text = await self._with_option(request, inbound.openid, text)
        collector = WeChatCollector()
        message = UserMessage(text, collector, inbound.openid, input_channel=CHANNEL,
                              message_id=inbound.delivery_key)
        try:
            agent = getattr(request.app.ctx, "agent", None)
            await self._in_turn(lambda: handle_once(agent, message, on_new_message, seen_before))
        except Exception:
            logger.exception("the assistant failed on a WeChat message")
            return wechat_messages([replies.text("common.assistant_unavailable")])
        return wechat_messages(collector.texts)

    async def _in_turn(self, work: Callable[[], Awaitable[None]]) -> None:
        """Runs a turn once one of the places is free (at once without a limit), and notes how
        long turns take."""
        if not self.config.turns_at_once:
            await work()
            return
        if self._turns is None:
            self._turns = asyncio.Semaphore(self.config.turns_at_once)
        self._queued += 1
        waiting = True
        try:
            async with self._turns:
                self._queued -= 1
                waiting = False
                began = time.monotonic()
                try:
                    await work()
                finally:
                    took = time.monotonic() - began
                    previous = self._turn_seconds
                    self._turn_seconds = took if previous is None else 0.8 * previous + 0.2 * took
        finally:
            if waiting:
                self._queued -= 1

    def _too_late_to_answer(self, started: float) -> bool:
        """Whether a new turn, behind the ones already waiting, cannot be ready within the budget
        (from how long turns take here): then "success" at once, and the answer through the API."""
        if not self.config.turns_at_once or self._turn_seconds is None:
            return False
        expected = expected_seconds(self._queued, self.config.turns_at_once, self._turn_seconds)
        return time.monotonic() - started + expected > self.config.reply_budget

    async def _answer(self, inbound: Inbound, delivery: "_Delivery", started: float) -> HTTPResponse:
        """The passive reply when the answer is ready within the budget, else "success" (the
        answer then follows through the API, unless a retry of the message is waiting for it)."""
        if delivery.pushed or delivery.cut_off:
            return _plain(SUCCESS, 200)
        budget = max(0.1, self.config.reply_budget - (time.monotonic() - started))
        delivery.waiting += 1
        try:
            messages = await asyncio.wait_for(asyncio.shield(delivery.answer), timeout=budget)
        except asyncio.TimeoutError:
            if not delivery.answer.done():
                logger.info("assistant slower than %.1f s: the answer follows through the API",
                            self.config.reply_budget)
                return _plain(SUCCESS, 200)
            messages = delivery.answer.result()
        finally:
            delivery.waiting -= 1
        if not messages or delivery.pushed or not await self._may_send(delivery, passive=True):
            return _plain(SUCCESS, 200)
        delivery.answered = True
        if len(messages) > 1 and not delivery.followed_up:
            delivery.followed_up = True
            self._later(self._follow_up(inbound.openid, messages[1:]))
        return response.text(encode_reply(self.config, inbound, messages[0]), content_type="application/xml")

    def _settled(self, key: str, delivery: "_Delivery", openid: str) -> None:
        """The answer is known: pushed through the API when no request is left to carry it."""
        if delivery.answer.result() and not delivery.answered and not delivery.waiting:
            delivery.pushed = True
            self._later(self._push_answer(delivery, openid))
        asyncio.get_running_loop().call_later(RETRY_MEMORY_SECONDS, self._deliveries.pop, key, None)

    async def _claim(self, key: str) -> bool:
        """True the first time any worker claims this key (a delivery, or sending its answer)."""
        try:
            return await asyncio.to_thread(self.store.first_delivery, CHANNEL, key)
        except Exception as error:  # the store is down: better an answer twice than none
            logger.warning("WeChat delivery store unavailable (%s): processing anyway", type(error).__name__)
            return True

    async def _may_send(self, delivery: "_Delivery", passive: bool) -> bool:
        """Whether this worker sends the answer. When two workers have the delivery, the one that
        sends it first (through the API, or as the passive reply to a retry) claims it; the first
        worker's passive reply needs no claim (WeChat retries only when it did not get one)."""
        if passive and not delivery.seen_before:
            return True
        if delivery.may_send is None:
            delivery.may_send = await self._claim(f"sent:{delivery.key}")
            if not delivery.may_send:
                logger.info("WeChat delivery %s: another worker sent the answer", delivery.key)
        return delivery.may_send

    async def _push_answer(self, delivery: "_Delivery", openid: str) -> None:
        """The whole answer through the API, unless another worker sent it."""
        if await self._may_send(delivery, passive=False):
            await self._push(openid, delivery.answer.result())

    async def _with_option(self, request: Request, openid: str, text: str) -> str:
        """A number answering the bot's numbered options becomes the option's payload."""
        return await with_option(request, openid, text)

    async def _follow_up(self, openid: str, messages: List[str]) -> None:
        await asyncio.sleep(FOLLOW_UP_DELAY_SECONDS)
        await self._push(openid, messages)

    async def _push(self, openid: str, messages: List[str]) -> None:
        """Sends WeChat messages (already plain and split) through the customer-service API."""
        if not messages:
            return
        if self.api is None:
            logger.warning("a WeChat reply could not be sent: WECHAT_APPID/WECHAT_APPSECRET are not set")
            return
        await asyncio.to_thread(deliver, self.api, openid, messages)
