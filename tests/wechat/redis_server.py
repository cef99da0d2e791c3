"""A Redis server private to the test session, on a free loopback port, nothing written to disk."""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import redis

from bot.core.testing import free_port

START_TIMEOUT_SECONDS = 20


class RedisMissing(RuntimeError):
    pass


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisMissing("redis-server is not installed. Run `make redis-deps` (Debian's "
                               "redis-server package); `make test` does it.")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(workdir)],
            stdout=(workdir / "redis.log").open("w"), stderr=subprocess.STDOUT,
        )

    def __enter__(self) -> "RedisServer":
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    self.__exit__()
                    raise RedisMissing("redis-server did not start") from None
                time.sleep(0.1)

    def __exit__(self, *_exc: object) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
