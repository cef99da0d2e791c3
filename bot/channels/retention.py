"""Retention of Rasa's tracker store, which holds what residents wrote (personal data):
`python -m bot.channels.retention` (daily: `make purge-trackers`, a cron line, or the Kubernetes
CronJob in deploy/kubernetes/).

- A conversation is a session at a time: a session ends after 120 minutes without a message
  (domain.yml), and Rasa loads only the current session's events, carrying the slots over.
- Events of a conversation's earlier sessions are deleted once older than HISTORY_DAYS (30), so
  a conversation's history stays bounded while its slots live on in the current session.
- A conversation idle for RETENTION_DAYS (180) is deleted whole. What must be kept longer is
  kept elsewhere: applications in the registry, hand-off transcripts on their tickets.

The tracker store is the one configured in endpoints.yml (SQLite or PostgreSQL).
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.utils.endpoints import read_endpoint_config

from bot.settings import PROJECT_ROOT

RETENTION_DAYS = int(os.environ.get("TRACKER_RETENTION_DAYS") or 180)
HISTORY_DAYS = int(os.environ.get("TRACKER_HISTORY_DAYS") or 30)
DAY_SECONDS = 86400


@dataclass(frozen=True)
class Purged:
    conversations: int  # deleted whole
    events: int  # events deleted in all


def tracker_url(endpoints: Path) -> sa.engine.URL | str:
    config = read_endpoint_config(str(endpoints), "tracker_store")
    if config is None:
        raise SystemExit(f"{endpoints} configures no tracker store")
    kwargs = config.kwargs
    if kwargs.get("dialect", "sqlite") == "sqlite":
        database = Path(kwargs.get("db", "rasa.db"))
        return f"sqlite:///{database if database.is_absolute() else PROJECT_ROOT / database}"
    return SQLTrackerStore.get_db_url(
        kwargs.get("dialect"), config.url, kwargs.get("port"), kwargs.get("db", "rasa"),
        kwargs.get("username"), kwargs.get("password"), None, kwargs.get("query"))


def purge(engine: sa.engine.Engine, now: float, retention_days: int = RETENTION_DAYS,
          history_days: int = HISTORY_DAYS) -> Purged:
    events = sa.Table("events", sa.MetaData(), autoload_with=engine)
    idle_cut = now - retention_days * DAY_SECONDS
    history_cut = now - history_days * DAY_SECONDS
    with engine.begin() as connection:
        idle = connection.execute(
            sa.select(events.c.sender_id).group_by(events.c.sender_id)
            .having(sa.func.max(events.c.timestamp) < idle_cut)
        ).scalars().all()
        whole = connection.execute(events.delete().where(events.c.sender_id.in_(idle))).rowcount if idle else 0
        later = events.alias("later")
        current_session = (
            sa.select(sa.func.max(later.c.id))
            .where(later.c.sender_id == events.c.sender_id, later.c.type_name == "session_started")
            .scalar_subquery()
        )
        old = connection.execute(
            events.delete().where(events.c.timestamp < history_cut, events.c.id < current_session)
        ).rowcount
    return Purged(conversations=len(idle), events=whole + old)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=Path, default=PROJECT_ROOT / "endpoints.yml")
    parser.add_argument("--days", type=int, default=RETENTION_DAYS, help="delete conversations idle this long")
    parser.add_argument("--history-days", type=int, default=HISTORY_DAYS,
                        help="delete earlier sessions' events older than this")
    args = parser.parse_args()
    engine = sa.create_engine(tracker_url(args.endpoints), future=True)
    try:
        result = purge(engine, time.time(), args.days, args.history_days)
    finally:
        engine.dispose()
    print(f"已删除 {result.conversations} 个闲置超过 {args.days} 天的会话；共删除 {result.events} 条会话记录。")


if __name__ == "__main__":
    main()
