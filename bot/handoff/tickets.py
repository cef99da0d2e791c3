"""Hand-off tickets: a conversation handed to intake staff, their replies, and the hand-back.

While a ticket is open the bot is paused for that conversation (Rasa's ConversationPaused,
returned by the action that opens the ticket); the resident's messages are stored on the ticket
(see bot/channels/handoff_events.py) and staff replies go out through the resident's channel.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import false, func, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.handoff.delivery import RasaConversations, push
from bot.core.db import reading, transaction, utcnow
from bot.core.privacy import redact, redact_value
from bot.core.models import (
    TICKET_ACTIVE,
    TICKET_CLOSED,
    TICKET_WAITING,
    Application,
    HandoffTicket,
    Message,
    StaffUser,
)
from bot.core.errors import Forbidden
from bot.intake.registry import Conflict, InvalidField, NotFound, audit, can_view

MAX_REPLY_CHARS = 1000
TRANSCRIPT_MESSAGES = 40
HANDED_BACK_TEXT = "本次人工服务已结束，接下来由智能助手继续为您服务。如还需人工帮助，随时说“转人工”。"
TICKET_GONE = "该人工会话不存在，或您无权查看。"
# A ticket from a 12345 call: the caller is on the phone, not in a chat; staff call them back.
PHONE_CHANNEL = "hotline"
PHONE_REPLY = "这是12345热线转来的事项，来电人不在线上，请按工单中的回拨电话联系来电人。"
PHONE_CLOSED_TEXT = "已回电处理，事项办结。"
OPEN_STATES = (TICKET_WAITING, TICKET_ACTIVE)


TRIAGE_ROLES = ("supervisor", "admin")
TRIAGE_NAME = "待分派"


def _visible(user: StaffUser, district: Optional[str]) -> bool:
    """Supervisors and admins see every ticket; intake staff only their own 乡镇/街道's. A ticket
    without a district waits in the 待分派 queue until a supervisor assigns it."""
    if user.role in TRIAGE_ROLES:
        return True
    return district is not None and bool(user.district) and district == user.district


def _scoped(query: Any, user: StaffUser) -> Any:
    if user.role in TRIAGE_ROLES:
        return query
    if not user.district:
        return query.where(false())
    return query.where(HandoffTicket.district == user.district)


def _open_ticket(session: Session, conversation_id: str) -> Optional[HandoffTicket]:
    return session.scalars(
        select(HandoffTicket)
        .where(HandoffTicket.conversation_id == conversation_id,
               HandoffTicket.status.in_(OPEN_STATES))
        .order_by(HandoffTicket.id.desc())
    ).first()


def open_ticket(
    conversation_id: str,
    channel: str,
    reason: str,
    transcript: list[dict[str, str]],
    screening_summary: Optional[str] = None,
    region: Optional[str] = None,
    district: Optional[str] = None,
    application_id: Optional[int] = None,
    callback_phone: Optional[str] = None,
    factory: Optional[sessionmaker] = None,
) -> tuple[HandoffTicket, bool]:
    """The conversation's open ticket, created when there is none; (ticket, created).

    The transcript and the summary are stored with every ID and mobile number masked; a number
    staff need (a 12345 caller's call-back number) goes in the encrypted `callback_phone`."""
    with transaction(factory) as session:
        existing = _open_ticket(session, conversation_id)
        if existing is not None:
            return existing, False
        ticket = HandoffTicket(
            conversation_id=conversation_id,
            channel=channel,
            reason=reason,
            transcript=redact_value(transcript[-TRANSCRIPT_MESSAGES:]),
            screening_summary=redact(screening_summary) if screening_summary else screening_summary,
            callback_phone=callback_phone,
            region=region,
            district=district,
            application_id=application_id,
            status=TICKET_WAITING,
        )
        session.add(ticket)
        session.flush()
        return ticket, True


def open_ticket_for(conversation_id: str, factory: Optional[sessionmaker] = None) -> Optional[HandoffTicket]:
    with transaction(factory) as session:
        return _open_ticket(session, conversation_id)


def record_resident_message(
    conversation_id: str, text: str, channel: str, sent_at: dt.datetime,
    factory: Optional[sessionmaker] = None,
) -> Optional[Message]:
    """Stores a message the resident sent while a ticket is open (sent_at: naive UTC), with every
    ID and mobile number in it masked: staff see full numbers only on the application (audited)."""
    text = redact((text or "").strip())
    if not text:
        return None
    with transaction(factory) as session:
        ticket = _open_ticket(session, conversation_id)
        if ticket is None or sent_at < ticket.created_at:
            return None  # no ticket, or the message that asked for a person (in the transcript)
        message = Message(
            ticket_id=ticket.id, conversation_id=conversation_id, direction="in",
            author_name="居民", text=text[:MAX_REPLY_CHARS * 2], channel=channel, created_at=sent_at,
        )
        session.add(message)
        session.flush()
        return message


def list_tickets(
    user: StaffUser, *, status: Optional[str] = None, factory: Optional[sessionmaker] = None
) -> list[HandoffTicket]:
    """Tickets the user may see, open ones first (oldest waiting at the top)."""
    query = _scoped(select(HandoffTicket).options(selectinload(HandoffTicket.assignee)), user)
    if status:
        query = query.where(HandoffTicket.status == status)
    else:
        query = query.where(HandoffTicket.status.in_(OPEN_STATES))
    with reading(factory) as session:
        return list(session.scalars(query.order_by(HandoffTicket.created_at, HandoffTicket.id)))


def waiting_count(user: StaffUser, factory: Optional[sessionmaker] = None) -> int:
    query = _scoped(select(func.count(HandoffTicket.id)), user).where(
        HandoffTicket.status == TICKET_WAITING
    )
    with reading(factory) as session:
        return int(session.scalar(query) or 0)


def latest_ticket_id(user: StaffUser, factory: Optional[sessionmaker] = None) -> int:
    with reading(factory) as session:
        return int(session.scalar(_scoped(select(func.max(HandoffTicket.id)), user)) or 0)


def get_ticket(ticket_id: int, user: StaffUser, factory: Optional[sessionmaker] = None) -> HandoffTicket:
    """The ticket with its messages; NotFound also when the user may not see it."""
    with reading(factory) as session:
        ticket = session.scalars(
            select(HandoffTicket)
            .options(selectinload(HandoffTicket.messages), selectinload(HandoffTicket.assignee))
            .where(HandoffTicket.id == ticket_id)
        ).first()
        if ticket is None or not _visible(user, ticket.district):
            raise NotFound(TICKET_GONE)
        return ticket


def _ongoing_ticket(ticket_id: int, user: StaffUser, factory: Optional[sessionmaker] = None) -> HandoffTicket:
    """The ticket the staff member may see, refused with Conflict once it has ended."""
    ticket = get_ticket(ticket_id, user, factory)
    if ticket.status == TICKET_CLOSED:
        raise Conflict("该人工会话已经结束。")
    return ticket


def claim(
    ticket_id: int, user: StaffUser, *, expected_version: int, factory: Optional[sessionmaker] = None
) -> HandoffTicket:
    """Takes a waiting ticket; the second of two staff claiming at once gets Conflict."""
    ticket = _ongoing_ticket(ticket_id, user, factory)
    with transaction(factory) as session:
        changed = session.execute(
            update(HandoffTicket)
            .where(HandoffTicket.id == ticket_id, HandoffTicket.version == expected_version,
                   HandoffTicket.status == TICKET_WAITING)
            .values(status=TICKET_ACTIVE, assignee_id=user.id, claimed_at=utcnow(),
                    version=HandoffTicket.version + 1)
        ).rowcount
        if changed != 1:
            current = session.get(HandoffTicket, ticket_id)
            who = current.assignee.display_name if current and current.assignee else "其他工作人员"
            raise Conflict(f"该人工会话已由{who}接手，请刷新后查看。")
    audit(user, "claim_ticket", object_type="ticket", object_id=str(ticket_id), factory=factory)
    return get_ticket(ticket_id, user, factory)


def _check_reply(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidField("text", "回复内容不能为空。")
    if len(text) > MAX_REPLY_CHARS:
        raise InvalidField("text", f"回复内容过长：最多{MAX_REPLY_CHARS}个字，请分几次发送。")
    return text


def _send(
    message: Message, user: StaffUser, rasa: Optional[RasaConversations], factory: Optional[sessionmaker]
) -> Message:
    """Stores the message, records it in the Rasa transcript and pushes it when the channel can.
    An ID or mobile number staff write is masked like everywhere else (the resident gets it masked:
    a number to call is written as a landline or 12345)."""
    message.text = redact(message.text)
    with transaction(factory) as session:
        session.add(message)
        session.flush()
    (rasa or RasaConversations()).record_staff_message(message.conversation_id, message.text, user.display_name)
    push(message, factory)
    return message


def staff_reply(
    ticket_id: int, user: StaffUser, text: str, *, factory: Optional[sessionmaker] = None,
    rasa: Optional[RasaConversations] = None,
) -> Message:
    text = _check_reply(text)
    ticket = get_ticket(ticket_id, user, factory)
    if ticket.channel == PHONE_CHANNEL:
        raise Conflict(PHONE_REPLY)
    if ticket.status == TICKET_CLOSED:
        raise Conflict("该人工会话已经结束，无法再回复。")
    if ticket.status == TICKET_WAITING:
        ticket = claim(ticket_id, user, expected_version=ticket.version, factory=factory)
    message = Message(
        ticket_id=ticket.id, application_id=ticket.application_id,
        conversation_id=ticket.conversation_id, direction="out", author_id=user.id,
        author_name=user.display_name, text=text, channel=ticket.channel,
    )
    audit(user, "reply", object_type="ticket", object_id=str(ticket_id), factory=factory)
    return _send(message, user, rasa, factory)


def reply_to_application(
    application_id: int, user: StaffUser, text: str, *, factory: Optional[sessionmaker] = None,
    rasa: Optional[RasaConversations] = None,
) -> Message:
    """A message to the resident about their application, through the channel they applied on."""
    text = _check_reply(text)
    with transaction(factory) as session:
        application = session.get(Application, application_id)
        if application is None or not can_view(user, application):
            raise NotFound("该申请不存在，或您无权查看。")
        message = Message(
            application_id=application.id, conversation_id=application.conversation_id,
            direction="out", author_id=user.id, author_name=user.display_name, text=text,
            channel=application.channel,
        )
    audit(user, "reply", object_type="application", object_id=str(application_id), factory=factory)
    return _send(message, user, rasa, factory)


def hand_back(
    ticket_id: int, user: StaffUser, *, factory: Optional[sessionmaker] = None,
    rasa: Optional[RasaConversations] = None,
) -> HandoffTicket:
    """Resumes the bot for the conversation, then closes the ticket.

    Rasa is told first: when it cannot be reached the ticket stays open (DeliveryError), so a
    resident is never left with a paused bot and no person. A ticket from a 12345 call has no
    bot conversation: it is closed once staff have called back.
    """
    ticket = get_ticket(ticket_id, user, factory)
    if ticket.status == TICKET_CLOSED:
        raise Conflict("该人工会话已经交还给智能助手。")
    phone = ticket.channel == PHONE_CHANNEL
    if not phone:
        (rasa or RasaConversations()).resume(ticket.conversation_id, HANDED_BACK_TEXT)
    with transaction(factory) as session:
        session.execute(
            update(HandoffTicket).where(HandoffTicket.id == ticket_id)
            .values(status=TICKET_CLOSED, closed_at=utcnow(), version=HandoffTicket.version + 1)
        )
        message = Message(
            ticket_id=ticket_id, conversation_id=ticket.conversation_id, direction="out",
            author_id=user.id, author_name="系统", text=PHONE_CLOSED_TEXT if phone else HANDED_BACK_TEXT,
            channel=ticket.channel, delivered_at=utcnow() if phone else None,
        )
        session.add(message)
        session.flush()
    if not phone:
        push(message, factory)
    audit(user, "hand_back", object_type="ticket", object_id=str(ticket_id), factory=factory)
    return get_ticket(ticket_id, user, factory)


def triage_queue(user: StaffUser, factory: Optional[sessionmaker] = None) -> list[HandoffTicket]:
    """Open tickets without a 乡镇/街道 (待分派), oldest first: supervisors and admins only."""
    if user.role not in TRIAGE_ROLES:
        return []
    with reading(factory) as session:
        return list(session.scalars(
            select(HandoffTicket).options(selectinload(HandoffTicket.assignee))
            .where(HandoffTicket.district.is_(None), HandoffTicket.status.in_(OPEN_STATES))
            .order_by(HandoffTicket.created_at, HandoffTicket.id)))


def assign_district(
    ticket_id: int, user: StaffUser, district: str, *, expected_version: int,
    known_districts: Optional[list[str]] = None, factory: Optional[sessionmaker] = None,
) -> HandoffTicket:
    """A supervisor sends an open ticket to a 乡镇/街道, whose intake staff then see and claim it."""
    if user.role not in TRIAGE_ROLES:
        raise Forbidden("只有主管和管理员可以分派人工会话。")
    district = " ".join((district or "").split())
    if not district or len(district) > 64:
        raise InvalidField("district", "请选择要分派到的乡镇（街道）。")
    if known_districts is not None and district not in known_districts:
        raise InvalidField("district", f"“{district}”没有受理人员，请从列表中选择乡镇（街道）。")
    ticket = _ongoing_ticket(ticket_id, user, factory)
    with transaction(factory) as session:
        changed = session.execute(
            update(HandoffTicket)
            .where(HandoffTicket.id == ticket_id, HandoffTicket.version == expected_version,
                   HandoffTicket.status.in_(OPEN_STATES))
            .values(district=district, version=HandoffTicket.version + 1)
        ).rowcount
        if changed != 1:
            raise Conflict("该人工会话刚被其他工作人员处理过，请刷新后再分派。")
    audit(user, "assign_ticket_district", object_type="ticket", object_id=str(ticket_id),
          detail=f"{ticket.district or TRIAGE_NAME}→{district}", factory=factory)
    return get_ticket(ticket_id, user, factory)


def transcript_preview(ticket: HandoffTicket, limit: int = 60) -> str:
    """The last resident line of the transcript, masked, for lists."""
    lines = [item["text"] for item in ticket.transcript or [] if item.get("speaker") == "resident"]
    return redact(lines[-1])[:limit] if lines else ""


def mark_read(ticket_id: int, up_to: int, factory: Optional[sessionmaker] = None) -> None:
    """Staff have seen the ticket's messages up to this id (its page was opened or updated)."""
    with transaction(factory) as session:
        session.execute(update(HandoffTicket).where(HandoffTicket.id == ticket_id, HandoffTicket.read_up_to < up_to)
                        .values(read_up_to=up_to))


def unread(user: StaffUser, factory: Optional[sessionmaker] = None) -> dict[int, int]:
    """Open tickets the user may see with resident messages nobody has read yet: id → how many."""
    query = _scoped(
        select(HandoffTicket.id, func.count(Message.id))
        .join(Message, Message.ticket_id == HandoffTicket.id)
        .where(HandoffTicket.status.in_(OPEN_STATES), Message.direction == "in",
               Message.id > HandoffTicket.read_up_to)
        .group_by(HandoffTicket.id), user)
    with reading(factory) as session:
        return {ticket_id: int(count) for ticket_id, count in session.execute(query).all()}
