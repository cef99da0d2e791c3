"""A WeChat API on loopback for the tests: the token endpoint, customer-service messages and the
custom menu, answering as api.weixin.qq.com does, and recording what it is sent."""
from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qs, urlparse

APPID = "wx0123456789abcdef"
APPSECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "shehuijiuzhu2026"
AES_KEY = "UmqPvDk/uPCox8DoOZRIKT6gMDQOlyShtgJHW7TMRKo"


def account_env(api: "FakeWeChatApi", mode: str) -> dict[str, str]:
    """The WECHAT_* settings of the test account, its API on loopback."""
    return {"WECHAT_TOKEN": TOKEN, "WECHAT_APPID": api.appid, "WECHAT_APPSECRET": api.secret,
            "WECHAT_AES_KEY": AES_KEY, "WECHAT_MODE": mode, "WECHAT_API_BASE": api.base_url}


class FakeWeChatApi:
    def __init__(self, appid: str = APPID, secret: str = APPSECRET) -> None:
        self.appid, self.secret = appid, secret
        self.expires_in = 7200
        self.token_requests = 0
        self.sent: list[dict[str, Any]] = []  # customer-service messages as posted
        self.menus: list[dict[str, Any]] = []
        self.refuse_sends_with: Optional[int] = None  # an errcode every send gets, e.g. 45015
        self._valid_tokens: set[str] = set()
        self._serials = itertools.count(1)
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/cgi-bin/"

    def __enter__(self) -> "FakeWeChatApi":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def invalidate_tokens(self) -> None:
        """As when WeChat drops every access token (an AppSecret reset, or one fetched elsewhere)."""
        with self._changed:
            self._valid_tokens.clear()

    def texts_to(self, openid: str) -> list[str]:
        with self._changed:
            return [m["text"]["content"] for m in self.sent if m.get("touser") == openid]

    def wait_for_texts(self, openid: str, count: int, timeout: float = 20) -> list[str]:
        """The texts sent to the OpenID once there are at least `count` (fails after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                texts = [m["text"]["content"] for m in self.sent if m.get("touser") == openid]
                remaining = deadline - time.monotonic()
                if len(texts) >= count or remaining <= 0:
                    break
                self._changed.wait(remaining)
        assert len(texts) >= count, f"{len(texts)} of {count} messages to {openid} after {timeout} s: {texts}"
        return texts

    # What the server answers ---------------------------------------------------------------

    def _token(self, query: dict[str, str]) -> dict[str, Any]:
        with self._changed:
            self.token_requests += 1
            if query.get("grant_type") != "client_credential" or query.get("appid") != self.appid:
                return {"errcode": 40013, "errmsg": "invalid appid"}
            if query.get("secret") != self.secret:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            token = f"ACCESS_TOKEN_{next(self._serials)}"
            self._valid_tokens.add(token)
            return {"access_token": token, "expires_in": self.expires_in}

    def _post(self, path: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        with self._changed:
            if query.get("access_token") not in self._valid_tokens:
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
            if path.endswith("/message/custom/send"):
                if self.refuse_sends_with is not None:
                    return {"errcode": self.refuse_sends_with, "errmsg": "refused by the fake"}
                content = body.get("text", {}).get("content", "")
                if body.get("msgtype") != "text" or not body.get("touser") or len(content.encode()) > 2048:
                    return {"errcode": 44002, "errmsg": "invalid text message"}
                self.sent.append(body)
            elif path.endswith("/menu/create"):
                self.menus.append(body)
            else:
                return {"errcode": 404, "errmsg": "unknown endpoint"}
            self._changed.notify_all()
            return {"errcode": 0, "errmsg": "ok"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _query(self) -> dict[str, str]:
                return {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}

            def do_GET(self) -> None:  # noqa: N802
                if urlparse(self.path).path == "/cgi-bin/token":
                    self._answer(api._token(self._query()))
                else:
                    self._answer({"errcode": 404, "errmsg": "unknown endpoint"})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length).decode("utf-8"))
                except ValueError:
                    self._answer({"errcode": 47001, "errmsg": "data format error"})
                    return
                self._answer(api._post(urlparse(self.path).path, self._query(), body))

            def log_message(self, *_args: Any) -> None:
                pass

        return Handler
