"""Throughput and capacity of one process against the cluster (part of `make bench`; alone:
`python -m bot.measure.bench_scale`). Every figure comes from the same run on the same machine:

- the reference: a stock Rasa 3.6 assistant (bot/measure/stock_bot, as `rasa init` makes one:
  default pipeline and policies, in-memory tracker store, no action server), one process;
- this assistant in one process, as `make run` starts it (SQLite tracker store, one action
  server), and as the cluster (bot.cluster: Rasa servers behind HAProxy, PostgreSQL, Redis).

For each: messages per second with 20 clients sending back to back (and the CPU seconds the
assistant's processes spent per message); the largest number of residents chatting (2–8 s
between messages) served with p99 under 1 s; p50/p95/p99 with 200 residents at once and the
count of empty or lost replies; for this assistant, the WeChat webhook with 50 and 200 residents
sending at the same instant. All traffic goes to loopback, bounded in count and time.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import aiohttp
import psutil
import psycopg2

from bot.channels.services import (
    action_endpoint_yaml, actions_command, rasa_command, rest_headers, service_secrets,
)
from bot.cluster.runner import Cluster
from bot.cluster.topology import TRACKER_DB, Ports, Topology
from bot.core import migrate
from bot.core.testing import free_port
from bot.measure import bench_hotline, bench_wechat
from bot.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
MODEL = PROJECT_ROOT / "models" / "current.tar.gz"
STOCK_BOT = PROJECT_ROOT / "bot" / "measure" / "stock_bot"
STOCK_MODELS = PROJECT_ROOT / "var" / "bench"
QUESTIONS = ["宁夏低保标准是多少", "低保金每月几号发", "特困人员有什么条件", "临时救助去哪申请", "你好",
             "渐退期有多久", "运城", "单人保怎么申请", "谢谢", "没工作的大学生有补助吗"]
STOCK_MESSAGES = ["hello", "I feel great", "I am unhappy", "yes", "no", "are you a bot?", "goodbye",
                  "good morning", "terrible", "of course"]
BACK_TO_BACK_CLIENTS = 20
BACK_TO_BACK_MESSAGES = 8  # per client
CHAT_STEPS = (5, 10, 20, 40, 80, 160, 240)
CHAT_MESSAGES = 3  # per resident and step
THINK_SECONDS = (2.0, 8.0)
P99_TARGET_MS = 1000.0
CROWD = 200
CROWD_MESSAGES = 1
REQUEST_TIMEOUT_SECONDS = 60
START_TIMEOUT_SECONDS = 900


@dataclass
class Load:
    """Latencies (ms) of the answered requests, and the failures."""

    latencies: list[float] = field(default_factory=list)
    empty: int = 0  # an answer without any text
    lost: int = 0  # an error status, a dropped connection or a timeout
    seconds: float = 0.0

    @property
    def sent(self) -> int:
        return len(self.latencies) + self.lost

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies) or [float("nan")]
        return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]

    def summary(self) -> str:
        return (f"p50={self.percentile(0.5):.0f} ms p95={self.percentile(0.95):.0f} ms "
                f"p99={self.percentile(0.99):.0f} ms; {self.empty} empty, {self.lost} lost of {self.sent}")


@dataclass
class Target:
    name: str
    url: str  # the REST webhook
    messages: Sequence[str]
    pids: Callable[[], list[int]]  # the processes whose CPU time counts
    always_answers: bool = True  # the stock bot, with no fallback, stays silent on some messages
    logs: Callable[[], list[Path]] = lambda: []  # the Rasa servers' logs
    headers: dict[str, str] = field(default_factory=dict)  # this assistant's REST channel wants the web app's token


def failed_action_calls(logs: list[Path]) -> int:
    """Custom action calls that failed, as Rasa logged them (it then goes on without them)."""
    return sum(log.read_text(errors="replace").count("Failed to run custom action") for log in logs if log.exists())


def closing_transport_errors(logs: list[Path]) -> int:
    return sum(log.read_text(errors="replace").count("Cannot write to closing transport") for log in logs
               if log.exists())


async def _send(session: aiohttp.ClientSession, target: Target, sender: str, text: str, load: Load) -> None:
    began = time.perf_counter()
    try:
        async with session.post(target.url, headers=target.headers, json={
                "sender": sender, "message": text, "message_id": os.urandom(8).hex()}) as resp:
            body = await resp.json(content_type=None) if resp.status == 200 else None
    except (aiohttp.ClientError, asyncio.TimeoutError):
        body = None
    if body is None:
        load.lost += 1
        return
    load.latencies.append((time.perf_counter() - began) * 1000)
    if not any(isinstance(m, dict) and m.get("text") for m in body):
        load.empty += 1


async def _residents(target: Target, count: int, messages: int, think: tuple[float, float] | None,
                     tag: str) -> Load:
    load = Load()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async def resident(number: int) -> None:
            rng = random.Random(f"{tag}-{number}")
            sender = f"bench-{tag}-{number}-{os.urandom(3).hex()}"
            for text in rng.sample(list(target.messages), messages):
                if think:
                    await asyncio.sleep(rng.uniform(*think))
                await _send(session, target, sender, text, load)

        began = time.perf_counter()
        await asyncio.gather(*(resident(n) for n in range(count)))
        load.seconds = time.perf_counter() - began
    return load


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            process = psutil.Process(pid)
            times = process.cpu_times()
            total += times.user + times.system
            for child in process.children(recursive=True):
                child_times = child.cpu_times()
                total += child_times.user + child_times.system
        except psutil.Error:
            continue
    return total


def measure(target: Target, quick: bool = False) -> dict[str, str]:
    """The four figures of one topology, printed as they come (`quick`: half the messages per
    client back to back and per chatting resident)."""
    asyncio.run(_residents(target, 5, 2, None, "warm"))
    figures: dict[str, str] = {}
    cpu_before = _cpu_seconds(target.pids())
    back_to_back = BACK_TO_BACK_MESSAGES // 2 if quick else BACK_TO_BACK_MESSAGES
    burst = asyncio.run(_residents(target, BACK_TO_BACK_CLIENTS, back_to_back, None, "b2b"))
    cpu = (_cpu_seconds(target.pids()) - cpu_before) / max(1, burst.sent)
    rate = len(burst.latencies) / burst.seconds
    figures["throughput"] = f"{rate:.1f} msg/s"
    _show(target.name, f"{BACK_TO_BACK_CLIENTS} clients back to back: {rate:.1f} msg/s, "
          f"{cpu * 1000:.0f} ms CPU per message; {burst.summary()}")
    served = 0
    for residents in CHAT_STEPS:
        chat = asyncio.run(_residents(target, residents, 2 if quick else CHAT_MESSAGES, THINK_SECONDS,
                                      f"chat{residents}"))
        ok = chat.percentile(0.99) < P99_TARGET_MS and not chat.lost and not (chat.empty and target.always_answers)
        _show(target.name, f"{residents} residents chatting: {chat.summary()}{'' if ok else '  (over)'}")
        if not ok:
            break
        served = residents
    figures["chatting"] = f"{served}"
    crowd = asyncio.run(_residents(target, CROWD, CROWD_MESSAGES, None, "crowd"))
    figures["crowd"] = crowd.summary()
    _show(target.name, f"{CROWD} residents at once: {crowd.summary()}; "
          f"failed action calls in the whole run: {failed_action_calls(target.logs())} "
          f"({closing_transport_errors(target.logs())} 'Cannot write to closing transport')")
    return figures


def _show(name: str, line: str) -> None:
    print(f"  [{name}] {line}", flush=True)


def _machine_load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} cores"


# --- the three topologies -------------------------------------------------------------------

def _wait(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not come up")


def _start(command: list[str], env: dict[str, str], log: Path, cwd: Path = PROJECT_ROOT) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def stock_model() -> Path:
    """The stock bot's model, trained once per change of its files (kept under var/bench/)."""
    digest = hashlib.sha256()
    for path in sorted(STOCK_BOT.rglob("*.yml")):
        digest.update(path.read_bytes())
    model = STOCK_MODELS / f"stock-{digest.hexdigest()[:12]}.tar.gz"
    if not model.exists():
        STOCK_MODELS.mkdir(parents=True, exist_ok=True)
        print("  training the stock reference bot (once) ...", flush=True)
        subprocess.run([str(BIN / "rasa"), "train", "--config", "config.yml", "--domain", "domain.yml",
                        "--data", "data", "--out", str(STOCK_MODELS), "--fixed-model-name", model.name[:-7],
                        "--quiet"], cwd=STOCK_BOT, check=True, stdout=subprocess.DEVNULL)
    return model


