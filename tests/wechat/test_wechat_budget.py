"""WeChat's 5 seconds under a burst (bot.channels.wechat): the budget counts from when the load
balancer received the request, and a process works on a few turns at once, first come first
served, so that the first residents of a burst get their passive reply in time instead of every
turn sharing the CPU and finishing late together. The channel runs in a real Sanic app with an
assistant that spends CPU on each turn (no Rasa: the scheduling is what is tested)."""
from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any, Optional

from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.channels.wechat import REQUEST_START_HEADER, WeChatInput, expected_seconds, received_at
from bot.wechat.config import WeChatConfig
from bot.wechat.simulator import WeChatSimulator, text_xml

TOKEN = "budgettoken"
TURN_CPU_SECONDS = 0.3  # in three slices, the event loop free in between


class MemoryStore:
    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def first_delivery(self, channel: str, key: str) -> bool:
        new = (channel, key) not in self.seen
        self.seen.add((channel, key))
        return new

    def token(self, name: str) -> Optional[str]:
        return None

    def save_token(self, name: str, value: str, seconds: int) -> None:
        pass


BUDGET = 4.0


def burst(turns_at_once: int, residents: int = 8) -> tuple[list[float], int]:
    """When each turn finished, in seconds from when the first one started, and the most turns
    the assistant worked on at once. Every request is answered (a reply or "success")."""
    config = WeChatConfig(token=TOKEN, mode="plaintext", reply_budget=BUDGET, turns_at_once=turns_at_once)
    channel = WeChatInput(config, store=MemoryStore())
    running, most = 0, 0
    first_start: list[float] = []
    finished: list[float] = []

    async def assistant(message: UserMessage) -> None:
        nonlocal running, most
        first_start[:] = first_start or [time.perf_counter()]
        running += 1
        most = max(most, running)
        for _ in range(3):
            end = time.perf_counter() + TURN_CPU_SECONDS / 3
            while time.perf_counter() < end:  # NLU and policies hold the event loop
                pass
            await asyncio.sleep(0)
        running -= 1
        finished.append(time.perf_counter() - first_start[0])
        await message.output_channel.send_text_message(message.sender_id, f"答：{message.text}")

    app = Sanic(f"wechat_budget_{turns_at_once}")
    app.ctx.agent = None
    app.blueprint(channel.blueprint(assistant), url_prefix="/webhooks/wechat")
    sim = WeChatSimulator("http://unused", config, style="plaintext")

    async def send_all() -> list[Any]:
        async def one(number: int) -> Any:
            query, body = sim.signed(text_xml(f"o-burst-{number}", f"问题{number}", msg_id=1000 + number))
            stamp = {REQUEST_START_HEADER: f"t={int(time.time() * 1000)}"}  # as HAProxy stamps it
            _request, response = await app.asgi_client.post("/webhooks/wechat/webhook", params=query,
                                                            content=body, headers=stamp)
            return response
        responses = await asyncio.gather(*(one(n) for n in range(residents)))
        while len(finished) < residents:  # the late ones finish after their "success"
            await asyncio.sleep(0.05)
        return responses

    responses = asyncio.run(send_all())
    assert all(r.status_code == 200 and r.text.strip() for r in responses)
    return finished, most


def test_a_burst_is_worked_on_first_come_first_served() -> None:
    """Two at a time, the first two turns of a burst of eight are done after about two turns'
    CPU (0.6 s), the next two after four, and so on: the first residents get their passive
    reply in time, the last ones theirs through the API."""
    finished, most = burst(turns_at_once=2)
    assert most == 2 and len(finished) == 8
    assert finished[1] < 3 * TURN_CPU_SECONDS, finished


def test_without_a_limit_the_turns_share_the_cpu_and_finish_late_together() -> None:
    """The reference for the test above: the same burst, no limit: no turn is done before
    nearly all the burst's CPU (8 × 0.3 s) is spent."""
    finished, most = burst(turns_at_once=0)
    assert most == 8 and len(finished) == 8
    assert finished[0] > 6 * TURN_CPU_SECONDS, finished


def request_with(stamp: Optional[str]) -> Any:
    return SimpleNamespace(headers={REQUEST_START_HEADER: stamp} if stamp is not None else {})


def test_the_budget_counts_from_the_balancers_stamp() -> None:
    now_ms = int(time.time() * 1000)
    waited = time.monotonic() - received_at(request_with(f"t={now_ms - 2500}"), 4.0)
    assert 2.4 < waited < 2.7
    # none, malformed, from the future, or older than the budget: bounded by now and the budget
    for stamp, low, high in ((None, -0.01, 0.1), ("2500", -0.01, 0.1), ("t=abc", -0.01, 0.1),
                             (f"t={now_ms + 60000}", -0.01, 0.1), (f"t={now_ms - 60000}", 3.9, 4.1)):
        waited = time.monotonic() - received_at(request_with(stamp), 4.0)
        assert low <= waited <= high, (stamp, waited)


def test_a_turn_that_cannot_be_ready_in_time_is_answered_success_at_once() -> None:
    """Behind the turns already waiting, by how long turns take in this process: none waiting,
    its own turn; waiting, the batches before it, then its own."""
    assert expected_seconds(0, 4, 0.5) == 0.5
    assert expected_seconds(3, 4, 0.5) == 1.0
    assert expected_seconds(8, 4, 0.5) == 2.0
    channel = WeChatInput(WeChatConfig(token=TOKEN, mode="plaintext", reply_budget=4.0, turns_at_once=4),
                          store=MemoryStore())
    now = time.monotonic()
    assert not channel._too_late_to_answer(now)  # nothing measured yet: no guess  # noqa: SLF001
    channel._turn_seconds = 0.5  # noqa: SLF001
    channel._queued = 8  # noqa: SLF001
    assert not channel._too_late_to_answer(now)  # 2 s: in time  # noqa: SLF001
    assert channel._too_late_to_answer(now - 2.5)  # it already waited 2.5 s to be read  # noqa: SLF001
    channel._queued = 40  # noqa: SLF001
    assert channel._too_late_to_answer(now)  # 6 s  # noqa: SLF001
    unlimited = WeChatInput(WeChatConfig(token=TOKEN, mode="plaintext", turns_at_once=0), store=MemoryStore())
    unlimited._turn_seconds, unlimited._queued = 5.0, 100  # noqa: SLF001
    assert not unlimited._too_late_to_answer(now)  # noqa: SLF001
