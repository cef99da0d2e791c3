"""Notices uploaded in the console (issue 13): the importer's preview, bad files, facts filled in,
publication by maker-checker (one supervisor proposes, another of the region approves or rejects
with a reason; nothing is searched before the approval) into the index of a running service,
superseded/expired marks, unpublishing, and a failed rebuild leaving the old index serving. The
notice is a made-up test notice."""
from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.core.db import transaction
from bot.core.errors import Forbidden, IntakeError, InvalidField
from bot.core.models import AuditEntry, StaffUser
from bot.knowledge.service import LiveService, ReplyKind
from bot.settings import get_settings
from bot.standards import notices
from tests.notice_files import notice_docx, notice_pdf, scanned_pdf
from tests.standards_support import NOTICE

AS_OF = dt.date(2026, 12, 3)
QUESTION = "运城低保户冬季取暖补贴发多少"


@pytest.fixture
def person(factory: sessionmaker) -> Callable[..., StaffUser]:
    serial = itertools.count(1)

    def build(role: str = "supervisor", region: str | None = "山西省运城市") -> StaffUser:
        with transaction(factory) as session:
            user = StaffUser(username=f"notice{next(serial)}", display_name=f"主管{next(serial)}",
                             password_hash="not-used", role=role, region=region, active=True)
            session.add(user)
        return user

    return build


def publish(maker: StaffUser, checker: StaffUser, notice_id: int, factory: sessionmaker) -> None:
    """Proposed by one supervisor, approved by another."""
    notices.propose(maker, notice_id, factory=factory)
    notices.approve(checker, notice_id, factory=factory)


def live(factory: sessionmaker, fail: list[bool] | None = None) -> LiveService:
    clock = itertools.count(0, 5)  # every call is "later than a second"

    def documents() -> list[Any]:
        if fail and fail[0]:
            raise RuntimeError("index build failed")
        return notices.published_documents(factory)

    return LiveService(lambda: notices.notices_version(factory) or None, documents, clock=lambda: float(next(clock)))


def ask(service: LiveService) -> Any:
    settings = get_settings()
    return service(settings.policy_dir, settings.data_dir).reply(QUESTION, as_of=AS_OF)


