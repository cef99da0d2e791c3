"""WeChat's text rules: plain text, messages under 2048 bytes cut at sentence ends, numbered options."""
from __future__ import annotations

import pytest

from bot.wechat.text import (
    MAX_TEXT_BYTES,
    chosen_index,
    chosen_payload,
    numbered_options,
    plain_text,
    split_text,
    wechat_messages,
)

BUTTONS = [{"title": "开始自测", "payload": "/start_screening"}, {"title": "转人工", "payload": "/request_human"}]


@pytest.mark.parametrize(("given", "shown"), [
    ("**低保标准**是每月650元", "低保标准是每月650元"),
    ("## 申请条件\n家庭人均收入低于标准", "申请条件\n家庭人均收入低于标准"),
    ("详见[民政厅通知](https://mz.example.gov.cn/a.html)", "详见民政厅通知（https://mz.example.gov.cn/a.html）"),
    ("第一行<br>第二行<br/>第三行", "第一行\n第二行\n第三行"),
    ("<b>注意</b>：请带上&nbsp;户口本 &amp; 身份证", "注意：请带上\xa0户口本 & 身份证"),
    ("用`转人工`联系工作人员", "用转人工联系工作人员"),
    # masked personal numbers keep their asterisks
    ("手机 138****8000，身份证 110105********002X", "手机 138****8000，身份证 110105********002X"),
    ("收入<2000元且>1000元", "收入<2000元且>1000元"),
])
def test_plain_text_drops_markup_wechat_would_show(given: str, shown: str) -> None:
    assert plain_text(given) == shown


def test_a_short_text_is_one_message() -> None:
    assert split_text("低保标准是多少？每月650元。") == ["低保标准是多少？每月650元。"]


def test_long_text_is_cut_after_sentences_under_the_byte_limit() -> None:
    sentences = [f"第{i}条：城乡低保对象按月发放保障金，发放日期为每月十日前。" for i in range(80)]
    text = "".join(sentences)
    chunks = split_text(text)
    assert len(chunks) > 1
    assert all(len(c.encode("utf-8")) <= MAX_TEXT_BYTES for c in chunks)
    assert all(c.endswith("。") for c in chunks)  # never in the middle of a sentence
    assert "".join(chunks) == text


def test_a_sentence_longer_than_a_message_is_cut_between_characters() -> None:
    text = "很" * 1000 + "。后面一句。"
    chunks = split_text(text, limit=600)
    assert all(len(c.encode()) <= 600 for c in chunks)
    assert "".join(chunks) == text


def test_lines_are_kept_and_empty_input_gives_no_message() -> None:
    assert split_text("第一行\n第二行") == ["第一行\n第二行"]
    assert split_text("") == [] and wechat_messages(["", "  "]) == []


def test_a_turn_becomes_plain_messages_joined_by_a_blank_line() -> None:
    assert wechat_messages(["**您好**", "请问您在哪个市？"]) == ["您好\n\n请问您在哪个市？"]


def test_buttons_become_numbered_options_and_a_number_picks_one() -> None:
    shown = numbered_options("要做个自测吗？", BUTTONS)
    assert shown == "要做个自测吗？\n\n请回复数字选择：\n1. 开始自测\n2. 转人工"
    assert chosen_payload("1", BUTTONS) == "/start_screening"
    assert chosen_payload("２", BUTTONS) == "/request_human"  # full-width digit
    assert chosen_payload("选2", BUTTONS) == "/request_human"
    assert chosen_payload("第1个", BUTTONS) == "/start_screening"
    assert chosen_payload("3", BUTTONS) is None and chosen_payload("低保", BUTTONS) is None
    assert chosen_payload("1", []) is None


@pytest.mark.parametrize("reply", ["三口人", "2000", "12345", "1个人", ""])
def test_other_answers_are_not_options(reply: str) -> None:
    assert chosen_index(reply) is None or chosen_payload(reply, BUTTONS) is None
