"""What WeChat sends to the webhook and what it accepts back, checked before anything is processed.

- URL verification (GET): SHA-1 signature over the token, timestamp and nonce; `echostr` echoed.
- Messages (POST): the same signature, or in encrypted mode `msg_signature`, which also covers the
  encrypted body; timestamps outside a 5-minute window refused; AES decryption of the body.
- XML: no DOCTYPE or entity declarations at all (xmltodict refuses entity declarations too, and
  expat never fetches external entities), a size limit, and only well-formed messages.
- Passive replies: plain XML, or encrypted and signed when the message came encrypted.
Signatures, AES and message parsing are wechatpy's.
"""
from __future__ import annotations

import hmac
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Optional
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

from bot.wechat.config import PLAINTEXT, SAFE, WeChatConfig

MAX_BODY_BYTES = 64 * 1024
TIMESTAMP_WINDOW_SECONDS = 300
MAX_ECHOSTR_CHARS = 256
# The answer WeChat takes as "received, nothing to send now" (it then does not retry).
SUCCESS = "success"
_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_OPENID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MALFORMED = (ExpatError, ValueError, KeyError, TypeError, AttributeError, IndexError, UnicodeError)


class RequestRefused(Exception):
    """A request answered with an HTTP error, before it reaches any conversation."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Forbidden(RequestRefused):
    status = 403


class BadRequest(RequestRefused):
    status = 400


class TooLarge(RequestRefused):
    status = 413


@dataclass(frozen=True)
class Inbound:
    """A verified message from WeChat."""

    message: BaseMessage  # wechatpy's message or event (UnknownMessage for other types)
    encrypted: bool  # the reply must be encrypted too
    nonce: str

    @property
    def openid(self) -> str:
        return str(self.message.source)

    @property
    def delivery_key(self) -> str:
        """What identifies one delivery across WeChat's retries: the MsgId, or for events (which
        have none) the sender and the creation time, with the event and its key (two menu
        clicks within a second are two deliveries)."""
        msg_id = self.message.id
        if msg_id:
            return str(msg_id)
        data = self.message._data  # noqa: SLF001 - wechatpy keeps the parsed fields there
        event, key = data.get("Event"), data.get("EventKey")
        parts = [self.openid, str(self.message.time)]
        parts += [str(value) for value in (event, key) if isinstance(value, str) and value]
        return ":".join(parts)[:128]


def _signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _check_signature(given: Optional[str], *parts: str) -> None:
    if not given or not hmac.compare_digest(given.encode(), _signature(*parts).encode()):
        raise Forbidden("bad signature")


def _check_timestamp(timestamp: Optional[str], now: Optional[float]) -> str:
    if not timestamp or not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise Forbidden("missing or malformed timestamp")
    if abs((now if now is not None else time.time()) - int(timestamp)) > TIMESTAMP_WINDOW_SECONDS:
        raise Forbidden("timestamp outside the 5-minute window")
    return timestamp


def _nonce(query: Mapping[str, str]) -> str:
    nonce = query.get("nonce") or ""
    if not nonce or len(nonce) > 64:
        raise Forbidden("missing or malformed nonce")
    return nonce


def verify_url(config: WeChatConfig, query: Mapping[str, str], now: Optional[float] = None) -> str:
    """The `echostr` to answer WeChat's URL verification with (Forbidden when not WeChat)."""
    timestamp = _check_timestamp(query.get("timestamp"), now)
    nonce = _nonce(query)
    _check_signature(query.get("signature"), config.token, timestamp, nonce)
    echostr = query.get("echostr") or ""
    if not echostr or len(echostr) > MAX_ECHOSTR_CHARS:
        raise BadRequest("missing or malformed echostr")
    return echostr


def _xml_dict(body: bytes) -> dict:
    if _DECLARATION.search(body):
        raise BadRequest("XML with a DOCTYPE or entity declaration")
    try:
        parsed = xmltodict.parse(body.decode("utf-8"))
    except _MALFORMED:
        raise BadRequest("malformed XML") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("xml"), dict):
        raise BadRequest("not a WeChat message")
    return parsed["xml"]


@lru_cache(maxsize=8)
def _crypto(config: WeChatConfig) -> WeChatCrypto:
    return WeChatCrypto(config.token, config.aes_key, config.appid)


def _decrypt(config: WeChatConfig, query: Mapping[str, str], body: bytes, timestamp: str, nonce: str) -> bytes:
    envelope = _xml_dict(body)
    encrypted = envelope.get("Encrypt")
    if not isinstance(encrypted, str) or not encrypted:
        raise BadRequest("no Encrypt element")
    _check_signature(query.get("msg_signature"), config.token, timestamp, nonce, encrypted)
    try:
        return _crypto(config).decrypt_message(
            {"Encrypt": encrypted}, query["msg_signature"], timestamp, nonce
        ).encode("utf-8")
    except (InvalidAppIdException, InvalidSignatureException):
        raise Forbidden("encrypted for another account") from None
    except _MALFORMED:
        raise BadRequest("cannot decrypt") from None


def _message(xml: bytes) -> BaseMessage:
    if _DECLARATION.search(xml):
        raise BadRequest("XML with a DOCTYPE or entity declaration")
    try:
        message = parse_message(xml.decode("utf-8"))
        checked = (message.source, message.target, message.id, message.time, message.type)
    except _MALFORMED:
        raise BadRequest("malformed message") from None
    source, target = checked[0], checked[1]
    if not isinstance(source, str) or not _OPENID.match(source):
        raise BadRequest("bad FromUserName")
    if not isinstance(target, str) or not target:
        raise BadRequest("bad ToUserName")
    return message


def read_request(
    config: WeChatConfig, query: Mapping[str, str], body: bytes, now: Optional[float] = None
) -> Inbound:
    """The verified, decrypted and parsed message, or RequestRefused (403/400/413)."""
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge("request body over the size limit")
    timestamp = _check_timestamp(query.get("timestamp"), now)
    nonce = _nonce(query)
    encrypted = (query.get("encrypt_type") or "raw").lower() == "aes"
    if encrypted and config.mode == PLAINTEXT:
        raise Forbidden("encrypted message, but the account is set to plaintext mode")
    if not encrypted and config.mode == SAFE:
        raise Forbidden("plaintext message, but the account is set to safe mode")
    if encrypted:
        if query.get("signature"):
            _check_signature(query.get("signature"), config.token, timestamp, nonce)
        xml = _decrypt(config, query, body, timestamp, nonce)
    else:
        _check_signature(query.get("signature"), config.token, timestamp, nonce)
        xml = body
    return Inbound(message=_message(xml), encrypted=encrypted, nonce=nonce)


def encode_reply(config: WeChatConfig, inbound: Inbound, text: str, now: Optional[float] = None) -> str:
    """A passive text reply to the message, encrypted when the message was."""
    content = text.replace("]]>", "]] >")  # the reply carries the text in a CDATA section
    xml = TextReply(message=inbound.message, content=content).render()
    if not inbound.encrypted:
        return xml
    timestamp = str(int(now if now is not None else time.time()))
    return _crypto(config).encrypt_message(xml, inbound.nonce, timestamp)
