"""/console/standards over HTTP against the real web app (issue 13): a 运城 supervisor proposes,
bad input is refused in Chinese with the form kept, a second supervisor approves, and the running
web app screens with the value at once (no restart). Test values only."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest
import requests

from bot.core.models import StandardValue
from bot.core.db import transaction
from bot.intake import staff
from bot.standards import store
from tests.console.console_support import PASSWORD, Console, migrated_factory, start_stub_rasa, web_app

PROPOSAL = {
    "region": "运城市", "parameter": "dibao_standard_urban", "value": "901", "unit": "元/人/月",
    "effective": "2026-01-01", "doc_number": "测试〔2025〕7号", "doc_title": "测试用运城市低保标准通知",
    "doc_issued": "2025-12-01", "clause": "第一条", "source": "测试数据，不是真实文件",
}
HOUSEHOLD = {"region": "运城", "residence": "urban", "household": {"size": 2, "monthly_income": 1000}}


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    workdir = tmp_path_factory.mktemp("standards")
    url, factory = migrated_factory(workdir)
    users = {
        "yc1": staff.create_user("yc1", "运城主管甲", PASSWORD, "supervisor", region="运城市", factory=factory),
        "yc2": staff.create_user("yc2", "运城主管乙", PASSWORD, "supervisor", region="山西省运城市", factory=factory),
        "xz": staff.create_user("xz", "忻州主管", PASSWORD, "supervisor", region="忻州", factory=factory),
        "clerk": staff.create_user("clerk", "受理员", PASSWORD, "intake", "甲镇", factory=factory),
    }
    rasa, rasa_url = start_stub_rasa()
    try:
        with web_app(workdir, DATABASE_URL=url, RASA_URL=rasa_url, ASSISTANT_TODAY="2026-12-03") as base:
            yield Console(base, factory, users)
    finally:
        rasa.shutdown()


def screen_dibao(console: Console) -> dict:
    response = requests.post(f"{console.url}/api/screening", json=HOUSEHOLD, timeout=30)
    assert response.status_code == 200
    return next(p for p in response.json()["programs"] if p["program"] == "dibao")


def test_propose_refuse_bad_input_approve_and_use_at_once(console: Console) -> None:
    assert screen_dibao(console)["outcome"] == "unknown"  # Shanxi: the city sets the figure
    maker = console.client("yc1")
    page = maker.get("/console/standards")
    assert page.status_code == 200 and "提议新标准" in page.text and "暂无数字" in page.text

    bad = maker.post("/console/standards", {**PROPOSAL, "value": "-5"})
    assert bad.status_code == 400 and "不能为负数" in bad.text
    assert 'value="测试〔2025〕7号"' in bad.text  # what was typed is kept
    for changes, message in (({"value": "20000"}, "超过10000"), ({"doc_number": "运城低保通知"}, "文号格式不对"),
                             ({"effective": "2025-11-01"}, "早于文件印发日期"), ({"value": "九百"}, "须为数字"),
                             ({"region": "忻州"}, "不能设置或审核")):
        refused = maker.post("/console/standards", {**PROPOSAL, **changes})
        assert refused.status_code == 400 and message in refused.text, message
    assert store.rows(factory=console.factory) == []  # nothing half-saved

    assert maker.post("/console/standards", PROPOSAL, csrf=False).status_code == 403
    created = maker.post("/console/standards", PROPOSAL)
    assert created.status_code == 302
    again = maker.post("/console/standards", {**PROPOSAL, "value": "902"})
    assert again.status_code == 400 and "待审核" in again.text
    [row] = store.rows(factory=console.factory)

    assert maker.post(f"/console/standards/{row.id}/approve").status_code == 302
    assert "不能审核自己的提议" in maker.get("/console/standards").text
    outsider = console.client("xz")
    outsider.get("/console/standards")
    assert outsider.post(f"/console/standards/{row.id}/approve").status_code == 302
    assert "不能设置或审核" in outsider.get("/console/standards").text
    assert console.client("clerk").get("/console/standards").status_code == 403
    assert screen_dibao(console)["outcome"] == "unknown"  # not approved: not in effect

    checker = console.client("yc2")
    assert "核对无误，审核通过" in checker.get("/console/standards").text
    assert checker.post(f"/console/standards/{row.id}/approve", {"note": "已核对原文"}).status_code == 302
    with transaction(console.factory) as session:
        assert session.get(StandardValue, row.id).status == "approved"

    deadline = time.monotonic() + 10
    dibao = screen_dibao(console)
    while dibao["outcome"] == "unknown" and time.monotonic() < deadline:
        time.sleep(0.3)
        dibao = screen_dibao(console)
    assert dibao["outcome"] == "likely", dibao
    assert dibao["amount"] == {"value": 802.0, "unit": "元/月（全家）"}
    assert any("测试〔2025〕7号 第一条" in (r["citation"] or "") for r in dibao["reasons"])
    page = checker.get("/console/standards?region=运城").text
    assert "901元/人/月" in page and "已生效" in page


def test_notice_upload_refuses_bad_files_and_publishes(console: Console) -> None:
    from tests.notice_files import notice_docx, scanned_pdf
    from tests.standards_support import NOTICE

    keeper = console.client("yc1")
    assert "上传通知" in keeper.get("/console/notices").text
    files = {"file": ("tongzhi.txt", NOTICE.encode("utf-8"), "text/plain")}
    assert keeper.post("/console/notices", csrf=False, files=files).status_code == 403
    for name, body, message in (("tongzhi.docx", b"PK\x03\x04", "Word 文件，文件可能已损坏"),
                                ("tongzhi.pdf", scanned_pdf(), "扫描件"),
                                ("tongzhi.txt", "没有编号的一句话。".encode(), "没有在文件中找到编号的措施")):
        refused = keeper.post("/console/notices", files={"file": (name, body, "text/plain")})
        assert refused.status_code == 400 and message in refused.text, message
    uploaded = keeper.post("/console/notices", files=files)
    assert uploaded.status_code == 302
    page = keeper.get(uploaded.headers["Location"]).text
    assert "测民发〔2026〕5号" in page and "321元" in page
    notice_id = int(uploaded.headers["Location"].rsplit("/", 1)[1])
    bad = keeper.post(f"/console/notices/{notice_id}", {"doc_number": "乱写", "title": "t", "issuer": "i",
                                                        "region": "运城", "publish": "1"})
    assert bad.status_code == 400 and "文号格式不对" in bad.text
    assert keeper.get("/console/notices/99999").status_code == 404
    assert console.client("clerk").get("/console/notices").status_code == 403

    # maker-checker: yc1 proposes, yc1 cannot approve, yc2 rejects with a reason, then approves
    facts = {"doc_number": "测民发〔2026〕5号", "title": "运城市民政局关于发放测试用冬季取暖补贴的通知",
             "issuer": "运城市民政局", "region": "运城", "issued": "2026-11-20"}
    proposed = keeper.post(f"/console/notices/{notice_id}", {**facts, "propose": "1"})
    assert proposed.status_code == 302
    page = keeper.get(f"/console/notices/{notice_id}").text
    assert "已提交审核" in page and "待审核" in page and "撤回" in page and "审核通过并发布" not in page
    assert not searched(console)  # proposed, not approved: not searched
    keeper.post(f"/console/notices/{notice_id}/approve")
    assert "不能审核自己提交的通知" in keeper.get(f"/console/notices/{notice_id}").text
    outsider = console.client("xz")
    assert "审核通过并发布" not in outsider.get(f"/console/notices/{notice_id}").text
    outsider.post(f"/console/notices/{notice_id}/approve")
    assert "忻州" in outsider.get(f"/console/notices/{notice_id}").text
    checker = console.client("yc2")
    assert "核对无误，审核通过并发布" in checker.get(f"/console/notices/{notice_id}").text
    checker.post(f"/console/notices/{notice_id}/reject", {"note": ""})
    assert "驳回时请写明理由" in checker.get(f"/console/notices/{notice_id}").text
    checker.post(f"/console/notices/{notice_id}/reject", {"note": "请补上印发日期的核对"})
    page = keeper.get(f"/console/notices/{notice_id}").text
    assert "已驳回" in page and "请补上印发日期的核对" in page
    assert not searched(console)
    assert keeper.post(f"/console/notices/{notice_id}", {**facts, "propose": "1"}).status_code == 302
    checker.get(f"/console/notices/{notice_id}")
    checker.post(f"/console/notices/{notice_id}/approve", {"note": "已核对原文"})
    assert "已发布" in checker.get(f"/console/notices/{notice_id}").text
    deadline = time.monotonic() + 10
    while not searched(console) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert searched(console)
    audit = checker.get("/console/audit").text
    for action in ("提交政策通知审核", "驳回政策通知", "审核通过并发布政策通知"):
        assert action in audit, action

    word = keeper.post("/console/notices", files={"file": ("quannuan2.docx", notice_docx(
        NOTICE.replace("测民发〔2026〕5号", "测民发〔2026〕8号")),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")})
    assert word.status_code == 302
    page = keeper.get(word.headers["Location"]).text
    assert 'value="测民发〔2026〕8号"' in page and "321元" in page and "草稿" in page


def test_large_notice_pdf_uploads_and_oversized_files_are_refused_in_chinese(console: Console) -> None:
    """Real notices with embedded Chinese fonts are MBs: the upload route reads up to
    NOTICE_MAX_BYTES (10 MB); every other route keeps the app's 256 KB cap."""
    from bot.standards import notices
    from tests.notice_files import notice_pdf
    from tests.standards_support import NOTICE

    keeper = console.client("yc1")
    assert "最大 10MB" in keeper.get("/console/notices").text
    before = len(notices.notices(console.factory))
    pdf = notice_pdf(NOTICE.replace("测民发〔2026〕5号", "测民发〔2026〕11号"), padding=1_500_000)
    assert 1_400_000 < len(pdf) < 2_000_000
    uploaded = keeper.post("/console/notices", files={"file": ("quannuan-fonts.pdf", pdf, "application/pdf")})
    assert uploaded.status_code == 302, uploaded.text[:300]
    page = keeper.get(uploaded.headers["Location"]).text
    assert 'value="测民发〔2026〕11号"' in page and "321元" in page and "草稿" in page

    limit = notices.MAX_NOTICE_BYTES
    # just over the file limit (the body is within the route's bound): the file check says so
    just_over = b"%PDF-1.7\n" + b"x" * limit
    refused = keeper.post("/console/notices", files={"file": ("big.pdf", just_over, "application/pdf")})
    assert refused.status_code == 400 and "文件超过10MB" in refused.text and "上传通知" in refused.text
    # far over it: the body is not kept, the page says the same in Chinese (not a 413 in English)
    for size in (12 * 1024 * 1024, 30 * 1024 * 1024):
        refused = keeper.post("/console/notices", files={"file": ("big.pdf", b"%PDF-1.7\n" + b"x" * size,
                                                                  "application/pdf")})
        assert refused.status_code == 413 and "文件超过10MB" in refused.text, size
        assert "text/html" in refused.headers["Content-Type"]
    # without a session, a large body is never read
    anonymous = requests.post(f"{console.url}/console/notices", files={"file": ("big.pdf", pdf)},
                              allow_redirects=False, timeout=30)
    assert anonymous.status_code == 302 and "/console/login" in anonymous.headers["Location"]
    # a session's large body still needs the page's CSRF token
    assert keeper.post("/console/notices", csrf=False,
                       files={"file": ("quannuan-fonts.pdf", pdf, "application/pdf")}).status_code == 403
    assert len(notices.notices(console.factory)) == before + 1

    # every other route keeps the 256 KB cap
    notice_id = int(uploaded.headers["Location"].rsplit("/", 1)[1])
    big_form = keeper.post(f"/console/notices/{notice_id}", {"title": "x" * (300 * 1024)})
    assert big_form.status_code == 413 and "超过了允许的大小" in big_form.text
    big_chat = requests.post(f"{console.url}/api/chat", json={"message": "x" * (300 * 1024)}, timeout=30)
    assert big_chat.status_code == 413


