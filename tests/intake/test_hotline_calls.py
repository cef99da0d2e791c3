"""Hotline calls in the registry database (bot.hotline.calls), on SQLite and PostgreSQL: the
platform's events, replays and retries, late utterances, concurrent writers, and the operator's
decision (an application, a ticket for intake staff, or answered)."""
from __future__ import annotations

import datetime as dt
import itertools
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import sessionmaker

from bot.handoff import tickets
from bot.hotline import assist, calls
from bot.hotline.calls import Replayed, UnknownCall, WorkOrder
from bot.core.db import transaction, utcnow
from bot.core.errors import Conflict, InvalidField, NotFound
from bot.core.models import Application, HotlineCall, HotlineUtterance, StaffUser
from bot.intake.registry import get_application
from bot.intake.staff import create_user
from bot.core.testing import sample_id_number

PASSWORD = "correct horse battery"
AS_OF = dt.date(2026, 11, 23)
_calls = itertools.count(1)
BASE = utcnow() - dt.timedelta(minutes=5)  # when the calls of the `call_id` fixture start


def nonce() -> str:
    return secrets.token_urlsafe(12)


@pytest.fixture
def people(factory: sessionmaker) -> dict[str, StaffUser]:
    return {
        "hw": create_user("hw01", "话务员小李", PASSWORD, "operator", factory=factory),
        "hw2": create_user("hw02", "话务员小赵", PASSWORD, "operator", factory=factory),
        "boss": create_user("boss", "科长", PASSWORD, "supervisor", factory=factory),
        "jia": create_user("jia", "甲镇小张", PASSWORD, "intake", "甲镇", factory=factory),
    }


@pytest.fixture
def call_id(factory: sessionmaker) -> str:
    call_id = f"call-{next(_calls)}"
    calls.start_call(call_id, "hw01", BASE, nonce(), factory=factory)
    return call_id


def say(factory: sessionmaker, call_id: str, text: str, seconds: int, speaker: str = "caller",
        utterance_id: str | None = None) -> calls.Stored:
    at = BASE + dt.timedelta(seconds=seconds)
    return calls.add_utterance(call_id, "hw01", speaker, text, at, nonce(), utterance_id, factory=factory)


def texts(factory: sessionmaker, call_id: str) -> list[str]:
    return [line.text for line in calls.transcript(call_id, factory=factory)]


def test_a_call_from_start_to_end(factory: sessionmaker) -> None:
    call, created = calls.start_call("c-1", "hw01", utcnow(), nonce(), "13700001111", factory=factory)
    assert created and call.status == "active"
    again, created = calls.start_call("c-1", "hw01", utcnow(), nonce(), factory=factory)
    assert not created and again.pk == call.pk
    stored = calls.add_utterance("c-1", "hw01", "caller", "你好", utcnow(), nonce(), factory=factory)
    assert stored.revision == 1 and texts(factory, "c-1") == ["你好"]
    ended, now = calls.end_call("c-1", "hw01", utcnow(), nonce(), factory=factory)
    assert now and ended.status == "ended"
    assert calls.end_call("c-1", "hw01", utcnow(), nonce(), factory=factory)[1] is False
    with pytest.raises(Conflict):
        calls.add_utterance("c-1", "hw01", "caller", "还有一句", utcnow(), nonce(), factory=factory)
    with pytest.raises(Conflict):
        calls.start_call("c-1", "hw01", utcnow(), nonce(), factory=factory)


def test_unknown_calls_and_other_operators_are_refused(factory: sessionmaker, call_id: str) -> None:
    with pytest.raises(UnknownCall):
        calls.add_utterance("no-such-call", "hw01", "caller", "你好", utcnow(), nonce(), factory=factory)
    with pytest.raises(Conflict):
        calls.add_utterance(call_id, "hw02", "caller", "你好", utcnow(), nonce(), factory=factory)
    with pytest.raises(InvalidField):  # before the call started
        calls.add_utterance(call_id, "hw01", "caller", "你好", BASE - dt.timedelta(hours=1), nonce(),
                            factory=factory)


