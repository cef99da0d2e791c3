"""Colloquial answers of the second tuning set's kind, read as a whole class (issue 11): spoken
durations (俩月, 仨月, 半年多, 一年来), dialect and typed slips as data (data/answer_words.yml:
么得, 木有, 没得, 得行, 能成, 嗯么, 失叶), every county of the covered provinces by its short name,
income sources (手工活, 打零工, 种地, 放羊, 摘枸杞), hardship events for the emergency question,
household counts with family living elsewhere, and money spent never read as income."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.questionnaire.answers import (
    NOT_UNDERSTOOD,
    UNKNOWN,
    lives_elsewhere,
    mentioned_facts,
    plain_words,
    read_answer,
)
from bot.questionnaire.application import yes_or_no
from bot.regions import _short_form, all_regions


@pytest.mark.parametrize("text, months", [
    ("俩月了", 2), ("他病了俩月了", 2), ("快俩月了", 2), ("仨月", 3), ("半年多了", 6),
    ("一年来的都没收入", 12), ("一年多", 12), ("厂子停了仨月了", 3),
    ("没失叶", 0), ("打零工的", 0), ("摘枸杞的，没活的时候就闲着", 0),
])
def test_spoken_durations(text: str, months: int) -> None:
    assert read_answer("applicant.unemployed_months", text) == months


@pytest.mark.parametrize("text", ["么得", "么有", "木有", "没得", "莫有", "冒得"])
def test_dialect_no(text: str) -> None:
    assert read_answer("household.on_dibao", text) is False
    assert read_answer("household.low_income_family", text) is False
    assert read_answer("applicant.emergency", text) == "none"


@pytest.mark.parametrize("text", ["得行", "能成", "嗯么", "中", "要得", "好么", "好的谢谢"])
def test_dialect_yes(text: str) -> None:
    assert yes_or_no(text) is True


def test_typos_that_are_never_anything_else() -> None:
    assert plain_words("没失叶") == "没失业"
    assert read_answer("applicant.seriously_ill", "有尿毒正，透析") is True
    assert plain_words("全部是") == "全部是"  # no slip is read into ordinary words


COUNTIES = [r for r in all_regions() if r.covered and r.county and _short_form(r.county)
            and r.county not in ("城区", "矿区", "郊区")]


@pytest.mark.parametrize("region", COUNTIES, ids=lambda r: r.county)
def test_every_county_of_the_covered_provinces_by_its_short_name(region) -> None:
    short = _short_form(region.county)
    for said in (region.county, short, f"俺是{short}的", f"{short}的", f"在{short}"):
        assert read_answer("region", said) == region.name, said


def test_a_short_name_that_is_a_common_word_is_a_place_only_where_a_place_is_asked() -> None:
    assert read_answer("region", "同心") == "宁夏回族自治区吴忠市同心县"
    assert read_answer("region", "宁夏同心") == "宁夏回族自治区吴忠市同心县"
    assert read_answer("region", "长子") == "山西省长治市长子县"
    assert "region" not in mentioned_facts("大家同心协力")  # not in free text


@pytest.mark.parametrize("text, has", [
    ("串珠子的手工活，挣得少", True), ("打零工", True), ("种地", True), ("放羊", True),
    ("摘枸杞挣点", True), ("挣不到钱", False), ("啥也挣不上", False), ("没有", False),
])
def test_income_sources(text: str, has: bool) -> None:
    assert read_answer("applicant.has_income_source", text) is has


@pytest.mark.parametrize("text, kind", [
    ("老伴看病欠了五六万", "other"), ("羊得了传染病死了六十多只", "other"), ("老板跑了，工钱没拿上", "other"),
    ("今年苹果遭了冻", "disaster"), ("房子着火了", "fire"), ("没有", "none"),
])
def test_hardship_events(text: str, kind: str) -> None:
    assert read_answer("applicant.emergency", text) == kind


@pytest.mark.parametrize("text, size, elsewhere", [
    ("我一个人在这，媳妇娃在甘肃老家", 1, True),
    ("俺一个人在银川打工，老婆孩子在老家", 1, True),
    ("我和老伴，儿子在外地上班", 2, True),
    ("我跟孙子两个，儿子在外头打工", 2, True),
    ("我和老伴还有孙女", 3, False),
])
def test_household_counts_those_living_together(text: str, size: int, elsewhere: bool) -> None:
    assert read_answer("household.size", text) == size
    assert lives_elsewhere(text) is elsewhere


def test_someone_else_would_know_is_unknown_not_no() -> None:
    assert read_answer("household.low_income_family", "问问村里才知道") == UNKNOWN
    assert read_answer("household.low_income_family", "得问我儿子") == UNKNOWN
    assert read_answer("household.low_income_family", "我想问问低保标准") != UNKNOWN  # a question, not "不知道"


def test_light_work_only_is_left_to_staff() -> None:
    assert read_answer("applicant.able_to_work", "种点菜") == UNKNOWN
    assert read_answer("applicant.able_to_work", "能干") is True
    assert read_answer("applicant.able_to_work", "干不了") is False


@pytest.mark.parametrize("text", [
    "俺家掌柜的上个月心梗住院，花了六七万，实在没钱了，有没有救急的",
    "看病欠了五万", "一个月药费两千", "去年老伴住院花了三万多",
])
def test_money_spent_or_owed_is_never_income(text: str) -> None:
    assert "household.monthly_income" not in mentioned_facts(text)


def test_income_said_beside_spending() -> None:
    assert mentioned_facts("一个月挣两千")["household.monthly_income"] == 2000
    assert read_answer("household.monthly_income", "一个月一千，看病还得花五百") == 1000
    assert read_answer("household.monthly_income", "看病花了两万") is NOT_UNDERSTOOD
    assert read_answer("applicant.medical_out_of_pocket_yearly", "一年自己掏两万多") == 20000


def test_dibao_undecided_says_what_decides_it_and_where_to_ask() -> None:
    from bot.questionnaire.flow import result_text, screen_answers
    answers = {"region": "山西省运城市河津市", "household.on_dibao": False, "household.low_income_family": False,
               "applicant.age": 43, "applicant.disability": "unstated:2", "applicant.able_to_work": False,
               "applicant.has_income_source": True, "applicant.has_able_supporter": False,
               "applicant.unemployed_months": 60, "applicant.medical_out_of_pocket_yearly": 1000}
    text = result_text(screen_answers(answers, dt.date(2026, 12, 3)))
    line = next(line for line in text.splitlines() if line.startswith("还定不了"))
    assert "低保" in line and "人均" in line and "窗口" in line and "12345" in line
    assert len(text) <= 500
