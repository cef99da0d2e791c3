"""Hotline calls in the database: the platform's events, the suggestions, the operator's decision.

Everything about a call lives in the registry database (tables hotline_calls and
hotline_utterances), so a restart loses nothing and every web worker sees the same call. Each
event is one transaction:
- an utterance is stored and the call's `version` and `utterance_count` (the transcript's
  revision) bumped while the call's row is locked; the suggestions (bot.hotline.assist) are
  computed before that transaction opens and stored with the utterance when the transcript did
  not grow meanwhile, else computed again from the stored transcript and stored only if it is
  still the newest, so the row is never locked while they are computed and the suggestions
  stored are always those of the newest transcript; should computing them fail, the utterance
  is kept and the suggestions follow with the next one; an utterance that does not change what
  they are computed from (an operator's question at the end: it counts only through the
  caller's answer) keeps those stored, neither computed nor written again;
- the nonce of every signed request is kept (channel_receipts, channel "hotline") in the same
  transaction as what the request changed, so a replayed request is refused and a refused one
  can be sent again.
Utterances are ordered by the platform's time (`ts`), then arrival: one that arrives late is
placed where it belongs. A retried utterance (same utterance id, or same speaker, time and text)
is not stored twice.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Callable, Mapping, Optional

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, sessionmaker

from bot import replies
from bot.handoff import tickets
from bot.hotline.assist import CALLER, OPERATOR, PROGRAM_NAMES, Line
from bot.hotline.spoken import read_out_digits
from bot.intake import registry
from bot.core.db import reading, transaction, utcnow
from bot.core.errors import Conflict, Forbidden, IntakeError, InvalidField, NotFound
from bot.core.privacy import (
    mask_id_number, mask_mobile, redact, validate_address, validate_mobile, validate_name,
)
from bot.core.models import (
    CALL_ACTIVE,
    CALL_ENDED,
    ChannelReceipt,
    HotlineCall,
    HotlineUtterance,
    StaffUser,
)
from bot.questionnaire.flow import screening_snapshot
from bot.regions import display_name, normalize_region
from bot.towns import check_town

log = logging.getLogger(__name__)
RECEIPT_CHANNEL = "hotline"
NONCE_KEPT = dt.timedelta(days=1)  # far longer than the signature's 5-minute window
EARLY_SKEW = dt.timedelta(seconds=60)  # an utterance may carry a time this much before the start
REQUEST_KEY = "work-order"
ALL_CALLS_ROLES = ("supervisor", "admin")
OUTCOME_NAMES = {"application": "已登记申请", "ticket": "已转交受理人员", "answered": "已解答"}


class UnknownCall(NotFound):
    default_message = "没有这个通话（call_id 未知）：请先发送通话开始事件。"


class Replayed(IntakeError):
    default_message = "重复的请求：这个 nonce 已经用过，请求被拒绝（每个请求须带新的 nonce 和签名）。"


@dataclass(frozen=True)
class CallRef:
    pk: int
    call_id: str
    operator_id: str
    caller_number: Optional[str]
    status: str
    version: int
    outcome: Optional[str] = None  # decided: the suggestions stay as they were at the decision


@dataclass(frozen=True)
class Stored:
    """An utterance as stored: the call, the transcript and suggestions at this revision, and
    how it arrived."""

    call: CallRef
    lines: Optional[list[Line]]  # the transcript at this revision, when it was read
    revision: int
    duplicate: bool  # the same utterance was stored before; nothing new was stored
    late: bool  # its time is before an utterance already stored: placed in order
    state: Optional[dict[str, Any]] = None  # the suggestions stored for the call
    state_revision: int = 0  # … computed from the transcript at this revision


# The suggestions for a transcript, given the calling number. An Assess may also have a method
# `content(lines, caller_number)`: what the suggestions are computed from, so that an utterance
# that does not change it (an operator's, at the end) keeps the suggestions already stored.
Assess = Callable[[list[Line], Optional[str]], dict[str, Any]]


def _ref(call: HotlineCall) -> CallRef:
    return CallRef(call.id, call.call_id, call.operator_id, call.caller_number, call.status, call.version,
                   call.outcome)


def _use_nonce(session: Session, nonce: str) -> None:
    """Keeps the nonce; Replayed when it was kept before. One statement (INSERT … ON CONFLICT
    DO NOTHING), where reading and then writing took two and the ORM's unit of work."""
    kept = session.execute(_nonce_insert(session.get_bind().dialect.name),
                           {"channel": RECEIPT_CHANNEL, "key": nonce, "received_at": utcnow()})
    if kept.rowcount == 0:
        raise Replayed()


