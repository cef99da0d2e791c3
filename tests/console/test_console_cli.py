"""python -m bot.intake.cli: the first admin and other accounts, on a database it migrates itself."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.intake import staff
from bot.core.db import session_factory


def cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", **env}
    return subprocess.run([sys.executable, "-m", "bot.intake.cli", *args], cwd=tmp_path, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_create_admin_on_an_empty_database(tmp_path: Path) -> None:
    done = cli(tmp_path, "create-admin", "--username", "chief", "--name", "陈静",
               ADMIN_PASSWORD="first-admin-pass")
    assert done.returncode == 0, done.stderr
    assert "已创建管理员 chief（陈静）" in done.stdout
    factory = session_factory(f"sqlite:///{tmp_path / 'fresh.db'}")
    user = staff.authenticate("chief", "first-admin-pass", factory=factory)
    assert user is not None and user.role == "admin"


def test_create_user_and_reset_password(tmp_path: Path) -> None:
    made = cli(tmp_path, "create-user", "--username", "wang", "--name", "王芳", "--role", "intake",
               "--district", "甲镇", STAFF_PASSWORD="intake-pass-01")
    assert made.returncode == 0, made.stderr
    reset = cli(tmp_path, "reset-password", "--username", "wang", STAFF_PASSWORD="intake-pass-02")
    assert reset.returncode == 0, reset.stderr
    factory = session_factory(f"sqlite:///{tmp_path / 'fresh.db'}")
    user = staff.authenticate("wang", "intake-pass-02", factory=factory)
    assert user is not None and user.district == "甲镇"


def test_bad_input_is_explained_and_fails(tmp_path: Path) -> None:
    no_district = cli(tmp_path, "create-user", "--username", "wang", "--name", "王芳", "--role", "intake",
                      STAFF_PASSWORD="intake-pass-01")
    assert no_district.returncode == 1
    assert "受理人员须填写所属乡镇（街道）" in no_district.stderr
    weak = cli(tmp_path, "create-admin", "--username", "chief", "--name", "陈静", ADMIN_PASSWORD="short")
    assert weak.returncode == 1 and "密码须为" in weak.stderr


def test_a_supervisor_gets_the_region_whose_standards_they_keep(tmp_path: Path) -> None:
    made = cli(tmp_path, "create-user", "--username", "lizhu", "--name", "李主管", "--role", "supervisor",
               STAFF_PASSWORD="ceshi-mima-2026")
    assert made.returncode == 0, made.stderr
    assert cli(tmp_path, "set-region", "--username", "lizhu", "--region", "运城").returncode == 0
    factory = session_factory(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert staff.find_user("lizhu", factory=factory).region == "山西省运城市"
    refused = cli(tmp_path, "set-region", "--username", "lizhu", "--region", "北京")
    assert refused.returncode == 1 and "不是本助手覆盖" in refused.stderr
    assert cli(tmp_path, "set-region", "--username", "nobody", "--region", "运城").returncode == 1
