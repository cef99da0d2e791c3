"""Notices uploaded in the console: the importer's reading of the text, the facts staff fill in,
publication by maker-checker to the search index of every worker, superseded/expired marks and
unpublishing (maker-checker too).

A notice is plain text (.txt, UTF-8 or GB 18030), Word (.docx) or a PDF with a text layer, read
by bot.standards.files. The importer (bot.knowledge.importer) reads
the 文号, title, issuer, date of issue, end date and the numbered measures; the preview says what
it could not find, and staff fill it in (the region always: a text rarely names it canonically).
Publication is maker-checker, as for the standards' values: one supervisor proposes the notice
(it must then be complete and its 文号 new), and a second supervisor who keeps the notice's region
approves it (it is published) or rejects it with a reason (it can be corrected and proposed
again); the proposer may withdraw it. Nothing is searched before the approval, and a notice under
review or published cannot be changed (unpublish it, correct it, propose it again). Unpublishing
a published notice, or marking it superseded or expired from a date, is likewise proposed by one
supervisor and takes effect only when a second supervisor of the region approves it
(propose_change / approve_change / reject_change / withdraw_change).
Publishing raises the "notices" version; each worker rebuilds its index from the shipped corpus
and the published notices (bot.knowledge.service.get_policy_service) and keeps the old index when
the rebuild fails. Rows are never deleted: unpublishing and marking keep the history, and every
step is in the audit log.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.core.db import reading, transaction, utcnow
from bot.core.errors import Forbidden, IntakeError, InvalidField, NotFound
from bot.core.models import (
    NOTICE_DRAFT,
    NOTICE_PENDING,
    NOTICE_PUBLISHED,
    NOTICE_REJECTED,
    NOTICE_UNPUBLISHED,
    PolicyNotice,
    StaffUser,
)
from bot.intake.registry import _audit_entry
from bot.knowledge.corpus import Measure, PolicyDocument, document_from_dict, document_to_dict, load_corpus
from bot.knowledge.importer import parse_source
from bot.regions import display_name
from bot.settings import get_settings
from bot.standards.files import MAX_NOTICE_BYTES, SUFFIXES, read_upload  # noqa: F401 (the console's limits)
from bot.core.versions import bump
from bot.standards.store import _DOC_NUMBER_RE, KEEPERS, may_keep, normalize_doc_number, region_name, version

NOTICES = "notices"  # the RegistryVersion row
STATUS_NAMES = {NOTICE_DRAFT: "草稿", NOTICE_PENDING: "待审核", NOTICE_REJECTED: "已驳回", NOTICE_PUBLISHED: "已发布",
                NOTICE_UNPUBLISHED: "已撤下"}
PROPOSABLE = (NOTICE_DRAFT, NOTICE_REJECTED, NOTICE_UNPUBLISHED)  # statuses a proposal may start from
MAX_REVIEW_NOTE = 1000
ENDED_NAMES = {"superseded": "已被新文件替代", "expired": "已失效"}
FACT_NAMES = {"doc_number": "文号", "title": "标题", "issuer": "发文机关", "region": "适用地区",
              "issued": "印发日期", "valid_until": "有效期至"}
REQUIRED = ("doc_number", "title", "issuer", "region")


@dataclass(frozen=True)
class Preview:
    facts: dict[str, Any]  # what is known now (found in the text or filled in)
    found: dict[str, bool]  # which facts the importer found itself
    missing: tuple[str, ...]  # required facts still missing
    measures: tuple[Measure, ...]


def _read(text: str) -> tuple[dict[str, Any], tuple[Measure, ...]]:
    parsed = parse_source(text)
    facts = {"doc_number": parsed.doc_number, "title": parsed.title, "issuer": parsed.issuer, "region": None,
             "issued": parsed.issued.isoformat() if parsed.issued else None, "issued_text": parsed.issued_text,
             "valid_until": parsed.valid_until.isoformat() if parsed.valid_until else None}
    return facts, tuple(parsed.measures)


def preview(row: PolicyNotice) -> Preview:
    document = row.document
    detected, measures = _read(row.source_text)
    facts = {key: document.get(key) for key in FACT_NAMES}
    found = {key: bool(detected.get(key)) for key in FACT_NAMES}
    missing = tuple(key for key in REQUIRED if not facts.get(key))
    return Preview(facts, found, missing, measures)


def _check_actor(actor: StaffUser) -> None:
    if not actor.active or actor.role not in KEEPERS:
        raise Forbidden("政策通知由主管维护。")


def _check_region(actor: StaffUser, region: str) -> None:
    if not may_keep(actor, region):
        where = display_name(actor.region) if actor.region else "（未设置）"
        raise Forbidden(f"您负责的地区是{where}，不能发布{display_name(region)}的通知。")


def upload(actor: StaffUser, file_name: str, data: bytes, *, factory: Optional[sessionmaker] = None) -> PolicyNotice:
    """A draft from an uploaded file; the importer must find at least one numbered measure."""
    _check_actor(actor)
    text = read_upload(file_name, data)
    facts, measures = _read(text)
    if not measures or all(m.number == "前言" for m in measures):
        raise InvalidField("file", "没有在文件中找到编号的措施（如“一、”“（一）”“1.”），无法导入；请确认上传的是通知正文。")
    region = actor.region
    document = {**facts, "region": region, "doc_id": "", "source_file": f"console:{file_name[:150]}",
                "measures": [], "issued_text": facts.get("issued_text") or ""}
    with transaction(factory) as session:
        row = PolicyNotice(doc_id=f"pending-{utcnow():%Y%m%d%H%M%S%f}", status=NOTICE_DRAFT, document=document,
                           source_text=text, file_name=file_name[:200], region=region or "",
                           created_by_id=actor.id, created_by=actor.display_name, created_at=utcnow(),
                           updated_at=utcnow())
        session.add(row)
        session.flush()
        row.doc_id = f"notice-{row.id}"
        row.document = {**document, "doc_id": row.doc_id}
        session.add(_audit_entry(actor, "notice_upload", object_type="notice", object_id=str(row.id),
                                 detail=f"{file_name[:100]} {facts.get('doc_number') or '（未识别文号）'}"))
    return row


def _date_field(fields: Mapping[str, Any], name: str) -> str | None:
    value = (fields.get(name) or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidField(name, f"{FACT_NAMES[name]}不是有效日期，请按 2024-07-01 的格式填写。") from None


def save_facts(actor: StaffUser, notice_id: int, fields: Mapping[str, Any], *,
               factory: Optional[sessionmaker] = None) -> PolicyNotice:
    """The facts staff filled in (or corrected), checked."""
    _check_actor(actor)
    doc_number = normalize_doc_number(fields.get("doc_number") or "")
    if doc_number and not _DOC_NUMBER_RE.match(doc_number):
        raise InvalidField("doc_number", "文号格式不对，应像“运民发〔2024〕12号”。")
    region_text = (fields.get("region") or "").strip()
    region = region_name(region_text) if region_text else None
    if region_text and region is None:
        raise InvalidField("region", f"“{region_text}”不是本助手认识的地区名称。")
    if region:
        _check_region(actor, region)
    issued, valid_until = _date_field(fields, "issued"), _date_field(fields, "valid_until")
    if issued and valid_until and valid_until < issued:
        raise InvalidField("valid_until", "有效期不能早于印发日期。")
    title = " ".join((fields.get("title") or "").split())[:200]
    issuer = " ".join((fields.get("issuer") or "").split())[:200]
    with transaction(factory) as session:
        row = _row(session, notice_id)
        if row.status == NOTICE_PENDING:
            raise IntakeError("该通知正在审核中，不能修改；请等待审核，或由提交人撤回后再改。")
        if row.status == NOTICE_PUBLISHED:
            raise IntakeError("该通知已发布，不能直接修改；请先撤下，修改后再提交审核。")
        document = dict(row.document)
        document.update(doc_number=doc_number or None, title=title or None, issuer=issuer or None, region=region,
                        issued=issued, valid_until=valid_until)
        if issued:
            day = dt.date.fromisoformat(issued)
            document["issued_text"] = f"{day.year}年{day.month}月{day.day}日"
        changed = [FACT_NAMES[key] for key in FACT_NAMES if document.get(key) != row.document.get(key)]
        if changed:
            session.add(_audit_entry(actor, "notice_edit", object_type="notice", object_id=str(row.id),
                                     detail=f"{doc_number or '（未填文号）'} 修改：{'、'.join(changed)}"))
        row.document, row.region, row.updated_at = document, region or "", utcnow()
    return row


def _row(session: Any, notice_id: int) -> PolicyNotice:
    row = session.get(PolicyNotice, notice_id, with_for_update=True)
    if row is None:
        raise NotFound("没有找到该通知。")
    return row


def _document(row: PolicyNotice) -> PolicyDocument:
    """The notice as a corpus document: its measures read again from the text, the facts as saved,
    and an end mark (superseded or expired) applied to its validity."""
    facts = row.document
    missing = [FACT_NAMES[key] for key in REQUIRED if not facts.get(key)]
    if missing:
        raise InvalidField(REQUIRED[0], f"还缺少：{'、'.join(missing)}。请补全后再发布。")
    _detected, measures = _read(row.source_text)
    if not measures:
        raise InvalidField("file", "没有在文件中找到编号的措施，不能发布。")
    valid_until = facts.get("valid_until")
    note = ""
    if row.ended_on is not None:
        last_day = (row.ended_on - dt.timedelta(days=1)).isoformat()
        valid_until = min(valid_until, last_day) if valid_until else last_day
        on = f"{row.ended_on.year}年{row.ended_on.month}月{row.ended_on.day}日"
        note = f"该通知已于{on}{ENDED_NAMES.get(row.ended_reason or '', '失效')}" + (
            f"（{row.ended_note}）" if row.ended_note else "")
    data = {
        "doc_id": row.doc_id, "title": facts["title"], "issuer": facts["issuer"], "doc_number": facts["doc_number"],
        "issued": facts.get("issued"), "issued_text": facts.get("issued_text") or "", "region": facts["region"],
        "valid_until": valid_until, "source_file": facts.get("source_file") or f"console:{row.file_name}",
        "measures": [{"number": m.number, "clause": m.clause, "headings": list(m.headings), "title": m.title,
                      "text": m.text, **({"expiry_note": note} if note else {})} for m in measures],
    }
    return document_from_dict(data, f"notice #{row.id}")


def _check_new_number(session: Any, row: PolicyNotice, document: PolicyDocument) -> None:
    shipped = {doc.doc_number for doc in load_corpus(get_settings().policy_dir)}
    others = session.scalars(select(PolicyNotice).where(PolicyNotice.status.in_((NOTICE_PUBLISHED, NOTICE_PENDING)),
                                                        PolicyNotice.id != row.id)).all()
    if document.doc_number in shipped or any(o.document.get("doc_number") == document.doc_number for o in others):
        raise InvalidField("doc_number", f"{document.doc_number}已经收录或正在审核，不能重复发布；如是新版本，请先撤下旧的。")


def propose(actor: StaffUser, notice_id: int, *, factory: Optional[sessionmaker] = None) -> PolicyNotice:
    """The notice proposed for publication: complete, of a region the actor keeps, with a new 文号.
    It is searched only once a second supervisor approves it."""
    _check_actor(actor)
    with transaction(factory) as session:
        row = _row(session, notice_id)
        if row.status not in PROPOSABLE:
            raise IntakeError(f"该通知{STATUS_NAMES[row.status]}，不能再提交审核。")
        document = _document(row)
        _check_region(actor, document.region)
        _check_new_number(session, row, document)
        row.status, row.updated_at = NOTICE_PENDING, utcnow()
        row.proposed_by_id, row.proposed_by, row.proposed_at = actor.id, actor.display_name, utcnow()
        session.add(_audit_entry(actor, "notice_propose", object_type="notice", object_id=str(row.id),
                                 detail=f"{document.doc_number} {document.title[:60]}"))
    return row


def _review_note(actor: StaffUser, note: str | None, *, required: bool = False) -> str | None:
    """A reviewer's note on one line, cut to MAX_REVIEW_NOTE (None when empty); a rejection needs one."""
    _check_actor(actor)
    note = " ".join((note or "").split())[:MAX_REVIEW_NOTE]
    if required and not note:
        raise InvalidField("note", "驳回时请写明理由。")
    return note or None


