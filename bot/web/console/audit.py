"""The audit log for supervisors: who saw or changed what, by person, case, action and date."""
from __future__ import annotations

import math

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.intake import casework
from bot.web.console.base import SUPERVISORS, bp, db, int_arg, parse_date, render
from bot.web.console.cases import filter_query
from bot.web.console.security import staff_only


@bp.get("/audit")
@staff_only(*SUPERVISORS)
async def audit_page(request: Request) -> HTTPResponse:
    args = request.args
    filters = {
        "actor": (args.get("actor") or "").strip()[:64] or None,
        "case": (args.get("case") or "").strip()[:40] or None,
        "action": args.get("action") if args.get("action") in casework.AUDIT_ACTIONS else None,
        "date_from": parse_date(args.get("date_from")),
        "date_to": parse_date(args.get("date_to")),
    }
    page = max(int_arg(args, "page", 1), 1)
    rows, total = await db(casework.audit_entries, page=page, **filters)
    return render(request, "audit.html", title="操作日志", active="audit", rows=rows, total=total, page=page,
                  pages=max(math.ceil(total / casework.AUDIT_PAGE), 1), filters=filters,
                  actions=casework.AUDIT_ACTIONS,
                  page_query=lambda number: filter_query(filters, page=number))
