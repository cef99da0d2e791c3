"""A stand-in for the Rasa server in tests of the chat page's waiting: the project's REST channel
(bot.channels.rest) as Rasa mounts it, whose turns wait until a file exists (so a turn is as slow
as the test wants, without timing) and answer "答复：<text>". GET /turns counts the turns run per
message id. `python tests/slow_rasa.py PORT RELEASE_FILE` (RASA_TOKEN in the environment)."""
from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path

from rasa.core.channels.channel import UserMessage
from sanic import Sanic, response

from bot.channels.rest import OnceRestInput


def make_app(release: Path) -> Sanic:
    turns: Counter[str] = Counter()

    async def on_new_message(message: UserMessage) -> None:
        turns[message.message_id] += 1
        while not release.exists():
            await asyncio.sleep(0.05)
        await message.output_channel.send_text_message(message.sender_id, f"答复：{message.text}")

    app = Sanic("slow_rasa")
    app.blueprint(OnceRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")

    @app.get("/turns")
    async def counted(_request):  # type: ignore[no-untyped-def]
        return response.json(dict(turns))

    return app


if __name__ == "__main__":
    make_app(Path(sys.argv[2])).run(host="127.0.0.1", port=int(sys.argv[1]), access_log=False, motd=False)
