"""A Rasa process answers its first message as fast as the next: warmed before it says it is ready.

Right after the model is loaded, the first message of a process took seconds more than the
next ones: TensorFlow builds the NLU's and the policies' graphs on their first prediction,
jieba reads its dictionary, the tracker store opens its first connection, and the action server
builds its policy search on its first call. On WeChat that first turn could miss the 4-second
budget and go by the customer-service API. So, once the server has started, a conversation
that is never saved is run through the whole turn (NLU, session start, the policies, the action
server's policy answer), and only then does the readiness route answer 200:

    GET /webhooks/rest/    503 {"status": "warming_up"} until then, then 200 {"status": "ok"}

HAProxy's health check, the Kubernetes readiness probe and `make run`'s ready line use it; Rasa's
own `/` stays the liveness check (the process is up). Warming that fails (the action server not
up yet) is logged and the process is declared ready all the same: it answers as it would have.
WARM_UP=0 skips the warming (ready at once, as before).
"""
from __future__ import annotations

import logging
import time
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.settings import get_settings

logger = logging.getLogger(__name__)
# Never a real conversation's id (the REST channel accepts [A-Za-z0-9_-], WeChat's are OpenIDs),
# and never saved: the tracker lives only in memory during the warm-up.
SENDER = "warm-up.never-saved"
# A greeting, then a policy question: the NLU, the policies and the action server's search.
TEXTS = ("你好", "宁夏低保标准是多少")


class Readiness:
    """Whether this process has warmed up (one per process: Rasa runs one server)."""

    def __init__(self) -> None:
        self.ready = False
        self.seconds: float | None = None  # how long the warm-up took


readiness = Readiness()


async def warm_up(agent: Any) -> None:
    """Runs TEXTS through the agent's whole turn on a tracker that is never saved, then marks the
    process ready (also when warming failed, or when there is no agent to warm)."""
    began = time.monotonic()
    try:
        processor = getattr(agent, "processor", None)
        if processor is not None and get_settings().warm_up:
            output = CollectingOutputChannel()
            tracker = await processor.fetch_tracker_and_update_session(SENDER, output)
            for text in TEXTS:
                message = UserMessage(text, output, SENDER, input_channel="rest")
                await processor._handle_message_with_tracker(message, tracker)  # noqa: SLF001
                tracker = await processor.run_action_extract_slots(output, tracker)
                await processor._run_prediction_loop(output, tracker)  # noqa: SLF001
            logger.info("warmed up in %.1f s (%s replies)", time.monotonic() - began, len(output.messages))
    except Exception:  # the process answers as it would have without warming
        logger.exception("warming up failed; ready all the same")
    finally:
        readiness.seconds = time.monotonic() - began
        readiness.ready = True
