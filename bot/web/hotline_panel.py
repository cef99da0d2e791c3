"""The 12345 operator's panel under /console/hotline (staff console login, role 话务员).

The page shows the operator's current call: the transcript, the suggestions (policies with
citations, a reply to read out, the facts heard, the screening and the next question) and the
draft work order, editable. They arrive by Server-Sent Events: the worker's watcher of changed
calls (bot.hotline.notify) reads the database, so the stream works whichever web worker
received the platform's request. The operator confirms the work
order as an application, hands it to intake staff as a ticket, or marks the call answered; each
is a POST with the session's CSRF token, answered in JSON.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any, Mapping

from sanic import Blueprint, Sanic
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sqlalchemy.exc import SQLAlchemyError

from bot.hotline import calls
from bot.hotline.assist import CALLER, PROGRAM_NAMES
from bot.hotline.notify import CallWatcher
from bot.hotline.spoken import masked_speech
from bot.intake import registry
from bot.core.calendar import to_local
from bot.core.errors import Conflict, IntakeError, NotFound
from bot.core.privacy import mask_mobile
from bot.core.models import CALL_ACTIVE, CALL_ENDED, StaffUser
from bot.settings import get_settings
from bot.web.console.base import SUPERVISORS, client_ip, database_down, db, local_time, not_found, render, security_headers
from bot.web.console.security import staff_only

PREFIX = "/console/hotline"
PANEL_ROLES = ("operator", *SUPERVISORS)
HEARTBEAT_SECONDS = 15  # a comment line keeps the connection (and sanic's response timeout) alive
STREAM_SECONDS = 600  # then the browser reconnects by itself (EventSource)
RETRY_MS = 2000
STATUS_NAMES = {CALL_ACTIVE: "通话中", CALL_ENDED: "已挂断"}

panel = Blueprint("hotline_panel", url_prefix=PREFIX)
panel.middleware("response")(security_headers)
panel.exception(SQLAlchemyError)(database_down)


def register_panel(app: Sanic) -> None:
    app.blueprint(panel)


# ---- what the page shows ----

def clock(moment: dt.datetime | None) -> str:
    return to_local(moment).strftime("%H:%M:%S") if moment else ""


def epoch(moment: dt.datetime | None) -> float | None:
    """A stored time (naive UTC) as Unix seconds."""
    return moment.replace(tzinfo=dt.timezone.utc).timestamp() if moment else None


def payload(call_id: str, user: StaffUser) -> dict[str, Any]:
    """The call as the panel draws it (transcript with personal numbers masked; the work order
    in full, for the form)."""
    view = calls.call_view(call_id, user)
    return {
        "call": {
            "call_id": view["call_id"],
            "operator_id": view["operator_id"],
            "status": view["status"],
            "status_name": STATUS_NAMES.get(view["status"], view["status"]),
            "started": local_time(view["started_at"]),
            "ended": local_time(view["ended_at"]),
            # for the call timer: seconds since the epoch
            "started_ts": epoch(view["started_at"]),
            "ended_ts": epoch(view["ended_at"]),
            "caller_number": mask_mobile(view["caller_number"]) if view["caller_number"] else "",
            "outcome": view["outcome"],
            "outcome_name": view["outcome_name"],
            "outcome_note": view["outcome_note"],
            "application_number": view["application_number"],
            "ticket_id": view["ticket_id"],
            "closed_by": view["closed_by"],
            "version": view["version"],
            "pending": view["state_revision"] < view["revision"],
        },
        "transcript": [
            {"id": line["id"], "speaker": line["speaker"],
             "who": "来电人" if line["speaker"] == CALLER else "话务员",
             "text": masked_speech(line["text"]), "time": clock(line["at"])}
            for line in view["lines"]
        ],
        "suggestions": view["state"],
    }


def event(name: str, data: Any, event_id: int | None = None) -> str:
    """One Server-Sent Event (the JSON on one line)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


# ---- pages ----

@panel.get("/")
@staff_only(*PANEL_ROLES)
async def live_page(request: Request) -> HTTPResponse:
    """An operator's live page (follows their newest call); supervisors get the list of calls."""
    user = request.ctx.user
    if user.role != "operator":
        recent = await db(calls.recent_calls, user)
        return render(request, "hotline/calls.html", title="12345来电", active="hotline", calls=recent,
                      status_names=STATUS_NAMES, outcome_names=calls.OUTCOME_NAMES, mask_mobile=mask_mobile)
    return render(request, "hotline/panel.html", title="来电工作台", active="hotline", call_id="",
                  programs=PROGRAM_NAMES)


@panel.get("/calls/<call_id:str>")
@staff_only(*PANEL_ROLES)
async def call_page(request: Request, call_id: str) -> HTTPResponse:
    user = request.ctx.user
    try:
        await db(calls.call_view, call_id, user)
    except NotFound:
        return not_found(request)
    await db(registry.audit, user, "view_hotline_call", object_type="hotline_call", object_id=call_id,
             ip=client_ip(request))
    return render(request, "hotline/panel.html", title=f"来电 {call_id}", active="hotline", call_id=call_id,
                  programs=PROGRAM_NAMES)


