"""Registration throughput of the intake registry: `python -m bot.measure.bench_intake` (also in `make bench`).

Concurrent clients (threads, each with its own registrations of distinct people) register on a
temporary SQLite file and on a temporary PostgreSQL cluster with its default durability (fsync
on); prints registrations per second, per-registration latency and the number of duplicate
受理编号 (must be 0). Target: at least 50 registrations/s.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from bot.core import migrate
from bot.core.db import session_factory, transaction
from bot.core.models import Application
from bot.intake.registry import ApplicationRequest, register
from bot.core.testing import SAMPLE_DISTRICT, PostgresServer, sample_id_number

TARGET_PER_SECOND = 50
FIRST_BIRTHDAY = dt.date(1950, 1, 1)


@dataclass(frozen=True)
class Result:
    registrations: int
    seconds: float
    latencies_ms: list[float]
    duplicate_numbers: int  # among the numbers returned, and among the rows stored

    @property
    def per_second(self) -> float:
        return self.registrations / self.seconds


def sample_request(index: int) -> ApplicationRequest:
    """A registration of a distinct made-up person."""
    return ApplicationRequest(
        channel="web", conversation_id=f"bench-{index}", request_key="apply", name="测试居民",
        mobile=f"139{index:08d}"[-11:],
        id_number=sample_id_number(index, born=FIRST_BIRTHDAY + dt.timedelta(days=index // 1000)),
        address="解放路街道幸福小区3号楼2单元501室", district=SAMPLE_DISTRICT, programs=["dibao"],
        consent=True, region="山西省运城市",
    )


def run(url: str, *, registrations: int, clients: int) -> Result:
    """`registrations` spread over `clients` threads that all start at once, on a migrated database."""
    migrate.upgrade(url)
    factory = session_factory(url)
    requests = [sample_request(i) for i in range(registrations)]
    start = threading.Barrier(clients + 1)

    def client(offset: int) -> list[tuple[str, float]]:
        start.wait()
        results = []
        for request in requests[offset::clients]:
            began = time.perf_counter()
            number = register(request, factory=factory).number
            results.append((number, (time.perf_counter() - began) * 1000))
        return results

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(client, offset) for offset in range(clients)]
        start.wait()
        began = time.perf_counter()
        outcomes = [item for future in futures for item in future.result()]
        seconds = time.perf_counter() - began
    numbers = [number for number, _ms in outcomes]
    with transaction(factory) as session:
        stored = session.execute(select(func.count(), func.count(func.distinct(Application.number)))).one()
    factory.kw["bind"].dispose()
    duplicates = (len(numbers) - len(set(numbers))) + (stored[0] - stored[1])
    return Result(len(numbers), seconds, [ms for _number, ms in outcomes], duplicates)


def describe(name: str, result: Result, clients: int) -> str:
    latencies = sorted(result.latencies_ms)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    return (f"intake registration on {name}, {clients} concurrent clients: {result.registrations} in "
            f"{result.seconds:.1f} s = {result.per_second:.0f} registrations/s "
            f"(p50 {statistics.median(latencies):.0f} ms, p95 {p95:.0f} ms); "
            f"duplicate 受理编号: {result.duplicate_numbers} "
            f"(target ≥ {TARGET_PER_SECOND}/s and 0 duplicates)")


def report(registrations: int = 1000, clients: int = 20) -> None:
    """Runs the benchmark on SQLite and on PostgreSQL and prints one line for each."""
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as work:
        sqlite = run(f"sqlite:///{Path(work) / 'intake.db'}", registrations=registrations, clients=clients)
        print(describe("SQLite", sqlite, clients), flush=True)
    with PostgresServer(durable=True) as server:
        postgres = run(server.create_database("bench"), registrations=registrations, clients=clients)
        print(describe("PostgreSQL", postgres, clients), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=1000, help="per database")
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    report(args.registrations, args.clients)


if __name__ == "__main__":
    main()
