"""The application queues, the CSV export, an application's page and the staff's steps on it."""
from __future__ import annotations

import math
from functools import partial
from typing import Any, Mapping
from urllib.parse import quote, urlencode

from sanic.request import Request
from sanic.response import HTTPResponse, text

from bot.core.calendar import local_now
from bot.core.errors import IntakeError, NotFound
from bot.core.models import ACCEPTED, ASSIGNED, CLOSED, STATUSES, TRANSFERRED, Application, StaffUser
from bot.core.params import whole_number
from bot.eligibility.parameters import CATALOGUE
from bot.handoff import tickets
from bot.intake import casework, decision, registry, staff, workflow
from bot.questionnaire.flow import LABELS as ANSWER_LABELS, OUTCOME_NAMES, describe
from bot.web.console.base import (
    PER_PAGE, PREFIX, PROGRAM_NAMES, QUEUES, SUPERVISORS, bp, client_ip, db, flash_redirect, int_arg,
    not_found, optional_int, parse_date, perform, render,
)
from bot.web.console.security import staff_only


SORTS = {"created": "登记时间（新的在前）", "due": "办理时限（早的在前）"}


def queue_filters(request: Request, queue: str) -> dict[str, Any]:
    """The list filters of the query string, as registry.query_applications takes them (全部 has
    them all; every queue can be sorted and narrowed to what is due)."""
    args = request.args
    due = args.get("due") or None
    sort = args.get("sort") or "created"
    chosen: dict[str, Any] = {
        "due": due if due in registry.DUE_VIEWS else None,
        "sort": sort if sort in SORTS else "created",
        "assignee_id": optional_int(args.get("assignee")),
    }
    if queue != "all":
        return chosen
    status = args.get("status") or None
    program = args.get("program") or None
    return {
        **chosen,
        "status": status if status in STATUSES else None,
        "program": program if program in PROGRAM_NAMES else None,
        "date_from": parse_date(args.get("date_from")),
        "date_to": parse_date(args.get("date_to")),
        "district": (args.get("district") or "").strip() or None,
        "search": (args.get("q") or "").strip()[:40] or None,
    }


def filter_query(filters: Mapping[str, Any], **extra: Any) -> str:
    """The query string of these filters (for pagination, sorting and export links)."""
    names = {"search": "q", "assignee_id": "assignee"}
    pairs = {names.get(key, key): value for key, value in filters.items()
             if value and not (key == "sort" and value == "created")}
    pairs.update({key: value for key, value in extra.items() if value})
    return urlencode({key: str(value) for key, value in pairs.items()})


@bp.get("/queue/<queue:str>")
@staff_only()
async def queue_page(request: Request, queue: str) -> HTTPResponse:
    if queue not in QUEUES:
        return not_found(request)
    user = request.ctx.user
    filters = queue_filters(request, queue)
    page = max(int_arg(request.args, "page", 1), 1)
    applications, total = await db(registry.query_applications, user, queue=queue, page=page,
                                   per_page=PER_PAGE, **filters)
    assignees = await db(staff.list_users, active_only=True) if user.role in SUPERVISORS else []
    return render(
        request, "queue.html", title=QUEUES[queue], active=queue, queue=queue, applications=applications,
        total=total, page=page, pages=max(math.ceil(total / PER_PAGE), 1), filters=filters,
        statuses=STATUSES, programs=PROGRAM_NAMES, today=local_now().date(), sorts=SORTS,
        due_views=registry.DUE_VIEWS, saved=await db(casework.saved_filters, user),
        current_query=filter_query(filters),
        page_query=lambda number: filter_query(filters, page=number),
        sort_query=lambda sort: filter_query({**filters, "sort": sort}),
        export_query=filter_query(filters), bulk_assignees=[p for p in assignees if p.role in ("intake", "supervisor")],
    )


@bp.post("/filters")
@staff_only()
async def filter_save(request: Request) -> HTTPResponse:
    form = request.form
    query = form.get("query", "")
    act = partial(casework.save_filter, request.ctx.user, form.get("name", ""), query)
    return await perform(request, f"{PREFIX}/queue/all?{casework.clean_query(query)}", act,
                         f"已保存筛选条件“{(form.get('name') or '').strip()}”。")


@bp.post("/filters/<filter_id:int>/delete")
@staff_only()
async def filter_delete(request: Request, filter_id: int) -> HTTPResponse:
    act = partial(casework.delete_filter, request.ctx.user, filter_id)
    return await perform(request, f"{PREFIX}/queue/all", act, "已删除该筛选条件。")


@bp.get("/due")
@staff_only()
async def due_page(request: Request) -> HTTPResponse:
    """Due today and overdue, per person and per 乡镇/街道, each linking to its list."""
    board = await db(registry.due_board, request.ctx.user)
    return render(request, "due.html", title="到期提醒", active="due", board=board, today=local_now().date())


