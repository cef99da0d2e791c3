"""Checking what WeChat posts before anything is processed: signatures, timestamps, modes,
decryption, hostile XML, size; and the passive replies WeChat reads back."""
from __future__ import annotations

import time

import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto

from bot.wechat.config import WeChatConfig
from bot.wechat.protocol import (
    MAX_BODY_BYTES,
    BadRequest,
    Forbidden,
    TooLarge,
    encode_reply,
    read_request,
    verify_url,
)
from bot.wechat.simulator import WeChatSimulator, event_xml, message_xml, text_xml
from tests.wechat.fake_api import AES_KEY, APPID, TOKEN

OPENID = "oAbC-123_openid"
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><ToUserName>gh_x</ToUserName><FromUserName>" + OPENID + "</FromUserName>"
    "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>gh_x</ToUserName><FromUserName>" + OPENID + "</FromUserName>"
    "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"
)
HOSTILE = {"billion laughs": BILLION_LAUGHS, "external entity": EXTERNAL_ENTITY,
           "doctype in lower case": EXTERNAL_ENTITY.replace("DOCTYPE", "doctype")}
MALFORMED = {
    "not XML": "this is not xml",
    "unclosed": "<xml><ToUserName>gh_x</ToUserName><FromUserName>" + OPENID,
    "not the xml root": "<message><Content>hi</Content></message>",
    "no MsgType": f"<xml><FromUserName>{OPENID}</FromUserName><ToUserName>gh_x</ToUserName></xml>",
    "text root": "<xml>hello</xml>",
    "non-numeric MsgId": text_xml(OPENID, "hi").replace("</xml>", "").rsplit("<MsgId>", 1)[0] + "<MsgId>x1</MsgId></xml>",
    "nested FromUserName": message_xml("x", "text", {"Content": "hi"}).replace(
        "<FromUserName><![CDATA[x]]></FromUserName>", "<FromUserName><a>1</a></FromUserName>"),
    "OpenID with a slash": text_xml("../../etc", "hi"),
    "empty body": "",
}


def config(mode: str) -> WeChatConfig:
    return WeChatConfig(token=TOKEN, appid=APPID, appsecret="s", aes_key=AES_KEY, mode=mode)


def simulator(mode: str, style: str) -> WeChatSimulator:
    return WeChatSimulator("http://unused", config(mode), style=style)


@pytest.mark.parametrize(("mode", "style"), [
    ("plaintext", "plaintext"), ("compatible", "plaintext"), ("compatible", "compatible"),
    ("compatible", "safe"), ("safe", "safe"), ("safe", "compatible"),
])
def test_a_signed_message_is_read_in_each_mode(mode: str, style: str) -> None:
    query, body = simulator(mode, style).signed(text_xml(OPENID, "低保标准是多少", msg_id=42))
    inbound = read_request(config(mode), query, body)
    assert inbound.message.type == "text" and inbound.message.content == "低保标准是多少"
    assert inbound.openid == OPENID and inbound.delivery_key == "42"
    assert inbound.encrypted == (style != "plaintext")


@pytest.mark.parametrize(("mode", "style"), [("safe", "plaintext"), ("plaintext", "safe")])
def test_a_message_in_the_other_mode_is_forbidden(mode: str, style: str) -> None:
    query, body = simulator(mode, style).signed(text_xml(OPENID, "你好"))
    with pytest.raises(Forbidden):
        read_request(config(mode), query, body)


@pytest.mark.parametrize("style", ["plaintext", "safe"])
def test_a_wrong_signature_is_forbidden(style: str) -> None:
    query, body = simulator("compatible", style).signed(text_xml(OPENID, "你好"))
    key = "signature" if style == "plaintext" else "msg_signature"
    for forged in ("0" * 40, "", query[key].upper()):
        with pytest.raises(Forbidden):
            read_request(config("compatible"), {**query, key: forged}, body)
    with pytest.raises(Forbidden):
        read_request(config("compatible"), {k: v for k, v in query.items() if k != key}, body)
    other_token = WeChatConfig(token="anothertoken", appid=APPID, appsecret="s", aes_key=AES_KEY, mode="compatible")
    with pytest.raises(Forbidden):
        read_request(other_token, query, body)


