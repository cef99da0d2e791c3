"""The pre-screening questionnaire over the real REST channel: a whole journey with an
interruption, a pause and resume, a correction, and the result."""
from __future__ import annotations

import uuid

import pytest

from tests.conftest import Servers

pytestmark = pytest.mark.e2e

ANSWERS = [
    ("哪个市", "宁夏银川"),
    ("还是农村", "城里"),
    ("几口人", "三口人"),
    ("总收入", "一个月一千五"),
    ("低保户吗", "不是"),
    ("低保边缘", "不是"),
    ("多大岁数", "七十了"),
    ("残疾证", "没有"),
    ("重病", "没有"),
    ("能干活", "干不了了"),
    ("收入来源", "没有"),
    ("赡养", "有个儿子但他自己都顾不上"),
    ("几个月没有收入", "三个月"),
    ("失业保险", "没有"),
    ("务工人员", "不是"),
    ("看病自己掏", "没有"),
    ("突发困难", "没有"),
]


def answer_for(question: str) -> str:
    for marker, answer in ANSWERS:
        if marker in question:
            return answer
    raise AssertionError(f"unexpected question: {question}")


def test_whole_questionnaire_journey(servers: Servers) -> None:
    sender = f"screen-{uuid.uuid4().hex[:10]}"
    replies = servers.talk(sender, "帮我看看能不能申请低保")
    assert "不需要姓名和身份证号" in replies[0]
    question = replies[-1]
    asked: list[str] = []
    result = ""
    for turn in range(30):
        asked.append(question)
        if turn == 2:
            # A policy question in the middle: answered, then the same question again.
            interrupted = servers.talk(sender, "宁夏低保标准是多少")
            assert any("650元" in r for r in interrupted)
            assert interrupted[-1] == question
        if turn == 4:
            paused = servers.talk(sender, "先不测了")
            assert "暂停" in paused[-1]
            resumed = servers.talk(sender, "继续测")
            assert resumed[-1] == question  # nothing answered so far is asked again
        replies = servers.talk(sender, answer_for(question))
        if any("初步判断" in r for r in replies):
            result = "\n".join(replies)
            break
        question = replies[-1]
    assert result, asked
    assert not any("大学毕业生" in q for q in asked)  # a 70-year-old is not asked about graduating
    assert len(asked) == len(set(asked))  # no question asked twice
    assert "以审核结果为准" in result and "特困供养" in result and "乡镇" in result
    answers = "\n".join(servers.talk(sender, '/explain_result{"program": "answers"}'))
    assert "您提供的情况" in answers and "3口人" in answers
    why = "\n".join(servers.talk(sender, "为什么"))
    assert "特困人员救助供养" in why
    corrected = "\n".join(servers.talk(sender, "刚才说错了，家里是四口人"))
    assert "4口人" in corrected and "初步判断" in corrected
    assert "没太明白" not in corrected


def test_unclear_answer_is_asked_again(servers: Servers) -> None:
    sender = f"screen-{uuid.uuid4().hex[:10]}"
    question = servers.talk(sender, "看看我能申请什么")[-1]
    assert "哪个市" in question
    replies = servers.talk(sender, "嗯嗯嗯")
    assert "换个问法" in replies[-1] and replies[-1] != question  # asked again in other words


def test_answers_survive_a_server_restart(servers: Servers) -> None:
    sender = f"screen-{uuid.uuid4().hex[:10]}"
    servers.talk(sender, "帮我看看能不能申请低保")
    servers.talk(sender, "宁夏银川")
    question = servers.talk(sender, "城里")[-1]
    servers.talk(sender, "先不测了")
    servers.restart("rasa", "actions")
    resumed = servers.talk(sender, "继续测")
    assert resumed[-1] == question  # region and residence were kept in the SQL tracker store