def test_a_replayed_nonce_is_refused_and_nothing_changes(factory: sessionmaker, call_id: str) -> None:
    used = nonce()
    calls.add_utterance(call_id, "hw01", "caller", "第一句", BASE, used, factory=factory)
    with pytest.raises(Replayed):
        calls.add_utterance(call_id, "hw01", "caller", "第二句", utcnow(), used, factory=factory)
    say(factory, call_id, "第三句", 200)
    assert texts(factory, call_id) == ["第一句", "第三句"]


def test_a_refused_request_does_not_use_up_its_nonce(factory: sessionmaker) -> None:
    kept = nonce()
    with pytest.raises(UnknownCall):
        calls.add_utterance("not-started", "hw01", "caller", "你好", utcnow(), kept, factory=factory)
    calls.start_call("not-started", "hw01", utcnow() - dt.timedelta(seconds=5), kept, factory=factory)


def test_a_retried_utterance_is_stored_once(factory: sessionmaker, call_id: str) -> None:
    first = say(factory, call_id, "我想问低保", 10, utterance_id="u-1")
    retry = say(factory, call_id, "我想问低保", 10, utterance_id="u-1")
    assert retry.duplicate and retry.revision == first.revision == 1
    same = say(factory, call_id, "家里三口人", 20)
    again = say(factory, call_id, "家里三口人", 20)  # no id: same speaker, time and text
    assert again.duplicate and texts(factory, call_id) == ["我想问低保", "家里三口人"]
    assert same.revision == 2


def test_a_late_utterance_is_placed_by_its_time(factory: sessionmaker, call_id: str) -> None:
    say(factory, call_id, "第一句", 10)
    say(factory, call_id, "第三句", 30)
    late = say(factory, call_id, "第二句", 20)
    assert late.late and texts(factory, call_id) == ["第一句", "第二句", "第三句"]


def count_lines(lines: list, _number: str | None) -> dict:
    return {"lines": [line.text for line in lines]}


def broken(_lines: list, _number: str | None) -> dict:
    raise RuntimeError("a bug in the suggestions")


def test_the_suggestions_stored_are_those_of_the_newest_transcript(factory: sessionmaker, call_id: str) -> None:
    at = BASE + dt.timedelta(seconds=10)
    first = calls.add_utterance(call_id, "hw01", "caller", "第一句", at, nonce(), assess=count_lines, factory=factory)
    assert first.state == {"lines": ["第一句"]}
    kept = calls.add_utterance(call_id, "hw01", "caller", "第二句", at + dt.timedelta(seconds=1), nonce(),
                               assess=broken, factory=factory)
    assert kept.revision == 2 and kept.state == {"lines": ["第一句"]}  # the utterance is kept
    retried = calls.add_utterance(call_id, "hw01", "caller", "第二句", at + dt.timedelta(seconds=1), nonce(),
                                  assess=count_lines, factory=factory)
    assert retried.duplicate and retried.state == {"lines": ["第一句", "第二句"]}
    assert calls.current_state(call_id, factory=factory)[1] == {"lines": ["第一句", "第二句"]}


def test_the_suggestions_are_computed_before_the_utterances_transaction_opens(
        factory: sessionmaker, call_id: str) -> None:
    """Computing them must not hold the call's row: here they lock it themselves (at once, or fail)."""
    def needs_the_call_row(lines: list, _number: str | None) -> dict:
        with transaction(factory) as session:
            session.execute(select(HotlineCall.version).where(HotlineCall.call_id == call_id)
                            .with_for_update(nowait=True)).one()
        return {"lines": [line.text for line in lines]}

    stored = calls.add_utterance(call_id, "hw01", "caller", "家里着火了", BASE + dt.timedelta(seconds=5), nonce(),
                                 assess=needs_the_call_row, factory=factory)
    assert stored.state == {"lines": ["家里着火了"]} and stored.state_revision == stored.revision == 1


