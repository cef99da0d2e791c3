"""What the channel does with each kind of message, and its settings."""
from __future__ import annotations

import pytest
from wechatpy import parse_message

from bot import replies
from bot.settings import Settings
from bot.wechat.config import ConfigError, WeChatConfig
from bot.wechat.inbound import (
    LOCATION_NOT_RECOGNISED,
    MENU_MESSAGES,
    TEXT_ONLY,
    VOICE_NOT_RECOGNISED,
    WELCOME,
    Answer,
    AskAssistant,
    route,
)
from bot.wechat.menu import MenuError, check_menu, load_menu
from bot.wechat.simulator import event_xml, location_xml, message_xml, text_xml
from tests.wechat.fake_api import AES_KEY, APPID, TOKEN

OPENID = "o-inbound-1"


def routed(xml: str):  # type: ignore[no-untyped-def]
    return route(parse_message(xml))


def test_text_goes_to_the_assistant_but_never_as_an_intent_name() -> None:
    assert routed(text_xml(OPENID, " 低保标准是多少 ")) == AskAssistant("低保标准是多少")
    assert routed(text_xml(OPENID, '/request_human{"region": "x"}')) == AskAssistant('request_human{"region": "x"}')
    assert routed(text_xml(OPENID, "  ")) == Answer(replies.text("common.input_issue.empty"))
    assert routed(text_xml(OPENID, "//")) == Answer(replies.text("common.input_issue.empty"))


def test_voice_uses_wechats_recognition_or_asks_again() -> None:
    recognised = message_xml(OPENID, "voice", {"MediaId": "m1", "Format": "amr", "Recognition": "临时救助怎么申请"})
    assert routed(recognised) == AskAssistant("临时救助怎么申请")
    assert routed(message_xml(OPENID, "voice", {"MediaId": "m1", "Format": "amr"})) == Answer(VOICE_NOT_RECOGNISED)
    empty = message_xml(OPENID, "voice", {"MediaId": "m1", "Format": "amr", "Recognition": ""})
    assert routed(empty) == Answer(VOICE_NOT_RECOGNISED)


def test_subscribing_gets_the_welcome_and_unsubscribing_nothing() -> None:
    assert routed(event_xml(OPENID, "subscribe")) == Answer(WELCOME)
    assert routed(event_xml(OPENID, "subscribe", "qrscene_123")) == Answer(WELCOME)
    for entry in ("政策咨询", "资格自测", "申请进度", "人工服务", "转人工"):
        assert entry in WELCOME
    assert routed(event_xml(OPENID, "unsubscribe")) is None


def test_menu_clicks_reach_the_entry_points() -> None:
    assert routed(event_xml(OPENID, "CLICK", "POLICY")) == AskAssistant("/ask_capabilities")
    assert routed(event_xml(OPENID, "CLICK", "SCREENING")) == AskAssistant("/start_screening")
    assert routed(event_xml(OPENID, "CLICK", "STATUS")) == AskAssistant("/ask_status")
    assert routed(event_xml(OPENID, "CLICK", "HUMAN")) == AskAssistant("/request_human")
    assert routed(event_xml(OPENID, "CLICK", "RETIRED_KEY")) == Answer(WELCOME)


@pytest.mark.parametrize("event", ["VIEW", "LOCATION", "SCAN", "TEMPLATESENDJOBFINISH", "some_new_event"])
def test_other_events_get_no_answer(event: str) -> None:
    assert routed(event_xml(OPENID, event, "x")) is None


def test_a_location_suggests_the_region_from_its_label() -> None:
    assert routed(location_xml(OPENID, "山西省运城市盐湖区解州镇关帝庙")) == AskAssistant("我在运城市盐湖区")
    assert routed(location_xml(OPENID, "宁夏回族自治区银川市兴庆区")) == AskAssistant("我在银川市兴庆区")
    assert routed(location_xml(OPENID, "某某大厦")) == Answer(LOCATION_NOT_RECOGNISED)
    assert routed(message_xml(OPENID, "location", {"Location_X": "1", "Location_Y": "2"})) == Answer(LOCATION_NOT_RECOGNISED)


@pytest.mark.parametrize("kind", ["image", "video", "shortvideo", "file", "link", "miniprogrampage", "hologram"])
def test_pictures_files_and_unknown_types_get_asked_to_type(kind: str) -> None:
    assert routed(message_xml(OPENID, kind, {"MediaId": "m1", "PicUrl": "http://x/y.jpg"})) == Answer(TEXT_ONLY)
    assert "请用文字描述您的问题" in TEXT_ONLY


def test_the_shipped_menu_has_the_four_entry_points_within_wechats_limits() -> None:
    menu = load_menu()
    names = [b["name"] for b in menu["button"]] + [s["name"] for b in menu["button"] for s in b.get("sub_button", [])]
    assert {"政策咨询", "资格自测", "申请进度", "人工服务"} <= set(names)
    keys = [b.get("key") for b in menu["button"]] + [s.get("key") for b in menu["button"] for s in b.get("sub_button", [])]
    assert {k for k in keys if k} <= set(MENU_MESSAGES)


@pytest.mark.parametrize("menu", [
    {}, {"button": []}, {"button": [{"type": "click", "name": "a", "key": "POLICY"}] * 4},
    {"button": [{"type": "click", "name": "政策咨询政策咨询", "key": "POLICY"}]},
    {"button": [{"type": "click", "name": "咨询", "key": "NOT_HANDLED"}]},
    {"button": [{"name": "更多", "sub_button": []}]},
    {"button": [{"type": "view", "name": "官网", "url": "javascript:alert(1)"}]},
])
def test_menus_wechat_or_the_channel_would_refuse_are_caught(menu: dict) -> None:
    with pytest.raises(MenuError):
        check_menu(menu)


def test_credentials_override_the_environment() -> None:
    settings = Settings(wechat_token="fromenv", wechat_appid="wxenv", wechat_mode="plaintext")
    config = WeChatConfig.load({"token": "fromfile", "api_base": "http://127.0.0.1:9/cgi-bin"}, settings)
    assert config.token == "fromfile" and config.appid == "wxenv" and config.mode == "plaintext"
    assert config.api_base == "http://127.0.0.1:9/cgi-bin/" and config.receives and not config.sends
    assert not WeChatConfig.load(None, Settings(wechat_token="")).receives


@pytest.mark.parametrize("given", [
    {"mode": "secret"},
    {"token": "with space"},
    {"token": TOKEN, "mode": "safe", "appid": APPID, "aes_key": "short"},
    {"token": TOKEN, "mode": "safe", "aes_key": AES_KEY, "appid": ""},
    {"token": TOKEN, "mode": "compatible", "appid": APPID, "aes_key": AES_KEY[:-1] + "!"},
    {"api_base": "ftp://x"},
    {"reply_budget": 6},
    {"tokn": TOKEN},
])
def test_settings_that_cannot_work_are_refused_at_start(given: dict) -> None:
    with pytest.raises(ConfigError):
        WeChatConfig.load(given, Settings(wechat_token="", wechat_appid="", wechat_aes_key=""))
