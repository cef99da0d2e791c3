"""Rasa's calls to the action server (bot.channels.action_calls), against real sockets: a call
whose connection the server closes before answering is sent once more; one that keeps failing
is recorded for the turn (the channel then apologises), and a refused request is not repeated."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from bot.channels.action_calls import RetryingActionEndpoint, failed_action_calls, not_delivered
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

ANSWER = json.dumps({"events": [], "responses": [{"text": "好的"}]}).encode()


class FlakyServer:
    """Closes the first `drops` connections at once without reading them (as Sanic does with a
    connection idle past its keep-alive timeout), then answers every request with `status`."""

    def __init__(self, drops: int, status: int = 200) -> None:
        self.drops, self.status, self.connections = drops, status, 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.connections <= self.drops:
            writer.transport.abort()
            return
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length"))
        await reader.readexactly(length)
        body = ANSWER if self.status == 200 else b'{"error": "no"}'
        writer.write(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n%s" % (self.status, len(body), body))
        await writer.drain()
        writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/webhook"

    async def __aexit__(self, *_exc: object) -> None:
        self.server.close()
        await self.server.wait_closed()




def test_a_call_cut_off_before_the_server_read_it_is_sent_once_more() -> None:
    async def run() -> tuple[object, list[str], int]:
        server = FlakyServer(drops=1)
        async with server as url:
            endpoint = RetryingActionEndpoint.wrapping(EndpointConfig(url, token="t"))
            with failed_action_calls() as failures:
                result = await endpoint.request(json={"next_action": "action_x"}, method="post")
        return result, failures, server.connections
    result, failures, connections = asyncio.run(run())
    assert result == json.loads(ANSWER) and failures == [] and connections == 2


def test_a_call_that_keeps_failing_is_recorded_for_the_turn() -> None:
    async def run() -> tuple[object, list[str], int]:
        server = FlakyServer(drops=5)
        async with server as url:
            endpoint = RetryingActionEndpoint.wrapping(EndpointConfig(url))
            with failed_action_calls() as failures:
                with pytest.raises(aiohttp.ClientConnectionError) as raised:
                    await endpoint.request(json={"next_action": "action_x"}, method="post")
        return raised.value, failures, server.connections
    error, failures, connections = asyncio.run(run())
    assert not_delivered(error) and connections == 2 and len(failures) == 1


def test_an_answered_error_is_not_sent_again() -> None:
    async def run() -> tuple[list[str], int]:
        server = FlakyServer(drops=0, status=500)
        async with server as url:
            endpoint = RetryingActionEndpoint.wrapping(EndpointConfig(url))
            with failed_action_calls() as failures:
                with pytest.raises(ClientResponseError):
                    await endpoint.request(json={"next_action": "action_x"}, method="post")
        return failures, server.connections
    failures, connections = asyncio.run(run())
    assert connections == 1 and len(failures) == 1


def test_action_results_are_checked_by_one_validator_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same check as Rasa's (valid passes, invalid raises with Rasa's message), without checking
    Rasa's schema against the meta-schema on every call (40% of Rasa's CPU per message)."""
    import jsonschema

    from bot.channels.action_calls import checked_once_action_results
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result  # noqa: SLF001
    monkeypatch.setattr(RemoteAction, "_validate_action_result", original)
    action = RemoteAction("action_x", None)
    bad = {"events": "not a list"}
    with pytest.raises(jsonschema.ValidationError) as rasas:
        action._validate_action_result(bad)  # noqa: SLF001
    checked_once_action_results()
    checks = []
    real_check = jsonschema.validators.Draft202012Validator.check_schema
    monkeypatch.setattr(jsonschema.validators.Draft202012Validator, "check_schema",
                        classmethod(lambda cls, schema, *a, **k: checks.append(1) or real_check(schema, *a, **k)))
    assert action._validate_action_result({"events": [], "responses": [{"text": "好"}]})  # noqa: SLF001
    with pytest.raises(jsonschema.ValidationError) as ours:
        action._validate_action_result(bad)  # noqa: SLF001
    assert ours.value.message == rasas.value.message and checks == []
