"""What every worker of a channel shares: the deliveries already received (so that a retried
message is processed once) and the API access token (fetched by one worker, used by all).

Kept in the intake database (tables channel_receipts and channel_tokens), or in Redis when
REDIS_URL is set.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Callable, Optional, Protocol

import redis
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.core.db import transaction, utcnow
from bot.core.models import ChannelReceipt, ChannelToken
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)
# WeChat retries within about 15 seconds; receipts are kept much longer than that.
RECEIPT_SECONDS = 24 * 3600
PURGE_EVERY_SECONDS = 3600
# A token is replaced this long before WeChat says it expires (at most half its life).
TOKEN_MARGIN_SECONDS = 300
REFRESH_LOCK_SECONDS = 30
# Fetches a new token: (token, seconds it is valid).
Fetch = Callable[[], "tuple[str, int]"]


class ChannelStore(Protocol):
    def first_delivery(self, channel: str, key: str) -> bool:
        """True the first time this (channel, key) is seen by any worker; False for a retry."""

    def token(self, name: str) -> Optional[str]:
        """The stored token while it is still good, else None."""

    def refresh_token(self, name: str, stale: Optional[str], fetch: Fetch) -> str:
        """A good token: one another worker stored meanwhile (other than `stale`, the token that
        was just refused), else a new one from `fetch`. One worker fetches at a time."""


def _lifetime(expires_in: int) -> int:
    return max(1, expires_in - min(TOKEN_MARGIN_SECONDS, expires_in // 2))


class SqlChannelStore:
    def __init__(self, factory: Optional[sessionmaker] = None) -> None:
        self._factory = factory
        # Monotonic time of the last purge; None until the first one, which runs on the first
        # delivery whatever the machine's uptime (monotonic time may start near zero at boot).
        self._purged_at: Optional[float] = None
        self._purge_lock = threading.Lock()

    def first_delivery(self, channel: str, key: str) -> bool:
        self._purge_old()
        try:
            with transaction(self._factory) as session:
                session.add(ChannelReceipt(channel=channel, key=key))
        except IntegrityError:
            return False
        return True

    def _purge_old(self) -> None:
        with self._purge_lock:
            now = time.monotonic()
            if self._purged_at is not None and now - self._purged_at < PURGE_EVERY_SECONDS:
                return
            self._purged_at = now
        cutoff = utcnow() - dt.timedelta(seconds=RECEIPT_SECONDS)
        with transaction(self._factory) as session:
            session.execute(delete(ChannelReceipt).where(ChannelReceipt.received_at < cutoff))

    def token(self, name: str) -> Optional[str]:
        with transaction(self._factory) as session:
            row = session.get(ChannelToken, name)
            if row is None or not row.value or row.expires_at <= utcnow():
                return None
            return row.value

    def refresh_token(self, name: str, stale: Optional[str], fetch: Fetch) -> str:
        try:
            with transaction(self._factory) as session:
                session.add(ChannelToken(name=name, value="", expires_at=dt.datetime(1970, 1, 1)))
        except IntegrityError:
            pass  # the row exists: it is locked below
        # The row lock (PostgreSQL) or the write lock (SQLite's BEGIN IMMEDIATE) is held while
        # fetching, so the workers that find the token stale wait for one fetch.
        with transaction(self._factory) as session:
            row = session.scalars(select(ChannelToken).where(ChannelToken.name == name).with_for_update()).one()
            if row.value and row.value != stale and row.expires_at > utcnow():
                return row.value
            value, expires_in = fetch()
            row.value = value
            row.expires_at = utcnow() + dt.timedelta(seconds=_lifetime(expires_in))
            return value


class RedisChannelStore:
    def __init__(self, client: redis.Redis, prefix: str = "shehui-jiuzhu") -> None:
        self._redis = client
        self._prefix = prefix

    def _key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))

    def first_delivery(self, channel: str, key: str) -> bool:
        return bool(self._redis.set(self._key("receipt", channel, key), 1, nx=True, ex=RECEIPT_SECONDS))

    def token(self, name: str) -> Optional[str]:
        value = self._redis.get(self._key("token", name))
        return value.decode() if value else None

    def refresh_token(self, name: str, stale: Optional[str], fetch: Fetch) -> str:
        with self._redis.lock(self._key("token-lock", name), timeout=REFRESH_LOCK_SECONDS,
                              blocking_timeout=REFRESH_LOCK_SECONDS):
            current = self.token(name)
            if current and current != stale:
                return current
            value, expires_in = fetch()
            self._redis.set(self._key("token", name), value, ex=_lifetime(expires_in))
            return value


def channel_store(settings: Optional[Settings] = None) -> ChannelStore:
    """Redis when REDIS_URL is set, else the intake database."""
    settings = settings or get_settings()
    if settings.redis_url:
        return RedisChannelStore(redis.Redis.from_url(settings.redis_url, socket_timeout=5))
    return SqlChannelStore()
