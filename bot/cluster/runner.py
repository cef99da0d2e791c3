"""The scaled topology on loopback (bot.cluster.topology): PostgreSQL and Redis with their data
under a directory of their own, several Rasa servers, action servers and web workers, HAProxy in
front. Used by `make run-cluster`, the cluster tests and `make bench`."""
from __future__ import annotations

import csv
import os
import secrets
import shutil
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

import psycopg2

from bot.cluster import topology as topo
from bot.channels.services import actions_command, rasa_command
from bot.cluster.supervisor import START_TIMEOUT_SECONDS, Child, Supervisor
from bot.core import migrate
from bot.core.testing import PostgresServer, RedisServer, free_port
from bot.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
MODEL = PROJECT_ROOT / "models" / "current.tar.gz"


class HaproxyMissing(RuntimeError):
    pass


def haproxy_binary() -> str:
    binary = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if binary is None:
        raise HaproxyMissing("HAProxy is not installed. Run `make cluster-deps` (Debian's haproxy "
                             "package); `make run-cluster` and `make test` do it.")
    return binary


def free_ports(count: int) -> tuple[int, ...]:
    """`count` loopback ports, all different from each other and from any handed out before."""
    return tuple(free_port() for _ in range(count))


BACKENDS = ("rasa_servers", "action_servers", "web_workers")


def balanced(stats_csv_url: str) -> bool:
    """True when HAProxy's statistics (CSV) show every checked server of BACKENDS up."""
    try:
        with urllib.request.urlopen(stats_csv_url, timeout=2) as resp:
            text = resp.read().decode()
    except OSError:
        return False
    rows = list(csv.reader(text.lstrip("# ").splitlines()))
    if not rows:
        return False
    head = rows[0]
    proxy, server, status = head.index("pxname"), head.index("svname"), head.index("status")
    checked = [row for row in rows[1:] if len(row) > status and row[proxy] in BACKENDS
               and row[server] not in ("FRONTEND", "BACKEND") and not row[server].endswith("-anyway")]
    return bool(checked) and all(row[status].startswith("UP") for row in checked)


class Cluster:
    """`with Cluster(root, Topology(rasa=2, ...)) as cluster:`; `cluster.supervisor.kill("rasa1")`.
    PostgreSQL's data is kept under `root` with `keep_data`, else in a temporary directory."""

    def __init__(self, root: Path, topology: topo.Topology, env: dict[str, str] | None = None,
                 model: Path = MODEL, durable: bool = True, keep_data: bool = False,
                 start_timeout: float = START_TIMEOUT_SECONDS) -> None:
        self.root = root
        self.model = model
        if not topology.backend_ports:
            count = topology.rasa + topology.actions + topology.web
            topology = topo.Topology(topology.rasa, topology.actions, topology.web, topology.ports,
                                     free_ports(count))
        self.topology = topology
        self.base_env = dict(env if env is not None else os.environ)
        # The services' shared secrets (README "Threat model"): from the environment (make
        # run-cluster reads var/local.env), else made for this cluster alone.
        for name in ("RASA_TOKEN", "ACTION_SECRET"):
            self.base_env[name] = self.base_env.get(name) or secrets.token_hex(32)
        self.postgres = PostgresServer(durable=durable, root=root / "postgres" if keep_data else None,
                                       port=topology.ports.postgres)
        self.redis = RedisServer(root / "redis", durable=durable, port=topology.ports.redis)
        self.supervisor = Supervisor()
        self.start_timeout = start_timeout

    @property
    def registry_url(self) -> str:
        return self.topology.postgres_url(topo.REGISTRY_DB)

    def env(self) -> dict[str, str]:
        """What every process of the cluster is given."""
        return {
            **self.base_env,
            "DATABASE_URL": self.registry_url,
            "REDIS_URL": self.topology.redis_url(0),
            "RASA_URL": f"http://127.0.0.1:{self.topology.ports.rasa}",
            "SQL_POOL_SIZE": str(topo.SQL_POOL_SIZE),
            "SQL_MAX_OVERFLOW": str(topo.SQL_MAX_OVERFLOW),
            "TICKET_LOCK_LIFETIME": str(topo.TICKET_LOCK_LIFETIME_SECONDS),
            **topo.RASA_ACTION_CALL_ENV,
            "SANIC_HOST": "127.0.0.1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def start(self) -> "Cluster":
        logs = self.root / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.postgres.start()
        self._create_databases()
        self.redis.__enter__()
        migrate.upgrade(self.registry_url)
        endpoints = self.root / "endpoints.yml"
        endpoints.write_text(topo.endpoints_yaml(self.topology), encoding="utf-8")
        haproxy_cfg = self.root / "haproxy.cfg"
        haproxy_cfg.write_text(topo.haproxy_cfg(self.topology), encoding="utf-8")
        for child in self._children(endpoints, haproxy_cfg, logs):
            self.supervisor.add(child)
        self.supervisor.start(self.start_timeout)
        self.wait_balanced(self.start_timeout)
        return self

    def wait_balanced(self, timeout: float) -> None:
        """Until HAProxy's own checks have found every Rasa, action and web process up: a process
        answering its check is not yet one HAProxy sends requests to (2 checks, 2 s apart), and a
        request sent before then went to the unchecked backups."""
        deadline = time.monotonic() + timeout
        while not balanced(f"http://127.0.0.1:{self.topology.ports.stats}/;csv"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"HAProxy did not find every process up within {timeout:.0f} s")
            time.sleep(0.3)

    def _create_databases(self) -> None:
        connection = psycopg2.connect(host="127.0.0.1", port=self.postgres.port, user="postgres", dbname="postgres")
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                for name in (topo.TRACKER_DB, topo.REGISTRY_DB):
                    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                    if cursor.fetchone() is None:
                        cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()

    def _children(self, endpoints: Path, haproxy_cfg: Path, logs: Path) -> list[Child]:
        env, t = self.env(), self.topology
        children = [
            Child(f"actions{i}", actions_command(port), env, logs / f"actions{i}.log",
                  f"http://127.0.0.1:{port}/health")
            for i, port in enumerate(t.action_ports, 1)
        ]
        children += [
            Child(f"rasa{i}", rasa_command(port, self.model, endpoints, PROJECT_ROOT / "credentials.yml"),
                  env, logs / f"rasa{i}.log", f"http://127.0.0.1:{port}{topo.READY_PATH}")
            for i, port in enumerate(t.rasa_ports, 1)
        ]
        children += [
            Child(f"web{i}", [str(BIN / "python"), "-m", "bot.web"], {**env, "WEB_PORT": str(port)},
                  logs / f"web{i}.log", f"http://127.0.0.1:{port}/healthz")
            for i, port in enumerate(t.web_ports, 1)
        ]
        children.append(Child("haproxy", [haproxy_binary(), "-db", "-f", str(haproxy_cfg)], env,
                              logs / "haproxy.log", f"http://127.0.0.1:{t.ports.stats}/"))
        return children

    def stop(self) -> None:
        names = list(self.supervisor.children)
        order = [n for n in names if n == "haproxy"] + [n for n in names if n != "haproxy"]
        self.supervisor.stop(order)
        self.redis.__exit__()
        self.postgres.stop()

    def __enter__(self) -> "Cluster":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
