"""The cluster's lock store (bot.channels.lock_store) against a real Redis: a process waiting
behind a killed one gets the conversation as soon as the dead ticket expires, however late it
looks again; a live holder keeps its lock however long its turn; tickets issued at once are all
kept. Rasa's own RedisLockStore fails the first two (the waiter waits for ever, the slow holder
loses its lock)."""
from __future__ import annotations

import asyncio
import concurrent.futures
import time
from typing import Iterator

import pytest
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.channels.lock_store import KeptTicketLockStore
from bot.core.testing import RedisServer


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server.port


def kept(port: int) -> KeptTicketLockStore:
    config = EndpointConfig(url="127.0.0.1", type="bot.channels.lock_store.KeptTicketLockStore",
                            port=port, db=1, key_prefix="test")
    return KeptTicketLockStore(endpoint_config=config)


def stock(port: int) -> RedisLockStore:
    return RedisLockStore(host="127.0.0.1", port=port, db=1, key_prefix="test")


async def wait_behind_a_dead_holder(store: RedisLockStore, conversation: str) -> float:
    """A killed process's ticket (never released), then a waiter whose ticket is issued 0.2 s
    later with the same lifetime and which looks again only every 1.5 s (a busy event loop):
    both tickets have expired when it looks the second time. Seconds until it gets the lock."""
    store.issue_ticket(conversation, 1.0)  # the dead process's
    await asyncio.sleep(0.2)
    started = time.monotonic()
    async with store.lock(conversation, lock_lifetime=1.0, wait_time_in_seconds=1.5):
        return time.monotonic() - started


@pytest.mark.parametrize("make_store", [kept, pytest.param(stock, marks=pytest.mark.xfail(
    strict=True, reason="Rasa 3.6's RedisLockStore: the waiter's own ticket expires, it waits for ever"))])
def test_a_waiter_behind_a_killed_process_gets_the_lock(redis_port: int, make_store) -> None:  # type: ignore[no-untyped-def]
    store = make_store(redis_port)
    conversation = f"dead-holder-{make_store.__name__}"
    waited = asyncio.run(asyncio.wait_for(wait_behind_a_dead_holder(store, conversation), timeout=8))
    assert waited < 4, waited
    assert store.get_lock(conversation) is None  # nothing left behind


async def slow_turn_then_next(store: RedisLockStore, conversation: str) -> list[str]:
    """A turn taking three lifetimes while the next message of the conversation waits."""
    order: list[str] = []

    async def turn(name: str, seconds: float) -> None:
        async with store.lock(conversation, lock_lifetime=0.6, wait_time_in_seconds=0.1):
            order.append(f"{name} in")
            await asyncio.sleep(seconds)
            order.append(f"{name} out")

    first = asyncio.ensure_future(turn("first", 1.8))
    await asyncio.sleep(0.1)
    await asyncio.gather(first, turn("second", 0.1))
    return order


@pytest.mark.parametrize("make_store", [kept, pytest.param(stock, marks=pytest.mark.xfail(
    strict=True, reason="Rasa 3.6's RedisLockStore: a slow holder's ticket expires under it"))])
def test_a_slow_turn_keeps_its_lock(redis_port: int, make_store) -> None:  # type: ignore[no-untyped-def]
    store = make_store(redis_port)
    order = asyncio.run(asyncio.wait_for(slow_turn_then_next(store, f"slow-{make_store.__name__}"), timeout=8))
    assert order == ["first in", "first out", "second in", "second out"]


def test_tickets_issued_at_once_by_many_processes_are_all_kept(redis_port: int) -> None:
    """Eight clients (as eight processes) issue tickets for one conversation at the same time:
    every ticket is in the lock, each number once, in order."""
    stores = [kept(redis_port) for _ in range(8)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(lambda s: [s.issue_ticket("crowded", 30) for _ in range(10)], stores))
    issued = sorted(n for batch in numbers for n in batch)
    lock = stores[0].get_lock("crowded")
    assert lock is not None
    assert [t.number for t in lock.tickets] == issued and len(set(issued)) == 80

