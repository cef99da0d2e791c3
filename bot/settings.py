"""One settings object, read from the environment, shared by the web app, actions and tools."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: _env_path("DATA_DIR", PROJECT_ROOT / "data"))
    policy_dir: Path = field(
        default_factory=lambda: _env_path("POLICY_DIR", PROJECT_ROOT / "data" / "policies")
    )
    var_dir: Path = field(default_factory=lambda: _env_path("VAR_DIR", PROJECT_ROOT / "var"))
    rasa_url: str = field(
        default_factory=lambda: os.environ.get("RASA_URL", "http://127.0.0.1:5005")
    )
    # Rasa's HTTP API token (Rasa runs with --enable-api and this token); staff hand-backs use it,
    # and Rasa's REST channel answers only requests carrying it (the web app's).
    rasa_token: str = field(default_factory=lambda: os.environ.get("RASA_TOKEN", ""))
    web_host: str = field(default_factory=lambda: os.environ.get("WEB_HOST", "127.0.0.1"))
    web_port: int = field(default_factory=lambda: _env_int("WEB_PORT", 8000))
    # How long the web app waits for Rasa's answer to a chat message before telling the resident
    # it is still coming (the page then fetches the late answer with the same message id).
    chat_wait_seconds: int = field(default_factory=lambda: _env_int("CHAT_WAIT_SECONDS", 30))
    # A Rasa process warms its first turn up before it says it is ready (bot.channels.warmup);
    # WARM_UP=0 skips it (make bench measures the first turn both ways).
    warm_up: bool = field(default_factory=lambda: os.environ.get("WARM_UP", "1") != "0")
    # "Today" for date-aware answers; overridable so that tests and demos can pin a date.
    today_override: str = field(default_factory=lambda: os.environ.get("ASSISTANT_TODAY", ""))
    max_message_chars: int = field(default_factory=lambda: _env_int("MAX_MESSAGE_CHARS", 500))
    # The longest text any channel passes on (chat page, REST, WeChat): a longer one is refused
    # with a polite reply and never stored. Up to it, the NLU reads the first max_message_chars
    # and says when a message was too long to understand.
    max_channel_chars: int = field(default_factory=lambda: _env_int("MAX_CHANNEL_CHARS", 2000))
    # Redis, when set, holds what every worker shares about a channel (WeChat's retries, its
    # access token); otherwise the intake database does.
    redis_url: str = field(default_factory=lambda: os.environ.get("REDIS_URL", ""))
    # WeChat Official Account (公众号), see README "Connecting a WeChat Official Account".
    wechat_token: str = field(default_factory=lambda: os.environ.get("WECHAT_TOKEN", ""))
    wechat_appid: str = field(default_factory=lambda: os.environ.get("WECHAT_APPID", ""))
    wechat_appsecret: str = field(default_factory=lambda: os.environ.get("WECHAT_APPSECRET", ""))
    wechat_aes_key: str = field(default_factory=lambda: os.environ.get("WECHAT_AES_KEY", ""))
    wechat_mode: str = field(default_factory=lambda: os.environ.get("WECHAT_MODE", "safe"))
    # WeChat turns one Rasa process works on at once (0: no limit; unset: bot/wechat/config.py).
    wechat_turns_at_once: str = field(default_factory=lambda: os.environ.get("WECHAT_TURNS_AT_ONCE", ""))
    wechat_api_base: str = field(
        default_factory=lambda: os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com/cgi-bin/")
    )

    # The 12345 hotline platform signs its requests with this shared secret (HMAC-SHA256); the
    # hotline endpoints refuse every request while it is unset.
    hotline_secret: str = field(default_factory=lambda: os.environ.get("HOTLINE_SECRET", ""))

    # The largest notice file (.txt, .docx, PDF) a supervisor may upload in the console: government
    # PDFs and Word files with embedded Chinese fonts are often several MB. Only the notice upload
    # route reads a body this large; every other route keeps the web app's 256 KB cap.
    notice_max_bytes: int = field(default_factory=lambda: _env_int("NOTICE_MAX_BYTES", 10 * 1024 * 1024))

    # The action server runs only calls that carry this secret (Rasa sends it, endpoints.yml).
    action_secret: str = field(default_factory=lambda: os.environ.get("ACTION_SECRET", ""))

    def today(self) -> dt.date:
        if self.today_override:
            return dt.date.fromisoformat(self.today_override)
        return dt.date.today()


# Every environment variable the settings read: get_settings() builds them again only when one
# of these changed (tests change them with monkeypatch), not on every call of a request.
ENV_NAMES = (
    "DATA_DIR", "POLICY_DIR", "VAR_DIR", "RASA_URL", "RASA_TOKEN", "WEB_HOST", "WEB_PORT", "ASSISTANT_TODAY",
    "MAX_MESSAGE_CHARS", "MAX_CHANNEL_CHARS", "REDIS_URL", "WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_APPSECRET",
    "WECHAT_AES_KEY", "WECHAT_MODE", "WECHAT_API_BASE", "WECHAT_TURNS_AT_ONCE", "HOTLINE_SECRET", "ACTION_SECRET",
    "NOTICE_MAX_BYTES", "CHAT_WAIT_SECONDS", "WARM_UP",
)
_ENV_KEYS = tuple(os.fsencode(name) for name in ENV_NAMES)
_built: tuple[tuple, Settings] | None = None


def _environment() -> tuple:
    """The values of ENV_NAMES. os.environ.get encodes and decodes on every look-up; on POSIX its
    underlying bytes mapping is read directly (a tenth of the time)."""
    raw = getattr(os.environ, "_data", None)
    if os.name == "posix" and isinstance(raw, dict):
        return tuple(map(raw.get, _ENV_KEYS))
    return tuple(map(os.environ.get, ENV_NAMES))


def get_settings() -> Settings:
    global _built
    key, built = _environment(), _built
    if built is None or built[0] != key:
        built = _built = (key, Settings())
    return built[1]
