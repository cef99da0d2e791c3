"""The hotline eval sets (tests/eval/hotline_calls*.yml) are well formed, the judging can tell a
wrong work order from a right one, and the main set meets the issue's targets."""
from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.eligibility.engine import PROGRAMS
from bot.measure.evaluation import HELD_OUT_HOTLINE_CALLS, HOTLINE_CALLS, hotline_scores, judge_call
from bot.knowledge.search import PolicyIndex
from bot.knowledge.service import PolicyService
from bot.regions import get_region

FIELDS = {"caller_name", "callback_phone", "region", "district", "address", "category", "programs", "urgency"}


def calls_of(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["calls"]


@pytest.mark.parametrize("path", [HOTLINE_CALLS, HELD_OUT_HOTLINE_CALLS])
def test_every_call_is_well_formed(path: Path, policy_index: PolicyIndex) -> None:
    measures = {f"{d.doc_number} {m.clause}" for d in policy_index.documents for m in d.measures}
    calls = calls_of(path)
    assert len({call["id"] for call in calls}) == len(calls)
    for call in calls:
        order, policy = call["expected"]["work_order"], call["expected"]["policy"]
        assert set(order) == FIELDS, call["id"]
        assert get_region(order["region"]) is not None, call["id"]
        assert set(order["programs"]) <= {key for key, _name, _rule in PROGRAMS}, call["id"]
        assert order["callback_phone"] is None or len(order["callback_phone"]) == 11, call["id"]
        assert "caller" in call["utterances"][policy["turn"] - 1], call["id"]
        assert policy.get("none") or set(policy["any_of"]) <= measures, call["id"]


def test_the_main_set_has_at_least_twenty_calls() -> None:
    assert len(calls_of(HOTLINE_CALLS)) >= 20


def test_a_wrong_expectation_is_judged_wrong(policy_service: PolicyService) -> None:
    call = copy.deepcopy(calls_of(HOTLINE_CALLS)[0])
    fields, _facts, policy = judge_call(policy_service, call, dt.date(2026, 11, 23))
    assert all(outcome.right for outcome in fields) and policy.right
    call["expected"]["work_order"]["caller_name"] = "王秀英"
    call["expected"]["policy"]["any_of"] = ["宁政办规发〔2022〕7号 第20条"]
    fields, _facts, policy = judge_call(policy_service, call, dt.date(2026, 11, 23))
    assert [outcome.right for outcome in fields].count(False) == 1 and not policy.right


def test_the_main_set_meets_the_targets(policy_service: PolicyService) -> None:
    fields, _facts, covered, uncovered = hotline_scores(policy_service)
    assert sum(o.right for o in fields) / len(fields) >= 0.8
    assert sum(o.right for o in covered) / len(covered) >= 0.9
    assert all(o.right for o in uncovered)
