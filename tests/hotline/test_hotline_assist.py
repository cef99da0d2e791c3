"""Suggestions for a call so far (bot.hotline.assist): merged facts, policies, reply, work order."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.hotline import assist
from bot.hotline.assist import Line, assess, follow, masked, merge_region, question_texts
from bot.knowledge.service import cited_hit
from bot.knowledge.service import PolicyService
from bot.regions import get_region

AS_OF = dt.date(2026, 11, 23)
START = dt.datetime(2026, 11, 23, 2, 0)


def lines(*said: tuple[str, str]) -> list[Line]:
    return [Line(speaker, text, START + dt.timedelta(seconds=5 * i)) for i, (speaker, text) in enumerate(said)]


def cited(state: dict) -> list[str]:
    return [f"{p['doc_number']} {p['clause']}" for p in state["policies"]]


CALL = lines(
    ("caller", "你好 我想问一下特困供养怎么申请"),
    ("operator", "您好，您在哪里？"),
    ("caller", "运城闻喜县 东镇"),
    ("operator", "老人多大年纪？"),
    ("caller", "七十六"),
    ("caller", "她一个人过 儿女都不在了 家里就三口人 哦说错了 就她一口人"),
    ("operator", "您贵姓，电话多少？"),
    ("caller", "我姓贾 贾春花 电话一三五 三四七八 九零一二"),
)


def test_facts_are_merged_across_the_call_and_corrections_listed(policy_service: PolicyService) -> None:
    state = assess(CALL, service=policy_service, as_of=AS_OF)
    facts = {fact["path"]: fact["value"] for fact in state["facts"]}
    assert facts["region"] == "山西省运城市闻喜县"
    assert facts["applicant.age"] == 76 and facts["household.size"] == 1
    assert facts["applicant.has_able_supporter"] is False
    assert {"path": "household.size", "label": "家庭人口", "from": "3口人", "to": "1口人"} in state["corrections"]


def test_the_work_order_is_filled_and_masked_for_the_platform(policy_service: PolicyService) -> None:
    order = assess(CALL, service=policy_service, as_of=AS_OF)["work_order"]
    assert order["caller_name"] == "贾春花" and order["callback_phone"] == "13534789012"
    assert order["region"] == "山西省运城市闻喜县" and order["district"] == "东镇"
    assert order["programs"] == ["tekun"] and order["category"] == "consult" and order["urgency"] == "normal"
    assert "13534789012" not in order["summary"] and "特困人员救助供养" in order["summary"]
    shown = masked(order)
    assert shown["callback_phone"] == "135****9012" and order["callback_phone"] == "13534789012"


def test_the_question_waits_for_the_region_then_is_answered_there(policy_service: PolicyService) -> None:
    before = assess(CALL[:1], service=policy_service, as_of=AS_OF)
    after = assess(CALL[:3], service=policy_service, as_of=AS_OF)
    assert after["topic"]["question"] == before["topic"]["question"]
    assert all(p["region"] in ("山西省", "山西省运城市") for p in after["policies"])
    assert len(after["policies"]) == 3
    assert after["policies"][0]["citation"].startswith("《") and after["policies"][0]["quote"]


def test_a_late_utterance_takes_its_place(policy_service: PolicyService) -> None:
    in_order = assess(CALL, service=policy_service, as_of=AS_OF)
    shuffled = [CALL[0], CALL[2], CALL[1], *CALL[3:]]
    arrived = sorted(shuffled, key=lambda line: line.at)  # what the database reads back
    assert assess(arrived, service=policy_service, as_of=AS_OF) == in_order


def test_a_region_not_covered_gets_no_policy_and_says_so(policy_service: PolicyService) -> None:
    state = assess(lines(("caller", "我在河北石家庄 想问问低保一个月多少钱")), service=policy_service, as_of=AS_OF)
    assert state["policies"] == [] and state["region"]["covered"] is False
    assert "河北省石家庄市" in state["reply"] and "山西省、宁夏回族自治区" in state["reply"]
    assert state["screening"]["programs"] == []


def test_the_reply_is_short_polite_and_cites_the_document(policy_service: PolicyService) -> None:
    state = assess(lines(("caller", "银川城里低保一个月给多少钱")), service=policy_service, as_of=AS_OF)
    reply = state["reply"]
    assert reply.startswith("您好") and "宁政办规发〔2022〕7号" in reply and "650元" in reply
    assert "已经过了有效期" in reply  # the Ningxia measures ran until 2023-12-31
    assert len(reply) < 200


def test_an_emergency_is_urgent_and_a_request_for_help(policy_service: PolicyService) -> None:
    state = assess(lines(("caller", "我家房子着火烧没了 一家人没地方住 在临汾乡宁县")), service=policy_service,
                   as_of=AS_OF)
    assert state["topic"]["urgent"] and state["reply"].startswith("您先别着急")
    order = state["work_order"]
    assert order["urgency"] == "urgent" and order["category"] == "apply"
    assert order["programs"] == ["temporary_assistance"]
    assert "晋民发〔2022〕38号 第7条" in cited(state)


def test_the_next_question_is_worded_like_the_questionnaire(policy_service: PolicyService) -> None:
    state = assess(lines(("caller", "我在太原迎泽区 想申请低保")), service=policy_service, as_of=AS_OF)
    question = state["screening"]["next_question"]
    assert question["text"] == question_texts()[question["path"]]
    assert not re.search(r"sc_|applicant\.", question["text"])


def test_without_a_region_the_operator_is_told_to_ask_for_it(policy_service: PolicyService) -> None:
    state = assess(lines(("caller", "低保标准是多少")), service=policy_service, as_of=AS_OF)
    assert "哪个市" in state["reply"] and state["screening"]["next_question"]["path"] == "region"


def test_a_broader_place_does_not_undo_a_finer_one() -> None:
    fine = get_region("宁夏回族自治区银川市金凤区")
    assert merge_region(fine, get_region("宁夏回族自治区")) is fine
    assert merge_region(get_region("宁夏回族自治区银川市"), fine) is fine
    assert merge_region(fine, get_region("山西省运城市")).name == "山西省运城市"


def test_the_calling_number_is_the_callback_phone_until_another_is_said() -> None:
    assert follow(lines(("caller", "你好")), caller_number="13700001111").phone == "13700001111"
    assert follow(lines(("caller", "你好")), caller_number="03592345678").phone is None  # a landline
    said = follow(lines(("caller", "回电打我手机 一五九 零三五九 一二一二")), caller_number="13700001111")
    assert said.phone == "15903591212"


def test_a_phone_number_corrected_at_the_end() -> None:
    call = follow(lines(("caller", "电话一三六 零三五九 四四四四"), ("caller", "哦不对 最后四位是四四五四")))
    assert call.phone == "13603594454"


@pytest.mark.parametrize("said", ["", "嗯", "喂 喂 听得见吗"])
def test_a_call_with_nothing_said_yet_has_empty_suggestions(policy_service: PolicyService, said: str) -> None:
    state = assess(lines(("caller", said)) if said else [], service=policy_service, as_of=AS_OF)
    assert state["policies"] == [] and state["facts"] == []
    assert state["work_order"]["caller_name"] is None


def test_the_measures_are_quoted_once_per_search_not_on_every_utterance(
        policy_service: PolicyService, monkeypatch: pytest.MonkeyPatch) -> None:
    """Speed (issue 14): every utterance of a call assesses the whole call again; the search of an
    unchanged question is kept, and so are its measures as quoted for the panel."""
    quoted: list[str] = []

    def counted(hit, result):  # type: ignore[no-untyped-def]
        quoted.append(hit.measure.clause)
        return cited_hit(hit, result)

    monkeypatch.setattr(assist, "cited_hit", counted)
    assist._CITED.clear()  # noqa: SLF001  (another test may have quoted the same search)
    call = lines(("caller", "运城盐湖区的 低保户家里孩子上大学有没有补助 问问看"))
    first = assess(call, service=policy_service, as_of=AS_OF)
    assert first["policies"] and len(quoted) == len(first["policies"])
    again = assess([*call, Line("operator", "您稍等 我帮您查一下", call[0].at)], service=policy_service, as_of=AS_OF)
    assert again["policies"] == first["policies"] and len(quoted) == len(first["policies"])
