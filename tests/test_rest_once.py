"""The REST channel answers a message sent again (same message id) once, with the same answer,
whether the copy arrives while the first is being answered or after (bot.channels.rest); the web
app gives every chat message an id."""
from __future__ import annotations

import concurrent.futures
import uuid

import pytest
import requests

from tests.conftest import RASA_TEST_TOKEN, Servers, rest_headers

pytestmark = pytest.mark.e2e


def user_events(servers: Servers, sender: str) -> list[dict]:
    tracker = requests.get(f"{servers.rasa_url}/conversations/{sender}/tracker",
                           params={"token": RASA_TEST_TOKEN}, timeout=10).json()
    return [e for e in tracker["events"] if e["event"] == "user"]


def user_texts(servers: Servers, sender: str) -> list[str]:
    return [e["text"] for e in user_events(servers, sender)]


def send(servers: Servers, sender: str, text: str, message_id: str | None) -> list[str]:
    body = {"sender": sender, "message": text, **({"message_id": message_id} if message_id else {})}
    resp = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", json=body, timeout=60, headers=rest_headers())
    resp.raise_for_status()
    return [m["text"] for m in resp.json()]


def test_a_message_sent_again_is_answered_once(servers: Servers) -> None:
    sender, message_id = f"once-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: send(servers, sender, "特困人员有什么条件", message_id), range(3)))
    later = send(servers, sender, "特困人员有什么条件", message_id)
    assert answers[0] and all(a == answers[0] for a in answers) and later == answers[0]
    assert user_texts(servers, sender) == ["特困人员有什么条件"]


def test_messages_without_an_id_or_with_new_ids_are_each_handled(servers: Servers) -> None:
    sender = f"once-{uuid.uuid4().hex[:8]}"
    send(servers, sender, "你好", None)
    send(servers, sender, "你好", None)
    send(servers, sender, "谢谢", uuid.uuid4().hex)
    send(servers, sender, "谢谢", "not an id!")  # an id the channel does not accept counts as none
    assert user_texts(servers, sender) == ["你好", "你好", "谢谢", "谢谢"]


def test_the_web_app_gives_each_chat_message_an_id(servers: Servers) -> None:
    sender = servers.new_web_sender()
    for _ in range(2):
        resp = servers.web_chat(sender, "你好")
        assert resp.status_code == 200 and resp.json()["messages"]
    ids = [e["message_id"] for e in user_events(servers, sender)]
    assert len(ids) == 2 and len(set(ids)) == 2
