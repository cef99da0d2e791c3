"""What takes the offer of the questionnaire (issue 11): a plain yes in the residents' words, not a
question of their own that happens to contain a yes word ("要带什么材料", "中卫低保标准多少")."""
from __future__ import annotations

import pytest

from actions.screening import accepts_offer


@pytest.mark.parametrize("text", ["好", "中", "行", "嗯", "可以", "能成", "中中中", "好嘞", "那你问吧",
                                  "行，快点", "好，帮我看看", "可以，你问吧", "那测一下吧"])
def test_a_yes_takes_the_offer(text: str) -> None:
    assert accepts_offer(text)


@pytest.mark.parametrize("text", ["要带什么材料", "中卫低保标准多少", "是不是要户口本", "帮我看看低保标准",
                                  "先不用", "不用了", "好的，那低保要带什么材料"])
def test_a_question_or_a_no_does_not(text: str) -> None:
    assert not accepts_offer(text)
