"""The store every worker shares, on SQLite, PostgreSQL and Redis: a retried delivery is taken by
exactly one worker; the access token is fetched by one worker at a time and shared."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import itertools
import threading
import time
import uuid

import pytest
from sqlalchemy.orm import sessionmaker

from bot.core.db import transaction, utcnow
from bot.core.models import ChannelReceipt
from bot.wechat import store as store_module
from bot.wechat.store import PURGE_EVERY_SECONDS, ChannelStore, SqlChannelStore

WORKERS = 12


def test_a_delivery_is_first_only_once(store: ChannelStore) -> None:
    key = uuid.uuid4().hex
    assert store.first_delivery("wechat", key)
    assert not store.first_delivery("wechat", key)
    assert store.first_delivery("hotline", key)  # another channel's ids are another space


def test_concurrent_retries_are_taken_by_exactly_one_worker(store: ChannelStore) -> None:
    key = uuid.uuid4().hex
    barrier = threading.Barrier(WORKERS)

    def deliver(_: int) -> bool:
        barrier.wait()
        return store.first_delivery("wechat", key)

    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        assert sorted(pool.map(deliver, range(WORKERS))) == [False] * (WORKERS - 1) + [True]


class Fetcher:
    def __init__(self, expires_in: int = 7200, pause: float = 0.0) -> None:
        self.calls = 0
        self.expires_in = expires_in
        self.pause = pause
        self._serials = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(self) -> tuple[str, int]:
        with self._lock:
            self.calls += 1
            token = f"token-{next(self._serials)}"
        time.sleep(self.pause)
        return token, self.expires_in


def test_a_token_is_fetched_once_and_shared(store: ChannelStore) -> None:
    name, fetch = f"wechat:{uuid.uuid4().hex[:8]}", Fetcher()
    assert store.token(name) is None
    assert store.refresh_token(name, None, fetch) == "token-1"
    assert store.token(name) == "token-1" and fetch.calls == 1


def test_a_refused_token_is_replaced_unless_another_worker_already_did(store: ChannelStore) -> None:
    name, fetch = f"wechat:{uuid.uuid4().hex[:8]}", Fetcher()
    store.refresh_token(name, None, fetch)
    assert store.refresh_token(name, "token-1", fetch) == "token-2"  # token-1 was refused
    assert store.refresh_token(name, "token-1", fetch) == "token-2"  # a late worker takes token-2
    assert fetch.calls == 2 and store.token(name) == "token-2"


def test_workers_finding_no_token_at_once_wait_for_one_fetch(store: ChannelStore) -> None:
    name, fetch = f"wechat:{uuid.uuid4().hex[:8]}", Fetcher(pause=0.2)
    barrier = threading.Barrier(WORKERS)

    def refresh(_: int) -> str:
        barrier.wait()
        return store.refresh_token(name, None, fetch)

    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        assert set(pool.map(refresh, range(WORKERS))) == {"token-1"}
    assert fetch.calls == 1


def test_a_token_is_not_used_past_its_life(store: ChannelStore) -> None:
    name, fetch = f"wechat:{uuid.uuid4().hex[:8]}", Fetcher(expires_in=2)
    store.refresh_token(name, None, fetch)
    assert store.token(name) == "token-1"
    time.sleep(1.2)  # WeChat's 2 s, less the safety margin
    assert store.token(name) is None
    assert store.refresh_token(name, None, fetch) == "token-2"


def test_receipts_older_than_a_day_are_purged(sqlite_factory: sessionmaker) -> None:
    with transaction(sqlite_factory) as session:
        session.add(ChannelReceipt(channel="wechat", key="old", received_at=utcnow() - dt.timedelta(days=2)))
        session.add(ChannelReceipt(channel="wechat", key="recent", received_at=utcnow() - dt.timedelta(hours=1)))
    store = SqlChannelStore(sqlite_factory)
    assert store.first_delivery("wechat", "new")  # the first delivery in a process purges
    assert store.first_delivery("wechat", "old") and not store.first_delivery("wechat", "recent")


def add_receipt(factory: sessionmaker, key: str, age: dt.timedelta) -> None:
    with transaction(factory) as session:
        session.add(ChannelReceipt(channel="wechat", key=key, received_at=utcnow() - age))


def test_a_machine_booted_seconds_ago_purges_on_the_first_delivery(
    sqlite_factory: sessionmaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [12.0]  # monotonic time counts from boot: 12 s after the machine started
    monkeypatch.setattr(store_module.time, "monotonic", lambda: clock[0])
    add_receipt(sqlite_factory, "day-old", dt.timedelta(days=2))
    store = SqlChannelStore(sqlite_factory)
    assert store.first_delivery("wechat", "new")
    assert store.first_delivery("wechat", "day-old")  # purged, so no longer taken for a retry
    add_receipt(sqlite_factory, "later-old", dt.timedelta(days=2))
    clock[0] += PURGE_EVERY_SECONDS - 1
    assert not store.first_delivery("wechat", "later-old")  # the next purge waits an hour
    clock[0] += 1
    assert store.first_delivery("wechat", "later-old")
