"""政策通知: supervisors upload a notice (plain text), see what the importer read, fill in what it
could not find and propose it for publication; a second supervisor of the region approves it (it
is then in the assistant's search in every worker) or rejects it with a reason. A published notice
can be marked superseded or expired, or unpublished (the history stays) — each proposed by one
supervisor and approved by a second, like publication. Domain rules:
bot.standards.notices."""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.core.errors import IntakeError, NotFound
from bot.standards import files, notices, store
from bot.web.console.base import PREFIX, SUPERVISORS, bp, db, flash_redirect, not_found, render
from bot.web.console.security import staff_only

PAGE = f"{PREFIX}/notices"
FORM_OVERHEAD = 64 * 1024
CHANGE_PROPOSED = "已提交审核：另一位主管审核通过后才生效，此前助手照常引用这份通知。"
FACT_FIELDS = ("doc_number", "title", "issuer", "region", "issued", "valid_until")


@bp.get("/notices")
@staff_only(*SUPERVISORS)
async def notices_page(request: Request) -> HTTPResponse:
    return await _list_page(request)


async def _list_page(request: Request, *, error: str | None = None, status: int = 200) -> HTTPResponse:
    rows = await db(notices.notices)
    return render(request, "notices.html", status=status, title="政策通知", active="notices", rows=rows,
                  statuses=notices.STATUS_NAMES, ended=notices.ENDED_NAMES,
                  max_size=files.size_text(files.max_notice_bytes()),
                  flash={"kind": "error", "text": error} if error else None)


def _upload_body_limit() -> int:
    """The upload's whole multipart body: the file, the CSRF token and the form's boundaries."""
    return files.max_notice_bytes() + FORM_OVERHEAD


@bp.post("/notices", stream=True)  # the one route that reads more than the app's 256 KB cap
@staff_only(*SUPERVISORS, body_limit=_upload_body_limit)
async def notices_upload(request: Request) -> HTTPResponse:
    if request.ctx.body_too_large:
        return await _list_page(request, error=files.too_large_message(), status=413)
    upload = request.files.get("file") if request.files else None
    name, body = (upload.name, upload.body) if upload is not None else ("", b"")
    try:
        row = await db(partial(notices.upload, request.ctx.user, name, body))
    except IntakeError as exc:
        return await _list_page(request, error=exc.message, status=400)
    return flash_redirect(f"{PAGE}/{row.id}",
                          "已读取通知。请核对下面识别出的内容，补全缺少的信息后提交审核；另一位主管审核通过才发布。")


async def _notice_page(request: Request, notice_id: int, *, form: dict | None = None, error: str | None = None,
                       error_field: str | None = None, status: int = 200) -> HTTPResponse:
    try:
        row = await db(notices.notice, notice_id)
    except NotFound:
        return not_found(request)
    preview = notices.preview(row)
    user = request.ctx.user
    return render(request, "notice.html", status=status, title=f"政策通知 #{row.id}", active="notices", row=row,
                  preview=preview, facts=form or preview.facts, names=notices.FACT_NAMES,
                  statuses=notices.STATUS_NAMES, ended=notices.ENDED_NAMES, error_field=error_field,
                  editable=row.status in notices.PROPOSABLE,
                  may_review=row.status == "pending" and row.proposed_by_id != user.id
                  and store.may_keep(user, row.region or ""),
                  change=notices.change_text(row.pending_change) if row.pending_change else None,
                  may_review_change=bool(row.pending_change) and row.pending_change["by_id"] != user.id
                  and store.may_keep(user, row.region or ""),
                  flash={"kind": "error", "text": error} if error else None)


@bp.get("/notices/<notice_id:int>")
@staff_only(*SUPERVISORS)
async def notice_page(request: Request, notice_id: int) -> HTTPResponse:
    return await _notice_page(request, notice_id)