def _pending_for_review(session: Any, actor: StaffUser, notice_id: int) -> tuple[PolicyNotice, PolicyDocument]:
    row = _row(session, notice_id)
    if row.status != NOTICE_PENDING:
        raise IntakeError(f"该通知{STATUS_NAMES[row.status]}，不是待审核的通知，请刷新后再看。")
    document = _document(row)
    _check_region(actor, document.region)
    if row.proposed_by_id == actor.id:
        raise Forbidden("通知须由另一位主管审核后发布，不能审核自己提交的通知。")
    return row, document


def approve(actor: StaffUser, notice_id: int, *, note: str | None = None,
            factory: Optional[sessionmaker] = None) -> PolicyNotice:
    """A second supervisor of the region approves the proposal: the notice is published, and every
    worker's index takes it within a second."""
    note = _review_note(actor, note)
    with transaction(factory) as session:
        row, document = _pending_for_review(session, actor, notice_id)
        _check_new_number(session, row, document)
        now = utcnow()
        row.status, row.published_by, row.published_at, row.updated_at = (
            NOTICE_PUBLISHED, actor.display_name, now, now)
        row.reviewed_by_id, row.reviewed_by, row.reviewed_at, row.review_note = actor.id, actor.display_name, now, note
        row.document = {**row.document, "measures": document_to_dict(document)["measures"]}
        session.add(_audit_entry(actor, "notice_approve", object_type="notice", object_id=str(row.id),
                                 detail=f"{document.doc_number} {document.title[:60]}"
                                        f"（提交人：{row.proposed_by}）{('：' + note) if note else ''}"))
        bump(session, NOTICES)
    return row


