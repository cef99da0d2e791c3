"""What every page of the staff console (一门受理工作台) shares: the blueprint under /console, its
templates and filters, flash messages, rendering, running database work off the event loop, and
turning a refused staff action into a message. Sessions, roles and CSRF: bot.web.console.security."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from functools import partial
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping, TypeVar
from urllib.parse import quote, unquote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse, html, json as json_response, redirect
from sqlalchemy.exc import SQLAlchemyError

from bot.core.calendar import get_calendar, local_now, to_local, unknown_years_warning
from bot.core.errors import IntakeError, NotFound
from bot.core.models import TICKET_ACTIVE, TICKET_CLOSED, TICKET_WAITING, StaffUser
from bot.core.privacy import mask_id_number, mask_mobile, mask_name
from bot.handoff.delivery import DeliveryError
from bot.intake import registry, staff
from bot.core.params import whole_number

PREFIX = "/console"
FLASH_COOKIE = "console_flash"
CSRF_FIELD = "csrf_token"
PER_PAGE = 50
QUEUES = {"new": "新申请", "mine": "我的", "overdue": "已超期", "all": "全部"}
PROGRAM_NAMES = registry.PROGRAM_NAMES
CHANNEL_NAMES = registry.CHANNEL_NAMES
REASON_NAMES = {"requested": "居民要求转人工", "fallback": "多次未能理解", "hotline": "12345热线转交"}
TICKET_STATES = {TICKET_WAITING: "等待接手", TICKET_ACTIVE: "处理中", TICKET_CLOSED: "已交还机器人"}
SUPERVISORS = ("supervisor", "admin")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
DATABASE_DOWN = "登记系统的数据库暂时无法连接，请稍后再试。如居民急需帮助，请先电话联系。"
T = TypeVar("T")
Handler = Callable[..., Awaitable[HTTPResponse]]

bp = Blueprint("console", url_prefix=PREFIX)
TEMPLATES = Environment(
    # Console templates by name ("queue.html"); other parts of the console under their folder
    # ("hotline/panel.html").
    loader=FileSystemLoader([Path(__file__).parent.parent / "templates" / "console",
                             Path(__file__).parent.parent / "templates"]),
    autoescape=select_autoescape(["html"]),
)

# ---- display helpers (Jinja filters) ----

def local_time(value: dt.datetime | None) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def program_names(keys: list[str] | None) -> str:
    return "、".join(PROGRAM_NAMES.get(key, key) for key in keys or [])


TEMPLATES.filters.update(
    local_time=local_time,
    program_names=program_names,
    program_name=lambda key: PROGRAM_NAMES.get(key, key),
    channel=lambda key: CHANNEL_NAMES.get(key, key),
    reason=lambda key: REASON_NAMES.get(key, key),
    ticket_state=lambda key: TICKET_STATES.get(key, key),
    role=lambda key: staff.ROLE_LABELS.get(key, key),
    mask_name=mask_name,
    mask_mobile=mask_mobile,
    mask_id=mask_id_number,
)


# ---- cookies, flash messages, rendering ----

def cookie_secure() -> bool:
    """Secure cookies unless COOKIE_SECURE=0 (plain HTTP on a host other than loopback)."""
    return os.environ.get("COOKIE_SECURE", "1").strip() != "0"


def set_cookie(response: HTTPResponse, name: str, value: str, *, max_age: int | None = None,
               path: str = PREFIX) -> None:
    response.cookies[name] = value
    cookie = response.cookies[name]
    cookie["path"] = path
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["secure"] = cookie_secure()
    if max_age is not None:
        cookie["max-age"] = max_age


def clear_cookie(response: HTTPResponse, name: str, path: str = PREFIX) -> None:
    set_cookie(response, name, "", max_age=0, path=path)


def flash_redirect(url: str, message: str, kind: str = "ok") -> HTTPResponse:
    """Redirects and shows `message` once on the next page (kind: ok | error)."""
    response = redirect(url)
    set_cookie(response, FLASH_COOKIE, quote(json.dumps({"kind": kind, "text": message})), max_age=60)
    return response


def read_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        flash = json.loads(unquote(raw))
    except ValueError:
        return None
    if not isinstance(flash, dict) or flash.get("kind") not in ("ok", "error"):
        return None
    return {"kind": flash["kind"], "text": str(flash.get("text", ""))[:300]}


def admin_warning(user: StaffUser | None) -> str | None:
    """What administrators and supervisors must act on (a year without holiday data ahead)."""
    if user is None or user.role not in SUPERVISORS:
        return None
    return unknown_years_warning(get_calendar(), local_now().date())


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTTPResponse:
    flash = context.pop("flash", None) or read_flash(request)
    user = getattr(request.ctx, "user", None)
    body = TEMPLATES.get_template(template).render(
        user=user,
        csrf=getattr(request.ctx, "csrf", ""),
        csrf_field=CSRF_FIELD,
        flash=flash,
        queues=QUEUES,
        admin_warning=admin_warning(user),
        **context,
    )
    response = html(body, status=status)
    if request.cookies.get(FLASH_COOKIE):
        clear_cookie(response, FLASH_COOKIE)
    return response


def not_found(request: Request) -> HTTPResponse:
    return render(request, "error.html", status=404, title="未找到",
                  message="没有找到该页面或事项，或您无权查看。")


def wants_json(request: Request) -> bool:
    return "application/json" in (request.headers.get("accept") or "")




async def db(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs blocking database work in a worker thread."""
    return await asyncio.to_thread(partial(fn, *args, **kwargs))


