"""The 12345 hotline platform's side of the assistant: signed events of a call, suggestions back.

The platform posts JSON to three endpoints of the web app:

    POST /api/hotline/calls/start  {"call_id", "operator_id", "ts", "caller_number"?}
    POST /api/hotline/utterances   {"call_id", "operator_id", "speaker": "caller"|"operator",
                                    "text", "ts", "utterance_id"?}
    POST /api/hotline/calls/end    {"call_id", "operator_id", "ts"}

`ts` is Unix time in seconds (a fraction allowed) or an ISO 8601 time (China time without an
offset). `operator_id` is the operator's username in the staff console, whose panel shows the call.

Every request is signed with the shared secret HOTLINE_SECRET:
    X-Hotline-Timestamp: Unix seconds when the request was sent (accepted within 5 minutes)
    X-Hotline-Nonce: a fresh random string (8–64 of A-Z a-z 0-9 _ -) for every request
    X-Hotline-Signature: hex HMAC-SHA256 of "<timestamp>.<nonce>.<raw body>"
A missing or wrong signature gets 401, a nonce used before 403 (a replay). Each answer for a
caller's utterance carries the suggestions (bot.hotline.assist) with the phone and ID numbers
masked. Utterances are placed by `ts`, so one that arrives late joins the transcript where it
belongs; one sent again (same utterance_id, or same speaker, ts and text) is not stored twice.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from functools import partial
from typing import Any, Callable, TypeVar

from sanic import Blueprint, Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy.exc import SQLAlchemyError

from bot.hotline import calls, signing
from bot.hotline.signing import PREFIX
from bot.hotline.assist import SPEAKERS, assess, heard_lines, masked
from bot.hotline.notify import CallWatcher
from bot.web.background import run_while_serving
from bot.core.calendar import TZ
from bot.core.db import utcnow
from bot.core.errors import Conflict, IntakeError, InvalidField, NotFound
from bot.knowledge.service import PolicyService, get_policy_service
from bot.settings import get_settings

log = logging.getLogger(__name__)
MAX_UTTERANCE_CHARS = 1000
MAX_FUTURE = dt.timedelta(minutes=5)
ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
PHONE_RE = re.compile(r"^\+?[0-9 -]{3,20}$")
NOT_CONFIGURED = "热线接口尚未配置共享密钥（HOTLINE_SECRET），暂不接收请求。"
DATABASE_DOWN = "热线助手的数据库暂时无法连接，请求未处理，请稍后重发（已记录的内容不受影响）。"
T = TypeVar("T")

bp = Blueprint("hotline_channel", url_prefix=PREFIX)


class Refused(Exception):
    """A request the endpoint refuses: an HTTP status and a Chinese message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def register_hotline(app: Sanic) -> None:
    app.ctx.hotline_watcher = CallWatcher(calls.changed_since)
    run_while_serving(app, "hotline_watch", app.ctx.hotline_watcher.run)
    app.blueprint(bp)


# ---- signing ----

def authenticate(request: Request, secret: str, now: float | None = None) -> str:
    """The request's nonce when its signature is right and fresh; Refused otherwise."""
    if not secret:
        raise Refused(503, NOT_CONFIGURED)
    try:
        return signing.verify(secret, request.headers, request.body or b"", now)
    except signing.BadSignature as error:
        raise Refused(401, error.message) from None


# ---- the request body ----

def body_of(request: Request) -> dict[str, Any]:
    try:
        body = request.json
    except Exception:
        body = None
    if not isinstance(body, dict):
        raise Refused(400, "请求格式错误：需要 JSON 对象。")
    return body


