"""The supervisors' dashboard: by 乡镇/街道 and staff member over a chosen date range, with
interactive charts (ECharts, served by the web app itself) and CSV."""
from __future__ import annotations

from sanic.request import Request
from sanic.response import HTTPResponse, text

from bot.core.calendar import local_now
from bot.intake import reports
from bot.web.console.base import SUPERVISORS, bp, client_ip, db, parse_date, render
from bot.intake import registry
from bot.web.console.security import staff_only


def chosen_range(request: Request) -> reports.Range:
    return reports.Range.of(parse_date(request.args.get("from")), parse_date(request.args.get("to")),
                            local_now().date())


@bp.get("/dashboard")
@staff_only(*SUPERVISORS)
async def dashboard_page(request: Request) -> HTTPResponse:
    span = chosen_range(request)
    figures = await db(reports.figures, request.ctx.user, span)
    return render(request, "dashboard.html", title="统计看板", active="dashboard", figures=figures, span=span)


@bp.get("/dashboard.csv")
@staff_only(*SUPERVISORS)
async def dashboard_csv(request: Request) -> HTTPResponse:
    user, span = request.ctx.user, chosen_range(request)
    body = reports.figures_csv(await db(reports.figures, user, span))
    await db(registry.audit, user, "export_figures", detail=f"{span.first}~{span.last}", ip=client_ip(request))
    filename = f"figures-{span.first:%Y%m%d}-{span.last:%Y%m%d}.csv"
    return text(body, content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'})
