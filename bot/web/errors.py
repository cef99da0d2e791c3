"""Chinese error pages everywhere: a mistyped URL, a wrong method, a body too large, an unexpected
failure. JSON APIs (/api/…, /console/api/…, or a request that accepts JSON) get {"error": "…"};
console pages get the console's error page; every other page a plain page of its own."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse, html, json
from sqlalchemy.exc import SQLAlchemyError

from bot import replies
from bot.intake import staff
from bot.web.console.base import render
from bot.web.console.security import SESSION_COOKIE

log = logging.getLogger(__name__)
PAGES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"]))
KIND_OF_STATUS = {404: "not_found", 405: "method", 413: "too_large", 400: "bad_request"}


def wants_json(request: Request) -> bool:
    path = request.path
    return (path.startswith("/api/") or path.startswith("/console/api/") or path.startswith("/webhooks/")
            or "application/json" in (request.headers.get("accept") or ""))


async def error_response(request: Request, status: int) -> HTTPResponse:
    kind = KIND_OF_STATUS.get(status, "server_error" if status >= 500 else "bad_request")
    title, text = replies.text(f"pages.{kind}.title"), replies.text(f"pages.{kind}.text")
    if wants_json(request):
        return json({"error": text}, status=status, ensure_ascii=False)
    if request.path.startswith("/console"):
        await signed_in(request)
        return render(request, "error.html", status=status, title=title, message=text)
    body = PAGES.get_template("error.html").render(title=title, message=text, home=replies.text("pages.home"))
    return html(body, status=status)


async def signed_in(request: Request) -> None:
    """The staff member of the request's session, for the console's navigation (none if unknown)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token and getattr(request.ctx, "user", None) is None:
        try:
            found = await asyncio.to_thread(staff.session_for, token)
        except SQLAlchemyError:
            found = None
        if found is not None:
            request.ctx.user, request.ctx.csrf = found


def register_errors(app: Sanic) -> None:
    @app.exception(SanicException)
    async def sanic_error(request: Request, exc: SanicException) -> HTTPResponse:
        return await error_response(request, getattr(exc, "status_code", 500) or 500)

    @app.exception(Exception)
    async def unexpected(request: Request, exc: Exception) -> HTTPResponse:
        log.exception("unexpected error on %s %s", request.method, request.path, exc_info=exc)
        return await error_response(request, 500)
