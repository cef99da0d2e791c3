"""Plays WeChat's part: builds webhook requests signed (and in safe mode encrypted) exactly as
WeChat's servers do, and reads the passive replies. Used by the tests, by `make bench` and by
hand against a running Rasa server:

    WECHAT_TOKEN=… WECHAT_APPID=… WECHAT_AES_KEY=… \\
    python -m bot.wechat.simulator --openid o-demo "宁夏低保标准是多少"
    python -m bot.wechat.simulator --openid o-demo --event subscribe
    python -m bot.wechat.simulator --openid o-demo --click HUMAN
"""
from __future__ import annotations

import argparse
import itertools
import re
import secrets
import sys
import time
from dataclasses import dataclass, field
from typing import Iterator, Optional

import requests
import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.wechat.config import PLAINTEXT, SAFE, WeChatConfig
from bot.wechat.protocol import SUCCESS

ACCOUNT = "gh_0123456789ab"  # the Official Account's original id (ToUserName)
_OPENID = re.compile(r"<FromUserName><!\[CDATA\[([^\]]*)\]\]></FromUserName>")
_MSG_IDS: Iterator[int] = itertools.count(int(time.time() * 1000) % 10**12 * 1000)


def _sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(openid: str, msg_type: str, fields: dict[str, str], *, msg_id: Optional[int] = None,
                create_time: Optional[int] = None, account: str = ACCOUNT) -> str:
    """A message as WeChat posts it; events carry no MsgId."""
    parts = [
        f"<ToUserName>{_cdata(account)}</ToUserName>",
        f"<FromUserName>{_cdata(openid)}</FromUserName>",
        f"<CreateTime>{create_time or int(time.time())}</CreateTime>",
        f"<MsgType>{_cdata(msg_type)}</MsgType>",
        *(f"<{name}>{_cdata(value)}</{name}>" for name, value in fields.items()),
    ]
    if msg_type != "event":
        parts.append(f"<MsgId>{msg_id if msg_id is not None else next(_MSG_IDS)}</MsgId>")
    return "<xml>" + "".join(parts) + "</xml>"


def text_xml(openid: str, content: str, **kwargs: int) -> str:
    return message_xml(openid, "text", {"Content": content}, **kwargs)


def event_xml(openid: str, event: str, key: Optional[str] = None, **kwargs: int) -> str:
    fields = {"Event": event}
    if key is not None:
        fields["EventKey"] = key
    return message_xml(openid, "event", fields, **kwargs)


def location_xml(openid: str, label: str, latitude: str = "35.0", longitude: str = "111.0") -> str:
    return message_xml(openid, "location", {"Location_X": latitude, "Location_Y": longitude,
                                            "Scale": "15", "Label": label})


@dataclass
class Reply:
    status: int
    body: str
    text: Optional[str]  # the passive reply's text; None for "success" or an error


@dataclass
class WeChatSimulator:
    """Requests to one webhook URL, in plaintext, compatible or safe style."""

    url: str
    config: WeChatConfig
    style: str = SAFE  # how this request is sent: plaintext, compatible (both) or safe (encrypted)
    session: requests.Session = field(default_factory=requests.Session)

    def signed(self, xml: str, *, timestamp: Optional[int] = None, nonce: Optional[str] = None,
               body_override: Optional[bytes] = None) -> tuple[dict[str, str], bytes]:
        """The query string and body WeChat would send for the message."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        query = {"signature": _sign(self.config.token, stamp, nonce), "timestamp": stamp, "nonce": nonce}
        if self.style == PLAINTEXT:
            return query, body_override if body_override is not None else xml.encode("utf-8")
        encrypted = PrpCrypto(_crypto(self.config).key).encrypt(xml, self.config.appid).decode()
        openid = _OPENID.search(xml)
        query.update(openid=openid.group(1) if openid else "", encrypt_type="aes",
                     msg_signature=_sign(self.config.token, stamp, nonce, encrypted))
        inner = xml[len("<xml>"):-len("</xml>")] if self.style != SAFE else f"<ToUserName>{_cdata(ACCOUNT)}</ToUserName>"
        body = f"<xml>{inner}<Encrypt>{_cdata(encrypted)}</Encrypt></xml>".encode("utf-8")
        return query, body_override if body_override is not None else body

    def post(self, xml: str, **kwargs) -> Reply:  # type: ignore[no-untyped-def]
        query, body = self.signed(xml, **kwargs)
        return self.send(query, body)

    def send(self, query: dict[str, str], body: bytes, timeout: float = 30) -> Reply:
        response = self.session.post(self.url, params=query, data=body, timeout=timeout,
                                     headers={"Content-Type": "text/xml"})
        return Reply(response.status_code, response.text, self.reply_text(response))

    def reply_text(self, response: requests.Response) -> Optional[str]:
        body = response.text.strip()
        if response.status_code != 200 or body in ("", SUCCESS):
            return None
        reply = xmltodict.parse(body)["xml"]
        if "Encrypt" in reply:
            xml = _crypto(self.config).decrypt_message(
                {"Encrypt": reply["Encrypt"]}, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"]
            )
            reply = xmltodict.parse(xml)["xml"]
        return reply.get("Content")

    def text(self, openid: str, content: str, **kwargs: int) -> Reply:
        return self.post(text_xml(openid, content, **kwargs))

    def verify_url(self, echostr: str = "echo-1234567890") -> requests.Response:
        stamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        return self.session.get(self.url, params={
            "signature": _sign(self.config.token, stamp, nonce), "timestamp": stamp, "nonce": nonce,
            "echostr": echostr}, timeout=10)


def _crypto(config: WeChatConfig) -> WeChatCrypto:
    return WeChatCrypto(config.token, config.aes_key, config.appid)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Send one message to the WeChat webhook as WeChat would.")
    parser.add_argument("text", nargs="?", help="a text message")
    parser.add_argument("--url", default="http://127.0.0.1:5005/webhooks/wechat/webhook")
    parser.add_argument("--openid", default="o-simulator-0001")
    parser.add_argument("--event", help="an event instead of a text: subscribe, unsubscribe")
    parser.add_argument("--click", help="a menu click with this key (POLICY, SCREENING, APPLY, STATUS, HUMAN)")
    parser.add_argument("--location", help="a location message with this label")
    parser.add_argument("--verify", action="store_true", help="the URL verification (GET)")
    args = parser.parse_args(argv)
    config = WeChatConfig.load()
    simulator = WeChatSimulator(args.url, config, style=config.mode)
    if args.verify:
        response = simulator.verify_url()
        print(response.status_code, response.text)
        return 0 if response.ok else 1
    if args.click:
        xml = event_xml(args.openid, "CLICK", args.click)
    elif args.event:
        xml = event_xml(args.openid, args.event)
    elif args.location:
        xml = location_xml(args.openid, args.location)
    elif args.text:
        xml = text_xml(args.openid, args.text)
    else:
        parser.error("give a text, --event, --click, --location or --verify")
    reply = simulator.post(xml)
    if reply.text is not None:
        print(reply.text)
    elif reply.status == 200:
        print(f"({reply.body or 'empty'}: any answer comes through the customer-service API)")
    else:
        print(f"HTTP {reply.status}: {reply.body}")
    return 0 if reply.status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
