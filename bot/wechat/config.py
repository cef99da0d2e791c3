"""The Official Account's settings: from credentials.yml, each falling back to the environment."""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from bot.settings import Settings, get_settings

PLAINTEXT, COMPATIBLE, SAFE = "plaintext", "compatible", "safe"
MODES = (PLAINTEXT, COMPATIBLE, SAFE)
# WeChat waits 5 s for a passive reply; what is not ready by then goes out through the API.
REPLY_BUDGET_SECONDS = 4.0
# Turns a Rasa process works on at once; more wait their turn (first come, first served). All at
# once, 200 residents' turns shared the CPU and nearly all finished late, together; one after
# another the first ones finish within the budget (passive replies) and the rest go out through
# the API as they finish. WECHAT_TURNS_AT_ONCE (0: no limit).
TURNS_AT_ONCE = 4
_TOKEN = re.compile(r"^[A-Za-z0-9]{3,32}$")


class ConfigError(ValueError):
    """The WeChat settings cannot work; the message says which one to fix."""


@dataclass(frozen=True)
class WeChatConfig:
    token: str = ""
    appid: str = ""
    appsecret: str = ""
    aes_key: str = ""  # EncodingAESKey: 43 characters
    mode: str = SAFE
    api_base: str = "https://api.weixin.qq.com/cgi-bin/"
    reply_budget: float = REPLY_BUDGET_SECONDS
    turns_at_once: int = TURNS_AT_ONCE

    @classmethod
    def load(
        cls, overrides: Optional[Mapping[str, Any]] = None, settings: Optional[Settings] = None
    ) -> "WeChatConfig":
        """credentials.yml's values (`overrides`) where given, else the environment; validated."""
        settings = settings or get_settings()
        given = {k: v for k, v in (overrides or {}).items() if v not in (None, "")}
        unknown = set(given) - {"token", "appid", "appsecret", "aes_key", "mode", "api_base", "reply_budget",
                              "turns_at_once"}
        if unknown:
            raise ConfigError(f"微信设置中有不认识的项：{'、'.join(sorted(unknown))}")
        api_base = str(given.get("api_base", settings.wechat_api_base)).strip()
        config = cls(
            token=str(given.get("token", settings.wechat_token)).strip(),
            appid=str(given.get("appid", settings.wechat_appid)).strip(),
            appsecret=str(given.get("appsecret", settings.wechat_appsecret)).strip(),
            aes_key=str(given.get("aes_key", settings.wechat_aes_key)).strip(),
            mode=str(given.get("mode", settings.wechat_mode)).strip().lower(),
            api_base=api_base if api_base.endswith("/") else api_base + "/",
            reply_budget=float(given.get("reply_budget", REPLY_BUDGET_SECONDS)),
            turns_at_once=_whole(given.get("turns_at_once", settings.wechat_turns_at_once or TURNS_AT_ONCE)),
        )
        config.validate()
        return config

    @property
    def receives(self) -> bool:
        """Set up to receive messages (the token is what WeChat signs with)."""
        return bool(self.token)

    @property
    def sends(self) -> bool:
        """Set up to call the API (customer-service messages, menu)."""
        return bool(self.appid and self.appsecret)

    @property
    def encrypts(self) -> bool:
        return self.mode != PLAINTEXT

    def validate(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"WECHAT_MODE 须为 {'、'.join(MODES)} 之一，当前为 {self.mode!r}")
        if not self.api_base.startswith(("http://", "https://")):
            raise ConfigError("WECHAT_API_BASE 须为 http(s) 网址")
        if not 0 < self.reply_budget < 5:
            raise ConfigError("reply_budget 须在 0 到 5 秒之间（微信只等 5 秒）")
        if self.turns_at_once < 0:
            raise ConfigError("WECHAT_TURNS_AT_ONCE 须为 0（不限）或正整数")
        if not self.receives:
            return
        if not _TOKEN.match(self.token):
            raise ConfigError("WECHAT_TOKEN 须为 3 到 32 位字母或数字，与公众号服务器配置中的令牌(Token)一致")
        if self.encrypts:
            if not self.appid:
                raise ConfigError(f"{self.mode} 模式需要 WECHAT_APPID（每条加密消息里都带有它）")
            if not _valid_aes_key(self.aes_key):
                raise ConfigError(f"{self.mode} 模式需要 WECHAT_AES_KEY：公众号的 43 位消息加解密密钥(EncodingAESKey)")


def _whole(value: Any) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise ConfigError("WECHAT_TURNS_AT_ONCE 须为 0（不限）或正整数") from None


def _valid_aes_key(key: str) -> bool:
    if len(key) != 43:
        return False
    try:
        return len(base64.b64decode(key + "=", validate=True)) == 32
    except (binascii.Error, ValueError):
        return False
