"""The intake registry (一门受理): register applications, move them through the workflow, list them.

Every write is one transaction. 受理编号 come from a per-day counter row that each registration
increments first: the row lock (PostgreSQL) or the write lock (SQLite, BEGIN IMMEDIATE) orders
concurrent registrations, so numbers never repeat and the duplicate checks that follow see every
registration committed before.
"""
from __future__ import annotations

import csv
import datetime as dt
import hmac
import io
import logging
import re
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from sqlalchemy import Text, case, cast, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker
from sqlalchemy.sql import ColumnElement, false

from bot.eligibility.engine import PROGRAMS
from bot.core.params import whole_number
from bot.core.calendar import local_now, to_local, utc_start_of
from bot.core.db import reading, session_factory, transaction, utcnow
from bot.intake.deadlines import due_date
from bot.core import limits
from bot.core.errors import (
    Conflict, Forbidden, IllegalTransition, IntakeError, InvalidField, NotFound, TooManyAttempts,
)
from bot.core.privacy import (
    find_id_number,
    find_mobile,
    lookup_digests,
    mask_id_number,
    mask_mobile,
    mask_name,
    number_digits,
    redact,
    validate_address,
    validate_id_number,
    validate_mobile,
    validate_name,
)
from bot.core.models import (
    ACCEPTED,
    ASSIGNED,
    CHANNELS,
    CLOSED,
    REGISTERED,
    REJECTED,
    TRANSFERRED,
    Applicant,
    Application,
    AuditEntry,
    DailySequence,
    DeadlineChange,
    Message,
    StaffUser,
    StatusChange,
)
from bot.intake.decision import notice as decision_notice, summary as decision_summary
from bot.intake.workflow import FINAL_STATUSES, allowed_transitions, check_requirements, resident_notice
from bot import replies

__all__ = [
    "IntakeError", "InvalidField", "NotFound", "Forbidden", "IllegalTransition", "Conflict",
    "ApplicationRequest", "Registration", "register", "normalize_number", "get_application",
    "application_messages", "resident_status", "can_view", "transition", "query_applications",
    "overdue_count", "due_board", "export_csv", "audit", "PROGRAM_NAMES", "CHANNEL_NAMES",
]

log = logging.getLogger(__name__)

PROGRAM_NAMES: dict[str, str] = {key: name for key, name, _rule in PROGRAMS}
CHANNEL_NAMES: dict[str, str] = {"wechat": "微信", "hotline": "12345热线", "web": "网页"}
ALL_DISTRICTS_ROLES = ("supervisor", "admin")
NUMBER_PREFIX = "SJ"
_NUMBER_IN_TEXT = re.compile(rf"(?<![A-Z0-9]){NUMBER_PREFIX}(\d{{8}})(\d{{4,5}})(?!\d)")
RESIDENT = "居民"
# Wrong status look-ups allowed per client (the resident's conversation) and day. Counted per
# client, never per 受理编号: a stranger's wrong guesses never lock the owner out of their number.
STATUS_LOOKUPS = limits.Limit("status_client", 5, dt.timedelta(days=1))
# The same per network address (the chat page's conversations are free to open, so a prober
# opening one conversation after another is still counted where it comes from).
STATUS_LOOKUPS_ADDRESS = limits.Limit("status_address", 20, dt.timedelta(days=1))
STATUS_GUESS = "status_guess_failed"
SYSTEM = "系统"
MAX_PER_PAGE = 500


@dataclass
class ApplicationRequest:
    channel: str  # one of CHANNELS
    conversation_id: str
    request_key: str  # idempotency key chosen by the caller
    name: str
    mobile: str
    id_number: str
    address: str
    district: str  # 乡镇/街道
    programs: list[str]  # program keys, at least one
    consent: bool  # must be True
    region: Optional[str] = None
    screening: Optional[dict] = None  # snapshot: answers, outcomes, reasons, parameter versions


