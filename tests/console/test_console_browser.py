"""The staff console in headless Chromium (Debian's chromium + chromedriver) against the real web app."""
from __future__ import annotations

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from bot.handoff import tickets
from bot.core.db import utcnow
from tests.console.console_support import PASSWORD, Console, open_handoff, register_application
from tests.test_chat_page import browser  # noqa: F401 (the same headless Chromium fixture)
from tests.browser_support import shows_text

pytestmark = pytest.mark.browser
LIVE_TIMEOUT = 20  # pushed by Server-Sent Events within a few seconds
WINDOW = (1366, 900)  # the office screen the console is laid out for


def wait(driver: webdriver.Chrome, timeout: float = 10) -> WebDriverWait:
    return WebDriverWait(driver, timeout)


def log_in(driver: webdriver.Chrome, console: Console, username: str) -> None:
    driver.set_window_size(*WINDOW)
    driver.delete_all_cookies()
    driver.get(f"{console.url}/console/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".who")))


def test_intake_staff_accept_a_new_application(browser: webdriver.Chrome, console: Console) -> None:
    case = register_application(console.factory, "甲镇", name="吴桂兰")
    log_in(browser, console, "jia")
    assert browser.current_url.endswith("/console/queue/new")
    row = browser.find_element(By.XPATH, f"//table//tr[td/a[text()='{case.number}']]")
    assert "吴**" in row.text and "吴桂兰" not in row.text
    badge = browser.find_element(By.CSS_SELECTOR, '[data-count="new_applications"]')
    wait(browser).until(lambda _d: badge.is_displayed() and int(badge.text) >= 1)
    browser.save_screenshot("/tmp/console-queue.png")

    row.find_element(By.LINK_TEXT, case.number).click()
    wait(browser).until(ec.title_contains(case.number))
    assert "吴桂兰" in browser.find_element(By.ID, "h-applicant").find_element(By.XPATH, "..").text
    browser.save_screenshot("/tmp/console-detail.png")
    browser.find_element(By.XPATH, "//button[text()='确认受理']").click()
    wait(browser).until(shows_text((By.CSS_SELECTOR, ".flash-ok"), "已受理"))
    history = browser.find_element(By.ID, "history").text
    assert "已登记 → 已受理" in history and "甲镇王芳" in history
    assert browser.find_element(By.CSS_SELECTOR, "h1 .status").text == "已受理"


def test_a_new_handoff_appears_without_reload(browser: webdriver.Chrome, console: Console) -> None:
    log_in(browser, console, "jia")
    browser.get(f"{console.url}/console/handoffs")
    browser.execute_script("window.__sameDocument = true;")
    ticket = open_handoff(console.factory, "甲镇", text="低保的钱这个月没到账")
    row = wait(browser, LIVE_TIMEOUT).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-ticket-id="{ticket.id}"]')))
    assert "低保的钱这个月没到账" in row.text and "等待接手" in row.text
    assert browser.execute_script("return window.__sameDocument === true;")  # no reload happened
    wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-count="waiting"]').text != "")

    # On any other page a new hand-off shows a notice linking to it.
    browser.get(f"{console.url}/console/queue/all")
    wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-count="waiting"]').text != "")
    second = open_handoff(console.factory, "甲镇", text="我想问问临时救助")
    notice = wait(browser, LIVE_TIMEOUT).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, f'#live-notice a[href="/console/tickets/{second.id}"]')))
    notice.click()
    wait(browser).until(ec.title_contains(f"R{second.id}"))


def test_a_ticket_shows_resident_messages_live_and_sends_replies(browser: webdriver.Chrome, console: Console) -> None:
    ticket = open_handoff(console.factory, "甲镇")
    log_in(browser, console, "jia")
    browser.get(f"{console.url}/console/tickets/{ticket.id}")
    browser.find_element(By.XPATH, "//button[text()='接手该会话']").click()
    wait(browser).until(shows_text((By.ID, "ticket-status"), "处理中"))
    tickets.record_resident_message(ticket.conversation_id, "我家三口人，住在东街村", "web", utcnow(),
                                    factory=console.factory)
    wait(browser, LIVE_TIMEOUT).until(
        shows_text((By.ID, "messages"), "我家三口人，住在东街村"))
    browser.find_element(By.ID, "reply-text").send_keys("好的，请带上户口簿到窗口。")
    browser.find_element(By.XPATH, "//form[@id='reply-form']//button").click()
    wait(browser).until(shows_text((By.ID, "messages"), "好的，请带上户口簿到窗口。"))
    assert browser.find_element(By.ID, "reply-text").get_attribute("value") == ""
    sent = [m for m in tickets.get_ticket(ticket.id, console.users["jia"], factory=console.factory).messages
            if m.direction == "out"]
    assert [m.text for m in sent] == ["好的，请带上户口簿到窗口。"]
    browser.save_screenshot("/tmp/console-ticket.png")


def test_intake_staff_cannot_open_another_districts_case_by_editing_the_url(
        browser: webdriver.Chrome, console: Console) -> None:
    other = register_application(console.factory, "乙镇", name="郑秀英")
    log_in(browser, console, "jia")
    browser.get(f"{console.url}/console/applications/{other.number}")
    assert "没有找到该页面或事项" in browser.find_element(By.TAG_NAME, "main").text
    assert "郑秀英" not in browser.page_source
    assert browser.find_elements(By.ID, "h-applicant") == []
