"""Whole conversations over the real REST channel: Rasa server, action server, SQLite tracker."""
from __future__ import annotations

import re
import sqlite3
import uuid

import pytest
import requests

from tests.conftest import Servers, rest_headers

pytestmark = pytest.mark.e2e


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def test_greeting_says_what_it_can_do(servers: Servers) -> None:
    replies = servers.talk(new_sender(), "你好")
    assert replies and "低保" in replies[0] and "文件" in replies[0]


def test_thanks_and_goodbye(servers: Servers) -> None:
    sender = new_sender()
    assert "不客气" in servers.talk(sender, "谢谢你啊")[0]
    assert "再见" in servers.talk(sender, "好的再见")[0]


def test_policy_question_with_region_is_answered_with_citation(servers: Servers) -> None:
    replies = servers.talk(new_sender(), "宁夏低保标准是多少钱")
    text = "\n".join(replies)
    assert "宁政办规发〔2022〕7号" in text and "650元" in text
    assert "已不在有效期内" in text  # the Ningxia measures ran until 2023-12-31


def test_region_is_asked_for_then_remembered(servers: Servers) -> None:
    sender = new_sender()
    first = "\n".join(servers.talk(sender, "渐退期有多久"))
    assert "哪个省" in first
    second = "\n".join(servers.talk(sender, "运城"))
    assert "运民发〔2021〕59号" in second and "六个月的渐退期" in second
    third = "\n".join(servers.talk(sender, "低保金每个月几号发"))
    assert "每月10日前发放到户" in third and "晋民发〔2022〕38号" in third


def test_region_survives_a_new_request_via_sql_tracker_store(servers: Servers) -> None:
    sender = new_sender()
    servers.talk(sender, "我在宁夏银川")
    with sqlite3.connect(servers.tracker_db) as db:
        rows = db.execute(
            "select count(*) from events where sender_id = ? and type_name = 'slot'", (sender,)
        ).fetchone()
    assert rows[0] >= 1
    text = "\n".join(servers.talk(sender, "单人保是什么政策"))
    assert "宁政办规发〔2022〕7号" in text


def test_uncovered_region(servers: Servers) -> None:
    text = "\n".join(servers.talk(new_sender(), "北京低保一个月多少钱"))
    assert "北京市" in text and "12345" in text and "650" not in text


def test_out_of_scope_is_refused_politely(servers: Servers) -> None:
    text = "\n".join(servers.talk(new_sender(), "帮我查一下明天的天气"))
    assert "不在我的服务范围" in text or "没太明白" in text or "没有找到" in text


def test_asking_for_a_person(servers: Servers) -> None:
    text = "\n".join(servers.talk(new_sender(), "转人工"))
    assert "已为您转接人工服务" in text and "服务单号 R" in text and "12345" in text


@pytest.mark.parametrize(
    "message, expected",
    [
        ("😀😀😀", "文字"),
        ("hello, what is the minimum living allowance?", "中文"),
        ("低" * 10000, "太长"),
    ],
)
def test_bad_input_gets_a_clear_chinese_reply(servers: Servers, message: str, expected: str) -> None:
    replies = servers.talk(new_sender(), message)
    assert len(replies) == 1 and expected in replies[0]  # one reply, no fallback loop


def test_markup_is_treated_as_text(servers: Servers) -> None:
    replies = servers.talk(new_sender(), "<script>alert(1)</script>低保标准")
    assert replies
    assert all("<script>" not in r for r in replies)


def test_empty_message_does_not_break_the_conversation(servers: Servers) -> None:
    sender = new_sender()
    resp = requests.post(
        f"{servers.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": ""}, timeout=30,
        headers=rest_headers(),
    )
    assert resp.status_code == 200
    assert servers.talk(sender, "你好")


def test_chat_proxy_reaches_the_assistant(servers: Servers) -> None:
    resp = servers.web_chat(servers.new_web_sender(), "特困人员供养金什么时候发")
    assert resp.status_code == 200
    text = "\n".join(m["text"] for m in resp.json()["messages"])
    assert "每季度初10日前" in text or "哪个省" in text


def test_policy_answer_comes_first_then_the_full_clause_on_request(servers: Servers) -> None:
    sender = new_sender()
    answer = servers.messages(sender, "俺是运城的，低保一个月能领多少")
    assert len(answer[0]["text"]) <= 300  # the answer alone in its message
    assert [m for m in answer[1:] if "开始吗" not in m["text"]] == []  # then (once) the questionnaire offered
    first_line = answer[0]["text"].splitlines()[0]
    assert "没有收录" in first_line and "乡镇（街道）" in first_line and "12345" in first_line
    assert answer[0]["buttons"] == [{"title": "看原文和相关规定", "payload": "/ask_policy_detail"}]
    detail = "\n".join(servers.talk(sender, "详细"))
    assert "全文" in detail and len(detail) > len(answer[0]["text"])
    fire = servers.messages(sender, "家里着火了")[0]["text"]
    assert "临时救助" in fire.splitlines()[0] and "乡镇（街道）" in fire
    cited = re.search(r"依据《[^》]+》(（[^）]+）\S+?)：", fire)
    assert cited is not None
    by_button = "\n".join(servers.talk(sender, "/ask_policy_detail"))
    assert f"{cited.group(1)}全文" in by_button and "火灾" in by_button


def test_detail_without_an_answer_asks_for_a_question(servers: Servers) -> None:
    text = "\n".join(servers.talk(new_sender(), "看原文"))
    assert "请先问一个问题" in text
