"""Private PostgreSQL and Redis servers for the tests, the bench and `make run-cluster`: each on a
free loopback port (or a given one), trust authentication. A temporary directory is removed when
the server stops; a given directory (var/cluster/...) keeps its data for the next start.

The binaries come from Debian's postgresql and redis-server packages (`make pg-deps redis-deps`).
PostgreSQL refuses to run as root, so under root the cluster belongs to the `postgres` system user
and runs through runuser.
"""
from __future__ import annotations

import atexit
import datetime as dt
import os
import random
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import psycopg2
import redis

DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
START_ATTEMPTS = 3
START_TIMEOUT_SECONDS = 60
REDIS_START_TIMEOUT_SECONDS = 20
# Tests need no durability; the bench keeps PostgreSQL's defaults (fsync on) to be honest.
FAST_SETTINGS = ("fsync=off", "full_page_writes=off")


# Two 乡镇/街道 names for test and bench data.
SAMPLE_DISTRICT = "解放路街道"
OTHER_SAMPLE_DISTRICT = "城关镇"


def sample_id_number(serial: int, born: dt.date = dt.date(1960, 1, 1), region: str = "140802") -> str:
    """A valid made-up ID number: region code, birth date, 3-digit serial, check character.

    The check character is computed the recursive ISO 7064 way, apart from bot.core.privacy."""
    first17 = f"{region}{born:%Y%m%d}{serial % 1000:03d}"
    p = 0
    for digit in first17:
        p = (p + int(digit)) * 2 % 11
    check = (12 - p) % 11
    return first17 + ("X" if check == 10 else str(check))


class PostgresMissing(RuntimeError):
    pass


def postgres_bin_dir() -> Path:
    """The directory with initdb and pg_ctl: the newest Debian version, else the PATH."""
    debian = sorted(Path("/").glob(DEBIAN_BIN_GLOB.lstrip("/")), key=_major_version, reverse=True)
    for directory in debian:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb).parent
    raise PostgresMissing(
        "PostgreSQL is not installed: no initdb and pg_ctl in /usr/lib/postgresql/*/bin or on the "
        "PATH. Run `make pg-deps` (installs Debian's postgresql package); `make test` does it."
    )


def _major_version(directory: Path) -> int:
    match = re.fullmatch(r"\d+", directory.parent.name)
    return int(match.group()) if match else 0


# Ports are chosen below the kernel's ephemeral range. A port the kernel hands out for bind(0) comes
# from that range, which is also where every outgoing connection (a client of PostgreSQL or Redis,
# a health check) gets its local port: one taken between choosing a port and the server binding it
# stopped a cluster's action server with "address already in use" on CI.
PORT_FLOOR = 20000
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_handed_out: set[int] = set()


def _ephemeral_start() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A loopback port free now, outside the ephemeral range, and never handed out before by this
    process, so the ports of one cluster or one test session are all different."""
    top = _ephemeral_start()
    if top - PORT_FLOOR >= 1000:
        pick = random.SystemRandom()
        for _ in range(2000):
            port = pick.randrange(PORT_FLOOR, top)
            if port not in _handed_out and _bindable(port):
                _handed_out.add(port)
                return port
    while True:  # a machine whose ephemeral range starts low: the kernel's choice, still distinct
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


class PostgresServer:
    """`with PostgresServer() as server: server.url("postgres")`. With `root`, the cluster lives
    there and is kept; `port` fixes the port instead of a free one."""

    def __init__(self, *, durable: bool = False, root: Path | None = None, port: int = 0,
                 max_connections: int = 300) -> None:
        self.durable = durable
        self.bin_dir = postgres_bin_dir()
        self.port = port
        self.max_connections = max_connections
        self.kept_root = root
        self.root: Path | None = None

    @property
    def data_dir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> "PostgresServer":
        if self.kept_root is not None:
            self.root = self.kept_root
            self.root.mkdir(parents=True, exist_ok=True)
        else:
            self.root = Path(tempfile.mkdtemp(prefix="intake-pg-"))
        self._hand_to_postgres_user(self.root)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "-A", "trust",
                      "-E", "UTF8", "--no-locale", "--no-sync")
        atexit.register(self.stop)
        fixed_port = self.port
        for attempt in range(START_ATTEMPTS):
            self.port = fixed_port or free_port()
            try:
                self.resume()
                return self
            except RuntimeError:
                if attempt == START_ATTEMPTS - 1:
                    raise
        return self

    def resume(self) -> None:
        """Starts the server again on its port (after `halt`)."""
        assert self.root is not None
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.root / "server.log"),
                  "-w", "-t", str(START_TIMEOUT_SECONDS), "-o", self._server_options(), "start")

    def halt(self) -> None:
        """Stops the server at once (as a crash would), keeping its data: `resume` starts it again."""
        if self.root is not None and (self.data_dir / "postmaster.pid").exists():
            subprocess.run(self._command("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"),
                           capture_output=True, check=False)

    def _server_options(self) -> str:
        settings = ["listen_addresses=127.0.0.1", f"max_connections={self.max_connections}"]
        settings += [] if self.durable else list(FAST_SETTINGS)
        return f"-p {self.port} -k {self.root} " + " ".join(f"-c {setting}" for setting in settings)

    def stop(self) -> None:
        if self.root is None:
            return
        if self.kept_root is not None:
            subprocess.run(self._command("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop"),
                           capture_output=True, check=False)
        else:
            self.halt()
            shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> "PostgresServer":
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (a copy of `template` if given); its URL."""
        clause = f' TEMPLATE "{template}"' if template else ""
        self._admin(f'CREATE DATABASE "{name}"{clause}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    def _hand_to_postgres_user(self, directory: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(directory, user="postgres", group="postgres")
            for parent in directory.resolve().parents:  # the postgres user must reach it
                mode = parent.stat().st_mode
                if not mode & stat.S_IXOTH:
                    parent.chmod(mode | stat.S_IXOTH)

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / program), *args]
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(self._command(program, *args), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            log_file = self.root / "server.log" if self.root else None
            server_log = log_file.read_text()[-2000:] if log_file and log_file.exists() else ""
            raise RuntimeError(f"{program} failed ({result.returncode}): {result.stderr[-2000:]}{server_log}")


class RedisMissing(RuntimeError):
    pass


class RedisServer:
    """`with RedisServer(directory) as server: server.url`. Nothing is written to disk unless
    `durable` (append-only file in the directory, for `make run-cluster`)."""

    def __init__(self, workdir: Path, *, durable: bool = False, port: int = 0) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise RedisMissing("redis-server is not installed. Run `make redis-deps` (Debian's "
                               "redis-server package); `make test` does it.")
        self.workdir = workdir
        self.durable = durable
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen | None = None

    def resume(self) -> None:
        persistence = ["--appendonly", "yes"] if self.durable else ["--appendonly", "no"]
        self._process = subprocess.Popen(
            [self.binary or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", *persistence, "--dir", str(self.workdir)],
            stdout=(self.workdir / "redis.log").open("a"), stderr=subprocess.STDOUT,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + REDIS_START_TIMEOUT_SECONDS
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    self.halt()
                    raise RedisMissing(f"redis-server did not start (see {self.workdir / 'redis.log'})") from None
                time.sleep(0.1)

    def halt(self) -> None:
        """Kills the server (as a crash would); `resume` starts it again on the same port."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)

    def __enter__(self) -> "RedisServer":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.resume()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