@contextmanager
def stock_bot(work: Path, env: dict[str, str]) -> Iterator[Target]:
    port = free_port()
    rasa = _start([str(BIN / "rasa"), "run", "-i", "127.0.0.1", "-p", str(port), "-m", str(stock_model())],
                  env, work / "stock.log", cwd=STOCK_BOT)
    try:
        _wait(f"http://127.0.0.1:{port}/", rasa, work / "stock.log")
        yield Target("stock Rasa bot, 1 process", f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                     STOCK_MESSAGES, lambda: [rasa.pid], always_answers=False)
    finally:
        _stop([rasa])


@contextmanager
def single_process(work: Path, env: dict[str, str]) -> Iterator[Target]:
    """As `make run`: one Rasa server, one action server, SQLite."""
    rasa_port, action_port = free_port(), free_port()
    database = f"sqlite:///{work / 'single-intake.db'}"
    migrate.upgrade(database)
    (work / "single-endpoints.yml").write_text(
        action_endpoint_yaml(f"http://127.0.0.1:{action_port}/webhook")
        + "tracker_store:\n  type: bot.channels.tracker_store.RedactingSQLTrackerStore\n  dialect: sqlite\n"
        f"  db: {work / 'single-tracker.db'}\n"
        "event_broker:\n  type: bot.channels.handoff_events.HandoffEventBroker\n", encoding="utf-8")
    env = {**env, "DATABASE_URL": database}
    actions = _start(actions_command(action_port), env, work / "single-actions.log")
    rasa = _start(rasa_command(rasa_port, MODEL, work / "single-endpoints.yml", PROJECT_ROOT / "credentials.yml",
                               api=False), env, work / "single-rasa.log")
    try:
        _wait(f"http://127.0.0.1:{action_port}/health", actions, work / "single-actions.log")
        _wait(f"http://127.0.0.1:{rasa_port}/", rasa, work / "single-rasa.log")
        yield Target("this assistant, 1 process", f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
                     QUESTIONS, lambda: [rasa.pid, actions.pid], logs=lambda: [work / "single-rasa.log"],
                     headers=rest_headers(env))
    finally:
        _stop([rasa, actions])


