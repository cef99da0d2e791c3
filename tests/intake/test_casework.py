"""The staff's working aids and the supervisors' figures: 办结 decisions, deadline changes with a
reason, taking a case, internal notes, canned replies, saved filters, ticket links, what is due per
person and 乡镇, sorting by deadline, the audit log look-up and the dashboard's figures.
Every database test runs on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from bot.core.calendar import local_now, utc_start_of
from bot.core.db import transaction
from bot.core.errors import Conflict, Forbidden, InvalidField
from bot.core.models import ACCEPTED, CLOSED, Application, Message, StaffUser
from bot.core.testing import OTHER_SAMPLE_DISTRICT, SAMPLE_DISTRICT
from bot.handoff import tickets
from bot.intake import casework, decision, reports
from bot.intake.registry import (
    ApplicationRequest, due_board, export_csv, get_application, query_applications, register, transition,
)

MakeRequest = Callable[..., ApplicationRequest]
MakeStaff = Callable[..., StaffUser]
SNAPSHOT = {"programs": [{"program": "dibao", "reasons": [
    {"text": "家庭月人均收入低于当地低保标准", "citation": "《山西省社会救助实施办法》第十条"},
    {"text": "家庭财产状况须经核查"}]}]}


@pytest.fixture
def today() -> dt.date:
    return local_now().date()


def newest_message(factory: sessionmaker) -> str:
    with transaction(factory) as session:
        return session.scalars(select(Message.text).order_by(Message.id.desc())).first()


def test_a_decision_is_built_from_the_snapshots_cited_reasons(today: dt.date) -> None:
    keys = [key for key, _reason in decision.snapshot_reasons(SNAPSHOT)]
    assert keys == ["dibao:0", "dibao:1"]
    approved = decision.build("approved", programs=["dibao"], screening=SNAPSHOT, program="dibao", amount="780",
                              start_month=f"{today.year}-12", reason_keys=["dibao:0", "nope"], today=today)
    assert approved["reasons"] == [{"text": "家庭月人均收入低于当地低保标准", "citation": "《山西省社会救助实施办法》第十条"}]
    text = decision.notice("SJ20261202-0001", approved, {"dibao": "最低生活保障"}, None)
    assert text.startswith("您的申请（受理编号 SJ20261202-0001）已办结：经审核，批准最低生活保障，每月780元")
    assert "依据：《山西省社会救助实施办法》第十条" in text
    rejected = decision.build("rejected", programs=["dibao"], screening=SNAPSHOT, program="dibao",
                              reason_keys=[], own_reason="家庭存款超过规定", today=today)
    assert "原因：家庭存款超过规定" in decision.notice("SJ1", rejected, {"dibao": "最低生活保障"}, None)
    for kind, fields, field in [
        ("maybe", {}, "decision"), ("approved", {"program": "tekun"}, "program"),
        ("approved", {"program": "dibao", "amount": "-5"}, "amount"),
        ("approved", {"program": "dibao", "amount": "780", "start_month": "2020-13"}, "start_month"),
        ("rejected", {"program": "dibao"}, "reasons"),
        ("referred", {"own_reason": "因病致贫"}, "referred_to"),
    ]:
        with pytest.raises(InvalidField) as raised:
            decision.build(kind, programs=["dibao"], screening=SNAPSHOT, today=today, **fields)
        assert raised.value.field == field


def test_a_deadline_changes_only_with_a_reason_and_the_resident_is_told(
    factory: sessionmaker, make_staff: MakeStaff, make_request: MakeRequest, today: dt.date
) -> None:
    staff = make_staff()
    case = register(make_request(), today=today, factory=factory)
    accepted = transition(case.application_id, ACCEPTED, staff, expected_version=1, today=today, factory=factory)
    new_due = accepted.due_date + dt.timedelta(days=10)
    with pytest.raises(InvalidField) as raised:
        casework.change_deadline(case.application_id, staff, new_due, "  ", expected_version=2, factory=factory)
    assert raised.value.field == "reason"
    with pytest.raises(InvalidField):
        casework.change_deadline(case.application_id, staff, today - dt.timedelta(days=1), "入户调查",
                                 expected_version=2, factory=factory)
    with pytest.raises(Conflict):
        casework.change_deadline(case.application_id, staff, new_due, "入户调查", expected_version=1, factory=factory)
    changed = casework.change_deadline(case.application_id, staff, new_due, "需入户调查，延长十天",
                                       expected_version=2, factory=factory)
    assert changed.due_date == new_due and changed.version == 3
    told = newest_message(factory)
    assert f"办理时限调整为{new_due.year}年{new_due.month}月{new_due.day}日" in told and "需入户调查" in told
    history = casework.deadline_history(case.application_id, factory=factory)
    assert [(h.old_due, h.new_due) for h in history][-1] == (accepted.due_date, new_due)
    assert history[-1].actor_name == staff.display_name
    with pytest.raises(Forbidden):
        casework.change_deadline(case.application_id, make_staff(district=OTHER_SAMPLE_DISTRICT), new_due,
                                 "x", expected_version=3, factory=factory)


def test_taking_a_case_and_who_it_may_be_assigned_to(
    factory: sessionmaker, make_staff: MakeStaff, make_request: MakeRequest, today: dt.date
) -> None:
    staff, boss = make_staff(name="王芳"), make_staff(role="supervisor", name="张主管")
    elsewhere = make_staff(district=OTHER_SAMPLE_DISTRICT, name="李明")
    case = register(make_request(), today=today, factory=factory)
    taken = casework.take_case(case.application_id, staff, expected_version=1, factory=factory)
    assert taken.assignee_id == staff.id and taken.status == "已登记"
    assert get_application(case.application_id, factory=factory).history[-1].note == "王芳认领，任经办人"
    with pytest.raises(Forbidden):
        casework.take_case(case.application_id, elsewhere, expected_version=2, factory=factory)
    names = [person.display_name for person in casework.assignable_staff(SAMPLE_DISTRICT, factory=factory)]
    assert names == ["王芳", "张主管"] and boss.display_name in names


def test_notes_tickets_and_links(
    factory: sessionmaker, make_staff: MakeStaff, make_request: MakeRequest, today: dt.date
) -> None:
    staff = make_staff(name="王芳")
    case = register(make_request(conversation_id="chat-9"), today=today, factory=factory)
    casework.add_note(staff, "已电话联系，周三入户", application_id=case.application_id, factory=factory)
    with pytest.raises(InvalidField):
        casework.add_note(staff, "   ", application_id=case.application_id, factory=factory)
    assert [n.text for n in casework.notes_for(application_id=case.application_id, factory=factory)] == ["已电话联系，周三入户"]
    same, _ = tickets.open_ticket("chat-9", "web", "requested", [], district=SAMPLE_DISTRICT, factory=factory)
    other, _ = tickets.open_ticket("chat-10", "web", "requested", [], district=SAMPLE_DISTRICT, factory=factory)
    application = get_application(case.application_id, factory=factory)
    assert [t.id for t in casework.tickets_of(application, factory=factory)] == [same.id]
    assert casework.application_for_ticket(same, staff, factory=factory).number == case.number
    assert casework.application_for_ticket(other, staff, factory=factory) is None
    with pytest.raises(InvalidField):
        casework.link_ticket(other.id, staff, "SJ20000101-0001", factory=factory)
    casework.link_ticket(other.id, staff, case.number.lower(), factory=factory)
    assert {t.id for t in casework.tickets_of(application, factory=factory)} == {same.id, other.id}
    casework.add_note(staff, "居民情绪激动，先安抚", ticket_id=other.id, factory=factory)
    assert len(casework.notes_for(ticket_id=other.id, factory=factory)) == 1


def test_unread_resident_messages(factory: sessionmaker, make_staff: MakeStaff) -> None:
    staff = make_staff()
    ticket, _ = tickets.open_ticket("chat-u", "web", "requested", [], district=SAMPLE_DISTRICT, factory=factory)
    message = tickets.record_resident_message("chat-u", "有人吗", "web", ticket.created_at + dt.timedelta(seconds=1),
                                              factory=factory)
    tickets.record_resident_message("chat-u", "急", "web", ticket.created_at + dt.timedelta(seconds=2), factory=factory)
    assert tickets.unread(staff, factory=factory) == {ticket.id: 2}
    assert tickets.unread(make_staff(district=OTHER_SAMPLE_DISTRICT), factory=factory) == {}
    tickets.mark_read(ticket.id, message.id, factory=factory)
    assert tickets.unread(staff, factory=factory) == {ticket.id: 1}


def test_canned_replies_are_kept_by_supervisors(factory: sessionmaker, make_staff: MakeStaff) -> None:
    boss = make_staff(role="supervisor")
    with pytest.raises(Forbidden):
        casework.save_canned_reply(make_staff(), "材料清单", "请带户口簿", factory=factory)
    saved = casework.save_canned_reply(boss, "材料清单", "请带户口簿和身份证到窗口。", factory=factory)
    with pytest.raises(InvalidField):
        casework.save_canned_reply(boss, "材料清单", "重复的标题", factory=factory)
    casework.save_canned_reply(boss, "材料清单", "请带户口簿、身份证和收入证明。", reply_id=saved.id, factory=factory)
    assert [r.text for r in casework.canned_replies(factory=factory)] == ["请带户口簿、身份证和收入证明。"]
    casework.retire_canned_reply(boss, saved.id, factory=factory)
    assert casework.canned_replies(factory=factory) == []
    assert len(casework.canned_replies(active_only=False, factory=factory)) == 1


def test_saved_filters_keep_only_the_lists_fields(factory: sessionmaker, make_staff: MakeStaff) -> None:
    staff, other = make_staff(), make_staff()
    saved = casework.save_filter(staff, "今天到期的低保", "program=dibao&due=today&evil=1&sort=due", factory=factory)
    assert saved.query == "program=dibao&sort=due&due=today"
    casework.save_filter(staff, "今天到期的低保", "program=tekun", factory=factory)  # same name: replaced
    assert [(f.name, f.query) for f in casework.saved_filters(staff, factory=factory)] == [("今天到期的低保", "program=tekun")]
    with pytest.raises(InvalidField):
        casework.save_filter(staff, "空的", "evil=1", factory=factory)
    casework.delete_filter(other, saved.id, factory=factory)  # not theirs: nothing happens
    assert casework.saved_filters(staff, factory=factory)
    casework.delete_filter(staff, saved.id, factory=factory)
    assert casework.saved_filters(staff, factory=factory) == []


def set_due(factory: sessionmaker, application_id: int, due: dt.date, assignee: int | None = None) -> None:
    with transaction(factory) as session:
        session.execute(update(Application).where(Application.id == application_id)
                        .values(due_date=due, assignee_id=assignee))


def test_what_is_due_per_person_and_district_and_sorting_by_deadline(
    factory: sessionmaker, make_staff: MakeStaff, make_request: MakeRequest, today: dt.date
) -> None:
    staff = make_staff(name="王芳")
    boss = make_staff(role="supervisor")
    cases = [register(make_request(), today=today, factory=factory) for _ in range(3)]
    there = register(make_request(district=OTHER_SAMPLE_DISTRICT), today=today, factory=factory)
    set_due(factory, cases[0].application_id, today, staff.id)
    set_due(factory, cases[1].application_id, today - dt.timedelta(days=2), staff.id)
    set_due(factory, cases[2].application_id, today + dt.timedelta(days=5))
    set_due(factory, there.application_id, today - dt.timedelta(days=1))
    board = due_board(boss, today, factory=factory)
    assert [(r["name"], r["today"], r["overdue"]) for r in board["people"]] == [("王芳", 1, 1), ("未分配", 0, 1)]
    assert {r["district"]: (r["today"], r["overdue"]) for r in board["districts"]} == {
        SAMPLE_DISTRICT: (1, 1), OTHER_SAMPLE_DISTRICT: (0, 1)}
    assert due_board(staff, today, factory=factory)["districts"] == [
        {"district": SAMPLE_DISTRICT, "today": 1, "overdue": 1}]
    rows, _ = query_applications(boss, sort="due", factory=factory)
    assert [row.number for row in rows] == [cases[1].number, there.number, cases[0].number, cases[2].number]
    rows, total = query_applications(boss, due="soon", assignee_id=staff.id, factory=factory)
    assert total == 2
    assert query_applications(boss, due="today", factory=factory)[1] == 1


def test_the_audit_log_by_person_case_and_action(
    factory: sessionmaker, make_staff: MakeStaff, make_request: MakeRequest, today: dt.date
) -> None:
    staff = make_staff(name="王芳")
    case = register(make_request(), today=today, factory=factory)
    transition(case.application_id, ACCEPTED, staff, expected_version=1, factory=factory)
    casework.add_note(staff, "备注", application_id=case.application_id, factory=factory)
    rows, total = casework.audit_entries(actor=staff.username, factory=factory)
    assert total == 2 and {row.action for row in rows} == {"transition", "internal_note"}
    rows, total = casework.audit_entries(case=case.number, action="transition", factory=factory)
    assert total == 1 and rows[0].actor_name == "王芳"
    assert casework.audit_entries(actor="没有这个人", factory=factory)[1] == 0
    assert casework.audit_entries(date_from=today + dt.timedelta(days=1), factory=factory)[1] == 0


def test_the_dashboard_figures_by_district_and_staff(
    factory: sessionmaker, make_staff: MakeStaff, make_request: MakeRequest, today: dt.date
) -> None:
    staff, boss = make_staff(name="王芳"), make_staff(role="supervisor")
    cases = [register(make_request(screening=SNAPSHOT), today=today, factory=factory) for _ in range(3)]
    register(make_request(district=OTHER_SAMPLE_DISTRICT, programs=["tekun"]), today=today, factory=factory)
    for case in cases[:2]:
        transition(case.application_id, ACCEPTED, staff, expected_version=1, factory=factory)
    approved = decision.build("approved", programs=["dibao"], screening=SNAPSHOT, program="dibao", amount="780",
                              start_month=f"{today.year}-{today.month:02d}", reason_keys=["dibao:0"], today=today)
    transition(cases[0].application_id, CLOSED, staff, expected_version=2, decision=approved, factory=factory)
    set_due(factory, cases[1].application_id, today - dt.timedelta(days=1), staff.id)
    with transaction(factory) as session:  # registered two days ago
        session.execute(update(Application).where(Application.id == cases[2].application_id)
                        .values(created_at=utc_start_of(today - dt.timedelta(days=2))))
    figures = reports.figures(boss, reports.Range.of(today - dt.timedelta(days=6), today, today), factory=factory)
    assert figures["totals"] == {"new": 4, "accepted": 2, "closed": 1, "overdue": 1,
                                 "median_wait_days": 0.0, "median_handle_days": 0.0}
    here = next(row for row in figures["districts"] if row["district"] == SAMPLE_DISTRICT)
    assert (here["new"], here["accepted"], here["closed"], here["overdue"]) == (3, 2, 1, 1)
    assert figures["staff"] == [{"username": staff.username, "name": "王芳", "accepted": 2, "closed": 1,
                                 "overdue": 1, "median_handle_days": 0.0}]
    assert [day["new"] for day in figures["daily"]][-3:] == [1, 0, 3]
    assert figures["daily"][-1]["overdue"] == 1 and len(figures["daily"]) == 7
    assert {p["key"]: p["count"] for p in figures["programs"]}["tekun"] == 1
    mine = reports.figures(make_staff(district=OTHER_SAMPLE_DISTRICT),
                           reports.Range.of(None, None, today), factory=factory)
    assert mine["totals"]["new"] == 1 and mine["staff"] == []
    csv_text = reports.figures_csv(figures)
    assert csv_text.startswith("\ufeff统计区间") and "王芳" in csv_text and SAMPLE_DISTRICT in csv_text


def test_a_date_range_is_bounded() -> None:
    today = dt.date(2026, 12, 2)
    assert reports.Range.of(None, None, today) == reports.Range(dt.date(2026, 11, 3), today)
    assert reports.Range.of(dt.date(2026, 12, 10), dt.date(2026, 12, 20), today) == reports.Range(today, today)
    assert reports.Range.of(dt.date(2020, 1, 1), None, today).first == today - dt.timedelta(days=365)


def test_the_export_keeps_the_assignee_after_a_transfer_and_shows_the_decision(
    factory: sessionmaker, make_staff: MakeStaff, make_request: MakeRequest, today: dt.date
) -> None:
    staff, boss = make_staff(name="王芳"), make_staff(role="supervisor")
    moved = register(make_request(), today=today, factory=factory)
    transition(moved.application_id, ACCEPTED, staff, expected_version=1, factory=factory)
    transition(moved.application_id, "转办", staff, expected_version=2, department="县民政局", note="需县里核对",
               factory=factory)
    closed = register(make_request(screening=SNAPSHOT), today=today, factory=factory)
    transition(closed.application_id, ACCEPTED, staff, expected_version=1, factory=factory)
    transition(closed.application_id, CLOSED, staff, expected_version=2, factory=factory, decision=decision.build(
        "rejected", programs=["dibao"], screening=SNAPSHOT, program="dibao", own_reason="家庭存款超标", today=today))
    rows = {row["受理编号"]: row for row in csv.DictReader(io.StringIO(export_csv(boss, factory=factory).lstrip("\ufeff")))}
    assert rows[moved.number]["经办人"] == "王芳" and rows[moved.number]["承办部门"] == "县民政局"
    assert rows[closed.number]["办结决定"] == "不予批准 最低生活保障（低保）"