def reject(actor: StaffUser, notice_id: int, note: str, *, factory: Optional[sessionmaker] = None) -> PolicyNotice:
    """A second supervisor sends the proposal back with a reason; nothing is published."""
    note = _review_note(actor, note, required=True)
    with transaction(factory) as session:
        row, document = _pending_for_review(session, actor, notice_id)
        now = utcnow()
        row.status, row.updated_at = NOTICE_REJECTED, now
        row.reviewed_by_id, row.reviewed_by, row.reviewed_at, row.review_note = actor.id, actor.display_name, now, note
        session.add(_audit_entry(actor, "notice_reject", object_type="notice", object_id=str(row.id),
                                 detail=f"{document.doc_number}（提交人：{row.proposed_by}）：{note}"))
    return row


def withdraw(actor: StaffUser, notice_id: int, *, factory: Optional[sessionmaker] = None) -> PolicyNotice:
    """The proposer takes the proposal back (to correct it); it becomes a draft again."""
    _check_actor(actor)
    with transaction(factory) as session:
        row = _row(session, notice_id)
        if row.status != NOTICE_PENDING:
            raise IntakeError(f"该通知{STATUS_NAMES[row.status]}，不是待审核的通知，无需撤回。")
        if row.proposed_by_id != actor.id:
            raise Forbidden(f"只有提交人（{row.proposed_by}）可以撤回。")
        row.status, row.updated_at = NOTICE_DRAFT, utcnow()
        session.add(_audit_entry(actor, "notice_withdraw", object_type="notice", object_id=str(row.id),
                                 detail=str(row.document.get("doc_number") or "")))
    return row


