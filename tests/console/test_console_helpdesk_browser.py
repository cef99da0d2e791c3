"""The console's helpdesk features in headless Chromium, as intake staff and a supervisor use them:
the lists (sort, saved filters, keys, bulk), 办结 with a decision, a deadline change, the compact
ticket with live unread marks, the audit page, the dashboard's charts and the Chinese error pages.
Screenshots go to /tmp/console-*.png."""
from __future__ import annotations

import datetime as dt

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import select, update

from bot.core.calendar import local_now
from bot.core.db import transaction, utcnow
from bot.core.models import Application, Message
from bot.handoff import tickets
from bot.intake import casework, registry
from tests.console.console_support import Console, open_handoff, register_application
from tests.console.test_console_browser import LIVE_TIMEOUT, log_in, wait
from tests.test_chat_page import browser  # noqa: F401 (the same headless Chromium fixture)
from tests.browser_support import shows_text

pytestmark = pytest.mark.browser


def set_due(console: Console, number: str, due: dt.date) -> None:
    with transaction(console.factory) as session:
        session.execute(update(Application).where(Application.number == number).values(due_date=due))


def test_lists_sort_by_deadline_save_a_filter_and_accept_in_bulk(browser: webdriver.Chrome, console: Console) -> None:
    today = local_now().date()
    late = register_application(console.factory, "甲镇", name="钱多多").number
    soon = register_application(console.factory, "甲镇", name="孙小小").number
    set_due(console, late, today - dt.timedelta(days=1))
    set_due(console, soon, today)
    log_in(browser, console, "jia")
    browser.get(f"{console.url}/console/queue/all?due=soon&sort=due")
    numbers = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#case-list tbody td:nth-child(2) a")]
    assert numbers[:2] == [late, soon]
    assert "（已超期）" in browser.find_element(By.ID, "case-list").text
    browser.find_element(By.ID, "filter-name").send_keys("今天到期和超期")
    browser.find_element(By.CSS_SELECTOR, ".save-filter button").click()
    wait(browser).until(shows_text((By.CSS_SELECTOR, ".flash-ok"), "已保存筛选条件"))
    assert browser.find_element(By.LINK_TEXT, "今天到期和超期").get_attribute("href").endswith("sort=due&due=soon")

    # Keys: j moves to the first row, x ticks it; then the second; bulk 受理.
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("j", "x", "j", "x")
    assert browser.find_element(By.ID, "picked-count").text == "已选 2 件"
    browser.save_screenshot("/tmp/console-list.png")
    browser.find_element(By.ID, "bulk-submit").click()
    wait(browser).until(shows_text((By.CSS_SELECTOR, ".flash"), "已批量受理 2 件"))
    for number in (late, soon):
        assert registry.get_application(number, factory=console.factory).status == "已受理"

    # "?" shows the shortcuts; g then n goes to the new applications.
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("?")
    assert browser.find_element(By.ID, "shortcut-help").is_displayed()
    body.send_keys(Keys.ESCAPE)
    body.send_keys("g", "n")
    wait(browser).until(lambda d: d.current_url.endswith("/console/queue/new"))


def test_closing_with_a_decision_and_changing_the_deadline(browser: webdriver.Chrome, console: Console) -> None:
    case = register_application(console.factory, "甲镇", name="周桂英")
    log_in(browser, console, "jia")
    browser.get(f"{console.url}/console/applications/{case.number}")
    browser.find_element(By.XPATH, "//button[text()='确认受理']").click()
    wait(browser).until(shows_text((By.CSS_SELECTOR, ".flash-ok"), "已受理"))
    assert "甲镇王芳（jia · 受理人员）" in browser.find_element(By.ID, "assignee").text  # who accepted it

    # A later 办理时限, with the reason; the resident is told.
    new_due = local_now().date() + dt.timedelta(days=40)
    browser.find_element(By.CSS_SELECTOR, "#deadline-action summary").click()
    browser.execute_script("document.getElementById('new-due').value = arguments[0];", new_due.isoformat())
    browser.find_element(By.ID, "due-reason").send_keys("需要入户核查家庭财产")
    browser.find_element(By.XPATH, "//button[text()='确认调整并告知居民']").click()
    wait(browser).until(shows_text((By.CSS_SELECTOR, ".flash-ok"), "办理时限已调整"))
    assert str(new_due) in browser.find_element(By.ID, "due-date").text
    assert "需要入户核查家庭财产" in browser.find_element(By.ID, "deadline-history").text

    # 办结: 批准, the amount and start month, a cited reason from the screening.
    browser.find_element(By.CSS_SELECTOR, "details[data-status='已办结'] summary").click()
    form = browser.find_element(By.CSS_SELECTOR, "details[data-status='已办结'] form")
    form.find_element(By.NAME, "amount").send_keys("780")
    reasons = form.find_elements(By.NAME, "reason")
    assert reasons, "the screening snapshot's cited reasons are offered"
    reasons[0].click()
    assert not form.find_element(By.NAME, "referred_to").is_displayed()
    browser.save_screenshot("/tmp/console-close.png")
    form.find_element(By.XPATH, ".//button[text()='确认办结']").click()
    wait(browser).until(shows_text((By.CSS_SELECTOR, ".flash-ok"), "已办结"))
    assert "批准" in browser.find_element(By.ID, "decision-line").text
    with transaction(console.factory) as session:
        told = session.scalars(select(Message.text).where(Message.application_id == case.application_id)
                               .order_by(Message.id.desc())).first()
    assert "已办结：经审核，批准最低生活保障" in told and "每月780元" in told and "依据：" in told


