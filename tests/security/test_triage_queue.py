"""Defect 6 (issue 12): a hand-off without a 乡镇/街道 was visible to and claimable by every
district's intake staff. It now waits in a 待分派 queue that supervisors see and assign."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.core import migrate
from bot.core.db import session_factory, transaction
from bot.core.errors import Conflict, Forbidden, InvalidField, NotFound
from bot.core.models import AuditEntry, StaffUser
from bot.handoff import tickets
from bot.intake import casework, staff

PASSWORD = "ceshi-mima-2026"


@pytest.fixture
def factory(tmp_path: Path) -> sessionmaker:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    migrate.upgrade(url)
    return session_factory(url)


@pytest.fixture
def people(factory: sessionmaker) -> dict[str, StaffUser]:
    return {
        "jia": staff.create_user("jia", "甲镇王芳", PASSWORD, "intake", "甲镇", factory=factory),
        "yi": staff.create_user("yi", "乙镇李明", PASSWORD, "intake", "乙镇", factory=factory),
        "boss": staff.create_user("boss", "主管张华", PASSWORD, "supervisor", factory=factory),
    }


def open_without_district(factory: sessionmaker) -> int:
    ticket, _ = tickets.open_ticket("web-conversation-1", "rest", "requested",
                                    [{"speaker": "resident", "text": "转人工"}], factory=factory)
    return ticket.id


def test_intake_staff_neither_see_nor_claim_a_ticket_without_district(
        factory: sessionmaker, people: dict[str, StaffUser]) -> None:
    ticket_id = open_without_district(factory)
    for name in ("jia", "yi"):
        user = people[name]
        assert tickets.list_tickets(user, factory=factory) == []
        assert tickets.waiting_count(user, factory=factory) == 0
        assert tickets.triage_queue(user, factory=factory) == []
        with pytest.raises(NotFound):
            tickets.get_ticket(ticket_id, user, factory=factory)
        with pytest.raises(NotFound):
            tickets.claim(ticket_id, user, expected_version=1, factory=factory)
        with pytest.raises(NotFound):
            tickets.staff_reply(ticket_id, user, "您好", factory=factory)
        with pytest.raises(NotFound):
            casework.add_note(user, "看一下", ticket_id=ticket_id, factory=factory)


def test_supervisors_see_the_triage_queue_and_assign_a_district(
        factory: sessionmaker, people: dict[str, StaffUser]) -> None:
    ticket_id = open_without_district(factory)
    boss, jia, yi = people["boss"], people["jia"], people["yi"]
    assert [t.id for t in tickets.triage_queue(boss, factory=factory)] == [ticket_id]
    with pytest.raises(Forbidden):
        tickets.assign_district(ticket_id, jia, "甲镇", expected_version=1, factory=factory)
    with pytest.raises(InvalidField):
        tickets.assign_district(ticket_id, boss, "丙镇", expected_version=1,
                                known_districts=staff.intake_districts(factory=factory), factory=factory)
    assigned = tickets.assign_district(ticket_id, boss, "甲镇", expected_version=1,
                                       known_districts=staff.intake_districts(factory=factory), factory=factory)
    assert assigned.district == "甲镇"
    with pytest.raises(Conflict):  # a stale page cannot assign it again
        tickets.assign_district(ticket_id, boss, "乙镇", expected_version=1, factory=factory)
    assert tickets.triage_queue(boss, factory=factory) == []
    assert [t.id for t in tickets.list_tickets(jia, factory=factory)] == [ticket_id]
    assert tickets.list_tickets(yi, factory=factory) == []
    assert tickets.claim(ticket_id, jia, expected_version=assigned.version, factory=factory).assignee_id == jia.id
    with transaction(factory) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "assign_ticket_district")).one()
    assert entry.actor_id == boss.id and entry.detail == "待分派→甲镇"
    assert staff.intake_districts(factory=factory) == ["乙镇", "甲镇"]
