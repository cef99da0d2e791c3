"""Issue 13 end to end, in headless Chromium against the running web app, Rasa server and action
server (no restart in between): a 运城 supervisor enters 运城's 城市低保 standard, a second approves,
and within seconds a resident's "运城低保一个月多少" gets the figure and its 文号 and the
questionnaire decides 低保 for a 运城 household; a notice uploaded (as a PDF) and proposed by one
supervisor is not searched until a second approves it, and then answers a question at once. Every
figure here is an obvious TEST value, not 运城's real standard; the test removes its rows
afterwards so that the other end-to-end tests see the shipped state."""
from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import delete

from bot.core import versions
from bot.core.db import session_factory, transaction
from bot.core.models import PolicyNotice, StandardValue
from bot.intake import staff
from bot.standards import notices, store
from tests.conftest import Servers
from tests.console.console_support import PASSWORD
from tests.notice_files import notice_pdf
from tests.standards_support import NOTICE
from tests.test_chat_page import browser  # noqa: F401 (the same headless Chromium fixture)
from tests.test_questionnaire_chat import ANSWERS
from tests.browser_support import shows_text

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
TEST_VALUE = "913"  # yuan per person per month: a test value
TEST_DOC = "测试〔2025〕13号"
WITHIN_SECONDS = 15


@pytest.fixture(scope="module")
def keepers(servers: Servers) -> Iterator[None]:
    factory = session_factory(servers.intake_url)
    for username, name in (("ycmaker", "运城主管甲"), ("ycchecker", "运城主管乙")):
        if staff.find_user(username, factory=factory) is None:
            staff.create_user(username, name, PASSWORD, "supervisor", region="运城市", factory=factory)
    try:
        yield
    finally:  # the test's rows out again; every worker reloads the shipped state
        with transaction(factory) as session:
            session.execute(delete(StandardValue).where(StandardValue.doc_number.like("测试%"))
                            .execution_options(synchronize_session=False))
            session.execute(delete(PolicyNotice))
            versions.bump(session, store.STANDARDS)
            versions.bump(session, notices.NOTICES)
        time.sleep(2)


