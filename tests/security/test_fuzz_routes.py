"""Issue 12, "No 500": every route of the web app (chat API, policy API, console, hotline endpoints
and panel), of Rasa's channels (REST, WeChat) and of the action server answers malformed input
with a 4xx, never a 5xx or a stack trace.

The routes are enumerated from each app's own sanic router, so a route added later is fuzzed too.
Each gets, signed in as a supervisor where the console asks for a session: path parameters that
are too large for the database or not ASCII digits, every query parameter the web app reads with
malformed values (huge integers, unicode digits like ², empty, very long), and bodies that are
empty, not JSON, JSON of the wrong shape, or over the size limit. Requests go through sanic's
ASGI client (the apps' real request handling, in-process), so it stays within a minute.
"""
from __future__ import annotations

import asyncio
import http.server
import json
import re
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from rasa_sdk.endpoint import create_app as create_action_app
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic
from sanic_testing.reusable import ReusableClient

from bot.channels.rest import OnceRestInput
from bot.channels.wechat import WeChatInput
from bot.core import migrate
from bot.core.testing import free_port
from bot.core.db import session_factory
from bot.hotline.signing import signed_headers
from bot.intake import staff
from bot.knowledge.service import PolicyService
from bot.settings import PROJECT_ROOT, Settings
from bot.web.app import create_app
from tests.console.console_support import web_app

pytestmark = pytest.mark.timeout(300)

HUGE = "9223372036854775808"  # one past the largest 64-bit integer
BAD_VALUES = ["²", HUGE, "", "１２", "x" * 3000]
BAD_PATH_VALUES = {"int": ["99999999999999999999", HUGE], "str": ["²", "x" * 300, "%E4%BD%A0"]}
BAD_BODIES: list[tuple[bytes, str]] = [
    (b"", "application/json"),
    (b"not json", "application/json"),
    (b"[]", "application/json"),
    (b"null", "application/json"),
    (json.dumps({"message": 5, "sender": ["x"], "call_id": {}, "text": None, "ts": "²",
                 "operator_id": 1, "q": [], "top_k": "²"}).encode(), "application/json"),
    (json.dumps({"call_id": "²" * 300, "operator_id": "x" * 500, "ts": HUGE, "speaker": "caller",
                 "text": "低" * 1001, "caller_number": "9" * 40, "utterance_id": ["u"]}).encode(), "application/json"),
    (json.dumps({"call_id": "c1", "operator_id": "fuzzoperator", "ts": "9999-99-99T99:99", "speaker": "caller",
                 "text": "我叫李娜 身份证 1" * 50}).encode(), "application/json"),
    (b"x" * (300 * 1024), "application/json"),  # over the web app's 256 KB cap
    ("page=²&expected_version=99999999999999999999&assignee=²&amount=²&to_status=x&pick=1"
     "&csrf_token=WRONG".encode(), "application/x-www-form-urlencoded"),
]
# Server-Sent Events never end: their parameters go through the same int_arg as /updates.
ENDLESS = {"/console/api/stream", "/console/hotline/events"}
CONCURRENCY = 8
TRACE = re.compile(r"Traceback|File \"/|line \d+, in ")


def query_names() -> list[str]:
    """Every query or form parameter the web app's code reads."""
    found: set[str] = set()
    for path in (PROJECT_ROOT / "bot" / "web").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r'(?:args|form)\.get\("([a-z_]+)"', text))
        found.update(re.findall(r'int_arg\(\w+, "([a-z_]+)"', text))
    return sorted(found)


def concrete_paths(route: Any) -> list[str]:
    """The route's path with each parameter replaced by malformed values."""
    path = "/" + route.path.lstrip("/")
    params = re.findall(r"<([a-z_]+)(?::([a-z]+))?>", path)
    if not params:
        return [path]
    paths = []
    for kind in ("int", "str"):
        for value in BAD_PATH_VALUES[kind]:
            concrete = path
            for name, cast in params:
                token = f"<{name}:{cast}>" if cast else f"<{name}>"
                concrete = concrete.replace(token, value if (cast or "str") == kind else "1")
            paths.append(concrete)
    return sorted(set(paths))