@contextmanager
def cluster(work: Path, env: dict[str, str], rasa: int, actions: int) -> Iterator[tuple[Target, Cluster]]:
    ports = Ports(*(free_port() for _ in range(6)))
    topology = Topology(rasa=rasa, actions=actions, web=2, ports=ports)
    env = {**env, "HOTLINE_SECRET": bench_hotline.SECRET, "COOKIE_SECURE": "0"}
    with Cluster(work / "cluster", topology, env=env, start_timeout=START_TIMEOUT_SECONDS) as running:
        def pids() -> list[int]:
            children = running.supervisor.children.values()
            return [c.process.pid for c in children if c.process is not None and not c.name.startswith("web")]

        yield Target(f"this assistant, cluster of {rasa} Rasa + {actions} action servers",
                     topology.urls()["rest"], QUESTIONS, pids,
                     logs=lambda: sorted((work / "cluster" / "logs").glob("rasa*.log")),
                     headers=rest_headers(running.env())), running


async def _chat_page_residents(web_url: str, count: int) -> Load:
    """Residents on the chat page, all at once: each browser opens /chat (the web app issues its
    conversation cookie), then sends one message through the web app's /api/chat."""
    load = Load()
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)

    async def resident(number: int) -> None:
        text = random.Random(f"page-{number}").choice(list(QUESTIONS))
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
        async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as browser:
            try:
                async with browser.get(f"{web_url}/chat") as page:
                    await page.read()
                began = time.perf_counter()
                async with browser.post(f"{web_url}/api/chat", json={"message": text}) as resp:
                    body = await resp.json(content_type=None) if resp.status == 200 else None
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                body = None
        if not isinstance(body, dict):
            load.lost += 1
            return
        load.latencies.append((time.perf_counter() - began) * 1000)
        if not any(isinstance(m, dict) and m.get("text") for m in body.get("messages") or []):
            load.empty += 1

    began = time.perf_counter()
    await asyncio.gather(*(resident(n) for n in range(count)))
    load.seconds = time.perf_counter() - began
    return load


