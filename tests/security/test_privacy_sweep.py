"""The privacy sweep (issue 12): a registration, a hand-off and a 12345 call with the same ID and
mobile numbers typed or spoken in every format residents use, through the real stack (Rasa, the
action server, the web app), then every table of both databases (the registry and Rasa's
tracker store), every log line and the pages staff see are searched for those digits in clear.
Only encrypted or sealed values may hold them; staff see them only where it is audited (the
application's page, a 12345 caller's call-back number)."""
from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from bot.core.db import session_factory, transaction
from bot.core.models import Applicant, HandoffTicket, Message
from bot.core.privacy import number_digits
from bot.hotline.client import HotlineClient
from bot.intake.staff import create_user
from tests.conftest import HOTLINE_TEST_SECRET, Servers
from tests.console.console_support import StaffClient

pytestmark = pytest.mark.e2e

ID = "142702197507074566"
MOBILE = "13722223333"
PASSWORD = "ceshi-mima-2026"
NUMBER_RE = re.compile(r"SJ\d{8}-\d{4,5}")
TYPED_BEFORE_HANDOFF = "我的手机是137 2 2 2 2 3 3 3 3，身份证142702—19750707—4566，想问问低保"
TYPED_DURING_HANDOFF = [
    " ".join(ID),  # one space per digit
    "142702\t19750707\t4566",
    "身份证 142702 197507 074566",  # 6-6-6 groups
    "１４２７０２１９７５０７０７４５６６",
    "电话：１３７２２２２３３３３",
    "手机137\t2222\t3333，身份证142702-19750707-4566",
]


def clear_digits(text: str) -> set[str]:
    """Which of the two numbers the text holds in clear, however written (spoken, full-width,
    separated): every digit of the text in a row, so that no way of writing them hides them."""
    digits = "".join(char for char in number_digits(text) if char.isdigit())
    return {number for number in (ID, MOBILE) if number in digits}


