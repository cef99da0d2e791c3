"""Who owns a chat-page conversation: the browser holding its signed cookie.

The web app issues every chat-page conversation id itself (`web-` and 32 random hex digits, the
web channel's own namespace: WeChat OpenIDs and hotline call ids never look like it) and binds it
to a cookie that is HttpOnly (page scripts cannot read it), SameSite=Lax (other sites cannot post
with it) and signed with a key derived from INTAKE_SECRET (a changed id fails the signature).
Requests never name a conversation: /api/chat and /api/chat/inbox read it from the cookie, so one
resident cannot read or write another's conversation, nor a WeChat or hotline one.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Optional

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.core.privacy import secrets_in_use
from bot.web.console.base import cookie_secure

COOKIE = "jiuzhu_chat"
PREFIX = "web-"
CONVERSATION_RE = re.compile(r"^web-[0-9a-f]{32}$")
# As long as the tracker store keeps an idle conversation (bot/channels/retention.py).
MAX_AGE_SECONDS = 180 * 24 * 3600


def _signature(secret: bytes, conversation_id: str) -> str:
    key = hmac.new(secret, b"shehui-jiuzhu:chat-cookie", hashlib.sha256).digest()
    digest = hmac.new(key, conversation_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_conversation_id() -> str:
    return PREFIX + secrets.token_hex(16)


def cookie_value(conversation_id: str) -> str:
    return f"{conversation_id}.{_signature(secrets_in_use()[0], conversation_id)}"


def conversation_of(value: Optional[str]) -> Optional[str]:
    """The conversation id a cookie value carries, when its signature holds (under the current
    INTAKE_SECRET or one being rotated out); None otherwise."""
    if not value or len(value) > 200 or "." not in value:
        return None
    conversation_id, _, signature = value.partition(".")
    if not CONVERSATION_RE.match(conversation_id):
        return None
    return conversation_id if any(
        hmac.compare_digest(signature, _signature(secret, conversation_id)) for secret in secrets_in_use()
    ) else None


def request_conversation(request: Request) -> Optional[str]:
    return conversation_of(request.cookies.get(COOKIE))


def bind(response: HTTPResponse, conversation_id: str) -> HTTPResponse:
    """Sets (or renews) the cookie that binds the conversation to this browser."""
    response.cookies[COOKIE] = cookie_value(conversation_id)
    cookie = response.cookies[COOKIE]
    cookie["path"] = "/"
    cookie["httponly"] = True
    cookie["samesite"] = "Lax"
    cookie["secure"] = cookie_secure()
    cookie["max-age"] = MAX_AGE_SECONDS
    return response
