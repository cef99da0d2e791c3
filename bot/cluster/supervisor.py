"""Keeps a set of processes running, as systemd or Kubernetes would: each is started, waited for
until its health URL answers, and started again (after a growing pause) when it dies."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)
START_TIMEOUT_SECONDS = 600
RESTART_PAUSES = (1.0, 2.0, 5.0, 10.0, 30.0)
STOP_TIMEOUT_SECONDS = 20
WATCH_SECONDS = 0.5


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status < 500
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    health_url: str
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0
    restart_at: float | None = None
    history: list[str] = field(default_factory=list)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT_ROOT, env=self.env, stdout=self.log.open("a"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.started_at = time.monotonic()

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)


class Supervisor:
    def __init__(self) -> None:
        self.children: dict[str, Child] = {}
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def add(self, child: Child) -> None:
        self.children[child.name] = child

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Starts every child, waits until each answers, then watches them."""
        for child in self.children.values():
            child.start()
        self.wait_healthy(list(self.children), timeout)
        self._watcher = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._watcher.start()

    def wait_healthy(self, names: list[str], timeout: float = START_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(names)
        while waiting:
            for name in list(waiting):
                child = self.children[name]
                if child.exited() and self._watcher is None:
                    tail = child.log.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{name} exited while starting:\n{tail}")
                if answers(child.health_url):
                    waiting.remove(name)
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"not answering after {timeout:.0f} s: {', '.join(waiting)}")
            time.sleep(0.3)

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash: the watcher starts it again."""
        child = self.children[name]
        assert child.process is not None
        os.kill(child.process.pid, signal.SIGKILL)

    def _watch(self) -> None:
        while not self._stopping.wait(WATCH_SECONDS):
            with self._lock:
                for child in self.children.values():
                    self._mind(child)

    def _mind(self, child: Child) -> None:
        now = time.monotonic()
        if child.restart_at is None and child.exited():
            assert child.process is not None
            pause = RESTART_PAUSES[min(child.restarts, len(RESTART_PAUSES) - 1)]
            if now - child.started_at > 60:
                pause = RESTART_PAUSES[0]  # it had been running fine: a fresh crash
            child.restart_at = now + pause
            note = f"{child.name} exited with {child.process.returncode}; starting again in {pause:.0f} s"
            child.history.append(note)
            logger.warning(note)
        elif child.restart_at is not None and now >= child.restart_at:
            child.restart_at = None
            child.restarts += 1
            child.start()

    def stop(self, order: list[str] | None = None) -> None:
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        with self._lock:
            for name in order or list(self.children):
                self.children[name].stop()
