"""How every start-up of the project (make run, the cluster, the tests, the benches) runs Rasa and
the action server, so that their secrets are handled one way:

- the Rasa server through bot.channels.rasa_server (the API token from RASA_TOKEN, never on the
  command line);
- the action server through bot.channels.action_server (rasa_sdk's own, with its keep-alive
  raised), guarded by bot.channels.action_guard (ACTION_SECRET, rasa_sdk's plugin hook);
- Rasa's action endpoint sending that secret (`action_endpoint_yaml`, with ${ACTION_SECRET} that
  Rasa reads from its environment).
"""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from bot.channels.action_guard import HEADER

PYTHON = str(Path(sys.executable))


def action_endpoint_yaml(url: str) -> str:
    return f"action_endpoint:\n  url: {url}\n  headers:\n    {HEADER}: ${{ACTION_SECRET}}\n"


def rasa_command(port: int, model: str | Path, endpoints: str | Path, credentials: str | Path,
                 *, api: bool = True, host: str = "127.0.0.1") -> list[str]:
    command = [PYTHON, "-m", "bot.channels.rasa_server", "run", "-i", host, "-p", str(port), "-m", str(model),
               "--endpoints", str(endpoints), "--credentials", str(credentials)]
    return command + (["--enable-api"] if api else [])


def actions_command(port: int) -> list[str]:
    return [PYTHON, "-m", "bot.channels.action_server", "--actions", "actions", "-p", str(port)]


def service_secrets(environ: dict[str, str] | None = None) -> dict[str, str]:
    """RASA_TOKEN and ACTION_SECRET from the environment, or new ones (a bench's own services)."""
    environ = dict(os.environ) if environ is None else environ
    return {name: environ.get(name) or secrets.token_hex(32) for name in ("RASA_TOKEN", "ACTION_SECRET")}


def rest_headers(environ: dict[str, str]) -> dict[str, str]:
    """What Rasa's REST channel asks of its one caller, the web app (bot.channels.rest)."""
    return {"Authorization": f"Bearer {environ['RASA_TOKEN']}"}