@bp.get("/export.csv")
@staff_only()
async def export(request: Request) -> HTTPResponse:
    """The applications of the 全部 filters as CSV (masked; the export is audited)."""
    user = request.ctx.user
    filters = queue_filters(request, "all")
    body = await db(registry.export_csv, user, **filters)
    await db(registry.audit, user, "export_csv", detail=filter_query(filters) or None,
             ip=client_ip(request))
    filename = f"applications-{local_now():%Y%m%d-%H%M}.csv"
    return text(body, content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'})


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
    return render(
        request, "application.html", title=f"申请 {application.number}", active="",
        application=application, applicant=application.applicant, messages=messages,
        screening=screening_view(application.screening, application.programs), transitions=transitions,
        assignees=await db(casework.assignable_staff, application.district) if user.role in SUPERVISORS else [],
        reasons=decision.snapshot_reasons(application.screening, application.programs), decision_kinds=decision.KINDS,
        decision_line=decision.summary(application.decision, PROGRAM_NAMES) if application.decision else "",
        deadlines=await db(casework.deadline_history, application.id),
        notes=await db(casework.notes_for, application_id=application.id),
        tickets=await db(casework.tickets_of, application),
        canned=await db(casework.canned_replies),
        today=local_now().date(), this_month=local_now().strftime("%Y-%m"),
        note_required=workflow.NOTE_REQUIRED, ASSIGNED=ASSIGNED, TRANSFERRED=TRANSFERRED, CLOSED=CLOSED,
        final=workflow.is_final(application.status), may_take_case=user.role in ("intake", "supervisor"),
    )


def closing(application: Application, to_status: str) -> bool:
    """办结 from a status that allows it (otherwise the registry names the refusal)."""
    return to_status == CLOSED and to_status in workflow.allowed_transitions(application.status)


def decision_of(form: Mapping[str, Any], application: Application) -> dict[str, Any]:
    return decision.build(
        form.get("decision", ""), programs=application.programs, screening=application.screening,
        program=form.get("program"), amount=form.get("amount"), start_month=form.get("start_month"),
        reason_keys=form.getlist("reason") or [], own_reason=form.get("own_reason"),
        referred_to=form.get("referred_to"), today=local_now().date(),
    )


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
            decision=decision_of(form, application) if closing(application, to_status) else None,
        )

    def still_visible(moved: Application) -> str:
        """Back to the case, unless a 转办 took it out of the user's district."""
        return back if registry.can_view(user, moved) else f"{PREFIX}/queue/new"

    label = workflow.ACTION_LABELS.get(to_status, to_status)
    return await perform(request, back, act, f"已{label}，并已通知居民。", still_visible)


@bp.post("/applications/<number:str>/deadline")
@staff_only()
async def application_deadline(request: Request, number: str) -> HTTPResponse:
    user, form = request.ctx.user, request.form

    def act() -> Application:
        application = visible_application(user, number)
        return casework.change_deadline(application.id, user, parse_date(form.get("new_due")), form.get("reason", ""),
                                        expected_version=optional_int(form.get("expected_version")) or 0)

    return await perform(request, f"{PREFIX}/applications/{quote(number)}", act,
                         "办理时限已调整，并已把新的日期和原因告知居民。")


@bp.post("/applications/<number:str>/take")
@staff_only()
async def application_take(request: Request, number: str) -> HTTPResponse:
    user, form = request.ctx.user, request.form

    def act() -> Application:
        application = visible_application(user, number)
        return casework.take_case(application.id, user, expected_version=optional_int(form.get("expected_version")) or 0)

    return await perform(request, f"{PREFIX}/applications/{quote(number)}", act, "您已认领该申请，任经办人。")


@bp.post("/applications/<number:str>/note")
@staff_only()
async def application_note(request: Request, number: str) -> HTTPResponse:
    user = request.ctx.user

    def act() -> None:
        application = visible_application(user, number)
        casework.add_note(user, request.form.get("text", ""), application_id=application.id)

    return await perform(request, f"{PREFIX}/applications/{quote(number)}#notes", act, "内部备注已保存（居民看不到）。")


@bp.post("/applications/<number:str>/reply")
@staff_only()
async def application_reply(request: Request, number: str) -> HTTPResponse:
    user = request.ctx.user
    back = f"{PREFIX}/applications/{quote(number)}"

    def act() -> None:
        application = visible_application(user, number)
        tickets.reply_to_application(application.id, user, request.form.get("text", ""))

    return await perform(request, back, act, "回复已发送给居民。")


# ---- bulk actions on a list ----

BULK_ACTIONS = {"accept": "受理", "assign": "分办", "take": "认领"}


@bp.post("/bulk")
@staff_only()
async def bulk(request: Request) -> HTTPResponse:
    """受理, 分办 (supervisors) or 认领 the ticked applications, each at the version the list showed;
    the message says how many were done and why the others were not."""
    user, form = request.ctx.user, request.form
    action = form.get("action", "")
    back = form.get("back", "") if (form.get("back") or "").startswith(f"{PREFIX}/queue/") else f"{PREFIX}/queue/new"
    picked = [item.split(":", 1) for item in form.getlist("pick") or [] if ":" in item][:MAX_BULK]
    if action not in BULK_ACTIONS or not picked:
        return flash_redirect(back, "请先勾选申请，再选择批量操作。", "error")
    if action == "assign" and user.role not in SUPERVISORS:
        return flash_redirect(back, "分办由主管操作，请联系主管。", "error")
    assignee = optional_int(form.get("assignee_id"))
    done, refused = await db(bulk_apply, user, action, picked, assignee)
    label = BULK_ACTIONS[action]
    message = f"已批量{label} {done} 件。" + (f"未办理 {len(refused)} 件：" + "；".join(refused[:5]) if refused else "")
    return flash_redirect(back, message, "error" if refused and not done else "ok")


MAX_BULK = PER_PAGE


def bulk_apply(user: StaffUser, action: str, picked: list[list[str]], assignee: int | None) -> tuple[int, list[str]]:
    done, refused = 0, []
    for number, version in picked:
        try:
            application = visible_application(user, number)
            expected = whole_number(version) or 0
            if action == "take":
                casework.take_case(application.id, user, expected_version=expected)
            else:
                to_status = ACCEPTED if action == "accept" else ASSIGNED
                registry.transition(application.id, to_status, user, expected_version=expected,
                                    assignee_id=assignee if action == "assign" else None)
            done += 1
        except NotFound:
            refused.append(f"{number}：未找到")
        except IntakeError as exc:
            refused.append(f"{number}：{exc.message}")
    return done, refused
