"""Hand-off tickets: opening, the resident's messages, claiming, replies, hand-back, delivery."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from sqlalchemy.orm import sessionmaker

from bot.handoff import delivery
from bot.handoff.delivery import DeliveryError, take_outbox
from bot.handoff.tickets import (
    HANDED_BACK_TEXT,
    claim,
    get_ticket,
    hand_back,
    list_tickets,
    open_ticket,
    record_resident_message,
    reply_to_application,
    staff_reply,
    waiting_count,
)
from bot.core.db import utcnow
from bot.core.errors import Conflict, InvalidField, NotFound
from bot.core.models import TICKET_ACTIVE, TICKET_CLOSED, TICKET_WAITING, StaffUser
from bot.intake.registry import ApplicationRequest, register
from bot.intake.staff import create_user

PASSWORD = "correct horse battery"


@dataclass
class FakeRasa:
    """Records the calls a hand-off makes to Rasa's HTTP API; can be made to fail."""

    down: bool = False
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def record_staff_message(self, conversation_id: str, text: str, staff_name: str) -> None:
        self._call("bot", conversation_id, text)

    def resume(self, conversation_id: str, text: str) -> None:
        self._call("resume", conversation_id, text)

    def _call(self, kind: str, conversation_id: str, text: str) -> None:
        if self.down:
            raise DeliveryError("Rasa unreachable")
        self.calls.append((kind, conversation_id, text))


@pytest.fixture
def staff(factory: sessionmaker) -> dict[str, StaffUser]:
    return {
        "jia": create_user("jia", "甲镇小张", PASSWORD, "intake", "甲镇", factory=factory),
        "jia2": create_user("jia2", "甲镇小李", PASSWORD, "intake", "甲镇", factory=factory),
        "yi": create_user("yi", "乙镇小王", PASSWORD, "intake", "乙镇", factory=factory),
        "boss": create_user("boss", "科长", PASSWORD, "supervisor", factory=factory),
    }


def ticket_for(factory: sessionmaker, conversation: str = "c1", district: str | None = "甲镇"):
    ticket, _created = open_ticket(
        conversation, "web", "requested",
        [{"speaker": "resident", "text": "转人工"}], district=district, factory=factory,
    )
    return ticket


def test_a_conversation_has_one_open_ticket(factory: sessionmaker) -> None:
    first, created = open_ticket("c1", "web", "requested", [], factory=factory)
    again, created_again = open_ticket("c1", "web", "fallback", [], factory=factory)
    assert created and not created_again and first.id == again.id


def test_resident_messages_reach_the_open_ticket_only(factory: sessionmaker, staff) -> None:
    before = utcnow() - dt.timedelta(seconds=5)
    assert record_resident_message("c1", "在吗", "web", utcnow(), factory=factory) is None  # no ticket
    ticket = ticket_for(factory)
    assert record_resident_message("c1", "转人工", "web", before, factory=factory) is None  # the request itself
    stored = record_resident_message("c1", "我家的情况是这样的", "web", utcnow(), factory=factory)
    assert stored is not None and stored.ticket_id == ticket.id and stored.direction == "in"
    assert [m.text for m in get_ticket(ticket.id, staff["jia"], factory).messages] == ["我家的情况是这样的"]


def test_staff_see_only_their_districts_tickets(factory: sessionmaker, staff) -> None:
    ticket_for(factory, "c-jia", "甲镇")
    ticket_for(factory, "c-yi", "乙镇")
    ticket_for(factory, "c-none", None)
    # A ticket without a district waits for a supervisor (待分派), not for every district's staff.
    assert {t.conversation_id for t in list_tickets(staff["jia"], factory=factory)} == {"c-jia"}
    assert len(list_tickets(staff["boss"], factory=factory)) == 3
    assert waiting_count(staff["yi"], factory=factory) == 1
    yi_ticket = list_tickets(staff["yi"], factory=factory)[0]
    if yi_ticket.district == "乙镇":
        with pytest.raises(NotFound):
            get_ticket(yi_ticket.id, staff["jia"], factory)


