"""Issue 12: Rasa's REST channel answers only the web app, the action server only Rasa, and every
channel caps what it accepts. Rasa's channel blueprint and rasa_sdk's app with the project's
plugin run in-process under sanic's ASGI client (real request handling, no network)."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from rasa.core.channels.channel import UserMessage
from rasa_sdk.endpoint import create_app as create_action_app
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic
from sanic_testing.reusable import ReusableClient
from sqlalchemy import func, select
from wechatpy.messages import TextMessage

from bot import replies
from bot.channels.rest import OnceRestInput
from bot.core import migrate
from bot.core.testing import free_port
from bot.core.db import session_factory, transaction
from bot.core.models import HandoffTicket
from bot.wechat.inbound import Answer, AskAssistant, route

TOKEN = "rest-token-for-tests"
SECRET = "action-secret-for-tests"
_apps = iter(range(10_000))


@pytest.fixture
def rest(monkeypatch: pytest.MonkeyPatch) -> tuple[Sanic, list[UserMessage]]:
    """Rasa's REST channel as Rasa mounts it, with the turn recorded instead of run by a model."""
    monkeypatch.setenv("RASA_TOKEN", TOKEN)
    monkeypatch.delenv("REDIS_URL", raising=False)
    handled: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        handled.append(message)
        await message.output_channel.send_text_message(message.sender_id, "收到")

    app = Sanic(f"rest_guard_{next(_apps)}")
    app.blueprint(OnceRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")
    return app, handled


def post(app: Sanic, path: str, body: Any = None, headers: dict[str, str] | None = None,
         raw: bytes | None = None) -> Any:
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    _request, response = asyncio.run(app.asgi_client.post(path, content=data, headers=headers or {}))
    return response


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_rest_channel_refuses_anyone_but_the_web_app(rest: tuple[Sanic, list[UserMessage]]) -> None:
    """The issue's attack: the REST channel, on the same port as the WeChat webhook, took any
    sender (a WeChat OpenID included) from anyone."""
    app, handled = rest
    body = {"sender": "oWx3Z_fake-openid", "message": "我要查我的申请"}
    for headers in ({}, bearer("wrong"), {"Authorization": TOKEN}, {"Authorization": "Basic " + TOKEN}):
        response = post(app, "/webhooks/rest/webhook", body, headers)
        assert response.status == 401 and response.json["error"] == replies.text("security.channel_refused")
    assert handled == []
    response = post(app, "/webhooks/rest/webhook", body, bearer())
    assert response.status == 200 and handled[0].sender_id == "oWx3Z_fake-openid"


def test_the_rest_channel_is_closed_while_no_token_is_set(rest: tuple[Sanic, list[UserMessage]],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    app, handled = rest
    monkeypatch.setenv("RASA_TOKEN", "")
    response = post(app, "/webhooks/rest/webhook", {"sender": "a", "message": "你好"}, bearer(""))
    assert response.status == 503 and handled == []


def test_a_rest_caller_cannot_pose_as_another_channel(rest: tuple[Sanic, list[UserMessage]]) -> None:
    app, handled = rest
    post(app, "/webhooks/rest/webhook", {"sender": "web-a", "message": "你好", "input_channel": "wechat"}, bearer())
    assert handled[0].input_channel == "rest"


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b"null", b'{"sender": "a"}', b'{"message": "x"}',
                                 b'{"sender": 5, "message": "x"}', b'{"sender": "a b", "message": "x"}',
                                 b'{"sender": "a", "message": ["x"]}'])
def test_a_malformed_rest_body_is_a_400_in_chinese(rest: tuple[Sanic, list[UserMessage]], raw: bytes) -> None:
    """The issue: an empty body to the REST channel was a 500."""
    app, handled = rest
    response = post(app, "/webhooks/rest/webhook", raw=raw, headers=bearer())
    assert response.status == 400 and response.json["error"] == replies.text("security.bad_message")
    assert handled == []


def test_an_oversized_rest_message_is_answered_and_never_handled(rest: tuple[Sanic, list[UserMessage]]) -> None:
    """The issue: a 10 MB message was stored as 21 MB of tracker events. Past the cap the channel
    answers itself; the text never reaches Rasa's processor (nor the tracker store)."""
    app, handled = rest
    response = post(app, "/webhooks/rest/webhook", {"sender": "web-a", "message": "低" * 2001}, bearer())
    assert response.status == 200 and "最多 2000 个字" in response.json[0]["text"]
    assert handled == []
    post(app, "/webhooks/rest/webhook", {"sender": "web-a", "message": "低" * 2000}, bearer())
    assert len(handled) == 1  # up to the cap the NLU reads it (and says when it was too long)


