"""Local standards in the registry (issue 13): precedence, maker-checker, dated history, validation,
the reload in every worker, the command line and the export (SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from bot.core.db import transaction
from bot.core.errors import Forbidden, IntakeError, InvalidField
from bot.core.models import AuditEntry, StaffUser, StandardValue
from bot.eligibility.engine import shipped_parameters
from bot.eligibility.parameters import Amount, load_region_file
from bot.standards import store
from bot.standards.current import ApprovedValue, LiveParameters, merge

TODAY = dt.date(2026, 12, 3)
YUNCHENG = "山西省运城市"
YANHU = "山西省运城市盐湖区"


def fields(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "region": "运城市", "parameter": "dibao_standard_urban", "value": "777", "unit": "元/人/月",
        "effective": "2026-07-01", "doc_number": "运民发[2026]99号", "doc_title": "测试用运城市城乡低保标准通知",
        "doc_issued": "2026-06-20", "clause": "第一条", "source": "测试数据，不是真实文件",
    }
    values.update(changes)
    return values


@pytest.fixture
def person(factory: sessionmaker) -> Callable[..., StaffUser]:
    serial = itertools.count(1)

    def build(role: str = "supervisor", region: str | None = YUNCHENG, name: str = "主管") -> StaffUser:
        with transaction(factory) as session:
            user = StaffUser(username=f"keeper{next(serial)}", display_name=f"{name}{next(serial)}",
                             password_hash="not-used", role=role, region=region, active=True)
            session.add(user)
        return user

    return build


def approved_set(factory: sessionmaker):
    return merge(shipped_parameters(), [ApprovedValue.from_row(row) for row in store.approved(factory)])


# ---- precedence (no database) ----

def row(id: int, region: str, value: int, effective: dt.date, *, until: dt.date | None = None,
        parameter: str = "dibao_standard_urban") -> ApprovedValue:
    return ApprovedValue(id, region, parameter, {"value": value, "unit": "元/人/月"}, effective, until,
                         f"测民发〔{effective.year}〕{id}号", "测试", effective, "第一条", None)


def test_county_over_city_over_province_for_the_date() -> None:
    parameters = merge(shipped_parameters(), [
        row(1, "山西省", 600, dt.date(2026, 1, 1)),
        row(2, YUNCHENG, 700, dt.date(2026, 1, 1)),
        row(3, YANHU, 750, dt.date(2026, 7, 1)),
    ])
    lookup = parameters.lookup("dibao_standard_urban", YANHU, dt.date(2026, 8, 1))
    assert lookup.value.region == YANHU and lookup.value.data == Amount(750, "元/人/月")
    assert lookup.value.citation.document == "测民发〔2026〕3号"
    # before the county's own value takes effect, the city's applies
    assert parameters.lookup("dibao_standard_urban", YANHU, dt.date(2026, 3, 1)).value.region == YUNCHENG
    # another county of the city gets the city's figure; another city the province's
    assert parameters.lookup("dibao_standard_urban", "山西省运城市永济市", TODAY).value.data.value == 700
    assert parameters.lookup("dibao_standard_urban", "山西省忻州市", TODAY).value.data.value == 600
    # before any value: the shipped "who sets it" note
    early = parameters.lookup("dibao_standard_urban", YUNCHENG, dt.date(2025, 1, 1))
    assert early.value is None and early.unpublished is not None and early.upcoming is not None


def test_expired_document_is_stale_and_no_region_is_unpublished() -> None:
    parameters = merge(shipped_parameters(), [row(1, YUNCHENG, 700, dt.date(2025, 1, 1),
                                                  until=dt.date(2025, 12, 31))])
    lookup = parameters.lookup("dibao_standard_urban", YUNCHENG, TODAY)
    assert lookup.value is not None and lookup.stale
    assert not parameters.lookup("dibao_standard_urban", YUNCHENG, dt.date(2025, 6, 1)).stale
    nothing = parameters.lookup("dibao_standard_urban", "山西省大同市", TODAY)
    assert nothing.value is None and nothing.unpublished is not None  # Shanxi: the city sets it


def test_a_scheduled_value_waits_for_its_date() -> None:
    parameters = merge(shipped_parameters(), [row(1, YUNCHENG, 700, dt.date(2026, 1, 1)),
                                              row(2, YUNCHENG, 760, dt.date(2027, 1, 1))])
    assert parameters.lookup("dibao_standard_urban", YUNCHENG, TODAY).value.data.value == 700
    assert parameters.lookup("dibao_standard_urban", YUNCHENG, dt.date(2027, 1, 1)).value.data.value == 760


# ---- maker-checker, history, audit ----

def test_nothing_takes_effect_until_a_second_supervisor_approves(factory: sessionmaker, person) -> None:
    maker, checker, elsewhere = person(), person(), person(region="山西省忻州市")
    proposed = store.propose(maker, fields(), today=TODAY, factory=factory)
    assert proposed.region == YUNCHENG and proposed.doc_number == "运民发〔2026〕99号"
    assert approved_set(factory).lookup("dibao_standard_urban", YUNCHENG, TODAY).value is None
    assert store.version(store.STANDARDS, factory) == 0
    with pytest.raises(Forbidden, match="另一位主管"):
        store.approve(maker, proposed.id, factory=factory)
    with pytest.raises(Forbidden, match="忻州市"):
        store.approve(elsewhere, proposed.id, factory=factory)
    store.approve(checker, proposed.id, factory=factory)
    assert store.version(store.STANDARDS, factory) == 1
    value = approved_set(factory).lookup("dibao_standard_urban", YUNCHENG, TODAY).value
    assert value.data == Amount(777, "元/人/月") and str(value.citation) == "运民发〔2026〕99号 第一条"
    with pytest.raises(IntakeError, match="已生效"):
        store.approve(checker, proposed.id, factory=factory)
    with transaction(factory) as session:
        actions = [(e.action, e.actor_name) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == [("standard_propose", maker.display_name), ("standard_approve", checker.display_name)]


def test_history_is_kept_and_the_newest_approval_of_a_date_wins(factory: sessionmaker, person) -> None:
    maker, checker = person(), person()
    for value, effective in (("700", "2026-01-01"), ("720", "2026-07-01"), ("730", "2026-07-01")):
        proposed = store.propose(maker, fields(value=value, effective=effective, doc_issued="2026-01-01",
                                               doc_number="运民发〔2026〕1号"), today=TODAY, factory=factory)
        store.approve(checker, proposed.id, factory=factory)
    history = store.rows(region=YUNCHENG, factory=factory)
    assert [r.data["value"] for r in history] == [730, 720, 700]  # newest first, nothing overwritten
    parameters = approved_set(factory)
    assert parameters.lookup("dibao_standard_urban", YUNCHENG, dt.date(2026, 3, 1)).value.data.value == 700
    assert parameters.lookup("dibao_standard_urban", YUNCHENG, TODAY).value.data.value == 730


def test_reject_and_withdraw(factory: sessionmaker, person) -> None:
    maker, checker = person(), person()
    first = store.propose(maker, fields(), today=TODAY, factory=factory)
    with pytest.raises(InvalidField, match="理由"):
        store.reject(checker, first.id, note=" ", factory=factory)
    store.reject(checker, first.id, note="文号不对", factory=factory)
    second = store.propose(maker, fields(), today=TODAY, factory=factory)
    with pytest.raises(Forbidden, match="提议人"):
        store.withdraw(checker, second.id, factory=factory)
    store.withdraw(maker, second.id, factory=factory)
    assert [r.status for r in store.rows(factory=factory)] == ["withdrawn", "rejected"]
    assert store.version(store.STANDARDS, factory) == 0


@pytest.mark.parametrize(("changes", "message"), [
    ({"value": "-5"}, "不能为负数"),
    ({"value": "12000"}, "超过10000元/人/月"),
    ({"value": "150000", "unit": "元/人/年"}, "超过10000元/人/月"),
    ({"value": "七百"}, "须为数字"),
    ({"value": True}, "须为数字"),
    ({"unit": "元/户/月"}, "单位须为"),
    ({"effective": "2026-06-01"}, "早于文件印发日期"),
    ({"effective": "2026-13-01"}, "不是有效日期"),
    ({"doc_number": "运城市民政局通知"}, "文号格式不对"),
    ({"doc_number": "运民发〔2025〕9号"}, "年份"),
    ({"region": "北京"}, "不是本助手覆盖"),
    ({"parameter": "tekun_conditions"}, "请在 data/parameters/ 中维护"),
    ({"parameter": "nothing"}, "请选择要设置的参数"),
    ({"source": ""}, "请填写来源"),
    ({"valid_until": "2026-01-01"}, "截止日期不能早于生效日期"),
])
def test_bad_input_is_refused_with_a_chinese_message(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidField, match=message):
        store.validate(fields(**changes), TODAY)


def test_other_parameter_kinds_validate() -> None:
    tekun = store.validate(fields(parameter="tekun_standard", factor="1.3", of="dibao_monthly"), TODAY)
    assert tekun.data == {"factor": 1.3, "of": "dibao_monthly", "at_least": False}
    with pytest.raises(InvalidField, match="倍数"):
        store.validate(fields(parameter="tekun_standard", factor="0", of="dibao_monthly"), TODAY)
    exit_range = store.validate(fields(parameter="gradual_exit_months", min="6", max="12"), TODAY)
    assert exit_range.data == {"min": 6, "max": 12}


def test_second_pending_proposal_and_region_rights(factory: sessionmaker, person) -> None:
    maker = person()
    store.propose(maker, fields(), today=TODAY, factory=factory)
    with pytest.raises(IntakeError, match="待审核"):
        store.propose(person(), fields(value="780"), today=TODAY, factory=factory)
    store.propose(maker, fields(parameter="dibao_standard_rural", value="6000", unit="元/人/年"),
                  today=TODAY, factory=factory)  # another parameter is fine
    with pytest.raises(Forbidden):
        store.propose(person(region="山西省忻州市"), fields(region="盐湖区", value="1"), today=TODAY, factory=factory)
    with pytest.raises(Forbidden):
        store.propose(person(region=None), fields(parameter="tekun_minor_age_limit", value="16"), today=TODAY,
                      factory=factory)  # a supervisor without a region keeps none
    admin = person(role="admin", region=None)
    store.propose(admin, fields(region="宁夏", parameter="tekun_minor_age_limit", value="16"),
                  today=TODAY, factory=factory)
    with pytest.raises(Forbidden):
        store.propose(person(role="intake", region=None), fields(region="宁夏", parameter="tekun_elderly_min_age",
                                                                  value="60"), today=TODAY, factory=factory)
    assert len(store.rows(status="pending", factory=factory)) == 3


def test_a_batch_is_saved_whole_or_not_at_all(factory: sessionmaker, person) -> None:
    maker = person()
    with pytest.raises(InvalidField, match="不能为负数"):
        store.propose_many(maker, [fields(), fields(parameter="dibao_standard_rural", value="-1", unit="元/人/年")],
                           today=TODAY, factory=factory)
    assert store.rows(factory=factory) == []


# ---- every worker reloads ----

def test_live_parameters_reload_on_a_new_version_and_keep_serving_when_the_registry_fails() -> None:
    clock = [0.0]
    state: dict[str, Any] = {"version": None, "rows": [], "fail": False}

    def read_version() -> Any:
        if state["fail"]:
            raise OperationalError("SELECT", {}, Exception("database is down"))
        return state["version"]

    live = LiveParameters(shipped_parameters, read_version, lambda: state["rows"], check_seconds=1.0,
                          clock=lambda: clock[0])
    assert live() is shipped_parameters()
    state.update(version=1, rows=[row(1, YUNCHENG, 700, dt.date(2026, 1, 1))])
    assert live().lookup("dibao_standard_urban", YUNCHENG, TODAY).value is None  # checked within the second
    clock[0] = 1.5
    merged = live()
    assert merged.lookup("dibao_standard_urban", YUNCHENG, TODAY).value.data.value == 700
    clock[0] = 3.0
    assert live() is merged  # same version: the same set
    state["fail"] = True
    clock[0] = 5.0
    assert live() is merged  # the registry is down: the last set keeps serving


def test_default_parameters_follow_the_registry(factory: sessionmaker, db_url: str, person,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.eligibility import default_parameters
    from bot.standards.current import LIVE

    monkeypatch.setenv("DATABASE_URL", db_url)
    LIVE.reset()
    try:
        assert default_parameters().lookup("dibao_standard_urban", YUNCHENG, TODAY).value is None
        proposed = store.propose(person(), fields(), today=TODAY, factory=factory)
        store.approve(person(), proposed.id, factory=factory)
        LIVE._checked_at = None  # as if a second had passed
        assert default_parameters().lookup("dibao_standard_urban", YUNCHENG, TODAY).value.data.value == 777
    finally:
        LIVE.reset()


# ---- command line and export ----

def test_command_line_propose_approve_and_export(factory: sessionmaker, db_url: str, person, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from bot.standards.__main__ import run

    monkeypatch.setenv("DATABASE_URL", db_url)
    maker, checker = person(), person()
    source = tmp_path / "yuncheng-2026.yml"
    source.write_text(yaml.safe_dump({
        "region": "山西省运城市",
        "documents": {"运民发〔2026〕99号": {"title": "测试用通知", "issued": dt.date(2026, 6, 20),
                                          "source": "测试数据"}},
        "parameters": {
            "dibao_standard_urban": {dt.date(2026, 7, 1): {
                "value": 777, "unit": "元/人/月", "citation": {"document": "运民发〔2026〕99号", "clause": "第一条"}}},
            "dibao_standard_rural": {dt.date(2026, 7, 1): {
                "value": 6600, "unit": "元/人/年", "citation": {"document": "运民发〔2026〕99号", "clause": "第一条"}}},
        },
    }, allow_unicode=True), encoding="utf-8")
    assert run(["propose", str(source), "--user", maker.username], today=TODAY) == 0
    ids = [r.id for r in store.rows(factory=factory)]
    assert run(["approve", str(ids[0]), "--user", maker.username], today=TODAY) == 1
    assert "另一位主管" in capsys.readouterr().err
    for row_id in ids:
        assert run(["approve", str(row_id), "--user", checker.username], today=TODAY) == 0
    assert run(["propose", str(source), "--user", "nobody"], today=TODAY) == 1
    bad = tmp_path / "bad.yml"
    bad.write_text(source.read_text(encoding="utf-8").replace("777", "-777"), encoding="utf-8")
    assert run(["propose", str(bad), "--user", maker.username], today=TODAY) == 1
    assert "不能为负数" in capsys.readouterr().err
    out = tmp_path / "export"
    assert run(["export", "--out", str(out)], today=TODAY) == 0
    exported = load_region_file(out / "yuncheng.yml")  # the shipped file's name and shape
    assert exported.values["dibao_standard_urban"][0].data == Amount(777, "元/人/月")
    assert "dibao_standard_urban" not in exported.unpublished
    assert "tekun_standard" in exported.unpublished  # what was not entered stays unpublished
    assert "dibao_employment_cost_deduction" in exported.values  # shipped values kept
    with transaction(factory) as session:
        details = [e.detail for e in session.scalars(select(AuditEntry).where(AuditEntry.action.like("standard%")))]
    assert details and all("命令行" in d for d in details)
    with transaction(factory) as session:
        assert session.scalar(select(StandardValue.id).where(StandardValue.status == "pending")) is None