@lru_cache(maxsize=None)
def _nonce_insert(dialect: str) -> Any:
    """The statement, built once per dialect (building it cost more than running it)."""
    insert = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}[dialect]
    return insert(ChannelReceipt.__table__).on_conflict_do_nothing()


def _call(session: Session, call_id: str, *, lock: bool = False) -> HotlineCall:
    """The call; its suggestions (`state`, encrypted JSON) are read only if they are used."""
    query = select(HotlineCall).where(HotlineCall.call_id == call_id).options(defer(HotlineCall.state))
    call = session.scalars(query.with_for_update() if lock else query).first()
    if call is None:
        raise UnknownCall()
    return call


def _same_operator(call: HotlineCall, operator_id: str) -> None:
    if call.operator_id != operator_id:
        raise Conflict(replies.text("hotline.calls.other_operator", operator=call.operator_id))


# ---- the platform's events ----

def start_call(call_id: str, operator_id: str, started_at: dt.datetime, nonce: str,
               caller_number: Optional[str] = None, *,
               factory: Optional[sessionmaker] = None) -> tuple[CallRef, bool]:
    """The call, created unless it was started before (then `created` is False)."""
    try:
        with transaction(factory) as session:
            _use_nonce(session, nonce)
            session.execute(delete(ChannelReceipt).where(
                ChannelReceipt.channel == RECEIPT_CHANNEL, ChannelReceipt.received_at < utcnow() - NONCE_KEPT))
            existing = session.scalars(select(HotlineCall).where(HotlineCall.call_id == call_id)).first()
            if existing is not None:
                return _existing_start(existing, operator_id), False
            now = utcnow()
            call = HotlineCall(call_id=call_id, operator_id=operator_id, caller_number=caller_number,
                               status=CALL_ACTIVE, started_at=started_at, version=1, utterance_count=0,
                               state_revision=0, created_at=now, updated_at=now)
            session.add(call)
            session.flush()
            return _ref(call), True
    except IntegrityError:  # the same call started by another worker at the same moment
        with transaction(factory) as session:
            return _existing_start(_call(session, call_id), operator_id), False


def _existing_start(call: HotlineCall, operator_id: str) -> CallRef:
    if call.status == CALL_ENDED:
        raise Conflict(replies.text("hotline.calls.ended_start"))
    _same_operator(call, operator_id)
    return _ref(call)


def utterance_key(utterance_id: Optional[str], speaker: str, spoken_at: dt.datetime, text: str) -> str:
    if utterance_id:
        return f"id:{utterance_id}"[:64]
    digest = hashlib.sha256(f"{speaker}\n{spoken_at.isoformat()}\n{text}".encode()).hexdigest()
    return f"sha256:{digest[:56]}"


def add_utterance(call_id: str, operator_id: str, speaker: str, text: str, spoken_at: dt.datetime,
                  nonce: str, utterance_id: Optional[str] = None, *, assess: Optional[Assess] = None,
                  factory: Optional[sessionmaker] = None) -> Stored:
    """Stores the utterance (once) and, with `assess`, the suggestions for the new transcript.

    The suggestions are computed before the transaction that stores the utterance opens, from
    the transcript as read just before with the new utterance in its place; they are stored with
    it only when nobody added an utterance in between. Otherwise they are computed again from
    the transcript as stored (`_catch_up`), so the call's row is never locked while they are
    computed and the suggestions stored are always those of the newest transcript."""
    key = utterance_key(utterance_id, speaker, spoken_at, text)
    draft = _draft(call_id, Line(speaker, text, spoken_at), key, assess, factory) if assess else None
    try:
        stored = _add_utterance(call_id, operator_id, speaker, text, spoken_at, nonce, key, draft, factory)
    except IntegrityError:  # the same retry stored by another worker at the same moment
        with transaction(factory) as session:
            call = _call(session, call_id)
            stored = Stored(_ref(call), _lines(session, call.id), call.utterance_count, True, False,
                            call.state, call.state_revision)
    if assess is not None and stored.state_revision < stored.revision and stored.call.outcome is None:
        return _catch_up(call_id, stored, assess, factory)
    return stored