@bp.post("/notices/<notice_id:int>")
@staff_only(*SUPERVISORS)
async def notice_save(request: Request, notice_id: int) -> HTTPResponse:
    form = {name: (request.form.get(name) or "").strip()[:300] for name in FACT_FIELDS}
    propose = request.form.get("propose") == "1"
    try:
        await db(partial(notices.save_facts, request.ctx.user, notice_id, form))
        if propose:
            await db(partial(notices.propose, request.ctx.user, notice_id))
    except NotFound:
        return not_found(request)
    except IntakeError as exc:
        return await _notice_page(request, notice_id, form=form, error=exc.message,
                                  error_field=getattr(exc, "field", None), status=400)
    done = "已提交审核：另一位主管审核通过后才会发布，助手在此之前不会引用。" if propose else "已保存。"
    return flash_redirect(f"{PAGE}/{notice_id}", done)


async def _act(request: Request, notice_id: int, action: partial, done: str) -> HTTPResponse:
    try:
        await db(action)
    except NotFound:
        return not_found(request)
    except IntakeError as exc:
        return flash_redirect(f"{PAGE}/{notice_id}", exc.message, "error")
    return flash_redirect(f"{PAGE}/{notice_id}", done)


def _review_routes(path: str, approve: Callable[..., Any], reject: Callable[..., Any],
                   withdraw: Callable[..., Any], done: dict[str, str]) -> None:
    """审核通过 / 驳回 (a second supervisor) and 撤回 (the proposer) of what `path` proposes: the
    notice's publication ("") or a change to a published notice ("/change")."""
    name = "notice" + path.replace("/", "_")

    @bp.post(f"/notices/<notice_id:int>{path}/approve", name=f"{name}_approve")
    @staff_only(*SUPERVISORS)
    async def approve_route(request: Request, notice_id: int) -> HTTPResponse:
        action = partial(approve, request.ctx.user, notice_id, note=request.form.get("note") or "")
        return await _act(request, notice_id, action, done["approve"])

    @bp.post(f"/notices/<notice_id:int>{path}/reject", name=f"{name}_reject")
    @staff_only(*SUPERVISORS)
    async def reject_route(request: Request, notice_id: int) -> HTTPResponse:
        action = partial(reject, request.ctx.user, notice_id, request.form.get("note") or "")
        return await _act(request, notice_id, action, done["reject"])

    @bp.post(f"/notices/<notice_id:int>{path}/withdraw", name=f"{name}_withdraw")
    @staff_only(*SUPERVISORS)
    async def withdraw_route(request: Request, notice_id: int) -> HTTPResponse:
        return await _act(request, notice_id, partial(withdraw, request.ctx.user, notice_id), done["withdraw"])


_review_routes("", notices.approve, notices.reject, notices.withdraw, {
    "approve": "审核通过，已发布：助手的问答几秒内即可检索到这份通知。",
    "reject": "已驳回，提交人可按理由修改后再提交。",
    "withdraw": "已撤回审核，可修改后再提交。"})
_review_routes("/change", notices.approve_change, notices.reject_change, notices.withdraw_change, {
    "approve": "审核通过，已生效：助手几秒内即按新的状态回答。",
    "reject": "已驳回这项变更，通知保持原样。",
    "withdraw": "已撤回这项变更的提议。"})


@bp.post("/notices/<notice_id:int>/unpublish")
@staff_only(*SUPERVISORS)
async def notice_unpublish(request: Request, notice_id: int) -> HTTPResponse:
    action = partial(notices.propose_change, request.ctx.user, notice_id, "unpublish",
                     note=request.form.get("note") or "")
    return await _act(request, notice_id, action, CHANGE_PROPOSED)


@bp.post("/notices/<notice_id:int>/end")
@staff_only(*SUPERVISORS)
async def notice_end(request: Request, notice_id: int) -> HTTPResponse:
    form = request.form
    action = partial(notices.propose_change, request.ctx.user, notice_id, "end", reason=form.get("reason") or "",
                     on=form.get("ended_on") or "", note=form.get("note") or "")
    return await _act(request, notice_id, action, CHANGE_PROPOSED)
