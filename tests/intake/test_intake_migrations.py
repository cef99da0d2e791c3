"""The Alembic revisions build exactly the tables of models.py, on SQLite and PostgreSQL."""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, Table, inspect

from bot.core import migrate
from bot.core.db import make_engine
from bot.core.models import Base
from bot.core.testing import PostgresServer

_names = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"fresh_{next(_names)}"
    yield server.create_database(name)
    server.drop_database(name)


def differences(url: str, metadata: MetaData = Base.metadata) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def test_migrations_match_the_models(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    assert differences(empty_url) == []
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert current_revision(empty_url) == head
    migrate.upgrade(empty_url)  # again: nothing to do
    assert current_revision(empty_url) == head


def test_the_comparison_would_see_a_difference(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table("applications", metadata, Column("extra", Integer), extend_existing=True)
    assert [diff[0] for diff in differences(empty_url, metadata)] == ["add_column"]


def test_downgrade_removes_every_table(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.begin() as connection:
            command.downgrade(migrate.alembic_config(connection), "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()


def test_migrate_command_runs_from_any_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([sys.executable, "-m", "bot.core.migrate"], cwd=elsewhere, capture_output=True,
                            text=True, env={**os.environ, "DATABASE_URL": url}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "cli.db" in result.stdout
    assert differences(url) == []
