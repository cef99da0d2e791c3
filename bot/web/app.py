"""The project's web app (sanic): the local chat page, a chat proxy to Rasa and the policy API."""
from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
import re
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Sanic
from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse, html, json, redirect
from sqlalchemy.exc import SQLAlchemyError

from bot.web import chat_session
from bot.web.hotline_api import register_hotline
from bot.eligibility import default_parameters, screening_response
from bot.handoff.delivery import take_outbox
from bot.handoff.tickets import open_ticket_for
from bot.core.calendar import to_local
from bot.core.privacy import install_log_redaction
from bot.knowledge.service import PolicyService, get_policy_service, region_not_covered_text
from bot.regions import normalize_region
from bot import replies
from bot.settings import PROJECT_ROOT, Settings, get_settings
from bot.web.console import register_console
from bot.web.errors import register_errors
from bot.web.hotline_panel import register_panel
from bot.core.params import in_db_range, whole_number
from bot.wechat.outbox import wechat_outbox

logger = logging.getLogger(__name__)
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
MESSAGE_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,63}$")
MAX_QUERY_CHARS = 500
MAX_TOP_K = 10
# The session's limit on any call to Rasa; a chat message waits CHAT_WAIT_SECONDS (settings).
RASA_TIMEOUT_SECONDS = 30
# The charting library, installed from its npm package by `make install` (never from a CDN).
ECHARTS = PROJECT_ROOT / "node_modules" / "echarts" / "dist" / "echarts.min.js"


class BadRequest(ValueError):
    """A request the API refuses, with a Chinese message naming the field."""


def json_response(body: Any, status: int = 200) -> HTTPResponse:
    """JSON with Chinese kept readable (no \\u escapes)."""
    return json(body, status=status, ensure_ascii=False)


def error(message: str, status: int = 400) -> HTTPResponse:
    return json_response({"error": message}, status=status)


def json_body(request: Request) -> Any:
    """The request's JSON, or None when the body is not JSON (sanic raises on it)."""
    try:
        return request.json
    except Exception:
        return None


def parse_search_args(request: Request, settings: Settings) -> dict[str, Any]:
    query = (request.args.get("q") or "").strip()
    if not query:
        raise BadRequest("参数 q 不能为空：请提供要查询的问题。")
    if len(query) > MAX_QUERY_CHARS:
        raise BadRequest(f"参数 q 过长：最多 {MAX_QUERY_CHARS} 个字。")
    region_text = (request.args.get("region") or "").strip()
    region = normalize_region(region_text) if region_text else None
    if region_text and region is None:
        raise BadRequest(f"参数 region 无法识别：“{region_text[:20]}”不是已知的地区名称。")
    top_k = whole_number(request.args.get("top_k") or "3", MAX_TOP_K)
    if top_k is None or top_k < 1:
        raise BadRequest(f"参数 top_k 须为 1 到 {MAX_TOP_K} 之间的整数。")
    as_of_text = request.args.get("as_of")
    try:
        as_of = dt.date.fromisoformat(as_of_text) if as_of_text else settings.today()
    except ValueError:
        raise BadRequest("参数 as_of 须为日期，格式如 2023-06-01。") from None
    return {"query": query, "region": region, "top_k": top_k, "as_of": as_of}


def message_id(request: Request, body: dict[str, Any]) -> str:
    """The message's id, the same when the request is sent again (the client's own, or the one
    the load balancer gave the request), so that Rasa answers it once (bot.channels.rest)."""
    for candidate in (body.get("message_id"), request.headers.get("X-Request-Id")):
        if isinstance(candidate, str) and MESSAGE_ID_RE.match(candidate):
            return candidate
    return uuid.uuid4().hex


def chat_message(reply: dict[str, Any]) -> dict[str, Any]:
    """A bot reply for the chat page: its text, and its buttons (title and what a tap sends)."""
    message: dict[str, Any] = {"text": reply["text"]}
    buttons = [
        {"title": str(b["title"]), "payload": str(b.get("payload") or b["title"])}
        for b in reply.get("buttons") or [] if isinstance(b, dict) and b.get("title")
    ]
    if buttons:
        message["buttons"] = buttons
    return message


