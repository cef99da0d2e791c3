"""A Rasa process says it is ready only once it has warmed up its first turn (bot.channels.warmup):
the readiness route answers 503 until then, and the warm-up's conversation is never saved. How
much faster the first message is goes to `make bench` (first message after a start)."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.channels import warmup
from bot.channels.rest import OnceRestInput
from tests.conftest import Servers


def readiness_route(monkeypatch: pytest.MonkeyPatch) -> Sanic:
    monkeypatch.setattr(warmup, "readiness", warmup.Readiness())
    monkeypatch.setattr("bot.channels.rest.readiness", warmup.readiness)

    async def on_new_message(_message: UserMessage) -> None:
        return None

    app = Sanic("warmup_readiness")
    app.blueprint(OnceRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")
    return app


def test_not_ready_until_warmed_up(monkeypatch: pytest.MonkeyPatch) -> None:
    app = readiness_route(monkeypatch)
    readiness = warmup.readiness
    readiness.ready = False  # as in a process whose warm-up is still running
    _request, response = asyncio.run(app.asgi_client.get("/webhooks/rest/"))
    assert response.status == 503 and response.json == {"status": "warming_up"}
    asyncio.run(warmup.warm_up(None))  # nothing to warm (no agent): ready all the same
    _request, response = asyncio.run(app.asgi_client.get("/webhooks/rest/"))
    assert response.status == 200 and response.json["status"] == "ok"


def test_a_failing_warm_up_still_ends_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warmup, "readiness", warmup.Readiness())

    class Broken:
        class processor:  # noqa: N801
            @staticmethod
            async def fetch_tracker_and_update_session(*_args: object) -> None:
                raise ConnectionError("the tracker store is away")

    asyncio.run(warmup.warm_up(Broken()))
    assert warmup.readiness.ready


@pytest.mark.e2e
def test_the_rasa_server_warmed_up_without_saving_a_conversation(servers: Servers) -> None:
    """The servers fixture waits for the readiness route; the warm-up ran the whole turn (the
    policy answer from the action server) on a conversation that is in no tracker."""
    import requests

    answer = requests.get(f"{servers.rasa_url}/webhooks/rest/", timeout=10)
    assert answer.status_code == 200 and answer.json()["warmed_up_seconds"] > 0
    with sqlite3.connect(servers.tracker_db) as connection:
        saved = connection.execute("SELECT count(*) FROM events WHERE sender_id = ?", (warmup.SENDER,)).fetchone()
    assert saved == (0,)
    assert "warmed up in" in servers.services["rasa"].log.read_text()


def test_the_action_server_builds_its_policy_search_before_it_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its health check answers once the server listens: by then the policy search is built (the
    first call no slower than the next); with WARM_UP=0 it is not."""
    import rasa_sdk.__main__ as sdk_main

    from bot.channels import action_server
    from bot.cluster.topology import ACTION_SERVER_ENV
    from bot.knowledge import service

    for name, value in ACTION_SERVER_ENV.items():
        monkeypatch.setenv(name, value)
    built: list[bool] = []
    monkeypatch.setattr(sdk_main, "main", lambda: built.append(service.LIVE_SERVICE._service is not None))
    for warm in ("1", "0"):
        monkeypatch.setenv("WARM_UP", warm)
        monkeypatch.setattr(service, "LIVE_SERVICE", service.LiveService(service._notices_version,
                                                                         service._published_notices))
        action_server.main()
    assert built == [True, False]