def test_two_staff_claiming_at_once_one_wins(factory: sessionmaker, staff) -> None:
    ticket = ticket_for(factory)
    won = claim(ticket.id, staff["jia"], expected_version=ticket.version, factory=factory)
    assert won.status == TICKET_ACTIVE and won.assignee_id == staff["jia"].id
    with pytest.raises(Conflict) as caught:
        claim(ticket.id, staff["jia2"], expected_version=ticket.version, factory=factory)
    assert "甲镇小张" in caught.value.message


def test_a_reply_is_stored_recorded_in_rasa_and_pulled_once(factory: sessionmaker, staff) -> None:
    ticket = ticket_for(factory)
    rasa = FakeRasa()
    message = staff_reply(ticket.id, staff["jia"], "您好，我是甲镇的小张。", factory=factory, rasa=rasa)
    assert rasa.calls == [("bot", "c1", "您好，我是甲镇的小张。")]
    assert get_ticket(ticket.id, staff["jia"], factory).status == TICKET_ACTIVE  # replying claims it
    pulled = take_outbox("c1", 0, factory=factory)
    assert [m.id for m in pulled] == [message.id] and pulled[0].author_name == "甲镇小张"
    assert take_outbox("c1", message.id, factory=factory) == []


def test_a_channel_that_pushes_gets_the_reply_at_once(factory: sessionmaker, staff, monkeypatch) -> None:
    sent: list[tuple[str, str]] = []
    monkeypatch.setitem(delivery._SENDERS, "wechat", lambda to, text: sent.append((to, text)) or True)
    ticket, _ = open_ticket("openid-1", "wechat", "requested", [], district="甲镇", factory=factory)
    staff_reply(ticket.id, staff["jia"], "您好", factory=factory, rasa=FakeRasa())
    assert sent == [("openid-1", "您好")]
    assert all(m.delivered_at is not None for m in get_ticket(ticket.id, staff["jia"], factory).messages)


@pytest.mark.parametrize("text", ["", "   ", "字" * 1001])
def test_empty_or_overlong_replies_are_refused(factory: sessionmaker, staff, text: str) -> None:
    ticket = ticket_for(factory)
    with pytest.raises(InvalidField):
        staff_reply(ticket.id, staff["jia"], text, factory=factory, rasa=FakeRasa())


def test_hand_back_resumes_the_bot_then_closes(factory: sessionmaker, staff) -> None:
    ticket = ticket_for(factory)
    rasa = FakeRasa()
    closed = hand_back(ticket.id, staff["jia"], factory=factory, rasa=rasa)
    assert closed.status == TICKET_CLOSED and rasa.calls == [("resume", "c1", HANDED_BACK_TEXT)]
    assert take_outbox("c1", 0, factory=factory)[-1].text == HANDED_BACK_TEXT
    with pytest.raises(Conflict):
        hand_back(ticket.id, staff["jia"], factory=factory, rasa=rasa)
    new_ticket = ticket_for(factory)
    assert new_ticket.id != ticket.id and new_ticket.status == TICKET_WAITING


def test_hand_back_keeps_the_ticket_open_when_rasa_is_down(factory: sessionmaker, staff) -> None:
    ticket = ticket_for(factory)
    with pytest.raises(DeliveryError):
        hand_back(ticket.id, staff["jia"], factory=factory, rasa=FakeRasa(down=True))
    assert get_ticket(ticket.id, staff["jia"], factory).status == TICKET_WAITING
    assert take_outbox("c1", 0, factory=factory) == []


def test_replies_about_an_application_stay_within_the_district(factory: sessionmaker, staff) -> None:
    registration = register(ApplicationRequest(
        channel="web", conversation_id="c-app", request_key="k1", name="王芳", mobile="13800138000",
        id_number="11010519491231002X", address="甲镇东街村3号", district="甲镇", programs=["dibao"],
        consent=True,
    ), factory=factory)
    rasa = FakeRasa()
    reply_to_application(registration.application_id, staff["jia"], "请周一带户口簿来窗口。", factory=factory, rasa=rasa)
    assert [m.text for m in take_outbox("c-app", 0, factory=factory)][-1] == "请周一带户口簿来窗口。"
    with pytest.raises(NotFound):
        reply_to_application(registration.application_id, staff["yi"], "你好", factory=factory, rasa=rasa)
