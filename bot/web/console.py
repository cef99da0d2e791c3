"""The staff console (一门受理工作台) under /console.

Sessions live in a cookie (HttpOnly, SameSite=Strict, Path=/console, Secure unless COOKIE_SECURE=0)
whose value only the staff module can turn back into a user. Every POST carries the session's
CSRF token (a hidden form field, or the X-CSRF-Token header for fetch) and is refused when its
Origin header names another site. Database work runs in a thread, off the event loop.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import math
import os
import secrets
from functools import partial, wraps
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping, TypeVar
from urllib.parse import quote, unquote, urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, html, json as json_response, redirect, text
from sqlalchemy.exc import SQLAlchemyError

from bot.eligibility.parameters import CATALOGUE
from bot.handoff import tickets
from bot.handoff.delivery import DeliveryError
from bot.intake import registry, staff, workflow
from bot.intake.calendar import local_now, to_local
from bot.intake.errors import IntakeError, NotFound
from bot.intake.identity import mask_id_number, mask_mobile, mask_name
from bot.intake.models import (
    ASSIGNED,
    STATUSES,
    TICKET_ACTIVE,
    TICKET_CLOSED,
    TICKET_WAITING,
    TRANSFERRED,
    Application,
    HandoffTicket,
    Message,
    StaffUser,
)
from bot.questionnaire.flow import LABELS as ANSWER_LABELS, OUTCOME_NAMES, describe
from bot.web.charts import Bar, bar_chart, column_chart

PREFIX = "/console"
SESSION_COOKIE = "console_session"
LOGIN_COOKIE = "console_login"  # double-submit token of the login form (there is no session yet)
FLASH_COOKIE = "console_flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
PER_PAGE = 50
DASHBOARD_DAYS = 30
QUEUES = {"new": "新申请", "mine": "我的", "overdue": "已超期", "all": "全部"}
PROGRAM_NAMES = registry.PROGRAM_NAMES
CHANNEL_NAMES = registry.CHANNEL_NAMES
REASON_NAMES = {"requested": "居民要求转人工", "fallback": "多次未能理解", "hotline": "12345热线转交"}
TICKET_STATES = {TICKET_WAITING: "等待接手", TICKET_ACTIVE: "处理中", TICKET_CLOSED: "已交还机器人"}
ROLE_HOME = {"intake": "/console/queue/new", "supervisor": "/console/queue/new",
             "admin": "/console/admin/users", "operator": "/console/hotline"}
SUPERVISORS = ("supervisor", "admin")
# The intake console's pages; hotline operators have their own panel (bot/web/hotline.py).
CONSOLE_ROLES = ("intake", "supervisor", "admin")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
LOGIN_FAILED = "用户名或密码不正确。同一账户 15 分钟内连续输错 5 次将被暂时锁定。"
FORM_EXPIRED = "页面已过期或来源不明，请刷新页面后重试。"
SESSION_ENDED = "登录已失效，请重新登录。"
DATABASE_DOWN = "登记系统的数据库暂时无法连接，请稍后再试。如居民急需帮助，请先电话联系。"
T = TypeVar("T")
Handler = Callable[..., Awaitable[HTTPResponse]]

bp = Blueprint("console", url_prefix=PREFIX)
TEMPLATES = Environment(
    # Console templates by name ("queue.html"); other parts of the console under their folder
    # ("hotline/panel.html").
    loader=FileSystemLoader([Path(__file__).parent / "templates" / "console", Path(__file__).parent / "templates"]),
    autoescape=select_autoescape(["html"]),
)


def register_console(app: Sanic) -> None:
    app.blueprint(bp)


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


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTTPResponse:
    flash = context.pop("flash", None) or read_flash(request)
    body = TEMPLATES.get_template(template).render(
        user=getattr(request.ctx, "user", None),
        csrf=getattr(request.ctx, "csrf", ""),
        csrf_field=CSRF_FIELD,
        flash=flash,
        queues=QUEUES,
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


# ---- sessions, roles and CSRF ----

async def db(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs blocking database work in a worker thread."""
    return await asyncio.to_thread(partial(fn, *args, **kwargs))


