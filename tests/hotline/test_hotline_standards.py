"""The operator panel's screening for a Shanxi call: no 低保 judgement while 运城 has no figure,
a judgement with the gap once a 运城 standard is approved (issue 13; a test value)."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.eligibility.engine import shipped_parameters
from bot.hotline.assist import Line, assess
from bot.knowledge.service import PolicyService
from bot.standards.current import ApprovedValue, merge

AS_OF = dt.date(2026, 11, 23)
START = dt.datetime(2026, 11, 23, 2, 0)
CALL = [Line(speaker, text, START + dt.timedelta(seconds=5 * i)) for i, (speaker, text) in enumerate((
    ("caller", "我想问问低保能不能办"),
    ("operator", "您在哪里？"),
    ("caller", "运城盐湖区 住在城里"),
    ("caller", "家里三口人 一个月收入一千五"),
))]
TEST_STANDARD = ApprovedValue(1, "山西省运城市", "dibao_standard_urban", {"value": 913, "unit": "元/人/月"},
                              dt.date(2026, 1, 1), None, "测试〔2025〕13号", "测试用通知", dt.date(2025, 12, 20),
                              "第一条", None)


def dibao(state: dict) -> dict:
    return next(p for p in state["screening"]["programs"] if p["program"] == "dibao")


def test_the_panel_decides_dibao_once_a_standard_is_approved(policy_service: PolicyService,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.standards.current.LIVE", lambda: shipped_parameters())
    before = dibao(assess(CALL, service=policy_service, as_of=AS_OF))
    assert before["outcome"] == "unknown"
    merged = merge(shipped_parameters(), [TEST_STANDARD])
    monkeypatch.setattr("bot.standards.current.LIVE", lambda: merged)
    after = dibao(assess(CALL, service=policy_service, as_of=AS_OF))
    assert after["outcome"] == "likely" and after["amount"] == f"{913 * 3 - 1500}元/月（全家）"
