"""The chat page in headless Chromium (Debian's chromium + chromedriver), against the real servers."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
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


# ---- the page on a phone (issue 11) ----

PHONES = [(390, 844), (360, 740), (414, 896)]
SHOTS = Path(os.environ.get("CHAT_SCREENSHOTS", tempfile.gettempdir())) / "chat-phone"


def as_phone(driver: webdriver.Chrome, width: int, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})


def fresh_page(driver: webdriver.Chrome, url: str) -> None:
    """A new resident: another conversation than the earlier tests' (one of them asked for a person)."""
    driver.get(url)
    driver.execute_script("window.localStorage.clear();")
    driver.delete_all_cookies()  # the conversation is the one the page's cookie names
    driver.get(url)


def in_viewport(driver: webdriver.Chrome, element_id: str) -> bool:
    return driver.execute_script(
        "var r = document.getElementById(arguments[0]).getBoundingClientRect();"
        "return r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth"
        " && r.height > 0;", element_id)


def shot(driver: webdriver.Chrome, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def test_phone_layout_keeps_the_input_in_view(browser: webdriver.Chrome, servers: Servers) -> None:
    try:
        for width, height in PHONES:
            as_phone(browser, width, height)
            fresh_page(browser, f"{servers.web_url}/chat")
            assert in_viewport(browser, "input") and in_viewport(browser, "send"), (width, height)
            assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
            # The suggestions are one row that scrolls sideways.
            tops = browser.execute_script(
                "return Array.prototype.map.call(document.querySelectorAll('#chips button'),"
                " function (b) { return Math.round(b.getBoundingClientRect().top); });")
            assert len(set(tops)) == 1, tops
            assert browser.execute_script("var c = document.getElementById('chips'); return c.scrollWidth > c.clientWidth;")
            if (width, height) == (390, 844):
                shot(browser, "chat-390x844-empty")
                replies = send(browser, "帮我看看能申请啥")
                assert replies
                for answer in ("运城盐湖区", "农村", "就我一个", "没有", "不是"):
                    send(browser, answer)
                assert in_viewport(browser, "input") and in_viewport(browser, "send")
                shot(browser, "chat-390x844-questionnaire")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_options_to_tap_for_a_closed_question(browser: webdriver.Chrome, servers: Servers) -> None:
    as_phone(browser, 390, 844)
    try:
        fresh_page(browser, f"{servers.web_url}/chat")
        send(browser, "帮我看看能申请啥")
        send(browser, "宁夏银川兴庆区")
        options = browser.find_elements(By.CSS_SELECTOR, "#log .options button:not([disabled])")
        assert [o.text for o in options] == ["城市（城镇）", "农村"]
        shot(browser, "chat-390x844-options")
        before = len(bot_messages(browser))
        options[1].click()
        WebDriverWait(browser, 60).until(lambda d: len(bot_messages(d)) > before)
        users = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".msg.user")]
        assert users[-1] == "农村"
        assert "城市" not in bot_messages(browser)[-1]  # the next question
        assert all(not b.is_enabled() for b in options)  # earlier options can no longer be tapped
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_typing_indicator_while_waiting(browser: webdriver.Chrome, servers: Servers) -> None:
    fresh_page(browser, f"{servers.web_url}/chat")
    # The answer is held back a moment, so that the wait can be seen.
    browser.execute_script(
        "var real = window.fetch; window.fetch = function (url, opts) {"
        " if (String(url).indexOf('/api/chat') === 0 && opts && opts.method === 'POST') {"
        "  return new Promise(function (ok) { setTimeout(ok, 1500); }).then(function () { return real(url, opts); }); }"
        " return real(url, opts); };")
    box = browser.find_element(By.ID, "input")
    browser.execute_script("arguments[0].value = arguments[1];", box, "你好")
    browser.find_element(By.ID, "send").click()
    assert browser.find_elements(By.CSS_SELECTOR, "#log .typing")
    WebDriverWait(browser, 60).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#log .typing"))
    assert "社会救助" in bot_messages(browser)[-1]


def test_large_text_is_remembered(browser: webdriver.Chrome, servers: Servers) -> None:
    fresh_page(browser, f"{servers.web_url}/chat")
    size = lambda: browser.execute_script(  # noqa: E731
        "return parseFloat(getComputedStyle(document.querySelector('.msg.bot')).fontSize);")
    normal = size()
    browser.find_element(By.ID, "large").click()
    assert size() > normal
    browser.get(f"{servers.web_url}/chat")
    assert "large" in browser.find_element(By.TAG_NAME, "body").get_attribute("class")
    assert size() > normal
    browser.find_element(By.ID, "large").click()
    assert size() == normal


def test_suggestions_hidden_while_a_person_answers(browser: webdriver.Chrome, servers: Servers) -> None:
    fresh_page(browser, f"{servers.web_url}/chat")
    assert browser.find_element(By.ID, "chips").is_displayed()
    send(browser, "转人工")
    WebDriverWait(browser, 30).until(lambda d: not d.find_element(By.ID, "chips").is_displayed())
    as_phone(browser, 390, 844)
    try:
        assert in_viewport(browser, "input")
        shot(browser, "chat-390x844-handoff")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