def client_ip(request: Request) -> str | None:
    return request.remote_addr or request.ip or None


def same_origin(request: Request) -> bool:
    """False when an Origin header is present and names a host other than this one."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc == request.host


def tokens_match(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def csrf_ok(request: Request, expected: str) -> bool:
    given = request.headers.get(CSRF_HEADER) or (request.form.get(CSRF_FIELD) if request.form else None)
    return same_origin(request) and tokens_match(given, expected)


def refused(request: Request) -> HTTPResponse:
    if wants_json(request):
        return json_response({"error": FORM_EXPIRED}, status=403, ensure_ascii=False)
    return render(request, "error.html", status=403, title="请求被拒绝", message=FORM_EXPIRED)


def staff_only(*roles: str) -> Callable[[Handler], Handler]:
    """Requires a live session and one of `roles` (the intake console's roles when none are
    given); checks CSRF on POST."""
    allowed = roles or CONSOLE_ROLES

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            token = request.cookies.get(SESSION_COOKIE)
            found = await db(staff.session_for, token) if token else None
            if found is None:
                if wants_json(request) or request.path.startswith(f"{PREFIX}/api/"):
                    return json_response({"error": SESSION_ENDED}, status=401, ensure_ascii=False)
                return redirect(f"{PREFIX}/login?{urlencode({'next': request.path})}")
            request.ctx.user, request.ctx.csrf = found
            if request.method == "POST" and not csrf_ok(request, request.ctx.csrf):
                return refused(request)
            if request.ctx.user.role not in allowed:
                hint = "话务员请使用来电工作台（/console/hotline）。" if request.ctx.user.role == "operator" else ""
                return render(request, "error.html", status=403, title="无权访问",
                              message=f"您的账户角色不能使用此页面。{hint}")
            return await handler(request, *args, **kwargs)

        return guarded

    return decorate


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


# ---- login and logout ----

def safe_next(target: str | None, user: StaffUser) -> str:
    if target and target.startswith(f"{PREFIX}/") and not target.startswith("//") and "\\" not in target:
        return target
    return ROLE_HOME[user.role]


def login_page(request: Request, next_url: str, *, error: str | None = None,
               status: int = 200) -> HTTPResponse:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", status=status, title="登录", login_token=token,
                      next=next_url, flash={"kind": "error", "text": error} if error else None)
    set_cookie(response, LOGIN_COOKIE, token, path=f"{PREFIX}/login")
    return response


@bp.get("/")
async def home(request: Request) -> HTTPResponse:
    return redirect(f"{PREFIX}/queue/new")


@bp.get("/login")
async def login_form(request: Request) -> HTTPResponse:
    token = request.cookies.get(SESSION_COOKIE)
    found = await db(staff.session_for, token) if token else None
    if found is not None:
        return redirect(safe_next(request.args.get("next"), found[0]))
    return login_page(request, request.args.get("next", ""))


@bp.post("/login")
async def login(request: Request) -> HTTPResponse:
    form = request.form or {}
    if not same_origin(request) or not tokens_match(form.get(CSRF_FIELD), request.cookies.get(LOGIN_COOKIE, "")):
        return login_page(request, form.get("next", ""), error=FORM_EXPIRED, status=403)
    user = await db(staff.authenticate, form.get("username", ""), form.get("password", ""),
                    client_ip(request))
    if user is None:
        return login_page(request, form.get("next", ""), error=LOGIN_FAILED, status=401)
    token, _csrf = await db(staff.start_session, user)
    response = redirect(safe_next(form.get("next"), user))
    set_cookie(response, SESSION_COOKIE, token)  # a browser-session cookie; the server ends it after 8 idle hours
    clear_cookie(response, LOGIN_COOKIE, path=f"{PREFIX}/login")
    return response


@bp.post("/logout")
@staff_only(*staff.ROLE_LABELS)
async def logout(request: Request) -> HTTPResponse:
    await db(staff.end_session, request.cookies[SESSION_COOKIE], ip=client_ip(request))
    response = flash_redirect(f"{PREFIX}/login", "您已退出登录。")
    clear_cookie(response, SESSION_COOKIE)
    return response


# ---- queues ----

def parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def int_arg(args: Mapping[str, Any], name: str, default: int = 0) -> int:
    value = args.get(name) or ""
    return int(value) if value.isdigit() else default


def queue_filters(request: Request) -> dict[str, Any]:
    """The list filters of the query string, as registry.query_applications takes them."""
    args = request.args
    status = args.get("status") or None
    program = args.get("program") or None
    return {
        "status": status if status in STATUSES else None,
        "program": program if program in PROGRAM_NAMES else None,
        "date_from": parse_date(args.get("date_from")),
        "date_to": parse_date(args.get("date_to")),
        "district": (args.get("district") or "").strip() or None,
        "search": (args.get("q") or "").strip() or None,
    }


def filter_query(filters: Mapping[str, Any], **extra: Any) -> str:
    """The query string of these filters (for pagination and export links)."""
    names = {"search": "q"}
    pairs = {names.get(key, key): value for key, value in filters.items() if value}
    pairs.update({key: value for key, value in extra.items() if value})
    return urlencode({key: str(value) for key, value in pairs.items()})


@bp.get("/queue/<queue:str>")
@staff_only()
async def queue_page(request: Request, queue: str) -> HTTPResponse:
    if queue not in QUEUES:
        return not_found(request)
    user = request.ctx.user
    filters = queue_filters(request) if queue == "all" else {}
    page = max(int_arg(request.args, "page", 1), 1)
    applications, total = await db(registry.query_applications, user, queue=queue, page=page,
                                   per_page=PER_PAGE, **filters)
    return render(
        request, "queue.html", title=QUEUES[queue], active=queue, applications=applications,
        total=total, page=page, pages=max(math.ceil(total / PER_PAGE), 1), filters=filters,
        statuses=STATUSES, programs=PROGRAM_NAMES, today=local_now().date(),
        page_query=lambda number: filter_query(filters, page=number),
        export_query=filter_query(filters),
    )


@bp.get("/export.csv")
@staff_only()
async def export(request: Request) -> HTTPResponse:
    """The applications of the 全部 filters as CSV (masked; the export is audited)."""
    user = request.ctx.user
    filters = queue_filters(request)
    body = await db(registry.export_csv, user, **filters)
    await db(registry.audit, user, "export_csv", detail=filter_query(filters) or None,
             ip=client_ip(request))
    filename = f"applications-{local_now():%Y%m%d-%H%M}.csv"
    return text(body, content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def ticket_row(ticket: HandoffTicket) -> dict[str, Any]:
    """A hand-off list row (JSON for the live update; the transcript preview is masked)."""
    return {
        "id": ticket.id,
        "url": f"{PREFIX}/tickets/{ticket.id}",
        "created": local_time(ticket.created_at),
        "channel": CHANNEL_NAMES.get(ticket.channel, ticket.channel),
        "reason": REASON_NAMES.get(ticket.reason, ticket.reason),
        "district": ticket.district or "未定",
        "status": TICKET_STATES.get(ticket.status, ticket.status),
        "assignee": ticket.assignee.display_name if ticket.assignee else "",
        "preview": tickets.transcript_preview(ticket),
    }


@bp.get("/handoffs")
@staff_only()
async def handoffs_page(request: Request) -> HTTPResponse:
    user = request.ctx.user
    waiting = await db(tickets.list_tickets, user, status=TICKET_WAITING)
    active = await db(tickets.list_tickets, user, status=TICKET_ACTIVE)
    rows = [ticket_row(ticket) for ticket in waiting + active]
    return render(request, "handoffs.html", title="人工会话", active="handoffs", rows=rows,
                  latest=max((row["id"] for row in rows), default=0))


# ---- application detail and staff actions ----

def visible_application(user: StaffUser, number: str) -> Any:
    """The application with this 受理编号; NotFound also when the user may not see it."""
    application = registry.get_application(number)
    if not registry.can_view(user, application):
        raise NotFound()
    return application


def may_take(user: StaffUser, to_status: str) -> bool:
    """分办 (assigning to a person or department) is a supervisor's step."""
    return to_status != ASSIGNED or user.role in SUPERVISORS


