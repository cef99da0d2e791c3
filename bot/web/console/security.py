"""Staff sessions, roles and CSRF for every console page (the hotline panel included), and the
login and logout pages.

Sessions live in a cookie (HttpOnly, SameSite=Strict, Path=/console, Secure unless COOKIE_SECURE=0)
whose value only the staff module can turn back into a user. Every POST carries the session's
CSRF token (a hidden form field, or the X-CSRF-Token header for fetch) and is refused when its
Origin header names another site.
"""
from __future__ import annotations

import hmac
import secrets
from functools import wraps
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

from sanic.request import Request
from sanic.response import HTTPResponse, json as json_response, redirect

from bot.core.models import StaffUser
from bot.intake import staff
from bot.web.console.base import (
    CSRF_FIELD, PREFIX, Handler, bp, clear_cookie, client_ip, db, flash_redirect, receive_bounded, render,
    set_cookie, wants_json,
)

SESSION_COOKIE = "console_session"
LOGIN_COOKIE = "console_login"  # double-submit token of the login form (there is no session yet)
CSRF_HEADER = "X-CSRF-Token"
ROLE_HOME = {"intake": "/console/queue/new", "supervisor": "/console/queue/new",
             "admin": "/console/admin/users", "operator": "/console/hotline"}
# The intake console's pages; hotline operators have their own panel (bot/web/hotline_panel.py).
CONSOLE_ROLES = ("intake", "supervisor", "admin")
LOGIN_FAILED = "用户名或密码不正确。同一账户在同一网络地址 15 分钟内输错 5 次，将暂时不能从该地址登录。"
FORM_EXPIRED = "页面已过期或来源不明，请刷新页面后重试。"
SESSION_ENDED = "登录已失效，请重新登录。"


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


def staff_only(*roles: str, body_limit: Callable[[], int] | None = None) -> Callable[[Handler], Handler]:
    """Requires a live session and one of `roles` (the intake console's roles when none are
    given); checks CSRF on POST.

    `body_limit` is for a route declared with stream=True (a file upload larger than the app's
    request cap): once the session is known, the body is read up to body_limit() bytes
    (receive_bounded). A larger one sets request.ctx.body_too_large and is not read: its CSRF token
    is unknown, so the handler must only say that the file is too large, and change nothing."""
    allowed = roles or CONSOLE_ROLES

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            response = await checked(request, *args, **kwargs)
            stream = request.stream
            if body_limit is not None and stream is not None and stream.request_body:
                # A streaming route answered without reading the whole body (no session, a file too
                # large): Sanic then drops the connection. Saying so in the answer ("Connection:
                # close") keeps a client from sending its next request on it and meeting a reset.
                stream.keep_alive = False
            return response

        async def checked(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            token = request.cookies.get(SESSION_COOKIE)
            found = await db(staff.session_for, token) if token else None
            if found is None:
                if wants_json(request) or request.path.startswith(f"{PREFIX}/api/"):
                    return json_response({"error": SESSION_ENDED}, status=401, ensure_ascii=False)
                return redirect(f"{PREFIX}/login?{urlencode({'next': request.path})}")
            request.ctx.user, request.ctx.csrf = found
            request.ctx.body_too_large = False
            if body_limit is not None and request.method == "POST":
                request.ctx.body_too_large = not await receive_bounded(request, body_limit())
            if request.ctx.body_too_large:
                if not same_origin(request):
                    return refused(request)
            elif request.method == "POST" and not csrf_ok(request, request.ctx.csrf):
                return refused(request)
            if request.ctx.user.role not in allowed:
                hint = "话务员请使用来电工作台（/console/hotline）。" if request.ctx.user.role == "operator" else ""
                return render(request, "error.html", status=403, title="无权访问",
                              message=f"您的账户角色不能使用此页面。{hint}")
            return await handler(request, *args, **kwargs)

        return guarded

    return decorate



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
