"""Choosing questions and wording the summary and result (no Rasa)."""
from __future__ import annotations

import datetime as dt

from bot.questionnaire.answers import NONE, UNKNOWN
from bot.questionnaire.flow import (
    PATH_FOR_SLOT,
    RESULT_MAX_CHARS,
    SLOT_FOR_PATH,
    answers_line,
    next_questions,
    reasons_text,
    request_body,
    result_programs,
    result_text,
    screen_answers,
    summary_text,
)

DAY = dt.date(2022, 7, 1)
NINGXIA_ELDER = {
    "region": "宁夏回族自治区银川市",
    "residence": "urban",
    "household.size": 1,
    "household.monthly_income": 0,
    "applicant.age": 70,
}


def test_every_screening_field_has_a_slot() -> None:
    from bot.eligibility import FIELD_PATHS

    assert set(SLOT_FOR_PATH) == set(FIELD_PATHS)
    assert len(PATH_FOR_SLOT) == len(SLOT_FOR_PATH)


def test_request_body_nests_fields_and_maps_explicit_none() -> None:
    body = request_body({"household.size": 3, "applicant.disability": "physical:2",
                         "applicant.emergency": NONE, "region": "山西省"}, DAY)
    assert body == {"as_of": "2022-07-01", "region": "山西省", "household": {"size": 3},
                    "applicant": {"disability": {"kind": "physical", "grade": 2}, "emergency": None}}
    assert request_body({"applicant.disability": NONE})["applicant"]["disability"] is None


def test_first_question_is_the_region() -> None:
    assert next_questions({}, DAY) == ["region"]


def test_an_elder_is_not_asked_about_graduating_or_migrant_work() -> None:
    asked = next_questions(NINGXIA_ELDER, DAY)
    assert asked
    assert "applicant.is_unemployed_graduate" not in asked
    assert "applicant.is_migrant_worker" not in asked
    assert not set(asked) & set(NINGXIA_ELDER)


def test_a_resident_with_a_pension_is_not_asked_how_long_without_income() -> None:
    # A 72-year-old on a small pension was asked "连续几个月没有收入", answered "一年多了", and was
    # told the one-off aid for jobless workers looked possible.
    pensioner = {**NINGXIA_ELDER, "applicant.age": 72, "applicant.has_income_source": True,
                 "household.on_dibao": False, "applicant.unemployment_insured": False}
    assert "applicant.unemployed_months" not in next_questions(pensioner, DAY)
    result = screen_answers({**pensioner, "applicant.unemployed_months": 12}, DAY)
    assert "失业" not in result_text(result).split("按您说的情况暂不符合")[0]


def test_summary_lists_answers_and_assumptions() -> None:
    text = summary_text(NINGXIA_ELDER)
    assert "宁夏银川市" in text and "1口人" in text and "0元" in text and "70岁" in text
    assert "是否未就业大学毕业生：否（按年龄推定）" in text
    assert "刚才说错了" in text


def test_result_never_promises_and_cites() -> None:
    answers = {**NINGXIA_ELDER, "applicant.able_to_work": False, "applicant.has_income_source": False,
               "applicant.has_able_supporter": False}
    result = screen_answers(answers, DAY)
    text = result_text(result)
    assert "初步判断" in text and "以审核结果为准" in text
    assert "可能符合：" in text and "特困供养（约845元" in text
    assert "乡镇（街道）社会救助窗口" in text
    why = reasons_text(result)
    assert "【特困人员救助供养】可能符合" in why and "宁政办规发〔2022〕7号" in why


ANSWERED_ELDER = {
    **NINGXIA_ELDER, "household.size": 3, "household.monthly_income": 1500, "household.on_dibao": False,
    "household.low_income_family": UNKNOWN, "applicant.disability": NONE, "applicant.seriously_ill": False,
    "applicant.able_to_work": False, "applicant.has_income_source": False, "applicant.has_able_supporter": False,
    "applicant.unemployed_months": 3, "applicant.unemployment_insured": False,
    "applicant.medical_out_of_pocket_yearly": 0, "applicant.emergency": NONE,
}


def test_unknown_is_answered_but_not_a_fact() -> None:
    asked = next_questions({**NINGXIA_ELDER, "household.low_income_family": UNKNOWN}, DAY)
    assert "household.low_income_family" not in asked
    assert "low_income_family" not in request_body({"household.low_income_family": UNKNOWN}, DAY)["household"]
    assert "不清楚" in summary_text({"household.low_income_family": UNKNOWN})


def test_short_result_first_message() -> None:
    # Issue 11: a 1,342-character result with the expiry warning three times over.
    late = dt.date(2026, 12, 3)
    result = screen_answers(ANSWERED_ELDER, late)
    text = result_text(result)
    assert len(text) <= RESULT_MAX_CHARS
    assert text.count("注意：") == 1 and text.count("宁政办规发〔2022〕7号有效期至") == 1  # each warning once
    assert "可能符合" in text and "特困供养" in text and "下一步" in text and "我要申请" in text
    assert "还定不了" in text and "还要知道" in text  # the undecided ones, with what would decide them
    assert "第十四条" not in text  # the reasons and citations come on request
    why = reasons_text(result, "tekun")
    assert "第十四条" in why and "特困人员救助供养" in why and "最低生活保障" not in why
    assert result_programs(result)[0] in ("dibao", "tekun")


def test_every_result_fits_the_first_message() -> None:
    for region in ("宁夏回族自治区银川市", "山西省运城市盐湖区", "山西省"):
        for answers in ({"region": region}, {**ANSWERED_ELDER, "region": region},
                        {**ANSWERED_ELDER, "region": region, "applicant.emergency": "fire"}):
            for day in (DAY, dt.date(2026, 12, 3)):
                assert len(result_text(screen_answers(answers, day))) <= RESULT_MAX_CHARS


def test_answers_line_says_how_to_correct() -> None:
    line = answers_line(ANSWERED_ELDER)
    assert "3口人" in line and "不清楚" in line and "刚才说错了" in line