async def handoff_state(sender: str) -> dict[str, Any] | None:
    """The conversation's open hand-off ticket, if any (None also when the registry is down)."""
    try:
        ticket = await asyncio.to_thread(open_ticket_for, sender)
    except SQLAlchemyError:
        return None
    return {"ticket": f"R{ticket.id}", "status": ticket.status} if ticket else None


def rasa_channel_headers(settings: Settings) -> dict[str, str]:
    """Rasa's REST channel answers only the web app, which proves itself with RASA_TOKEN."""
    return {"Authorization": f"Bearer {settings.rasa_token}"}


def create_app(
    settings: Settings | None = None,
    service: PolicyService | None = None,
    name: str = "shehui_jiuzhu_web",
) -> Sanic:
    settings = settings or get_settings()
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = 256 * 1024
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.settings = settings
    app.ctx.service = service

    def policy_service() -> PolicyService:
        # get_policy_service() follows the notices published in the console; a service given
        # to create_app (tests) is used as it is.
        return app.ctx.service if app.ctx.service is not None else get_policy_service()

    @app.listener("before_server_start")
    async def start(app_: Sanic, _loop: Any) -> None:
        app_.ctx.http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=RASA_TIMEOUT_SECONDS)
        )
        policy_service()
        default_parameters()
        # What is loaded now (the policy index, templates, modules: some 400,000 objects) lives as
        # long as the worker. Frozen, the collector no longer walks it in every full collection,
        # which cost a page that allocates much (the dashboard counting a year) about 100 ms of
        # CPU once in every few requests (issue 15).
        gc.collect()
        gc.freeze()

    @app.listener("after_server_start")
    async def push_wechat(app_: Sanic, _loop: Any) -> None:
        """Staff replies and status notices to residents on WeChat (when it is configured)."""
        outbox = wechat_outbox()
        if outbox is not None:
            app_.add_task(outbox.run())

    @app.listener("after_server_stop")
    async def stop(app_: Sanic, _loop: Any) -> None:
        await app_.ctx.http.close()

    @app.on_request
    async def route_numbers_in_range(request: Request) -> None:
        """A route's <id:int> too large for the database (20 digits) is an unknown page, not a 500."""
        if not all(in_db_range(value) for value in (request.match_info or {}).values()):
            raise NotFound("no such record")

    @app.exception(BadRequest)
    async def bad_request(_request: Request, exc: BadRequest) -> HTTPResponse:
        return error(str(exc))

    @app.get("/")
    async def index(_request: Request) -> HTTPResponse:
        return redirect("/chat")

    @app.get("/healthz")
    async def healthz(_request: Request) -> HTTPResponse:
        return json_response({"status": "ok"})

    @app.get("/chat")
    async def chat_page(request: Request) -> HTTPResponse:
        """The page; a browser without a valid conversation cookie is given a new conversation."""
        conversation = chat_session.request_conversation(request) or chat_session.new_conversation_id()
        return chat_session.bind(html(TEMPLATES.get_template("chat.html").render()), conversation)

    @app.post("/api/chat")
    async def chat(request: Request) -> HTTPResponse:
        """A resident's message to the assistant. The conversation is the one the browser's signed
        cookie names (a new one when it has none); a `sender` in the body is never used."""
        body = json_body(request)
        if not isinstance(body, dict):
            raise BadRequest("请求格式错误：需要 JSON 对象，如 {\"message\": \"…\"}。")
        message = body.get("message")
        if not isinstance(message, str):
            raise BadRequest("参数 message 须为文字。")
        sender = chat_session.request_conversation(request) or chat_session.new_conversation_id()
        if not message.strip():
            reply = json_response({"messages": [{"text": replies.text("common.input_issue.empty")}]})
            return chat_session.bind(reply, sender)
        if len(message) > settings.max_channel_chars:
            reply = json_response({"messages": [{"text": replies.text(
                "security.too_long", limit=settings.max_channel_chars)}]})
            return chat_session.bind(reply, sender)
        url = f"{settings.rasa_url}/webhooks/rest/webhook"
        sent = {"sender": sender, "message": message, "message_id": message_id(request, body),
                # where the message came from: status look-ups are also limited per address
                "metadata": {"client_address": request.remote_addr or request.ip or ""}}
        try:
            async with app.ctx.http.post(url, json=sent, headers=rasa_channel_headers(settings),
                                         timeout=aiohttp.ClientTimeout(total=settings.chat_wait_seconds)) as resp:
                if resp.status != 200:
                    logger.warning("Rasa answered HTTP %s", resp.status)
                    return chat_session.bind(error(replies.text("common.assistant_unavailable"), 503), sender)
                answered = await resp.json()
        except asyncio.TimeoutError:
            # Rasa goes on with the turn (bot.channels.rest). The same message sent again with
            # this id gets its answer once it is ready, and is not handled a second time.
            logger.warning("Rasa did not answer within %s s", settings.chat_wait_seconds)
            still = {"error": replies.text("common.assistant_still_working"), "pending": sent["message_id"]}
            return chat_session.bind(json_response(still, 504), sender)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            logger.warning("Rasa unreachable: %s", type(exc).__name__)
            return chat_session.bind(error(replies.text("common.assistant_unavailable"), 503), sender)
        messages = [chat_message(r) for r in answered if isinstance(r, dict) and r.get("text")] \
            if isinstance(answered, list) else []
        reply = json_response({"messages": messages, "handoff": await handoff_state(sender)})
        return chat_session.bind(reply, sender)

    @app.get("/api/chat/inbox")
    async def chat_inbox(request: Request) -> HTTPResponse:
        """Messages from staff (and notices) for the browser's own conversation, after the id the
        page has. Without the conversation's cookie there is nothing to read."""
        sender = chat_session.request_conversation(request)
        if sender is None:
            return error(replies.text("security.no_conversation"), 401)
        after = whole_number(request.args.get("after") or "0")
        if after is None:
            raise BadRequest("参数 after 须为非负整数。")
        try:
            messages = await asyncio.to_thread(take_outbox, sender, after)
        except SQLAlchemyError:
            logger.warning("outbox unavailable")
            return error(replies.text("common.assistant_unavailable"), 503)
        return json_response({
            "messages": [
                {"id": m.id, "text": m.text, "author": m.author_name, "at": to_local(m.created_at).strftime("%Y-%m-%d %H:%M")}
                for m in messages
            ],
            "handoff": await handoff_state(sender),
        })

    @app.get("/api/policy/search")
    async def policy_search(request: Request) -> HTTPResponse:
        args = parse_search_args(request, settings)
        region = args["region"]
        payload: dict[str, Any] = {
            "query": args["query"],
            "region": region.name if region else None,
            "as_of": args["as_of"].isoformat(),
        }
        if region is not None and not region.covered:
            return json_response({**payload, "answered": False, "results": [],
                         "message": region_not_covered_text(region)})
        result = policy_service().search(args["query"], region, args["top_k"], args["as_of"])
        return json_response({**payload, "answered": result.answered,
                     "results": [hit.to_json() for hit in result.hits]})

    app.static("/static", Path(__file__).parent / "static")
    app.static("/static/vendor/echarts.min.js", ECHARTS, content_type="application/javascript; charset=utf-8")
    register_errors(app)
    register_console(app)
    register_hotline(app)
    register_panel(app)

    @app.post("/api/screening")
    async def screening(request: Request) -> HTTPResponse:
        body = json_body(request)
        payload, status = screening_response(body, settings.today())
        return json_response(payload, status)

    return app


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    install_log_redaction()
    app = create_app(settings)
    app.run(host=settings.web_host, port=settings.web_port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
