"""Issue 11, defects found talking to the assistant as a resident: a question the documents do not
answer gets who to ask and what the assistant can do; a resident from a province not covered is
told so plainly (and may go on from a covered one) instead of getting an empty result at once; a
plain "好" after "还有什么可以帮您" does not bring the same question back."""
from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.policy import ActionAnswerPolicy
from tests.conftest import Servers
from tests.test_conversation_repairs import asked, new_sender, tracker


def policy_tracker(text: str, region: str | None, slots: dict[str, Any] | None = None) -> Tracker:
    message = {"text": text, "intent": {"name": "ask_policy", "confidence": 0.9}, "entities": []}
    return Tracker("unit", {"region": region, **(slots or {})}, message,
                   [{"event": "user", "text": text, "parse_data": message}], False, None, {}, "action_listen")


def test_a_question_the_documents_do_not_answer_says_who_to_ask_and_offers_the_questionnaire() -> None:
    dispatcher = CollectingDispatcher()
    events = ActionAnswerPolicy().run(dispatcher, policy_tracker("公积金怎么提取", "山西省太原市"), {})
    first, offer = dispatcher.messages
    assert first["text"].startswith("收录的政策文件里没有找到")  # the answer first
    assert "乡镇（街道）社会救助窗口" in first["text"] and "12345" in first["text"]
    assert "换个说法" in first["text"] and "转人工" in first["text"] and len(first["text"]) <= 300
    assert "开始吗" in offer["text"] and [b["payload"] for b in offer["buttons"]] == ["/start_screening", "/deny"]
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["screening_now"] is False and slots["screening_offered"] is True  # "好" takes the offer


def test_the_offer_after_a_question_not_answered_is_made_once() -> None:
    dispatcher = CollectingDispatcher()
    ActionAnswerPolicy().run(dispatcher, policy_tracker("公积金怎么提取", "山西省太原市", {"screening_offered": True}), {})
    assert len(dispatcher.messages) == 1 and "没有找到" in dispatcher.messages[0]["text"]


@pytest.mark.e2e
def test_a_story_from_a_province_not_covered_is_told_so_and_may_go_on(servers: Servers) -> None:
    sender = new_sender("henan")
    offer = "\n".join(servers.talk(sender, "俺是河南周口的，老伴瘫在床上，家里日子过不下去了"))
    assert "河南" not in offer  # not "noted" as the questionnaire's region
    messages = servers.messages(sender, "好")
    said = messages[-1]
    assert "山西省、宁夏回族自治区" in said["text"] and "河南省周口市" in said["text"]
    assert "12345" in said["text"] and "民政" in said["text"] and "具体的市、县" in said["text"]
    assert [b["payload"] for b in said["buttons"]] == ["/stop_screening", "/request_human"]
    assert asked(servers, sender) == "region"  # no result "还定不了" at once
    assert not any("初步判断（仅供参考" in m.get("text", "") for m in messages)
    again = servers.talk(sender, "啥意思？俺不懂")  # the question explained; the long text not sent twice
    assert said["text"] not in again and "具体的市、县" in again[-1] and asked(servers, sender) == "region"
    servers.talk(sender, "其实俺户口在运城临猗县")
    state = tracker(servers, sender)
    assert state["slots"]["region"] == "山西省运城市临猗县" and asked(servers, sender) not in (None, "region")


@pytest.mark.e2e
def test_a_region_not_covered_given_to_the_region_question(servers: Servers) -> None:
    sender = new_sender("zhengzhou")
    servers.talk(sender, "帮我看看能申请啥")
    said = "\n".join(servers.talk(sender, "俺在河南郑州"))
    assert "没有收录河南省郑州市的政策" in said and "12345" in said
    assert asked(servers, sender) == "region" and tracker(servers, sender)["slots"]["region"] is None
    servers.talk(sender, "asdf")
    options = servers.messages(sender, "😀")[-1]  # the region cannot be skipped: "跳过" not offered
    assert "跳过" not in options["text"] and "市、县" in options["text"] and asked(servers, sender) == "region"
    servers.talk(sender, "先不测了")
    assert asked(servers, sender) is None


@pytest.mark.e2e
def test_a_plain_yes_after_anything_else_does_not_loop(servers: Servers) -> None:
    sender = new_sender("ack")
    servers.talk(sender, "宁夏低保标准多少")
    anything_else = servers.talk(sender, "不用了")[-1]
    assert "还有什么可以帮您" in anything_else
    suggestions = servers.messages(sender, "好")[-1]
    assert "还有什么可以帮您" not in suggestions["text"]
    assert "帮我看看能申请啥" in [b["title"] for b in suggestions["buttons"]]
    replies = [suggestions["text"]] + [servers.talk(sender, yes)[-1] for yes in ("好的", "嗯", "好")]
    assert all(a != b for a, b in zip(replies, replies[1:]))  # never the same words twice running
    assert not any("还有什么可以帮您" in r for r in replies)
    assert asked(servers, sender) is None