CHANGE_NAMES = {"unpublish": "撤下", "end": "标注失效"}


def _end_fields(reason: str, on: str, issued: str | None) -> dt.date:
    if reason not in ENDED_NAMES:
        raise InvalidField("reason", "请选择“已被新文件替代”或“已失效”。")
    try:
        day = dt.date.fromisoformat((on or "").strip())
    except ValueError:
        raise InvalidField("ended_on", "请填写失效日期（格式如 2024-07-01）。") from None
    if issued and day.isoformat() <= issued:
        raise InvalidField("ended_on", "失效日期须晚于印发日期。")
    return day


def change_text(change: Mapping[str, Any]) -> str:
    """A proposed change in words: 撤下 / 标注“已被新文件替代”，自2026-12-01起（说明）."""
    if change["kind"] == "unpublish":
        text = "撤下（助手不再引用，记录保留）"
    else:
        text = f"标注“{ENDED_NAMES[change['reason']]}”，自{change['on']}起"
    return text + (f"（{change['note']}）" if change.get("note") else "")


def propose_change(actor: StaffUser, notice_id: int, kind: str, *, reason: str = "", on: str = "", note: str = "",
                   factory: Optional[sessionmaker] = None) -> PolicyNotice:
    """A supervisor of the region proposes to unpublish a published notice (kind "unpublish") or to
    mark it superseded or expired from a date (kind "end"). Nothing changes for residents until a
    second supervisor approves it (approve_change)."""
    _check_actor(actor)
    if kind not in CHANGE_NAMES:
        raise InvalidField("kind", "请选择撤下或标注失效。")
    note = " ".join((note or "").split())[:200]
    with transaction(factory) as session:
        row = _row(session, notice_id)
        if row.status != NOTICE_PUBLISHED:
            raise IntakeError(f"该通知{STATUS_NAMES[row.status]}，不是已发布的通知；撤下或标注失效只用于已发布的通知。")
        if row.region:
            _check_region(actor, row.region)
        if row.pending_change:
            raise IntakeError(f"这份通知已有待审核的变更（{change_text(row.pending_change)}），"
                              "请等待审核，或由提议人撤回后再提。")
        change: dict[str, Any] = {"kind": kind, "note": note}
        if kind == "end":
            change.update(reason=reason, on=_end_fields(reason, on, row.document.get("issued")).isoformat())
        change.update(by_id=actor.id, by=actor.display_name, at=utcnow().isoformat(timespec="seconds"))
        row.pending_change, row.updated_at = change, utcnow()
        session.add(_audit_entry(actor, f"notice_{kind}_propose", object_type="notice", object_id=str(row.id),
                                 detail=f"{row.document.get('doc_number') or ''} {change_text(change)}"))
    return row


