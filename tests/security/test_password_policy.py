"""Defect 6 (issue 12): weak staff passwords were accepted (`1234567890`, `password12`, one
containing the username). The policy (bot.intake.staff.validate_password) scores passwords with
the pinned zxcvbn and refuses, in Chinese, everywhere a password is set: the create-admin and
create-user commands, account creation and password changes in the console."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from bot.core import migrate
from bot.core.db import session_factory
from bot.core.errors import InvalidField
from bot.intake import cli, staff

WEAK = ["1234567890", "password12", "qwertyuiop", "abcdefghijk", "wangfang2024", "1qaz2wsx3edc", "iloveyou123"]
STRONG = ["ceshi-mima-2026", "correct horse battery", "Lu7#qz!Mw2x"]


@pytest.fixture
def factory(tmp_path: Path) -> sessionmaker:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    migrate.upgrade(url)
    return session_factory(url)


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_in_chinese(password: str) -> None:
    with pytest.raises(InvalidField) as refused:
        staff.validate_password(password, "wangfang", "王芳")
    assert refused.value.field == "password" and "密码" in str(refused.value)
    assert not any("a" <= char.lower() <= "z" for char in str(refused.value).replace("abc", ""))


@pytest.mark.parametrize("password", STRONG)
def test_strong_passwords_pass(password: str) -> None:
    assert staff.validate_password(password, "wangfang", "王芳") == password


def test_a_password_containing_the_username_is_refused() -> None:
    with pytest.raises(InvalidField, match="用户名"):
        staff.validate_password("Zq8!WangFang-xx", "wangfang")


def test_create_user_and_password_change_apply_the_policy(factory: sessionmaker) -> None:
    with pytest.raises(InvalidField):
        staff.create_user("wangfang", "王芳", "password12", "intake", "甲镇", factory=factory)
    with pytest.raises(InvalidField, match="用户名"):
        staff.create_user("wangfang", "王芳", "wangfang-mima-2026", "intake", "甲镇", factory=factory)
    user = staff.create_user("wangfang", "王芳", "ceshi-mima-2026", "intake", "甲镇", factory=factory)
    for weak in ("1234567890", "Wangfang-7731x"):
        with pytest.raises(InvalidField):
            staff.reset_password(user.id, weak, actor=None, factory=factory)
    staff.reset_password(user.id, "another-mima-2027", actor=None, factory=factory)


@pytest.mark.parametrize("password", ["1234567890", "password12", "admin-zhang-2026"])
def test_create_admin_refuses_weak_passwords(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str], password: str) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ADMIN_PASSWORD", password)
    assert cli.run(["create-admin", "--username", "admin-zhang", "--name", "张管理"]) == 1
    assert "密码" in capsys.readouterr().err
