"""The one check of a shared secret between the project's own services (Rasa's REST channel:
RASA_TOKEN from the web app; the action server: ACTION_SECRET from Rasa), answered in Chinese."""
from __future__ import annotations

import hmac
from typing import Optional

from sanic import response
from sanic.response import HTTPResponse

from bot import replies


def error(key: str, status: int) -> HTTPResponse:
    return response.json({"error": replies.text(key)}, status=status, ensure_ascii=False)


def refusal(given: str, secret: str, refused_key: str) -> Optional[HTTPResponse]:
    """None when `given` is the secret; 503 while no secret is set (closed, never open); else 401."""
    if not secret:
        return error("security.channel_unconfigured", 503)
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return error(refused_key, 401)
    return None
