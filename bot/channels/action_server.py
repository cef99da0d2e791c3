"""The action server: rasa_sdk's own (`python -m bot.channels.action_server --actions actions -p
5055`, the same arguments), with Sanic's keep-alive timeout raised so that a busy Rasa's call is
not cut off before Rasa has written it (see bot.channels.action_calls and
bot.cluster.topology). A value set in the
environment (SANIC_KEEP_ALIVE_TIMEOUT) wins. The policy search is built before the server
listens (warm_up), so its health check answers only once the first call would be fast."""
from __future__ import annotations

import logging
import os
import sys
import time

from bot.cluster.topology import ACTION_SERVER_ENV

log = logging.getLogger(__name__)


def warm_up() -> None:
    """The policy search (corpus, index, jieba) built before the server listens, so that its
    health check answering means its first call is as fast as the next: built on the first call,
    it added about 1.7 s to that turn (bot.channels.warmup warms the Rasa side). WARM_UP=0 skips
    it; a failure is logged and the server starts all the same."""
    from bot.settings import get_settings

    if not get_settings().warm_up:
        return
    began = time.monotonic()
    try:
        from bot.knowledge.service import get_policy_service

        get_policy_service().reply("宁夏低保标准是多少", None)
        # Printed: rasa_sdk sets logging up only when its server starts.
        print(f"action server warmed up in {time.monotonic() - began:.1f} s", file=sys.stderr, flush=True)
    except Exception:
        log.exception("warming the action server up failed; starting all the same")


def main() -> None:
    for name, value in ACTION_SERVER_ENV.items():
        os.environ.setdefault(name, value)
    warm_up()
    from rasa_sdk.__main__ import main as run_action_server  # Sanic reads the environment on import

    run_action_server()


if __name__ == "__main__":
    main()
