"""Brings the intake database up to the newest Alembic revision: `python -m bot.core.migrate`.

Works from any directory: the revisions are found next to this module, the database from the
argument, DATABASE_URL or the default SQLite file. Concurrent upgrades wait for each other
(PostgreSQL advisory lock; SQLite's write lock).
"""
from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.engine.url import make_url

from bot.core.db import database_url, make_engine

MIGRATIONS = Path(__file__).resolve().with_name("migrations")
# Any fixed number: the key of the PostgreSQL advisory lock held while migrating.
ADVISORY_LOCK_KEY = 4_000_412


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None) -> None:
    """Alembic `upgrade head` on that database, in one transaction."""
    engine = make_engine(url or database_url())
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            command.upgrade(alembic_config(connection), "head")
    finally:
        engine.dispose()
    owner_only(engine.url.database if engine.dialect.name == "sqlite" else None)


def owner_only(path: str | None) -> None:
    """A SQLite file (and its journals) readable by its owner only: it holds personal data."""
    if not path or path == ":memory:":
        return
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        if os.path.exists(name):
            os.chmod(name, 0o600)


def main() -> None:
    url = database_url()
    upgrade(url)
    print(f"intake database up to date: {make_url(url).render_as_string(hide_password=True)}")


if __name__ == "__main__":
    main()