def routes_of(app: Sanic) -> list[tuple[str, str]]:
    found = []
    for route in app.router.routes:
        if "static" in (route.name or "") or route.path.startswith("static"):
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            for path in concrete_paths(route):
                found.append((method, path))
    return sorted(set(found))


class Fuzzer:
    """Sends the malformed requests to an app served once on loopback (sanic's ReusableClient),
    several at a time."""

    def __init__(self, app: Sanic, headers: dict[str, str] | None = None,
                 only: Callable[[str], bool] = lambda _path: True,
                 sign: Callable[[bytes], dict[str, str]] | None = None) -> None:
        self.app, self.headers, self.only, self.sign = app, headers or {}, only, sign
        self.failures: list[str] = []
        self.sent = 0

    async def one(self, http: aiohttp.ClientSession, base: str, method: str, path: str,
                  body: bytes | None = None, content_type: str | None = None) -> None:
        headers = dict(self.headers)
        if self.sign is not None:  # a request the platform signed: its content is what is fuzzed
            headers.update(self.sign(body or b""))
        if content_type:
            headers["Content-Type"] = content_type
        try:
            async with http.request(method, base + path, data=body, headers=headers,
                                    allow_redirects=False) as response:
                status, text = response.status, await response.text(errors="replace")
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:  # the app must answer
            self.failures.append(f"{method} {path[:120]}: no answer ({type(error).__name__}, body of {len(body or b'')} bytes: {error})")
            return
        self.sent += 1
        if status >= 500 or TRACE.search(text):
            shown = body[:60] if body else b""
            self.failures.append(f"{method} {path[:120]} body={shown!r}: {status} {text[:200]}")

    def requests(self, names: list[str]) -> Iterator[tuple[str, str, bytes | None, str | None]]:
        for method, path in routes_of(self.app):
            if path in ENDLESS or not self.only(path):
                continue
            yield method, path, None, None
            for value in BAD_VALUES:
                yield method, path + "?" + "&".join(f"{n}={quote(value, safe='')}" for n in names), None, None
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                for body, content_type in BAD_BODIES:
                    yield method, path, body, content_type

    def run(self, names: list[str], base: str | None = None) -> "Fuzzer":
        """Against the server at `base`, or the app served here for the time of the run."""
        planned = list(self.requests(names))  # before the server starts (it finalizes the router)
        if base is not None:
            asyncio.run(self._send_all(base, planned))
            return self
        loop = asyncio.new_event_loop()
        client = ReusableClient(self.app, port=free_port(), loop=loop)
        client.run()
        try:
            loop.run_until_complete(self._send_all(f"http://127.0.0.1:{client.port}", planned))
        finally:
            client.stop()
            loop.close()
        return self

    async def _send_all(self, base: str, planned: list[tuple[str, str, bytes | None, str | None]]) -> None:
        limit = asyncio.Semaphore(CONCURRENCY)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as http:
            async def guarded(method: str, path: str, body: bytes | None, content_type: str | None) -> None:
                async with limit:
                    await self.one(http, base, method, path, body, content_type)

            await asyncio.gather(*(guarded(*request) for request in planned))


class RecordingRasa(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'[{"text": "ok"}]')

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    workdir = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{workdir / 'intake.db'}"
    migrate.upgrade(url)
    rasa = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RecordingRasa)
    threading.Thread(target=rasa.serve_forever, daemon=True).start()
    patch = pytest.MonkeyPatch()
    values = {"DATABASE_URL": url, "VAR_DIR": str(workdir), "HOTLINE_SECRET": "fuzz-hotline-secret",
              "RASA_TOKEN": "fuzz-token", "ACTION_SECRET": "fuzz-action-secret", "COOKIE_SECURE": "0",
              "RASA_URL": f"http://127.0.0.1:{rasa.server_address[1]}", "ASSISTANT_TODAY": "2026-11-23"}
    for name, value in values.items():
        patch.setenv(name, value)
    patch.delenv("REDIS_URL", raising=False)
    yield values
    patch.undo()
    rasa.shutdown()