def test_a_compact_ticket_keeps_the_reply_box_in_view_and_unread_marks_arrive_live(
        browser: webdriver.Chrome, console: Console) -> None:
    long_talk = "我想问一下低保的事情，家里情况比较复杂，" * 3
    ticket = open_handoff(console.factory, "甲镇", text=long_talk)
    for i in range(30):
        tickets.record_resident_message(ticket.conversation_id, f"第{i}条补充：{long_talk}", "web", utcnow(),
                                        factory=console.factory)
    case = register_application(console.factory, "甲镇", name="吴大海")
    casework.save_canned_reply(console.users["boss"], "材料清单", "请带户口簿、身份证到窗口办理。",
                               factory=console.factory)
    log_in(browser, console, "jia")
    browser.set_window_size(1366, 768)
    browser.get(f"{console.url}/console/tickets/{ticket.id}")
    reply = browser.find_element(By.ID, "reply-text")
    top = browser.execute_script("return arguments[0].getBoundingClientRect().bottom;", reply)
    assert top <= browser.execute_script("return window.innerHeight;"), "the reply box is in view without scrolling"
    assert browser.execute_script("return window.scrollY;") == 0

    # A canned reply is inserted, adapted and sent with Ctrl+Enter.
    browser.find_element(By.CSS_SELECTOR, "#canned-pick option:nth-child(2)").click()
    assert reply.get_attribute("value") == "请带户口簿、身份证到窗口办理。"
    reply.send_keys("（周一至周五）")
    reply.send_keys(Keys.CONTROL, Keys.ENTER)
    wait(browser).until(shows_text((By.ID, "messages"), "（周一至周五）"))

    # Linked to the application by its 受理编号.
    browser.find_element(By.ID, "link-number").send_keys(case.number)
    browser.find_element(By.XPATH, "//button[text()='关联']").click()
    wait(browser).until(shows_text((By.ID, "linked-application"), case.number))
    browser.find_element(By.ID, "note-text").send_keys("居民下午再来电话")
    browser.find_element(By.XPATH, "//button[text()='保存备注']").click()
    wait(browser).until(shows_text((By.CSS_SELECTOR, ".notes"), "居民下午再来电话"))
    browser.save_screenshot("/tmp/console-ticket-compact.png")

    # On another page a new resident message shows as unread, in the badge and the tab title.
    browser.get(f"{console.url}/console/handoffs")
    wait(browser, LIVE_TIMEOUT).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-live") == "on")
    tickets.record_resident_message(ticket.conversation_id, "还在吗？", "web", utcnow(), factory=console.factory)
    row = f'tr[data-ticket-id="{ticket.id}"]'
    wait(browser, LIVE_TIMEOUT).until(
        lambda d: "1 条未读" in d.find_element(By.CSS_SELECTOR, f"{row} .unread-mark").text)
    badge = browser.find_element(By.CSS_SELECTOR, '[data-count="unread"]')
    assert badge.is_displayed() and int(badge.text) >= 1
    assert browser.title.startswith("(")
    browser.save_screenshot("/tmp/console-unread.png")
    browser.find_element(By.CSS_SELECTOR, f"{row} a").click()
    wait(browser).until(shows_text((By.ID, "messages"), "还在吗？"))
    assert tickets.unread(console.users["jia"], factory=console.factory).get(ticket.id) is None


def test_a_supervisor_reads_the_audit_log_and_the_dashboard(browser: webdriver.Chrome, console: Console) -> None:
    case = register_application(console.factory, "乙镇", programs=("tekun",))
    log_in(browser, console, "yi")
    browser.get(f"{console.url}/console/applications/{case.number}")
    log_in(browser, console, "boss")
    browser.get(f"{console.url}/console/audit?case={case.number}")
    rows = browser.find_element(By.ID, "audit-rows").text
    assert "乙镇李明" in rows and "查看申请" in rows
    browser.save_screenshot("/tmp/console-audit.png")

    browser.get(f"{console.url}/console/dashboard")
    wait(browser).until(lambda d: d.execute_script(
        "return typeof echarts !== 'undefined' && !!echarts.getInstanceByDom(document.getElementById('chart-daily'));"))
    series = browser.execute_script(
        "return echarts.getInstanceByDom(document.getElementById('chart-programs')).getOption().series[0].data;")
    assert sum(series) >= 1
    assert browser.find_elements(By.CSS_SELECTOR, "#chart-daily canvas")
    assert "乙镇" in browser.find_element(By.ID, "district-figures").text
    # By 乡镇: new, accepted, closed and overdue; by staff member: accepted, closed and overdue.
    names = browser.execute_script(
        "return ['chart-districts', 'chart-staff'].map(function (id) { return echarts.getInstanceByDom("
        "document.getElementById(id)).getOption().series.map(function (s) { return s.name; }); });")
    assert names == [["新登记", "已受理", "已办结", "当前超期"], ["受理", "办结", "当前超期"]]
    browser.save_screenshot("/tmp/console-dashboard.png")
    scripts = [s.get_attribute("src") for s in browser.find_elements(By.TAG_NAME, "script") if s.get_attribute("src")]
    assert all(src.startswith(console.url) for src in scripts)  # nothing from a CDN


