"""Colloquial conversations over the real REST channel (issue 11, second tuning set's kind): an
opening with an age and "有啥政策" is offered the questionnaire, "嗯么" and "好的谢谢" take the
offer, money spent in a story is not noted as income, a county's short name that is a common word
("同心") is read as the region, and a household with family elsewhere is counted as said, with a
word on who decides."""
from __future__ import annotations

import pytest

from tests.conftest import Servers
from tests.test_conversation_repairs import asked, new_sender, tracker

pytestmark = pytest.mark.e2e


def test_an_age_and_what_policies_is_offered_the_questionnaire_and_a_dialect_yes_takes_it(servers: Servers) -> None:
    sender = new_sender("age-policies")
    offer = servers.messages(sender, "我都七十三了，想问问有啥政策")[-1]
    assert "开始吗" in offer["text"] and "没太明白" not in offer["text"]
    servers.talk(sender, "嗯么")
    assert asked(servers, sender) == "region"


def test_a_yes_with_thanks_takes_the_offer_and_thanks_alone_does_not(servers: Servers) -> None:
    sender = new_sender("thanks-yes")
    servers.talk(sender, "我家能享受啥救助政策")
    servers.talk(sender, "好的谢谢")
    assert asked(servers, sender) == "region"
    other = new_sender("thanks-only")
    servers.talk(other, "我家能享受啥救助政策")
    assert "不客气" in servers.talk(other, "谢谢")[-1]
    assert asked(servers, other) is None


def test_money_spent_in_a_story_is_not_noted_as_income(servers: Servers) -> None:
    sender = new_sender("spent")
    offer = servers.talk(sender, "俺男人上个月脑梗住院，花了五六万，家里实在没钱了")[-1]
    assert "月收入" not in offer and "50000" not in offer
    servers.talk(sender, "好，你问吧")
    assert tracker(servers, sender)["slots"].get("sc_monthly_income") is None


def test_a_short_county_name_and_a_household_with_family_elsewhere(servers: Servers) -> None:
    sender = new_sender("tongxin")
    servers.talk(sender, "帮我看看能申请啥")
    assert asked(servers, sender) == "region"
    servers.talk(sender, "同心")
    slots = tracker(servers, sender)["slots"]
    assert slots["region"] == "宁夏回族自治区吴忠市同心县"
    assert asked(servers, sender) == "sc_residence"
    servers.talk(sender, "城里")
    assert asked(servers, sender) == "sc_household_size"
    replies = servers.talk(sender, "我一个人在这，媳妇娃在老家")
    assert tracker(servers, sender)["slots"]["sc_household_size"] == 1
    assert any("乡镇（街道）窗口" in r and "1口人" in r for r in replies)
    assert asked(servers, sender) == "sc_monthly_income"