def test_unpublishing_and_end_marks_are_approved_by_a_second_supervisor(console: Console) -> None:
    keeper, checker = console.client("yc1"), console.client("yc2")
    from tests.standards_support import NOTICE

    number = "测民发〔2026〕12号"
    text = NOTICE.replace("测民发〔2026〕5号", number).replace("321元", "377元")
    uploaded = keeper.post("/console/notices", files={"file": ("quannuan12.txt", text.encode(), "text/plain")})
    notice_id = int(uploaded.headers["Location"].rsplit("/", 1)[1])
    page = f"/console/notices/{notice_id}"
    facts = {"doc_number": number, "title": "运城市民政局关于发放测试用冬季取暖补贴的通知", "issuer": "运城市民政局",
             "region": "运城", "issued": "2026-11-20"}
    keeper.post(page, {**facts, "propose": "1"})
    checker.post(f"{page}/approve")
    wait_for(lambda: valid_until(console, number) == "none")

    assert "提议标注失效" in keeper.get(page).text
    bad = keeper.post(f"{page}/end", {"reason": "expired", "ended_on": "2026-11-01"})
    assert "须晚于印发日期" in keeper.get(bad.headers["Location"]).text
    keeper.post(f"{page}/end", {"reason": "superseded", "ended_on": "2026-12-01", "note": "测民发〔2026〕13号"})
    shown = keeper.get(page).text
    assert "待审核的变更" in shown and "已被新文件替代" in shown and "撤回这项提议" in shown
    assert "核对无误，审核通过" not in shown
    assert "运城主管甲提议标注失效" in keeper.get("/console/notices").text
    keeper.post(f"{page}/change/approve")
    assert "不能审核自己的提议" in keeper.get(page).text
    assert valid_until(console, number) == "none"  # not approved: answers unchanged
    assert "核对无误，审核通过" in checker.get(page).text
    checker.post(f"{page}/change/approve", {"note": "已核对新文件"})
    assert "审核通过，已生效" in checker.get(page).text
    wait_for(lambda: valid_until(console, number) == "2026-11-30")  # superseded from 2026-12-01

    keeper.post(f"{page}/unpublish")
    checker.post(f"{page}/change/reject", {"note": ""})
    assert "驳回时请写明理由" in checker.get(page).text
    checker.post(f"{page}/change/reject", {"note": "仍需引用到年底"})
    assert "已驳回这项变更" in checker.get(page).text and valid_until(console, number) == "2026-11-30"
    keeper.post(f"{page}/unpublish")
    checker.post(f"{page}/change/approve")
    wait_for(lambda: valid_until(console, number) is None)
    assert "已撤下" in keeper.get(page).text
    audit = checker.get("/console/audit").text
    for action in ("提议标注通知失效", "标注通知失效", "提议撤下政策通知", "驳回通知的撤下/失效提议", "撤下政策通知"):
        assert action in audit, action


def wait_for(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.3)
    assert condition()


def valid_until(console: Console, number: str) -> str | None:
    """The search's end date of the notice `number` ("none" when it has none), None when not found."""
    response = requests.get(f"{console.url}/api/policy/search",
                            params={"q": "运城低保户冬季取暖补贴发多少", "region": "运城", "top_k": 5}, timeout=30)
    assert response.status_code == 200
    hits = [hit for hit in response.json()["results"] if hit["doc_number"] == number]
    return (hits[0]["valid_until"] or "none") if hits else None


def searched(console: Console) -> bool:
    """Whether the running web app's policy search finds the test notice's figure."""
    response = requests.get(f"{console.url}/api/policy/search",
                            params={"q": "运城低保户冬季取暖补贴发多少", "region": "运城", "top_k": 3}, timeout=30)
    assert response.status_code == 200
    return "321" in response.text