@dataclass
class Registration:
    number: str
    status: str
    due_date: Optional[dt.date]
    created: bool
    application_id: int
    duplicate_of_open: bool  # an open application of the same person for the same program existed


# ---- registration ----

def validate_request(request: ApplicationRequest) -> ApplicationRequest:
    """The request with every field checked and normalized; InvalidField on the first fault."""
    return ApplicationRequest(
        channel=_channel(request.channel),
        conversation_id=_key("conversation_id", request.conversation_id, 128),
        request_key=_key("request_key", request.request_key, 64),
        name=validate_name(request.name),
        mobile=validate_mobile(request.mobile),
        id_number=validate_id_number(request.id_number),
        address=validate_address(request.address),
        district=_district(request.district),
        programs=_programs(request.programs),
        consent=_consent(request.consent),
        region=(request.region or "").strip()[:64] or None,
        screening=request.screening,
    )


def _channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise InvalidField("channel", replies.text("application.refused.channel"))
    return channel


def _key(field: str, value: str, max_chars: int) -> str:
    value = (value or "").strip()
    if not value or len(value) > max_chars:
        raise InvalidField(field, replies.text("application.refused.incomplete"))
    return value


def _district(text: str) -> str:
    district = " ".join((text or "").split())
    if not 2 <= len(district) <= 64:
        raise InvalidField("district", replies.text("application.refused.district"))
    return district


def _programs(programs: Iterable[str]) -> list[str]:
    keys = list(dict.fromkeys(programs or ()))
    if not keys:
        raise InvalidField("programs", replies.text("application.refused.no_programs"))
    unknown = [key for key in keys if key not in PROGRAM_NAMES]
    if unknown:
        raise InvalidField("programs", replies.text("application.refused.unknown_programs", programs="、".join(unknown)))
    return keys


def _consent(consent: bool) -> bool:
    if consent is not True:
        raise InvalidField("consent", replies.text("application.refused.consent"))
    return True


class _Existing(Exception):
    """Raised inside the registration transaction to roll it back and answer with this instead."""

    def __init__(self, registration: Registration) -> None:
        super().__init__(registration.number)
        self.registration = registration


def register(
    request: ApplicationRequest, *, today: dt.date | None = None, factory: sessionmaker | None = None
) -> Registration:
    """Registers the application once: the same (conversation_id, request_key) gives the same one.

    An open application of the same person (ID number) for one of the same programs is returned
    instead of a new one (created=False, duplicate_of_open=True). Database errors propagate
    (SQLAlchemyError) with nothing written.
    """
    valid = validate_request(request)
    day = today or local_now().date()
    factory = factory or session_factory()
    try:
        with transaction(factory) as session:
            return _register_in(session, valid, day)
    except _Existing as existing:
        return existing.registration
    except IntegrityError:
        # The same request committed meanwhile by a transaction the counter did not order
        # (another day's counter): answer with that one.
        found = _read_same_request(factory, valid)
        if found is None:
            raise
        return found


def _register_in(session: Session, valid: ApplicationRequest, day: dt.date) -> Registration:
    number = _next_number(session, day)  # takes the lock first: what follows sees all before it
    existing = _same_request(session, valid) or _open_duplicate(session, valid.id_number, valid.programs)
    if existing is not None:
        raise _Existing(existing)
    now = utcnow()
    application = Application(
        number=number, channel=valid.channel, conversation_id=valid.conversation_id,
        request_key=valid.request_key, status=REGISTERED, region=valid.region,
        district=valid.district, programs=valid.programs, screening=valid.screening,
        consent=True, consent_at=now, due_date=due_date(REGISTERED, valid.programs, day),
        created_at=now, updated_at=now, version=1,
    )
    session.add(application)
    session.flush()
    _add_applicant(session, application, valid)
    _record_change(session, application, None, REGISTERED, actor=None,
                   note=f"通过{CHANNEL_NAMES[valid.channel]}登记", actor_name=RESIDENT)
    session.flush()
    log.info("registered application %s", number)
    return _registration(application, created=True)


