"""The action server runs calls from Rasa only (rasa_sdk's Sanic extension hook, registered by
the project's rasa_sdk_plugins package).

- Every request to /webhook must carry the header X-Action-Secret equal to ACTION_SECRET; Rasa
  sends it from endpoints.yml (`action_endpoint.headers`). Without it: 401; while ACTION_SECRET is
  unset every call is refused (503), so a forgotten secret never leaves the server open.
- A call that is not the JSON object Rasa sends (next_action, a tracker with sender_id, slots,
  latest_message and events) gets 400, not a 500.
- An action that fails answers 500 with a Chinese message, without echoing the request (rasa_sdk's
  own handler returns the whole tracker, personal data included).
/health and /actions stay open (health checks; the names of the actions are no secret).
"""
from __future__ import annotations

import json
import logging
import zlib
from typing import Any, Optional

import pluggy
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import replies
from bot.channels.shared_secret import error, refusal
from bot.settings import get_settings

logger = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")
HEADER = "X-Action-Secret"
# The biggest call Rasa makes is a long conversation's tracker with the domain: generous.
MAX_CALL_BYTES = 8 * 1024 * 1024
TRACKER_FIELDS = {"sender_id": str, "slots": dict, "latest_message": dict, "events": list}


def refused(request: Request) -> Optional[HTTPResponse]:
    """None when the request comes from Rasa (the shared secret), else the answer that refuses it."""
    return refusal(request.headers.get(HEADER) or "", get_settings().action_secret, "security.action_refused")


def well_formed(call: Any) -> bool:
    if not isinstance(call, dict) or not isinstance(call.get("next_action"), str):
        return False
    tracker = call.get("tracker")
    if not isinstance(tracker, dict):
        return False
    if not isinstance(call.get("domain", {}), dict):
        return False
    return all(isinstance(tracker.get(name, kind()), kind) if name != "sender_id"
               else isinstance(tracker.get(name), kind) for name, kind in TRACKER_FIELDS.items())


def _call(request: Request) -> Any:
    body = request.body or b""
    if len(body) > MAX_CALL_BYTES:
        return None
    try:
        if request.headers.get("Content-Encoding") == "deflate":
            body = zlib.decompressobj().decompress(body, MAX_CALL_BYTES + 1)
            if len(body) > MAX_CALL_BYTES:
                return None
        return json.loads(body)
    except (ValueError, zlib.error):
        return None


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    @app.on_request
    async def only_from_rasa(request: Request) -> Optional[HTTPResponse]:
        if request.path.rstrip("/") != "/webhook":
            return None
        refusing = refused(request)
        if refusing is not None:
            logger.warning("action call refused: no valid %s header", HEADER)
            return refusing
        if request.method == "POST" and not well_formed(_call(request)):
            return error("security.action_bad_call", 400)
        return None

    @app.exception(Exception)
    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        status = getattr(exception, "status_code", 500) or 500
        if status >= 500:
            logger.error("action server error on %s %s", request.method, request.path, exc_info=exception)
            return response.json({"error": replies.text("pages.server_error.text")}, status=500,
                                 ensure_ascii=False)
        return response.json({"error": replies.text(f"pages.{_KIND.get(status, 'bad_request')}.text")},
                             status=status, ensure_ascii=False)


_KIND = {404: "not_found", 405: "method", 413: "too_large"}
