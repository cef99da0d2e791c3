"""No silence when the action server does not answer (issue 14): the resident gets an apology
instead of an empty list, and the action server keeps a connection Rasa has opened but not yet
written to (a busy Rasa writes seconds later; Sanic's default closed it after 5 s)."""
from __future__ import annotations

import socket
import time
import uuid
from urllib.parse import urlsplit

import pytest

from bot import replies
from tests.conftest import Servers

pytestmark = pytest.mark.e2e


def test_the_action_server_waits_for_a_request_on_a_new_connection(servers: Servers) -> None:
    address = urlsplit(servers.action_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        time.sleep(6)  # longer than Sanic's default keep-alive timeout of 5 s
        connection.sendall(f"GET /health HTTP/1.1\r\nHost: {address.netloc}\r\nConnection: close\r\n\r\n".encode())
        answer = connection.recv(200)
    assert answer.startswith(b"HTTP/1.1 200"), answer


def test_a_failing_action_call_gets_an_apology_not_an_empty_list(servers: Servers) -> None:
    sender = f"noaction-{uuid.uuid4().hex[:8]}"
    servers.services["actions"].stop()
    try:
        answer = servers.messages(sender, "特困人员有什么条件")  # answered by a custom action
    finally:
        servers.restart("actions")
    texts = [m.get("text") for m in answer]
    assert replies.text("service.action_failed") in texts, answer
    assert "特困" in "\n".join(servers.talk(sender, "特困人员有什么条件"))
