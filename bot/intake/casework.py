"""Staff working aids around the registry: changing a 办理时限 with a reason (the resident is told),
taking a case oneself, the staff a case may be assigned to, internal notes, canned replies kept by
supervisors, saved filters, and the link between a hand-off ticket and an application."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import sessionmaker

from bot import replies
from bot.core.params import whole_number
from bot.core.calendar import local_now, utc_start_of
from bot.core.db import reading, transaction, utcnow
from bot.core.errors import Conflict, Forbidden, InvalidField, NotFound
from bot.core.models import (
    Application,
    AuditEntry,
    CannedReply,
    DeadlineChange,
    HandoffTicket,
    InternalNote,
    SavedFilter,
    StaffUser,
)
from bot.core.privacy import redact
from bot.intake.registry import (
    ALL_DISTRICTS_ROLES, _audit_entry, _record_change, _update_if_current, can_view, normalize_number,
    queue_message,
)
from bot.intake.workflow import is_final

MAX_NOTE_CHARS = 1000
MAX_FILTERS = 20
MAX_CANNED = 200


def _date_text(day: dt.date | None) -> str:
    return replies.date_text(day) if day else replies.text("casework.no_date")


def _visible_application(session: Any, application_id: int, actor: StaffUser) -> Application:
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound()
    if not can_view(actor, application):
        raise Forbidden()
    return application


# ---- 办理时限 ----

def change_deadline(application_id: int, actor: StaffUser, new_due: dt.date | None, reason: str, *,
                    expected_version: int, today: dt.date | None = None,
                    factory: Optional[sessionmaker] = None) -> Application:
    """Sets a new 办理时限 with its reason: recorded, audited, and the resident told the new date."""
    today = today or local_now().date()
    reason = " ".join((reason or "").split())
    if new_due is None or new_due < today:
        raise InvalidField("new_due", replies.text("casework.errors.deadline_date"))
    if not reason:
        raise InvalidField("reason", replies.text("casework.errors.deadline_reason"))
    if len(reason) > MAX_NOTE_CHARS:
        raise InvalidField("reason", replies.text("casework.errors.note_long"))
    with transaction(factory) as session:
        application = _visible_application(session, application_id, actor)
        if application.version != expected_version:
            raise Conflict.for_status(application.status)
        if is_final(application.status):
            raise InvalidField("new_due", replies.text("casework.errors.deadline_final"))
        old_due = application.due_date
        if old_due == new_due:
            raise InvalidField("new_due", replies.text("casework.errors.deadline_same"))
        _update_if_current(session, application_id, expected_version, {"due_date": new_due})
        session.refresh(application)
        session.add(DeadlineChange(application_id=application_id, old_due=old_due, new_due=new_due,
                                   reason=reason, actor_id=actor.id, actor_name=actor.display_name,
                                   created_at=utcnow()))
        queue_message(session, application, replies.text(
            "casework.deadline.changed", number=application.number, new_due=_date_text(new_due),
            old_due=_date_text(old_due), reason=redact(reason).rstrip("。")))
        session.add(_audit_entry(actor, "change_deadline", object_type="application",
                                 object_id=str(application_id), detail=f"{old_due}→{new_due}：{reason}"))
    return application


def deadline_history(application_id: int, *, factory: Optional[sessionmaker] = None) -> list[DeadlineChange]:
    with reading(factory) as session:
        return list(session.scalars(select(DeadlineChange).where(DeadlineChange.application_id == application_id)
                                    .order_by(DeadlineChange.id)))


# ---- who does the work ----

def take_case(application_id: int, actor: StaffUser, *, expected_version: int,
              factory: Optional[sessionmaker] = None) -> Application:
    """The actor becomes the case's 经办人 (认领): staff of its district or a supervisor."""
    with transaction(factory) as session:
        application = _visible_application(session, application_id, actor)
        if actor.role not in ("intake", "supervisor"):
            raise Forbidden()
        if is_final(application.status):
            raise InvalidField("assignee_id", replies.text("casework.errors.assign_self_final"))
        if application.version != expected_version:
            raise Conflict.for_status(application.status)
        _update_if_current(session, application_id, expected_version, {"assignee_id": actor.id})
        session.refresh(application)
        _record_change(session, application, application.status, application.status, actor=actor,
                       note=replies.text("casework.took_case", name=actor.display_name))
        session.add(_audit_entry(actor, "take_case", object_type="application", object_id=str(application_id)))
    return application


