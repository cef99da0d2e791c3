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
# The steps that need a note, with the key of what to say when it is missing (casework.transition_errors).
NOTE_REQUIRED = {TRANSFERRED: "transferred", RETURNED: "returned", REJECTED: "rejected"}


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
        raise InvalidField("note", replies.text("casework.transition_errors.note_long", max=MAX_NOTE_CHARS))
    if to_status == ASSIGNED and assignee_id is None and not _text(department):
        raise InvalidField("assignee_id", replies.text("casework.transition_errors.assign_needs_assignee"))
    if to_status == TRANSFERRED and not (_text(target_district) or _text(department)):
        raise InvalidField("target", replies.text("casework.transition_errors.transfer_needs_target"))
    if to_status == CLOSED and decision is None:
        raise InvalidField("decision", replies.text("casework.errors.decision_kind"))
    if to_status in NOTE_REQUIRED and cleaned is None:
        raise InvalidField("note", replies.text(f"casework.transition_errors.{NOTE_REQUIRED[to_status]}"))
    return cleaned


def _text(value: str | None) -> bool:
    return bool(value and value.strip())


def resident_notice(application: Application, change: StatusChange) -> str:
    """What the resident is told about a status change: the 受理编号 and the step, no personal data."""
    number = application.number
    due = _due_clause(application.due_date) or replies.text("casework.notice.soon")
    note = redact(change.note or "").rstrip("。")
    status = change.to_status
    say = replies.text
    if status == REGISTERED:
        return say("casework.notice.registered", number=number, due=due)
    if status == ACCEPTED:
        return say("casework.notice.accepted", number=number, due=due)
    if status == ASSIGNED:
        return say("casework.notice.assigned", number=number)
    if status == TRANSFERRED:
        where = application.department or application.district
        if application.due_date:
            return say("casework.deadline.kept_on_transfer", number=number, where=where,
                       due=replies.date_text(application.due_date))
        return say("casework.notice.transferred", number=number, where=where)
    if status == RETURNED:
        return say("casework.notice.returned", number=number, note=note, due=due)
    if status == REJECTED:
        return say("casework.notice.rejected", number=number, note=note)
    return say("casework.notice.closed", number=number, note=note)


def _due_clause(due: dt.date | None) -> str:
    return replies.text("casework.notice.due", date=replies.date_text(due)) if due else ""