def test_a_body_over_the_rasa_servers_cap_is_refused_in_chinese(rest: tuple[Sanic, list[UserMessage]]) -> None:
    """Served on loopback (the cap is the HTTP server's): the launcher sets 1 MB, here 4 KB."""
    app, handled = rest
    app.config.REQUEST_MAX_SIZE = 4096
    client = ReusableClient(app, port=free_port(), loop=asyncio.new_event_loop())
    with client:
        _request, response = client.post("/webhooks/rest/webhook", headers=bearer(),
                                         content=json.dumps({"sender": "web-a", "message": "低" * 5000}))
    assert response.status == 413 and response.json["error"] == replies.text("pages.too_large.text")
    assert handled == []


def test_an_oversized_wechat_text_is_answered_by_the_channel() -> None:
    long = TextMessage({"MsgType": "text", "Content": "低" * 2001, "FromUserName": "o1", "ToUserName": "gh"})
    action = route(long)
    assert isinstance(action, Answer) and "最多 2000 个字" in action.text
    fits = TextMessage({"MsgType": "text", "Content": "低保标准", "FromUserName": "o1", "ToUserName": "gh"})
    assert isinstance(route(fits), AskAssistant)


# ---- the action server ----

@pytest.fixture
def actions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sanic, Any]]:
    """rasa_sdk's app as `python -m rasa_sdk --actions actions` builds it, plugins attached."""
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ACTION_SECRET", SECRET)
    Sanic._app_registry.pop("rasa_sdk", None)
    app = create_action_app("actions")
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    yield app, session_factory(url)
    Sanic._app_registry.pop("rasa_sdk", None)


def forged_handoff() -> dict[str, Any]:
    """The issue's forged call: a hand-off with a made-up transcript."""
    event = {"event": "user", "text": "我是张三，身份证号码给你们了，请把我的申请转给别人", "timestamp": 1.0,
             "parse_data": {"intent": {"name": "request_human", "confidence": 1.0}, "entities": []},
             "input_channel": "rest"}
    return {"next_action": "action_handoff_to_staff", "sender_id": "forged-1", "version": "3.6.21",
            "domain": {}, "tracker": {"sender_id": "forged-1", "slots": {}, "events": [event],
                                      "latest_message": {"text": event["text"], "intent": {"name": "request_human"}},
                                      "paused": False, "latest_action_name": "action_listen"}}


def tickets_in(factory) -> int:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        return session.scalar(select(func.count()).select_from(HandoffTicket))


def test_a_forged_action_call_is_refused(actions: tuple[Sanic, Any]) -> None:
    app, factory = actions
    for headers in ({}, {"X-Action-Secret": "guess"}, {"X-Action-Secret": ""}):
        response = post(app, "/webhook", forged_handoff(), headers)
        assert response.status == 401, response.text
        assert response.json["error"] == replies.text("security.action_refused")
    assert tickets_in(factory) == 0


def test_the_action_server_is_closed_while_no_secret_is_set(actions: tuple[Sanic, Any],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    app, factory = actions
    monkeypatch.setenv("ACTION_SECRET", "")
    assert post(app, "/webhook", forged_handoff(), {"X-Action-Secret": ""}).status == 503
    assert tickets_in(factory) == 0


def test_rasas_call_with_the_secret_runs(actions: tuple[Sanic, Any]) -> None:
    app, factory = actions
    response = post(app, "/webhook", forged_handoff(), {"X-Action-Secret": SECRET})
    assert response.status == 200, response.text
    assert tickets_in(factory) == 1


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b'{"next_action": 5}',
                                 b'{"next_action": "action_answer_policy"}',
                                 b'{"next_action": "action_answer_policy", "tracker": []}',
                                 b'{"next_action": "action_answer_policy", "tracker": {"slots": {}}}',
                                 b'{"next_action": "action_answer_policy", "tracker": {"sender_id": "a", "events": {}}}'])
def test_a_malformed_action_call_is_a_400_without_echo(actions: tuple[Sanic, Any], raw: bytes) -> None:
    app, _factory = actions
    response = post(app, "/webhook", raw=raw, headers={"X-Action-Secret": SECRET})
    assert response.status == 400, response.text
    assert "Traceback" not in response.text and "request_body" not in response.text
