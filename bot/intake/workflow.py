"""The status workflow of an application: allowed transitions, what each needs, what the resident is told."""
from __future__ import annotations

import datetime as dt

from bot import replies
from bot.core.errors import InvalidField
from bot.core.privacy import redact
from bot.core.models import (
    ACCEPTED,
    ASSIGNED,
    CLOSED,
    REGISTERED,
    REJECTED,
    RETURNED,
    TRANSFERRED,
    Application,
    StatusChange,
)

ALLOWED: dict[str, tuple[str, ...]] = {
    REGISTERED: (ACCEPTED, RETURNED, REJECTED),
    ACCEPTED: (ASSIGNED, TRANSFERRED, RETURNED, CLOSED, REJECTED),
    ASSIGNED: (ASSIGNED, TRANSFERRED, RETURNED, CLOSED),  # 分办 again: reassign
    TRANSFERRED: (ACCEPTED, CLOSED),  # 已受理: received by the new district or department
    RETURNED: (ACCEPTED, REJECTED, CLOSED),  # 已受理: the documents were supplied
    CLOSED: (),
    REJECTED: (),
}
FINAL_STATUSES = frozenset(status for status, targets in ALLOWED.items() if not targets)

# The button that moves an application into each status.
ACTION_LABELS: dict[str, str] = {
    ACCEPTED: "受理",
    ASSIGNED: "分办",
    TRANSFERRED: "转办",
    RETURNED: "退回补充材料",
    REJECTED: "不予受理",
    CLOSED: "办结",
}

MAX_NOTE_CHARS = 1000
NOTE_REQUIRED = {
    TRANSFERRED: "请填写转办原因。",
    RETURNED: "请写明需要居民补充哪些材料。",
    REJECTED: "请填写不予受理的原因，该原因会告知居民。",
}


def allowed_transitions(status: str) -> tuple[str, ...]:
    return ALLOWED.get(status, ())


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


def check_requirements(
    to_status: str,
    *,
    note: str | None = None,
    assignee_id: int | None = None,
    department: str | None = None,
    target_district: str | None = None,
    decision: dict | None = None,
) -> str | None:
    """The cleaned note; InvalidField when the target status needs something that is missing."""
    cleaned = (note or "").strip() or None
    if cleaned is not None and len(cleaned) > MAX_NOTE_CHARS:
        raise InvalidField("note", f"备注不能超过{MAX_NOTE_CHARS}字。")
    if to_status == ASSIGNED and assignee_id is None and not _text(department):
        raise InvalidField("assignee_id", "分办需要选择经办人或承办部门。")
    if to_status == TRANSFERRED and not (_text(target_district) or _text(department)):
        raise InvalidField("target", "转办需要填写转往的乡镇（街道）或部门。")
    if to_status == CLOSED and decision is None:
        raise InvalidField("decision", replies.text("casework.errors.decision_kind"))
    if to_status in NOTE_REQUIRED and cleaned is None:
        raise InvalidField("note", NOTE_REQUIRED[to_status])
    return cleaned


def _text(value: str | None) -> bool:
    return bool(value and value.strip())


def resident_notice(application: Application, change: StatusChange) -> str:
    """What the resident is told about a status change: the 受理编号 and the step, no personal data."""
    number = application.number
    due = _due_clause(application.due_date)
    note = redact(change.note or "").rstrip("。")
    status = change.to_status
    if status == REGISTERED:
        return f"您的申请已登记，受理编号 {number}。工作人员会{due or '尽快'}受理，请留意消息。"
    if status == ACCEPTED:
        return f"您的申请（受理编号 {number}）已受理，工作人员会{due or '尽快'}办理。"
    if status == ASSIGNED:
        return f"您的申请（受理编号 {number}）已交给经办人员办理。"
    if status == TRANSFERRED:
        where = application.department or application.district
        if application.due_date:
            return replies.text("casework.deadline.kept_on_transfer", number=number, where=where,
                                due=f"{application.due_date.year}年{application.due_date.month}月{application.due_date.day}日")
        return f"您的申请（受理编号 {number}）已转交{where}办理，受理编号不变。"
    if status == RETURNED:
        return (f"您的申请（受理编号 {number}）需要补充材料：{note}。"
                f"请{due or '尽快'}把材料交到乡镇（街道）社会救助窗口。")
    if status == REJECTED:
        return (f"您的申请（受理编号 {number}）不予受理，原因：{note}。"
                "如有疑问，可以向乡镇（街道）社会救助窗口咨询，或拨打12345热线。")
    return f"您的申请（受理编号 {number}）已办结：{note}。"


def _due_clause(due: dt.date | None) -> str:
    return f"在{due.year}年{due.month}月{due.day}日前" if due else ""