def _next_number(session: Session, day: dt.date) -> str:
    key = day.strftime("%Y%m%d")
    sequence = _bump_sequence(session, key)
    if sequence is None:
        session.execute(_insert_ignoring_conflict(session, key))
        sequence = _bump_sequence(session, key)
    assert sequence is not None
    return f"{NUMBER_PREFIX}{key}-{sequence:04d}"


def _bump_sequence(session: Session, key: str) -> int | None:
    table = DailySequence.__table__
    bumped = session.execute(update(table).where(table.c.day == key).values(last=table.c.last + 1))
    if bumped.rowcount == 0:
        return None
    return session.execute(select(table.c.last).where(table.c.day == key)).scalar_one()


def _insert_ignoring_conflict(session: Session, key: str) -> Any:
    table = DailySequence.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).values(day=key, last=0).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).values(day=key, last=0).on_conflict_do_nothing()
    return insert(table).values(day=key, last=0)


def _same_request(session: Session, valid: ApplicationRequest) -> Registration | None:
    application = session.execute(
        select(Application).where(
            Application.conversation_id == valid.conversation_id,
            Application.request_key == valid.request_key,
        )
    ).scalar_one_or_none()
    return _registration(application, created=False) if application else None


def _read_same_request(factory: sessionmaker, valid: ApplicationRequest) -> Registration | None:
    with transaction(factory) as session:
        return _same_request(session, valid)


def _open_duplicate(session: Session, id_number: str, programs: list[str]) -> Registration | None:
    candidates = session.execute(
        select(Application)
        .join(Applicant, Applicant.application_id == Application.id)
        .where(Applicant.id_digest.in_(lookup_digests("id", id_number)),
               Application.status.notin_(FINAL_STATUSES))
        .order_by(Application.id)
    ).scalars()
    for application in candidates:
        if set(application.programs) & set(programs):
            return _registration(application, created=False, duplicate_of_open=True)
    return None


def _add_applicant(session: Session, application: Application, valid: ApplicationRequest) -> None:
    session.add(Applicant(
        application_id=application.id, name=valid.name, mobile=valid.mobile,
        id_number=valid.id_number, address=valid.address,
    ))
    session.flush()


def _record_change(
    session: Session, application: Application, from_status: str | None, to_status: str, *,
    actor: StaffUser | None, note: str | None, actor_name: str | None = None,
) -> StatusChange:
    change = StatusChange(
        application_id=application.id, from_status=from_status, to_status=to_status,
        actor_id=actor.id if actor else None,
        actor_name=actor_name or (actor.display_name if actor else SYSTEM), note=note,
        created_at=utcnow(),
    )
    session.add(change)
    return change


def _registration(application: Application, *, created: bool, duplicate_of_open: bool = False) -> Registration:
    return Registration(
        number=application.number, status=application.status, due_date=application.due_date,
        created=created, application_id=application.id, duplicate_of_open=duplicate_of_open,
    )


# ---- reading one application ----

def normalize_number(text: str) -> str | None:
    """The 受理编号 in `text` in its stored form (SJ20261123-0007), or None.

    Accepts lower case, full-width characters, spaces and a missing hyphen.
    """
    match = _NUMBER_IN_TEXT.search(number_digits(text or "").upper())
    return f"{NUMBER_PREFIX}{match[1]}-{match[2]}" if match else None


def _detail_options() -> list[Any]:
    return [selectinload(Application.applicant), selectinload(Application.history),
            joinedload(Application.assignee)]


def get_application(number_or_id: str | int, *, factory: sessionmaker | None = None) -> Application:
    """The application with its applicant, history and assignee loaded; NotFound if there is none."""
    row_id = number_or_id if isinstance(number_or_id, int) else whole_number(str(number_or_id))
    if row_id is not None:
        where = Application.id == row_id
    else:
        number = normalize_number(str(number_or_id))
        if number is None:
            raise NotFound()
        where = Application.number == number
    with reading(factory) as session:
        application = session.execute(
            select(Application).where(where).options(*_detail_options())
        ).unique().scalar_one_or_none()
    if application is None:
        raise NotFound()
    return application


