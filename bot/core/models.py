"""Tables of the intake registry. Timestamps are naive UTC (see db.utcnow); dates are local dates.

Changes here need an Alembic revision (bot/core/migrations); a test checks they agree.
"""
from __future__ import annotations

from typing import Any

import json

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

from bot.core.db import utcnow
from bot.core.privacy import decrypt, encrypt, lookup_digest

Base: Any = declarative_base()

ENCRYPTED_PREFIX = "enc:"


class EncryptedText(TypeDecorator):
    """Text kept encrypted at rest (bot.core.privacy.encrypt), clear in Python. Values written
    before the column was encrypted (no prefix) are read as they are until the migration or a
    key rotation rewrites them."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else ENCRYPTED_PREFIX + encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if not isinstance(value, str) or not value.startswith(ENCRYPTED_PREFIX):
            return value
        return decrypt(value[len(ENCRYPTED_PREFIX):]) or ""


class EncryptedJSON(TypeDecorator):
    """A JSON value kept encrypted at rest as {"encrypted": token}; clear in Python."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        return {"encrypted": encrypt(json.dumps(value, ensure_ascii=False, default=str))}

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"encrypted"}:
            clear = decrypt(value["encrypted"])
            return json.loads(clear) if clear else None
        return value

# Application statuses (the values stored, shown to people as they are).
REGISTERED = "已登记"
ACCEPTED = "已受理"
ASSIGNED = "分办"
TRANSFERRED = "转办"
CLOSED = "已办结"
RETURNED = "退回补充材料"
REJECTED = "不予受理"
STATUSES = (REGISTERED, ACCEPTED, ASSIGNED, TRANSFERRED, CLOSED, RETURNED, REJECTED)

CHANNELS = ("wechat", "hotline", "web")
ROLES = ("intake", "supervisor", "admin", "operator")  # operator: a 12345 hotline operator

# Hand-off ticket states: waiting for a person, a person is on it, handed back to the bot.
TICKET_WAITING = "waiting"
TICKET_ACTIVE = "active"
TICKET_CLOSED = "closed"


class StaffUser(Base):
    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(64), nullable=False)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    # Intake staff work for one 乡镇/街道; supervisors and admins see every district.
    district = Column(String(64), nullable=True)
    # The region whose local standards and notices a supervisor keeps (canonical name, e.g.
    # 山西省运城市); an administrator without one keeps every region's.
    region = Column(String(64), nullable=True)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_login_at = Column(DateTime, nullable=True)


class StaffSession(Base):
    __tablename__ = "staff_sessions"

    # SHA-256 of the cookie value: a leaked table does not give working sessions.
    token_hash = Column(String(64), primary_key=True)
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)

    user = relationship(StaffUser)


class DailySequence(Base):
    """The last 受理编号 sequence used on a day; incremented under a row lock."""

    __tablename__ = "daily_sequences"

    day = Column(String(8), primary_key=True)
    last = Column(Integer, nullable=False, default=0)


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("conversation_id", "request_key", name="uq_application_request"),
        # What is due or overdue, and the 超期 trend, counted from the index alone (the dashboard
        # and 到期提醒 read no table row); by 乡镇 and by 经办人 the same; the dashboard's new applications by 乡镇.
        Index("ix_applications_due_open", "due_date", "status", "district", "assignee_id", "created_at",
              "updated_at"),
        Index("ix_applications_district_open", "district", "status", "due_date", "assignee_id"),
        Index("ix_applications_assignee_open", "assignee_id", "status", "due_date", "district"),
        Index("ix_applications_created_district", "created_at", "district"),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(20), nullable=False, unique=True)  # 受理编号, e.g. SJ20261123-0007
    channel = Column(String(16), nullable=False)
    conversation_id = Column(String(128), nullable=False, index=True)
    request_key = Column(String(64), nullable=False)
    status = Column(String(16), nullable=False, default=REGISTERED, index=True)
    region = Column(String(64), nullable=True)  # 市/县, as the resident named it
    district = Column(String(64), nullable=False)  # 乡镇/街道: who handles it
    programs = Column(JSON, nullable=False)  # list of program keys, e.g. ["dibao"]
    screening = Column(JSON, nullable=True)  # answers, outcomes, reasons, parameter versions
    consent = Column(Boolean, nullable=False)
    consent_at = Column(DateTime, nullable=True)
    assignee_id = Column(Integer, ForeignKey("staff_users.id"), nullable=True)
    department = Column(String(64), nullable=True)  # 分办/转办 to a department
    transferred_from = Column(String(64), nullable=True)  # the district it came from (转办)
    feedback = Column(Text, nullable=True)  # what the resident is told when it ends
    # 办结 as decided: {"kind": approved|rejected|referred, "program", "amount", "start_month",
    # "reasons": [{"text", "citation"}], "referred_to"} (see bot.intake.decision)
    decision = Column(JSON, nullable=True)
    due_date = Column(Date, nullable=True, index=True)  # 办理时限 of the current status
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    version = Column(Integer, nullable=False, default=1)  # optimistic lock for staff actions
    # The first 受理 and the days from registration to it, kept by database triggers for the
    # dashboard (bot.core.precounted); never written by the application code.
    first_accepted_at = Column(DateTime, nullable=True)
    accepted_after = Column(Float, nullable=True)

    applicant = relationship("Applicant", uselist=False, back_populates="application")
    assignee = relationship(StaffUser)
    history = relationship(
        "StatusChange", back_populates="application", order_by="StatusChange.id"
    )


