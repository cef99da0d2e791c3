"""How often a worker asks the registry whether the local standards or the notices changed (issue
13): at most once a second per process, however many screenings and answers it gives, and with a
read that takes no write lock (on SQLite a BEGIN IMMEDIATE would queue every screening behind the
console's writes). Counted on the statements the database driver receives."""
from __future__ import annotations

import datetime as dt
from typing import Iterator

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.core import migrate
from bot.eligibility.engine import screening_response
from bot.knowledge.service import LIVE_SERVICE
from bot.settings import get_settings
from bot.standards.current import LIVE

HOUSEHOLD = {"region": "运城", "residence": "urban", "household": {"size": 3, "monthly_income": 1500}}
TODAY = dt.date(2026, 12, 3)


@pytest.fixture
def statements(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))

    LIVE.reset()
    LIVE_SERVICE.reset()
    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)
        LIVE.reset()
        LIVE_SERVICE.reset()


def test_screenings_check_the_standards_version_once_a_second(statements: list[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(LIVE, "_clock", lambda: now[0])
    for _ in range(50):
        body, status = screening_response(HOUSEHOLD, TODAY)
        assert status == 200
    reads = [s for s in statements if "registry_versions" in s]
    assert len(reads) == 1, statements
    now[0] += 0.9
    for _ in range(50):
        screening_response(HOUSEHOLD, TODAY)
    assert len([s for s in statements if "registry_versions" in s]) == 1  # still within the second
    now[0] += 0.2
    for _ in range(50):
        screening_response(HOUSEHOLD, TODAY)
    assert len([s for s in statements if "registry_versions" in s]) == 2
    assert not [s for s in statements if "IMMEDIATE" in s], statements  # a read takes no write lock


def test_answers_check_the_notices_version_once_a_second(statements: list[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(LIVE_SERVICE, "_clock", lambda: now[0])
    monkeypatch.setattr(LIVE, "_clock", lambda: now[0])
    settings = get_settings()
    for _ in range(20):
        LIVE_SERVICE(settings.policy_dir, settings.data_dir).reply("运城低保一个月多少", as_of=TODAY)
    reads = [s for s in statements if "registry_versions" in s]
    assert len(reads) == 2, statements  # one for the notices, one for the standards the answer quotes
    now[0] += 1.5
    for _ in range(20):
        LIVE_SERVICE(settings.policy_dir, settings.data_dir).reply("运城低保一个月多少", as_of=TODAY)
    assert len([s for s in statements if "registry_versions" in s]) == 4
    assert not [s for s in statements if "IMMEDIATE" in s], statements
