"""Local standards in the registry: proposals, maker-checker approval, dated history, audit.

A supervisor of a region (or an administrator without a region) proposes a dated value of a
parameter for that region or a place inside it, citing the notice (文号, title, date of issue,
clause, where it was published). Nothing takes effect until a second supervisor who may keep the
same region approves it. Approved rows are never changed: a new figure is a new row with its own
effective date, so the history of every value stays; a value dated in the future is a scheduled
one and applies from its date. Every proposal, approval, rejection and withdrawal is in the audit
log, and each approval raises the "standards" version so that every worker reloads at once.

The console page (bot/web/console/standards.py) and the command line (`python -m bot.standards`)
both call this module: one validation, one history, one audit.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping, Optional

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.core.db import reading, transaction, utcnow
from bot.core.versions import bump, current
from bot.core.errors import Forbidden, IntakeError, InvalidField, NotFound
from bot.core.models import (
    STANDARD_APPROVED,
    STANDARD_PENDING,
    STANDARD_REJECTED,
    STANDARD_WITHDRAWN,
    StaffUser,
    StandardValue,
)
from bot.eligibility.parameters import BASES, CATALOGUE, Kind
from bot.intake.registry import _audit_entry
from bot.regions import ancestors, display_name, get_region, normalize_region

STANDARDS = "standards"  # the RegistryVersion row of this module
KEEPERS = ("supervisor", "admin")
# Parameters a figure can be entered for in the console (the others are whole measures or
# disability grades, kept in data/parameters/ with the documents they quote).
EDITABLE_KINDS = (Kind.AMOUNT, Kind.MULTIPLE, Kind.COUNT, Kind.RANGE)
MAX_MONTHLY_STANDARD = 10_000  # 元/人/月; a yearly figure is compared as twelve months
MAX_YEARLY_AMOUNT = 10_000_000
MAX_FACTOR = 20
MAX_COUNT = 200
MAX_SCHEDULE_YEARS = 3
MAX_NOTE = 1000
STATUS_NAMES = {STANDARD_PENDING: "待审核", STANDARD_APPROVED: "已生效", STANDARD_REJECTED: "已驳回",
                STANDARD_WITHDRAWN: "已撤回"}
_BRACKETS = str.maketrans({"[": "〔", "]": "〕", "［": "〔", "］": "〕", "(": "〔", ")": "〕", "（": "〔",
                           "）": "〕", "【": "〔", "】": "〕", "〈": "〔", "〉": "〕"})
_DOC_NUMBER_RE = re.compile(r"^[\u4e00-\u9fff]{1,20}〔(?P<year>(?:19|20)\d{2})〕第?(?P<n>\d{1,4})号$")
_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")


def editable_parameters() -> dict[str, str]:
    """Parameter key -> label, for the ones a figure can be entered for."""
    return {name: spec.label for name, spec in CATALOGUE.items() if spec.kind in EDITABLE_KINDS}


# ---- validation (no database) ----

@dataclass(frozen=True)
class Proposal:
    region: str
    parameter: str
    data: dict[str, Any]
    effective: dt.date
    valid_until: dt.date | None
    doc_number: str
    doc_title: str
    doc_issued: dt.date
    clause: str
    source: str
    note: str | None


def normalize_doc_number(text: str) -> str:
    return "".join((text or "").split()).translate(_BRACKETS)


def _text(raw: Mapping[str, Any], name: str, label: str, limit: int, *, required: bool = True) -> str:
    value = raw.get(name)
    value = "" if value is None else " ".join(str(value).split())
    if required and not value:
        raise InvalidField(name, f"请填写{label}。")
    if len(value) > limit:
        raise InvalidField(name, f"{label}最多{limit}个字。")
    return value


def _date(raw: Mapping[str, Any], name: str, label: str, *, required: bool = True) -> dt.date | None:
    value = raw.get(name)
    if value in (None, ""):
        if required:
            raise InvalidField(name, f"请填写{label}（格式如 2024-07-01）。")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidField(name, f"{label}不是有效日期，请按 2024-07-01 的格式填写。") from None


def _number(raw: Mapping[str, Any], name: str, label: str) -> Fraction:
    value = raw.get(name)
    if value in (None, ""):
        raise InvalidField(name, f"请填写{label}。")
    if isinstance(value, bool):
        raise InvalidField(name, f"{label}须为数字（如 700 或 700.5）。")
    text = str(value).strip().replace(",", "").replace("，", "")
    if text.startswith("-"):
        raise InvalidField(name, f"{label}不能为负数。")
    if not _NUMBER_RE.match(text):
        raise InvalidField(name, f"{label}须为数字（如 700 或 700.5），不能含文字或单位。")
    return Fraction(text)


def _whole(raw: Mapping[str, Any], name: str, label: str) -> int:
    number = _number(raw, name, label)
    if number.denominator != 1:
        raise InvalidField(name, f"{label}须为整数。")
    if number > MAX_COUNT:
        raise InvalidField(name, f"{label}不能超过{MAX_COUNT}。")
    return int(number)


def _plain(number: Fraction) -> int | float:
    return int(number) if number.denominator == 1 else float(number)


def _data(parameter: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    spec = CATALOGUE[parameter]
    if spec.kind is Kind.AMOUNT:
        unit = _text(raw, "unit", "单位", 16)
        if unit not in spec.units:
            raise InvalidField("unit", f"{spec.label}的单位须为{'或'.join(spec.units)}。")
        value = _number(raw, "value", "金额")
        if value == 0:
            raise InvalidField("value", "金额须大于0。")
        monthly = value / 12 if unit == "元/人/年" else value
        if unit in ("元/人/月", "元/人/年") and monthly > MAX_MONTHLY_STANDARD:
            raise InvalidField("value", f"月标准超过{MAX_MONTHLY_STANDARD}元/人/月，请核对是否多输了位数或选错了单位。")
        if value > MAX_YEARLY_AMOUNT:
            raise InvalidField("value", "金额过大，请核对。")
        return {"value": _plain(value), "unit": unit}
    if spec.kind is Kind.MULTIPLE:
        factor = _number(raw, "factor", "倍数")
        if not 0 < factor <= MAX_FACTOR:
            raise InvalidField("factor", f"倍数须大于0且不超过{MAX_FACTOR}。")
        of = str(raw.get("of") or "").strip()
        if of not in BASES:
            raise InvalidField("of", f"请选择以哪个标准为基数（{'、'.join(BASES.values())}）。")
        at_least = raw.get("at_least") in (True, "1", "on", "true", "yes")
        return {"factor": _plain(factor), "of": of, "at_least": at_least}
    if spec.kind is Kind.COUNT:
        return {"value": _whole(raw, "value", "数值")}
    if spec.kind is Kind.RANGE:
        low, high = _whole(raw, "min", "最少月数"), _whole(raw, "max", "最多月数")
        if low > high:
            raise InvalidField("max", "最多月数不能少于最少月数。")
        return {"min": low, "max": high}
    raise InvalidField("parameter", f"“{spec.label}”是整条措施或残疾等级，请在 data/parameters/ 中维护。")


def validate(raw: Mapping[str, Any], today: dt.date) -> Proposal:
    """A proposal from form or YAML fields, or InvalidField with a Chinese message."""
    region_text = _text(raw, "region", "地区", 64)
    region = get_region(region_text) or normalize_region(region_text)
    if region is None or not region.covered:
        raise InvalidField("region", f"“{region_text}”不是本助手覆盖的省、市或县（区）名称。")
    parameter = str(raw.get("parameter") or "").strip()
    if parameter not in CATALOGUE:
        raise InvalidField("parameter", "请选择要设置的参数。")
    data = _data(parameter, raw)
    doc_issued = _date(raw, "doc_issued", "文件印发日期")
    effective = _date(raw, "effective", "生效日期")
    valid_until = _date(raw, "valid_until", "截止日期", required=False)
    assert doc_issued is not None and effective is not None
    if effective < doc_issued:
        raise InvalidField("effective", "生效日期早于文件印发日期，请核对（文件不能在印发前生效）。")
    if valid_until is not None and valid_until < effective:
        raise InvalidField("valid_until", "截止日期不能早于生效日期。")
    if doc_issued > today:
        raise InvalidField("doc_issued", "文件印发日期不能晚于今天。")
    if effective > today + dt.timedelta(days=366 * MAX_SCHEDULE_YEARS):
        raise InvalidField("effective", f"生效日期最多只能排在{MAX_SCHEDULE_YEARS}年以后。")
    doc_number = normalize_doc_number(_text(raw, "doc_number", "文号", 64))
    match = _DOC_NUMBER_RE.match(doc_number)
    if match is None:
        raise InvalidField("doc_number", "文号格式不对，应像“运民发〔2024〕12号”：发文机关代字、〔年份〕、序号和“号”。")
    if int(match.group("year")) != doc_issued.year:
        raise InvalidField("doc_number", f"文号中的年份（{match.group('year')}）与印发日期（{doc_issued.year}年）不一致，请核对。")
    return Proposal(
        region=region.name, parameter=parameter, data=data, effective=effective, valid_until=valid_until,
        doc_number=doc_number, doc_title=_text(raw, "doc_title", "文件标题", 200),
        doc_issued=doc_issued, clause=_text(raw, "clause", "条款（如“第二条”）", 64),
        source=_text(raw, "source", "来源（文件发布的网址或出处）", 500),
        note=_text(raw, "note", "说明", MAX_NOTE, required=False) or None,
    )


def region_name(text: str) -> str | None:
    """The canonical name of a region named in text ("运城" -> 山西省运城市), or None."""
    region = get_region(text) or normalize_region(text)
    return region.name if region else None


# ---- who may keep which region ----

def may_keep(user: StaffUser, region: str) -> bool:
    """Supervisors of the region or a region containing it; administrators without a region
    keep every region (province-wide administrators)."""
    if not user.active or user.role not in KEEPERS:
        return False
    if user.region is None:
        return user.role == "admin"
    return user.region in ancestors(region)


def _check_keeper(user: StaffUser, region: str) -> None:
    if not may_keep(user, region):
        where = display_name(user.region) if user.region else "（未设置）"
        raise Forbidden(f"您负责的地区是{where}，不能设置或审核{display_name(region)}的标准。"
                        "请由该地区的主管办理，或请管理员为您的账户设置负责地区。")


# ---- the registry ----

def version(name: str, factory: Optional[sessionmaker] = None) -> int:
    """The counter `name`: read by every worker once a second, so it takes no write lock (on SQLite
    a plain BEGIN, which neither waits for the console's writes nor holds them up)."""
    with reading(factory) as session:
        return current(session, name) or 0


def _detail(row: StandardValue) -> str:
    return (f"{display_name(row.region)} {CATALOGUE[row.parameter].label} {describe_data(row.parameter, row.data)} "
            f"{row.effective.isoformat()}起 {row.doc_number}{row.clause}")


def describe_data(parameter: str, data: Mapping[str, Any]) -> str:
    kind = CATALOGUE[parameter].kind
    if kind is Kind.AMOUNT:
        return f"{data['value']:g}{data['unit']}" if isinstance(data["value"], float) else f"{data['value']}{data['unit']}"
    if kind is Kind.MULTIPLE:
        return f"{'不低于' if data.get('at_least') else ''}{BASES[data['of']]}的{data['factor']}倍"
    if kind is Kind.COUNT:
        return str(data["value"])
    if kind is Kind.RANGE:
        return f"{data['min']}至{data['max']}个月"
    return ""


def _pending_key(region: str, parameter: str) -> str:
    return f"{region}|{parameter}"


def propose(actor: StaffUser, raw: Mapping[str, Any], *, today: dt.date, via: str = "console",
            factory: Optional[sessionmaker] = None) -> StandardValue:
    return propose_many(actor, [raw], today=today, via=via, factory=factory)[0]


def propose_many(actor: StaffUser, raws: list[Mapping[str, Any]], *, today: dt.date, via: str = "console",
                 factory: Optional[sessionmaker] = None) -> list[StandardValue]:
    """Every proposal validated first, then all saved in one transaction (or none)."""
    proposals = []
    for raw in raws:
        try:
            proposals.append(validate(raw, today))
        except InvalidField as exc:
            if raw.get("where"):
                raise InvalidField(exc.field, f"{raw['where']}：{exc.message}") from None
            raise
    keys: set[str] = set()
    for proposal in proposals:
        _check_keeper(actor, proposal.region)
        key = _pending_key(proposal.region, proposal.parameter)
        if key in keys:
            raise InvalidField("parameter", f"{display_name(proposal.region)}的{CATALOGUE[proposal.parameter].label}"
                                            "在同一批里出现了两次；一次只能提一个待审核的值。")
        keys.add(key)
    saved: list[StandardValue] = []
    current = proposals[0] if proposals else None
    try:
        with transaction(factory) as session:
            for current in proposals:
                key = _pending_key(current.region, current.parameter)
                if session.scalar(select(StandardValue.id).where(StandardValue.pending_key == key)) is not None:
                    raise _taken(current)
                row = StandardValue(
                    region=current.region, parameter=current.parameter, data=current.data,
                    effective=current.effective, valid_until=current.valid_until,
                    doc_number=current.doc_number, doc_title=current.doc_title, doc_issued=current.doc_issued,
                    clause=current.clause, source=current.source, note=current.note,
                    status=STANDARD_PENDING, pending_key=key, proposed_by_id=actor.id,
                    proposed_by=actor.display_name, proposed_at=utcnow(),
                )
                session.add(row)
                session.flush()
                session.add(_audit_entry(actor, "standard_propose", object_type="standard",
                                         object_id=str(row.id), detail=f"{_detail(row)}（{via}）"))
                saved.append(row)
    except IntegrityError:
        assert current is not None
        raise _taken(current) from None
    return saved


def _taken(proposal: Proposal) -> IntakeError:
    return IntakeError(f"{display_name(proposal.region)}的{CATALOGUE[proposal.parameter].label}已有一条待审核的提议，"
                       "请先审核或撤回那一条，再提新的。")


def _decide(actor: StaffUser, row_id: int, status: str, note: str | None, via: str,
            factory: Optional[sessionmaker]) -> StandardValue:
    note = " ".join((note or "").split())[:MAX_NOTE] or None
    with transaction(factory) as session:
        row = session.get(StandardValue, row_id, with_for_update=True)
        if row is None:
            raise NotFound("没有找到该提议，请刷新后再试。")
        if row.status != STANDARD_PENDING:
            raise IntakeError(f"该提议已{STATUS_NAMES[row.status]}，不能再办理。")
        if status == STANDARD_WITHDRAWN:
            if row.proposed_by_id != actor.id:
                raise Forbidden("只有提议人可以撤回自己的提议。")
        else:
            _check_keeper(actor, row.region)
            if row.proposed_by_id == actor.id:
                raise Forbidden("提议须由另一位主管审核，不能审核自己的提议。")
            if status == STANDARD_REJECTED and not note:
                raise InvalidField("note", "驳回时请写明理由。")
        changed = session.execute(
            update(StandardValue)
            .where(StandardValue.id == row_id, StandardValue.status == STANDARD_PENDING)
            .values(status=status, pending_key=None, decided_by_id=actor.id, decided_by=actor.display_name,
                    decided_at=utcnow(), decision_note=note)
            .execution_options(synchronize_session="fetch")
        ).rowcount
        if changed != 1:
            raise IntakeError("该提议已被其他主管办理，请刷新后再看。")
        action = {STANDARD_APPROVED: "standard_approve", STANDARD_REJECTED: "standard_reject",
                  STANDARD_WITHDRAWN: "standard_withdraw"}[status]
        session.add(_audit_entry(actor, action, object_type="standard", object_id=str(row.id),
                                 detail=f"{_detail(row)}（{via}）{('：' + note) if note else ''}"))
        if status == STANDARD_APPROVED:
            bump(session, STANDARDS)
        session.flush()
        session.refresh(row)
    return row


def approve(actor: StaffUser, row_id: int, *, note: str | None = None, via: str = "console",
            factory: Optional[sessionmaker] = None) -> StandardValue:
    return _decide(actor, row_id, STANDARD_APPROVED, note, via, factory)


def reject(actor: StaffUser, row_id: int, *, note: str | None, via: str = "console",
           factory: Optional[sessionmaker] = None) -> StandardValue:
    return _decide(actor, row_id, STANDARD_REJECTED, note, via, factory)


def withdraw(actor: StaffUser, row_id: int, *, via: str = "console",
             factory: Optional[sessionmaker] = None) -> StandardValue:
    return _decide(actor, row_id, STANDARD_WITHDRAWN, None, via, factory)


def rows(*, region: str | None = None, status: str | None = None,
         factory: Optional[sessionmaker] = None) -> list[StandardValue]:
    """Every row (history included), newest first; `region` also lists the places inside it."""
    with reading(factory) as session:
        query = select(StandardValue).order_by(StandardValue.id.desc())
        if status:
            query = query.where(StandardValue.status == status)
        found = list(session.scalars(query))
    if region:
        found = [row for row in found if region in ancestors(row.region)]
    return found


def approved(factory: Optional[sessionmaker] = None) -> list[StandardValue]:
    """Approved rows in the order they were approved (a later approval of the same date wins)."""
    with reading(factory) as session:
        return list(session.scalars(
            select(StandardValue).where(StandardValue.status == STANDARD_APPROVED)
            .order_by(StandardValue.decided_at, StandardValue.id)))


def count_pending(factory: Optional[sessionmaker] = None) -> int:
    with reading(factory) as session:
        return session.scalar(select(func.count(StandardValue.id))
                              .where(StandardValue.status == STANDARD_PENDING)) or 0


def user_by_name(username: str, factory: Optional[sessionmaker] = None) -> StaffUser:
    with reading(factory) as session:
        user = session.scalars(select(StaffUser).where(StaffUser.username == username.strip())).first()
    if user is None or not user.active:
        raise NotFound(f"没有名为“{username}”的在用账户。")
    return user
