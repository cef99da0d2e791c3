"""Applying, asking for the status and reaching a person, over the real REST channel, with the
real action server, the registry in SQLite, and Rasa's HTTP API for the hand-back."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import sqlite3
import re
import uuid
from typing import Iterator

import pytest
import requests
from sqlalchemy import select

from bot.handoff.delivery import RasaConversations
from bot.handoff.tickets import hand_back, open_ticket_for, staff_reply
from bot.core.db import session_factory, transaction
from bot.core.testing import sample_id_number
from bot.core.models import Application, HandoffTicket, Message, StaffUser
from bot.intake.registry import get_application
from bot.intake.staff import create_user
from tests.conftest import RASA_TEST_TOKEN, Servers
from tests.test_questionnaire_chat import answer_for

pytestmark = pytest.mark.e2e

ID_NUMBER = "11010519491231002X"
MOBILE = "13800138000"
NUMBER_RE = re.compile(r"SJ\d{8}-\d{4,5}")


def fresh_id_number() -> str:
    """A valid ID number no other test uses (so no open application of the same person exists)."""
    return sample_id_number(uuid.uuid4().int, dt.date(1980, 1, 1))


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def db(servers: Servers):
    return session_factory(servers.intake_url)


def applications_of(db, sender: str) -> list[Application]:
    with transaction(db) as session:
        return list(session.scalars(select(Application).where(Application.conversation_id == sender)))


def register_in_chat(
    servers: Servers, sender: str, first: str = "我要申请低保", id_number: str = ID_NUMBER
) -> list[str]:
    """Answers every registration question; returns the replies to the confirmation."""
    replies = servers.talk(sender, first)
    if "哪一项" in replies[-1]:
        replies = servers.talk(sender, "低保")
    assert "同意" in replies[-1], replies
    for answer, next_question in [
        ("同意", "姓名"), ("我叫王芳", "手机号"), (MOBILE, "身份证"), (id_number, "乡镇"),
        ("运城市盐湖区解州镇", "住址"), ("解州镇东街村3号", "请核对"),
    ]:
        replies = servers.talk(sender, answer)
        assert next_question in replies[-1], (answer, replies)
    summary = "\n".join(replies)
    assert "138****8000" in summary and MOBILE not in summary and id_number not in summary
    return servers.talk(sender, "确认")


def test_screening_then_registration_then_status(servers: Servers, db) -> None:
    sender = new_sender("apply")
    question = servers.talk(sender, "帮我看看能不能申请低保")[-1]
    for _turn in range(30):
        replies = servers.talk(sender, answer_for(question))
        if any("初步判断" in r for r in replies):
            break
        question = replies[-1]
    assert "我要申请" in replies[-1]
    replies = servers.talk(sender, "我要申请")
    assert "根据刚才的初步判断" in replies[-1]
    replies = servers.talk(sender, "是的")
    assert "同意" in replies[-1]
    for answer in ("同意", "王芳", MOBILE, ID_NUMBER, "解州镇", "解州镇东街村3号"):
        replies = servers.talk(sender, answer)
    done = "\n".join(servers.talk(sender, "确认"))
    number = NUMBER_RE.search(done).group(0)
    assert "去窗口时请带上" in done and "月" in done and "日前受理" in done

    [application] = applications_of(db, sender)
    assert application.number == number and application.channel == "web"
    assert application.district == "解州镇" and application.consent
    assert application.screening["answers"]["region"] and application.screening["programs"]
    assert set(application.programs) <= {p["program"] for p in application.screening["programs"]}

    # The same confirmation delivered again: still one application.
    servers.talk(sender, "确认")
    assert len(applications_of(db, sender)) == 1

    status = "\n".join(servers.talk(sender, f"查询申请进度 {number} 尾号8000"))
    assert number in status and "已登记" in status


def test_a_confirmation_delivered_twice_at_once_registers_once(servers: Servers, db) -> None:
    sender = new_sender("twice")
    replies = servers.talk(sender, "我要申请临时救助")
    for answer in ("同意", "李强", "13900139000", "110101199003070070", "北城街道", "北城街道幸福小区2号楼"):
        replies = servers.talk(sender, answer)
    assert "请核对" in replies[-1]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: servers.talk(sender, "确认"), range(2)))
    numbers = {m for replies in results for r in replies for m in NUMBER_RE.findall(r)}
    assert len(numbers) == 1
    assert len(applications_of(db, sender)) == 1


def test_wrong_answers_are_explained_and_asked_again(servers: Servers, db) -> None:
    sender = new_sender("wrong")
    servers.talk(sender, "我要申请低保")
    servers.talk(sender, "同意")
    servers.talk(sender, "王芳")
    replies = servers.talk(sender, "12345")
    assert "手机号" in "\n".join(replies) and "手机号" in replies[-1]
    replies = servers.talk(sender, MOBILE)
    assert "身份证" in replies[-1]
    replies = servers.talk(sender, "110105194912310021")  # wrong check digit
    assert "校验" in "\n".join(replies) or "核对" in "\n".join(replies)
    assert "身份证" in replies[-1]
    replies = servers.talk(sender, "先不申请了")
    assert "我要申请" in replies[-1]
    assert applications_of(db, sender) == []


def test_an_earlier_answer_corrected_while_another_question_is_asked(servers: Servers, db) -> None:
    # Issue 11, found talking to the bot: "名字不对，是王秀芝" said to the mobile question was read
    # as a wrong mobile number, and the name stayed 王秀兰.
    sender = new_sender("fixname")
    servers.talk(sender, "我要申请低保")
    servers.talk(sender, "同意")
    assert "手机号" in servers.talk(sender, "俺叫王秀兰")[-1]
    replies = servers.talk(sender, "名字不对，是王秀芝")
    assert "姓名已改过来了" in "\n".join(replies) and "手机号" in replies[-1], replies
    assert "11位数字" not in "\n".join(replies)
    servers.talk(sender, MOBILE)
    id_number = fresh_id_number()
    servers.talk(sender, id_number)
    replies = servers.talk(sender, id_number)  # sent again to the 乡镇 question: nothing changes
    assert "身份证号已经记下了" in "\n".join(replies) and "乡镇" in replies[-1], replies
    assert "改过来了" not in "\n".join(replies)
    servers.talk(sender, "运城市盐湖区解州镇")
    summary = "\n".join(servers.talk(sender, "解州镇东街村3号"))
    assert "申请人：王秀芝" in summary, summary
    servers.talk(sender, "先不申请了")
    assert applications_of(db, sender) == []


def test_refusing_consent_registers_nothing(servers: Servers, db) -> None:
    sender = new_sender("consent")
    servers.talk(sender, "我要申请低保")
    replies = servers.talk(sender, "不同意")
    assert "窗口" in replies[-1] and "不能在线登记" in replies[-1]
    assert applications_of(db, sender) == []


def test_status_needs_the_number_and_the_mobile_tail(servers: Servers, db) -> None:
    owner = new_sender("owner")
    number = NUMBER_RE.search("\n".join(register_in_chat(servers, owner, id_number=fresh_id_number()))).group(0)
    stranger = new_sender("stranger")
    replies = servers.talk(stranger, "我的申请到哪一步了")
    assert "受理编号" in replies[-1]
    replies = servers.talk(stranger, number)
    assert "后四位" in replies[-1]
    assert "没有查到" in servers.talk(stranger, "1234")[-1]
    servers.talk(stranger, f"查进度 {number}")
    assert "没有查到" in servers.talk(stranger, "4321")[-1]
    servers.talk(stranger, f"查进度 {number}")
    locked = servers.talk(stranger, "0000")[-1]
    assert "不能再查询" in locked
    # Locked for this conversation even with the right digits now.
    assert "不能再查询" in "\n".join(servers.talk(stranger, f"查进度 {number} 8000"))
    status = "\n".join(servers.talk(new_sender("other"), f"查询申请进度 {number} 8000"))
    assert "已登记" in status and "王芳" not in status and MOBILE not in status


def test_registry_down_gives_a_clear_message_and_nothing_half_written(servers: Servers, db) -> None:
    sender = new_sender("down")
    good_url = servers.env["DATABASE_URL"]
    servers.env["DATABASE_URL"] = "postgresql+psycopg2://nobody@127.0.0.1:9/none"
    try:
        servers.restart("actions")
        replies = register_in_chat(servers, sender, id_number=fresh_id_number())
    finally:
        servers.env["DATABASE_URL"] = good_url
        servers.restart("actions")
    text = "\n".join(replies)
    assert "没有登记上" in text and "12345" in text
    assert applications_of(db, sender) == []
    # Back up: asking again shows the kept answers and registers once.
    replies = servers.talk(sender, "我要申请")
    assert "请核对" in "\n".join(replies)
    done = "\n".join(servers.talk(sender, "确认"))
    assert "申请已登记" in done, done
    assert len(applications_of(db, sender)) == 1


@pytest.fixture
def supervisor(db) -> Iterator[StaffUser]:
    yield create_user(f"sup{uuid.uuid4().hex[:6]}", "民政科老刘", "correct horse battery", "supervisor", factory=db)


def inbox(servers: Servers, sender: str, after: int = 0) -> dict:
    resp = servers.web_inbox(sender, after)
    resp.raise_for_status()
    return resp.json()


def test_handoff_relays_both_ways_then_the_bot_answers_again(servers: Servers, db, supervisor) -> None:
    sender = servers.new_web_sender()
    notice = "\n".join(servers.talk(sender, "转人工"))
    assert "服务单号 R" in notice and ("工作时间" in notice)
    assert servers.talk(sender, "我家老伴住院了，想问问临时救助") == []  # paused: the bot stays quiet
    chat = servers.web_chat(sender, "还在吗", timeout=30).json()
    assert chat["messages"] == [] and chat["handoff"]["status"] == "waiting"

    ticket = open_ticket_for(sender, factory=db)
    with transaction(db) as session:
        texts = [m.text for m in session.scalars(select(Message).where(Message.ticket_id == ticket.id))]
    assert texts == ["我家老伴住院了，想问问临时救助", "还在吗"]  # the request itself is in the transcript
    assert ticket.transcript[0] == {"speaker": "resident", "text": "转人工"}

    rasa = RasaConversations(servers.rasa_url, RASA_TEST_TOKEN)
    staff_reply(ticket.id, supervisor, "您好，我是民政科老刘，请说一下住院的情况。", factory=db, rasa=rasa)
    received = inbox(servers, sender)
    assert [m["text"] for m in received["messages"]] == ["您好，我是民政科老刘，请说一下住院的情况。"]
    assert received["messages"][0]["author"] == "民政科老刘"
    assert inbox(servers, sender, received["messages"][-1]["id"])["messages"] == []

    hand_back(ticket.id, supervisor, factory=db, rasa=rasa)
    assert "智能助手继续" in inbox(servers, sender, received["messages"][-1]["id"])["messages"][0]["text"]
    answer = "\n".join(servers.talk(sender, "宁夏低保标准是多少"))
    assert "650" in answer and "服务单号" not in answer
    assert servers.talk(sender, "谢谢") and inbox(servers, sender)["handoff"] is None

    tracker = requests.get(f"{servers.rasa_url}/conversations/{sender}/tracker",
                           params={"token": RASA_TEST_TOKEN}, timeout=10).json()
    assert not tracker["paused"]
    assert "您好，我是民政科老刘，请说一下住院的情况。" in [e.get("text") for e in tracker["events"]]


def test_three_messages_not_understood_reach_a_person(servers: Servers, db) -> None:
    sender = new_sender("lost")
    replies: list[str] = []
    for text in ("😀😀", "asdfgh", "？？？"):
        replies = servers.talk(sender, text)
    assert "转接人工服务" in "\n".join(replies)
    with transaction(db) as session:
        ticket = session.scalars(select(HandoffTicket).where(HandoffTicket.conversation_id == sender)).one()
    assert ticket.reason == "fallback"


def test_personal_data_stays_out_of_the_logs(servers: Servers, db) -> None:
    register_in_chat(servers, new_sender("logs"))
    for service in servers.services.values():
        log = service.log.read_text(encoding="utf-8", errors="replace")
        assert ID_NUMBER not in log and MOBILE not in log, service.log



def test_the_tracker_store_keeps_no_id_or_mobile_number(servers: Servers, db) -> None:
    """Typed numbers are stored masked, the application's personal data sealed in its slots."""
    sender = new_sender("stored")
    id_number = fresh_id_number()
    servers.talk(sender, "我要申请低保")
    for answer in ("同意", "王芳", f"手机{MOBILE}", id_number, "解州镇", "解州镇东街村3号"):
        servers.talk(sender, answer)
    servers.talk(sender, "手机号改成13712340000")  # a correction at the confirmation step
    assert NUMBER_RE.search("\n".join(servers.talk(sender, "确认")))
    [registered] = applications_of(db, sender)
    application = get_application(registered.id, factory=db)
    assert application.applicant.mobile == "13712340000" and application.applicant.id_number == id_number
    stored = sqlite3.connect(servers.tracker_db).execute(
        "select group_concat(data, '') from events where sender_id = ?", (sender,)).fetchone()[0]
    for secret in (MOBILE, "13712340000", id_number):
        assert secret not in stored
    assert "138****8000" in stored and "sealed:" in stored