# A body over the limit is still read (and thrown away) up to this many times the limit: a
# browser sends the whole file before it reads the answer, and shows a reset connection, not the
# page saying the file is too large, when the server stops reading early.
DRAIN_FACTOR = 4


async def receive_bounded(request: Request, limit: int) -> bool:
    """Reads the body of a streaming route (stream=True: Sanic 21.12 lifts REQUEST_MAX_SIZE for
    it and leaves the body unread) into request.body when it is at most `limit` bytes, and says
    whether it was. A larger body is never kept: it is read on and dropped up to DRAIN_FACTOR ×
    limit (request.stream.request_max_size bounds what Sanic reads), beyond that not read at all,
    and Sanic closes the connection after the answer."""
    stream = request.stream
    if stream is None or request.body:
        return True
    drain = limit * DRAIN_FACTOR
    declared = request.headers.get("content-length") or ""
    if declared.isdigit() and int(declared) > drain:
        return False
    stream.request_max_size = drain
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in stream:
            size += len(chunk)
            if size <= limit:
                chunks.append(chunk)
            elif chunks:
                chunks.clear()
    except PayloadTooLarge:  # a chunked body longer than `drain`
        return False
    if size > limit:
        return False
    request.body = b"".join(chunks)
    return True


def client_ip(request: Request) -> str | None:
    return request.remote_addr or request.ip or None


async def perform(request: Request, back: str, action: Callable[[], T], done: str,
                  next_url: Callable[[T], str] | None = None) -> HTTPResponse:
    """Runs a staff action and goes back (or to `next_url(result)`) with `done` as the message;
    a refusal (conflict, illegal step, bad field, assistant unreachable) becomes the message."""
    try:
        result = await db(action)
    except NotFound:
        return not_found(request)
    except (IntakeError, DeliveryError) as exc:
        return flash_redirect(back, exc.message, "error")
    return flash_redirect(next_url(result) if next_url else back, done)


@bp.exception(SQLAlchemyError)
async def database_down(request: Request, _exc: SQLAlchemyError) -> HTTPResponse:
    if wants_json(request) or request.path.startswith(f"{PREFIX}/api/"):
        return json_response({"error": DATABASE_DOWN}, status=503, ensure_ascii=False)
    return render(request, "error.html", status=503, title="暂时无法使用", message=DATABASE_DOWN)


@bp.middleware("response")
async def security_headers(_request: Request, response: HTTPResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)



# ---- query-string values ----

def parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def int_arg(args: Mapping[str, Any], name: str, default: int = 0) -> int:
    number = whole_number(args.get(name) or "")
    return default if number is None else number



def optional_int(value: str | None) -> int | None:
    return whole_number(value)
