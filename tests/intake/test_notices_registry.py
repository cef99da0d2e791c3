"""Notices uploaded in the console (issue 13): the importer's preview, bad files, facts filled in,
publication into the index of a running service, superseded/expired marks, unpublishing, and a
failed rebuild leaving the old index serving. The notice is a made-up test notice."""
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


@pytest.mark.parametrize(("name", "data", "message"), [
    ("tongzhi.docx", b"PK\x03\x04", "纯文本"),
    ("tongzhi.txt", b"x" * (notices.MAX_NOTICE_BYTES + 1), "超过200KB"),
    ("tongzhi.txt", b"   \n", "没有可读的文字"),
    ("tongzhi.txt", "只有一句话，没有编号的措施。".encode(), "没有在文件中找到编号的措施"),
    ("", b"", "请选择"),
])
def test_bad_files_are_refused_and_nothing_is_saved(factory: sessionmaker, person, name: str, data: bytes,
                                                    message: str) -> None:
    with pytest.raises(InvalidField, match=message):
        notices.upload(person(), name, data, factory=factory)
    assert notices.notices(factory) == []


def test_preview_fill_in_publish_mark_and_unpublish(factory: sessionmaker, person) -> None:
    keeper = person()
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

    notices.publish(keeper, row.id, factory=factory)
    with pytest.raises(IntakeError, match="已经发布"):
        notices.publish(keeper, row.id, factory=factory)
    reply = ask(service)
    assert reply.kind == ReplyKind.ANSWER and "321" in reply.text and "测民发〔2026〕5号" in reply.text

    notices.mark_ended(keeper, row.id, "superseded", "2026-12-01", "测民发〔2026〕6号", factory=factory)
    ended = ask(service)
    assert "2026年12月1日已被新文件替代" in ended.text and "321" in ended.text

    notices.unpublish(keeper, row.id, factory=factory)
    assert "测民发〔2026〕5号" not in ask(service).text
    assert notices.notice(row.id, factory).status == "unpublished"  # the history stays
    with transaction(factory) as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["notice_upload", "notice_publish", "notice_end", "notice_unpublish"]


def test_a_failed_rebuild_keeps_the_old_index_serving(factory: sessionmaker, person) -> None:
    keeper = person()
    fail = [False]
    service = live(factory, fail)
    row = notices.upload(keeper, "quannuan.txt", NOTICE.encode(), factory=factory)
    notices.save_facts(keeper, row.id, {**notices.preview(row).facts, "issuer": "运城市民政局", "region": "运城"},
                       factory=factory)
    notices.publish(keeper, row.id, factory=factory)
    assert "321" in ask(service).text
    fail[0] = True
    notices.unpublish(keeper, row.id, factory=factory)
    assert "321" in ask(service).text  # the rebuild failed: the previous index answers
    fail[0] = False
    assert "321" not in ask(service).text  # the next check rebuilds


def test_publishing_needs_every_fact_and_a_new_document_number(factory: sessionmaker, person) -> None:
    keeper, admin = person(), person(role="admin", region=None)
    row = notices.upload(admin, "a.txt", NOTICE.replace("运城市民政局\n2026", "2026").encode(), factory=factory)
    assert notices.preview(row).missing == ("issuer", "region")  # an administrator keeps no one region
    with pytest.raises(InvalidField, match="还缺少：发文机关、适用地区"):
        notices.publish(admin, row.id, factory=factory)
    shipped = NOTICE.replace("测民发〔2026〕5号", "运民发〔2021〕59号")
    again = notices.upload(keeper, "b.txt", shipped.encode(), factory=factory)
    notices.save_facts(keeper, again.id, {**notices.preview(again).facts, "issuer": "运城市民政局",
                                          "region": "运城", "issued": "2021-11-20"}, factory=factory)
    with pytest.raises(InvalidField, match="已经收录"):
        notices.publish(keeper, again.id, factory=factory)