@dataclass(frozen=True)
class _Draft:
    """Suggestions computed for the transcript at `revision` plus the new utterance; or, when
    `unchanged`, none: the new utterance does not change what they are computed from, and the
    suggestions stored are those of the transcript at `revision`."""

    revision: int
    state: Optional[dict[str, Any]]
    unchanged: bool = False


def _draft(call_id: str, line: Line, key: str, assess: Assess,
           factory: Optional[sessionmaker]) -> Optional[_Draft]:
    with reading(factory) as session:
        call = session.execute(
            select(HotlineCall.id, HotlineCall.status, HotlineCall.outcome, HotlineCall.utterance_count,
                   HotlineCall.state_revision, HotlineCall.caller_number)
            .where(HotlineCall.call_id == call_id)).first()
        if call is None or call.status == CALL_ENDED or call.outcome is not None:
            return None  # refused inside the transaction with the reason, or decided: nothing to compute
        stored = session.execute(
            select(HotlineUtterance.speaker, HotlineUtterance.text, HotlineUtterance.spoken_at,
                   HotlineUtterance.utterance_key)
            .where(HotlineUtterance.call_pk == call.id)
            .order_by(HotlineUtterance.spoken_at, HotlineUtterance.seq)).all()
    if any(row.utterance_key == key for row in stored):
        return None  # a retry: nothing new to compute
    before = [Line(speaker, text, at) for speaker, text, at, _key in stored]
    lines = sorted([*before, line], key=lambda item: item.at)  # stable: the new one after others of the same time
    content = getattr(assess, "content", None)
    if content is not None and call.state_revision == call.utterance_count \
            and content(lines, call.caller_number) == content(before, call.caller_number):
        return _Draft(call.utterance_count, None, unchanged=True)
    return _Draft(call.utterance_count, _assessed(assess, lines, call.caller_number, call_id))


def _assessed(assess: Assess, lines: list[Line], number: Optional[str], call_id: str) -> Optional[dict[str, Any]]:
    try:
        return assess(lines, number)
    except Exception:  # never lose the utterance for it: the next one brings the suggestions
        log.exception("hotline: suggestions for call %s failed", call_id)
        return None


def _add_utterance(call_id: str, operator_id: str, speaker: str, text: str, spoken_at: dt.datetime,
                   nonce: str, key: str, draft: Optional[_Draft], factory: Optional[sessionmaker]) -> Stored:
    with transaction(factory) as session:
        _use_nonce(session, nonce)
        call = _call(session, call_id, lock=True)
        _same_operator(call, operator_id)
        if call.status == CALL_ENDED:
            raise Conflict(replies.text("hotline.calls.ended_utterance"))
        if spoken_at < call.started_at - EARLY_SKEW:
            raise InvalidField("ts", replies.text("hotline.calls.early_utterance"))
        same, latest = session.execute(  # the retry check and the latest time, in one query
            select(func.count(HotlineUtterance.id).filter(HotlineUtterance.utterance_key == key),
                   func.max(HotlineUtterance.spoken_at))
            .where(HotlineUtterance.call_pk == call.id)).one()
        duplicate, late = same > 0, False
        if not duplicate:
            late = latest is not None and spoken_at < latest
            current = draft is not None and draft.revision == call.utterance_count and call.outcome is None
            fresh = current and draft.state is not None
            kept = current and draft.unchanged and call.state_revision == call.utterance_count
            call.utterance_count += 1
            call.version += 1
            call.updated_at = utcnow()
            session.add(HotlineUtterance(call_pk=call.id, seq=call.utterance_count, utterance_key=key,
                                         speaker=speaker, text=text, spoken_at=spoken_at,
                                         received_at=utcnow()))
            if fresh:
                call.state, call.state_revision = draft.state, call.utterance_count
            elif kept:  # the suggestions stored stay right: not computed, encrypted or written again
                call.state_revision = call.utterance_count
            session.flush()
        # The transcript is read again (outside this transaction) only when suggestions must catch up.
        return Stored(_ref(call), None, call.utterance_count, duplicate, late, call.state, call.state_revision)


