"""Migration 0008_privacy on a database written before it: what rested in clear is masked or
encrypted, and reads back through the models."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

from alembic import command
from sqlalchemy import select, text

from bot.core import migrate
from bot.core.db import make_engine, session_factory, transaction
from bot.core.models import HandoffTicket, HotlineCall, HotlineUtterance, Message

ID = "142702197507074566"
MOBILE = "13722223333"


def test_clear_numbers_written_before_are_masked_or_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), "0007_console_speed")
        now = dt.datetime(2026, 12, 1, 8, 0)
        connection.execute(text(
            "INSERT INTO handoff_tickets (id, conversation_id, channel, status, reason, transcript, "
            "screening_summary, created_at, version, read_up_to) VALUES (1, 'c1', 'rest', 'waiting', 'requested', "
            ":transcript, :summary, :now, 1, 0)"),
            {"transcript": json.dumps([{"speaker": "resident", "text": f"身份证 {' '.join(ID)}"}], ensure_ascii=False),
             "summary": f"回拨电话：{MOBILE}", "now": now})
        connection.execute(text(
            "INSERT INTO messages (ticket_id, conversation_id, direction, author_name, text, channel, created_at) "
            "VALUES (1, 'c1', 'in', '居民', :text, 'rest', :now)"), {"text": "137—2222—3333", "now": now})
        connection.execute(text(
            "INSERT INTO hotline_calls (id, call_id, operator_id, caller_number, status, started_at, version, "
            "utterance_count, state, state_revision, created_at, updated_at) VALUES (1, 'k1', 'hw01', :number, "
            "'active', :now, 1, 1, :state, 1, :now, :now)"),
            {"number": MOBILE, "now": now, "state": json.dumps({"work_order": {"id_number": ID}})})
        connection.execute(text(
            "INSERT INTO hotline_utterances (call_pk, seq, utterance_key, speaker, text, spoken_at, received_at) "
            "VALUES (1, 1, 'u1', 'caller', :text, :now, :now)"), {"text": f"我的身份证是{ID}", "now": now})
    engine.dispose()

    migrate.upgrade(url)
    connection = sqlite3.connect(path)
    try:
        raw = "\n".join(str(row) for table in ("handoff_tickets", "messages", "hotline_calls", "hotline_utterances")
                        for row in connection.execute(f"SELECT * FROM {table}"))
    finally:
        connection.close()
    assert ID not in raw and MOBILE not in raw and " ".join(ID) not in raw and "137—2222—3333" not in raw
    factory = session_factory(url)
    with transaction(factory) as session:
        ticket = session.get(HandoffTicket, 1)
        assert ticket.transcript[0]["text"] == "身份证 142702********4566"
        assert ticket.screening_summary == "回拨电话：137****3333"
        assert session.get(Message, 1).text == "137****3333"
        call = session.get(HotlineCall, 1)
        assert call.caller_number == MOBILE and call.state == {"work_order": {"id_number": ID}}
        texts = session.scalars(select(HotlineUtterance.text).where(HotlineUtterance.call_pk == 1)).all()
        assert texts == [f"我的身份证是{ID}"], raw