def assignable_staff(district: str, *, factory: Optional[sessionmaker] = None) -> list[StaffUser]:
    """Who a case of this 乡镇/街道 may be assigned to: its active intake staff, then supervisors."""
    with reading(factory) as session:
        return list(session.scalars(
            select(StaffUser).where(
                StaffUser.active.is_(True),
                or_((StaffUser.role == "intake") & (StaffUser.district == district), StaffUser.role == "supervisor"),
            ).order_by(StaffUser.role, StaffUser.username)))


# ---- internal notes ----

def add_note(actor: StaffUser, text: str, *, application_id: int | None = None, ticket_id: int | None = None,
             factory: Optional[sessionmaker] = None) -> InternalNote:
    """A note for colleagues on an application or a ticket the actor may see."""
    text = (text or "").strip()
    if not text:
        raise InvalidField("text", replies.text("casework.errors.note_empty"))
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidField("text", replies.text("casework.errors.note_long"))
    with transaction(factory) as session:
        if application_id is not None:
            _visible_application(session, application_id, actor)
        else:
            ticket = session.get(HandoffTicket, ticket_id)
            if ticket is None or not _sees_ticket(actor, ticket):
                raise NotFound(replies.text("casework.errors.ticket_not_found"))
        note = InternalNote(application_id=application_id, ticket_id=ticket_id, author_id=actor.id,
                            author_name=actor.display_name, text=redact(text), created_at=utcnow())
        session.add(note)
        session.add(_audit_entry(actor, "internal_note", object_type="application" if application_id else "ticket",
                                 object_id=str(application_id or ticket_id)))
        session.flush()
    return note


def _sees_ticket(actor: StaffUser, ticket: HandoffTicket) -> bool:
    return actor.role in ALL_DISTRICTS_ROLES or (ticket.district is not None and ticket.district == actor.district)


def notes_for(*, application_id: int | None = None, ticket_id: int | None = None,
              factory: Optional[sessionmaker] = None) -> list[InternalNote]:
    where = (InternalNote.application_id == application_id) if application_id is not None \
        else (InternalNote.ticket_id == ticket_id)
    with reading(factory) as session:
        return list(session.scalars(select(InternalNote).where(where).order_by(InternalNote.id)))


# ---- tickets and applications ----

def tickets_of(application: Application, *, factory: Optional[sessionmaker] = None) -> list[HandoffTicket]:
    """The hand-offs of the same resident: linked to the application, or of its conversation."""
    with reading(factory) as session:
        return list(session.scalars(
            select(HandoffTicket).where(or_(HandoffTicket.application_id == application.id,
                                            HandoffTicket.conversation_id == application.conversation_id))
            .order_by(HandoffTicket.id.desc())))


def application_for_ticket(ticket: HandoffTicket, actor: StaffUser, *,
                           factory: Optional[sessionmaker] = None) -> Application | None:
    """The ticket's application (linked, else the newest of its conversation) the actor may see."""
    with transaction(factory) as session:
        if ticket.application_id is not None:
            application = session.get(Application, ticket.application_id)
        else:
            application = session.scalars(select(Application).where(
                Application.conversation_id == ticket.conversation_id).order_by(Application.id.desc())).first()
    return application if application is not None and can_view(actor, application) else None


def link_ticket(ticket_id: int, actor: StaffUser, number: str, *,
                factory: Optional[sessionmaker] = None) -> Application:
    """Links the ticket to the application with this 受理编号 (both visible to the actor)."""
    normalized = normalize_number(number or "")
    with transaction(factory) as session:
        ticket = session.get(HandoffTicket, ticket_id)
        if ticket is None or not _sees_ticket(actor, ticket):
            raise NotFound(replies.text("casework.errors.ticket_not_found"))
        application = session.scalars(select(Application).where(Application.number == normalized)).first() \
            if normalized else None
        if application is None or not can_view(actor, application):
            raise InvalidField("number", replies.text("casework.errors.number_not_found"))
        session.execute(update(HandoffTicket).where(HandoffTicket.id == ticket_id)
                        .values(application_id=application.id, version=HandoffTicket.version + 1))
        session.add(_audit_entry(actor, "link_ticket", object_type="ticket", object_id=str(ticket_id),
                                 detail=application.number))
    return application


