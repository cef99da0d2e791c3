"""Hand-offs: the list of conversations waiting for a person, a ticket's page, claiming,
replying and handing back, and the live updates the pages poll."""
from __future__ import annotations

from functools import partial
from typing import Any

from sanic.request import Request
from sanic.response import HTTPResponse, json as json_response

from bot.core.calendar import local_now
from bot.core.errors import IntakeError, NotFound
from bot.core.models import TICKET_ACTIVE, TICKET_CLOSED, TICKET_WAITING, HandoffTicket, Message, StaffUser
from bot.handoff import tickets
from bot.handoff.delivery import DeliveryError
from bot.intake import casework, registry, staff
from bot.web.console.base import (
    CHANNEL_NAMES, PREFIX, REASON_NAMES, TICKET_STATES, bp, db, int_arg, local_time, not_found, optional_int,
    perform, render, wants_json,
)
from bot.web.console.security import staff_only


def ticket_row(ticket: HandoffTicket, unread: int = 0) -> dict[str, Any]:
    """A hand-off list row (JSON for the live update; the transcript preview is masked)."""
    return {
        "unread": unread,
        "id": ticket.id,
        "url": f"{PREFIX}/tickets/{ticket.id}",
        "created": local_time(ticket.created_at),
        "channel": CHANNEL_NAMES.get(ticket.channel, ticket.channel),
        "reason": REASON_NAMES.get(ticket.reason, ticket.reason),
        "district": ticket.district or tickets.TRIAGE_NAME,
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
    unread = await db(tickets.unread, user)
    rows = [ticket_row(ticket, unread.get(ticket.id, 0)) for ticket in waiting + active]
    triage = [ticket_row(ticket, unread.get(ticket.id, 0)) for ticket in await db(tickets.triage_queue, user)]
    return render(request, "handoffs.html", title="人工会话", active="handoffs", rows=rows, triage=triage,
                  latest=max((row["id"] for row in rows), default=0))



def message_row(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "direction": message.direction,
        "author": message.author_name,
        "text": message.text,
        "time": local_time(message.created_at),
    }


@bp.get("/tickets/<ticket_id:int>")
@staff_only()
async def ticket_page(request: Request, ticket_id: int) -> HTTPResponse:
    user = request.ctx.user
    try:
        ticket = await db(tickets.get_ticket, ticket_id, user)
    except NotFound:
        return not_found(request)
    messages = [message_row(message) for message in ticket.messages]
    last = max((m["id"] for m in messages), default=0)
    await db(tickets.mark_read, ticket.id, last)
    if ticket.callback_phone:  # the full call-back number is shown: the view is audited
        await db(registry.audit, user, "view_callback_phone", object_type="ticket", object_id=str(ticket.id))
    application = await db(casework.application_for_ticket, ticket, user)
    districts = await db(staff.intake_districts) if user.role in tickets.TRIAGE_ROLES else []
    return render(request, "ticket.html", title=f"人工会话 R{ticket.id}", active="handoffs",
                  ticket=ticket, messages=messages, application=application, districts=districts,
                  notes=await db(casework.notes_for, ticket_id=ticket.id),
                  canned=await db(casework.canned_replies), last_message=last,
                  WAITING=TICKET_WAITING, CLOSED=TICKET_CLOSED)


@bp.post("/tickets/<ticket_id:int>/note")
@staff_only()
async def ticket_note(request: Request, ticket_id: int) -> HTTPResponse:
    act = partial(casework.add_note, request.ctx.user, request.form.get("text", ""), ticket_id=ticket_id)
    return await perform(request, f"{PREFIX}/tickets/{ticket_id}", act, "内部备注已保存（居民看不到）。")


@bp.post("/tickets/<ticket_id:int>/link")
@staff_only()
async def ticket_link(request: Request, ticket_id: int) -> HTTPResponse:
    act = partial(casework.link_ticket, ticket_id, request.ctx.user, request.form.get("number", ""))
    return await perform(request, f"{PREFIX}/tickets/{ticket_id}", act, "已关联该申请。")


@bp.post("/tickets/<ticket_id:int>/district")
@staff_only("supervisor", "admin")
async def ticket_district(request: Request, ticket_id: int) -> HTTPResponse:
    """A supervisor sends a ticket (from the 待分派 queue) to a 乡镇/街道."""
    user, form = request.ctx.user, request.form
    version = optional_int(form.get("expected_version")) or 0
    known = await db(staff.intake_districts)
    act = partial(tickets.assign_district, ticket_id, user, form.get("district", ""),
                  expected_version=version, known_districts=known)
    return await perform(request, f"{PREFIX}/tickets/{ticket_id}", act,
                         f"已分派到{(form.get('district') or '').strip()}，该乡镇（街道）的受理人员可以接手了。")


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


# ---- live updates (pushed by bot.web.console.live; also answered as JSON) ----

def collect_updates(user: StaffUser, after_ticket: int, ticket_id: int, after_message: int) -> dict[str, Any]:
    """Counts for the navigation badges and the tab title, new waiting hand-offs, unread resident
    messages per ticket, and a ticket's new messages (then marked read)."""
    waiting = tickets.list_tickets(user, status=TICKET_WAITING)
    unread = tickets.unread(user)
    _rows, new_count = registry.query_applications(user, queue="new", page=1, per_page=1)
    payload: dict[str, Any] = {
        "waiting": len(waiting),
        "new_applications": new_count,
        "overdue": registry.overdue_count(user, local_now().date()),
        "unread": len(unread),
        "unread_tickets": {str(key): value for key, value in unread.items()},
        "latest_ticket": tickets.latest_ticket_id(user),
        "tickets": [ticket_row(ticket, unread.get(ticket.id, 0)) for ticket in waiting if ticket.id > after_ticket],
    }
    if ticket_id:
        ticket = tickets.get_ticket(ticket_id, user)
        payload["ticket_status"] = TICKET_STATES[ticket.status]
        payload["messages"] = [message_row(m) for m in ticket.messages if m.id > after_message]
        if payload["messages"]:
            tickets.mark_read(ticket.id, payload["messages"][-1]["id"])
            payload["unread_tickets"].pop(str(ticket.id), None)
            payload["unread"] = len(payload["unread_tickets"])
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
