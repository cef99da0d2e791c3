"""Hotline suggestion latency: `python -m bot.measure.bench_hotline` (also in `make bench`).

The web app (python -m bot.web, the real policy corpus) runs on a temporary SQLite file and on
a temporary PostgreSQL cluster (fsync on). 20 simulated calls at once go through the signed
hotline endpoint, each replaying transcripts of tests/eval/hotline_calls.yml with a pause of
0.5–1.5 s between utterances (real speech-to-text segments come every few seconds; the calls are
not in step), while 20 operators' panels follow their calls over Server-Sent Events. Prints
p50/p95 of the time from posting a caller's utterance to receiving the suggestions, and the same
with no pause at all (every call posting back to back, the worst case). Target: p95 < 300 ms with
20 concurrent calls on 2 cores.

`--against COMMIT` compares this checkout with an earlier commit in one run: both web apps run at
once (the other one from `git archive COMMIT`, on the same virtualenv), and rounds of the
back-to-back load go to one and the other in turn (ABBA…), so that both see the same load on a
shared machine. It prints p50/p95 and each app's CPU time per caller utterance (which load
inflates far less than latency) with the load average before and after.
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


# The web app's process, by the base URL `web_app` gave it.
PROCESSES: dict[str, psutil.Process] = {}


@contextlib.contextmanager
def web_app(database: str, work: Path, root: Path = PROJECT_ROOT) -> Iterator[str]:
    """python -m bot.web (the code under `root`) on a free port, limited to 2 cores where the
    machine has more."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database, "HOTLINE_SECRET": SECRET, "WEB_PORT": str(port),
           "VAR_DIR": str(work), "COOKIE_SECURE": "0", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(root)}
    command = [sys.executable, "-m", "bot.web"]
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) > CORES and shutil.which("taskset"):
        command = ["taskset", "-c", ",".join(map(str, cores[:CORES])), *command]
    process = subprocess.Popen(command, cwd=root, env=env, stdout=(work / "web.log").open("w"),
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    PROCESSES[base] = psutil.Process(process.pid)  # taskset execs the app: the same process
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
        PROCESSES.pop(base, None)
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
    web = PROCESSES.get(base)
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


# ---- this checkout against an earlier commit, in one run ----

@contextlib.contextmanager
def checkout(commit: str) -> Iterator[Path]:
    """The files of `commit` (git archive) in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="bench-hotline-code-") as target:
        archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=PROJECT_ROOT,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", target], input=archive, check=True)
        yield Path(target)


def load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min)"


def ab_rounds(apps: dict[str, str], names: list[str], rounds: int) -> dict[str, tuple[list[float], float]]:
    """Rounds of back-to-back calls to each app in turn (ABBA…); the latencies (ms) and the CPU
    seconds each app used in its own rounds."""
    results: dict[str, tuple[list[float], float]] = {label: ([], 0.0) for label in apps}
    labels = list(apps)
    for number in range(rounds):
        for label in (labels if number % 2 == 0 else labels[::-1]):
            process = PROCESSES.get(apps[label])
            used = cpu_seconds(process)
            latencies = run(apps[label], names, calls_each=1, pause=0)
            spent, cpu = results[label]
            results[label] = (spent + latencies, cpu + cpu_seconds(process) - used)
    return results


def compare(against: str, calls: int = 20, rounds: int = 6) -> None:
    """This checkout and `against`, on SQLite and on PostgreSQL, the back-to-back load in turns."""
    short = subprocess.run(["git", "rev-parse", "--short", against], cwd=PROJECT_ROOT, capture_output=True,
                           text=True, check=True).stdout.strip()
    with checkout(against) as old_root, contextlib.ExitStack() as stack:
        server = stack.enter_context(PostgresServer(durable=True))
        for name in ("SQLite", "PostgreSQL"):
            apps: dict[str, str] = {}
            databases: dict[str, str] = {}
            for label, root in ((f"before ({short})", old_root), ("after (this checkout)", PROJECT_ROOT)):
                work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-hotline-")))
                database = f"sqlite:///{work / 'intake.db'}" if name == "SQLite" else \
                    server.create_database(f"bench_hotline_{len(databases)}_{name.lower()}")
                migrate.upgrade(database)
                databases[label] = database
                apps[label] = stack.enter_context(web_app(database, work, root))
            names = operators(next(iter(databases.values())), calls)
            for database in list(databases.values())[1:]:
                operators(database, calls)
            stop, events = threading.Event(), []
            for base in apps.values():
                for username in names:
                    threading.Thread(target=panel, args=(base, username, stop, events), daemon=True).start()
            for base in apps.values():
                run(base, names[:2], calls_each=1, pause=0)  # warms up the caches, not counted
            print(f"{name}, {calls} concurrent calls back to back with their panels open, {rounds} rounds "
                  f"each in turns; {load()} at the start", flush=True)
            for label, (latencies, cpu) in ab_rounds(apps, names, rounds).items():
                print(f"  {label}: n={len(latencies)} p50={percentile(latencies, 0.5):.0f} ms "
                      f"p95={percentile(latencies, 0.95):.0f} ms; the web app's CPU per caller utterance "
                      f"{cpu * 1000 / len(latencies):.1f} ms", flush=True)
            print(f"  {load()} at the end", flush=True)
            stop.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20, help="concurrent calls (and panels)")
    parser.add_argument("--calls-each", type=int, default=2, help="calls each simulated operator takes")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between a call's utterances")
    parser.add_argument("--against", metavar="COMMIT", help="compare with this commit, in one run")
    parser.add_argument("--rounds", type=int, default=6, help="with --against: rounds for each")
    args = parser.parse_args()
    if args.against:
        compare(args.against, args.calls, args.rounds)
    else:
        report(args.calls, args.calls_each, args.pause)


if __name__ == "__main__":
    main()