def _catch_up(call_id: str, stored: Stored, assess: Assess, factory: Optional[sessionmaker]) -> Stored:
    """Suggestions for the transcript as stored, computed outside any transaction, and stored when
    the transcript has not grown meanwhile; when it has, the writer that grew it stores its own
    (the last writer always can, so the newest transcript always gets its suggestions)."""
    lines = stored.lines
    if lines is None:
        with reading(factory) as session:
            lines = _lines(session, stored.call.pk)
    state = _assessed(assess, lines, stored.call.caller_number, call_id)
    if state is None:
        return stored
    with transaction(factory) as session:
        call = _call(session, call_id, lock=True)
        if call.utterance_count == stored.revision and call.state_revision < stored.revision and call.outcome is None:
            call.state, call.state_revision = state, stored.revision
            call.version += 1
            call.updated_at = utcnow()
        return replace(stored, call=_ref(call), state=call.state, state_revision=call.state_revision)


def transcript(call_id: str, *, factory: Optional[sessionmaker] = None) -> list[Line]:
    """The call's utterances as stored, in the order of their time."""
    with reading(factory) as session:
        return _lines(session, _call(session, call_id).id)


def _lines(session: Session, call_pk: int) -> list[Line]:
    rows = session.execute(
        select(HotlineUtterance.speaker, HotlineUtterance.text, HotlineUtterance.spoken_at)
        .where(HotlineUtterance.call_pk == call_pk)
        .order_by(HotlineUtterance.spoken_at, HotlineUtterance.seq)
    ).all()
    return [Line(speaker, text, at) for speaker, text, at in rows]


def end_call(call_id: str, operator_id: str, ended_at: dt.datetime, nonce: str, *,
             factory: Optional[sessionmaker] = None) -> tuple[CallRef, bool]:
    """Ends the call; (call, ended now). Ending it again changes nothing."""
    with transaction(factory) as session:
        _use_nonce(session, nonce)
        call = _call(session, call_id, lock=True)
        _same_operator(call, operator_id)
        if call.status == CALL_ENDED:
            return _ref(call), False
        call.status = CALL_ENDED
        call.ended_at = max(ended_at, call.started_at)
        call.version += 1
        call.updated_at = utcnow()
        session.flush()
        return _ref(call), True


def current_state(call_id: str, *, factory: Optional[sessionmaker] = None) -> tuple[CallRef, Any]:
    with reading(factory) as session:
        call = _call(session, call_id)
        return _ref(call), call.state


# ---- the operator's panel ----

def may_see(user: StaffUser, call: HotlineCall | CallRef) -> bool:
    """The operator who took the call; supervisors and admins see every call."""
    if user.active is False:
        return False
    return user.role in ALL_CALLS_ROLES or (user.role == "operator" and user.username == call.operator_id)


def call_view(call_id: str, user: StaffUser, *, factory: Optional[sessionmaker] = None) -> dict[str, Any]:
    """Everything the panel shows of a call: NotFound also when the user may not see it."""
    with reading(factory) as session:
        call = session.scalars(select(HotlineCall).where(HotlineCall.call_id == call_id)).first()
        if call is None or not may_see(user, call):
            raise NotFound(replies.text("hotline.calls.not_found"))
        lines = session.execute(
            select(HotlineUtterance.id, HotlineUtterance.speaker, HotlineUtterance.text,
                   HotlineUtterance.spoken_at)
            .where(HotlineUtterance.call_pk == call.id)
            .order_by(HotlineUtterance.spoken_at, HotlineUtterance.seq)
        ).all()
        return {
            "call_id": call.call_id,
            "operator_id": call.operator_id,
            "caller_number": call.caller_number,
            "status": call.status,
            "started_at": call.started_at,
            "ended_at": call.ended_at,
            "version": call.version,
            "revision": call.utterance_count,
            "state_revision": call.state_revision,
            "state": call.state,
            "outcome": call.outcome,
            "outcome_name": OUTCOME_NAMES.get(call.outcome or ""),
            "outcome_note": call.outcome_note,
            "application_number": call.application.number if call.application else None,
            "ticket_id": call.ticket_id,
            "closed_by": call.closed_by.display_name if call.closed_by else None,
            "lines": [{"id": pk, "speaker": speaker, "text": text, "at": at} for pk, speaker, text, at in lines],
        }


def watch(operator_id: Optional[str], call_id: Optional[str], *,
          factory: Optional[sessionmaker] = None) -> tuple[int, Optional[str], int]:
    """(id, call_id, version) of the given call, or of the operator's newest call; (0, None, 0)
    when there is none."""
    with reading(factory) as session:
        query = select(HotlineCall.id, HotlineCall.call_id, HotlineCall.version)
        if call_id is not None:
            row = session.execute(query.where(HotlineCall.call_id == call_id)).first()
        else:
            row = session.execute(query.where(HotlineCall.operator_id == operator_id)
                                  .order_by(HotlineCall.id.desc()).limit(1)).first()
    return (row[0], row[1], row[2]) if row else (0, None, 0)