def test_an_utterance_reads_the_transcript_once_and_not_the_stored_suggestions(
        factory: sessionmaker, call_id: str) -> None:
    """Speed (issue 14): the transcript is read once per utterance (for the suggestions, before the
    write), not again inside the write transaction; the stored suggestions (encrypted JSON) are
    not read when new ones replace them."""
    say(factory, call_id, "第一句", 10)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    engine = factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        stored = calls.add_utterance(call_id, "hw01", "caller", "第二句", BASE + dt.timedelta(seconds=20), nonce(),
                                     assess=count_lines, factory=factory)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert stored.state == {"lines": ["第一句", "第二句"]}
    transcript_reads = [s for s in statements if s.startswith("SELECT hotline_utterances.speaker, hotline_utterances.text")]
    assert len(transcript_reads) == 1, statements
    assert not [s for s in statements if s.startswith("SELECT") and "hotline_calls.state," in s + ","], statements


class CountedSuggestions:
    """Suggestions from the caller's words (in the light of the operator's questions), counting
    how often they are computed; `content` as bot.web.hotline_api.Suggest has it."""

    def __init__(self) -> None:
        self.computed = 0

    @staticmethod
    def content(lines: list, number: str | None) -> tuple:
        return number, assist.heard_lines(lines)

    def __call__(self, lines: list, number: str | None) -> dict:
        self.computed += 1
        return {"heard": [[text, list(asked)] for text, asked in self.content(lines, number)[1]]}


def test_an_operators_question_at_the_end_keeps_the_stored_suggestions(factory: sessionmaker, call_id: str) -> None:
    """Speed (issue 14): an operator's utterance at the end changes nothing the suggestions are
    computed from (it counts through the caller's answer), so they are neither computed nor
    written again; the call is up to date at the new revision. A late operator's question placed
    before a caller's answer changes how the answer is read: computed again."""
    suggest = CountedSuggestions()

    def utter(speaker: str, text: str, seconds: int) -> calls.Stored:
        return calls.add_utterance(call_id, "hw01", speaker, text, BASE + dt.timedelta(seconds=seconds), nonce(),
                                   assess=suggest, factory=factory)

    first = utter("caller", "我想问低保", 10)
    assert suggest.computed == 1 and first.state == {"heard": [["我想问低保", []]]}
    question = utter("operator", "您家里几口人？", 20)
    assert suggest.computed == 1  # not computed again
    assert question.revision == question.state_revision == 2 and question.state == first.state
    answer = utter("caller", "三口人", 30)
    assert suggest.computed == 2 and answer.state_revision == 3
    asked = assist.heard_lines([assist.Line("operator", "您家里几口人？", BASE)])  # () : only caller lines count
    assert asked == ()
    late = utter("operator", "您是哪个区的？", 25)  # said before the answer, arrives after it
    assert late.late and suggest.computed == 3 and late.state_revision == late.revision == 4
    assert calls.current_state(call_id, factory=factory)[1] == late.state


def test_a_decided_calls_suggestions_stay_as_they_were(factory: sessionmaker, call_id: str) -> None:
    at = BASE + dt.timedelta(seconds=10)
    calls.add_utterance(call_id, "hw01", "caller", "第一句", at, nonce(), assess=count_lines, factory=factory)
    operator = StaffUser(id=None, username="hw01", role="operator", display_name="话务员", active=True)
    calls.mark_answered(call_id, operator, "已解答", factory=factory)
    later = calls.add_utterance(call_id, "hw01", "caller", "第二句", at + dt.timedelta(seconds=1), nonce(),
                                assess=count_lines, factory=factory)
    assert later.revision == 2 and later.state == {"lines": ["第一句"]}