def test_an_encrypted_body_changed_in_transit_is_forbidden() -> None:
    query, body = simulator("safe", "safe").signed(text_xml(OPENID, "你好"))
    tampered = body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[AAAA")
    with pytest.raises(Forbidden):
        read_request(config("safe"), query, tampered)


def test_a_message_encrypted_for_another_account_is_forbidden() -> None:
    other = WeChatConfig(token=TOKEN, appid="wx_other_account", appsecret="s", aes_key=AES_KEY, mode="safe")
    query, body = WeChatSimulator("http://unused", other, style="safe").signed(text_xml(OPENID, "你好"))
    with pytest.raises(Forbidden):
        read_request(config("safe"), query, body)


@pytest.mark.parametrize("style", ["plaintext", "safe"])
@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_a_timestamp_outside_five_minutes_is_forbidden(style: str, offset: int) -> None:
    now = time.time()
    query, body = simulator("compatible", style).signed(text_xml(OPENID, "你好"), timestamp=int(now) + offset)
    with pytest.raises(Forbidden):
        read_request(config("compatible"), query, body, now=now)
    assert read_request(config("compatible"), query, body, now=now + offset)  # fine at its own time


@pytest.mark.parametrize("broken", [{"timestamp": ""}, {"timestamp": "abc"}, {"nonce": ""}, {"nonce": "n" * 65}])
def test_missing_or_malformed_parameters_are_forbidden(broken: dict[str, str]) -> None:
    query, body = simulator("plaintext", "plaintext").signed(text_xml(OPENID, "你好"))
    with pytest.raises(Forbidden):
        read_request(config("plaintext"), {**query, **broken}, body)


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("where", ["plaintext body", "encrypted message", "encrypted envelope"])
def test_doctype_and_entities_are_refused_wherever_they_are(payload: str, where: str) -> None:
    style = "plaintext" if where == "plaintext body" else "safe"
    sim = simulator("compatible", style)
    if where == "encrypted envelope":
        query, body = sim.signed(text_xml(OPENID, "x"), body_override=payload.encode())
    else:
        query, body = sim.signed(payload)
    with pytest.raises(BadRequest):
        read_request(config("compatible"), query, body)


def test_the_xml_parser_itself_refuses_entity_declarations() -> None:
    """Should the DOCTYPE check ever go, xmltodict (as wechatpy calls it) still expands nothing."""
    for payload in HOSTILE.values():
        with pytest.raises(Exception) as caught:
            xmltodict.parse(payload)
        assert "lol" * 100 not in str(caught.value) and "root:" not in str(caught.value)


@pytest.mark.parametrize("xml", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("style", ["plaintext", "safe"])
def test_malformed_messages_are_bad_requests(xml: str, style: str) -> None:
    query, body = simulator("compatible", style).signed(xml)
    with pytest.raises(BadRequest):
        read_request(config("compatible"), query, body)


def test_a_body_over_the_limit_is_too_large() -> None:
    padding = "很" * (MAX_BODY_BYTES // 3 + 10)
    query, body = simulator("plaintext", "plaintext").signed(text_xml(OPENID, padding))
    with pytest.raises(TooLarge):
        read_request(config("plaintext"), query, body)


def test_events_are_identified_by_sender_time_and_event() -> None:
    query, body = simulator("plaintext", "plaintext").signed(event_xml(OPENID, "subscribe", create_time=1700000000))
    inbound = read_request(config("plaintext"), query, body)
    assert inbound.message.event == "subscribe"
    assert inbound.delivery_key == f"{OPENID}:1700000000:subscribe"
    query, body = simulator("plaintext", "plaintext").signed(event_xml(OPENID, "CLICK", "HUMAN", create_time=1700000000))
    assert read_request(config("plaintext"), query, body).delivery_key == f"{OPENID}:1700000000:CLICK:HUMAN"


def test_url_verification_echoes_echostr_only_when_signed() -> None:
    stamp, nonce = str(int(time.time())), "12345"
    query, _ = simulator("plaintext", "plaintext").signed("<xml/>", timestamp=int(stamp), nonce=nonce)
    assert verify_url(config("safe"), {**query, "echostr": "8052281637862"}) == "8052281637862"
    with pytest.raises(Forbidden):
        verify_url(config("safe"), {**query, "signature": "0" * 40, "echostr": "1"})
    with pytest.raises(BadRequest):
        verify_url(config("safe"), query)


@pytest.mark.parametrize("style", ["plaintext", "safe"])
def test_passive_replies_are_read_back_by_wechat(style: str) -> None:
    sim = simulator("compatible", style)
    query, body = sim.signed(text_xml(OPENID, "你好"))
    inbound = read_request(config("compatible"), query, body)
    xml = encode_reply(config("compatible"), inbound, "您好！请问有什么可以帮您？]]>")
    if style == "safe":
        envelope = xmltodict.parse(xml)["xml"]
        assert "您好" not in xml and set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
        xml = WeChatCrypto(TOKEN, AES_KEY, APPID).decrypt_message(
            {"Encrypt": envelope["Encrypt"]}, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
    reply = xmltodict.parse(xml)["xml"]
    assert reply["ToUserName"] == OPENID and reply["FromUserName"] == "gh_0123456789ab"
    assert reply["MsgType"] == "text" and reply["Content"] == "您好！请问有什么可以帮您？]] >"
