"""Colloquial answers to the questionnaire read into facts."""
from __future__ import annotations

import pytest

from bot.questionnaire.answers import (
    NONE,
    NOT_UNDERSTOOD,
    UNKNOWN,
    asks_back,
    leaves,
    mentioned_facts,
    parse_answer,
    read_answer,
)


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


# Issue 11: an answer inside the questionnaire is first read as the answer to the question asked.
@pytest.mark.parametrize(
    "path, text, expected",
    [
        ("applicant.age", "七十二了", 72),
        ("household.monthly_income", "就那一百多块钱养老金", 100),
        ("household.monthly_income", "一百多块", 100),
        ("household.monthly_income", "两千出头", 2000),
        ("household.monthly_income", "三百块", 300),
        ("household.monthly_income", "一年一万", 833),
        ("household.monthly_income", "不知道具体多少，大概两千", 2000),
        ("applicant.medical_out_of_pocket_yearly", "一个月药钱三百", 3600),
        ("applicant.medical_out_of_pocket_yearly", "一年两千来块", 2000),
        ("applicant.has_income_source", "一直有养老金，不算没收入", True),
        ("applicant.has_income_source", "除了养老金啥也没有", True),
        ("applicant.has_income_source", "没有养老金，啥也没有", False),
        ("applicant.unemployed_months", "每月都有养老金", 0),
        ("household.low_income_family", "不清楚", UNKNOWN),
        ("household.low_income_family", "不知道，没人说过", UNKNOWN),
        ("household.on_dibao", "不晓得", UNKNOWN),
        ("applicant.has_able_supporter", "有个儿子但他顾不上", False),
        ("applicant.has_able_supporter", "有个闺女，可她自己也困难", False),
        ("applicant.has_able_supporter", "儿子在太原上班，每月给五百", True),
        ("household.size", "四口，俺两口子俩娃", 4),
        ("household.size", "就俺一个", 1),
        ("household.size", "老两口", 2),
        ("applicant.disability", "腿不好，没办残疾证", NONE),
        ("applicant.seriously_ill", "还好，没大病", False),
        ("region", "不知道", NOT_UNDERSTOOD),  # the rules need a place: never "unknown"
    ],
)
def test_read_answer(path: str, text: str, expected: object) -> None:
    assert read_answer(path, text) == expected if expected is not NOT_UNDERSTOOD else read_answer(path, text) is NOT_UNDERSTOOD


@pytest.mark.parametrize("text", ["啥叫低收入家庭？", "低保边缘是个啥意思", "养老金算不算收入"])
def test_a_question_about_the_question(text: str) -> None:
    assert asks_back(text)


@pytest.mark.parametrize("text", ["没有", "七十二了", "不是，没吃过", "有个儿子但他顾不上"])
def test_an_answer_is_not_a_question_about_the_question(text: str) -> None:
    assert not asks_back(text)


@pytest.mark.parametrize("text", ["先不测了", "不想答了", "转人工", "那俺想申请", "暂停一下"])
def test_commands_that_leave_a_form(text: str) -> None:
    assert leaves(text)


@pytest.mark.parametrize("text", ["七十二了", "永济市城西街道测试路东头5号", "没有", "三百块", "王秀兰"])
def test_answers_that_do_not_leave_a_form(text: str) -> None:
    assert not leaves(text)


@pytest.mark.parametrize(
    "path, text, expected",
    [
        ("applicant.medical_out_of_pocket_yearly", "没多少，一年几百", 300),
        ("applicant.unemployed_months", "一直在干", 0),
        ("applicant.unemployment_insured", "以前单位交过失业保险", True),
        ("applicant.seriously_ill", "尿毒症，每周透析", True),
        ("applicant.seriously_ill", "高血压，算不上大病", False),
    ],
)
def test_read_answer_more(path: str, text: str, expected: object) -> None:
    assert read_answer(path, text) == expected