def test_twenty_writers_on_one_call_lose_nothing(factory: sessionmaker, call_id: str) -> None:
    barrier = threading.Barrier(20)

    def speak(index: int) -> int:
        barrier.wait()
        at = BASE + dt.timedelta(seconds=index)
        return calls.add_utterance(call_id, "hw01", "caller", f"第{index}句", at, nonce(), assess=count_lines,
                                   factory=factory).revision

    with ThreadPoolExecutor(max_workers=20) as pool:
        revisions = list(pool.map(speak, range(1, 21)))
    assert sorted(revisions) == list(range(1, 21))
    with transaction(factory) as session:
        seqs = session.scalars(select(HotlineUtterance.seq).join(HotlineUtterance.call)
                               .where(HotlineCall.call_id == call_id)).all()
    assert sorted(seqs) == list(range(1, 21))
    view = calls.call_view(call_id, StaffUser(username="boss", role="supervisor", active=True), factory=factory)
    assert [line["text"] for line in view["lines"]] == [f"第{i}句" for i in range(1, 21)]
    assert view["state"] == {"lines": [f"第{i}句" for i in range(1, 21)]}  # the last one computed saw all


def test_the_same_call_started_twice_at_once_exists_once(factory: sessionmaker) -> None:
    barrier = threading.Barrier(10)

    def start(_index: int) -> bool:
        barrier.wait()
        return calls.start_call("race", "hw01", utcnow(), nonce(), factory=factory)[1]

    with ThreadPoolExecutor(max_workers=10) as pool:
        created = list(pool.map(start, range(10)))
    assert created.count(True) == 1


# ---- the operator's decision ----

ORDER = WorkOrder(caller_name="王秀兰", callback_phone="13912345678", id_number=sample_id_number(3),
                  region="运城市盐湖区", district="解州镇", address="解州镇东街村3组12号", category="apply",
                  programs=("dibao",), urgency="normal", summary="来电人咨询低保申请。")
ANSWERS = {"region": "山西省运城市盐湖区", "household.size": 4, "household.monthly_income": 1000}


def test_a_confirmed_work_order_is_an_application_of_the_call(
        factory: sessionmaker, people: dict[str, StaffUser], call_id: str) -> None:
    with pytest.raises(InvalidField) as refused:
        calls.confirm_application(call_id, people["hw"], ORDER, False, ANSWERS, AS_OF, factory=factory)
    assert refused.value.field == "consent"
    registration = calls.confirm_application(call_id, people["hw"], ORDER, True, ANSWERS, AS_OF, factory=factory)
    again = calls.confirm_application(call_id, people["hw"], ORDER, True, ANSWERS, AS_OF, factory=factory)
    assert again.number == registration.number  # confirmed twice, registered once
    application = get_application(registration.number, factory=factory)
    assert application.channel == "hotline" and application.conversation_id == call_id
    assert application.region == "山西省运城市盐湖区" and application.district == "解州镇"
    assert application.consent is True and application.applicant.mobile == "13912345678"
    assert application.screening["answers"]["household.size"] == 4
    view = calls.call_view(call_id, people["hw"], factory=factory)
    assert view["outcome"] == "application" and view["application_number"] == registration.number
    with transaction(factory) as session:
        assert session.scalar(select(func.count(Application.id))) == 1
    with pytest.raises(Conflict):
        calls.mark_answered(call_id, people["hw"], "", factory=factory)


def test_a_wrong_id_number_is_explained_and_nothing_is_registered(
        factory: sessionmaker, people: dict[str, StaffUser], call_id: str) -> None:
    wrong = WorkOrder(**{**ORDER.__dict__, "id_number": "140802196001010010"})
    with pytest.raises(InvalidField) as refused:
        calls.confirm_application(call_id, people["hw"], wrong, True, ANSWERS, AS_OF, factory=factory)
    assert "身份证" in refused.value.message
    assert calls.call_view(call_id, people["hw"], factory=factory)["outcome"] is None
    with pytest.raises(InvalidField):
        calls.confirm_application(call_id, people["hw"], WorkOrder(**{**ORDER.__dict__, "region": "火星"}), True,
                                  ANSWERS, AS_OF, factory=factory)