def application_messages(application_id: int, *, factory: sessionmaker | None = None) -> list[Message]:
    """Messages about this application (status notices, staff replies), oldest first."""
    with reading(factory) as session:
        return list(session.execute(
            select(Message).where(Message.application_id == application_id).order_by(Message.id)
        ).scalars())


def resident_status(
    number: str, mobile_last4: str, *, client: str | None = None, address: str | None = None,
    factory: sessionmaker | None = None,
) -> dict[str, Any] | None:
    """The status for the resident, only when the 受理编号 and the mobile's last 4 digits both match.

    None otherwise, without saying which part was wrong. `due_date` is an ISO date or None.
    With `client` (who asks: the conversation), the look-up is counted against that client's
    allowance before anything is checked (TooManyAttempts once it is used up); a right answer
    gives its count back, so that only wrong ones add up. `address` (the network address the
    message came from, when the channel knows it) has an allowance of its own, counted the same way.
    """
    normalized, last4 = normalize_number(number), number_digits(mobile_last4 or "")
    if normalized is None or not re.fullmatch(r"[0-9]{4}", last4):
        return None
    allowances = [(limit, who) for limit, who in ((STATUS_LOOKUPS, client), (STATUS_LOOKUPS_ADDRESS, address))
                  if who is not None]
    taken = [(limit, who) for limit, who in allowances if limits.take(limit, who, factory=factory)]
    if len(taken) < len(allowances):
        raise TooManyAttempts(replies.text("application.refused.too_many_lookups"))
    with transaction(factory) as session:
        application = session.execute(
            select(Application).where(Application.number == normalized)
            .options(selectinload(Application.applicant), selectinload(Application.history))
        ).scalar_one_or_none()
    right = (application is not None and application.applicant is not None
             and hmac.compare_digest(application.applicant.mobile[-4:], last4))
    if not right:
        if application is not None:  # kept for the audit log; it locks nobody out
            audit(None, STATUS_GUESS, object_type="application", object_id=application.number, factory=factory)
        return None
    for limit, who in allowances:
        limits.forgive(limit, who, factory=factory)
    return {
        "number": application.number,
        "status": application.status,
        "updated_at": f"{to_local(application.updated_at):%Y-%m-%d %H:%M}",
        "note": resident_notice(application, application.history[-1]),
        "due_date": application.due_date.isoformat() if application.due_date else None,
        "programs": list(application.programs),
    }


# ---- staff actions ----

def can_view(user: StaffUser, application: Application) -> bool:
    """Supervisors and admins see every district; intake staff only their own 乡镇/街道."""
    if user.active is False:
        return False
    if user.role in ALL_DISTRICTS_ROLES:
        return True
    return user.role == "intake" and bool(user.district) and application.district == user.district


