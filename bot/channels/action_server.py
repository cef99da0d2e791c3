"""The action server: rasa_sdk's own (`python -m bot.channels.action_server --actions actions -p
5055`, the same arguments), with Sanic's keep-alive timeout raised so that a busy Rasa's call is
not cut off before Rasa has written it (see bot.channels.action_calls and
bot.cluster.topology). A value set in the
environment (SANIC_KEEP_ALIVE_TIMEOUT) wins."""
from __future__ import annotations

import os

from bot.cluster.topology import ACTION_SERVER_ENV


def main() -> None:
    for name, value in ACTION_SERVER_ENV.items():
        os.environ.setdefault(name, value)
    from rasa_sdk.__main__ import main as run_action_server  # Sanic reads the environment on import

    run_action_server()


if __name__ == "__main__":
    main()
