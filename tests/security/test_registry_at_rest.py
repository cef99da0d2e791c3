"""Defect 2 (issue 12): the registry stored ID and mobile numbers in clear. Now they are
encrypted with a key from the environment, found through keyed HMAC columns, and the key can be
rotated with a command."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.core import migrate
from bot.core.db import session_factory
from bot.core.models import StaffUser
from bot.core.testing import sample_id_number
from bot.intake import registry
from bot.settings import PROJECT_ROOT

MOBILE = "13722223333"
ID_NUMBER = sample_id_number(517, region="142702")


def request(conversation: str, mobile: str = MOBILE, id_number: str = ID_NUMBER) -> registry.ApplicationRequest:
    return registry.ApplicationRequest(
        channel="web", conversation_id=conversation, request_key="k1", name="王秀兰",
        mobile=mobile, id_number=id_number, address="解州镇东街村3组12号", district="解州镇",
        programs=["dibao"], consent=True,
    )


def clear_values(db_file: Path, *needles: str) -> list[str]:
    """Where any of the numbers appears in clear: a cell of any table, or the file's bytes."""
    found = []
    with sqlite3.connect(db_file) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                found += [f"{table}: {cell}" for cell in row for needle in needles if needle in str(cell)]
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = b"".join(path.read_bytes() for path in db_file.parent.glob(db_file.name + "*"))
    found += [f"file bytes: {needle}" for needle in needles if needle.encode() in raw]
    return found


@pytest.fixture
def db_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INTAKE_SECRET", "first secret " + tmp_path.name)
    monkeypatch.delenv("INTAKE_SECRET_PREVIOUS", raising=False)
    path = tmp_path / "intake.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


SUPERVISOR = StaffUser(id=1, username="boss", display_name="主管", role="supervisor", active=True)


def test_numbers_rest_encrypted_and_are_found_by_their_digest(db_file: Path) -> None:
    factory = session_factory(f"sqlite:///{db_file}")
    registry.register(request("web-a"), factory=factory)
    assert clear_values(db_file, MOBILE, ID_NUMBER) == []
    stored = registry.query_applications(SUPERVISOR, search="137 2222 3333", factory=factory)[0]
    assert [a.applicant.mobile for a in stored] == [MOBILE]
    by_id = registry.query_applications(SUPERVISOR, search=" ".join(ID_NUMBER), factory=factory)[0]
    assert [a.applicant.id_number for a in by_id] == [ID_NUMBER]


def test_key_rotation_keeps_every_number_readable(db_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{db_file}"
    factory = session_factory(url)
    first = registry.register(request("web-a"), factory=factory)
    old = f"first secret {db_file.parent.name}"
    monkeypatch.setenv("INTAKE_SECRET", "second secret")
    monkeypatch.setenv("INTAKE_SECRET_PREVIOUS", old)
    # During the rotation: the old data is readable, and the same person is still recognised.
    again = registry.register(request("web-b"), factory=factory)
    assert again.duplicate_of_open and again.number == first.number
    assert registry.get_application(first.number, factory=factory).applicant.mobile == MOBILE
    env = {"DATABASE_URL": url, "INTAKE_SECRET": "second secret", "INTAKE_SECRET_PREVIOUS": old,
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "bot.core.keys", "rotate"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 条" in done.stdout
    monkeypatch.delenv("INTAKE_SECRET_PREVIOUS")
    applicant = registry.get_application(first.number, factory=factory).applicant
    assert (applicant.mobile, applicant.id_number) == (MOBILE, ID_NUMBER)
    assert registry.query_applications(SUPERVISOR, search=MOBILE, factory=factory)[1] == 1
    assert registry.register(request("web-c"), factory=factory).duplicate_of_open


def test_the_migration_encrypts_numbers_stored_in_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_SECRET", "migration secret")
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    with engine.begin() as connection:
        command_upgrade_to(connection, "0003")
        connection.execute(text(
            "INSERT INTO applications (id, number, channel, conversation_id, request_key, status, district, "
            "programs, consent, created_at, updated_at, version) VALUES (1, 'SJ20261101-0001', 'web', 'c', 'k', "
            "'已登记', '解州镇', '[\"dibao\"]', 1, '2026-11-01 08:00:00.000000', '2026-11-01 08:00:00.000000', 1)"))
        connection.execute(text(
            "INSERT INTO applicants (application_id, name, mobile, id_number, id_digest, address) "
            f"VALUES (1, '王秀兰', '{MOBILE}', '{ID_NUMBER}', 'x', '解州镇东街村3组12号')"))
    engine.dispose()
    migrate.upgrade(url)
    assert clear_values(path, MOBILE, ID_NUMBER) == []
    applicant = registry.get_application("SJ20261101-0001", factory=session_factory(url)).applicant
    assert (applicant.mobile, applicant.id_number) == (MOBILE, ID_NUMBER)


def command_upgrade_to(connection, revision: str) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    command.upgrade(migrate.alembic_config(connection), revision)
