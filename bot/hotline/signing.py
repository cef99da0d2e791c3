"""Signing of the 12345 hotline platform's requests, shared by the web app's endpoints and the
platform's clients (tests, the bench, the replay tool).

    X-Hotline-Timestamp: Unix seconds when the request was sent (accepted within 5 minutes)
    X-Hotline-Nonce: a fresh random string (8–64 of A-Z a-z 0-9 _ -) for every request
    X-Hotline-Signature: hex HMAC-SHA256 of "<timestamp>.<nonce>.<raw body>" with HOTLINE_SECRET
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from typing import Mapping

PREFIX = "/api/hotline"  # where the web app serves the platform's requests
TIMESTAMP_HEADER = "X-Hotline-Timestamp"
NONCE_HEADER = "X-Hotline-Nonce"
SIGNATURE_HEADER = "X-Hotline-Signature"
WINDOW_SECONDS = 300
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class BadSignature(Exception):
    """A request whose signature is missing, malformed, wrong or stale (Chinese message)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = timestamp.encode() + b"." + nonce.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, *, timestamp: int | None = None,
                   nonce: str | None = None) -> dict[str, str]:
    """The headers the platform sends with `body` (for clients: tests, the bench, tools)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_urlsafe(18)
    return {TIMESTAMP_HEADER: stamp, NONCE_HEADER: nonce, SIGNATURE_HEADER: signature(secret, stamp, nonce, body),
            "Content-Type": "application/json"}


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None) -> str:
    """The request's nonce when its signature is right and fresh; BadSignature otherwise."""
    stamp = headers.get(TIMESTAMP_HEADER, "")
    nonce = headers.get(NONCE_HEADER, "")
    given = headers.get(SIGNATURE_HEADER, "")
    if not (stamp and nonce and given):
        raise BadSignature(f"缺少签名：请求须带 {TIMESTAMP_HEADER}、{NONCE_HEADER} 和 {SIGNATURE_HEADER}。")
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12 or not NONCE_RE.match(nonce):
        raise BadSignature("签名格式不正确：时间戳须为 Unix 秒数，nonce 须为 8 到 64 位字母、数字、下划线或连字符。")
    expected = signature(secret, stamp, nonce, body)
    if not hmac.compare_digest(expected, given.strip().lower()):
        raise BadSignature("签名不正确，请求被拒绝。")
    if abs((now or time.time()) - int(stamp)) > WINDOW_SECONDS:
        raise BadSignature("请求时间戳超出 5 分钟有效期，请求被拒绝（请检查平台时钟）。")
    return nonce