class Applicant(Base):
    """Contact and identity of the person applying (personal data: shown masked in lists).

    The mobile and ID numbers are stored encrypted (bot.core.privacy.encrypt); `mobile` and
    `id_number` read and write them in clear. Each has a keyed HMAC for exact look-ups (the same
    person's open applications, staff search), so no clear column or index exists.
    """

    __tablename__ = "applicants"

    id = Column(Integer, primary_key=True)
    application_id = Column(
        Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    name = Column(String(64), nullable=False, index=True)
    mobile_encrypted = Column(Text, nullable=False)
    id_number_encrypted = Column(Text, nullable=False)
    id_digest = Column(String(64), nullable=False, index=True)
    mobile_digest = Column(String(64), nullable=False, index=True)
    address = Column(String(200), nullable=False)

    application = relationship(Application, back_populates="applicant")

    @property
    def mobile(self) -> str:
        return decrypt(self.mobile_encrypted) or ""

    @mobile.setter
    def mobile(self, value: str) -> None:
        self.mobile_encrypted = encrypt(value)
        self.mobile_digest = lookup_digest("mobile", value)

    @property
    def id_number(self) -> str:
        return decrypt(self.id_number_encrypted) or ""

    @id_number.setter
    def id_number(self, value: str) -> None:
        self.id_number_encrypted = encrypt(value)
        self.id_digest = lookup_digest("id", value)


class StatusChange(Base):
    __tablename__ = "status_changes"
    __table_args__ = (
        # The dashboard: the changes of a range of days with all it counts of them, from this index
        # alone (the values are kept by the triggers of bot.core.precounted).
        Index("ix_status_changes_day", "day", "to_status", "from_status", "first_accept", "district", "actor_id",
              "since_registered", "accepted_after"),
        Index("ix_status_changes_first_accept", "application_id", "to_status", "created_at"),
    )

    id = Column(Integer, primary_key=True)
    application_id = Column(  # indexed first in ix_status_changes_first_accept
        Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False
    )
    from_status = Column(String(16), nullable=True)
    to_status = Column(String(16), nullable=False)
    actor_id = Column(Integer, ForeignKey("staff_users.id"), nullable=True)
    actor_name = Column(String(64), nullable=False)  # staff name, or 居民/系统
    note = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    # Kept by database triggers (bot.core.precounted): the local day of created_at, the days since
    # the application's registration, and copied from the application: its 乡镇（街道）, the days
    # from its registration to its first 受理, and whether this change is that first 受理.
    day = Column(Integer, nullable=True)
    since_registered = Column(Float, nullable=True)
    district = Column(String(64), nullable=True)
    accepted_after = Column(Float, nullable=True)
    first_accept = Column(Boolean, nullable=True)

    application = relationship(Application, back_populates="history")


class HandoffTicket(Base):
    __tablename__ = "handoff_tickets"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(32), nullable=False)  # the Rasa input channel replies go through
    status = Column(String(16), nullable=False, default=TICKET_WAITING, index=True)
    reason = Column(String(16), nullable=False)  # requested | fallback
    district = Column(String(64), nullable=True)
    region = Column(String(64), nullable=True)
    transcript = Column(JSON, nullable=False)  # [{"speaker": "resident"|"bot", "text": ...}]
    screening_summary = Column(Text, nullable=True)
    # A 12345 caller's number for the call-back: encrypted, shown on the ticket's page (audited).
    callback_phone = Column(EncryptedText, nullable=True)
    application_id = Column(Integer, ForeignKey("applications.id"), nullable=True)
    assignee_id = Column(Integer, ForeignKey("staff_users.id"), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    claimed_at = Column(DateTime, nullable=True)
    closed_at = Column(DateTime, nullable=True)
    version = Column(Integer, nullable=False, default=1)
    # The newest resident message staff have seen on the ticket's page: later ones are unread.
    read_up_to = Column(Integer, nullable=False, default=0)

    assignee = relationship(StaffUser)
    messages = relationship("Message", back_populates="ticket", order_by="Message.id")


class Message(Base):
    """A message between staff and a resident (ticket) or about an application."""

    __tablename__ = "messages"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"), nullable=True, index=True)
    application_id = Column(Integer, ForeignKey("applications.id"), nullable=True, index=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    direction = Column(String(8), nullable=False)  # in: from the resident; out: to the resident
    author_id = Column(Integer, ForeignKey("staff_users.id"), nullable=True)
    author_name = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    channel = Column(String(32), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    delivered_at = Column(DateTime, nullable=True)  # outbound: when the channel took it

    ticket = relationship(HandoffTicket, back_populates="messages")


class AuditEntry(Base):
    """Who looked at or changed what: every view of personal data, export and login."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    actor_id = Column(Integer, ForeignKey("staff_users.id"), nullable=True, index=True)
    actor_name = Column(String(64), nullable=False)
    action = Column(String(32), nullable=False)
    object_type = Column(String(32), nullable=True)
    object_id = Column(String(32), nullable=True, index=True)
    detail = Column(Text, nullable=True)
    ip = Column(String(64), nullable=True)


class RateCounter(Base):
    """Attempts of one client in one fixed window (bot.core.limits), counted in one statement so
    that parallel attempts are all counted. `key` is a keyed digest of who is counted (a client
    address, a conversation, an account with a client), never the value itself."""

    __tablename__ = "rate_counters"

    scope = Column(String(32), primary_key=True)
    key = Column(String(64), primary_key=True)
    window_start = Column(DateTime, primary_key=True)
    count = Column(Integer, nullable=False, default=0)
    expires_at = Column(DateTime, nullable=False, index=True)


class ChannelReceipt(Base):
    """A message a channel delivered, by the channel's own id, so that a retried delivery (WeChat
    retries up to 3 times) is processed once by whichever worker gets it first."""

    __tablename__ = "channel_receipts"

    channel = Column(String(16), primary_key=True)
    key = Column(String(128), primary_key=True)  # WeChat: MsgId, or FromUserName + CreateTime
    received_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class ChannelToken(Base):
    """A channel's API credential shared by every worker (WeChat's access token), with its expiry."""

    __tablename__ = "channel_tokens"

    name = Column(String(64), primary_key=True)  # e.g. "wechat:<AppID>"
    value = Column(String(512), nullable=False)
    expires_at = Column(DateTime, nullable=False)  # refreshed before this (naive UTC)


# ---- hotline calls (12345): the call state the operator's panel shows, kept in the database so
# that a restart loses nothing and every web worker sees the same call ----

CALL_ACTIVE = "active"
CALL_ENDED = "ended"
CALL_OUTCOMES = ("application", "ticket", "answered")


class HotlineCall(Base):
    """A call of the hotline platform, by the platform's call id, and what became of it."""

    __tablename__ = "hotline_calls"

    id = Column(Integer, primary_key=True)
    call_id = Column(String(64), nullable=False, unique=True)  # the platform's id
    operator_id = Column(String(64), nullable=False, index=True)  # the operator's console username
    caller_number = Column(EncryptedText, nullable=True)  # the calling number, when the platform gives it
    status = Column(String(16), nullable=False, default=CALL_ACTIVE, index=True)
    started_at = Column(DateTime, nullable=False)  # the platform's time (naive UTC)
    ended_at = Column(DateTime, nullable=True)
    # Bumped by every change (utterance, state, end, outcome): what the panel's stream watches.
    version = Column(Integer, nullable=False, default=1)
    utterance_count = Column(Integer, nullable=False, default=0)  # also the transcript's revision
    # The suggestions computed from the transcript (encrypted: they hold what the caller said) …
    state = Column(EncryptedJSON, nullable=True)
    state_revision = Column(Integer, nullable=False, default=0)  # … as it was at this revision
    outcome = Column(String(16), nullable=True)  # application | ticket | answered
    outcome_note = Column(Text, nullable=True)
    application_id = Column(Integer, ForeignKey("applications.id"), nullable=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"), nullable=True)
    closed_by_id = Column(Integer, ForeignKey("staff_users.id"), nullable=True)
    closed_at = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    # Set by every change: each web worker polls for the calls changed since it last looked.
    updated_at = Column(DateTime, nullable=False, default=utcnow, index=True)

    utterances = relationship("HotlineUtterance", back_populates="call",
                              order_by="(HotlineUtterance.spoken_at, HotlineUtterance.seq)")
    application = relationship(Application)
    closed_by = relationship(StaffUser)


class HotlineUtterance(Base):
    """One utterance of a call as the platform's speech-to-text delivered it."""

    __tablename__ = "hotline_utterances"
    __table_args__ = (UniqueConstraint("call_pk", "utterance_key", name="uq_hotline_utterance"),)

    id = Column(Integer, primary_key=True)
    call_pk = Column(Integer, ForeignKey("hotline_calls.id", ondelete="CASCADE"), nullable=False, index=True)
    seq = Column(Integer, nullable=False)  # order of arrival
    # The platform's utterance id, or a digest of speaker, time and text: a retry is not stored twice.
    utterance_key = Column(String(64), nullable=False)
    speaker = Column(String(8), nullable=False)  # caller | operator
    text = Column(EncryptedText, nullable=False)  # as said, numbers included: encrypted at rest
    spoken_at = Column(DateTime, nullable=False)  # the platform's ts (naive UTC): the transcript's order
    received_at = Column(DateTime, nullable=False, default=utcnow)

    call = relationship(HotlineCall, back_populates="utterances")


# ---- the staff console's working aids ----

class DeadlineChange(Base):
    """A change of an application's 办理时限, with why and who; the resident is told the new date."""

    __tablename__ = "deadline_changes"

    id = Column(Integer, primary_key=True)
    application_id = Column(
        Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, index=True
    )
    old_due = Column(Date, nullable=True)
    new_due = Column(Date, nullable=True)
    reason = Column(Text, nullable=False)
    actor_id = Column(Integer, ForeignKey("staff_users.id"), nullable=True)
    actor_name = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class InternalNote(Base):
    """A note staff write for each other on an application or a ticket; never shown to residents."""

    __tablename__ = "internal_notes"

    id = Column(Integer, primary_key=True)
    application_id = Column(
        Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=True, index=True
    )
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id", ondelete="CASCADE"), nullable=True, index=True)
    author_id = Column(Integer, ForeignKey("staff_users.id"), nullable=True)
    author_name = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class CannedReply(Base):
    """A reply supervisors keep for staff to insert and adapt (常用回复)."""

    __tablename__ = "canned_replies"

    id = Column(Integer, primary_key=True)
    title = Column(String(64), nullable=False, unique=True)
    text = Column(Text, nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    updated_by = Column(String(64), nullable=False)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class SavedFilter(Base):
    """A staff member's named search of the 全部 list (its query string)."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_filter_name"),)

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True)
    name = Column(String(40), nullable=False)
    query = Column(String(500), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


# Local standards kept by supervisors (bot/standards): a proposal takes effect only when a second
# supervisor approves it; approved rows are never changed (a new value is a new row).
STANDARD_PENDING = "pending"
STANDARD_APPROVED = "approved"
STANDARD_REJECTED = "rejected"
STANDARD_WITHDRAWN = "withdrawn"
STANDARD_STATUSES = (STANDARD_PENDING, STANDARD_APPROVED, STANDARD_REJECTED, STANDARD_WITHDRAWN)


class StandardValue(Base):
    """One dated value of a parameter for a region, from a 文号 and clause: proposed, then approved
    (or rejected, or withdrawn by its proposer). `pending_key` is "region|parameter" while the row
    is pending and NULL afterwards, so a second pending proposal for the same parameter is refused
    by the database too."""

    __tablename__ = "standard_values"

    id = Column(Integer, primary_key=True)
    region = Column(String(64), nullable=False, index=True)  # canonical name: 山西省运城市
    parameter = Column(String(64), nullable=False)
    data = Column(JSON, nullable=False)  # the YAML value's keys: {"value": 700, "unit": "元/人/月"}
    effective = Column(Date, nullable=False)
    valid_until = Column(Date, nullable=True)
    doc_number = Column(String(64), nullable=False)
    doc_title = Column(String(200), nullable=False)
    doc_issued = Column(Date, nullable=False)
    clause = Column(String(64), nullable=False)
    source = Column(String(500), nullable=False)  # where the notice was published (URL or description)
    note = Column(Text, nullable=True)
    status = Column(String(16), nullable=False, default=STANDARD_PENDING)
    pending_key = Column(String(140), nullable=True, unique=True)
    proposed_by_id = Column(Integer, ForeignKey("staff_users.id"), nullable=False)
    proposed_by = Column(String(64), nullable=False)
    proposed_at = Column(DateTime, nullable=False, default=utcnow)
    decided_by_id = Column(Integer, ForeignKey("staff_users.id"), nullable=True)
    decided_by = Column(String(64), nullable=True)
    decided_at = Column(DateTime, nullable=True)
    decision_note = Column(Text, nullable=True)


class RegistryVersion(Base):
    """A counter per kind of shared data ("standards", "notices", "applications"), raised on every
    change that takes effect: each worker compares it with the one it loaded and reloads (or
    counts again) when it moved. See bot.core.versions."""

    __tablename__ = "registry_versions"

    name = Column(String(32), primary_key=True)
    version = Column(Integer, nullable=False, default=0)
    changed_at = Column(DateTime, nullable=False, default=utcnow)


NOTICE_DRAFT = "draft"
NOTICE_PENDING = "pending"  # proposed for publication, waiting for a second supervisor
NOTICE_REJECTED = "rejected"  # sent back with a reason; can be corrected and proposed again
NOTICE_PUBLISHED = "published"
NOTICE_UNPUBLISHED = "unpublished"


class PolicyNotice(Base):
    """A notice uploaded in the console: the text, the importer's reading of it (a document in
    the corpus's shape, completed by staff) and its life: draft, pending (proposed for
    publication), rejected, published (approved by a second supervisor), unpublished. Rows are
    never deleted; marking a notice superseded or expired sets `ended_on` and `ended_reason`. The
    last proposal and the last review are on the row, and a proposed unpublishing or end mark of a
    published notice waits in `pending_change`; every step is in the audit log."""

    __tablename__ = "policy_notices"

    id = Column(Integer, primary_key=True)
    doc_id = Column(String(64), nullable=False, unique=True)
    status = Column(String(16), nullable=False, default=NOTICE_DRAFT)
    document = Column(JSON, nullable=False)  # bot.knowledge.corpus.document_to_dict
    source_text = Column(Text, nullable=False)
    file_name = Column(String(200), nullable=False)
    region = Column(String(64), nullable=False)
    ended_on = Column(Date, nullable=True)
    ended_reason = Column(String(16), nullable=True)  # superseded | expired
    ended_note = Column(String(200), nullable=True)
    created_by_id = Column(Integer, ForeignKey("staff_users.id"), nullable=False)
    created_by = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    published_by = Column(String(64), nullable=True)
    published_at = Column(DateTime, nullable=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    proposed_by_id = Column(Integer, ForeignKey("staff_users.id"), nullable=True)
    proposed_by = Column(String(64), nullable=True)
    proposed_at = Column(DateTime, nullable=True)
    reviewed_by_id = Column(Integer, ForeignKey("staff_users.id"), nullable=True)
    reviewed_by = Column(String(64), nullable=True)
    reviewed_at = Column(DateTime, nullable=True)
    review_note = Column(String(1000), nullable=True)  # the reason of a rejection, or the approver's note
    # A proposed change to a published notice, until a second supervisor approves or rejects it:
    # {"kind": "unpublish" | "end", "reason", "on", "note", "by_id", "by", "at"} (bot.standards.notices)
    pending_change = Column(JSON(none_as_null=True), nullable=True)
