"""`make bench`: latency and memory figures, printed (never asserted in the test suite).

- A message through the REST channel (Rasa server + action server, SQLite tracker store),
  policy answers included: p50/p95 over a fixed list of resident questions.
- The policy search API over a synthetic corpus of 10,000 measures: p50/p95 per request.
- The screening API: p50/p95 per request.
- The WeChat webhook in safe mode with 50 residents at once: p50/p95/p99 (bot.measure.bench_wechat).
- The Rasa server's resident memory after the run.
- Intake registration throughput on SQLite and PostgreSQL with 20 concurrent clients (bot.measure.bench_intake).
- Hotline suggestion latency with 20 concurrent calls and their operators' panels (bot.measure.bench_hotline).
- Staff console page times with 10,000 applications on SQLite and PostgreSQL (bot.measure.bench_console).
- The wait of a conversation whose Rasa process was killed holding its lock, with the lock
  lifetime of before (15 s) and the cluster's now (bot.channels.lock_store).
- The first message a fresh Rasa process answers once ready, warmed up or not (bot.channels.warmup).
- Scale-out (bot.measure.bench_scale): a stock Rasa bot, this assistant in one process and as the
  cluster, in one run: throughput, chatting capacity, 200 residents at once, WeChat bursts.
Every server is started here on free loopback ports and stopped at the end. Each part prints how
long it took.

`make bench-quick` (`--quick`) prints the same figures from fewer samples (about a quarter of the
repetitions; the same loads, data sizes and topologies): for a check after a change, while the
figures quoted in the README come from the full `make bench`.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psutil
import requests

from bot.channels.services import action_endpoint_yaml, actions_command, rasa_command, rest_headers, service_secrets
from bot.cluster import topology
from bot.measure import bench_console, bench_hotline, bench_intake, bench_scale, bench_wechat
from bot.core import migrate
from bot.core.testing import free_port
from bot.knowledge.corpus import Measure, PolicyDocument, load_corpus, write_document
from bot.settings import PROJECT_ROOT

MODEL = PROJECT_ROOT / "models" / "current.tar.gz"
BIN = Path(sys.executable).parent
QUESTIONS = [
    "宁夏低保标准是多少", "低保金每月几号发", "特困人员有什么条件", "临时救助去哪申请", "你好",
    "渐退期有多久", "运城", "单人保怎么申请", "谢谢", "没工作的大学生有补助吗",
]
SEARCHES = ["低保标准", "特困供养金什么时候发", "渐退期", "临时救助怎么申请", "单人保 重度残疾", "未参保失业人员 一次性临时救助金"]

SCREENINGS = [
    {"region": "宁夏回族自治区银川市", "residence": "urban", "as_of": "2023-06-01",
     "household": {"size": 3, "monthly_income": 1500, "on_dibao": False},
     "applicant": {"age": 70, "able_to_work": False, "has_income_source": False,
                   "has_able_supporter": False}},
    {"region": "山西省运城市", "household": {"size": 2}, "applicant": {"age": 24, "is_unemployed_graduate": True}},
    {},
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def wait_for(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not come up")


def synthetic_corpus(directory: Path, size: int) -> None:
    """`size` measures made by recombining the real measures' sentences across fake documents."""
    real = load_corpus(PROJECT_ROOT / "data" / "policies")
    sentences = [s for d in real for m in d.measures for s in m.text.split("。") if s]
    regions = ["山西省", "山西省运城市", "宁夏回族自治区", "山西省太原市"]
    rng = random.Random(7)
    per_doc = 50
    for d in range(size // per_doc):
        measures = tuple(
            Measure(doc_id=f"syn-{d}", number=str(i + 1), clause=f"第{i + 1}条", headings=(),
                    title="", text="。".join(rng.sample(sentences, 3)) + "。")
            for i in range(per_doc)
        )
        write_document(PolicyDocument(
            doc_id=f"syn-{d}", title=f"合成测试文件{d}", issuer="测试", doc_number=f"测〔2024〕{d}号",
            issued=None, issued_text="", region=regions[d % len(regions)], valid_until=None,
            source_file="synthetic", measures=measures), directory)


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)


def report(name: str, samples: list[float], target: str) -> None:
    print(f"{name}: n={len(samples)} p50={percentile(samples, 0.5):.1f} ms "
          f"p95={percentile(samples, 0.95):.1f} ms p99={percentile(samples, 0.99):.1f} ms "
          f"mean={statistics.mean(samples):.1f} ms ({target})")