def changed_since(moment: dt.datetime, *, factory: Optional[sessionmaker] = None
                  ) -> list[tuple[int, str, str, int, dt.datetime]]:
    """(id, call_id, operator_id, version, updated_at) of every call changed since `moment`."""
    with reading(factory) as session:
        rows = session.execute(
            select(HotlineCall.id, HotlineCall.call_id, HotlineCall.operator_id, HotlineCall.version,
                   HotlineCall.updated_at)
            .where(HotlineCall.updated_at >= moment).order_by(HotlineCall.updated_at)
        ).all()
    return [tuple(row) for row in rows]


def recent_calls(user: StaffUser, limit: int = 50, *,
                 factory: Optional[sessionmaker] = None) -> list[HotlineCall]:
    query = select(HotlineCall).order_by(HotlineCall.id.desc()).limit(limit)
    if user.role not in ALL_CALLS_ROLES:
        query = query.where(HotlineCall.operator_id == user.username)
    with reading(factory) as session:
        return list(session.scalars(query))


# ---- the operator's decision ----

@dataclass(frozen=True)
class WorkOrder:
    """The work order as the operator confirmed it in the form."""

    caller_name: str = ""
    callback_phone: str = ""
    id_number: str = ""
    region: str = ""
    district: str = ""
    address: str = ""
    category: str = ""
    programs: tuple[str, ...] = ()
    urgency: str = ""
    summary: str = ""
    district_confirmed: bool = False  # the operator checked a 乡镇 the gazetteer does not have

    @classmethod
    def from_form(cls, form: Mapping[str, Any], programs: list[str]) -> "WorkOrder":
        def text(name: str) -> str:
            return " ".join(str(form.get(name) or "").split())

        return cls(text("caller_name"), text("callback_phone"), text("id_number"), text("region"),
                   text("district"), text("address"), text("category"), tuple(programs),
                   text("urgency"), str(form.get("summary") or "").strip(),
                   form.get("district_confirmed") == "1")

    def region_name(self) -> Optional[str]:
        """The region's full name; the 乡镇 checked against it (InvalidField naming what is wrong)."""
        if not self.region:
            return None
        region = normalize_region(self.region)
        if region is None:
            raise InvalidField("region", replies.text("hotline.calls.region"))
        if self.district and not self.district_confirmed:
            check = check_town(self.district, region)
            if check.status in ("unknown", "elsewhere"):
                raise InvalidField("district", replies.text("hotline.calls.district_checked", problem=check.message))
        return region.name

    def as_decided(self) -> dict[str, Any]:
        """The work order as the operator decided it, numbers masked (kept with the call)."""
        return {"caller_name": self.caller_name,
                "callback_phone": mask_mobile(self.callback_phone) if self.callback_phone else "",
                "id_number": mask_id_number(self.id_number) if self.id_number else "",
                "region": self.region, "district": self.district, "address": self.address,
                "category": self.category, "programs": list(self.programs), "urgency": self.urgency,
                "summary": self.summary}


def _decidable(session: Session, call_id: str, user: StaffUser, outcome: str) -> HotlineCall:
    call = _call(session, call_id, lock=True)
    if not may_see(user, call):
        raise NotFound(replies.text("hotline.calls.not_found"))
    if user.role not in ("operator",) + ALL_CALLS_ROLES:
        raise Forbidden()
    if call.outcome is not None and call.outcome != outcome:
        raise Conflict(replies.text("hotline.calls.decided", outcome=OUTCOME_NAMES[call.outcome],
                                    verb=OUTCOME_VERBS[outcome]))
    return call


OUTCOME_VERBS = {"application": "登记申请", "ticket": "转交受理人员", "answered": "标记为已解答"}


def _close(session: Session, call: HotlineCall, outcome: str, user: StaffUser,
           order: Optional[WorkOrder] = None, **values: Any) -> None:
    """Records the decision; the suggestions are frozen as they were, with the work order decided."""
    if order is not None:
        values["state"] = {**(call.state or {}), "decided": order.as_decided()}
    session.execute(
        update(HotlineCall).where(HotlineCall.id == call.id)
        .values(outcome=outcome, closed_by_id=user.id, closed_at=utcnow(), version=HotlineCall.version + 1,
                updated_at=utcnow(), **values)
    )


