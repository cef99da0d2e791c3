"""get_settings() is built once and again only when an environment variable it reads changed
(speed: replies and handlers call it on every request)."""
from __future__ import annotations

import re

import pytest

from bot import settings as settings_module
from bot.settings import ENV_NAMES, get_settings


def test_the_same_settings_until_the_environment_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_PORT", "8123")
    first = get_settings()
    assert first.web_port == 8123 and get_settings() is first
    monkeypatch.setenv("WEB_PORT", "8124")
    assert get_settings().web_port == 8124
    monkeypatch.delenv("WEB_PORT")
    assert get_settings().web_port == 8000
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-11-23")
    assert str(get_settings().today()) == "2026-11-23"


def test_every_variable_the_settings_read_is_watched() -> None:
    source = open(settings_module.__file__, encoding="utf-8").read()
    read = set(re.findall(r'(?:environ\.get|_env_path|_env_int)\("([A-Z_]+)"', source))
    assert read and read <= set(ENV_NAMES), read - set(ENV_NAMES)
