"""常用回复: supervisors keep the canned replies every staff member can insert and adapt."""
from __future__ import annotations

from functools import partial

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.intake import casework
from bot.web.console.base import PREFIX, SUPERVISORS, bp, db, optional_int, perform, render
from bot.web.console.security import staff_only


@bp.get("/canned")
@staff_only(*SUPERVISORS)
async def canned_page(request: Request) -> HTTPResponse:
    replies = await db(casework.canned_replies, active_only=False)
    return render(request, "canned_admin.html", title="常用回复", active="canned", replies=replies)


@bp.post("/canned")
@staff_only(*SUPERVISORS)
async def canned_save(request: Request) -> HTTPResponse:
    form = request.form
    act = partial(casework.save_canned_reply, request.ctx.user, form.get("title", ""), form.get("text", ""),
                  reply_id=optional_int(form.get("reply_id")))
    return await perform(request, f"{PREFIX}/canned", act, "常用回复已保存，工作人员回复时即可选用。")


@bp.post("/canned/<reply_id:int>/retire")
@staff_only(*SUPERVISORS)
async def canned_retire(request: Request, reply_id: int) -> HTTPResponse:
    act = partial(casework.retire_canned_reply, request.ctx.user, reply_id)
    return await perform(request, f"{PREFIX}/canned", act, "已停用该常用回复。")
