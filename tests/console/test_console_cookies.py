"""Cookie flags of the console: Secure by default, off only with COOKIE_SECURE=0."""
from __future__ import annotations

import pytest
from sanic.response import HTTPResponse

from bot.web.console.base import set_cookie


def cookie_header(name: str) -> str:
    response = HTTPResponse()
    set_cookie(response, name, "value", max_age=60)
    return str(response.cookies[name])


def test_secure_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COOKIE_SECURE", raising=False)
    header = cookie_header("console_session")
    assert header == "console_session=value; Path=/console; HttpOnly; SameSite=Strict; Secure; Max-Age=60"


def test_plain_http_deployments_can_turn_secure_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOKIE_SECURE", "0")
    header = cookie_header("console_session")
    assert "Secure" not in header and "HttpOnly" in header and "SameSite=Strict" in header
