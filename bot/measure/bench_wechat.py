"""The WeChat webhook under load (part of `make bench`): text messages in safe mode, signed and
encrypted as WeChat sends them, from 50 residents at once; the latency of each webhook request
until its passive reply. Target: p99 < 1 s (WeChat waits 5 s).

Two loads, both printed:
- 50 residents chatting: each sends a conversation of messages, pausing 2–8 s before each one,
  as a person reading the answer and typing the next question does;
- 50 residents sending at the very same instant (the worst case), in several waves.
Each request is counted as WeChat sees it: a passive reply within its 5 s; "success" (the
assistant could not answer within its 4 s budget: the reply goes through the customer-service
API); or a passive reply after 5 s, which WeChat no longer reads (it retries).
"""
from __future__ import annotations

import base64
import random
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import requests

from bot.wechat.config import WeChatConfig
from bot.wechat.simulator import WeChatSimulator

USERS = 50
MESSAGES = ["宁夏低保标准是多少", "低保金每月几号发", "特困人员有什么条件", "临时救助去哪申请", "你好",
            "渐退期有多久", "运城", "单人保怎么申请", "谢谢", "没工作的大学生有补助吗"]
THINK_SECONDS = (2.0, 8.0)
WECHAT_WAITS_MS = 5000  # WeChat's wait for a passive reply
WAVES = 4


def bench_config() -> WeChatConfig:
    """A made-up account for the bench's Rasa server (safe mode)."""
    return WeChatConfig(token=secrets.token_hex(8), appid="wxbench" + secrets.token_hex(5),
                        aes_key=base64.b64encode(secrets.token_bytes(32)).decode()[:-1], mode="safe")


def environment(config: WeChatConfig) -> dict[str, str]:
    return {"WECHAT_TOKEN": config.token, "WECHAT_APPID": config.appid, "WECHAT_AES_KEY": config.aes_key,
            "WECHAT_MODE": config.mode}


@dataclass
class Outcome:
    """Latencies (ms) of the webhook requests, and what WeChat made of each answer."""

    samples: list[float]
    in_time: int  # a passive reply within WeChat's 5 s
    through_api: int  # "success" (or no answer): the reply follows through the customer-service API
    too_late: int  # a passive reply after 5 s: WeChat had stopped waiting, and retries

    def summary(self) -> str:
        return (f"{self.in_time} passive replies within WeChat's 5 s, {self.through_api} answered 'success' "
                f"(the reply through the API), {self.too_late} passive replies after 5 s (WeChat had "
                "stopped waiting)")


def _timed(sim: WeChatSimulator, openid: str, text: str) -> tuple[float, bool]:
    """The request's latency (ms) and whether it got a passive reply (a timeout counts as the
    simulator's whole timeout with none)."""
    began = time.perf_counter()
    try:
        reply = sim.text(openid, text)
    except requests.RequestException:
        return (time.perf_counter() - began) * 1000, False
    elapsed = (time.perf_counter() - began) * 1000
    if reply.status != 200:
        raise SystemExit(f"the WeChat webhook answered HTTP {reply.status}: {reply.body[:200]}")
    return elapsed, reply.text is not None


def chatting(url: str, config: WeChatConfig, messages: int = len(MESSAGES)) -> Outcome:
    def resident(number: int) -> list[tuple[float, bool]]:
        sim, rng = WeChatSimulator(url, config, style="safe"), random.Random(number)
        openid = f"o-bench-chat-{number}-{secrets.token_hex(4)}"
        results = []
        for text in rng.sample(MESSAGES, messages):
            time.sleep(rng.uniform(*THINK_SECONDS))
            results.append(_timed(sim, openid, text))
        return results

    return _collect(resident)


def bursts(url: str, config: WeChatConfig, users: int = USERS, waves: int = WAVES) -> Outcome:
    start = threading.Barrier(users)

    def resident(number: int) -> list[tuple[float, bool]]:
        sim = WeChatSimulator(url, config, style="safe")
        openid = f"o-bench-burst-{number}-{secrets.token_hex(4)}"
        results = []
        for wave in range(waves):
            start.wait()
            results.append(_timed(sim, openid, MESSAGES[(number + wave) % len(MESSAGES)]))
        return results

    return _collect(resident, users)


def _collect(resident: Callable[[int], list[tuple[float, bool]]], users: int = USERS) -> Outcome:
    with ThreadPoolExecutor(users) as pool:
        results = [r for rs in pool.map(resident, range(users)) for r in rs]
    return Outcome(samples=[elapsed for elapsed, _ in results],
                   in_time=sum(passive and elapsed <= WECHAT_WAITS_MS for elapsed, passive in results),
                   through_api=sum(not passive for _, passive in results),
                   too_late=sum(passive and elapsed > WECHAT_WAITS_MS for elapsed, passive in results))


def report(rasa_url: str, config: WeChatConfig, show: Callable[[str, list[float], str], None],
           quick: bool = False) -> None:
    """`quick`: 3 messages per chatting resident instead of 10, 2 waves instead of 4."""
    url = f"{rasa_url}/webhooks/wechat/webhook"
    WeChatSimulator(url, config, style="safe").text("o-bench-warmup", "你好")
    messages, waves = (3, 2) if quick else (len(MESSAGES), WAVES)
    loads: list[tuple[str, Callable[[], Outcome]]] = [
        (f"50 residents chatting (2–8 s between messages, {messages} each)", lambda: chatting(url, config, messages)),
        (f"50 residents at the same instant ({waves} waves)", lambda: bursts(url, config, waves=waves)),
    ]
    for name, load in loads:
        outcome = load()
        show(f"WeChat webhook, safe mode, {name}", outcome.samples, f"target p99 < 1000 ms; {outcome.summary()}")