def _change_for_review(session: Any, actor: StaffUser, notice_id: int) -> tuple[PolicyNotice, dict[str, Any]]:
    row = _row(session, notice_id)
    change = row.pending_change
    if not change or row.status != NOTICE_PUBLISHED:
        raise IntakeError("这份通知没有待审核的变更，请刷新后再看。")
    if row.region:
        _check_region(actor, row.region)
    if change["by_id"] == actor.id:
        raise Forbidden("撤下或标注失效须由另一位主管审核，不能审核自己的提议。")
    return row, dict(change)


def approve_change(actor: StaffUser, notice_id: int, *, note: str | None = None,
                   factory: Optional[sessionmaker] = None) -> PolicyNotice:
    """A second supervisor of the region approves the proposed change: the notice is unpublished,
    or marked superseded/expired, and every worker's index follows within a second."""
    note = _review_note(actor, note)
    with transaction(factory) as session:
        row, change = _change_for_review(session, actor, notice_id)
        if change["kind"] == "unpublish":
            row.status = NOTICE_UNPUBLISHED
        else:
            row.ended_on, row.ended_reason = dt.date.fromisoformat(change["on"]), change["reason"]
            row.ended_note = change.get("note") or None
        row.pending_change, row.updated_at = None, utcnow()
        action = "notice_unpublish" if change["kind"] == "unpublish" else "notice_end"
        session.add(_audit_entry(actor, action, object_type="notice", object_id=str(row.id),
                                 detail=f"{row.document.get('doc_number') or ''} {change_text(change)}"
                                        f"（提议人：{change['by']}）{('：' + note) if note else ''}"))
        bump(session, NOTICES)
    return row


def reject_change(actor: StaffUser, notice_id: int, note: str, *,
                  factory: Optional[sessionmaker] = None) -> PolicyNotice:
    """A second supervisor turns the proposed change down with a reason; the notice stays as it is."""
    note = _review_note(actor, note, required=True)
    with transaction(factory) as session:
        row, change = _change_for_review(session, actor, notice_id)
        row.pending_change, row.updated_at = None, utcnow()
        session.add(_audit_entry(actor, "notice_change_reject", object_type="notice", object_id=str(row.id),
                                 detail=f"{row.document.get('doc_number') or ''} {change_text(change)}"
                                        f"（提议人：{change['by']}）：{note}"))
    return row


def withdraw_change(actor: StaffUser, notice_id: int, *, factory: Optional[sessionmaker] = None) -> PolicyNotice:
    """The proposer takes the proposed change back."""
    _check_actor(actor)
    with transaction(factory) as session:
        row = _row(session, notice_id)
        change = row.pending_change
        if not change:
            raise IntakeError("这份通知没有待审核的变更，无需撤回。")
        if change["by_id"] != actor.id:
            raise Forbidden(f"只有提议人（{change['by']}）可以撤回。")
        row.pending_change, row.updated_at = None, utcnow()
        session.add(_audit_entry(actor, "notice_change_withdraw", object_type="notice", object_id=str(row.id),
                                 detail=f"{row.document.get('doc_number') or ''} {change_text(change)}"))
    return row


def notices(factory: Optional[sessionmaker] = None) -> list[PolicyNotice]:
    with reading(factory) as session:
        return list(session.scalars(select(PolicyNotice).order_by(PolicyNotice.id.desc())))


def notice(notice_id: int, factory: Optional[sessionmaker] = None) -> PolicyNotice:
    with reading(factory) as session:
        row = session.get(PolicyNotice, notice_id)
    if row is None:
        raise NotFound("没有找到该通知。")
    return row


def published_documents(factory: Optional[sessionmaker] = None) -> list[PolicyDocument]:
    with reading(factory) as session:
        rows = list(session.scalars(select(PolicyNotice).where(PolicyNotice.status == NOTICE_PUBLISHED)
                                    .order_by(PolicyNotice.id)))
    return [_document(row) for row in rows]


def count_pending(factory: Optional[sessionmaker] = None) -> int:
    with reading(factory) as session:
        return session.scalar(select(func.count(PolicyNotice.id)).where(
            (PolicyNotice.status == NOTICE_PENDING) | PolicyNotice.pending_change.isnot(None))) or 0


def notices_version(factory: Optional[sessionmaker] = None) -> int:
    return version(NOTICES, factory)