def transition(
    application_id: int,
    to_status: str,
    actor: StaffUser,
    *,
    note: str | None = None,
    expected_version: int,
    assignee_id: int | None = None,
    department: str | None = None,
    target_district: str | None = None,
    decision: dict[str, Any] | None = None,
    today: dt.date | None = None,
    factory: sessionmaker | None = None,
) -> Application:
    """Moves the application to `to_status` on behalf of `actor`, if nobody changed it since
    `expected_version`.

    Refusals, in this order: NotFound, Forbidden (another district), Conflict (stale version),
    IllegalTransition, InvalidField (what the step needs; 办结 needs a `decision` built by
    bot.intake.decision). Writes the status change, the resident notice (an undelivered outbound
    Message), a recorded deadline change when the 办理时限 moves, and the audit entry
    "transition" in one transaction. 分办 and 转办 keep the 办理时限 the resident was told and the
    经办人; whoever accepts a case that has no 经办人 of its district becomes it.
    """
    day = today or local_now().date()
    with transaction(factory) as session:
        application = session.get(Application, application_id)
        if application is None:
            raise NotFound()
        if not can_view(actor, application):
            raise Forbidden()
        if to_status == ASSIGNED and actor.role not in ALL_DISTRICTS_ROLES:
            raise Forbidden(replies.text("casework.transition_errors.assign_supervisors_only"))
        if application.version != expected_version:
            raise Conflict.for_status(application.status)
        if to_status not in allowed_transitions(application.status):
            raise IllegalTransition(replies.text("casework.transition_errors.illegal_transition",
                                                 status=application.status, to_status=to_status))
        cleaned = check_requirements(to_status, note=note, assignee_id=assignee_id,
                                     department=department, target_district=target_district,
                                     decision=decision)
        values = _new_values(application, to_status, cleaned, assignee_id, department, target_district, day)
        if to_status == CLOSED:
            values["decision"] = decision
        if to_status == ACCEPTED and _needs_assignee(session, application) and actor.role in ("intake", "supervisor"):
            values["assignee_id"] = actor.id
        if assignee_id is not None:
            _check_assignee(session, assignee_id, values.get("district", application.district))
        from_status, old_due = application.status, application.due_date
        _update_if_current(session, application_id, expected_version, values)
        session.refresh(application)
        change = _record_change(session, application, from_status, to_status, actor=actor,
                                note=_history_note(cleaned, decision))
        if application.due_date != old_due and application.due_date is not None:
            session.add(DeadlineChange(
                application_id=application.id, old_due=old_due, new_due=application.due_date,
                reason=replies.text("casework.deadline.recomputed", status=to_status),
                actor_id=actor.id, actor_name=actor.display_name, created_at=utcnow()))
        _queue_notice(session, application, change, decision)
        session.add(_audit_entry(actor, "transition", object_type="application",
                                 object_id=str(application_id), detail=f"{from_status}→{to_status}"))
    return get_application(application_id, factory=factory)


def _new_values(
    application: Application, to_status: str, note: str | None, assignee_id: int | None,
    department: str | None, target_district: str | None, day: dt.date,
) -> dict[str, Any]:
    values: dict[str, Any] = {"status": to_status}
    if to_status not in KEEPS_DEADLINE or application.due_date is None:
        values["due_date"] = due_date(to_status, application.programs, day)
    department = (department or "").strip() or None
    target_district = " ".join((target_district or "").split()) or None
    if to_status == ASSIGNED:
        values.update(assignee_id=assignee_id, department=department)
    elif to_status == TRANSFERRED:
        values.update(department=department)
        if target_district and target_district != application.district:
            values.update(district=target_district, transferred_from=application.district)
    elif to_status in (CLOSED, REJECTED):
        values["feedback"] = note
    return values


# The same stage of work goes on: the 办理时限 the resident was told stands.
KEEPS_DEADLINE = (ASSIGNED, TRANSFERRED)


def _needs_assignee(session: Session, application: Application) -> bool:
    """No 经办人, or one of another district (the case was transferred here)."""
    if application.assignee_id is None:
        return True
    assignee = session.get(StaffUser, application.assignee_id)
    return assignee is None or (assignee.role == "intake" and assignee.district != application.district)


def _history_note(note: str | None, decision: dict[str, Any] | None) -> str | None:
    if decision is None:
        return note
    line = decision_summary(decision, PROGRAM_NAMES)
    return f"{line}；{note}" if note else line


def _check_assignee(session: Session, assignee_id: int, district: str) -> None:
    assignee = session.get(StaffUser, assignee_id)
    if assignee is None or not assignee.active or assignee.role in ("admin", "operator"):
        raise InvalidField("assignee_id", replies.text("casework.transition_errors.assignee_unknown"))
    if assignee.role == "intake" and assignee.district != district:
        raise InvalidField("assignee_id", replies.text("casework.transition_errors.assignee_elsewhere"))


