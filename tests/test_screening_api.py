"""POST /api/screening through sanic's test client (real HTTP handling)."""
from __future__ import annotations

import pytest
from sanic import Sanic

from bot.eligibility import FIELD_PATHS, PROGRAMS
from bot.knowledge.service import PolicyService
from bot.settings import Settings
from bot.web.app import create_app

PROGRAM_IDS = [program for program, _name, _rule in PROGRAMS]


@pytest.fixture(scope="module")
def app(policy_service: PolicyService) -> Sanic:
    settings = Settings(rasa_url="http://127.0.0.1:9", today_override="2022-07-01")
    return create_app(settings, policy_service, name="screening_api_tests")


def post(app: Sanic, body=None, data: str | None = None):
    if data is not None:
        _request, response = app.test_client.post("/api/screening", data=data)
    else:
        _request, response = app.test_client.post("/api/screening", json=body)
    return response


def test_screening_returns_every_program_with_reasons_and_citations(app: Sanic) -> None:
    body = {
        "region": "宁夏",
        "residence": "urban",
        "household": {"size": 2, "monthly_income": 1300, "on_dibao": False, "low_income_family": False},
        "applicant": {"age": 70, "disability": None, "able_to_work": False, "has_income_source": False,
                      "has_able_supporter": False, "emergency": "fire"},
    }
    response = post(app, body)
    assert response.status == 200
    data = response.json
    assert data["as_of"] == "2022-07-01"  # the app's today
    assert data["region"] == "宁夏回族自治区"
    assert [p["program"] for p in data["programs"]] == PROGRAM_IDS
    programs = {p["program"]: p for p in data["programs"]}
    for program in data["programs"]:
        assert set(program) == {"program", "name", "outcome", "kind", "amount", "reasons", "missing", "warnings"}
        assert program["name"] and program["reasons"]
        assert all(set(reason) == {"text", "citation"} for reason in program["reasons"])
        assert all(path in FIELD_PATHS for path in program["missing"])
    assert programs["dibao"]["outcome"] == "likely"
    assert programs["tekun"]["amount"] == {"value": 845.0, "unit": "元/人/月"}
    temporary = programs["temporary_assistance"]
    assert temporary["outcome"] == "eligible" and temporary["kind"] == "urgent"
    assert temporary["amount"] == {"value": 1300.0, "unit": "元/次"}
    assert any(r["citation"] == "宁政办规发〔2022〕7号 第2条" for r in temporary["reasons"])
    assert programs["dibao"]["kind"] is None
    assert "宁政办规发〔2022〕7号" in response.text  # Chinese stays readable


def test_screening_as_of_after_ningxia_expiry_warns(app: Sanic) -> None:
    body = {"as_of": "2024-01-01", "region": "宁夏", "applicant": {"emergency": "fire"}}
    data = post(app, body).json
    temporary = next(p for p in data["programs"] if p["program"] == "temporary_assistance")
    assert data["as_of"] == "2024-01-01"
    assert temporary["outcome"] == "likely"
    assert any("有效期至2023年12月31日" in w for w in temporary["warnings"])


def test_screening_with_an_empty_body_asks_for_the_region(app: Sanic) -> None:
    data = post(app, {}).json
    assert all(p["outcome"] == "unknown" and p["missing"] == ["region"] for p in data["programs"])


def test_shanxi_dibao_is_unknown_and_staff_must_confirm(app: Sanic) -> None:
    body = {"region": "山西省", "as_of": "2023-03-01", "residence": "urban",
            "household": {"size": 1, "monthly_income": 300}}
    dibao = post(app, body).json["programs"][0]
    assert dibao["outcome"] == "unknown" and dibao["missing"] == []
    assert any("需由工作人员确认" in r["text"] for r in dibao["reasons"])


def test_a_pension_of_the_residents_scheme_leaves_tekun_to_the_township(app: Sanic) -> None:
    body = {"region": "运城", "as_of": "2026-12-01", "residence": "rural",
            "applicant": {"age": 73, "able_to_work": False, "has_income_source": "pension_only",
                          "has_able_supporter": False}}
    programs = {p["program"]: p for p in post(app, body).json["programs"]}
    assert programs["tekun"]["outcome"] == "unknown" and programs["tekun"]["missing"] == []
    assert any("养老金" in r["text"] for r in programs["tekun"]["reasons"])


@pytest.mark.parametrize(
    "body, field",
    [
        ({"household": {"monthly_income": -100}}, "household.monthly_income"),
        ({"household": {"monthly_income": "两千"}}, "household.monthly_income"),
        ({"household": {"size": 0}}, "household.size"),
        ({"household": {"size": "三口"}}, "household.size"),
        ({"household": {"on_dibao": 0}}, "household.on_dibao"),
        ({"applicant": {"age": 300}}, "applicant.age"),
        ({"applicant": {"able_to_work": "no"}}, "applicant.able_to_work"),
        ({"applicant": {"has_income_source": "maybe"}}, "applicant.has_income_source"),
        ({"applicant": {"disability": {"kind": "visual", "grade": 7}}}, "applicant.disability.grade"),
        ({"applicant": {"emergency": "earthquake"}}, "applicant.emergency"),
        ({"applicant": {"id_number": "140000199001010000"}}, "applicant.id_number"),
        ({"region": "火星"}, "region"),
        ({"residence": "city"}, "residence"),
        ({"as_of": "2023/06/01"}, "as_of"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(app: Sanic, body: dict, field: str) -> None:
    response = post(app, body)
    assert response.status == 400
    assert response.json["field"] == field
    assert field in response.json["error"]


@pytest.mark.parametrize("data", ["not json", "[1, 2]", "\"低保\"", "null"])
def test_a_body_that_is_not_a_json_object_is_a_400(app: Sanic, data: str) -> None:
    response = post(app, data=data)
    assert response.status == 400
    assert response.json["field"] is None
    assert "JSON 对象" in response.json["error"]