def test_a_hand_off_is_a_ticket_for_the_district_that_cannot_be_answered_by_chat(
        factory: sessionmaker, people: dict[str, StaffUser], call_id: str) -> None:
    say(factory, call_id, "我想问问低保 电话一三九 一二三四 五六七八", 10)
    say(factory, call_id, "您的地址是？", 20, speaker="operator")
    with pytest.raises(InvalidField) as unknown:  # no such 乡镇 in the county: checked with the caller first
        calls.hand_off(call_id, people["hw"], WorkOrder(**{**ORDER.__dict__, "district": "甲镇"}), factory=factory)
    assert unknown.value.field == "district" and "乡镇名称已核对" in unknown.value.message
    ticket_id = calls.hand_off(call_id, people["hw"],
                               WorkOrder(**{**ORDER.__dict__, "district": "甲镇", "district_confirmed": True}),
                               factory=factory)
    assert calls.hand_off(call_id, people["hw"], ORDER, factory=factory) == ticket_id
    ticket = tickets.get_ticket(ticket_id, people["jia"], factory=factory)
    assert ticket.channel == "hotline" and ticket.reason == "hotline" and ticket.district == "甲镇"
    assert [line["speaker"] for line in ticket.transcript] == ["resident", "operator"]
    assert "139****5678" in ticket.transcript[0]["text"]  # read out digits written as a number, masked
    assert "回拨电话：139****5678" in ticket.screening_summary and ticket.callback_phone == "13912345678"
    assert "139****5678" in tickets.transcript_preview(ticket)
    with pytest.raises(Conflict):  # the caller is on the phone, not in a chat
        tickets.staff_reply(ticket_id, people["jia"], "您好", factory=factory)
    closed = tickets.hand_back(ticket_id, people["jia"], factory=factory)  # no bot to hand back to
    assert closed.status == "closed"
    assert calls.call_view(call_id, people["hw"], factory=factory)["outcome"] == "ticket"


def test_answered_without_a_ticket(factory: sessionmaker, people: dict[str, StaffUser], call_id: str) -> None:
    calls.mark_answered(call_id, people["hw"], "已告知低保申请流程", factory=factory)
    view = calls.call_view(call_id, people["boss"], factory=factory)
    assert view["outcome"] == "answered" and view["outcome_note"] == "已告知低保申请流程"
    assert view["closed_by"] == "话务员小李"
    with pytest.raises(Conflict):
        calls.hand_off(call_id, people["hw"], ORDER, factory=factory)


def test_only_the_calls_operator_and_supervisors_see_it(
        factory: sessionmaker, people: dict[str, StaffUser], call_id: str) -> None:
    assert calls.call_view(call_id, people["boss"], factory=factory)["call_id"] == call_id
    for other in ("hw2", "jia"):
        with pytest.raises(NotFound):
            calls.call_view(call_id, people[other], factory=factory)
    with pytest.raises(NotFound):
        calls.mark_answered(call_id, people["hw2"], "", factory=factory)
    assert [c.call_id for c in calls.recent_calls(people["hw2"], factory=factory)] == []
    assert call_id in [c.call_id for c in calls.recent_calls(people["boss"], factory=factory)]


def test_the_panel_polls_the_newest_call_of_its_operator(factory: sessionmaker) -> None:
    assert calls.watch("hw01", None, factory=factory) == (0, None, 0)
    before = utcnow() - dt.timedelta(seconds=1)
    calls.start_call("first", "hw01", utcnow(), nonce(), factory=factory)
    calls.start_call("second", "hw01", utcnow(), nonce(), factory=factory)
    pk, newest, version = calls.watch("hw01", None, factory=factory)
    assert newest == "second"
    calls.add_utterance("second", "hw01", "caller", "你好", utcnow(), nonce(), factory=factory)
    assert calls.watch("hw01", None, factory=factory) == (pk, "second", version + 1)
    assert calls.watch(None, "first", factory=factory)[1] == "first"
    changed = calls.changed_since(before, factory=factory)
    assert [(row[1], row[3]) for row in changed][-1] == ("second", version + 1)
    assert calls.changed_since(utcnow() + dt.timedelta(seconds=5), factory=factory) == []
