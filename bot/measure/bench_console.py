"""Staff console page times with 10,000 applications: `python -m bot.measure.bench_console` (also in
`make bench`).

A temporary registry (SQLite, then a temporary PostgreSQL cluster) is filled with 10,000
applications of the last year in 20 乡镇, a third accepted, a third closed, some overdue; the web
app (python -m bot.web) serves it. A supervisor and an intake staff member, logged in over HTTP,
load each page in turn: p50/p95 of the full page (server time plus transfer on loopback). Target:
p95 < 200 ms for the queue, the search and the dashboard.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import requests
from sqlalchemy import insert

from bot.core import migrate, versions
from bot.core.calendar import local_now, utc_start_of
from bot.core.db import session_factory, transaction
from bot.core.models import (
    ACCEPTED, CLOSED, REGISTERED, Applicant, Application, StatusChange,
)
from bot.core.testing import PostgresServer, sample_id_number
from bot.intake import staff
from bot.measure.bench_hotline import percentile, web_app

APPLICATIONS = 10_000
DISTRICTS = [f"第{i:02d}镇" for i in range(1, 21)]
PROGRAMS = ["dibao", "tekun", "temporary_assistance", "dibao_individual"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
PASSWORD = "bench-console-2026"
TARGET_P95_MS = 200
ROUNDS = 60
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def fill(database: str, count: int = APPLICATIONS, seed: int = 7) -> dict[str, str]:
    """The registry with `count` applications and the staff; a 受理编号 and a name to search for."""
    migrate.upgrade(database)
    factory = session_factory(database)
    supervisor = staff.create_user("boss", "主管", PASSWORD, "supervisor", factory=factory)
    clerk = staff.create_user("clerk", "受理员", PASSWORD, "intake", DISTRICTS[0], factory=factory)
    rng = random.Random(seed)
    today = local_now().date()
    applications, applicants, changes = [], [], []
    for index in range(1, count + 1):
        day = today - dt.timedelta(days=rng.randrange(365))
        created = utc_start_of(day) + dt.timedelta(hours=1 + rng.random() * 9)
        fate = rng.random()
        status = REGISTERED if fate < 0.34 else ACCEPTED if fate < 0.67 else CLOSED
        district = DISTRICTS[index % len(DISTRICTS)]
        applications.append({
            "id": index, "number": f"SJ{day:%Y%m%d}-{index:05d}", "channel": "web",
            "conversation_id": f"bench-{index}", "request_key": "apply", "status": status,
            "region": "山西省运城市", "district": district, "programs": [rng.choice(PROGRAMS)],
            "consent": True, "consent_at": created,
            "assignee_id": clerk.id if status != REGISTERED and district == DISTRICTS[0] else None,
            "due_date": None if status == CLOSED else day + dt.timedelta(days=rng.randrange(5, 60)),
            "created_at": created, "updated_at": created, "version": 1,
        })
        person = Applicant(application_id=index, address="东街村3组12号",
                           name=rng.choice(SURNAMES) + rng.choice("秀建国华明丽强芳") + rng.choice("英兰军平伟霞"))
        person.mobile, person.id_number = f"139{index:08d}", sample_id_number(index)  # encrypted, with digests
        applicants.append({column.name: getattr(person, column.name) for column in Applicant.__table__.columns
                           if column.name != "id"})
        changes.append({"application_id": index, "from_status": None, "to_status": REGISTERED,
                        "actor_name": "居民", "created_at": created})
        if status != REGISTERED:
            accepted = created + dt.timedelta(hours=rng.randrange(2, 96))
            changes.append({"application_id": index, "from_status": REGISTERED, "to_status": ACCEPTED,
                            "actor_id": clerk.id, "actor_name": clerk.display_name, "created_at": accepted})
        if status == CLOSED:
            changes.append({"application_id": index, "from_status": ACCEPTED, "to_status": CLOSED,
                            "actor_id": supervisor.id, "actor_name": supervisor.display_name,
                            "created_at": accepted + dt.timedelta(days=rng.randrange(1, 40))})
    for row in changes:
        row.setdefault("actor_id", None)
    with transaction(factory) as session:
        session.execute(insert(Application.__table__), applications)
        session.execute(insert(Applicant.__table__), applicants)
        session.execute(insert(StatusChange.__table__), changes)
    factory.kw["bind"].dispose()
    return {"number": applications[count // 2]["number"], "name": applicants[count // 3]["name"],
            "mobile": f"139{count // 4:08d}", "id_number": sample_id_number(count // 5)}


def logged_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/console/login", timeout=30)
    token = CSRF_RE.search(page.text).group(1)
    answer = session.post(f"{base}/console/login", data={"csrf_token": token, "username": username,
                                                         "password": PASSWORD}, timeout=30)
    answer.raise_for_status()
    return session


def timed(get: Callable[[], requests.Response], rounds: int,
          before: Callable[[], None] | None = None, *, warm: bool = True) -> list[float]:
    if warm:
        get()
    samples = []
    for _ in range(rounds):
        if before is not None:
            before()  # not timed
        started = time.perf_counter()
        response = get()
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{response.url} answered {response.status_code}")
    return samples


# The dashboard keeps its figures until the registry changes (bot.core.versions): these lines
# change the registry before every request, so each one counts the figures afresh.
CHANGED = "just after a change to the registry, "


def a_change(database: str) -> Callable[[], None]:
    """Raises the applications' version, as any change to an application does."""
    factory = session_factory(database)

    def change() -> None:
        with transaction(factory) as session:
            versions.bump(session, versions.APPLICATIONS)

    return change


