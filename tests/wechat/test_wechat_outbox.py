"""The outbox sweep: stored notices and staff replies for WeChat residents are pushed once, even by
two workers sweeping at the same moment; a refused message waits and is tried again."""
from __future__ import annotations

import threading
from typing import Iterator

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from bot.handoff import delivery
from bot.core.db import session_factory, transaction
from bot.core.models import Message
from bot.wechat.api import sender_for
from bot.wechat.outbox import RETRY_AFTER_SECONDS, Outbox
from tests.wechat.fake_api import FakeWeChatApi
from tests.wechat.test_wechat_api import api_for


@pytest.fixture(params=["sqlite", "postgresql"])
def factory(request: pytest.FixtureRequest) -> Iterator[sessionmaker]:
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_factory")
        return
    factory = session_factory(request.getfixturevalue("pg_url"))
    with transaction(factory) as session:
        session.execute(delete(Message))
    yield factory


@pytest.fixture
def wechat_sender(fake_api: FakeWeChatApi, factory: sessionmaker, monkeypatch: pytest.MonkeyPatch) -> FakeWeChatApi:
    monkeypatch.setitem(delivery._SENDERS, "wechat", sender_for(api_for(fake_api, factory)))
    return fake_api


def store_notices(factory: sessionmaker, texts: list[str], openid: str = "o-outbox", channel: str = "wechat") -> None:
    with transaction(factory) as session:
        for text in texts:
            session.add(Message(conversation_id=openid, direction="out", author_name="系统", text=text, channel=channel))


def undelivered(factory: sessionmaker) -> list[str]:
    with transaction(factory) as session:
        return list(session.scalars(select(Message.text).where(Message.delivered_at.is_(None))))


def test_two_workers_sweeping_at_once_send_each_notice_once(factory: sessionmaker, wechat_sender: FakeWeChatApi) -> None:
    texts = [f"您的申请 SJ20261124-{i:04d} 已受理。" for i in range(30)]
    store_notices(factory, texts)
    store_notices(factory, ["这条走网页"], channel="web")
    start = threading.Barrier(2)
    results: list[int] = []

    def worker() -> None:
        start.wait()
        results.append(Outbox("wechat", factory).sweep())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == len(texts)
    assert sorted(wechat_sender.texts_to("o-outbox")) == sorted(texts)
    assert undelivered(factory) == ["这条走网页"]  # the chat page pulls its own


def test_a_refused_notice_is_released_and_tried_again_later(factory: sessionmaker, wechat_sender: FakeWeChatApi) -> None:
    store_notices(factory, ["您的申请已退回补充材料。"])
    now = [1000.0]
    outbox = Outbox("wechat", factory, clock=lambda: now[0])
    wechat_sender.refuse_sends_with = 45015
    assert outbox.sweep() == 0
    assert undelivered(factory) == ["您的申请已退回补充材料。"]  # not lost
    wechat_sender.refuse_sends_with = None
    now[0] += RETRY_AFTER_SECONDS[0] - 1
    assert outbox.sweep() == 0  # waits before trying again
    now[0] += 1
    assert outbox.sweep() == 1
    assert wechat_sender.texts_to("o-outbox") == ["您的申请已退回补充材料。"] and undelivered(factory) == []


def test_a_small_clock_just_after_boot_neither_holds_nor_hurries_a_notice(
    factory: sessionmaker, wechat_sender: FakeWeChatApi
) -> None:
    now = [0.5]  # the outbox's monotonic clock half a second after the machine started
    outbox = Outbox("wechat", factory, clock=lambda: now[0])
    store_notices(factory, ["第一条"])
    wechat_sender.refuse_sends_with = 45015
    assert outbox.sweep() == 0
    wechat_sender.refuse_sends_with = None
    store_notices(factory, ["第二条"])
    assert outbox.sweep() == 1  # a new notice is not held back by the refused one's pause
    assert undelivered(factory) == ["第一条"]
    now[0] += RETRY_AFTER_SECONDS[0]
    assert outbox.sweep() == 1
    assert wechat_sender.texts_to("o-outbox") == ["第二条", "第一条"]