def _encrypted_pdf() -> bytes:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(notice_pdf(NOTICE))))
    writer.encrypt(user_password="mima", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(("name", "data", "message"), [
    ("tongzhi.docx", b"PK\x03\x04", "Word 文件，文件可能已损坏"),
    ("tongzhi.docx", notice_docx(NOTICE)[:2000], "Word 文件，文件可能已损坏"),
    ("tongzhi.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "旧版 Word"),
    ("tongzhi.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "旧版 Word"),
    ("tongzhi.pdf", scanned_pdf(), "扫描件"),
    ("tongzhi.pdf", notice_pdf(NOTICE)[:600], "PDF 文件，文件可能已损坏"),
    ("tongzhi.pdf", b"not a pdf at all", "PDF 文件，文件可能已损坏"),
    ("tongzhi.pdf", _encrypted_pdf(), "密码保护"),
    ("tongzhi.pdf", b"%PDF-1.7\n" + b"x" * notices.MAX_NOTICE_BYTES, "超过10MB"),
    ("tongzhi.exe", b"MZ", "只能上传纯文本（.txt）、Word（.docx）或带文字的 PDF"),
    ("tongzhi.docx", notice_docx("只有一句话，没有编号的措施。"), "没有在文件中找到编号的措施"),
    ("tongzhi.txt", b"x" * (notices.MAX_NOTICE_BYTES + 1), "超过10MB"),
    ("tongzhi.txt", b"   \n", "没有可读的文字"),
    ("tongzhi.txt", "只有一句话，没有编号的措施。".encode(), "没有在文件中找到编号的措施"),
    ("", b"", "请选择"),
])
def test_bad_files_are_refused_and_nothing_is_saved(factory: sessionmaker, person, name: str, data: bytes,
                                                    message: str) -> None:
    with pytest.raises(InvalidField, match=message):
        notices.upload(person(), name, data, factory=factory)
    assert notices.notices(factory) == []


@pytest.mark.parametrize(("name", "make"), [
    ("quannuan.docx", lambda: notice_docx(NOTICE, table=[["地区", "补贴（测试数值）"], ["盐湖区", "321元"]])),
    ("quannuan.pdf", lambda: notice_pdf(NOTICE)),
])
def test_word_and_pdf_notices_reach_the_same_preview(factory: sessionmaker, person, name: str,
                                                     make: Callable[[], bytes]) -> None:
    keeper, checker = person(), person()
    row = notices.upload(keeper, name, make(), factory=factory)
    preview = notices.preview(row)
    assert preview.facts["doc_number"] == "测民发〔2026〕5号" and preview.facts["issued"] == "2026-11-20"
    assert [m.clause for m in preview.measures][:3] == ["前言", "第一条", "第二条"]
    assert "321元" in preview.measures[1].text and "432元" in preview.measures[2].text
    if name.endswith(".docx"):
        assert "盐湖区　321元" in row.source_text  # a table's rows are kept, cells apart
    notices.save_facts(keeper, row.id, {**preview.facts, "issuer": "运城市民政局", "region": "运城"}, factory=factory)
    service = live(factory)
    publish(keeper, checker, row.id, factory)
    assert "321" in ask(service).text


def test_preview_fill_in_publish_mark_and_unpublish(factory: sessionmaker, person) -> None:
    keeper, checker = person(), person()
    service = live(factory)
    before = ask(service)
    assert "321" not in before.text

    row = notices.upload(keeper, "quannuan.txt", NOTICE.encode("gb18030"), factory=factory)
    preview = notices.preview(row)
    assert preview.facts["doc_number"] == "测民发〔2026〕5号" and preview.found["doc_number"]
    assert preview.facts["issued"] == "2026-11-20"
    clauses = [m.clause for m in preview.measures]
    assert clauses[:3] == ["前言", "第一条", "第二条"]
    assert "321" in preview.measures[1].text
    assert "issuer" in preview.missing or preview.facts["issuer"]

    with pytest.raises(InvalidField, match="文号格式不对"):
        notices.save_facts(keeper, row.id, {**preview.facts, "doc_number": "运城通知"}, factory=factory)
    with pytest.raises(Forbidden):
        notices.save_facts(person(region="山西省忻州市"), row.id, {**preview.facts, "region": "运城"}, factory=factory)
    notices.save_facts(keeper, row.id, {**preview.facts, "issuer": "运城市民政局", "region": "运城"}, factory=factory)
    assert "321" not in ask(service).text  # a draft is not searched

    notices.propose(keeper, row.id, factory=factory)
    assert "321" not in ask(service).text  # proposed, not approved: not searched
    notices.approve(checker, row.id, factory=factory)
    with pytest.raises(IntakeError, match="已发布"):
        notices.propose(keeper, row.id, factory=factory)
    reply = ask(service)
    assert reply.kind == ReplyKind.ANSWER and "321" in reply.text and "测民发〔2026〕5号" in reply.text

    notices.propose_change(keeper, row.id, "end", reason="superseded", on="2026-12-01", note="测民发〔2026〕6号",
                           factory=factory)
    assert "已被新文件替代" not in ask(service).text  # proposed, not approved: answers unchanged
    notices.approve_change(checker, row.id, factory=factory)
    ended = ask(service)
    assert "2026年12月1日已被新文件替代" in ended.text and "321" in ended.text

    notices.propose_change(keeper, row.id, "unpublish", factory=factory)
    assert "测民发〔2026〕5号" in ask(service).text
    notices.approve_change(checker, row.id, factory=factory)
    assert "测民发〔2026〕5号" not in ask(service).text
    assert notices.notice(row.id, factory).status == "unpublished"  # the history stays
    with transaction(factory) as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["notice_upload", "notice_propose", "notice_approve", "notice_end_propose", "notice_end",
                       "notice_unpublish_propose", "notice_unpublish"]


def test_unpublishing_and_end_marks_need_a_second_supervisor(factory: sessionmaker, person) -> None:
    keeper, checker, outsider = person(), person(), person(region="山西省忻州市")
    service = live(factory)
    row = notices.upload(keeper, "quannuan.txt", NOTICE.encode(), factory=factory)
    notices.save_facts(keeper, row.id, {**notices.preview(row).facts, "issuer": "运城市民政局", "region": "运城"},
                       factory=factory)
    with pytest.raises(IntakeError, match="不是已发布的通知"):
        notices.propose_change(keeper, row.id, "unpublish", factory=factory)
    publish(keeper, checker, row.id, factory)

    # bad input: nothing is proposed
    for kwargs, message in (({"reason": "lost"}, "请选择"), ({"reason": "expired", "on": "昨天"}, "失效日期"),
                            ({"reason": "expired", "on": "2026-11-01"}, "须晚于印发日期")):
        with pytest.raises(InvalidField, match=message):
            notices.propose_change(keeper, row.id, "end", factory=factory, **kwargs)
    with pytest.raises(Forbidden):
        notices.propose_change(outsider, row.id, "unpublish", factory=factory)
    assert notices.notice(row.id, factory).pending_change is None

    notices.propose_change(keeper, row.id, "end", reason="expired", on="2026-12-31", factory=factory)
    with pytest.raises(IntakeError, match="已有待审核的变更"):
        notices.propose_change(checker, row.id, "unpublish", factory=factory)
    with pytest.raises(Forbidden, match="不能审核自己的提议"):
        notices.approve_change(keeper, row.id, factory=factory)
    with pytest.raises(Forbidden):
        notices.approve_change(outsider, row.id, factory=factory)
    with pytest.raises(Forbidden, match="只有提议人"):
        notices.withdraw_change(checker, row.id, factory=factory)
    with pytest.raises(InvalidField, match="写明理由"):
        notices.reject_change(checker, row.id, " ", factory=factory)
    notices.reject_change(checker, row.id, "新标准尚未印发", factory=factory)
    current = notices.notice(row.id, factory)
    assert current.pending_change is None and current.ended_on is None and current.status == "published"
    assert "321" in ask(service).text and "已失效" not in ask(service).text

    notices.propose_change(keeper, row.id, "unpublish", note="误传", factory=factory)
    notices.withdraw_change(keeper, row.id, factory=factory)
    with pytest.raises(IntakeError, match="没有待审核的变更"):
        notices.approve_change(checker, row.id, factory=factory)
    assert notices.notice(row.id, factory).status == "published" and "321" in ask(service).text

    notices.propose_change(checker, row.id, "unpublish", factory=factory)  # either supervisor may propose
    assert notices.count_pending(factory) == 1
    notices.approve_change(keeper, row.id, note="已核对", factory=factory)
    assert notices.notice(row.id, factory).status == "unpublished" and "321" not in ask(service).text
    assert notices.count_pending(factory) == 0
    with transaction(factory) as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    actions = [e.action for e in entries]
    assert actions[-6:] == ["notice_end_propose", "notice_change_reject", "notice_unpublish_propose",
                            "notice_change_withdraw", "notice_unpublish_propose", "notice_unpublish"]
    assert "新标准尚未印发" in entries[-5].detail and "已核对" in entries[-1].detail


def test_a_failed_rebuild_keeps_the_old_index_serving(factory: sessionmaker, person) -> None:
    keeper, checker = person(), person()
    fail = [False]
    service = live(factory, fail)
    row = notices.upload(keeper, "quannuan.txt", NOTICE.encode(), factory=factory)
    notices.save_facts(keeper, row.id, {**notices.preview(row).facts, "issuer": "运城市民政局", "region": "运城"},
                       factory=factory)
    publish(keeper, checker, row.id, factory)
    assert "321" in ask(service).text
    fail[0] = True
    notices.propose_change(keeper, row.id, "unpublish", factory=factory)
    notices.approve_change(checker, row.id, factory=factory)
    assert "321" in ask(service).text  # the rebuild failed: the previous index answers
    fail[0] = False
    assert "321" not in ask(service).text  # the next check rebuilds


def test_publishing_needs_every_fact_and_a_new_document_number(factory: sessionmaker, person) -> None:
    keeper, admin = person(), person(role="admin", region=None)
    row = notices.upload(admin, "a.txt", NOTICE.replace("运城市民政局\n2026", "2026").encode(), factory=factory)
    assert notices.preview(row).missing == ("issuer", "region")  # an administrator keeps no one region
    with pytest.raises(InvalidField, match="还缺少：发文机关、适用地区"):
        notices.propose(admin, row.id, factory=factory)
    shipped = NOTICE.replace("测民发〔2026〕5号", "运民发〔2021〕59号")
    again = notices.upload(keeper, "b.txt", shipped.encode(), factory=factory)
    notices.save_facts(keeper, again.id, {**notices.preview(again).facts, "issuer": "运城市民政局",
                                          "region": "运城", "issued": "2021-11-20"}, factory=factory)
    with pytest.raises(InvalidField, match="已经收录"):
        notices.propose(keeper, again.id, factory=factory)


def test_a_second_supervisor_of_the_region_approves_and_a_rejection_needs_a_reason(
        factory: sessionmaker, person) -> None:
    maker, checker, elsewhere = person(), person(), person(region="山西省忻州市")
    admin, clerk = person(role="admin", region=None), person(role="intake")
    service = live(factory)
    row = notices.upload(maker, "quannuan.txt", NOTICE.encode(), factory=factory)
    facts = {**notices.preview(row).facts, "issuer": "运城市民政局", "region": "运城", "valid_until": "2027-12-31"}
    notices.save_facts(maker, row.id, facts, factory=factory)
    notices.save_facts(maker, row.id, facts, factory=factory)  # nothing changed: nothing to audit
    with pytest.raises(IntakeError, match="待审核"):  # only a proposal is decided
        notices.approve(checker, row.id, factory=factory)
    with pytest.raises(Forbidden):
        notices.propose(clerk, row.id, factory=factory)
    notices.propose(maker, row.id, factory=factory)
    assert notices.notice(row.id, factory).status == "pending"
    assert notices.notice(row.id, factory).proposed_by == maker.display_name

    with pytest.raises(Forbidden, match="另一位主管"):
        notices.approve(maker, row.id, factory=factory)
    with pytest.raises(Forbidden, match="忻州"):
        notices.approve(elsewhere, row.id, factory=factory)
    with pytest.raises(Forbidden):
        notices.approve(clerk, row.id, factory=factory)
    with pytest.raises(IntakeError, match="审核中"):  # no change under review
        notices.save_facts(maker, row.id, {**facts, "title": "改过的标题"}, factory=factory)
    with pytest.raises(InvalidField, match="理由"):
        notices.reject(checker, row.id, "  ", factory=factory)
    with pytest.raises(Forbidden, match="提交人"):
        notices.withdraw(checker, row.id, factory=factory)
    assert "321" not in ask(service).text

    notices.reject(checker, row.id, "发文机关应为运城市民政局、运城市财政局", factory=factory)
    rejected = notices.notice(row.id, factory)
    assert rejected.status == "rejected" and rejected.review_note == "发文机关应为运城市民政局、运城市财政局"
    assert rejected.reviewed_by == checker.display_name
    assert "321" not in ask(service).text
    with pytest.raises(IntakeError, match="待审核"):
        notices.approve(checker, row.id, factory=factory)

    notices.save_facts(maker, row.id, {**facts, "issuer": "运城市民政局 运城市财政局"}, factory=factory)
    notices.propose(maker, row.id, factory=factory)
    notices.withdraw(maker, row.id, factory=factory)
    assert notices.notice(row.id, factory).status == "draft"
    notices.propose(maker, row.id, factory=factory)
    notices.approve(admin, row.id, note="已核对原文", factory=factory)  # an administrator keeps every region
    published = notices.notice(row.id, factory)
    assert published.status == "published" and published.published_by == admin.display_name
    assert "321" in ask(service).text
    with pytest.raises(IntakeError, match="已发布"):
        notices.save_facts(maker, row.id, {**facts, "title": "发布后偷偷改"}, factory=factory)

    with transaction(factory) as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [e.action for e in entries] == ["notice_upload", "notice_edit", "notice_propose", "notice_reject",
                                           "notice_edit", "notice_propose", "notice_withdraw", "notice_propose",
                                           "notice_approve"]
    assert entries[1].detail.endswith("修改：有效期至") and entries[4].detail.endswith("修改：发文机关")
    assert "发文机关应为运城市民政局" in entries[3].detail
    assert [e.actor_id for e in entries][2:5] == [maker.id, checker.id, maker.id]
