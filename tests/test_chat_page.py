"""The chat page in headless Chromium (Debian's chromium + chromedriver), against the real servers."""
from __future__ import annotations

import shutil
import tempfile
from typing import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import Servers

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage", "--window-size=900,900"):
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def bot_messages(driver: webdriver.Chrome) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".msg.bot, .msg.error")]


def send(driver: webdriver.Chrome, text: str) -> list[str]:
    before = len(bot_messages(driver))
    box = driver.find_element(By.ID, "input")
    driver.execute_script("arguments[0].value = arguments[1];", box, text)
    driver.find_element(By.ID, "send").click()
    WebDriverWait(driver, 60).until(lambda d: len(bot_messages(d)) > before)
    return bot_messages(driver)[before:]


def test_resident_asks_and_gets_a_cited_answer(browser: webdriver.Chrome, servers: Servers) -> None:
    browser.get(f"{servers.web_url}/chat")
    assert "社会救助政策助手" in browser.title
    replies = send(browser, "宁夏低保标准是多少")
    text = "\n".join(replies)
    assert "宁政办规发〔2022〕7号" in text and "650元" in text
    browser.save_screenshot(str(servers.tracker_db.parent / "chat.png"))


def test_markup_is_shown_as_text_and_never_run(browser: webdriver.Chrome, servers: Servers) -> None:
    browser.get(f"{servers.web_url}/chat")
    payload = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>低保'
    send(browser, payload)
    users = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".msg.user")]
    assert payload in users
    assert browser.execute_script("return window.__pwned === undefined")
    assert not browser.find_elements(By.CSS_SELECTOR, "#log img, #log script")


def test_quick_question_button(browser: webdriver.Chrome, servers: Servers) -> None:
    browser.get(f"{servers.web_url}/chat")
    before = len(bot_messages(browser))
    browser.find_element(By.XPATH, "//div[@id='chips']/button[text()='转人工']").click()
    WebDriverWait(browser, 60).until(lambda d: len(bot_messages(d)) > before)
    assert "12345" in bot_messages(browser)[-1]
