"""The operator's panel in headless Chromium against the real web app, fed a simulated call
through the signed hotline endpoint."""
from __future__ import annotations

import re
import time
import uuid

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from bot.core.testing import sample_id_number
from tests.console.test_console_browser import log_in, wait
from tests.hotline.conftest import Hotline
from tests.test_chat_page import browser  # noqa: F401 (the same headless Chromium fixture)
from tests.browser_support import shows_text

pytestmark = pytest.mark.browser
LIVE = 15  # seconds: the stream polls every half second


def text_of(driver: webdriver.Chrome, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def value_of(driver: webdriver.Chrome, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).get_attribute("value")


def test_the_panel_fills_in_as_the_caller_speaks(browser: webdriver.Chrome, hotline: Hotline) -> None:
    log_in(browser, hotline, "hw01")
    assert browser.current_url.endswith("/console/hotline")
    wait(browser, LIVE).until(lambda d: d.find_element(By.ID, "no-call").is_displayed())
    assert not browser.find_element(By.ID, "call-panel").is_displayed()
    browser.execute_script("window.__sameDocument = true;")
    platform = hotline.platform("hw01")
    call_id = f"b-{uuid.uuid4().hex[:8]}"
    start = time.time() - 120
    platform.start(call_id, start)
    platform.say(call_id, "caller", "喂你好 我想问一下那个底保怎么申请", start + 1)
    wait(browser, LIVE).until(shows_text((By.ID, "transcript"), "我想问一下那个底保怎么申请"))
    wait(browser, LIVE).until(shows_text((By.ID, "reply"), "哪个市"))
    platform.say(call_id, "operator", "您好，请问您是哪里的？", start + 2)
    platform.say(call_id, "caller", "我是运城盐湖区解州镇的", start + 3)
    wait(browser, LIVE).until(shows_text((By.ID, "policies"), "晋"))
    assert "运城市盐湖区" in text_of(browser, "region-line")
    assert "最低生活保障" in text_of(browser, "topic-programs")
    assert value_of(browser, "wo-district") == "解州镇"
    assert browser.execute_script("return window.__sameDocument === true;")  # pushed, not reloaded

    # The operator's own edit survives the suggestions that follow.
    name = browser.find_element(By.ID, "wo-caller_name")
    name.send_keys("王秀兰（核实）")
    platform.say(call_id, "caller", "家里三口人 不对不对 是四口人", start + 4)
    platform.say(call_id, "caller", "我叫王秀英 电话是一三九 一二三四 五六七八 住在解州镇东街村三组十二号", start + 5)
    wait(browser, LIVE).until(lambda d: value_of(d, "wo-callback_phone") == "13912345678")
    assert value_of(browser, "wo-caller_name") == "王秀兰（核实）"
    assert value_of(browser, "wo-address") == "解州镇东街村3组12号"
    assert "已更正 家庭人口：3口人 → 4口人" in text_of(browser, "corrections")
    transcript = text_of(browser, "transcript")
    assert "139****5678" in transcript and "13912345678" not in transcript
    browser.save_screenshot("/tmp/hotline-panel.png")

    # Markup in what the caller said is shown as text, never run.
    platform.say(call_id, "caller", '<img src=x onerror="window.__pwned=1">那个', start + 6)
    wait(browser, LIVE).until(shows_text((By.ID, "transcript"), "<img src=x"))
    assert browser.execute_script("return window.__pwned === undefined")

    # Copy the suggested reply.
    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": hotline.url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    browser.find_element(By.ID, "copy-reply").click()
    wait(browser, 5).until(lambda d: d.find_element(By.ID, "copied-reply").is_displayed())
    copied = browser.execute_async_script(
        "var done = arguments[0]; navigator.clipboard.readText().then(done, function (e) { done('ERR ' + e); });")
    assert copied == text_of(browser, "reply") and copied.startswith("您好")

    # Confirm: the ID number is missing, then given; the caller's consent is recorded.
    name.clear()
    name.send_keys("王秀兰")
    browser.find_element(By.ID, "btn-application").click()
    wait(browser, LIVE).until(lambda d: d.find_element(By.ID, "panel-message").is_displayed())
    assert "身份证" in text_of(browser, "panel-message") or "同意" in text_of(browser, "panel-message")
    browser.find_element(By.ID, "wo-id_number").send_keys(sample_id_number(31))
    browser.find_element(By.ID, "wo-consent").click()
    browser.find_element(By.ID, "btn-application").click()
    wait(browser, LIVE).until(shows_text((By.ID, "panel-message"), "受理编号"))
    number = re.search(r"SJ\d{8}-\d{4}", text_of(browser, "panel-message")).group(0)
    wait(browser, LIVE).until(shows_text((By.ID, "outcome"), number))
    assert not browser.find_element(By.ID, "btn-ticket").is_enabled()
    platform.end(call_id)
    wait(browser, LIVE).until(shows_text((By.ID, "call-status"), "已挂断"))
    browser.save_screenshot("/tmp/hotline-confirmed.png")
    assert browser.execute_script("return window.__sameDocument === true;")


def test_a_supervisor_opens_a_call_from_the_list(browser: webdriver.Chrome, hotline: Hotline) -> None:
    platform = hotline.platform("hw02")
    call_id = f"s-{uuid.uuid4().hex[:8]}"
    platform.start(call_id, time.time() - 30)
    platform.say(call_id, "caller", "我在北京 想问问低保", time.time() - 20)
    log_in(browser, hotline, "boss")
    browser.get(f"{hotline.url}/console/hotline")
    browser.find_element(By.LINK_TEXT, call_id).click()
    wait(browser, LIVE).until(shows_text((By.ID, "reply"), "北京市"))
    assert "不在本助手收录范围" in text_of(browser, "region-line")
    assert "没有可引用的政策" in text_of(browser, "no-policies")


SCREEN = (1366, 768)  # the operator's screen


def in_view(driver: webdriver.Chrome, element_id: str) -> bool:
    """Entirely inside the window, without scrolling the page."""
    return driver.execute_script(
        "var r = document.getElementById(arguments[0]).getBoundingClientRect();"
        "return r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;",
        element_id)


def test_a_fire_call_on_a_1366_by_768_screen(browser: webdriver.Chrome, hotline: Hotline) -> None:
    log_in(browser, hotline, "hw01")
    browser.set_window_size(*SCREEN)
    platform = hotline.platform("hw01")
    call_id = f"f-{uuid.uuid4().hex[:8]}"
    start = time.time() - 95
    platform.start(call_id, start, caller_number="13734598765")
    platform.say(call_id, "caller", "喂喂 你好 我家昨天晚上着火了 房子烧了一半 现在没地方住 我想申请临时就助", start + 1)
    platform.say(call_id, "operator", "您先别着急，请问您在哪里？", start + 2)
    platform.say(call_id, "caller", "运城临猗县 临晋镇 西街村", start + 3)
    platform.say(call_id, "caller", "我叫李志强 不对 是李志刚 手机号一三七 三四五九 八七六五", start + 4)
    wait(browser, LIVE).until(lambda d: value_of(d, "wo-caller_name") == "李志刚")
    # The masked number and a running timer in the header.
    assert text_of(browser, "caller-number") == "137****8765"
    first = text_of(browser, "call-timer")
    assert re.fullmatch(r"0[1-2]:\d\d", first)
    wait(browser, 5).until(lambda d: text_of(d, "call-timer") != first)
    # The emergency measure first: 晋民发〔2022〕38号 第7条 (急难型临时救助).
    first_policy = browser.find_element(By.CSS_SELECTOR, "#policies li .citation").text
    assert "晋民发〔2022〕38号" in first_policy and "第7条" in first_policy
    assert "晋民发〔2022〕38号" in text_of(browser, "reply")
    # Every change of a field is a correction, the phone's last four digits included.
    platform.say(call_id, "caller", "电话后四位是八七六六", start + 5)
    wait(browser, LIVE).until(lambda d: value_of(d, "wo-callback_phone") == "13734598766")
    corrections = text_of(browser, "corrections")
    assert "来电人姓名：李志强 → 李志刚" in corrections and "回拨电话：137****8765 → 137****8766" in corrections
    # A wrong check digit is flagged, not dropped.
    platform.say(call_id, "caller", "身份证号是一四零八二一一九八零零一零一一二三四", start + 6)
    wait(browser, LIVE).until(shows_text((By.ID, "id-note"), "校验码"))
    assert value_of(browser, "wo-id_number") == "140821198001011234"
    # A 乡镇 the gazetteer does not know for 临猗县 is flagged; the known one is not.
    assert text_of(browser, "district-note") == ""
    # An edited field keeps the operator's text and shows what else was heard.
    name = browser.find_element(By.ID, "wo-caller_name")
    name.clear()
    name.send_keys("李志钢")
    platform.say(call_id, "caller", "我叫李志刚 木子李", start + 7)
    heard = browser.find_element(By.CSS_SELECTOR, '[data-heard="caller_name"]')
    wait(browser, LIVE).until(lambda _d: heard.is_displayed() and "李志刚" in heard.text)
    assert value_of(browser, "wo-caller_name") == "李志钢"
    heard.find_element(By.TAG_NAME, "button").click()
    assert value_of(browser, "wo-caller_name") == "李志刚"
    # The transcript follows the newest words; the page itself never scrolls.
    for i in range(12):
        platform.say(call_id, "operator" if i % 2 else "caller", f"补充情况第{i}句，家里还有两个孩子在上学", start + 10 + i)
    wait(browser, LIVE).until(shows_text((By.ID, "transcript"), "补充情况第11句"))
    assert browser.execute_script(
        "var l = document.getElementById('transcript'); return l.scrollTop + l.clientHeight >= l.scrollHeight - 30;")
    assert browser.execute_script("return document.documentElement.scrollHeight <= window.innerHeight + 1;")
    for button in ("btn-application", "btn-ticket", "btn-answered"):
        assert in_view(browser, button), button
    browser.save_screenshot("/tmp/hotline-1366.png")

    # A wrong 乡镇 is refused unless the operator has checked it with the caller.
    district = browser.find_element(By.ID, "wo-district")
    district.clear()
    district.send_keys("北相镇")
    browser.find_element(By.ID, "wo-id_number").clear()
    browser.find_element(By.ID, "wo-id_number").send_keys(sample_id_number(41))
    browser.find_element(By.ID, "wo-consent").click()
    browser.find_element(By.ID, "btn-application").click()
    wait(browser, LIVE).until(shows_text((By.ID, "panel-message"), "临猗县"))
    assert "北相镇" in text_of(browser, "panel-message") and "盐湖区" in text_of(browser, "panel-message")
    district.clear()
    district.send_keys("临晋镇")
    browser.find_element(By.ID, "btn-application").click()
    wait(browser, LIVE).until(shows_text((By.ID, "outcome"), "受理编号"))
    number = re.search(r"SJ\d{8}-\d{4}", text_of(browser, "outcome")).group(0)
    assert in_view(browser, "outcome")  # where the operator is looking
    summary, reply = value_of(browser, "wo-summary"), text_of(browser, "reply")
    # Later speech changes neither the work order summary nor the suggested reply.
    platform.say(call_id, "caller", "对了 我还想问问低保怎么申请 我叫王大伟", start + 30)
    wait(browser, LIVE).until(shows_text((By.ID, "transcript"), "我叫王大伟"))
    time.sleep(1)
    assert value_of(browser, "wo-summary") == summary and text_of(browser, "reply") == reply
    assert value_of(browser, "wo-caller_name") == "李志刚" and number in text_of(browser, "outcome")
    browser.save_screenshot("/tmp/hotline-registered.png")