def pages(found: dict[str, str]) -> list[tuple[str, str, str]]:
    """(who, page name, path) of the pages measured."""
    year_ago = (local_now().date() - dt.timedelta(days=364)).isoformat()
    return [
        ("boss", "queue 全部 (newest first)", "/console/queue/all"),
        ("boss", "queue 全部 by 办理时限, due today or overdue", "/console/queue/all?due=soon&sort=due"),
        ("boss", "search by 受理编号", f"/console/queue/all?q={found['number']}"),
        ("boss", "search by name", f"/console/queue/all?q={found['name']}"),
        ("boss", "search by mobile (keyed hash)", f"/console/queue/all?q={found['mobile']}"),
        ("boss", "search by ID number (keyed hash)", f"/console/queue/all?q={found['id_number']}"),
        ("boss", "dashboard, 30 days", "/console/dashboard"),
        ("boss", "dashboard, a year", f"/console/dashboard?from={year_ago}"),
        ("boss", CHANGED + "dashboard, 30 days", "/console/dashboard"),
        ("boss", CHANGED + "dashboard, a year", f"/console/dashboard?from={year_ago}"),
        ("boss", "到期提醒", "/console/due"),
        ("clerk", "queue 新申请 (one 乡镇)", "/console/queue/new"),
        ("clerk", "live update (one message of the stream)", "/console/api/updates"),
    ]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f})"


def fill_with(root: Path, database: str) -> None:
    """The same registry as fill(), made by the code (and the migrations) of another checkout."""
    code = "import sys; from bot.measure.bench_console import fill; fill(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, database], cwd=root, check=True, timeout=1800)


def bench(name: str, database: str, rounds: int, reference: tuple[Path, str] | None = None) -> None:
    """Each page `rounds` times. With a reference (another checkout of the project and a database
    of its own), its web app serves the same registry beside this one, and the two are asked in
    turn, request by request, so that both figures are measured under the same load."""
    found = fill(database)
    if reference is not None:
        fill_with(*reference)
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-console-")))
        apps = {"after": stack.enter_context(web_app(database, _mkdir(work / "after")))}
        changes = {"after": a_change(database)}
        if reference is not None:
            root, reference_db = reference
            apps = {"before": stack.enter_context(web_app(reference_db, _mkdir(work / "before"), root=root)), **apps}
            changes["before"] = a_change(reference_db)
        sessions = {(side, who): logged_in(base, who) for side, base in apps.items() for who in ("boss", "clerk")}
        reference_times = timed(lambda: requests.get(f"{apps['after']}/healthz", timeout=60), rounds)
        print(f"console on {name} ({load()}): reference /healthz (no database) in the same run: "
              f"p50={percentile(reference_times, 0.5):.0f} ms p95={percentile(reference_times, 0.95):.0f} ms",
              flush=True)
        for who, label, path in pages(found):
            samples: dict[str, list[float]] = {side: [] for side in apps}
            for side, base in apps.items():  # warm
                sessions[side, who].get(f"{base}{path}", timeout=60)
            for _ in range(rounds):
                for side, base in apps.items():
                    samples[side] += timed(lambda: sessions[side, who].get(f"{base}{path}", timeout=60), 1,
                                           changes[side] if label.startswith(CHANGED) else None, warm=False)
            figures = "; ".join(f"{side}: p50={percentile(values, 0.5):.0f} ms p95={percentile(values, 0.95):.0f} ms"
                                for side, values in samples.items())
            print(f"console on {name} with {APPLICATIONS:,} applications, {label}: n={rounds} {figures} "
                  f"(target p95 < {TARGET_P95_MS} ms; {load()})", flush=True)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def report(rounds: int = ROUNDS, reference: Path | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-console-db-") as work:
        bench("SQLite", f"sqlite:///{Path(work) / 'intake.db'}", rounds,
              (reference, f"sqlite:///{Path(work) / 'before.db'}") if reference else None)
    with PostgresServer(durable=True) as server:
        bench("PostgreSQL", server.create_database("bench_console"), rounds,
              (reference, server.create_database("bench_console_before")) if reference else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="requests per page")
    parser.add_argument("--reference", type=Path, default=None,
                        help="another checkout of the project (e.g. a git worktree of the previous commit): "
                             "its web app is measured beside this one, request by request, as 'before'")
    arguments = parser.parse_args()
    report(arguments.rounds, arguments.reference)


if __name__ == "__main__":
    main()
