"""The WeChat API calls the assistant makes: customer-service text messages (客服消息) and the
custom menu, with an access token shared by every worker and refreshed when it expires or when
WeChat refuses it (40001, 40014, 42001)."""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterable, Optional, TypeVar

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.wechat.config import WeChatConfig
from bot.wechat.store import ChannelStore, channel_store
from bot.wechat.text import wechat_messages

logger = logging.getLogger(__name__)
API_TIMEOUT_SECONDS = 5
TOKEN_REFUSED = frozenset({40001, 40014, 42001})
T = TypeVar("T")


class WeChatApi(WeChatClient):
    """wechatpy's client with its base URL from the settings (a loopback fake in tests) and the
    access token kept in the channel store instead of in this process."""

    def __init__(self, config: WeChatConfig, store: Optional[ChannelStore] = None) -> None:
        super().__init__(config.appid, config.appsecret, timeout=API_TIMEOUT_SECONDS, auto_retry=False)
        self.API_BASE_URL = config.api_base
        self._store = store or channel_store()
        self._token_name = f"wechat:{config.appid}"

    @property
    def access_token(self) -> str:
        return self._store.token(self._token_name) or self._store.refresh_token(
            self._token_name, None, self._request_token
        )

    def _request_token(self) -> tuple[str, int]:
        logger.info("fetching a WeChat access token")
        response = self._http.get(
            f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            timeout=API_TIMEOUT_SECONDS,
        )
        try:
            response.raise_for_status()
            result = response.json()
        except (requests.RequestException, ValueError):
            raise WeChatClientException(None, f"token endpoint answered HTTP {response.status_code}") from None
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg", ""))
        return str(result["access_token"]), int(result.get("expires_in", 7200))

    def _with_token(self, call: Callable[[], T]) -> T:
        """Makes the call; when WeChat refuses the token, once more with a fresh one."""
        used = self.access_token
        try:
            return call()
        except WeChatClientException as error:
            if error.errcode not in TOKEN_REFUSED:
                raise
            logger.info("WeChat refused the access token (errcode %s): refreshing", error.errcode)
        self._store.refresh_token(self._token_name, used, self._request_token)
        return call()

    def send_text(self, openid: str, text: str) -> None:
        self._with_token(lambda: self.message.send_text(openid, text))

    def publish_menu(self, menu: dict[str, Any]) -> None:
        self._with_token(lambda: self.menu.create(menu))


def deliver(api: WeChatApi, openid: str, messages: Iterable[str]) -> int:
    """Sends WeChat messages (see bot.wechat.text.wechat_messages) in order; stops at the first
    failure. Returns how many went out."""
    sent = 0
    for chunk in messages:
        try:
            api.send_text(openid, chunk)
        except (WeChatClientException, requests.RequestException) as error:
            code = getattr(error, "errcode", None)
            logger.warning("WeChat customer-service message not sent (%s %s)", type(error).__name__, code)
            break
        sent += 1
    return sent


def sender_for(api: WeChatApi) -> Callable[[str, str], bool]:
    """A bot.handoff.delivery sender: staff replies and notices pushed to a resident's WeChat."""

    def send(openid: str, text: str) -> bool:
        return deliver(api, openid, wechat_messages([text])) > 0

    return send
