"""Fixtures of the hotline tests: the real web app (python -m bot.web) on a migrated database,
with a hotline secret, two operators, a supervisor, an admin and intake staff of 解州镇."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy.orm import sessionmaker

from bot.hotline.client import HotlineClient
from bot.intake import staff
from tests.console.console_support import PASSWORD, StaffClient, migrated_factory, web_app

SECRET = "hotline-test-secret-0123456789"
TODAY = "2026-11-23"


@dataclass
class Hotline:
    url: str
    factory: sessionmaker
    db_url: str
    log: Path

    def platform(self, operator: str = "hw01", url: str | None = None) -> HotlineClient:
        return HotlineClient(url or self.url, SECRET, operator)

    def staff(self, username: str) -> StaffClient:
        client = StaffClient(self.url)
        client.login(username, PASSWORD)
        return client


def make_users(factory: sessionmaker) -> None:
    staff.create_user("hw01", "话务员小李", PASSWORD, "operator", factory=factory)
    staff.create_user("hw02", "话务员小赵", PASSWORD, "operator", factory=factory)
    staff.create_user("boss", "主管张华", PASSWORD, "supervisor", factory=factory)
    staff.create_user("admin", "管理员陈静", PASSWORD, "admin", factory=factory)
    staff.create_user("jiezhou", "解州镇赵敏", PASSWORD, "intake", "解州镇", factory=factory)


@contextlib.contextmanager
def running(workdir: Path, url: str, **env: str) -> Iterator[str]:
    with web_app(workdir, DATABASE_URL=url, HOTLINE_SECRET=SECRET, ASSISTANT_TODAY=TODAY, **env) as base:
        yield base


@pytest.fixture(scope="module")
def hotline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    workdir = tmp_path_factory.mktemp("hotline")
    url, factory = migrated_factory(workdir)
    make_users(factory)
    with running(workdir, url) as base:
        yield Hotline(base, factory, url, workdir / "web.log")