def test_error_pages_are_chinese_everywhere(browser: webdriver.Chrome, console: Console) -> None:
    log_in(browser, console, "jia")
    browser.get(f"{console.url}/console/no-such-page")
    assert "没有找到这个页面" in browser.find_element(By.TAG_NAME, "main").text
    assert browser.find_elements(By.CSS_SELECTOR, "nav.tabs")  # the console's own page
    browser.get(f"{console.url}/no-such-page")
    assert "没有找到这个页面" in browser.find_element(By.TAG_NAME, "body").text
    browser.save_screenshot("/tmp/console-404.png")
    api = requests.get(f"{console.url}/api/no-such-thing", timeout=10)
    assert api.status_code == 404 and "没有找到" in api.json()["error"]
    wrong = requests.put(f"{console.url}/chat", timeout=10)
    assert wrong.status_code == 405 and "请求方式" in wrong.text


def uncovered(driver: webdriver.Chrome, css: str) -> bool:
    """The element's centre is inside the window and nothing (a banner, a flash) lies over it."""
    return driver.execute_script(
        "var e = document.querySelector(arguments[0]); var r = e.getBoundingClientRect();"
        "var x = r.left + r.width / 2, y = r.top + r.height / 2;"
        "if (r.width === 0 || y < 0 || y > innerHeight || x < 0 || x > innerWidth) return false;"
        "var top = document.elementFromPoint(x, y); return top === e || e.contains(top);", css)


def test_on_a_phone_the_ticket_keeps_send_in_view_and_lists_stay_inside_the_screen(
        browser: webdriver.Chrome, console: Console) -> None:
    """Found walking the console at 390×844 (issue 15): the ticket's two columns were squeezed side
    by side (the conversation a sliver) and the lists ran off the page's right edge; at 1366×768 a
    supervisor's standing calendar warning floated over the ticket's 接手 button."""
    ticket = open_handoff(console.factory, "甲镇", text="我想问一下低保的事情")
    for i in range(20):
        tickets.record_resident_message(ticket.conversation_id, f"第{i}条补充：家里老人住院，孩子上学，收入很少。",
                                        "web", utcnow(), factory=console.factory)
    register_application(console.factory, "甲镇", name="郑秀芳")
    browser.get(f"{console.url}/console/")  # the session cookie's path: log_in can delete it from here
    for who in ("jia", "boss"):
        log_in(browser, console, who)
        browser.set_window_size(1366, 768)
        browser.get(f"{console.url}/console/tickets/{ticket.id}")
        assert uncovered(browser, "#reply-form button[type=submit]"), who
        assert uncovered(browser, "form[action$='/claim'] button"), who
    log_in(browser, console, "jia")
    browser.set_window_size(390, 844)
    width = browser.execute_script("return window.innerWidth;")
    browser.get(f"{console.url}/console/tickets/{ticket.id}")
    pane = browser.execute_script("return document.getElementById('conversation-pane').getBoundingClientRect().width;")
    assert pane > width * 0.7, "the conversation takes the screen's width"
    assert uncovered(browser, "#reply-text") and uncovered(browser, "#reply-form button[type=submit]")
    browser.save_screenshot("/tmp/console-ticket-phone.png")
    for path in ("/console/queue/all", "/console/handoffs", "/console/due"):
        browser.get(f"{console.url}{path}")
        assert browser.execute_script("return document.documentElement.scrollWidth;") <= width, path
    browser.save_screenshot("/tmp/console-queue-phone.png")


def test_an_administrators_twelve_tabs_fit_one_line_at_1366(browser: webdriver.Chrome, console: Console) -> None:
    """At 1366×768 (with the page's scroll bar) the tabs of the widest role stay on one row."""
    browser.get(f"{console.url}/console/")
    log_in(browser, console, "admin")
    browser.set_window_size(1366, 768)
    browser.get(f"{console.url}/console/dashboard")
    rows = browser.execute_script(
        "return new Set(Array.from(document.querySelectorAll('nav.tabs a')).map(function (a) {"
        " return Math.round(a.getBoundingClientRect().top); })).size;")
    assert len(browser.find_elements(By.CSS_SELECTOR, "nav.tabs a")) >= 12 and rows == 1