def _update_if_current(session: Session, application_id: int, expected_version: int, values: dict[str, Any]) -> None:
    """The optimistic lock: only the version the actor saw is updated; otherwise Conflict."""
    table = Application.__table__
    updated = session.execute(
        update(table)
        .where(table.c.id == application_id, table.c.version == expected_version)
        .values(**values, version=expected_version + 1, updated_at=utcnow())
    )
    if updated.rowcount != 1:
        current = session.execute(select(table.c.status).where(table.c.id == application_id)).scalar_one()
        raise Conflict.for_status(current)


def _queue_notice(session: Session, application: Application, change: StatusChange,
                  decision: dict[str, Any] | None = None) -> None:
    if decision is not None:
        text = decision_notice(application.number, decision, PROGRAM_NAMES, application.feedback)
    else:
        text = resident_notice(application, change)
    queue_message(session, application, text)


def queue_message(session: Session, application: Application, text: str) -> None:
    """A notice to the resident through the channel they applied on (sent by the channel's outbox)."""
    session.add(Message(
        application_id=application.id, conversation_id=application.conversation_id,
        direction="out", author_name=SYSTEM, text=text, channel=application.channel, created_at=utcnow(),
    ))


# ---- lists, dashboard, export ----

def _visible_to(user: StaffUser) -> list[ColumnElement]:
    if user.active is False:
        return [false()]
    if user.role in ALL_DISTRICTS_ROLES:
        return []
    if user.role == "intake" and user.district:
        return [Application.district == user.district]
    return [false()]


def _not_final() -> ColumnElement:
    return Application.status.notin_(FINAL_STATUSES)


@dataclass(frozen=True)
class Filters:
    """The list filters of the console: a queue, then optional narrowing."""

    queue: str = "all"  # new (已登记) | mine (assigned to the user) | overdue | all
    status: Optional[str] = None
    program: Optional[str] = None
    date_from: Optional[dt.date] = None  # registered on or after (local date)
    date_to: Optional[dt.date] = None  # registered on or before (local date)
    district: Optional[str] = None
    search: Optional[str] = None  # 受理编号, ID or mobile number (any form), or part of a name
    today: Optional[dt.date] = None  # for "overdue"; local today when None
    due: Optional[str] = None  # today (due today) | overdue | soon (due today or overdue)
    assignee_id: Optional[int] = None
    sort: str = "created"  # created (newest first) | due (earliest 办理时限 first)


def _filters(user: StaffUser, filters: Filters) -> list[ColumnElement]:
    return _visible_to(user) + _queue(user, filters) + _narrowing(filters)


def _queue(user: StaffUser, filters: Filters) -> list[ColumnElement]:
    if filters.queue == "new":
        return [Application.status == REGISTERED]
    if filters.queue == "mine":
        return [Application.assignee_id == user.id]
    if filters.queue == "overdue":
        return [Application.due_date < (filters.today or local_now().date()), _not_final()]
    if filters.queue == "all":
        return []
    raise InvalidField("queue", "没有这个队列。")


def _narrowing(filters: Filters) -> list[ColumnElement]:
    where: list[ColumnElement] = []
    if filters.status:
        where.append(Application.status == filters.status)
    if filters.program:
        where.append(_has_program(filters.program))
    if filters.date_from:
        where.append(Application.created_at >= utc_start_of(filters.date_from))
    if filters.date_to:
        where.append(Application.created_at < utc_start_of(filters.date_to + dt.timedelta(days=1)))
    if filters.district:
        where.append(Application.district == filters.district)
    if filters.search and filters.search.strip():
        where.append(_matches(filters.search.strip()))
    if filters.due in DUE_VIEWS:
        where += _due(filters.due, filters.today or local_now().date())
    if filters.assignee_id is not None:
        where.append(Application.assignee_id == filters.assignee_id)
    return where


