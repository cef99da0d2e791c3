"""Staff moving applications through the workflow: every allowed step, refusals, the optimistic
lock, district scoping, and what is recorded. Every test runs on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.intake import registry
from bot.core.db import transaction
from bot.core.models import (
    ACCEPTED,
    ASSIGNED,
    CLOSED,
    REGISTERED,
    REJECTED,
    RETURNED,
    TRANSFERRED,
    Application,
    AuditEntry,
    DeadlineChange,
    Message,
    StaffUser,
)
from bot.intake.registry import (
    ApplicationRequest,
    Conflict,
    Forbidden,
    IllegalTransition,
    InvalidField,
    NotFound,
    register,
    transition,
)
from bot.core.testing import OTHER_SAMPLE_DISTRICT as OTHER_DISTRICT
from bot.core.testing import SAMPLE_DISTRICT as DISTRICT
from bot.intake.deadlines import due_date
from bot.intake.workflow import ALLOWED

TODAY = dt.date(2025, 10, 9)
# How to reach each status from 已登记.
PATHS = {
    REGISTERED: [],
    ACCEPTED: [ACCEPTED],
    ASSIGNED: [ACCEPTED, ASSIGNED],
    TRANSFERRED: [ACCEPTED, TRANSFERRED],
    RETURNED: [RETURNED],
}
ALLOWED_PAIRS = [(a, b) for a, targets in ALLOWED.items() for b in targets]


def step_arguments(to_status: str, assignee: StaffUser) -> dict[str, Any]:
    """What each step needs (transfers stay inside the district so the same staff can go on)."""
    return {
        ASSIGNED: {"assignee_id": assignee.id},
        TRANSFERRED: {"department": "县民政局", "note": "需要县民政局核对"},
        RETURNED: {"note": "请补充户口簿复印件"},
        REJECTED: {"note": "不属于本辖区"},
        CLOSED: {"note": "请按时领取", "decision": APPROVED},
    }.get(to_status, {})


APPROVED = {"kind": "approved", "program": "dibao", "amount": 780.0, "start_month": "2025-11",
            "reasons": [{"text": "家庭人均收入低于当地低保标准", "citation": "《宁夏回族自治区最低生活保障办法》第七条"}]}


def move(application_id: int, to_status: str, actor: StaffUser, assignee: StaffUser,
         factory: sessionmaker) -> Application:
    current = registry.get_application(application_id, factory=factory)
    return transition(application_id, to_status, actor, expected_version=current.version, today=TODAY,
                      factory=factory, **step_arguments(to_status, assignee))


@pytest.fixture
def application_id(factory: sessionmaker, make_request: Callable[..., ApplicationRequest]) -> int:
    return register(make_request(), today=TODAY, factory=factory).application_id


@pytest.mark.parametrize("from_status, to_status", ALLOWED_PAIRS)
def test_every_allowed_transition(
    factory: sessionmaker, make_staff: Callable[..., StaffUser], application_id: int,
    from_status: str, to_status: str,
) -> None:
    staff, boss = make_staff(), make_staff("supervisor", name="王主管")
    for step in PATHS[from_status]:
        move(application_id, step, boss, staff, factory)
    before = registry.get_application(application_id, factory=factory)
    assert before.status == from_status
    after = move(application_id, to_status, boss, staff, factory)
    assert after.status == to_status and after.version == before.version + 1
    last = after.history[-1]
    assert (last.from_status, last.to_status, last.actor_id, last.actor_name) == (
        from_status, to_status, boss.id, boss.display_name)
    note = step_arguments(to_status, staff).get("note")
    assert last.note == (f"批准 最低生活保障（低保） 每月780元 自2025-11；{note}" if to_status == CLOSED else note)
    assert (after.due_date is None) == (to_status in (CLOSED, REJECTED))
    if to_status in (ASSIGNED, TRANSFERRED):
        assert after.due_date == before.due_date  # the date the resident was told stands


@pytest.mark.parametrize("path, to_status", [
    ([], ASSIGNED), ([], CLOSED), ([], TRANSFERRED), ([ACCEPTED], REGISTERED),
    ([ACCEPTED, TRANSFERRED], ASSIGNED), ([RETURNED], ASSIGNED), ([REJECTED], ACCEPTED),
    ([ACCEPTED, CLOSED], ACCEPTED), ([ACCEPTED, CLOSED], RETURNED),
])
def test_illegal_transitions_are_refused(
    factory: sessionmaker, make_staff: Callable[..., StaffUser], application_id: int,
    path: list[str], to_status: str,
) -> None:
    staff, boss = make_staff(), make_staff("supervisor", name="王主管")
    for step in path:
        move(application_id, step, boss, staff, factory)
    before = registry.get_application(application_id, factory=factory)
    with pytest.raises(IllegalTransition) as raised:
        move(application_id, to_status, boss, staff, factory)
    assert before.status in raised.value.message
    after = registry.get_application(application_id, factory=factory)
    assert (after.status, after.version, len(after.history)) == (before.status, before.version, len(before.history))


def test_requirements_are_checked(factory: sessionmaker, make_staff: Callable[..., StaffUser], application_id: int) -> None:
    staff = make_staff()
    with pytest.raises(InvalidField) as raised:
        transition(application_id, REJECTED, staff, expected_version=1, factory=factory)
    assert raised.value.field == "note"
    transition(application_id, ACCEPTED, staff, expected_version=1, factory=factory)
    with pytest.raises(Forbidden):  # 分办 is a supervisor's step
        transition(application_id, ASSIGNED, staff, expected_version=2, assignee_id=staff.id, factory=factory)
    boss = make_staff("supervisor", name="王主管")
    with pytest.raises(InvalidField) as raised:
        transition(application_id, ASSIGNED, boss, expected_version=2, factory=factory)
    assert raised.value.field == "assignee_id"
    other = make_staff(district=OTHER_DISTRICT)
    with pytest.raises(InvalidField) as raised:
        transition(application_id, ASSIGNED, boss, expected_version=2, assignee_id=other.id, factory=factory)
    assert "不属于" in raised.value.message
    with pytest.raises(InvalidField):
        transition(application_id, ASSIGNED, boss, expected_version=2, assignee_id=9999, factory=factory)
    assert registry.get_application(application_id, factory=factory).version == 2


def test_stale_version_is_a_conflict(factory: sessionmaker, make_staff: Callable[..., StaffUser], application_id: int) -> None:
    first, second = make_staff(name="甲"), make_staff(name="乙")
    transition(application_id, ACCEPTED, first, expected_version=1, factory=factory)
    with pytest.raises(Conflict) as raised:
        transition(application_id, RETURNED, second, expected_version=1, note="补材料", factory=factory)
    assert raised.value.message == "该申请已被其他工作人员处理（当前状态：已受理），请刷新后再操作。"


def test_two_staff_accepting_at_once_one_wins(
    factory: sessionmaker, make_staff: Callable[..., StaffUser], application_id: int,
    monkeypatch: pytest.MonkeyPatch, db_url: str,
) -> None:
    staff = [make_staff(name="甲"), make_staff(name="乙")]
    if db_url.startswith("postgresql"):
        # Both read version 1 and pass every check before either writes: the UPDATE's
        # version condition alone decides. (SQLite's write lock already orders the transactions.)
        both_checked = threading.Barrier(2, timeout=10)
        check = registry.check_requirements

        def check_then_wait(*args: Any, **kwargs: Any) -> Any:
            result = check(*args, **kwargs)
            both_checked.wait()
            return result

        monkeypatch.setattr(registry, "check_requirements", check_then_wait)
    start = threading.Barrier(2)

    def accept(user: StaffUser) -> str:
        start.wait()
        try:
            transition(application_id, ACCEPTED, user, expected_version=1, factory=factory)
            return "won"
        except Conflict as conflict:
            return conflict.message

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(accept, staff))
    assert sorted(outcomes) == ["won", "该申请已被其他工作人员处理（当前状态：已受理），请刷新后再操作。"]
    application = registry.get_application(application_id, factory=factory)
    assert application.version == 2 and [c.to_status for c in application.history] == [REGISTERED, ACCEPTED]


def test_another_districts_intake_staff_is_forbidden(
    factory: sessionmaker, make_staff: Callable[..., StaffUser], application_id: int
) -> None:
    outsider = make_staff(district=OTHER_DISTRICT)
    with pytest.raises(Forbidden):
        transition(application_id, ACCEPTED, outsider, expected_version=1, factory=factory)
    application = registry.get_application(application_id, factory=factory)
    assert not registry.can_view(outsider, application)
    assert registry.can_view(make_staff(), application)
    assert registry.can_view(make_staff(role="supervisor"), application)
    assert registry.can_view(make_staff(role="admin"), application)
    assert application.status == REGISTERED


def test_unknown_application(factory: sessionmaker, make_staff: Callable[..., StaffUser]) -> None:
    with pytest.raises(NotFound):
        transition(12345, ACCEPTED, make_staff(), expected_version=1, factory=factory)


def test_transfer_to_another_district_keeps_the_link(
    factory: sessionmaker, make_staff: Callable[..., StaffUser], application_id: int
) -> None:
    staff, supervisor = make_staff(), make_staff(role="supervisor")
    move(application_id, ACCEPTED, staff, staff, factory)
    move(application_id, ASSIGNED, supervisor, staff, factory)
    moved = transition(application_id, TRANSFERRED, staff, expected_version=3, target_district=OTHER_DISTRICT,
                       note="户籍在城关镇", today=TODAY, factory=factory)
    # The 经办人 stays accountable and the 办理时限 the resident was told stands: no silent change.
    assert (moved.district, moved.transferred_from, moved.assignee_id) == (OTHER_DISTRICT, DISTRICT, staff.id)
    assert moved.due_date == due_date("已受理", ["dibao"], TODAY)
    with transaction(factory) as session:
        notice = session.execute(select(Message.text).order_by(Message.id.desc())).scalars().first()
        changes = session.execute(select(DeadlineChange)).scalars().all()
    assert f"办理时限仍为{moved.due_date.year}年{moved.due_date.month}月{moved.due_date.day}日" in notice
    assert len(changes) == 1 and changes[0].reason.startswith("已受理")  # only the acceptance set a date
    with pytest.raises(Forbidden):  # it left the district
        transition(application_id, ACCEPTED, staff, expected_version=4, factory=factory)
    receiver = make_staff(district=OTHER_DISTRICT)
    received = transition(application_id, ACCEPTED, receiver, expected_version=4, factory=factory)
    assert received.status == ACCEPTED and received.transferred_from == DISTRICT
    assert received.assignee_id == receiver.id  # the receiving district's staff take it over


def test_closing_stores_feedback_notice_and_audit(
    factory: sessionmaker, make_staff: Callable[..., StaffUser], application_id: int
) -> None:
    staff = make_staff()
    move(application_id, ACCEPTED, staff, staff, factory)
    closed = move(application_id, CLOSED, staff, staff, factory)
    assert closed.feedback == "请按时领取" and closed.due_date is None and closed.decision == APPROVED
    with transaction(factory) as session:
        messages = session.execute(select(Message).order_by(Message.id)).scalars().all()
        entries = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
    assert [m.direction for m in messages] == ["out", "out"]
    assert all(m.delivered_at is None and m.author_name == "系统" and m.channel == "web" for m in messages)
    assert all(m.application_id == application_id and m.conversation_id == closed.conversation_id for m in messages)
    assert "已受理" in messages[0].text
    assert messages[1].text.startswith(f"您的申请（受理编号 {closed.number}）已办结：经审核，批准最低生活保障（低保），每月780元，自2025年11月起发放。")
    assert "依据：《宁夏回族自治区最低生活保障办法》第七条" in messages[1].text and "请按时领取" in messages[1].text
    assert all(closed.applicant.mobile not in m.text and closed.applicant.name not in m.text for m in messages)
    assert [(e.action, e.actor_id, e.object_id) for e in entries] == [("transition", staff.id, str(application_id))] * 2
    assert [m.id for m in registry.application_messages(application_id, factory=factory)] == [m.id for m in messages]


def test_assigning_to_a_department(factory: sessionmaker, make_staff: Callable[..., StaffUser], application_id: int) -> None:
    supervisor = make_staff(role="supervisor")
    move(application_id, ACCEPTED, supervisor, supervisor, factory)
    assigned = transition(application_id, ASSIGNED, supervisor, expected_version=2, department="社会救助股",
                          factory=factory)
    assert (assigned.assignee_id, assigned.department) == (None, "社会救助股")
    reassigned = transition(application_id, ASSIGNED, supervisor, expected_version=3,
                            assignee_id=make_staff(name="王经办").id, factory=factory)
    assert reassigned.assignee.display_name == "王经办" and reassigned.department is None
