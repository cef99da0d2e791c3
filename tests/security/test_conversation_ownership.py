"""Issue 12, defect 1: a conversation belongs to its resident. The attacks of the issue, against the
real web app (python -m bot.web) with a recording stand-in for Rasa, Rasa's REST channel and the
action server (rasa_sdk's own app with the project's plugin): each must fail."""
from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from sqlalchemy import select

from bot import replies
from bot.core.db import transaction
from bot.core.models import HandoffTicket, Message
from bot.handoff import tickets
from tests.console.console_support import migrated_factory, web_app

OPENID = "oWx3Z_fake-openid-of-a-wechat-resident"
HOTLINE_CALL = "hotline-call-20261203-0001"
CHAT_COOKIE = "jiuzhu_chat"


class RecordingRasa(http.server.BaseHTTPRequestHandler):
    """Rasa's REST channel as the web app sees it: records what it is sent, answers one text."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        RecordingRasa.received.append({"path": self.path, "body": json.loads(body or b"null"),
                                       "authorization": self.headers.get("Authorization")})
        sender = json.loads(body or b"{}").get("sender")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps([{"recipient_id": sender, "text": "您好"}]).encode())

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("ownership")
    url, factory = migrated_factory(workdir)
    rasa = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RecordingRasa)
    threading.Thread(target=rasa.serve_forever, daemon=True).start()
    try:
        with web_app(workdir, DATABASE_URL=url, RASA_URL=f"http://127.0.0.1:{rasa.server_address[1]}",
                     RASA_TOKEN="token-of-the-web-app", COOKIE_SECURE="0") as base:
            yield {"base": base, "factory": factory}
    finally:
        rasa.shutdown()


def staff_message_for(factory, conversation_id: str, channel: str, text: str) -> int:  # type: ignore[no-untyped-def]
    """A staff reply waiting for a resident of another channel (a hand-off ticket)."""
    ticket, _ = tickets.open_ticket(conversation_id, channel, "requested",
                                    [{"speaker": "resident", "text": "转人工"}], factory=factory)
    with transaction(factory) as session:
        message = Message(ticket_id=ticket.id, conversation_id=conversation_id, direction="out",
                          author_name="老刘", text=text, channel=channel)
        session.add(message)
        session.flush()
        return message.id


def delivered(factory, message_id: int) -> bool:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        return session.get(Message, message_id).delivered_at is not None


def opened_chat(base: str) -> requests.Session:
    browser = requests.Session()
    browser.get(f"{base}/chat", timeout=10).raise_for_status()
    return browser


@pytest.mark.parametrize("conversation, channel", [(OPENID, "wechat"), (HOTLINE_CALL, "hotline")])
def test_the_inbox_never_gives_another_channels_messages(site: dict[str, Any], conversation: str,
                                                         channel: str) -> None:
    """The issue's attack: /api/chat/inbox?sender=<openid> read a WeChat resident's staff reply
    and marked it delivered, so WeChat never sent it."""
    base, factory = site["base"], site["factory"]
    message_id = staff_message_for(factory, conversation, channel, "您的材料已收到")
    stranger = requests.get(f"{base}/api/chat/inbox", params={"sender": conversation, "after": 0}, timeout=10)
    assert stranger.status_code == 401 and "您的材料已收到" not in stranger.text
    assert replies.text("security.no_conversation") == stranger.json()["error"]
    with_a_cookie = opened_chat(base).get(f"{base}/api/chat/inbox", params={"sender": conversation}, timeout=10)
    assert with_a_cookie.status_code == 200 and with_a_cookie.json()["messages"] == []
    assert not delivered(factory, message_id), "the resident's own channel must still deliver it"


def test_a_chat_message_never_reaches_another_conversation(site: dict[str, Any]) -> None:
    """The issue's attack: POST /api/chat {"sender": "<openid>"} wrote on the WeChat resident's
    ticket. The web app now sends Rasa the conversation its cookie names, never the body's."""
    base = site["base"]
    RecordingRasa.received.clear()
    browser = opened_chat(base)
    own = browser.cookies[CHAT_COOKIE].partition(".")[0]
    for sender in (OPENID, HOTLINE_CALL):
        resp = browser.post(f"{base}/api/chat", json={"sender": sender, "message": "我是他本人"}, timeout=10)
        assert resp.status_code == 200
    sent = [r["body"]["sender"] for r in RecordingRasa.received]
    assert sent == [own, own] and own.startswith("web-")
    assert all(r["authorization"] == "Bearer token-of-the-web-app" for r in RecordingRasa.received)
    # the address it came from travels with it (status look-ups are also limited per address)
    assert all(r["body"]["metadata"] == {"client_address": "127.0.0.1"} for r in RecordingRasa.received)


def test_the_conversation_id_is_the_servers_and_the_cookie_is_httponly_samesite_signed(site: dict[str, Any]) -> None:
    base = site["base"]
    first = requests.get(f"{base}/chat", timeout=10)
    header = first.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    value = first.cookies[CHAT_COOKIE]
    conversation, _, signature = value.partition(".")
    assert conversation.startswith("web-") and len(conversation) == 36 and signature
    # Another resident's id under this cookie's signature, or a made-up one: refused.
    other = opened_chat(base).cookies[CHAT_COOKIE].partition(".")[0]
    for forged in (f"{other}.{signature}", f"{OPENID}.{signature}", other, "web-" + "0" * 32 + ".AAAA"):
        resp = requests.get(f"{base}/api/chat/inbox", headers={"Cookie": f"{CHAT_COOKIE}={forged}"}, timeout=10)
        assert resp.status_code == 401, forged
        RecordingRasa.received.clear()
        requests.post(f"{base}/api/chat", json={"message": "你好"}, timeout=10,
                      headers={"Cookie": f"{CHAT_COOKIE}={forged}"})
        assert RecordingRasa.received[-1]["body"]["sender"] not in (other, OPENID)
    # The same browser keeps its conversation.
    again = requests.get(f"{base}/chat", headers={"Cookie": f"{CHAT_COOKIE}={value}"}, timeout=10)
    assert again.cookies[CHAT_COOKIE].partition(".")[0] == conversation


def test_a_cross_site_page_cannot_post_with_the_residents_cookie(site: dict[str, Any]) -> None:
    """SameSite=Lax: browsers do not attach it to another site's POST (checked in the header; the
    browser test of the chat page checks the page works with it)."""
    header = requests.get(f"{site['base']}/chat", timeout=10).headers["Set-Cookie"]
    assert "samesite=none" not in header.lower()


def test_a_ticket_of_another_channel_gets_no_message_through_the_chat(site: dict[str, Any]) -> None:
    factory = site["factory"]
    with transaction(factory) as session:
        before = session.scalars(select(HandoffTicket).where(HandoffTicket.conversation_id == OPENID)).all()
        counts = {t.id: len(t.messages) for t in before}
    opened_chat(site["base"]).post(f"{site['base']}/api/chat", json={"sender": OPENID, "message": "x"}, timeout=10)
    with transaction(factory) as session:
        after = session.scalars(select(HandoffTicket).where(HandoffTicket.conversation_id == OPENID)).all()
        assert {t.id: len(t.messages) for t in after} == counts


def test_the_threat_model_names_the_public_port_every_secret_and_the_cookie() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Threat model", 1)[1].split("\n## ", 1)[0]
    for name in ("RASA_TOKEN", "INTAKE_SECRET", "HOTLINE_SECRET", "ACTION_SECRET", "WECHAT_TOKEN",
                 "WECHAT_AES_KEY", "WECHAT_APPSECRET", "jiuzhu_chat", "8000"):
        assert name in section, name
