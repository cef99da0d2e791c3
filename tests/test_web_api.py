"""The web app's JSON API and chat proxy, through sanic's test client (real HTTP handling)."""
from __future__ import annotations

import pytest
from sanic import Sanic

from bot.knowledge.service import PolicyService
from bot.settings import Settings
from bot.web.app import create_app


@pytest.fixture(scope="module")
def app(policy_service: PolicyService) -> Sanic:
    # Nothing listens on port 9: the chat proxy's "assistant unreachable" path.
    settings = Settings(rasa_url="http://127.0.0.1:9", today_override="2026-11-23")
    return create_app(settings, policy_service, name="web_api_tests")


def get(app: Sanic, url: str, **params):
    _request, response = app.test_client.get(url, params=params)
    return response


def test_search_returns_cited_measures(app: Sanic) -> None:
    response = get(app, "/api/policy/search", q="低保标准是多少", region="宁夏", top_k=3)
    assert response.status == 200
    body = response.json
    assert body["answered"] is True
    assert body["region"] == "宁夏回族自治区"
    assert 1 <= len(body["results"]) <= 3
    first = body["results"][0]
    assert first["doc_number"] == "宁政办规发〔2022〕7号"
    assert first["clause"] == "第2条" and "650元" in first["text"]
    assert first["valid_until"] == "2023-12-31" and first["expired"] is True


def test_search_as_of_before_expiry(app: Sanic) -> None:
    body = get(app, "/api/policy/search", q="低保标准", region="宁夏", as_of="2023-06-01").json
    assert body["results"][0]["expired"] is False


def test_search_for_yuncheng_never_returns_ningxia(app: Sanic) -> None:
    body = get(app, "/api/policy/search", q="渐退期", region="运城", top_k=10).json
    assert body["answered"] is True
    assert body["results"][0]["doc_number"] == "运民发〔2021〕59号"
    assert all(r["region"] in ("山西省", "山西省运城市") for r in body["results"])


def test_search_nothing_relevant(app: Sanic) -> None:
    body = get(app, "/api/policy/search", q="护照怎么办理", region="山西").json
    assert body["answered"] is False


def test_search_uncovered_region(app: Sanic) -> None:
    response = get(app, "/api/policy/search", q="低保标准", region="北京")
    assert response.status == 200
    assert response.json["answered"] is False and response.json["results"] == []
    assert "北京市" in response.json["message"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "低" * 501}, "q"),
        ({"q": "低保", "region": "火星"}, "region"),
        ({"q": "低保", "top_k": "0"}, "top_k"),
        ({"q": "低保", "top_k": "abc"}, "top_k"),
        ({"q": "低保", "top_k": "11"}, "top_k"),
        ({"q": "低保", "as_of": "2023-13-01"}, "as_of"),
    ],
)
def test_search_bad_input_is_a_400_naming_the_field(app: Sanic, params: dict, field: str) -> None:
    response = get(app, "/api/policy/search", **params)
    assert response.status == 400
    assert field in response.json["error"]


def test_chat_proxy_validates_input(app: Sanic) -> None:
    _req, response = app.test_client.post("/api/chat", data="not json")
    assert response.status == 400 and "JSON" in response.json["error"]
    _req, response = app.test_client.post("/api/chat", json={"message": 5})
    assert response.status == 400 and "message" in response.json["error"]


def test_chat_proxy_empty_message_gets_a_polite_reply(app: Sanic) -> None:
    _req, response = app.test_client.post("/api/chat", json={"message": "  "})
    assert response.status == 200
    assert "没有输入内容" in response.json["messages"][0]["text"]


def test_chat_proxy_when_assistant_is_down(app: Sanic) -> None:
    _req, response = app.test_client.post("/api/chat", json={"message": "你好"})
    assert response.status == 503
    assert "12345" in response.json["error"]


def test_chat_page_and_health(app: Sanic) -> None:
    _req, response = app.test_client.get("/chat")
    assert response.status == 200 and "社会救助政策助手" in response.text
    assert "textContent" in response.text and "innerHTML" not in response.text.replace("never innerHTML", "")
    _req, response = app.test_client.get("/healthz")
    assert response.json == {"status": "ok"}


def test_json_keeps_chinese_readable(app: Sanic) -> None:
    response = get(app, "/api/policy/search", q="低保标准", region="宁夏")
    assert "宁政办规发〔2022〕7号" in response.text