def confirm_application(call_id: str, user: StaffUser, order: WorkOrder, consent: bool,
                        answers: Mapping[str, Any], as_of: dt.date, *,
                        factory: Optional[sessionmaker] = None) -> registry.Registration:
    """Registers the work order as an application (channel hotline, conversation = the call).

    The caller's consent is the operator's record of what the caller said on the phone. The same
    call confirmed twice registers once (the registry's idempotency key)."""
    with transaction(factory) as session:
        call = _decidable(session, call_id, user, "application")
    if not consent:
        raise InvalidField("consent", replies.text("hotline.calls.consent"))
    request = registry.ApplicationRequest(
        channel="hotline", conversation_id=call.call_id, request_key=REQUEST_KEY,
        name=order.caller_name, mobile=order.callback_phone, id_number=order.id_number,
        address=order.address, district=order.district, programs=list(order.programs), consent=True,
        region=order.region_name(), screening=screening_snapshot(dict(answers), as_of),
    )
    registration = registry.register(request, factory=factory)
    with transaction(factory) as session:
        call = _decidable(session, call_id, user, "application")
        _close(session, call, "application", user, order, application_id=registration.application_id)
    registry.audit(user, "hotline_application", object_type="hotline_call", object_id=call_id,
                   detail=replies.text("hotline.calls.consent_recorded", number=registration.number), factory=factory)
    return registration


def hand_off(call_id: str, user: StaffUser, order: WorkOrder, *,
             factory: Optional[sessionmaker] = None) -> int:
    """A hand-off ticket for the intake staff of the caller's 乡镇/街道, with the transcript and
    the work order; its id."""
    region = order.region_name()
    phone = validate_mobile(order.callback_phone) if order.callback_phone else None
    name = validate_name(order.caller_name) if order.caller_name else None
    address = validate_address(order.address) if order.address else None
    with transaction(factory) as session:
        call = _decidable(session, call_id, user, "ticket")
        if call.ticket_id is not None:
            return call.ticket_id
        transcript = [{"speaker": "resident" if line.speaker == CALLER else OPERATOR,
                       "text": redact(read_out_digits(line.text))} for line in _lines(session, call.id)]
    ticket, _created = tickets.open_ticket(
        call_id, RECEIPT_CHANNEL, "hotline", transcript,
        screening_summary=ticket_summary(order, name, phone, address, region),
        region=region, district=order.district or None, callback_phone=phone, factory=factory,
    )
    with transaction(factory) as session:
        call = _decidable(session, call_id, user, "ticket")
        _close(session, call, "ticket", user, order, ticket_id=ticket.id)
    registry.audit(user, "hotline_ticket", object_type="hotline_call", object_id=call_id,
                   detail=f"R{ticket.id}", factory=factory)
    return ticket.id


def ticket_summary(order: WorkOrder, name: Optional[str], phone: Optional[str], address: Optional[str],
                   region: Optional[str]) -> str:
    """The work order on the ticket: staff call the caller back."""
    place = "".join(filter(None, [display_name(region) if region else None, order.district]))
    say = replies.text
    unsaid = say("hotline.ticket.unsaid")
    lines = [
        say("hotline.ticket.title"),
        say("hotline.ticket.caller", name=name or say("hotline.ticket.no_name")),
        say("hotline.ticket.phone", phone=mask_mobile(phone) if phone else say("hotline.ticket.no_phone")),
        say("hotline.ticket.place", place=place or unsaid),
        say("hotline.ticket.address", address=address or unsaid),
        say("hotline.ticket.programs", programs="、".join(PROGRAM_NAMES.get(p, p) for p in order.programs) or unsaid),
        say("hotline.ticket.urgency", urgency=say("hotline.ticket.urgent" if order.urgency == "urgent" else "hotline.ticket.normal")),
    ]
    if order.summary:
        lines.append(say("hotline.ticket.summary", summary=order.summary))
    return "\n".join(lines)


def mark_answered(call_id: str, user: StaffUser, note: str, *,
                  factory: Optional[sessionmaker] = None) -> None:
    note = " ".join((note or "").split())[:500] or None
    with transaction(factory) as session:
        call = _decidable(session, call_id, user, "answered")
        _close(session, call, "answered", user, outcome_note=note)
    registry.audit(user, "hotline_answered", object_type="hotline_call", object_id=call_id, factory=factory)
