"""Fixtures of the staff console tests: a fresh database per test, and the running web app
with staff of 甲镇 and 乙镇, a supervisor and an admin (module-wide)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy.orm import sessionmaker

from bot.intake import staff
from tests.console.console_support import (
    PASSWORD,
    Console,
    RasaStub,
    migrated_factory,
    start_stub_rasa,
    web_app,
)


@pytest.fixture
def factory(tmp_path: Path) -> sessionmaker:
    """A fresh migrated database for one test."""
    return migrated_factory(tmp_path)[1]


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The web app on a migrated database, with staff of 甲镇 and 乙镇, a supervisor and an admin."""
    workdir = tmp_path_factory.mktemp("console")
    url, factory = migrated_factory(workdir)
    users = {
        "jia": staff.create_user("jia", "甲镇王芳", PASSWORD, "intake", "甲镇", factory=factory),
        "jia2": staff.create_user("jia2", "甲镇赵强", PASSWORD, "intake", "甲镇", factory=factory),
        "yi": staff.create_user("yi", "乙镇李明", PASSWORD, "intake", "乙镇", factory=factory),
        "boss": staff.create_user("boss", "主管张华", PASSWORD, "supervisor", factory=factory),
        "admin": staff.create_user("admin", "管理员陈静", PASSWORD, "admin", factory=factory),
    }
    rasa, rasa_url = start_stub_rasa()
    try:
        with web_app(workdir, DATABASE_URL=url, RASA_URL=rasa_url) as base:
            yield Console(base, factory, users, RasaStub)
    finally:
        rasa.shutdown()