# ---- canned replies (supervisors keep them, every staff member uses them) ----

def canned_replies(*, active_only: bool = True, factory: Optional[sessionmaker] = None) -> list[CannedReply]:
    query = select(CannedReply).order_by(CannedReply.title)
    if active_only:
        query = query.where(CannedReply.active.is_(True))
    with reading(factory) as session:
        return list(session.scalars(query))


def save_canned_reply(actor: StaffUser, title: str, text: str, *, reply_id: int | None = None,
                      factory: Optional[sessionmaker] = None) -> CannedReply:
    if actor.role not in ALL_DISTRICTS_ROLES:
        raise Forbidden(replies.text("casework.errors.canned_supervisors_only"))
    title, text = " ".join((title or "").split()), (text or "").strip()
    if not 1 <= len(title) <= 64:
        raise InvalidField("title", replies.text("casework.errors.canned_title"))
    if not 1 <= len(text) <= MAX_NOTE_CHARS:
        raise InvalidField("text", replies.text("casework.errors.canned_text", max=MAX_NOTE_CHARS))
    with transaction(factory) as session:
        same = session.scalars(select(CannedReply).where(CannedReply.title == title)).first()
        if same is not None and same.id != reply_id:
            raise InvalidField("title", replies.text("casework.errors.canned_title_taken", title=title))
        reply = session.get(CannedReply, reply_id) if reply_id else None
        if reply is None:
            if (session.scalar(select(func.count(CannedReply.id))) or 0) >= MAX_CANNED:
                raise InvalidField("title", replies.text("casework.errors.canned_too_many", max=MAX_CANNED))
            reply = CannedReply(title=title, text=text, active=True)
            session.add(reply)
        reply.title, reply.text, reply.active = title, text, True
        reply.updated_by, reply.updated_at = actor.display_name, utcnow()
        session.flush()
        session.add(_audit_entry(actor, "canned_reply", object_type="canned_reply", object_id=str(reply.id),
                                 detail=title))
    return reply


def retire_canned_reply(actor: StaffUser, reply_id: int, *, factory: Optional[sessionmaker] = None) -> None:
    if actor.role not in ALL_DISTRICTS_ROLES:
        raise Forbidden(replies.text("casework.errors.canned_supervisors_only"))
    with transaction(factory) as session:
        session.execute(update(CannedReply).where(CannedReply.id == reply_id)
                        .values(active=False, updated_by=actor.display_name, updated_at=utcnow()))
        session.add(_audit_entry(actor, "canned_reply_off", object_type="canned_reply", object_id=str(reply_id)))


# ---- saved filters ----

FILTER_KEYS = ("q", "status", "program", "date_from", "date_to", "district", "sort", "due")


def clean_query(query: str) -> str:
    """Only the list's own filter fields, in a fixed order."""
    pairs = dict(parse_qsl(query or "", keep_blank_values=False))
    return urlencode([(key, pairs[key][:100]) for key in FILTER_KEYS if pairs.get(key)])


def saved_filters(user: StaffUser, *, factory: Optional[sessionmaker] = None) -> list[SavedFilter]:
    with reading(factory) as session:
        return list(session.scalars(select(SavedFilter).where(SavedFilter.user_id == user.id)
                                    .order_by(SavedFilter.name)))


def save_filter(user: StaffUser, name: str, query: str, *, factory: Optional[sessionmaker] = None) -> SavedFilter:
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 40:
        raise InvalidField("name", replies.text("casework.errors.filter_name"))
    query = clean_query(query)
    if not query:
        raise InvalidField("query", replies.text("casework.errors.filter_empty"))
    with transaction(factory) as session:
        existing = session.scalars(select(SavedFilter).where(SavedFilter.user_id == user.id,
                                                             SavedFilter.name == name)).first()
        if existing is not None:
            existing.query = query
            return existing
        count = session.scalar(select(func.count(SavedFilter.id)).where(SavedFilter.user_id == user.id)) or 0
        if count >= MAX_FILTERS:
            raise InvalidField("name", replies.text("casework.errors.filter_too_many", max=MAX_FILTERS))
        saved = SavedFilter(user_id=user.id, name=name, query=query, created_at=utcnow())
        session.add(saved)
        session.flush()
    return saved


