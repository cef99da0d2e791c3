"""Helpers of the staff console tests: a migrated SQLite database, applications and hand-offs
made through the public functions, the real web app (python -m bot.web), a stand-in for Rasa's
HTTP API and a staff member's HTTP client."""
from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import itertools
import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import requests
from sqlalchemy.orm import sessionmaker

from bot.handoff import tickets
from bot.core import migrate
from bot.intake import registry
from bot.core.db import session_factory
from bot.core.models import HandoffTicket, StaffUser
from bot.core.testing import sample_id_number
from bot.questionnaire.flow import screening_snapshot
from bot.settings import PROJECT_ROOT
from tests.conftest import free_port, wait_until_up

PASSWORD = "ceshi-mima-2026"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
_sequence = itertools.count(1)
SCREENING_ANSWERS = {"region": "宁夏回族自治区银川市", "residence": "urban", "household.size": 3,
                     "household.monthly_income": 1500}


def migrated_factory(directory: Path) -> tuple[str, sessionmaker]:
    url = f"sqlite:///{directory / 'intake.db'}"
    migrate.upgrade(url)
    return url, session_factory(url)


def id_number(serial: int) -> str:
    return sample_id_number(serial, dt.date(1990, 3, 7), region="110101")


def register_application(factory: sessionmaker, district: str, name: str = "张三",
                         programs: tuple[str, ...] = ("dibao",)) -> registry.Registration:
    serial = next(_sequence)
    return registry.register(registry.ApplicationRequest(
        channel="web", conversation_id=f"console-test-{serial}", request_key="r1", name=name,
        mobile=f"139{serial:08d}", id_number=id_number(serial), address="东街村3组12号",
        district=district, programs=list(programs), consent=True,
        screening=screening_snapshot(SCREENING_ANSWERS, dt.date(2026, 11, 23)),
    ), factory=factory)


def open_handoff(factory: sessionmaker, district: str | None, text: str = "我要找工作人员") -> HandoffTicket:
    serial = next(_sequence)
    ticket, _created = tickets.open_ticket(
        f"console-chat-{serial}", "web", "requested",
        [{"speaker": "resident", "text": text}, {"speaker": "bot", "text": "好的，正在为您转接。"}],
        screening_summary="家庭人口：3口人", district=district, factory=factory,
    )
    return ticket


class RasaStub(http.server.BaseHTTPRequestHandler):
    """Stands in for Rasa's HTTP API: accepts the tracker events a reply or hand-back appends."""

    received: list[tuple[str, Any]] = []
    status = 200  # a test sets 503 to play an unreachable assistant

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        RasaStub.received.append((self.path, json.loads(body or b"null")))
        self.send_response(RasaStub.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args: Any) -> None:
        pass


@dataclass
class Console:
    """The running web app and its database."""

    url: str
    factory: sessionmaker
    users: dict[str, StaffUser] = field(default_factory=dict)
    rasa: type[RasaStub] = RasaStub  # what the app sent to "Rasa"; its status can be changed

    def client(self, username: str, password: str = PASSWORD) -> "StaffClient":
        client = StaffClient(self.url)
        client.login(username, password)
        return client


class StaffClient:
    """A staff member's browser over HTTP; cookies are kept by hand because the Secure flag
    keeps requests from sending them over plain HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def _remember(self, response: requests.Response) -> None:
        for header in response.raw.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in header:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **kwargs.pop("headers", {})}
        response = requests.request(method, self.base + path, headers=headers, allow_redirects=False,
                                    timeout=30, **kwargs)
        self._remember(response)
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        response = self.request("GET", path, **kwargs)
        match = CSRF_RE.search(response.text)
        if match:
            self.csrf = match.group(1)
        return response

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True,
             **kwargs: Any) -> requests.Response:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf)
        return self.request("POST", path, data=form, **kwargs)

    def login(self, username: str, password: str) -> requests.Response:
        self.get("/console/login")
        response = self.post("/console/login", {"username": username, "password": password})
        self.get("/console/queue/new")  # the session's CSRF token
        return response


def start_stub_rasa() -> tuple[http.server.HTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RasaStub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@contextlib.contextmanager
def web_app(workdir: Path, **env: str) -> Iterator[str]:
    """python -m bot.web on a free port with these environment settings; yields its base URL."""
    port = free_port()
    log = workdir / "web.log"
    process = subprocess.Popen([sys.executable, "-m", "bot.web"], cwd=PROJECT_ROOT,
                               env={**os.environ, "VAR_DIR": str(workdir), "WEB_PORT": str(port), **env},
                               stdout=log.open("a"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
