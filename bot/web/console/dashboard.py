"""The supervisors' dashboard."""
from __future__ import annotations

from typing import Any, Mapping

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.core.models import STATUSES
from bot.intake import registry
from bot.web.charts import Bar, bar_chart, column_chart
from bot.web.console.base import PROGRAM_NAMES, SUPERVISORS, bp, db, render
from bot.web.console.security import staff_only

DASHBOARD_DAYS = 30


def dashboard_charts(figures: Mapping[str, Any]) -> dict[str, Any]:
    per_day = [Bar(day[5:], count) for day, count in figures["per_day"]]
    per_program = [Bar(PROGRAM_NAMES.get(key, key), count)
                   for key, count in sorted(figures["per_program"].items(), key=lambda item: -item[1])]
    per_status = [Bar(status, figures["per_status"].get(status, 0)) for status in STATUSES]
    return {
        "per_day": column_chart(per_day, f"近{len(per_day)}天每日登记的申请数"),
        "per_program": bar_chart(per_program, "各救助项目的申请数"),
        "per_status": bar_chart(per_status, "各状态的申请数", label_width=110),
        "total": sum(count for _day, count in figures["per_day"]),
        "overdue": figures["overdue"],
    }


@bp.get("/dashboard")
@staff_only(*SUPERVISORS)
async def dashboard_page(request: Request) -> HTTPResponse:
    figures = await db(registry.dashboard, request.ctx.user, days=DASHBOARD_DAYS)
    return render(request, "dashboard.html", title="统计看板", active="dashboard",
                  charts=dashboard_charts(figures), days=DASHBOARD_DAYS)