DUE_VIEWS = {"today": "今天到期", "overdue": "已超期", "soon": "今天到期或已超期"}


def _due(view: str, today: dt.date) -> list[ColumnElement]:
    if view == "today":
        return [Application.due_date == today, _not_final()]
    if view == "overdue":
        return [Application.due_date < today, _not_final()]
    return [Application.due_date <= today, _not_final()]


def _order(filters: Filters) -> list[Any]:
    if filters.sort == "due":
        if filters.due in DUE_VIEWS:  # every row has a 办理时限: the index gives the order
            return [Application.due_date, Application.id]
        return [Application.due_date.asc().nulls_last(), Application.id]
    return [Application.created_at.desc(), Application.id.desc()]


def _has_program(program: str) -> ColumnElement:
    """`programs` (a JSON list) contains this key: a text match that both databases can run."""
    return cast(Application.programs, Text).like(f'%"{_escape_like(program)}"%', escape="\\")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matches(search: str) -> ColumnElement:
    number = normalize_number(search)
    if number is not None:
        return Application.number == number
    personal = personal_number_match(search)
    if personal is not None:
        return personal
    pattern = f"%{_escape_like(search)}%"
    named = Application.id.in_(select(Applicant.application_id).where(Applicant.name.like(pattern, escape="\\")))
    if not _NUMBER_PART.search(search):
        # A 受理编号 holds only SJ, digits and a hyphen: text without any of them (a name) cannot be
        # part of one, and the OR would make the database read every application.
        return named
    return Application.number.like(pattern.upper(), escape="\\") | named


_NUMBER_PART = re.compile(r"[0-9０-９sSｓＳjJｊＪ-]")


def personal_number_match(search: str) -> ColumnElement | None:
    """The applications of an ID or mobile number typed in any form, matched exactly through the
    keyed HMAC columns (never a clear column); None when the search holds no such number."""
    id_number, mobile = find_id_number(search), find_mobile(search)
    # `id IN (applicants found by the digest's index)`, not a correlated EXISTS: the database
    # looks up the few applicants first instead of testing every application.
    if id_number is not None:
        found = select(Applicant.application_id).where(Applicant.id_digest.in_(lookup_digests("id", id_number)))
    elif mobile is not None:
        found = select(Applicant.application_id).where(
            Applicant.mobile_digest.in_(lookup_digests("mobile", mobile)))
    else:
        return None
    return Application.id.in_(found)


def query_applications(
    user: StaffUser,
    *,
    page: int = 1,
    per_page: int = 50,
    factory: sessionmaker | None = None,
    **filters: Any,
) -> tuple[list[Application], int]:
    """One page of the applications `user` may see (newest first, applicant loaded), and the total.

    `filters` are the fields of Filters (queue, status, program, date_from, date_to, district,
    search, today)."""
    chosen = Filters(**filters)
    where = _filters(user, chosen)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    with reading(factory) as session:
        total = session.execute(select(func.count()).select_from(Application).where(*where)).scalar_one()
        rows = session.execute(
            select(Application).where(*where)
            .options(selectinload(Application.applicant), joinedload(Application.assignee))
            .order_by(*_order(chosen))
            .limit(per_page).offset((max(page, 1) - 1) * per_page)
        ).unique().scalars().all()
    return list(rows), total


def overdue_count(user: StaffUser, today: dt.date | None = None, factory: sessionmaker | None = None) -> int:
    """Open applications past the 办理时限 of their current status."""
    where = _visible_to(user) + [Application.due_date < (today or local_now().date()), _not_final()]
    with reading(factory) as session:
        return session.execute(select(func.count()).select_from(Application).where(*where)).scalar_one()