@contextmanager
def timed(part: str) -> Iterator[None]:
    """Prints how long a part of the bench took, and the machine's load then."""
    began = time.monotonic()
    try:
        yield
    finally:
        one, five, _ = os.getloadavg()
        print(f"({part}: {time.monotonic() - began:.0f} s; load average {one:.1f} / {five:.1f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None, help="passes over the question list (20; quick: 5)")
    parser.add_argument("--measures", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="the same figures from fewer samples")
    args = parser.parse_args()
    quick = args.quick
    rounds = args.rounds or (5 if quick else 20)
    if quick:
        print("Quick bench: every figure from about a quarter of the samples of `make bench`.", flush=True)
    with timed("REST, search, screening, WeChat on one process"):
        single_process(args.measures, rounds, quick)
    with timed("intake registrations"):
        bench_intake.report(registrations=300 if quick else 1000)
    with timed("hotline suggestions"):
        bench_hotline.report(calls_each=1 if quick else 2)
    with timed("staff console"):
        bench_console.report(rounds=15 if quick else bench_console.ROUNDS)
    with timed("region matching"):
        report_region_matching()
    with timed("lock store"):
        report_lock_after_kill()
    with timed("first message after a start"):
        report_first_turn()
    with timed("scale-out"):
        bench_scale.report(quick=quick)


def single_process(measures: int, rounds: int, quick: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    rasa_port, action_port, web_port = free_port(), free_port(), free_port()
    (work / "endpoints.yml").write_text(
        action_endpoint_yaml(f"http://127.0.0.1:{action_port}/webhook")
        + f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {work / 'tracker.db'}\n")
    synthetic = work / "policies"
    synthetic_corpus(synthetic, measures)
    database = f"sqlite:///{work / 'intake.db'}"
    migrate.upgrade(database)
    wechat = bench_wechat.bench_config()
    env = {**os.environ, "SANIC_HOST": "127.0.0.1", "WEB_PORT": str(web_port),
           "POLICY_DIR": str(synthetic), "TF_CPP_MIN_LOG_LEVEL": "2", "DATABASE_URL": database,
           **bench_wechat.environment(wechat), **service_secrets()}
    processes = [
        start(actions_command(action_port),
              {**env, "POLICY_DIR": str(PROJECT_ROOT / "data" / "policies")}, work / "actions.log"),
        start(rasa_command(rasa_port, MODEL, work / "endpoints.yml", PROJECT_ROOT / "credentials.yml", api=False),
              env, work / "rasa.log"),
        start([str(BIN / "python"), "-m", "bot.web"], env, work / "web.log"),
    ]
    try:
        rasa_url = f"http://127.0.0.1:{rasa_port}"
        for url in (f"http://127.0.0.1:{action_port}/health", rasa_url, f"http://127.0.0.1:{web_port}/healthz"):
            wait_for(url)
        session = requests.Session()
        rest: list[float] = []
        for round_ in range(rounds + 1):
            for i, question in enumerate(QUESTIONS):
                began = time.perf_counter()
                session.post(f"{rasa_url}/webhooks/rest/webhook", headers=rest_headers(env),
                             json={"sender": f"bench-{round_}-{i // 5}", "message": question}, timeout=60)
                if round_:  # the first pass warms up caches and is not counted
                    rest.append((time.perf_counter() - began) * 1000)
        report("REST channel message (policy answers included)", rest, "target p95 < 150 ms")
        search: list[float] = []
        for round_ in range(rounds * 5 + 1):
            for q in SEARCHES:
                began = time.perf_counter()
                session.get(f"http://127.0.0.1:{web_port}/api/policy/search",
                            params={"q": q, "region": "山西省运城市", "top_k": 3}, timeout=30)
                if round_:
                    search.append((time.perf_counter() - began) * 1000)
        report(f"search API over {measures} synthetic measures", search, "target p95 < 20 ms")
        screening: list[float] = []
        for round_ in range(rounds * 10 + 1):
            for body in SCREENINGS:
                began = time.perf_counter()
                session.post(f"http://127.0.0.1:{web_port}/api/screening", json=body, timeout=30)
                if round_:
                    screening.append((time.perf_counter() - began) * 1000)
        report("screening API", screening, "target p95 < 10 ms")
        bench_wechat.report(rasa_url, wechat, report, quick=quick)
        rss = psutil.Process(processes[1].pid).memory_info().rss / 2**20
        print(f"Rasa server resident memory: {rss:.0f} MiB")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def wait_ready(url: str, timeout: float = 300) -> None:
    """Until `url` answers 200 (a readiness check answers 503 before)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not become ready")


def report_first_turn() -> None:
    """The first two messages a fresh Rasa process (with a fresh action server) answers once its
    readiness check says ready: with WARM_UP=0 (ready once the model is loaded, as before) and
    warmed up (bot.channels.warmup). WeChat's budget for a passive reply is 4 s."""
    for label, warm in (("not warmed up (WARM_UP=0, as before)", "0"), ("warmed up (now)", "1")):
        work = Path(tempfile.mkdtemp(prefix="bench-warm-"))
        rasa_port, action_port = free_port(), free_port()
        (work / "endpoints.yml").write_text(
            action_endpoint_yaml(f"http://127.0.0.1:{action_port}/webhook")
            + f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {work / 'tracker.db'}\n")
        database = f"sqlite:///{work / 'intake.db'}"
        migrate.upgrade(database)
        env = {**os.environ, "SANIC_HOST": "127.0.0.1", "TF_CPP_MIN_LOG_LEVEL": "2", "DATABASE_URL": database,
               "WARM_UP": warm, **service_secrets()}
        env.pop("REDIS_URL", None)
        processes = [start(actions_command(action_port), env, work / "actions.log")]
        try:
            wait_for(f"http://127.0.0.1:{action_port}/health")
            began = time.monotonic()
            processes.append(start(rasa_command(rasa_port, MODEL, work / "endpoints.yml",
                                                PROJECT_ROOT / "credentials.yml", api=False), env, work / "rasa.log"))
            rasa_url = f"http://127.0.0.1:{rasa_port}"
            wait_ready(f"{rasa_url}/webhooks/rest/")
            ready = time.monotonic() - began
            seconds = []
            for question in ("宁夏低保标准是多少", "特困人员有什么条件"):
                sent = time.perf_counter()
                requests.post(f"{rasa_url}/webhooks/rest/webhook", headers=rest_headers(env), timeout=120,
                              json={"sender": "bench-first-turn", "message": question}).raise_for_status()
                seconds.append(time.perf_counter() - sent)
            print(f"Rasa process {label}: ready {ready:.1f} s after start; first message {seconds[0]:.2f} s, "
                  f"second {seconds[1]:.2f} s (WeChat's passive reply: 4 s)", flush=True)
        finally:
            bench_scale._stop(processes)  # noqa: SLF001


def report_lock_after_kill(lifetimes: tuple[int, ...] = (15, topology.TICKET_LOCK_LIFETIME_SECONDS)) -> None:
    """How long the next message of a conversation waits when the Rasa process holding its lock
    was killed: a ticket never renewed nor released, and a waiter polling as Rasa does (every
    second), on a real Redis, with the lifetime of before (15 s) and the cluster's now."""
    from bot.channels.lock_store import KeptTicketLockStore
    from bot.core.testing import RedisServer
    from rasa.utils.endpoints import EndpointConfig

    with tempfile.TemporaryDirectory(prefix="bench-lock-") as work, RedisServer(Path(work)) as server:
        store = KeptTicketLockStore(endpoint_config=EndpointConfig(
            url="127.0.0.1", port=server.port, db=1, key_prefix="bench"))
        for lifetime in lifetimes:
            conversation = f"killed-{lifetime}"
            store.issue_ticket(conversation, lifetime)  # the killed process's
            began = time.monotonic()

            async def next_message() -> None:
                async with store.lock(conversation, lock_lifetime=lifetime):
                    pass

            asyncio.run(next_message())
            print(f"a conversation behind a killed Rasa process waits {time.monotonic() - began:.1f} s "
                  f"with TICKET_LOCK_LIFETIME {lifetime} s", flush=True)


def report_region_matching() -> None:
    """Region matching runs on every message (the NLU extractor and the hotline): best of 3 passes."""
    from bot.regions import find_regions

    messages = ["我是运城盐湖区的，想问一下低保怎么申请", "宁夏银川金凤区", "我家里三口人，每月收入两千"]
    find_regions(messages[0])  # loads the gazetteer
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        for _ in range(1000):
            for message in messages:
                find_regions(message)
        best = min(best, (time.perf_counter() - began) / (1000 * len(messages)))
    print(f"region matching: {best * 1e6:.1f} µs per message, best of 3 passes (target < 50 µs)")


if __name__ == "__main__":
    main()