def chat_page_crowd(web_url: str, name: str) -> str:
    crowd = asyncio.run(_chat_page_residents(web_url, CROWD))
    _show(name, f"{CROWD} residents at once on the chat page (through the web app): {crowd.summary()}")
    return crowd.summary()


def tracker_footprint(running: Cluster) -> str:
    """What the messages sent so far left in the tracker store: rows and bytes per user message."""
    connection = psycopg2.connect(host="127.0.0.1", port=running.postgres.port, user="postgres",
                                  dbname=TRACKER_DB)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), count(*) FILTER (WHERE type_name = 'user'), "
                           "pg_total_relation_size('events') FROM events")
            rows, messages, size = cursor.fetchone()
    finally:
        connection.close()
    return (f"tracker store: {rows / max(1, messages):.1f} events and {size / max(1, messages) / 1024:.1f} KiB "
            f"(table and indexes) per resident message, over {messages} messages")


def wechat_bursts(rasa_url: str, config: bench_wechat.WeChatConfig, name: str) -> None:
    for users in (50, 200):
        outcome = bench_wechat.bursts(f"{rasa_url}/webhooks/wechat/webhook", config, users=users, waves=1)
        load = Load(latencies=outcome.samples)
        _show(name, f"WeChat, {users} residents at the same instant: p50={load.percentile(0.5):.0f} ms "
              f"p95={load.percentile(0.95):.0f} ms p99={load.percentile(0.99):.0f} ms; "
              f"{outcome.summary()}")


def report(quick: bool = False) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    wechat = bench_wechat.bench_config()
    env = {**os.environ, "SANIC_HOST": "127.0.0.1", "TF_CPP_MIN_LOG_LEVEL": "2", "VAR_DIR": str(work),
           **bench_wechat.environment(wechat), **service_secrets()}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    print(f"Scale-out, one run ({_machine_load()} before starting):", flush=True)
    results: dict[str, dict[str, str]] = {}
    try:
        with stock_bot(work, env) as target:
            results[target.name] = measure(target, quick)
        with single_process(work, env) as target:
            results[target.name] = measure(target, quick)
            wechat_bursts(target.url.split("/webhooks")[0], wechat, target.name)
        rasa_count = max(2, min(4, (os.cpu_count() or 2) + 1))
        with cluster(work, env, rasa=rasa_count, actions=2) as (target, running):
            results[target.name] = measure(target, quick)
            wechat_bursts(target.url.split("/webhooks")[0], wechat, target.name)
            results[target.name]["chat page"] = chat_page_crowd(
                f"http://127.0.0.1:{running.topology.ports.web}", target.name)
            _show(target.name, tracker_footprint(running))
            bench_hotline.measure(f"the cluster's {running.topology.web} web workers (PostgreSQL)",
                                  f"http://127.0.0.1:{running.topology.ports.web}", running.registry_url,
                                  calls=20, calls_each=1, pause=1.0)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Scale-out summary ({_machine_load()} at the end):")
    for name, figures in results.items():
        print(f"  {name}: {figures['throughput']} back to back; {figures['chatting']} residents chatting "
              f"with p99 < 1 s; {CROWD} at once: {figures['crowd']}")
        if "chat page" in figures:
            print(f"    {CROWD} at once on the chat page: {figures['chat page']}")
    print("  targets: cluster throughput >= the stock bot's; cluster chatting >= 2x one process; "
          "0 empty or lost")


if __name__ == "__main__":
    report()
