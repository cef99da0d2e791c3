"""Colloquial answers to the questionnaire read into facts."""
from __future__ import annotations

import pytest

from bot.questionnaire.answers import NONE, NOT_UNDERSTOOD, mentioned_facts, parse_answer


@pytest.mark.parametrize(
    "path, text, expected",
    [
        ("region", "运城盐湖区", "山西省运城市盐湖区"),
        ("region", "寧夏銀川", "宁夏回族自治区银川市"),
        ("region", "火星", NOT_UNDERSTOOD),
        ("residence", "农村的", "rural"),
        ("residence", "住县城", "urban"),
        ("residence", "不知道", NOT_UNDERSTOOD),
        ("household.size", "三口人", 3),
        ("household.size", "一家四口", 4),
        ("household.size", "就我一个", 1),
        ("household.size", "5", 5),
        ("household.size", "四十口", NOT_UNDERSTOOD),
        ("household.monthly_income", "一个月两千出头", 2000),
        ("household.monthly_income", "3.5千", 3500),
        ("household.monthly_income", "没收入", 0),
        ("household.monthly_income", "没有", 0),
        ("household.monthly_income", "不清楚", NOT_UNDERSTOOD),
        ("household.on_dibao", "没有", False),
        ("household.on_dibao", "是的", True),
        ("household.on_dibao", "不是", False),
        ("applicant.age", "七十了", 70),
        ("applicant.age", "六十五岁", 65),
        ("applicant.age", "300岁", NOT_UNDERSTOOD),
        ("applicant.disability", "肢体二级", "physical:2"),
        ("applicant.disability", "智力三级残疾", "intellectual:3"),
        ("applicant.disability", "没有残疾证", NONE),
        ("applicant.disability", "有残疾证", NOT_UNDERSTOOD),
        ("applicant.has_able_supporter", "有个儿子但他自己都顾不上", False),
        ("applicant.has_able_supporter", "有儿子", True),
        ("applicant.has_able_supporter", "没儿没女", False),
        ("applicant.has_income_source", "没有收入", False),
        ("applicant.unemployed_months", "三个月", 3),
        ("applicant.unemployed_months", "半年了", 6),
        ("applicant.emergency", "家里着火了", "fire"),
        ("applicant.emergency", "出了车祸", "traffic_accident"),
        ("applicant.emergency", "没有", NONE),
        ("applicant.medical_out_of_pocket_yearly", "两万多", 20000),
    ],
)
def test_parse_answer(path: str, text: str, expected: object) -> None:
    assert parse_answer(path, text) == expected if expected is not NOT_UNDERSTOOD else (
        parse_answer(path, text) is NOT_UNDERSTOOD
    )


def test_corrections_and_volunteered_facts() -> None:
    assert mentioned_facts("刚才说错了，家里是四口人") == {"household.size": 4}
    assert mentioned_facts("我七十岁了 住在农村") == {"applicant.age": 70, "residence": "rural"}
    assert mentioned_facts("月收入其实是三千") == {"household.monthly_income": 3000}
    assert mentioned_facts("三个月没收入了") == {"applicant.unemployed_months": 3}
    assert mentioned_facts("更正一下 是肢体一级残疾") == {"applicant.disability": "physical:1"}
    assert mentioned_facts("好的") == {}
