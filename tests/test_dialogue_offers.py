"""Issue 11 leftovers over the real REST channel: the questionnaire offered after a policy answer
and a plain yes ("好", "中", "行", "嗯") accepting it; the application form's questions asked in
other words after an answer it cannot use, then with a person offered, never the same words
twice in a row; a program the documents do not cover named as such."""
from __future__ import annotations

import pytest

from tests.conftest import Servers
from tests.test_conversation_repairs import asked, new_sender, tracker

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("yes", ["好", "中", "行", "嗯"])
def test_a_policy_answer_offers_the_questionnaire_and_a_yes_starts_it(servers: Servers, yes: str) -> None:
    sender = new_sender("offer")
    messages = servers.messages(sender, "宁夏低保标准是多少钱")
    assert "650元" in messages[0]["text"]  # the answer first, as before
    offer = messages[-1]
    assert "开始吗" in offer["text"] and [b["payload"] for b in offer["buttons"]] == ["/start_screening", "/deny"]
    assert asked(servers, sender) is None  # offered, not forced
    servers.talk(sender, yes)
    state = tracker(servers, sender)
    assert state["active_loop"]["name"] == "screening_form", state["latest_message"]
    assert asked(servers, sender) is not None


def test_the_offer_is_made_once_and_a_later_yes_is_not_taken_for_it(servers: Servers) -> None:
    sender = new_sender("once")
    servers.talk(sender, "宁夏低保标准是多少钱")
    second = servers.talk(sender, "特困人员供养标准是多少")
    assert not any("开始吗" in t for t in second)
    servers.talk(sender, "先不用")
    servers.talk(sender, "好的")
    assert asked(servers, sender) is None


def test_an_unusable_application_answer_is_asked_in_other_words_then_with_a_person(servers: Servers) -> None:
    sender = new_sender("appask")
    servers.talk(sender, "我要申请低保")
    servers.talk(sender, "同意")
    question = servers.messages(sender, "王秀兰")[-1]["text"]
    first = servers.messages(sender, "12345")
    texts = [m["text"] for m in first]
    assert "手机号" in texts[0] and question not in texts  # the validator's reason, then other words
    assert "比如" in texts[-1] and texts[-1] != question
    second = servers.messages(sender, "我记不住")
    assert second[-1]["text"] not in (question, texts[-1])
    assert "转人工" in [b["title"] for b in second[-1].get("buttons") or []]
    third = servers.messages(sender, "不知道啊")
    assert third[-1]["text"] != second[-1]["text"]
    assert asked(servers, sender) == "app_mobile"  # still applying, nothing handed off
    servers.talk(sender, "13835912468")
    assert asked(servers, sender) == "app_id_number"


def test_an_unreadable_confirmation_is_not_answered_with_the_summary_again(servers: Servers) -> None:
    sender = new_sender("appconfirm")
    servers.talk(sender, "我要申请临时救助")
    for answer in ("同意", "李强", "13900139000", "110101199003070070", "北城街道"):
        servers.talk(sender, answer)
    summary = servers.messages(sender, "北城街道幸福小区2号楼")[-1]["text"]
    assert "请核对" in summary
    again = servers.messages(sender, "那个啥")[-1]["text"]
    assert again != summary and "确认" in again
    assert asked(servers, sender) == "app_confirmed"


def test_an_uncovered_program_is_named_as_such(servers: Servers) -> None:
    text = "\n".join(servers.talk(new_sender("outside"), "宁夏高龄津贴一个月多少钱"))
    assert "没有规定高龄津贴" in text and "民政部门" in text and "孤儿" not in text