@panel.get("/events")
@staff_only(*PANEL_ROLES)
async def events(request: Request) -> None:
    """The call's state whenever it changes: `call` events (and `none` while the operator has no
    call yet), a comment line as heartbeat. The worker's watcher says when the call changed; a
    quiet stream also looks in the database itself now and then."""
    user = request.ctx.user
    call_id = request.args.get("call") or None
    if call_id is None and user.role != "operator":
        await (await request.respond(status=400, content_type="text/plain; charset=utf-8")).send(
            "请指定来电。", end_stream=True)
        return
    response = await request.respond(content_type="text/event-stream; charset=utf-8",
                                      headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    await response.send(f"retry: {RETRY_MS}\n\n")
    watcher = request.app.ctx.hotline_watcher
    watcher.listen()
    try:
        await follow(response, watcher, Stream(user, call_id))
    finally:
        watcher.leave()
    await response.eof()


async def follow(response: HTTPResponse, watcher: CallWatcher, stream: "Stream") -> None:
    """Sends the stream's call whenever the watcher says it changed, until the stream's time is up."""
    user, call_id = stream.user, stream.call_id
    started = time.monotonic()
    pk, current, _version = await db(calls.watch, user.username, call_id)
    await response.send(await stream.show(pk, current))
    while time.monotonic() - started < STREAM_SECONDS and not stream.gone:
        await watcher.wait(HEARTBEAT_SECONDS)
        if time.monotonic() - stream.sent_at >= HEARTBEAT_SECONDS:
            pk, current, version = await db(calls.watch, user.username, call_id)
            news = await stream.show(pk, current) if version > stream.version or pk != stream.pk else ""
            await response.send(news or ": heartbeat\n\n")
            stream.sent_at = time.monotonic()
            continue
        newest = watcher.newest.get(user.username) if call_id is None else None
        if newest is not None and newest[0] > stream.pk:
            await response.send(await stream.show(*newest))
        elif stream.current is not None and (watcher.version(stream.current) or 0) > stream.version:
            await response.send(await stream.show(stream.pk, stream.current))


class Stream:
    """What one panel's stream has shown."""

    def __init__(self, user: StaffUser, call_id: str | None) -> None:
        self.user = user
        self.call_id = call_id
        self.pk = 0
        self.current: str | None = None
        self.version = -1
        self.sent_at = time.monotonic()
        self.gone = False

    async def show(self, pk: int, current: str | None) -> str:
        """The event for this call as it is now."""
        self.pk, self.current, self.sent_at = pk, current, time.monotonic()
        if current is None:
            self.version = 0
            return event("none", {"message": "当前没有来电。"})
        try:
            data = await db(payload, current, self.user)
        except NotFound:
            self.gone = True
            return event("gone", {"message": "没有找到这个来电，或您无权查看。"})
        self.version = data["call"]["version"]
        return event("call", data, self.version)


# ---- the operator's decision ----

def answers_of(state: Mapping[str, Any] | None) -> dict[str, Any]:
    return {fact["path"]: fact["value"] for fact in (state or {}).get("facts", [])}


def chosen_programs(request: Request) -> list[str]:
    return [key for key in (request.form.getlist("programs") or []) if key in PROGRAM_NAMES]


async def decide(request: Request, action: Any, done: Any) -> HTTPResponse:
    """Runs the decision; JSON with the message to show, or the refusal."""
    try:
        result = await db(action)
        request.app.ctx.hotline_watcher.poke()
    except NotFound as exc:
        return json_response({"error": exc.message}, status=404, ensure_ascii=False)
    except Conflict as exc:
        return json_response({"error": exc.message}, status=409, ensure_ascii=False)
    except IntakeError as exc:
        return json_response({"error": exc.message, "field": getattr(exc, "field", None)}, status=400,
                             ensure_ascii=False)
    return json_response(done(result), ensure_ascii=False)


@panel.post("/calls/<call_id:str>/application")
@staff_only(*PANEL_ROLES)
async def confirm_application(request: Request, call_id: str) -> HTTPResponse:
    user, form = request.ctx.user, request.form
    order = calls.WorkOrder.from_form(form, chosen_programs(request))

    def act() -> Any:
        _ref, state = calls.current_state(call_id)
        return calls.confirm_application(call_id, user, order, form.get("consent") == "1",
                                         answers_of(state), get_settings().today())

    return await decide(request, act, lambda registration: {
        "message": f"已登记申请，受理编号 {registration.number}，请告知来电人；"
                   f"乡镇（街道）窗口将联系来电人。",
        "number": registration.number,
    })


@panel.post("/calls/<call_id:str>/ticket")
@staff_only(*PANEL_ROLES)
async def hand_off(request: Request, call_id: str) -> HTTPResponse:
    user = request.ctx.user
    order = calls.WorkOrder.from_form(request.form, chosen_programs(request))
    return await decide(request, lambda: calls.hand_off(call_id, user, order), lambda ticket_id: {
        "message": f"已转交受理人员（人工会话 R{ticket_id}），工作人员会回电来电人。", "ticket": ticket_id,
    })


@panel.post("/calls/<call_id:str>/answered")
@staff_only(*PANEL_ROLES)
async def answered(request: Request, call_id: str) -> HTTPResponse:
    user = request.ctx.user
    note = request.form.get("note") or ""
    return await decide(request, lambda: calls.mark_answered(call_id, user, note),
                        lambda _none: {"message": "已标记为已解答，无需工单。"})
