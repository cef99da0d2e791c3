"""The whole path, end to end with every real server: screening → registration over the REST
channel → staff accept it in the console (headless Chromium) → the resident asks for a person →
staff reply in the browser → the resident receives it → staff hand back → the bot answers again."""
from __future__ import annotations

import re
import uuid

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from bot.handoff.tickets import open_ticket_for
from bot.core.db import session_factory
from bot.intake.staff import create_user
from tests.conftest import Servers
from tests.test_chat_page import browser  # noqa: F401 (the same headless Chromium fixture)
from tests.test_intake_chat import fresh_id_number
from tests.test_questionnaire_chat import answer_for
from tests.browser_support import shows_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
PASSWORD = "journey password 42"
NUMBER_RE = re.compile(r"SJ\d{8}-\d{4,5}")
LIVE_TIMEOUT = 20


def chat(servers: Servers, sender: str, text: str) -> list[str]:
    """What the chat page sends: the web app's proxy to Rasa."""
    resp = servers.web_chat(sender, text)
    resp.raise_for_status()
    return [m["text"] for m in resp.json()["messages"]]


def inbox(servers: Servers, sender: str, after: int) -> list[dict]:
    resp = servers.web_inbox(sender, after)
    resp.raise_for_status()
    return resp.json()["messages"]


def test_screening_registration_staff_accept_reply_and_hand_back(
    servers: Servers, browser: webdriver.Chrome  # noqa: F811
) -> None:
    factory = session_factory(servers.intake_url)
    create_user("xiezhou", "解州镇窗口赵敏", PASSWORD, "intake", "解州镇", factory=factory)
    sender = servers.new_web_sender()

    # The resident: screening, then registration.
    question = chat(servers, sender, "帮我看看能不能申请低保")[-1]
    for _turn in range(30):
        replies = chat(servers, sender, answer_for(question))
        if any("初步判断" in r for r in replies):
            break
        question = replies[-1]
    chat(servers, sender, "我要申请")
    chat(servers, sender, "是的")
    for answer in ("同意", "赵桂英", "13700137000", fresh_id_number(), "解州镇", "解州镇西关村8号"):
        chat(servers, sender, answer)
    number = NUMBER_RE.search("\n".join(chat(servers, sender, "确认"))).group(0)

    # Staff of 解州镇 log in and accept it.
    wait = WebDriverWait(browser, 15)
    browser.set_window_size(1366, 900)
    browser.delete_all_cookies()
    browser.get(f"{servers.web_url}/console/login")
    browser.find_element(By.ID, "username").send_keys("xiezhou")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.XPATH, f"//table//a[text()='{number}']"))).click()
    wait.until(ec.title_contains(number))
    assert "赵桂英" in browser.page_source and "初步判断" not in browser.title
    browser.find_element(By.XPATH, "//button[text()='确认受理']").click()
    wait.until(shows_text((By.CSS_SELECTOR, "h1 .status"), "已受理"))

    # The resident sees the status change, then asks for a person.
    notices = inbox(servers, sender, 0)
    assert any(number in m["text"] and "受理" in m["text"] for m in notices)
    last = notices[-1]["id"]
    status = "\n".join(chat(servers, sender, f"查询申请进度 {number} 7000"))
    assert "已受理" in status
    assert "服务单号 R" in "\n".join(chat(servers, sender, "转人工"))
    assert chat(servers, sender, "我想问问什么时候去窗口") == []

    # Staff see the hand-off arrive, open it, read the message and reply in the browser.
    ticket = open_ticket_for(sender, factory=factory)
    browser.get(f"{servers.web_url}/console/handoffs")
    wait_live = WebDriverWait(browser, LIVE_TIMEOUT)
    row = wait_live.until(ec.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-ticket-id="{ticket.id}"] a')))
    row.click()
    wait.until(shows_text((By.ID, "messages"), "我想问问什么时候去窗口"))
    browser.find_element(By.ID, "reply-text").send_keys("您好，请周一上午带户口簿到解州镇便民服务中心。")
    browser.find_element(By.XPATH, "//form[@id='reply-form']//button").click()
    wait.until(shows_text((By.ID, "messages"), "请周一上午带户口簿"))

    # The resident receives it through the chat page's inbox.
    received = inbox(servers, sender, last)
    assert [m["text"] for m in received] == ["您好，请周一上午带户口簿到解州镇便民服务中心。"]
    assert received[0]["author"] == "解州镇窗口赵敏"

    # Staff hand the conversation back; the bot answers again.
    browser.find_element(By.XPATH, "//button[text()='交还机器人']").click()
    wait.until(shows_text((By.ID, "ticket-status"), "已交还"))
    back = inbox(servers, sender, received[-1]["id"])
    assert "智能助手继续" in back[-1]["text"]
    answer = "\n".join(chat(servers, sender, "宁夏低保标准是多少"))
    assert "650" in answer
