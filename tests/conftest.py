"""Shared fixtures: the policy service, and the real servers for end-to-end tests."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from bot.channels.services import action_endpoint_yaml, actions_command, rasa_command
from bot.core.migrate import upgrade
from bot.core.testing import PostgresMissing, PostgresServer, free_port
from bot.knowledge.search import PolicyIndex
from bot.knowledge.service import PolicyService
from bot.settings import PROJECT_ROOT
from tests.wechat.fake_api import FakeWeChatApi, account_env

MODEL = PROJECT_ROOT / "models" / "current.tar.gz"
VENV_BIN = Path(sys.executable).parent
START_TIMEOUT_SECONDS = 600  # model loading on a busy 2-core machine
# Set once in the environment: the test modules that import this one see the same token.
RASA_TEST_TOKEN = os.environ.setdefault("RASA_TEST_TOKEN", "test-token-" + os.urandom(8).hex())
ACTION_TEST_SECRET = os.environ.setdefault("ACTION_TEST_SECRET", "action-secret-" + os.urandom(8).hex())
CHAT_COOKIE = "jiuzhu_chat"
HOTLINE_TEST_SECRET = os.environ.setdefault("HOTLINE_TEST_SECRET", "hotline-e2e-" + os.urandom(8).hex())  # 12345 signing


@pytest.fixture(scope="session")
def policy_index() -> PolicyIndex:
    return PolicyIndex.from_directory(PROJECT_ROOT / "data" / "policies", PROJECT_ROOT / "data")


@pytest.fixture(scope="session")
def policy_service(policy_index: PolicyIndex) -> PolicyService:
    return PolicyService(policy_index)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server private to the test session (bot.core.testing). When its binaries are
    missing the PostgreSQL tests fail with the reason: they are never skipped (`make test`
    installs PostgreSQL first)."""
    try:
        server = PostgresServer()
    except PostgresMissing as error:
        pytest.fail(str(error), pytrace=False)
    with server:
        yield server


@pytest.fixture(scope="session")
def pg_url(postgres_server: PostgresServer) -> str:
    """postgresql+psycopg2://postgres@127.0.0.1:PORT/intake_test, migrated, shared by the session."""
    url = postgres_server.create_database("intake_test")
    upgrade(url)
    return url


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up:\n{log.read_text()[-3000:]}")


@dataclass
class Service:
    command: list[str]
    health_url: str
    log: Path
    process: subprocess.Popen | None = None

    def start(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT_ROOT, env=env, stdout=self.log.open("a"), stderr=subprocess.STDOUT
        )

    def wait(self) -> None:
        assert self.process is not None
        wait_until_up(self.health_url, self.process, self.log)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@dataclass
class Servers:
    rasa_url: str
    action_url: str
    web_url: str
    tracker_db: Path
    intake_url: str
    services: dict[str, Service]
    env: dict[str, str]
    wechat_api: FakeWeChatApi  # the WeChat API the Rasa server and the web app call
    chat_cookies: dict[str, str] = field(default_factory=dict)  # chat-page conversation → its cookie

    def new_web_sender(self) -> str:
        """A chat-page conversation, issued by the web app as to a browser opening /chat."""
        resp = requests.get(f"{self.web_url}/chat", timeout=30)
        resp.raise_for_status()
        cookie = resp.cookies[CHAT_COOKIE]
        conversation = cookie.partition(".")[0]
        self.chat_cookies[conversation] = cookie
        return conversation

    def web_chat(self, sender: str, message: str, timeout: float = 60) -> requests.Response:
        """POST /api/chat as the browser holding `sender`'s cookie (from new_web_sender)."""
        return requests.post(f"{self.web_url}/api/chat", json={"message": message}, timeout=timeout,
                             headers={"Cookie": f"{CHAT_COOKIE}={self.chat_cookies[sender]}"})

    def web_inbox(self, sender: str, after: int = 0) -> requests.Response:
        return requests.get(f"{self.web_url}/api/chat/inbox", params={"after": after}, timeout=10,
                            headers={"Cookie": f"{CHAT_COOKIE}={self.chat_cookies[sender]}"})

    def restart(self, *names: str) -> None:
        """Stops and starts these services (e.g. "rasa", "actions"), as a redeploy would."""
        for name in names:
            self.services[name].stop()
        for name in names:
            self.services[name].start(self.env)
        for name in names:
            self.services[name].wait()

    def messages(self, sender: str, message: str) -> list[dict[str, Any]]:
        """The REST channel's answer as sent: texts with their buttons."""
        resp = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            headers=rest_headers(),
            timeout=60,
        )
        resp.raise_for_status()
        return resp.json()

    def talk(self, sender: str, message: str) -> list[str]:
        return [m["text"] for m in self.messages(sender, message) if "text" in m]


