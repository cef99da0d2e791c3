"""Fixtures of the WeChat tests: the channel store on SQLite, PostgreSQL and Redis (each a real
server private to the session), and a fake WeChat API on loopback."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import redis
from sqlalchemy.orm import sessionmaker

from bot.core import migrate
from bot.core.db import session_factory
from bot.wechat.store import ChannelStore, RedisChannelStore, SqlChannelStore
from tests.wechat.fake_api import FakeWeChatApi
from bot.core.testing import RedisMissing, RedisServer


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        server = RedisServer(tmp_path_factory.mktemp("redis"))
        with server:
            yield server.url
    except RedisMissing as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def sqlite_factory(tmp_path: Path) -> Iterator[sessionmaker]:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    migrate.upgrade(url)
    yield session_factory(url)
    session_factory(url).kw["bind"].dispose()


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[ChannelStore]:
    """The store every worker shares, on each backend (PostgreSQL and Redis shared by the session:
    the tests use keys of their own)."""
    if request.param == "sqlite":
        yield SqlChannelStore(request.getfixturevalue("sqlite_factory"))
    elif request.param == "postgresql":
        yield SqlChannelStore(session_factory(request.getfixturevalue("pg_url")))
    else:
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        yield RedisChannelStore(client, prefix=f"test-{request.node.name}")
        client.close()


@pytest.fixture
def fake_api() -> Iterator[FakeWeChatApi]:
    with FakeWeChatApi() as api:
        yield api
