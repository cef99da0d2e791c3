"""Per-client allowances of attempts (staff logins, residents' status look-ups), counted in the
database so that every worker and every parallel request is counted.

An attempt is counted *before* it is checked: `take` adds one to the client's counter of the
current fixed window in a single upsert and says whether the count is still within the
allowance. Forty parallel wrong passwords therefore reach the password check at most as many
times as the allowance says, whatever their timing. A successful attempt gives its count back
(`forgive`), so that only failures add up.

Counters are kept per client (a network address, a conversation) or per account *with* a client,
never per account or per looked-up number alone: a stranger's wrong guesses use up only the
stranger's own allowance, and the owner (or the staff member) is never locked out by them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from bot.core.db import transaction, utcnow
from bot.core.models import RateCounter
from bot.core.privacy import lookup_digest

_EPOCH = dt.datetime(2000, 1, 1)


@dataclass(frozen=True)
class Limit:
    scope: str  # what is counted, e.g. "login_client"
    allowed: int  # attempts per window
    window: dt.timedelta


def _window_start(limit: Limit, now: dt.datetime) -> dt.datetime:
    size = limit.window.total_seconds()
    return _EPOCH + dt.timedelta(seconds=((now - _EPOCH).total_seconds() // size) * size)


def _key(limit: Limit, who: str) -> str:
    return lookup_digest(f"limit:{limit.scope}", who)


def _upsert(session: Session, values: dict) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(RateCounter).values(**values)
    session.execute(statement.on_conflict_do_update(
        index_elements=[RateCounter.scope, RateCounter.key, RateCounter.window_start],
        set_={"count": RateCounter.count + 1}))


def take(limit: Limit, who: str, *, now: Optional[dt.datetime] = None,
         factory: Optional[sessionmaker] = None) -> bool:
    """Counts one attempt of `who`; True while the count is within the allowance."""
    now = now or utcnow()
    start = _window_start(limit, now)
    key = _key(limit, who)
    with transaction(factory) as session:
        session.execute(delete(RateCounter).where(RateCounter.expires_at < now))
        _upsert(session, {"scope": limit.scope, "key": key, "window_start": start, "count": 1,
                          "expires_at": start + limit.window})
        count = session.scalar(select(RateCounter.count).where(
            RateCounter.scope == limit.scope, RateCounter.key == key, RateCounter.window_start == start))
    return int(count or 0) <= limit.allowed


def forgive(limit: Limit, who: str, *, reset: bool = False, now: Optional[dt.datetime] = None,
            factory: Optional[sessionmaker] = None) -> None:
    """Gives back one counted attempt (a success), or all of the window's with `reset`."""
    now = now or utcnow()
    where = (RateCounter.scope == limit.scope, RateCounter.key == _key(limit, who),
             RateCounter.window_start == _window_start(limit, now))
    with transaction(factory) as session:
        if reset:
            session.execute(delete(RateCounter).where(*where))
        else:
            session.execute(update(RateCounter).where(*where, RateCounter.count > 0)
                            .values(count=RateCounter.count - 1))


def used(limit: Limit, who: str, *, now: Optional[dt.datetime] = None,
         factory: Optional[sessionmaker] = None) -> int:
    """Attempts of `who` counted in the current window."""
    now = now or utcnow()
    with transaction(factory) as session:
        return int(session.scalar(select(RateCounter.count).where(
            RateCounter.scope == limit.scope, RateCounter.key == _key(limit, who),
            RateCounter.window_start == _window_start(limit, now))) or 0)