def staff_headers(role: str, district: str | None, url: str) -> dict[str, str]:
    factory = session_factory(url)
    user = staff.create_user(f"fuzz{role}", f"测试{role}", "fuzz-password-2026-long", role, district, factory=factory)
    token, csrf = staff.start_session(user, factory=factory)
    return {"Cookie": f"console_session={token}", "X-CSRF-Token": csrf}


def test_no_route_of_the_web_app_answers_malformed_input_with_a_500(
    environment: dict[str, str], policy_service: PolicyService
) -> None:
    """The running web app (python -m bot.web), anonymous, as a supervisor (every console page) and
    as a hotline operator (the panel); its routes as its own router lists them."""
    began = time.monotonic()
    names = query_names()
    assert {"after", "top_k", "page", "q"} <= set(names)
    url = environment["DATABASE_URL"]
    hotline = partial(signed_headers, environment["HOTLINE_SECRET"])
    runs = [({}, lambda path: not path.startswith("/console/") or path == "/console/login", None),
            (staff_headers("supervisor", None, url), lambda path: path.startswith("/console"), None),
            (staff_headers("operator", None, url), lambda path: path.startswith("/console/hotline"), None),
            ({}, lambda path: path.startswith("/api/hotline/"), hotline)]
    app = create_app(Settings(today_override="2026-11-23"), policy_service, name="fuzz_web_routes")
    fuzzers = []
    with web_app(Path(environment["VAR_DIR"]), **environment) as base:
        for headers, only, sign in runs:
            fuzzers.append(Fuzzer(app, headers, only, sign).run(names, base))
    failures = [f for fuzzer in fuzzers for f in fuzzer.failures]
    assert sum(f.sent for f in fuzzers) > 1000
    assert not failures, f"{len(failures)} answers of 5xx or with a stack trace:\n" + "\n".join(failures[:40])
    print(f"web app: {sum(f.sent for f in fuzzers)} requests in {time.monotonic() - began:.0f} s")


def test_no_route_of_rasas_channels_answers_malformed_input_with_a_500(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa's channels as Rasa mounts them (the turn itself answered by a stand-in); WeChat in
    compatible mode, so that plain and encrypted requests are both parsed."""
    for name, value in {"WECHAT_TOKEN": "fuzztoken", "WECHAT_APPID": "wx0000000000000000",
                        "WECHAT_APPSECRET": "fuzz", "WECHAT_MODE": "compatible", "WECHAT_AES_KEY": "a" * 43,
                        "WECHAT_API_BASE": "http://127.0.0.1:9/cgi-bin/"}.items():
        monkeypatch.setenv(name, value)

    async def on_new_message(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "收到")

    failures = []
    for number, headers in enumerate(({}, {"Authorization": "Bearer fuzz-token"})):
        app = Sanic(f"fuzz_channels_{number}")
        app.blueprint(OnceRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")
        app.blueprint(WeChatInput.from_credentials(None).blueprint(on_new_message), url_prefix="/webhooks/wechat")
        failures += Fuzzer(app, headers).run(["sender", "message", "signature", "timestamp", "nonce", "echostr",
                                              "openid", "msg_signature", "encrypt_type"]).failures
    assert not failures, "\n".join(failures[:40])


def test_no_route_of_the_action_server_answers_malformed_input_with_a_500(environment: dict[str, str]) -> None:
    failures = []
    for headers in ({}, {"X-Action-Secret": "fuzz-action-secret"}):
        Sanic._app_registry.pop("rasa_sdk", None)
        app = create_action_app("actions")
        plugin_manager().hook.attach_sanic_app_extensions(app=app)
        try:
            failures += Fuzzer(app, headers).run(["next_action"]).failures
        finally:
            Sanic._app_registry.pop("rasa_sdk", None)
    assert not failures, "\n".join(failures[:40])
