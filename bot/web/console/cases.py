"""The application queues, the CSV export, an application's page and the staff's steps on it."""
from __future__ import annotations

import math
from typing import Any, Mapping
from urllib.parse import quote, urlencode

from sanic.request import Request
from sanic.response import HTTPResponse, text

from bot.core.calendar import local_now
from bot.core.errors import NotFound
from bot.core.models import ASSIGNED, STATUSES, TRANSFERRED, Application, StaffUser
from bot.eligibility.parameters import CATALOGUE
from bot.handoff import tickets
from bot.intake import registry, staff, workflow
from bot.questionnaire.flow import LABELS as ANSWER_LABELS, OUTCOME_NAMES, describe
from bot.web.console.base import (
    PER_PAGE, PREFIX, PROGRAM_NAMES, QUEUES, SUPERVISORS, bp, client_ip, db, flash_redirect, int_arg,
    not_found, optional_int, parse_date, perform, render,
)
from bot.web.console.security import staff_only


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
