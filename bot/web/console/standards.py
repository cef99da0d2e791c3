"""本地标准: supervisors keep their region's 低保/特困 standards and the other figures the rules
read. One proposes (value, unit, effective date, 文号, clause, source), a second approves or
rejects; the page shows which value applies where today, the pending proposals and the history.
The domain rules (validation, maker-checker, history, audit) are in bot.standards.store."""
from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.core.calendar import local_now
from bot.core.errors import IntakeError, NotFound
from bot.eligibility.parameters import BASES, CATALOGUE, Kind
from bot.regions import COVERED_PROVINCES, all_regions, display_name
from bot.standards import store
from bot.standards.current import LIVE
from bot.web.console.base import PREFIX, SUPERVISORS, bp, db, flash_redirect, not_found, render
from bot.web.console.security import staff_only

PAGE = f"{PREFIX}/standards"
FORM_FIELDS = ("region", "parameter", "value", "unit", "factor", "of", "at_least", "min", "max", "effective",
               "valid_until", "doc_number", "doc_title", "doc_issued", "clause", "source", "note")
KIND_NAMES = {Kind.AMOUNT: "金额", Kind.MULTIPLE: "倍数", Kind.COUNT: "整数", Kind.RANGE: "月数范围"}


def _today() -> dt.date:
    return local_now().date()


def _region_choices(user: Any) -> list[tuple[str, str]]:
    """The regions the user keeps: their region and the places inside it (every covered one for
    an administrator without a region)."""
    return [(region.name, region.name) for region in all_regions()
            if region.covered and store.may_keep(user, region.name)]


def _current_values(region: str, today: dt.date) -> list[dict[str, Any]]:
    """Which value of each editable parameter applies in `region` today, and from where."""
    parameters = LIVE.fresh()  # what the assistant uses from now on, checked now
    out = []
    for name, label in store.editable_parameters().items():
        lookup = parameters.lookup(name, region, today)
        value = lookup.value
        out.append({
            "name": name, "label": label,
            "value": store.describe_data(name, _as_fields(value.data)) if value else None,
            "region": display_name(value.region) if value else None,
            "since": value.effective if value else None,
            "citation": str(value.citation) if value else None,
            "stale": lookup.stale,
            "until": value.valid_until if value else None,
            "unpublished": lookup.unpublished.reason if lookup.unpublished else None,
            "upcoming": lookup.upcoming,
            "upcoming_text": store.describe_data(name, _as_fields(lookup.upcoming.data)) if lookup.upcoming else None,
        })
    return out


def _as_fields(data: Any) -> dict[str, Any]:
    """A parsed value back to its YAML keys (for describe_data)."""
    if hasattr(data, "unit"):
        value = data.value
        return {"value": int(value) if value.denominator == 1 else float(value), "unit": data.unit}
    if hasattr(data, "factor"):
        factor = data.factor
        return {"factor": int(factor) if factor.denominator == 1 else float(factor), "of": data.of,
                "at_least": data.at_least}
    if hasattr(data, "min"):
        return {"min": data.min, "max": data.max}
    return {"value": data}


async def _page(request: Request, *, form: dict[str, Any] | None = None, error: str | None = None,
                error_field: str | None = None, status: int = 200) -> HTTPResponse:
    user = request.ctx.user
    today = _today()
    choices = _region_choices(user)
    region = store.region_name(request.args.get("region") or "") or (form or {}).get("region") or user.region \
        or (choices[0][0] if choices else COVERED_PROVINCES[0])
    rows = await db(store.rows)
    pending = [row for row in rows if row.status == "pending"]
    history = [row for row in rows if row.status != "pending"][:200]
    current = await db(_current_values, region, today)
    return render(
        request, "standards.html", status=status, title="本地标准", active="standards",
        flash={"kind": "error", "text": error} if error else None, error_field=error_field,
        form=form or {"region": display_name(region) if region else "", "unit": "元/人/月"},
        region=region, region_name=display_name(region), choices=choices, current=current,
        pending=pending, history=history, parameters=store.editable_parameters(),
        kinds={name: CATALOGUE[name].kind.value for name in store.editable_parameters()},
        units=sorted({unit for spec in CATALOGUE.values() for unit in spec.units}), bases=BASES,
        statuses=store.STATUS_NAMES, catalogue=CATALOGUE, describe=store.describe_data,
        may_keep=lambda r: store.may_keep(user, r), display_name=display_name, today=today,
    )


@bp.get("/standards")
@staff_only(*SUPERVISORS)
async def standards_page(request: Request) -> HTTPResponse:
    return await _page(request)


@bp.post("/standards")
@staff_only(*SUPERVISORS)
async def standards_propose(request: Request) -> HTTPResponse:
    form = {name: (request.form.get(name) or "").strip()[:2000] for name in FORM_FIELDS}
    try:
        row = await db(partial(store.propose, request.ctx.user, form, today=_today()))
    except IntakeError as exc:
        return await _page(request, form=form, error=exc.message, error_field=getattr(exc, "field", None),
                           status=400)
    return flash_redirect(f"{PAGE}?region={row.region}",
                          f"已提交提议 #{row.id}，须由另一位主管审核通过后才生效。")


async def _decide(request: Request, row_id: int, action: str) -> HTTPResponse:
    note = (request.form.get("note") or "").strip()
    user = request.ctx.user
    calls = {"approve": partial(store.approve, user, row_id, note=note),
             "reject": partial(store.reject, user, row_id, note=note),
             "withdraw": partial(store.withdraw, user, row_id)}
    done = {"approve": "已审核通过：自生效日期起，问答、预筛查和来电工作台立即使用该值。",
            "reject": "已驳回该提议。", "withdraw": "已撤回该提议。"}
    try:
        row = await db(calls[action])
    except NotFound:
        return not_found(request)
    except IntakeError as exc:
        return flash_redirect(PAGE, exc.message, "error")
    return flash_redirect(f"{PAGE}?region={row.region}", f"#{row.id} {done[action]}")


@bp.post("/standards/<row_id:int>/approve")
@staff_only(*SUPERVISORS)
async def standards_approve(request: Request, row_id: int) -> HTTPResponse:
    return await _decide(request, row_id, "approve")


@bp.post("/standards/<row_id:int>/reject")
@staff_only(*SUPERVISORS)
async def standards_reject(request: Request, row_id: int) -> HTTPResponse:
    return await _decide(request, row_id, "reject")


@bp.post("/standards/<row_id:int>/withdraw")
@staff_only(*SUPERVISORS)
async def standards_withdraw(request: Request, row_id: int) -> HTTPResponse:
    return await _decide(request, row_id, "withdraw")
