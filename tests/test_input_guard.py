"""What the input guard (bot/nlu/guard.py) makes of messages that are not a question in words:
empty, too long, only symbols, no Chinese. Only a number may come without Chinese (a mobile, an ID
number, an amount); markup such as "<script>alert(1)</script>" was read as 再见 because it holds a digit."""
from __future__ import annotations

import pytest

from bot import replies
from bot.nlu.guard import input_issue
from tests.conftest import Servers
from tests.test_conversation_repairs import new_sender


@pytest.mark.parametrize(
    "text, issue",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("低" * 501, "too_long"),
        ("😭😭😭", "no_words"),
        ("？？？", "no_words"),
        ("<script>alert(1)</script>", "no_chinese"),
        ("hello 1", "no_chinese"),
        ("ok", "no_chinese"),
        ("13835912270", None),
        ("138 3591-2270", None),
        ("14082119530502124X", None),
        ("1500", None),
        ("SJ20261123-0007", None),  # the 受理编号 the status question asks for
        ("sj20261123-0007 2270", None),
        ("SJ", "no_chinese"),
        ("1 " * 240 + "a", "no_chinese"),  # answered at once, not by backtracking (a hang fails the timeout)
        ("一千五", None),
        ("低保标准是多少", None),
    ],
)
def test_input_issue(text: str, issue: str | None) -> None:
    assert input_issue(text, len(text), 500) == issue


@pytest.mark.e2e
def test_markup_gets_the_no_chinese_reply_not_goodbye(servers: Servers) -> None:
    said = servers.talk(new_sender("markup"), "<script>alert(1)</script>")
    assert said == [replies.text("common.input_issue.no_chinese")], said
