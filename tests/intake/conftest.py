"""Fixtures of the registry tests: every database test runs on SQLite and on a real PostgreSQL.

The PostgreSQL server is private to the test session (the `pg_url` fixture in tests/conftest.py).
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Callable, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from bot.core import migrate
from bot.core.db import session_factory, transaction
from bot.core.models import Base, StaffUser
from bot.intake.registry import ApplicationRequest
from bot.core.testing import SAMPLE_DISTRICT, sample_id_number

def _empty_tables(url: str) -> None:
    """Every registry table emptied and its ids restarted: faster than a new database per test."""
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with session_factory(url).kw["bind"].begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database at the newest revision for one test: a new migrated SQLite file, or
    the session's migrated PostgreSQL database with every table emptied."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'intake.db'}"
        migrate.upgrade(url)
        yield url
        session_factory(url).kw["bind"].dispose()
        return
    url = request.getfixturevalue("pg_url")
    _empty_tables(url)
    yield url


@pytest.fixture
def factory(db_url: str) -> sessionmaker:
    return session_factory(db_url)


@pytest.fixture
def make_request() -> Callable[..., ApplicationRequest]:
    """An ApplicationRequest with valid fields; keyword arguments replace any of them."""
    serials = itertools.count(1)

    def build(**fields: object) -> ApplicationRequest:
        serial = next(serials)
        values: dict[str, object] = {
            "channel": "web", "conversation_id": f"conversation-{serial}", "request_key": "apply-1",
            "name": "张三", "mobile": "13912345678", "id_number": sample_id_number(serial),
            "address": "解放路街道幸福小区3号楼2单元501室", "district": SAMPLE_DISTRICT,
            "programs": ["dibao"], "consent": True, "region": "山西省运城市",
            "screening": {"answers": {"household.size": 3}, "outcomes": {"dibao": "likely"}},
        }
        values.update(fields)
        return ApplicationRequest(**values)  # type: ignore[arg-type]

    return build


@pytest.fixture
def make_staff(factory: sessionmaker) -> Callable[..., StaffUser]:
    """A staff user stored in the test database (role intake in SAMPLE_DISTRICT unless told)."""
    usernames = itertools.count(1)

    def build(role: str = "intake", district: str | None = SAMPLE_DISTRICT, name: str = "李受理") -> StaffUser:
        with transaction(factory) as session:
            user = StaffUser(username=f"staff{next(usernames)}", display_name=name,
                             password_hash="not-used", role=role,
                             district=district if role == "intake" else None, active=True)
            session.add(user)
        return user

    return build
