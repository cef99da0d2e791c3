"""Starts the Rasa server without a secret on its command line: `python -m bot.channels.rasa_server
run …` takes Rasa's own arguments, and with --enable-api adds the API token from RASA_TOKEN
inside the process (the process list shows only what was typed). It refuses --auth-token on the
command line, and --enable-api without RASA_TOKEN (the API would be open to anyone).

It also caps a request's body (SANIC_REQUEST_MAX_SIZE, 1 MB unless set): Rasa's default is
100 MB, which its channels would read whole into memory.
"""
from __future__ import annotations

import os
import sys

REQUEST_MAX_BYTES = 1024 * 1024


def rasa_argv(args: list[str], environ: dict[str, str] | os._Environ) -> list[str]:
    if any(arg == "--auth-token" or arg.startswith("--auth-token=") for arg in args):
        raise SystemExit("不要把 --auth-token 写在命令行上（进程列表里人人可见）：请设置环境变量 RASA_TOKEN。")
    if "--enable-api" not in args:
        return ["rasa", *args]
    token = environ.get("RASA_TOKEN", "")
    if not token:
        raise SystemExit("--enable-api 需要环境变量 RASA_TOKEN（Rasa HTTP API 的访问令牌）。")
    return ["rasa", *args, "--auth-token", token]


def main() -> None:
    argv = rasa_argv(sys.argv[1:], os.environ)
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(REQUEST_MAX_BYTES))
    sys.argv = argv  # this process's own copy: /proc/<pid>/cmdline keeps what was typed
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
