"""The cluster's lock store (bot.channels.lock_store) against a real Redis: a process waiting
behind a killed one gets the conversation as soon as the dead ticket expires, however late it
looks again; a live holder keeps its lock however long its turn; tickets issued at once are all
kept. Rasa's own RedisLockStore fails the first two (the waiter waits for ever, the slow holder
loses its lock). The renewing runs on a thread of its own: a holder whose event loop is stuck
for longer than the lifetime keeps its lock, which is what lets the cluster's lifetime be short
(a killed process's conversation waits at most that long)."""
from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.channels.lock_store import KeptTicketLockStore
from bot.cluster import topology
from bot.core.testing import RedisServer
from bot.settings import PROJECT_ROOT


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



def test_a_holder_whose_event_loop_is_stuck_keeps_its_lock(redis_port: int) -> None:
    """A turn that blocks its process's event loop for three lifetimes (a slow prediction on a
    loaded machine): the ticket is renewed by the thread meanwhile, so another process asking
    for the conversation gets it only after the turn."""
    conversation = "stuck-loop"
    order: list[str] = []
    holding = threading.Event()

    async def stuck_turn() -> None:
        async with kept(redis_port).lock(conversation, lock_lifetime=0.6, wait_time_in_seconds=0.1):
            order.append("stuck in")
            holding.set()
            time.sleep(1.8)  # the event loop does nothing else meanwhile
            order.append("stuck out")

    async def other_process() -> None:
        async with kept(redis_port).lock(conversation, lock_lifetime=0.6, wait_time_in_seconds=0.1):
            order.append("other in")

    holder = threading.Thread(target=lambda: asyncio.run(asyncio.wait_for(stuck_turn(), timeout=8)))
    holder.start()
    assert holding.wait(timeout=8)
    asyncio.run(asyncio.wait_for(other_process(), timeout=8))
    holder.join(timeout=8)
    assert order == ["stuck in", "stuck out", "other in"]


def test_the_cluster_frees_a_killed_holders_lock_after_the_short_lifetime(redis_port: int) -> None:
    """The cluster's lifetime is 5 s (it was 15 s): a killed process's ticket expires that long
    after its last renewal, and the waiter behind it is served only then, once. The Kubernetes
    configuration says the same."""
    lifetime = topology.TICKET_LOCK_LIFETIME_SECONDS
    assert lifetime <= 5
    config = (Path(PROJECT_ROOT) / "deploy" / "kubernetes" / "20-config.yaml").read_text()
    assert f'TICKET_LOCK_LIFETIME: "{lifetime}"' in config
    store, conversation = kept(redis_port), "killed-holder"
    issued = time.time()
    dead = store.issue_ticket(conversation, lifetime)  # the killed process's: never renewed, never released
    dead_expires = next(t.expires for t in store.get_lock(conversation).tickets if t.number == dead)
    assert dead_expires <= issued + lifetime + 0.5

    async def waiter() -> float:
        async with store.lock(conversation, lock_lifetime=lifetime, wait_time_in_seconds=0.2):
            return time.time()

    served_at = asyncio.run(asyncio.wait_for(waiter(), timeout=3 * lifetime))
    assert served_at >= dead_expires  # not before the dead ticket expired: never two at once
    assert store.get_lock(conversation) is None and store.renewer.kept() == []
