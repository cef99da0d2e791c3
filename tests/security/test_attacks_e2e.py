"""The issue's attacks repeated against the real stack (Rasa with the trained model, the action
server, the web app; tests/conftest.py `servers`): each must fail."""
from __future__ import annotations

import psutil
import pytest
import requests

from tests.conftest import ACTION_TEST_SECRET, RASA_TEST_TOKEN, Servers, rest_headers

pytestmark = pytest.mark.e2e


def tracker_texts(servers: Servers, sender: str) -> list[str]:
    resp = requests.get(f"{servers.rasa_url}/conversations/{sender}/tracker",
                        params={"token": RASA_TEST_TOKEN}, timeout=30)
    resp.raise_for_status()
    return [e.get("text") or "" for e in resp.json()["events"] if e["event"] == "user"]


def test_no_secret_is_visible_in_the_process_list(servers: Servers) -> None:
    for name in ("rasa", "actions", "web"):
        process = servers.services[name].process
        assert process is not None
        command = " ".join(psutil.Process(process.pid).cmdline())
        assert RASA_TEST_TOKEN not in command and ACTION_TEST_SECRET not in command, name
        assert "--auth-token" not in command


def test_the_rest_channel_answers_only_the_web_app(servers: Servers) -> None:
    body = {"sender": "oWx3Z_attack-openid", "message": "转人工"}
    resp = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", json=body, timeout=30)
    assert resp.status_code == 401 and "网页服务" in resp.json()["error"]
    assert tracker_texts(servers, "oWx3Z_attack-openid") == []


def test_an_empty_body_to_the_rest_channel_is_a_400(servers: Servers) -> None:
    resp = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", data=b"", timeout=30,
                         headers={**rest_headers(), "Content-Type": "application/json"})
    assert resp.status_code == 400 and "JSON" in resp.json()["error"]


def test_oversized_messages_are_never_stored(servers: Servers) -> None:
    """The issue: 10 MB to the REST channel became 21 MB of tracker events."""
    sender = "web-" + "a" * 32
    huge = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", timeout=60, headers=rest_headers(),
                         json={"sender": sender, "message": "低" * (10 * 1024 * 1024 // 3)})
    assert huge.status_code == 413
    long = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", timeout=60, headers=rest_headers(),
                         json={"sender": sender, "message": "低保" * 1500})
    assert long.status_code == 200 and "太长" in long.json()[0]["text"]
    assert tracker_texts(servers, sender) == []
    chat = servers.new_web_sender()
    resp = servers.web_chat(chat, "我" * 5000)
    assert resp.status_code == 200 and "太长" in resp.json()["messages"][0]["text"]
    assert tracker_texts(servers, chat) == []


def test_a_forged_call_to_the_action_server_is_refused(servers: Servers) -> None:
    call = {"next_action": "action_handoff_to_staff", "sender_id": "forged",
            "tracker": {"sender_id": "forged", "slots": {}, "events": [], "latest_message": {}}}
    resp = requests.post(f"{servers.action_url}/webhook", json=call, timeout=30)
    assert resp.status_code == 401


def test_rasa_still_runs_actions_with_the_secret(servers: Servers) -> None:
    """The policy answer is a custom action: it runs, so Rasa sends the secret."""
    answer = "\n".join(servers.talk(servers.new_web_sender(), "宁夏低保标准是多少"))
    assert "依据" in answer
