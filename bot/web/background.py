"""A task that runs in each web worker while it serves (the database watchers), cancelled when it stops."""
from __future__ import annotations

from typing import Any, Callable, Coroutine

from sanic import Sanic


def run_while_serving(app: Sanic, name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    tasks: dict[str, Any] = {}

    async def start(app_: Sanic, _loop: Any) -> None:
        tasks[name] = app_.add_task(work())

    async def stop(_app: Sanic, _loop: Any) -> None:
        task = tasks.pop(name, None)
        if task is not None:
            task.cancel()

    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")