def due_board(user: StaffUser, today: dt.date | None = None, *,
              factory: sessionmaker | None = None) -> dict[str, list[dict[str, Any]]]:
    """Open applications due today and overdue, per 经办人 and per 乡镇/街道 (the user's scope)."""
    today = today or local_now().date()
    due_today = case((Application.due_date == today, 1), else_=0)
    overdue = case((Application.due_date < today, 1), else_=0)
    where = _visible_to(user) + [_not_final(), Application.due_date <= today]
    with reading(factory) as session:
        people = session.execute(
            select(Application.assignee_id, StaffUser.username, StaffUser.display_name,
                   func.sum(due_today), func.sum(overdue))
            .select_from(Application).outerjoin(StaffUser, StaffUser.id == Application.assignee_id)
            .where(*where).group_by(Application.assignee_id, StaffUser.username, StaffUser.display_name)
        ).all()
        places = session.execute(
            select(Application.district, func.sum(due_today), func.sum(overdue))
            .where(*where).group_by(Application.district)
        ).all()
    return {
        "people": sorted(({"assignee_id": pk, "username": username or "", "name": name or "未分配",
                           "today": int(t or 0), "overdue": int(o or 0)}
                          for pk, username, name, t, o in people), key=lambda r: (-r["overdue"], -r["today"])),
        "districts": sorted(({"district": district, "today": int(t or 0), "overdue": int(o or 0)}
                             for district, t, o in places), key=lambda r: (-r["overdue"], -r["today"])),
    }


CSV_HEADER = ("受理编号", "登记时间", "渠道", "状态", "乡镇（街道）", "申请项目", "姓名", "手机号码",
              "身份证号码", "经办人", "承办部门", "办理时限", "办结决定")


def export_csv(user: StaffUser, *, factory: sessionmaker | None = None, **filters: Any) -> str:
    """Every application of these filters as CSV (UTF-8 with BOM for Excel), personal data masked.

    `filters` as for query_applications. The caller writes the "export_csv" audit entry."""
    where = _filters(user, Filters(**filters))
    with transaction(factory) as session:
        rows = session.execute(
            select(Application).where(*where)
            .options(selectinload(Application.applicant), joinedload(Application.assignee))
            .order_by(Application.created_at.desc(), Application.id.desc())
        ).unique().scalars().all()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(_csv_row(application) for application in rows)
    return "\ufeff" + out.getvalue()


def _csv_row(application: Application) -> list[str]:
    applicant = application.applicant
    return [_cell(value) for value in (
        application.number,
        f"{to_local(application.created_at):%Y-%m-%d %H:%M}",
        CHANNEL_NAMES.get(application.channel, application.channel),
        application.status,
        application.district,
        "、".join(PROGRAM_NAMES.get(key, key) for key in application.programs),
        mask_name(applicant.name) if applicant else "",
        mask_mobile(applicant.mobile) if applicant else "",
        mask_id_number(applicant.id_number) if applicant else "",
        application.assignee.display_name if application.assignee else "",
        application.department or "",
        application.due_date.isoformat() if application.due_date else "",
        decision_summary(application.decision, PROGRAM_NAMES) if application.decision else "",
    )]


def _cell(value: str) -> str:
    """A spreadsheet must not run a cell as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


# ---- audit log ----

def _audit_entry(
    actor: StaffUser | None, action: str, *, object_type: str | None = None,
    object_id: str | None = None, detail: str | None = None, ip: str | None = None,
) -> AuditEntry:
    return AuditEntry(
        at=utcnow(), actor_id=actor.id if actor else None,
        actor_name=actor.display_name if actor else SYSTEM, action=action,
        object_type=object_type, object_id=None if object_id is None else str(object_id),
        detail=redact(detail) if detail else None, ip=ip,
    )


def audit(
    actor: StaffUser | None,
    action: str,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: str | None = None,
    ip: str | None = None,
    factory: sessionmaker | None = None,
) -> None:
    """One row of the access audit log (personal data in `detail` is masked)."""
    with transaction(factory) as session:
        session.add(_audit_entry(actor, action, object_type=object_type, object_id=object_id,
                                 detail=detail, ip=ip))