def readable(value: object) -> str:
    """A cell as text, JSON unescaped (Rasa stores events as ASCII-escaped JSON)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value)
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except (ValueError, TypeError):
        return text


def database_cells(path: Path) -> Iterator[tuple[str, str, str]]:
    """(table, column, text) of every cell of every table of a SQLite database."""
    connection = sqlite3.connect(path)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row):
                    if value is not None:
                        yield table, column, readable(value)
    finally:
        connection.close()


def wait_for(condition, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.5)


def register(servers: Servers, sender: str) -> str:
    replies = servers.talk(sender, "我要申请低保")
    if "哪一项" in replies[-1]:
        replies = servers.talk(sender, "低保")
    for answer, next_question in [
        ("同意", "姓名"), ("我叫王芳", "手机号"), ("137—2222—3333", "身份证"),
        ("1427 0219 7507 0745 66", "乡镇"), ("运城市盐湖区解州镇", "住址"), ("解州镇东街村3号", "请核对"),
    ]:
        replies = servers.talk(sender, answer)
        assert next_question in replies[-1], (answer, replies)
    summary = "\n".join(replies)
    assert "137****3333" in summary and "142702********4566" in summary and not clear_digits(summary)
    done = "\n".join(servers.talk(sender, "确认"))
    match = NUMBER_RE.search(done)
    assert match, done
    return match.group(0)


def test_numbers_typed_in_every_format_rest_nowhere_in_clear(servers: Servers) -> None:
    factory = session_factory(servers.intake_url)
    run = uuid.uuid4().hex[:8]
    create_user(f"boss{run}", "主管张华", PASSWORD, "supervisor", factory=factory)
    create_user(f"hw{run}", "话务员小李", PASSWORD, "operator", factory=factory)
    create_user(f"jz{run}", "解州镇赵敏", PASSWORD, "intake", "解州镇", factory=factory)

    # 1. A registration in the chat, the numbers typed with dashes and spaces.
    number = register(servers, f"sweep-apply-{run}")
    with transaction(factory) as session:
        applicant = session.query(Applicant).filter(Applicant.mobile_digest.isnot(None)).all()
        assert any(a.mobile == MOBILE and a.id_number == ID for a in applicant)  # kept, encrypted

    # 2. A hand-off: numbers before it (the transcript) and typed while a person is on it.
    resident = f"sweep-handoff-{run}"
    servers.talk(resident, TYPED_BEFORE_HANDOFF)
    assert any("人工" in reply for reply in servers.talk(resident, "转人工"))
    for text in TYPED_DURING_HANDOFF:
        servers.talk(resident, text)

    def ticket_messages() -> list[Message]:
        with transaction(factory) as session:
            ticket = session.query(HandoffTicket).filter_by(conversation_id=resident).one()
            return session.query(Message).filter_by(ticket_id=ticket.id, direction="in").all()

    wait_for(lambda: len(ticket_messages()) == len(TYPED_DURING_HANDOFF))
    with transaction(factory) as session:
        web_ticket = session.query(HandoffTicket).filter_by(conversation_id=resident).one()
    assert web_ticket.district is None  # no 乡镇 known: waits in the 待分派 queue
    assert {m.text for m in ticket_messages()} >= {"142702********4566", "电话：137****3333"}

    # 3. A 12345 call: the caller reads the numbers out, the operator hands it to 解州镇.
    operator = f"hw{run}"
    platform = HotlineClient(servers.web_url, HOTLINE_TEST_SECRET, operator)
    call_id = f"sweep-{run}"
    assert platform.start(call_id, time.time() - 60, caller_number="137 2222 3333").status_code == 201
    for offset, text in enumerate([
        "我叫王芳 身份证号是一四二七零二一九七五零七零七四五六六",
        "电话是幺三七，二二二二，三三三三",
        "我在运城市盐湖区解州镇 家里着火了 想申请临时救助",
    ]):
        assert platform.say(call_id, "caller", text, time.time() - 30 + offset).status_code in (200, 201)
    desk = StaffClient(servers.web_url)
    desk.login(operator, PASSWORD)
    desk.get(f"/console/hotline/calls/{call_id}")
    handed = desk.post(f"/console/hotline/calls/{call_id}/ticket", {
        "caller_name": "王芳", "callback_phone": "137 2222 3333", "id_number": "1427 0219 7507 0745 66",
        "region": "运城市盐湖区", "district": "解州镇", "address": "解州镇东街村3号", "category": "apply",
        "programs": "linshi", "urgency": "urgent", "summary": "家中失火，申请临时救助"},
        headers={"Accept": "application/json"})
    assert handed.status_code == 200, handed.text
    phone_ticket = handed.json()["ticket"]

    # What staff see: masked everywhere but the audited call-back number.
    boss = StaffClient(servers.web_url)
    boss.login(f"boss{run}", PASSWORD)
    boss.get(f"/console/tickets/{web_ticket.id}")
    replied = boss.post(f"/console/tickets/{web_ticket.id}/reply", {"text": "已核对您的身份证 1427 0219 7507 0745 66"},
                        csrf=False, headers={"X-CSRF-Token": boss.csrf, "Accept": "application/json"})
    assert replied.status_code == 200 and replied.json()["message"]["text"] == "已核对您的身份证 142702********4566"
    pages = {
        "hand-offs": boss.get("/console/handoffs").text,
        "ticket": boss.get(f"/console/tickets/{web_ticket.id}").text,
        "updates": boss.get(f"/console/api/updates?ticket={web_ticket.id}&after_message=0").text,
        "export": boss.get("/console/export.csv").text,
        "hotline panel": boss.get(f"/console/hotline/calls/{call_id}").text,
    }
    assert "142702********4566" in pages["ticket"] and "待分派" in pages["hand-offs"]
    assert json.loads(pages["updates"])["messages"]
    jiezhou = StaffClient(servers.web_url)
    jiezhou.login(f"jz{run}", PASSWORD)
    phone_page = jiezhou.get(f"/console/tickets/{phone_ticket}").text
    shown = re.search(r'<span class="mono" id="callback-phone">([^<]*)</span>', phone_page)
    assert shown and shown.group(1) == MOBILE
    pages["12345 ticket"] = phone_page.replace(shown.group(0), "")
    assert jiezhou.get(f"/console/tickets/{web_ticket.id}").status_code == 404  # not 解州镇's
    leaks = {name: clear_digits(page) for name, page in pages.items()}
    assert not any(leaks.values()), leaks

    # Everything at rest: both databases, cell by cell, and every log line.
    found = []
    for path in (Path(servers.intake_url.removeprefix("sqlite:///")), servers.tracker_db):
        found += [(path.name, table, column, sorted(digits))
                  for table, column, cell in database_cells(path) if (digits := clear_digits(cell))]
    for service in servers.services.values():
        for line in service.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if digits := clear_digits(line):
                found.append((service.log.name, line[:200], sorted(digits)))
    assert found == []