def delete_filter(user: StaffUser, filter_id: int, *, factory: Optional[sessionmaker] = None) -> None:
    with transaction(factory) as session:
        session.execute(delete(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.user_id == user.id))


# ---- the audit log, for supervisors ----

AUDIT_ACTIONS = {
    "view_application": "查看申请", "transition": "办理（状态变更）", "change_deadline": "调整办理时限",
    "take_case": "认领", "internal_note": "内部备注", "reply": "回复居民", "claim_ticket": "接手人工会话",
    "hand_back": "交还机器人/办结会话", "link_ticket": "关联申请", "export_csv": "导出CSV",
    "export_figures": "导出统计", "login": "登录", "login_failed": "登录失败", "logout": "退出",
    "create_user": "创建账户", "activate_user": "启用账户", "deactivate_user": "停用账户",
    "reset_password": "重置密码", "canned_reply": "维护常用回复", "canned_reply_off": "停用常用回复",
    "view_hotline_call": "查看来电", "hotline_application": "来电登记申请", "hotline_ticket": "来电转交",
    "hotline_answered": "来电已解答", "status_guess_failed": "进度查询尾号错误",
    "standard_propose": "提议本地标准", "standard_approve": "审核通过本地标准", "standard_reject": "驳回本地标准",
    "standard_withdraw": "撤回本地标准提议", "notice_upload": "上传政策通知", "notice_publish": "发布政策通知",
    "notice_propose": "提交政策通知审核", "notice_approve": "审核通过并发布政策通知", "notice_reject": "驳回政策通知",
    "notice_withdraw": "撤回政策通知审核", "notice_edit": "修改政策通知信息",
    "notice_unpublish": "撤下政策通知", "notice_end": "标注通知失效", "notice_unpublish_propose": "提议撤下政策通知",
    "notice_end_propose": "提议标注通知失效", "notice_change_reject": "驳回通知的撤下/失效提议",
    "notice_change_withdraw": "撤回通知的撤下/失效提议", "set_region": "设置负责地区",
}
AUDIT_PAGE = 100


def audit_entries(*, actor: str | None = None, case: str | None = None, action: str | None = None,
                  date_from: dt.date | None = None, date_to: dt.date | None = None, page: int = 1,
                  factory: Optional[sessionmaker] = None) -> tuple[list[AuditEntry], int]:
    """One page of the audit log, newest first, and the total: by the actor's username or name,
    a case (受理编号, R-number of a ticket, or a call id), an action and local dates."""
    where: list[Any] = []
    with reading(factory) as session:
        if actor:
            ids = session.scalars(select(StaffUser.id).where(
                or_(StaffUser.username == actor.strip(), StaffUser.display_name == actor.strip()))).all()
            where.append(or_(AuditEntry.actor_id.in_(ids), AuditEntry.actor_name == actor.strip()))
        if case:
            where.append(AuditEntry.object_id.in_(_case_ids(session, case.strip())))
        if action:
            where.append(AuditEntry.action == action)
        if date_from:
            where.append(AuditEntry.at >= utc_start_of(date_from))
        if date_to:
            where.append(AuditEntry.at < utc_start_of(date_to + dt.timedelta(days=1)))
        total = session.scalar(select(func.count(AuditEntry.id)).where(*where)) or 0
        rows = list(session.scalars(select(AuditEntry).where(*where).order_by(AuditEntry.id.desc())
                                    .limit(AUDIT_PAGE).offset((max(page, 1) - 1) * AUDIT_PAGE)))
    return rows, int(total)


def _case_ids(session: Any, case: str) -> list[str]:
    """The ids the audit log records a case under (an application by 受理编号 and by row id)."""
    number = normalize_number(case)
    if number is not None:
        found = session.scalar(select(Application.id).where(Application.number == number))
        return [number] + ([str(found)] if found is not None else [])
    if case[:1] in ("R", "r") and whole_number(case[1:]) is not None:
        return [case[1:]]
    return [case[:32]]