def rest_headers() -> dict[str, str]:
    """What the web app sends Rasa's REST channel: the only caller it answers."""
    return {"Authorization": f"Bearer {RASA_TEST_TOKEN}"}


def ensure_model() -> None:
    """Make decides: it trains when the model is missing or older than its training inputs, so
    pytest run alone never talks to a model that no longer matches data/ (a stale model failed
    the standards browser test at "为什么" once); under `make test` the model is already current."""
    subprocess.run(["make", "-s", "train"], cwd=PROJECT_ROOT, check=True)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """The action server, the Rasa server (REST and WeChat channels, SQLite tracker store) and the
    web app; WeChat in compatible mode (plaintext and encrypted requests), its API on loopback."""
    ensure_model()
    workdir = tmp_path_factory.mktemp("servers")
    rasa_port, action_port, web_port = free_port(), free_port(), free_port()
    tracker_db = workdir / "tracker.db"
    intake_url = f"sqlite:///{workdir / 'intake.db'}"
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        action_endpoint_yaml(f"http://127.0.0.1:{action_port}/webhook")
        + f"tracker_store:\n  type: bot.channels.tracker_store.RedactingSQLTrackerStore\n  dialect: sqlite\n  db: {tracker_db}\n"
        "event_broker:\n  type: bot.channels.handoff_events.HandoffEventBroker\n",
        encoding="utf-8",
    )
    upgrade(intake_url)
    env = {
        **os.environ,
        "SANIC_HOST": "127.0.0.1",
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "RASA_TOKEN": RASA_TEST_TOKEN,
        "ACTION_SECRET": ACTION_TEST_SECRET,
        "DATABASE_URL": intake_url,
        "VAR_DIR": str(workdir),
        "WEB_PORT": str(web_port),
        "HOTLINE_SECRET": HOTLINE_TEST_SECRET,
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    wechat_api = FakeWeChatApi().__enter__()
    env.update(account_env(wechat_api, "compatible"))
    services = {
        "actions": Service(actions_command(action_port), f"http://127.0.0.1:{action_port}/health",
                           workdir / "actions.log"),
        "rasa": Service(rasa_command(rasa_port, MODEL, endpoints, PROJECT_ROOT / "credentials.yml"),
                        f"http://127.0.0.1:{rasa_port}/webhooks/rest/", workdir / "rasa.log"),
        "web": Service([str(VENV_BIN / "python"), "-m", "bot.web"],
                       f"http://127.0.0.1:{web_port}/healthz", workdir / "web.log"),
    }
    try:
        for service in services.values():
            service.start(env)
        for service in services.values():
            service.wait()
        yield Servers(
            rasa_url=f"http://127.0.0.1:{rasa_port}",
            action_url=f"http://127.0.0.1:{action_port}",
            web_url=f"http://127.0.0.1:{web_port}",
            tracker_db=tracker_db,
            intake_url=intake_url,
            services=services,
            env=env,
            wechat_api=wechat_api,
        )
    finally:
        for service in services.values():
            service.stop()
        wechat_api.__exit__()
