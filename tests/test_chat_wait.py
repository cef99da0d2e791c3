"""A chat message whose answer takes longer than the web app waits (CHAT_WAIT_SECONDS): the
resident is told it is still coming, the page asks again with the same message id and gets the
late answer, and the message is handled once (bot.web.app, bot.channels.rest). Real servers on
loopback: the web app, and a REST channel whose turn waits until the test releases it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bot import replies
from bot.web.chat_session import COOKIE as CHAT_COOKIE
from tests.conftest import RASA_TEST_TOKEN, Service, free_port
from tests.test_chat_page import browser  # noqa: F401  (the Chromium fixture)
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """(web app URL, stand-in Rasa URL, the file that releases the turns)."""
    work = tmp_path_factory.mktemp("chat-wait")
    release = work / "release"
    rasa_port, web_port = free_port(), free_port()
    env = {**os.environ, "RASA_TOKEN": RASA_TEST_TOKEN, "RASA_URL": f"http://127.0.0.1:{rasa_port}",
           "WEB_PORT": str(web_port), "CHAT_WAIT_SECONDS": "1", "VAR_DIR": str(work),
           "DATABASE_URL": f"sqlite:///{work / 'intake.db'}", "COOKIE_SECURE": "0"}
    env.pop("REDIS_URL", None)
    services = [
        Service([sys.executable, str(PROJECT_ROOT / "tests" / "slow_rasa.py"), str(rasa_port), str(release)],
                f"http://127.0.0.1:{rasa_port}/webhooks/rest/", work / "rasa.log"),
        Service([sys.executable, "-m", "bot.web"], f"http://127.0.0.1:{web_port}/healthz", work / "web.log"),
    ]
    try:
        for service in services:
            service.start(env)
        for service in services:
            service.wait()
        yield f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{rasa_port}", release
    finally:
        for service in services:
            service.stop()


def test_a_late_answer_is_given_to_the_same_message_sent_again_and_handled_once(slow: tuple[str, str, Path]) -> None:
    web, rasa, release = slow
    release.unlink(missing_ok=True)
    browser = requests.Session()
    browser.get(f"{web}/chat", timeout=30).raise_for_status()
    assert CHAT_COOKIE in browser.cookies
    body = {"message": "低保标准是多少", "message_id": "c0123456789abcdef"}
    first = browser.post(f"{web}/api/chat", json=body, timeout=30)
    assert first.status_code == 504
    assert first.json() == {"error": replies.text("common.assistant_still_working"), "pending": "c0123456789abcdef"}
    again = browser.post(f"{web}/api/chat", json=body, timeout=30)  # the page asks again: still coming
    assert again.status_code == 504 and again.json()["pending"] == "c0123456789abcdef"
    release.touch()  # Rasa's turn ends now, after the web app stopped waiting for it
    late = browser.post(f"{web}/api/chat", json=body, timeout=30)
    assert late.status_code == 200 and [m["text"] for m in late.json()["messages"]] == ["答复：低保标准是多少"]
    assert requests.get(f"{rasa}/turns", timeout=10).json() == {"c0123456789abcdef": 1}  # handled once
    next_one = browser.post(f"{web}/api/chat", json={"message": "谢谢", "message_id": "c1"}, timeout=30)
    assert [m["text"] for m in next_one.json()["messages"]] == ["答复：谢谢"]
    assert requests.get(f"{rasa}/turns", timeout=10).json() == {"c0123456789abcdef": 1, "c1": 1}


@pytest.mark.browser
def test_the_page_shows_the_late_answer_and_does_not_send_the_same_question_twice(
        slow: tuple[str, str, Path], browser) -> None:  # type: ignore[no-untyped-def]
    """In Chromium: the question waits longer than the web app; the page says the answer is still
    coming, the resident types the same question again (not sent: a note says it is still being
    handled), and the late answer appears once, from one turn."""
    web, rasa, release = slow
    release.unlink(missing_ok=True)
    before = requests.get(f"{rasa}/turns", timeout=10).json()
    browser.get(f"{web}/chat")

    def type_and_send(text: str) -> None:
        box = browser.find_element(By.ID, "input")
        browser.execute_script("arguments[0].value = arguments[1];", box, text)
        WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "send").is_enabled())
        browser.find_element(By.ID, "send").click()

    def notes() -> list[str]:
        return [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".msg.note")]

    type_and_send("特困人员有什么条件")
    WebDriverWait(browser, 60).until(lambda d: replies.text("common.assistant_still_working") in notes())
    type_and_send("特困人员 有什么条件")
    WebDriverWait(browser, 30).until(lambda d: any("还在处理中" in n and "不用重复发送" in n for n in notes()))
    release.touch()
    WebDriverWait(browser, 60).until(
        lambda d: "答复：特困人员有什么条件" in [e.text for e in d.find_elements(By.CSS_SELECTOR, ".msg.bot")])
    answers = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".msg.bot")]
    assert answers.count("答复：特困人员有什么条件") == 1 and "答复：特困人员 有什么条件" not in answers
    turns = requests.get(f"{rasa}/turns", timeout=10).json()
    new = {key: count for key, count in turns.items() if key not in before}
    assert list(new.values()) == [1], turns  # one message id, one turn
