"""The person the questionnaire is about (issue 11): a resident asking for a relative ("我是替我妈问的")
and answers about another relative ("我男人是残疾，二级") to a question about the applicant."""
from __future__ import annotations

import pytest

from bot.questionnaire.answers import about_someone_else, asked_for, mentioned_facts, read_answer


@pytest.mark.parametrize("text, kind", [
    ("我是替我妈问的，她七十多了", "mother"),
    ("我替我妈问一下，她一个人住，八十多了，能申请什么补助", "mother"),
    ("帮俺爹看看能领啥", "father"),
    ("俺娘叫俺来打听打听低保的事", "mother"),
    ("我妈能申请低保不", "mother"),
    ("替邻居老人问一下", "neighbour"),
    ("给我婆婆申请个低保", "mother_in_law"),
    ("给我妈看病花了好多钱", None),  # 看病 is not asking
    ("我们家三口人，老公去年出车祸走了", None),
    ("我能申请啥", None),
])
def test_who_the_resident_asks_for(text: str, kind: str | None) -> None:
    assert asked_for(text) == kind


@pytest.mark.parametrize("text, subject, other", [
    ("我男人是残疾，二级", None, "husband"),
    ("婆婆瘫在床上好几年了", None, "mother_in_law"),
    ("老伴中风了", None, "spouse"),
    ("俺没有，老头子有", None, None),  # the applicant's own answer first
    ("老头子瘫了，我也有病", None, None),  # the applicant too
    ("娘俩都没有", None, None),
    ("我妈有残疾证，肢体二级", "mother", None),  # the questionnaire is about her
    ("她有高血压", "mother", None),
])
def test_an_answer_about_another_relative(text: str, subject: str | None, other: str | None) -> None:
    assert about_someone_else(text, subject) == other


def test_an_age_said_of_a_relative_is_not_the_applicants() -> None:
    assert mentioned_facts("老伴今年七十五，俺六十八") == {}
    assert mentioned_facts("俺75岁了，老伴78岁") == {"applicant.age": 75}
    assert mentioned_facts("我妈今年82岁") == {}
    assert mentioned_facts("我妈今年82岁", "mother") == {"applicant.age": 82}
    assert mentioned_facts("我今年75岁") == {"applicant.age": 75}


def test_dementia_is_a_serious_illness() -> None:
    assert read_answer("applicant.seriously_ill", "老年痴呆初期") is True


def test_every_relative_has_a_name() -> None:
    from bot import replies
    from bot.questionnaire.answers import RELATIVES
    for kind, _words in RELATIVES:
        assert replies.text(f"questionnaire.subject.names.{kind}").startswith("您")