def identifier(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not ID_RE.match(value):
        raise Refused(400, f"参数 {name} 须为 1 到 64 位的字母、数字或 _ . : -。")
    return value


def moment(body: dict[str, Any], name: str = "ts") -> dt.datetime:
    """`ts` as naive UTC: Unix seconds, or ISO 8601 (China time when it has no offset)."""
    value = body.get(name)
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        if isinstance(value, (int, float)):
            when = dt.datetime.fromtimestamp(float(value), tz=dt.timezone.utc)
        elif isinstance(value, str) and value.strip():
            when = dt.datetime.fromisoformat(value.strip())
            when = when.replace(tzinfo=TZ) if when.tzinfo is None else when
        else:
            raise ValueError(value)
    except (ValueError, OverflowError, OSError):
        raise Refused(400, f"参数 {name} 须为时间：Unix 秒数（如 1795400000.5）或 ISO 8601（如 2026-11-23T09:30:00+08:00）。") from None
    utc = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if utc > utcnow() + MAX_FUTURE:
        raise Refused(400, f"参数 {name} 的时间在未来，请检查平台时钟。")
    return utc


def utterance_text(body: dict[str, Any]) -> str:
    text = body.get("text")
    if not isinstance(text, str):
        raise Refused(400, "参数 text 须为文字（语音转写的内容）。")
    text = " ".join(text.split())
    if not text:
        raise Refused(400, "参数 text 为空：空的语句不记录。")
    if len(text) > MAX_UTTERANCE_CHARS:
        raise Refused(400, f"参数 text 过长：一句最多 {MAX_UTTERANCE_CHARS} 个字（收到 {len(text)} 个字），请分句发送。")
    return text


def speaker_of(body: dict[str, Any]) -> str:
    speaker = body.get("speaker")
    if speaker not in SPEAKERS:
        raise Refused(400, "参数 speaker 须为 \"caller\"（来电人）或 \"operator\"（话务员）。")
    return speaker


def optional_text(body: dict[str, Any], name: str, pattern: re.Pattern[str]) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not pattern.match(value):
        raise Refused(400, f"参数 {name} 格式不正确。")
    return value


# ---- handlers ----

async def db(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(partial(fn, *args, **kwargs))


def policy_service(app: Sanic) -> PolicyService:
    service = getattr(app.ctx, "service", None)
    return service if service is not None else get_policy_service()  # follows published notices


def public(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """The suggestions as they leave for the platform: phone and ID numbers masked."""
    if state is None:
        return None
    return {**state, "work_order": masked(state["work_order"])}


@bp.exception(Refused)
async def refused(_request: Request, exc: Refused) -> HTTPResponse:
    return json({"error": exc.message}, status=exc.status, ensure_ascii=False)


ERROR_STATUS = ((NotFound, 404), (Conflict, 409), (calls.Replayed, 403), (InvalidField, 400))


@bp.exception(IntakeError)
async def intake_error(_request: Request, exc: IntakeError) -> HTTPResponse:
    status = next((code for kind, code in ERROR_STATUS if isinstance(exc, kind)), 400)
    return json({"error": exc.message}, status=status, ensure_ascii=False)


@bp.exception(SQLAlchemyError)
async def database_down(_request: Request, exc: SQLAlchemyError) -> HTTPResponse:
    log.warning("hotline: database unavailable (%s)", type(exc).__name__)
    return json({"error": DATABASE_DOWN}, status=503, ensure_ascii=False)


@bp.post("/calls/start")
async def call_start(request: Request) -> HTTPResponse:
    nonce = authenticate(request, get_settings().hotline_secret)
    body = body_of(request)
    call_id, operator_id = identifier(body, "call_id"), identifier(body, "operator_id")
    number = optional_text(body, "caller_number", PHONE_RE)
    call, created = await db(calls.start_call, call_id, operator_id, moment(body), nonce,
                             number.replace(" ", "").replace("-", "") if number else None)
    request.app.ctx.hotline_watcher.poke()
    return json({"call_id": call.call_id, "started": created, "status": call.status,
                 "version": call.version}, status=201 if created else 200, ensure_ascii=False)


@bp.post("/utterances")
async def utterance(request: Request) -> HTTPResponse:
    nonce = authenticate(request, get_settings().hotline_secret)
    body = body_of(request)
    call_id, operator_id = identifier(body, "call_id"), identifier(body, "operator_id")
    speaker, text, spoken_at = speaker_of(body), utterance_text(body), moment(body)
    utterance_id = optional_text(body, "utterance_id", ID_RE)
    settings = get_settings()
    stored = await db(calls.add_utterance, call_id, operator_id, speaker, text, spoken_at, nonce, utterance_id,
                      assess=Suggest(policy_service(request.app), settings.today()))
    request.app.ctx.hotline_watcher.poke()
    return json({
        "call_id": call_id, "accepted": True, "duplicate": stored.duplicate, "late": stored.late,
        "revision": stored.revision, "speaker": speaker, "suggestions": public(stored.state),
    }, ensure_ascii=False)


class Suggest:
    """The suggestions for a transcript (calls.Assess), with what they are computed from: an
    utterance that does not change it (an operator's, at the end) keeps the suggestions stored."""

    def __init__(self, service: PolicyService, as_of: dt.date) -> None:
        self.service, self.as_of = service, as_of

    def __call__(self, lines: list[Any], caller_number: str | None) -> dict[str, Any]:
        return assess(lines, service=self.service, as_of=self.as_of, caller_number=caller_number)

    @staticmethod
    def content(lines: list[Any], caller_number: str | None) -> Any:
        return caller_number, heard_lines(lines)


@bp.post("/calls/end")
async def call_end(request: Request) -> HTTPResponse:
    nonce = authenticate(request, get_settings().hotline_secret)
    body = body_of(request)
    call_id, operator_id = identifier(body, "call_id"), identifier(body, "operator_id")
    call, ended = await db(calls.end_call, call_id, operator_id, moment(body), nonce)
    request.app.ctx.hotline_watcher.poke()
    return json({"call_id": call.call_id, "ended": ended, "status": call.status, "version": call.version},
                ensure_ascii=False)