def log_in(driver: webdriver.Chrome, base: str, username: str) -> None:
    driver.set_window_size(1366, 768)
    driver.delete_all_cookies()
    driver.get(f"{base}/console/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, 15).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".who")))


def fill(driver: webdriver.Chrome, field_id: str, value: str) -> None:
    element = driver.find_element(By.ID, field_id)
    driver.execute_script("arguments[0].value = arguments[1];", element, value)


def eventually(check: Callable[[], str | None], seconds: float = WITHIN_SECONDS) -> str:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            assert found, "not within the time allowed"
            return found
        time.sleep(0.5)


def questionnaire(servers: Servers, place: str, sender: str | None = None) -> str:
    sender = sender or f"std-{uuid.uuid4().hex[:10]}"
    question = servers.talk(sender, "帮我看看能不能申请低保")[-1]
    answers = {**dict(ANSWERS), "哪个市": place}
    for _turn in range(30):
        answer = next((a for marker, a in answers.items() if marker in question), None)
        assert answer is not None, question
        replies = servers.talk(sender, answer)
        if any("初步判断" in r for r in replies):
            return "\n".join(replies)
        question = replies[-1]
    raise AssertionError("the questionnaire did not end")


def test_a_standard_entered_and_approved_is_used_at_once(browser: webdriver.Chrome, servers: Servers,
                                                         keepers: None) -> None:
    before = "\n".join(servers.talk(f"std-{uuid.uuid4().hex[:8]}", "运城低保一个月多少"))
    assert TEST_VALUE not in before and "没有收录" in before

    log_in(browser, servers.web_url, "ycmaker")
    browser.get(f"{servers.web_url}/console/standards")
    fields = {"f-value": TEST_VALUE, "f-effective": "2026-01-01", "f-doc-number": TEST_DOC,
              "f-doc-title": "测试用运城市城乡低保标准通知（不是真实文件）", "f-doc-issued": "2025-12-20",
              "f-clause": "第一条", "f-source": "端到端测试数据"}
    fill(browser, "f-value", "-913")  # bad input first
    for field_id, value in fields.items():
        if field_id != "f-value":
            fill(browser, field_id, value)
    browser.find_element(By.CSS_SELECTOR, "#propose-form button[type=submit]").click()
    WebDriverWait(browser, 15).until(shows_text((By.CSS_SELECTOR, ".flash-error:not(.admin-warning)"), "不能为负数"))
    assert browser.find_element(By.ID, "f-doc-number").get_attribute("value") == TEST_DOC  # kept
    fill(browser, "f-value", TEST_VALUE)
    browser.find_element(By.CSS_SELECTOR, "#propose-form button[type=submit]").click()
    WebDriverWait(browser, 15).until(shows_text((By.CSS_SELECTOR, ".flash-ok"), "另一位主管"))
    assert "等待另一位主管审核" in browser.find_element(By.ID, "h-pending").find_element(By.XPATH, "..").text

    log_in(browser, servers.web_url, "ycchecker")
    browser.get(f"{servers.web_url}/console/standards")
    browser.find_element(By.XPATH, "//button[text()='核对无误，审核通过']").click()
    WebDriverWait(browser, 15).until(shows_text((By.CSS_SELECTOR, ".flash-ok"), "审核通过"))
    approved_at = time.monotonic()
    row = browser.find_element(By.CSS_SELECTOR, '#current-values tr[data-parameter="dibao_standard_urban"]')
    assert f"{TEST_VALUE}元/人/月" in row.text and TEST_DOC in row.text
    browser.save_screenshot("/tmp/standards-approved.png")

    def answered() -> str | None:
        reply = "\n".join(servers.talk(f"std-{uuid.uuid4().hex[:8]}", "运城低保一个月多少"))
        return reply if TEST_VALUE in reply else None

    reply = eventually(answered)
    assert reply.index(TEST_VALUE) < reply.index("依据")  # the answer first, then the citation
    assert f"{TEST_DOC}第一条" in reply
    assert time.monotonic() - approved_at < WITHIN_SECONDS

    household = {"region": "运城", "residence": "urban", "household": {"size": 3, "monthly_income": 1500}}
    dibao = next(p for p in requests.post(f"{servers.web_url}/api/screening", json=household, timeout=30)
                 .json()["programs"] if p["program"] == "dibao")
    assert dibao["outcome"] == "likely" and dibao["amount"]["value"] == 913 * 3 - 1500

    resident = f"std-{uuid.uuid4().hex[:10]}"
    result = questionnaire(servers, "山西运城", resident)
    possible = result.split("可能符合：", 1)[1].split("\n", 1)[0]  # the short result's first line
    assert f"低保（约{913 * 3 - 1500}元/月（全家））" in possible, result
    reasons = "\n".join(servers.talk(resident, "为什么"))  # the reasons and citations on request
    dibao_part = reasons.split("【最低生活保障（低保）】", 1)[1].split("【", 1)[0]
    assert dibao_part.startswith("可能符合"), reasons
    assert f"金额：{913 * 3 - 1500}元/月（全家）" in dibao_part
    assert f"{TEST_DOC} 第一条" in dibao_part and "913元×3人" in dibao_part


def test_a_notice_uploaded_in_the_console_answers_at_once(browser: webdriver.Chrome, servers: Servers,
                                                          keepers: None, tmp_path: Path) -> None:
    question = "运城低保户冬季取暖补贴发多少"
    assert "321" not in "\n".join(servers.talk(f"std-{uuid.uuid4().hex[:8]}", question))
    source = tmp_path / "quannuan.pdf"  # a PDF with a text layer and 1.5 MB embedded, made here
    source.write_bytes(notice_pdf(NOTICE, padding=1_500_000))
    too_large = tmp_path / "tai-da.pdf"  # over NOTICE_MAX_BYTES: the page says so in Chinese
    too_large.write_bytes(b"%PDF-1.7\n" + b"x" * (12 * 1024 * 1024))
    log_in(browser, servers.web_url, "ycmaker")
    browser.get(f"{servers.web_url}/console/notices")
    browser.find_element(By.ID, "f-file").send_keys(str(too_large))
    browser.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
    WebDriverWait(browser, 30).until(shows_text((By.TAG_NAME, "main"), "文件超过10MB"))
    browser.find_element(By.ID, "f-file").send_keys(str(source))
    browser.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
    WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.ID, "measures")))
    assert "321元" in browser.find_element(By.ID, "measures").text
    assert browser.find_element(By.ID, "n-doc_number").get_attribute("value") == "测民发〔2026〕5号"
    browser.save_screenshot("/tmp/notice-preview.png")
    browser.find_element(By.XPATH, "//button[text()='保存并提交审核']").click()
    WebDriverWait(browser, 15).until(shows_text((By.CSS_SELECTOR, ".flash-ok"), "已提交审核"))
    assert not browser.find_elements(By.XPATH, "//button[text()='核对无误，审核通过并发布']")  # not one's own
    notice_url = browser.current_url
    time.sleep(2)  # longer than a worker's check: a proposal is not searched
    assert "321" not in "\n".join(servers.talk(f"std-{uuid.uuid4().hex[:8]}", question))

    log_in(browser, servers.web_url, "ycchecker")
    browser.get(notice_url)
    assert "ycmaker" not in browser.find_element(By.ID, "review").text  # names, not usernames
    assert "运城主管甲" in browser.find_element(By.ID, "review").text
    browser.save_screenshot("/tmp/notice-review.png")
    browser.find_element(By.XPATH, "//button[text()='核对无误，审核通过并发布']").click()
    WebDriverWait(browser, 15).until(shows_text((By.CSS_SELECTOR, ".flash-ok"), "已发布"))

    def answered() -> str | None:
        reply = "\n".join(servers.talk(f"std-{uuid.uuid4().hex[:8]}", question))
        return reply if "321" in reply else None

    reply = eventually(answered)
    assert "测民发〔2026〕5号" in reply
