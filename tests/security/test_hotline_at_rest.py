"""Issue 12: a 12345 call's words, calling number and suggestions held full ID and mobile numbers
in clear. They are encrypted at rest now (read in clear through the models), a hand-off ticket
keeps them masked, and a key rotation re-encrypts them like the registry's other columns."""
from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from bot.core import migrate
from bot.core.db import session_factory, transaction, utcnow
from bot.core.keys import rotate_keys
from bot.core.models import HotlineCall
from bot.hotline import calls

ID = "142702197507074566"
MOBILE = "13722223333"


@pytest.fixture
def database(tmp_path: Path) -> tuple[Path, sessionmaker]:
    path = tmp_path / "intake.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path, session_factory(f"sqlite:///{path}")


def raw_text(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return "\n".join(str(row) for table in ("hotline_calls", "hotline_utterances")
                         for row in connection.execute(f"SELECT * FROM {table}"))
    finally:
        connection.close()


def a_call(factory: sessionmaker) -> str:
    call_id = f"c-{uuid.uuid4().hex[:8]}"
    start = utcnow() - dt.timedelta(minutes=1)
    calls.start_call(call_id, "hw01", start, uuid.uuid4().hex, MOBILE, factory=factory)
    calls.add_utterance(call_id, "hw01", "caller", f"身份证{ID} 电话{MOBILE}", start + dt.timedelta(seconds=5),
                        uuid.uuid4().hex, assess=lambda lines, number: {"heard": [l.text for l in lines],
                                                                        "number": number},
                        factory=factory)
    return call_id


def test_a_calls_numbers_are_encrypted_at_rest_and_read_in_clear(database: tuple[Path, sessionmaker]) -> None:
    path, factory = database
    call_id = a_call(factory)
    stored = raw_text(path)
    assert ID not in stored and MOBILE not in stored and "enc:" in stored
    with transaction(factory) as session:
        call = session.query(HotlineCall).filter_by(call_id=call_id).one()
        assert call.caller_number == MOBILE
        assert call.state == {"heard": [f"身份证{ID} 电话{MOBILE}"], "number": MOBILE}
        assert call.utterances[0].text == f"身份证{ID} 电话{MOBILE}"


def test_a_key_rotation_re_encrypts_a_calls_columns(database: tuple[Path, sessionmaker],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path, factory = database
    monkeypatch.setenv("INTAKE_SECRET", "the-old-secret")
    call_id = a_call(factory)
    before = raw_text(path)
    monkeypatch.setenv("INTAKE_SECRET", "the-new-secret")
    monkeypatch.setenv("INTAKE_SECRET_PREVIOUS", "the-old-secret")
    rotated = rotate_keys(factory)
    assert rotated.unreadable == 0 and rotated.rows >= 2
    after = raw_text(path)
    assert after != before and ID not in after and MOBILE not in after
    monkeypatch.delenv("INTAKE_SECRET_PREVIOUS")
    with transaction(factory) as session:
        call = session.query(HotlineCall).filter_by(call_id=call_id).one()
        assert call.caller_number == MOBILE and call.utterances[0].text.startswith(f"身份证{ID}")
        assert call.state["number"] == MOBILE
