"""Programs the collected documents do not cover (issue 11 leftover): 高龄津贴, 丧葬费 and the
disability allowances get the plain answer that these documents do not cover them and who does,
not another program's figures (高龄津贴 used to get 孤儿 figures, 丧葬费 医疗救助)."""
from __future__ import annotations

import re

import pytest

from bot.knowledge.service import PolicyService, ReplyKind

WHO = {"elderly_allowance": "民政部门", "funeral": "民政部门", "disability_allowances": "残联"}


@pytest.mark.parametrize("question, region, topic", [
    ("高龄津贴一个月多少钱", "宁夏回族自治区", "elderly_allowance"),
    ("八十岁以上的老人有啥补贴", "山西省运城市", "elderly_allowance"),
    ("丧葬费怎么领", "山西省运城市", "funeral"),
    ("老人去世了有丧葬补助吗", "宁夏回族自治区", "funeral"),
    ("残疾人护理补贴怎么申请", "宁夏回族自治区", "disability_allowances"),
    ("残疾人两项补贴一个月多少钱", "山西省长治市", "disability_allowances"),
])
def test_an_uncovered_program_is_named_as_uncovered_with_who_handles_it(
        policy_service: PolicyService, question: str, region: str, topic: str) -> None:
    turn = policy_service.converse(question, region, None)
    reply = turn.reply
    assert reply.kind == ReplyKind.OUTSIDE
    assert reply.text.startswith("这里收录的社会救助文件")  # the plain answer first
    assert WHO[topic] in reply.text and "12345" in reply.text
    assert "依据" not in reply.text and not re.search(r"\d+元", reply.text)  # no other program quoted
    assert reply.measure is None and turn.pending_question is None
    assert len(reply.text) <= 300


def test_the_same_answer_without_a_region(policy_service: PolicyService) -> None:
    reply = policy_service.reply("高龄补贴", None)
    assert reply.kind == ReplyKind.OUTSIDE  # not "which region?": the answer is the same everywhere


@pytest.mark.parametrize("question", ["残疾人能吃低保吗", "重度残疾人能单独纳入低保吗", "孤儿基本生活费多少"])
def test_covered_questions_naming_the_same_people_are_still_answered(
        policy_service: PolicyService, question: str) -> None:
    assert policy_service.reply(question, "宁夏回族自治区").kind == ReplyKind.ANSWER


def test_every_topic_has_its_reply() -> None:
    from bot import replies
    from bot.knowledge.outside import load_topics
    from bot.settings import get_settings
    topics = load_topics(get_settings().data_dir)
    assert topics and all(topic.patterns for topic in topics.values())
    for name in topics:
        assert replies.text(f"outside.{name}")


@pytest.mark.parametrize("question, region", [
    ("孤儿基本生活费一个月多少", "山西省运城市"),
    ("运城孤儿基本生活费多少", None),
    ("事实无人抚养儿童的生活费咋领", "山西省"),
])
def test_orphan_allowance_outside_ningxia_is_named_as_uncovered(
        policy_service: PolicyService, question: str, region: str | None) -> None:
    """The Shanxi documents name 孤儿 only in passing: no 特困 standard quoted for it (issue 11)."""
    reply = policy_service.reply(question, region)
    assert reply.kind == ReplyKind.OUTSIDE, reply.text
    assert "孤儿基本生活费" in reply.text and "民政部门" in reply.text and "12345" in reply.text
    assert "特困" not in reply.text and not re.search(r"\d+元", reply.text)


def test_orphan_allowance_in_ningxia_is_still_quoted(policy_service: PolicyService) -> None:
    reply = policy_service.reply("孤儿基本生活费一个月多少", "宁夏回族自治区")
    assert reply.kind == ReplyKind.ANSWER and "1000元" in reply.text and "宁政办规发〔2022〕7号" in reply.text


def test_an_uncovered_program_inside_a_story(policy_service: PolicyService) -> None:
    reply = policy_service.outside_reply("家里老人没了，有丧葬费没", None)
    assert reply is not None and reply.kind == ReplyKind.OUTSIDE and "丧葬费" in reply.text
    assert policy_service.outside_reply("家里老人没了，日子过不下去了", None) is None
