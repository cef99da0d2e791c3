"""Hotline suggestion latency: `python -m bot.measure.bench_hotline` (also in `make bench`).

The web app (python -m bot.web, the real policy corpus) runs on a temporary SQLite file and on
a temporary PostgreSQL cluster (fsync on). 20 simulated calls at once go through the signed
hotline endpoint, each replaying transcripts of tests/eval/hotline_calls.yml with a pause of
0.5–1.5 s between utterances (real speech-to-text segments come every few seconds; the calls are
not in step), while 20 operators' panels follow their calls over Server-Sent Events. Prints
p50/p95 of the time from posting a caller's utterance to receiving the suggestions, and the same
with no pause at all (every call posting back to back, the worst case). Target: p95 < 300 ms with
20 concurrent calls on 2 cores.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import psutil
import requests

from bot.hotline.client import HotlineClient, load_calls, utterances
from bot.core import migrate
from bot.intake import staff
from bot.core.db import session_factory
from bot.core.testing import PostgresServer, free_port
from bot.settings import PROJECT_ROOT

TARGET_P95_MS = 300
SECRET = "bench-hotline-secret"
PASSWORD = "bench-hotline-2026"
CORES = 2


@contextlib.contextmanager
def web_app(database: str, work: Path) -> Iterator[str]:
    """python -m bot.web on a free port, limited to 2 cores where the machine has more."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database, "HOTLINE_SECRET": SECRET, "WEB_PORT": str(port),
           "VAR_DIR": str(work), "COOKIE_SECURE": "0", "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [sys.executable, "-m", "bot.web"]
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) > CORES and shutil.which("taskset"):
        command = ["taskset", "-c", ",".join(map(str, cores[:CORES])), *command]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=(work / "web.log").open("w"),
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            raise SystemExit(f"the web app did not come up: {(work / 'web.log').read_text()[-2000:]}")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def operators(database: str, count: int) -> list[str]:
    factory = session_factory(database)
    names = [f"bench{i:02d}" for i in range(count)]
    for name in names:
        if staff.find_user(name, factory=factory) is None:
            staff.create_user(name, f"话务员{name}", PASSWORD, "operator", factory=factory)
    return names


def panel(base: str, username: str, stop: threading.Event, events: list[int]) -> None:
    """An operator's panel: logs in and reads the stream until told to stop."""
    session = requests.Session()
    login_page = session.get(f"{base}/console/login", timeout=30)
    token = login_page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    session.post(f"{base}/console/login", data={"csrf_token": token, "username": username, "password": PASSWORD},
                 allow_redirects=False, timeout=30)
    try:
        with session.get(f"{base}/console/hotline/events", stream=True, timeout=(10, 30)) as stream:
            for line in stream.iter_lines(decode_unicode=True):
                if line.startswith("event: call"):
                    events.append(1)
                if stop.is_set():
                    break
    except requests.RequestException:
        pass  # the web app stopped first


def run(base: str, names: list[str], *, calls_each: int, pause: float) -> list[float]:
    """Every operator takes `calls_each` calls one after another, all operators at once; the
    latencies (ms) of the caller's utterances."""
    transcripts = load_calls()
    start = threading.Barrier(len(names))

    def operator(index: int) -> list[float]:
        client = HotlineClient(base, SECRET, names[index])
        rng = random.Random(index)
        latencies = []
        start.wait()
        time.sleep(rng.uniform(0, pause))  # calls are not in step
        for number in range(calls_each):
            transcript = transcripts[(index * calls_each + number) % len(transcripts)]
            call_id = f"bench-{uuid.uuid4().hex[:12]}"
            client.start(call_id).raise_for_status()
            for speaker, text in utterances(transcript):
                time.sleep(rng.uniform(0.5 * pause, 1.5 * pause))
                began = time.perf_counter()
                client.say(call_id, speaker, text).raise_for_status()
                if speaker == "caller":
                    latencies.append((time.perf_counter() - began) * 1000)
            client.end(call_id).raise_for_status()
        return latencies

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return [ms for result in pool.map(operator, range(len(names))) for ms in result]


def web_process() -> psutil.Process | None:
    """The web app started by `web_app` (a child of this process), when there is exactly one."""
    found = [child for child in psutil.Process().children(recursive=True) if "bot.web" in " ".join(child.cmdline())]
    return found[0] if len(found) == 1 else None


def cpu_seconds(process: psutil.Process | None) -> float:
    """User and system CPU time of the process (all its threads), or 0."""
    if process is None:
        return 0.0
    times = process.cpu_times()
    return times.user + times.system


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def describe(name: str, latencies: list[float], pause: float, calls: int) -> str:
    pace = f"{0.5 * pause:g}–{1.5 * pause:g} s between utterances" if pause else "utterances back to back"
    return (f"hotline suggestions on {name}, {calls} concurrent calls with their panels open, {pace}: "
            f"n={len(latencies)} p50={percentile(latencies, 0.5):.0f} ms p95={percentile(latencies, 0.95):.0f} ms "
            f"mean={statistics.mean(latencies):.0f} ms (target p95 < {TARGET_P95_MS} ms on {CORES} cores)")


def bench(name: str, database: str, *, calls: int, calls_each: int, pause: float) -> None:
    migrate.upgrade(database)
    with tempfile.TemporaryDirectory(prefix="bench-hotline-") as work, web_app(database, Path(work)) as base:
        measure(name, base, database, calls=calls, calls_each=calls_each, pause=pause)


def measure(name: str, base: str, database: str, *, calls: int, calls_each: int, pause: float) -> None:
    """The paced and the back-to-back figures of a running web app (HOTLINE_SECRET=SECRET) on
    that (migrated) database."""
    names = operators(database, calls)
    stop, events = threading.Event(), []
    panels = [threading.Thread(target=panel, args=(base, n, stop, events), daemon=True) for n in names]
    for thread in panels:
        thread.start()
    run(base, names[:2], calls_each=1, pause=0)  # warms up the caches, not counted
    paced = run(base, names, calls_each=calls_each, pause=pause)
    print(describe(name, paced, pause, calls), flush=True)
    web = web_process()
    used = cpu_seconds(web)
    flat_out = run(base, names, calls_each=1, pause=0)
    cpu = f"; the web app's CPU per caller utterance {(cpu_seconds(web) - used) * 1000 / len(flat_out):.1f} ms" \
        if web else ""
    print(describe(name, flat_out, 0, calls) + cpu, flush=True)
    stop.set()
    print(f"  panels received {len(events)} pushed updates", flush=True)


def report(calls: int = 20, calls_each: int = 2, pause: float = 1.0) -> None:
    """The bench on SQLite and on PostgreSQL (fsync on); one pair of lines for each."""
    with tempfile.TemporaryDirectory(prefix="bench-hotline-db-") as work:
        bench("SQLite", f"sqlite:///{Path(work) / 'intake.db'}", calls=calls, calls_each=calls_each, pause=pause)
    with PostgresServer(durable=True) as server:
        bench("PostgreSQL", server.create_database("bench_hotline"), calls=calls, calls_each=calls_each,
              pause=pause)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20, help="concurrent calls (and panels)")
    parser.add_argument("--calls-each", type=int, default=2, help="calls each simulated operator takes")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between a call's utterances")
    args = parser.parse_args()
    report(args.calls, args.calls_each, args.pause)


if __name__ == "__main__":
    main()