def answer_text(path: str, value: Any) -> str:
    try:
        return describe(path, value)
    except (KeyError, TypeError, ValueError):
        return str(value)


def parameter_rows(parameters: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(name, effective date, citation) of each parameter value the screening rested on."""
    return [(CATALOGUE[name].label if name in CATALOGUE else name, str(entry.get("effective", "")),
             str(entry.get("citation", "")))
            for name, entry in parameters.items() if isinstance(entry, dict)]


def program_view(program: Mapping[str, Any]) -> dict[str, Any]:
    amount = program.get("amount")
    return {
        **program,
        "outcome_name": OUTCOME_NAMES.get(program.get("outcome"), program.get("outcome")),
        "amount_text": f"{amount['value']:g}{amount['unit']}" if isinstance(amount, dict) else "",
        "missing_names": [ANSWER_LABELS.get(path, path) for path in program.get("missing") or []],
    }


def screening_view(screening: Mapping[str, Any] | None, applied: list[str]) -> dict[str, Any] | None:
    """The screening snapshot for the detail page: labelled answers, each program's outcome with
    its cited reasons (the programs applied for first, the others apart), and the dated
    parameters it rested on."""
    if not screening:
        return None
    answers = screening.get("answers") or {}
    region = screening.get("region")
    programs = [program_view(p) for p in screening.get("programs") or [] if isinstance(p, dict)]
    return {
        "answers": [(ANSWER_LABELS.get(path, path), answer_text(path, value))
                    for path, value in answers.items()],
        "programs": [p for p in programs if p.get("program") in applied],
        "other_programs": [p for p in programs if p.get("program") not in applied],
        "as_of": screening.get("as_of") or "",
        "region": answer_text("region", region) if region else "",
        "parameters": parameter_rows(screening.get("parameters") or {}),
    }


@bp.get("/applications/<number:str>")
@staff_only()
async def application_page(request: Request, number: str) -> HTTPResponse:
    user = request.ctx.user
    try:
        application = await db(visible_application, user, number)
    except NotFound:
        return not_found(request)
    await db(registry.audit, user, "view_application", object_type="application",
             object_id=application.number, ip=client_ip(request))
    messages = await db(registry.application_messages, application.id)
    transitions = [(status, workflow.ACTION_LABELS[status])
                   for status in workflow.allowed_transitions(application.status) if may_take(user, status)]
    assignees = await db(staff.list_users, active_only=True) if user.role in SUPERVISORS else []
    return render(
        request, "application.html", title=f"申请 {application.number}", active="",
        application=application, applicant=application.applicant, messages=messages,
        screening=screening_view(application.screening, application.programs), transitions=transitions,
        assignees=[person for person in assignees if person.role in ("intake", "supervisor")],
        today=local_now().date(), note_required=workflow.NOTE_REQUIRED, ASSIGNED=ASSIGNED,
        TRANSFERRED=TRANSFERRED,
    )


def optional_int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@bp.post("/applications/<number:str>/transition")
@staff_only()
async def application_transition(request: Request, number: str) -> HTTPResponse:
    user, form = request.ctx.user, request.form
    back = f"{PREFIX}/applications/{quote(number)}"
    to_status = form.get("to_status", "")
    if not may_take(user, to_status):
        return flash_redirect(back, "分办由主管操作，请联系主管。", "error")

    def act() -> Application:
        application = visible_application(user, number)
        return registry.transition(
            application.id, to_status, user, note=form.get("note"),
            expected_version=optional_int(form.get("expected_version")) or 0,
            assignee_id=optional_int(form.get("assignee_id")),
            department=(form.get("department") or "").strip() or None,
            target_district=(form.get("target_district") or "").strip() or None,
        )

    def still_visible(moved: Application) -> str:
        """Back to the case, unless a 转办 took it out of the user's district."""
        return back if registry.can_view(user, moved) else f"{PREFIX}/queue/new"

    label = workflow.ACTION_LABELS.get(to_status, to_status)
    return await perform(request, back, act, f"已{label}，并已通知居民。", still_visible)


@bp.post("/applications/<number:str>/reply")
@staff_only()
async def application_reply(request: Request, number: str) -> HTTPResponse:
    user = request.ctx.user
    back = f"{PREFIX}/applications/{quote(number)}"

    def act() -> None:
        application = visible_application(user, number)
        tickets.reply_to_application(application.id, user, request.form.get("text", ""))

    return await perform(request, back, act, "回复已发送给居民。")


# ---- hand-off tickets ----

def message_row(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "direction": message.direction,
        "author": message.author_name,
        "text": message.text,
        "time": local_time(message.created_at),
    }


def linked_application_number(user: StaffUser, ticket: HandoffTicket) -> str | None:
    """The 受理编号 of the ticket's application, when there is one the user may see."""
    if ticket.application_id is None:
        return None
    application = registry.get_application(ticket.application_id)
    return application.number if registry.can_view(user, application) else None


@bp.get("/tickets/<ticket_id:int>")
@staff_only()
async def ticket_page(request: Request, ticket_id: int) -> HTTPResponse:
    user = request.ctx.user
    try:
        ticket = await db(tickets.get_ticket, ticket_id, user)
    except NotFound:
        return not_found(request)
    messages = [message_row(message) for message in ticket.messages]
    return render(request, "ticket.html", title=f"人工会话 R{ticket.id}", active="handoffs",
                  ticket=ticket, messages=messages,
                  application_number=await db(linked_application_number, user, ticket),
                  last_message=max((m["id"] for m in messages), default=0),
                  WAITING=TICKET_WAITING, CLOSED=TICKET_CLOSED)


@bp.post("/tickets/<ticket_id:int>/claim")
@staff_only()
async def ticket_claim(request: Request, ticket_id: int) -> HTTPResponse:
    user = request.ctx.user
    version = optional_int(request.form.get("expected_version")) or 0
    return await perform(request, f"{PREFIX}/tickets/{ticket_id}",
                         partial(tickets.claim, ticket_id, user, expected_version=version),
                         "已接手该会话，请尽快回复居民。")


@bp.post("/tickets/<ticket_id:int>/reply")
@staff_only()
async def ticket_reply(request: Request, ticket_id: int) -> HTTPResponse:
    """A reply to the resident: JSON for the page's fetch(), a redirect for a plain form post."""
    user = request.ctx.user
    reply = partial(tickets.staff_reply, ticket_id, user, request.form.get("text", ""))
    if not wants_json(request):
        return await perform(request, f"{PREFIX}/tickets/{ticket_id}", reply, "回复已发送。")
    try:
        message = await db(reply)
    except NotFound:
        return json_response({"error": tickets.TICKET_GONE}, status=404, ensure_ascii=False)
    except (IntakeError, DeliveryError) as exc:
        return json_response({"error": exc.message}, status=409, ensure_ascii=False)
    return json_response({"message": message_row(message)}, ensure_ascii=False)


@bp.post("/tickets/<ticket_id:int>/hand-back")
@staff_only()
async def ticket_hand_back(request: Request, ticket_id: int) -> HTTPResponse:
    user = request.ctx.user
    try:
        ticket = await db(tickets.get_ticket, ticket_id, user)
    except NotFound:
        return not_found(request)
    done = ("已办结（12345来电已回电处理）。" if ticket.channel == tickets.PHONE_CHANNEL
            else "已交还智能助手，居民可以继续和助手对话。")
    return await perform(request, f"{PREFIX}/tickets/{ticket_id}",
                         partial(tickets.hand_back, ticket_id, user), done)


# ---- live updates ----

def collect_updates(user: StaffUser, after_ticket: int, ticket_id: int, after_message: int) -> dict[str, Any]:
    """Counts for the navigation badges, new waiting hand-offs, and a ticket's new messages."""
    waiting = tickets.list_tickets(user, status=TICKET_WAITING)
    _rows, new_count = registry.query_applications(user, queue="new", page=1, per_page=1)
    payload: dict[str, Any] = {
        "waiting": len(waiting),
        "new_applications": new_count,
        "overdue": registry.overdue_count(user, local_now().date()),
        "latest_ticket": tickets.latest_ticket_id(user),
        "tickets": [ticket_row(ticket) for ticket in waiting if ticket.id > after_ticket],
    }
    if ticket_id:
        ticket = tickets.get_ticket(ticket_id, user)
        payload["ticket_status"] = TICKET_STATES[ticket.status]
        payload["messages"] = [message_row(m) for m in ticket.messages if m.id > after_message]
    return payload


@bp.get("/api/updates")
@staff_only()
async def updates(request: Request) -> HTTPResponse:
    args = request.args
    try:
        payload = await db(collect_updates, request.ctx.user, int_arg(args, "after_ticket"),
                           int_arg(args, "ticket"), int_arg(args, "after_message"))
    except NotFound:
        return json_response({"error": tickets.TICKET_GONE}, status=404, ensure_ascii=False)
    return json_response(payload, ensure_ascii=False)


# ---- supervisor dashboard ----

def dashboard_charts(figures: Mapping[str, Any]) -> dict[str, Any]:
    per_day = [Bar(day[5:], count) for day, count in figures["per_day"]]
    per_program = [Bar(PROGRAM_NAMES.get(key, key), count)
                   for key, count in sorted(figures["per_program"].items(), key=lambda item: -item[1])]
    per_status = [Bar(status, figures["per_status"].get(status, 0)) for status in STATUSES]
    return {
        "per_day": column_chart(per_day, f"近{len(per_day)}天每日登记的申请数"),
        "per_program": bar_chart(per_program, "各救助项目的申请数"),
        "per_status": bar_chart(per_status, "各状态的申请数", label_width=110),
        "total": sum(count for _day, count in figures["per_day"]),
        "overdue": figures["overdue"],
    }


@bp.get("/dashboard")
@staff_only(*SUPERVISORS)
async def dashboard_page(request: Request) -> HTTPResponse:
    figures = await db(registry.dashboard, request.ctx.user, days=DASHBOARD_DAYS)
    return render(request, "dashboard.html", title="统计看板", active="dashboard",
                  charts=dashboard_charts(figures), days=DASHBOARD_DAYS)


# ---- user administration ----

@bp.get("/admin/users")
@staff_only("admin")
async def users_page(request: Request) -> HTTPResponse:
    users = await db(staff.list_users)
    return render(request, "users.html", title="账户管理", active="users", users=users,
                  roles=staff.ROLE_LABELS, min_password=staff.MIN_PASSWORD_CHARS)


@bp.post("/admin/users")
@staff_only("admin")
async def user_create(request: Request) -> HTTPResponse:
    form = request.form
    act = partial(staff.create_user, form.get("username", ""), form.get("display_name", ""),
                  form.get("password", ""), form.get("role", ""), form.get("district"),
                  actor=request.ctx.user)
    return await perform(request, f"{PREFIX}/admin/users", act,
                         f"已创建账户 {form.get('username', '').strip()}。")


@bp.post("/admin/users/<user_id:int>/active")
@staff_only("admin")
async def user_active(request: Request, user_id: int) -> HTTPResponse:
    active = request.form.get("active") == "1"
    act = partial(staff.set_active, user_id, active, actor=request.ctx.user)
    return await perform(request, f"{PREFIX}/admin/users", act,
                         "账户已启用。" if active else "账户已停用，其登录已失效。")


@bp.post("/admin/users/<user_id:int>/password")
@staff_only("admin")
async def user_password(request: Request, user_id: int) -> HTTPResponse:
    act = partial(staff.reset_password, user_id, request.form.get("password", ""), actor=request.ctx.user)
    return await perform(request, f"{PREFIX}/admin/users", act, "密码已重置，该账户原有登录已失效。")
