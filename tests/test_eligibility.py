"""Eligibility: the YAML rule cases in tests/eligibility/, and the parameter loader, facts and engine."""
from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bot.eligibility import (
    FIELD_PATHS,
    PROGRAMS,
    UNKNOWN,
    Disability,
    InvalidInput,
    ParameterError,
    ParameterSet,
    default_parameters,
    facts_from_request,
    facts_with,
    questions_needed,
    screen,
)
from bot.eligibility.parameters import PARAMETERS_DIR, region_parameters_from_dict
from bot.measure.evaluation import case_parameters, load_screening_cases

CASES_DIR = Path(__file__).parent / "eligibility"
TODAY = dt.date(2022, 7, 1)
MIN_CASES = 45
CASE_KEYS = {"name", "input", "expected", "region", "questions", "entered"}
EXPECTED_KEYS = {"outcome", "amount", "kind", "missing", "reason", "citation", "warning", "warnings"}
PROGRAM_IDS = [program for program, _name, _rule in PROGRAMS]


CASES = load_screening_cases(CASES_DIR)


def test_enough_threshold_cases_and_names_are_unique() -> None:
    assert len(CASES) >= MIN_CASES
    names = [case["name"] for _case_id, case in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case_id, case", CASES, ids=[case_id for case_id, _case in CASES])
def test_rule_case(case_id: str, case: dict[str, Any]) -> None:
    assert set(case) <= CASE_KEYS, f"unknown keys {set(case) - CASE_KEYS}"
    body = json.loads(json.dumps(case["input"], ensure_ascii=False))  # exactly what the API gets
    result = screen(facts_from_request(body, TODAY), case_parameters(case))
    data = result.to_json()
    if "region" in case:
        assert data["region"] == case["region"]
    if "questions" in case:
        assert questions_needed(result) == case["questions"]
    assert [p["program"] for p in data["programs"]] == PROGRAM_IDS
    programs = {p["program"]: p for p in data["programs"]}
    for program_id, expected in case["expected"].items():
        assert set(expected) <= EXPECTED_KEYS, f"unknown keys {set(expected) - EXPECTED_KEYS}"
        got = programs[program_id]
        where = f"{case['name']} / {program_id}: {json.dumps(got, ensure_ascii=False, indent=1)}"
        assert got["outcome"] == expected["outcome"], where
        for key in ("amount", "kind", "missing", "warnings"):
            if key in expected:
                assert got[key] == expected[key], where
        if "reason" in expected:
            assert any(expected["reason"] in r["text"] for r in got["reasons"]), where
        if "citation" in expected:
            assert any(expected["citation"] in (r["citation"] or "") for r in got["reasons"]), where
        if "warning" in expected:
            assert any(expected["warning"] in w for w in got["warnings"]), where


# The invariants every screening keeps --------------------------------------------------------


@pytest.mark.parametrize("case_id, case", CASES, ids=[case_id for case_id, _case in CASES])
def test_result_invariants(case_id: str, case: dict[str, Any]) -> None:
    result = screen(facts_from_request(case["input"], TODAY), case_parameters(case))
    for program in result.programs:
        assert program.reasons, program.program
        if program.outcome != "unknown":
            assert program.missing == ()
        if program.outcome == "ineligible":
            assert program.amount is None and program.kind is None
        assert list(program.missing) == [p for p in FIELD_PATHS if p in program.missing]
        if program.program != "temporary_assistance":
            assert program.kind is None
        if any("已不在有效期内" in w for w in program.warnings):
            assert program.outcome != "eligible"


def test_questions_needed_is_the_union_in_field_order() -> None:
    result = screen(facts_from_request({"region": "宁夏", "as_of": "2022-07-01"}, TODAY))
    questions = questions_needed(result)
    union = {path for program in result.programs for path in program.missing}
    assert set(questions) == union
    assert questions == [path for path in FIELD_PATHS if path in union]
    assert "region" not in questions and "household.size" in questions


def test_answering_the_questions_settles_every_program() -> None:
    answers = {
        "residence": "urban", "household.size": 2, "household.monthly_income": 1000,
        "household.on_dibao": False, "household.low_income_family": False, "applicant.age": 35,
        "applicant.disability": None, "applicant.seriously_ill": False, "applicant.able_to_work": True,
        "applicant.has_income_source": False, "applicant.has_able_supporter": True,
        "applicant.unemployed_months": 0, "applicant.unemployment_insured": False,
        "applicant.is_migrant_worker": False, "applicant.is_unemployed_graduate": False,
        "applicant.medical_out_of_pocket_yearly": 0, "applicant.emergency": None,
    }
    facts = facts_from_request({"region": "宁夏", "as_of": "2022-07-01"}, TODAY)
    asked = []
    while questions := questions_needed(screen(facts)):
        asked.append(questions[0])
        facts = facts_with(facts, questions[0], answers[questions[0]])
    assert len(asked) == len(set(asked))
    assert all(program.outcome != "unknown" for program in screen(facts).programs)


def _program(result: Any, program: str) -> Any:
    return next(p for p in result.programs if p.program == program)


def test_a_disability_grade_without_its_kind() -> None:
    # Issue 11: "有残疾证，二级" is a yes with its grade. 单人保 takes every 一、二级 disability (运民发
    # 〔2021〕59号, 晋民发〔2022〕38号: "一级、二级重度残疾人"); Shanxi's 特困 lists grades by kind, so
    # the kind decides there and staff confirm it from the certificate.
    body = {"region": "运城", "household": {"low_income_family": True},
            "applicant": {"disability": {"grade": 2}, "seriously_ill": False, "age": 50,
                          "able_to_work": False, "has_income_source": False, "has_able_supporter": False}}
    facts = facts_from_request(body, dt.date(2024, 1, 1))
    assert facts.get("applicant.disability") == Disability(None, 2)
    result = screen(facts)
    individual, tekun = _program(result, "dibao_individual"), _program(result, "tekun")
    assert individual.outcome == "likely"
    assert any("二级残疾（未说明类别），属于可单独申请低保" in r.text for r in individual.reasons)
    assert tekun.outcome == "unknown" and "applicant.disability" in tekun.missing
    assert any("是否在内要看残疾类别" in r.text for r in tekun.reasons)
    body["applicant"]["disability"] = {"kind": None, "grade": 4}
    four = screen(facts_from_request(body, dt.date(2024, 1, 1)))
    assert _program(four, "dibao_individual").outcome == "ineligible"
    assert _program(four, "tekun").outcome == "ineligible"


# Facts --------------------------------------------------------------------------------------


def test_facts_store_canonical_region_and_keep_null_answers() -> None:
    facts = facts_from_request(
        {"region": "运城", "applicant": {"disability": None, "emergency": None, "age": None}}, TODAY
    )
    assert facts.region == "山西省运城市"
    assert facts.as_of == TODAY
    assert facts.known("applicant.disability") and facts.get("applicant.disability") is None
    assert facts.known("applicant.emergency") and facts.get("applicant.emergency") is None
    assert not facts.known("applicant.age") and facts.get("applicant.age") is UNKNOWN


def test_facts_with_sets_checks_and_unsets_one_fact() -> None:
    facts = facts_from_request({"region": "宁夏"}, TODAY)
    changed = facts_with(facts, "applicant.disability", {"kind": "visual", "grade": 1})
    assert changed.get("applicant.disability") == Disability("visual", 1)
    assert not facts.known("applicant.disability")  # the original is unchanged
    assert facts_with(changed, "region", "山西运城").region == "山西省运城市"
    assert not facts_with(changed, "applicant.disability", UNKNOWN).known("applicant.disability")
    with pytest.raises(InvalidInput) as error:
        facts_with(facts, "household.size", 0)
    assert error.value.field_path == "household.size"
    with pytest.raises(InvalidInput):
        facts_with(facts, "applicant.name", "张三")


def test_field_paths_cover_every_fact_once() -> None:
    assert len(FIELD_PATHS) == len(set(FIELD_PATHS)) == 18
    assert FIELD_PATHS[0] == "region" and FIELD_PATHS[-1] == "applicant.emergency"


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"household": {"monthly_income": -1}}, "household.monthly_income", "负数"),
        ({"household": {"monthly_income": "1500"}}, "household.monthly_income", "数字"),
        ({"household": {"monthly_income": True}}, "household.monthly_income", "数字"),
        ({"household": {"size": 0}}, "household.size", "1 到 30"),
        ({"household": {"size": 31}}, "household.size", "1 到 30"),
        ({"household": {"size": 2.5}}, "household.size", "整数"),
        ({"household": {"on_dibao": 1}}, "household.on_dibao", "true 或 false"),
        ({"household": {"on_dibao": "否"}}, "household.on_dibao", "true 或 false"),
        ({"household": {"pets": 2}}, "household.pets", "未知字段"),
        ({"household": [1]}, "household", "JSON 对象"),
        ({"applicant": {"age": 121}}, "applicant.age", "0 到 120"),
        ({"applicant": {"age": -1}}, "applicant.age", "0 到 120"),
        ({"applicant": {"age": "七十"}}, "applicant.age", "整数"),
        ({"applicant": {"disability": {"kind": "wings", "grade": 1}}}, "applicant.disability.kind", "physical"),
        ({"applicant": {"disability": {"kind": "visual", "grade": 5}}}, "applicant.disability.grade", "1 到 4"),
        ({"applicant": {"disability": {"kind": "visual"}}}, "applicant.disability.grade", "缺失"),
        ({"applicant": {"disability": "一级"}}, "applicant.disability", "残疾类别"),
        ({"applicant": {"emergency": "flood"}}, "applicant.emergency", "fire"),
        ({"applicant": {"unemployed_months": -2}}, "applicant.unemployed_months", "0 到 600"),
        ({"applicant": {"medical_out_of_pocket_yearly": float("nan")}},
         "applicant.medical_out_of_pocket_yearly", "数字"),
        ({"region": "火星"}, "region", "无法识别"),
        ({"region": 5}, "region", "地区名称"),
        ({"residence": "suburb"}, "residence", "urban"),
        ({"as_of": "2023-13-01"}, "as_of", "日期"),
        ({"as_of": 20230101}, "as_of", "日期"),
        ({"name": "张三"}, "name", "未知字段"),
    ],
)
def test_invalid_input_names_the_field(body: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as error:
        facts_from_request(body, TODAY)
    assert error.value.field_path == field
    assert field in error.value.message and words in error.value.message


@pytest.mark.parametrize("body", [None, [], "低保", 3])
def test_a_body_that_is_not_an_object_is_refused(body: Any) -> None:
    with pytest.raises(InvalidInput) as error:
        facts_from_request(body, TODAY)
    assert error.value.field_path is None and "JSON 对象" in error.value.message


# Parameter files ----------------------------------------------------------------------------

CITATION = {"document": "并政发〔2023〕1号", "clause": "第1条"}
VALID = {
    "region": "山西省太原市",
    "documents": {
        "并政发〔2023〕1号": {"title": "测试文件", "issued": dt.date(2023, 1, 1), "valid_until": dt.date(2023, 12, 31)},
    },
    "parameters": {
        "dibao_standard_urban": {dt.date(2023, 1, 1): {"value": 800, "unit": "元/人/月", "citation": CITATION}},
    },
}


def mutated(change) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    change(data)
    return data


def standard(data: dict[str, Any]) -> dict[str, Any]:
    return data["parameters"]["dibao_standard_urban"][dt.date(2023, 1, 1)]


def test_the_project_parameter_files_load() -> None:
    parameters = ParameterSet.from_directory(PARAMETERS_DIR)
    assert {"全国", "山西省", "山西省运城市", "宁夏回族自治区"} <= set(parameters.by_region)
    assert default_parameters() is default_parameters()  # read once


@pytest.mark.parametrize(
    "change, key",
    [
        (lambda d: d.update(standards={}), "standards"),
        (lambda d: d["parameters"].update(dibao_standard_town={}), "dibao_standard_town"),
        (lambda d: d["parameters"]["dibao_standard_urban"].update(value=800), "'value'"),
        (lambda d: d["parameters"]["dibao_standard_urban"].update({"2023-02-30": {}}), "2023-02-30"),
        (lambda d: standard(d).pop("citation"), "citation"),
        (lambda d: standard(d)["citation"].pop("clause"), "clause"),
        (lambda d: standard(d)["citation"].update(document="并政发〔2099〕9号"), "并政发〔2099〕9号"),
        (lambda d: standard(d).update(factor=1.3), "factor"),
        (lambda d: standard(d).update(unit="元/户/月"), "unit"),
        (lambda d: standard(d).update(value="八百"), "value"),
        (lambda d: d["documents"]["并政发〔2023〕1号"].update(valid_until="年底"), "valid_until"),
        (lambda d: d["documents"]["并政发〔2023〕1号"].update(valid_until=dt.date(2022, 12, 31)), "dibao_standard_urban"),
        (lambda d: d.update(region="太原"), "region"),
        (lambda d: d.update(unpublished={"dibao_standard_urban": {"reason": "x", "citation": CITATION}}), "unpublished"),
    ],
)
def test_schema_errors_name_the_file_and_key(change, key: str) -> None:
    with pytest.raises(ParameterError) as error:
        region_parameters_from_dict(mutated(change), "taiyuan.yml")
    assert "taiyuan.yml" in str(error.value) and key in str(error.value)


def test_two_files_for_one_region_are_an_error() -> None:
    file = region_parameters_from_dict(VALID, "taiyuan.yml")
    other = region_parameters_from_dict(VALID, "taiyuan2.yml")
    with pytest.raises(ParameterError, match="taiyuan2.yml"):
        ParameterSet([file, other])


def test_the_most_specific_region_wins_and_parents_apply() -> None:
    project = ParameterSet.from_directory(PARAMETERS_DIR)
    parameters = ParameterSet([*project.by_region.values(), region_parameters_from_dict(VALID, "taiyuan.yml")])
    day = dt.date(2023, 6, 1)
    county = parameters.lookup("dibao_standard_urban", "山西省太原市小店区", day)
    assert county.value is not None and county.value.region == "山西省太原市"
    assert parameters.lookup("dibao_standard_urban", "山西省", day).unpublished is not None
    minor = parameters.lookup("tekun_minor_age_limit", "山西省太原市小店区", day)
    assert minor.value is not None and minor.value.region == "山西省"
    elderly = parameters.lookup("tekun_elderly_min_age", "宁夏回族自治区银川市", day)
    assert elderly.value is not None and elderly.value.region == "全国"
    assert parameters.lookup("dibao_standard_urban", "山西省太原市", dt.date(2024, 1, 1)).stale
    early = parameters.lookup("dibao_standard_urban", "山西省太原市", dt.date(2022, 12, 31))
    assert early.value is None and early.upcoming is not None


def test_a_city_standard_added_as_data_is_used_by_the_rules() -> None:
    project = ParameterSet.from_directory(PARAMETERS_DIR)
    parameters = ParameterSet([*project.by_region.values(), region_parameters_from_dict(VALID, "taiyuan.yml")])
    body = {"as_of": "2023-06-01", "region": "太原", "residence": "urban",
            "household": {"size": 2, "monthly_income": 1600}}
    result = screen(facts_from_request(body, TODAY), parameters)
    assert result.program("dibao").outcome == "likely"
    body["household"]["monthly_income"] = 1602
    assert screen(facts_from_request(body, TODAY), parameters).program("dibao").outcome == "ineligible"


def test_json_shape() -> None:
    data = screen(facts_from_request({"region": "宁夏", "as_of": "2022-07-01"}, TODAY)).to_json()
    assert set(data) == {"as_of", "region", "programs"}
    assert data["as_of"] == "2022-07-01" and data["region"] == "宁夏回族自治区"
    for program in data["programs"]:
        assert set(program) == {"program", "name", "outcome", "kind", "amount", "reasons", "missing", "warnings"}
        assert all(set(reason) == {"text", "citation"} for reason in program["reasons"])
    json.dumps(data, ensure_ascii=False)
