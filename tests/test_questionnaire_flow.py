"""Choosing questions and wording the summary and result (no Rasa)."""
from __future__ import annotations

import datetime as dt

from bot.questionnaire.answers import NONE
from bot.questionnaire.flow import (
    PATH_FOR_SLOT,
    SLOT_FOR_PATH,
    next_questions,
    request_body,
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


def test_summary_lists_answers_and_assumptions() -> None:
    text = summary_text(NINGXIA_ELDER)
    assert "宁夏银川市" in text and "1口人" in text and "0元" in text and "70岁" in text
    assert "是否未就业大学毕业生：否（按年龄推定）" in text
    assert "刚才说错了" in text


def test_result_never_promises_and_cites() -> None:
    answers = {**NINGXIA_ELDER, "applicant.able_to_work": False, "applicant.has_income_source": False,
               "applicant.has_able_supporter": False}
    text = result_text(screen_answers(answers, DAY))
    assert "初步判断" in text and "以审核结果为准" in text
    assert "【特困人员救助供养】可能符合" in text and "845元" in text
    assert "宁政办规发〔2022〕7号" in text
    assert "乡镇人民政府（街道办事处）" in text
