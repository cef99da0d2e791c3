"""Calls from Rasa to the action server: tried again once when the request never got through,
and a turn whose custom action failed anyway ends with an apology instead of silence.

Why calls failed under load (issue 14, "Cannot write to closing transport"): Rasa 3.6 opens a
new aiohttp session, hence a new connection, for every action call
(rasa.utils.endpoints.EndpointConfig.request). With 200 residents at once, Rasa's one event loop
is seconds behind: the connection is made, but the request is written only when the loop comes
back to that task. Sanic, which serves the action server, treats a connection that has sent
nothing yet as idle and closes it after KEEP_ALIVE_TIMEOUT (5 s by default); Rasa then writes to
a closed socket, logs the error, drops the action's events and goes on, so the resident got an
empty list. The action servers now run with a keep-alive timeout longer than that lag
(bot.cluster.topology.ACTION_SERVER_ENV, applied by bot.channels.action_server, which
starts them everywhere), and what remains is handled here:

- a call that got no answer (no connection, the connection closed before or while the request
  was written or without any answer, or a 502 from the balancer) is sent once more; every
  action of this assistant can be run twice safely (a registration is keyed by conversation and
  request, 转人工 finds the conversation's open ticket, the others read), and the cluster's HAProxy already
  retries such calls the same way (`retry-on conn-failure empty-response`);
- when it fails again (the action servers are down), Rasa goes on without the action's events
  as it always does, and the channel adds an apology and logs the failure (`handle_once`).
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
from typing import Any, Dict, Iterator, List, Optional

import aiohttp
import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

logger = logging.getLogger(__name__)

_failures: contextvars.ContextVar[Optional[List[str]]] = contextvars.ContextVar("action_failures", default=None)


def not_delivered(error: BaseException) -> bool:
    """The call got no answer from an action server: the connection failed or was closed before
    an answer began, or the balancer in front (HAProxy) answered 502 because the action server
    went away during the call. A read that timed out, or any answer of the action server itself,
    is not repeated."""
    if isinstance(error, ClientResponseError):
        return error.status == 502
    return isinstance(error, aiohttp.ClientConnectionError) and not isinstance(error, aiohttp.ServerTimeoutError)


class RetryingActionEndpoint(EndpointConfig):
    """Rasa's action endpoint, sending a call once more when it did not get through."""

    @classmethod
    def wrapping(cls, endpoint: EndpointConfig) -> "RetryingActionEndpoint":
        wrapped = cls(endpoint.url, endpoint.params, endpoint.headers, endpoint.basic_auth, endpoint.token,
                      endpoint.token_name, endpoint.cafile, **endpoint.kwargs)
        wrapped.type = endpoint.type
        return wrapped

    async def request(self, *args: Any, **kwargs: Any) -> Optional[Any]:
        try:
            return await super().request(*args, **dict(kwargs))
        except Exception as error:
            if not not_delivered(error):
                _record(error)
                raise
            logger.warning("action call did not get through (%s: %s): sending it once more",
                           type(error).__name__, error)
        try:
            return await super().request(*args, **dict(kwargs))
        except Exception as error:
            _record(error)
            raise


def _record(error: BaseException) -> None:
    failures = _failures.get()
    if failures is not None:
        failures.append(f"{type(error).__name__}: {error}")


def retrying_action_endpoint(agent: Any) -> None:
    """Puts the retrying endpoint in place of the agent's (once; again after a model reload makes
    a new processor)."""
    if agent is None:
        return
    endpoint = getattr(agent, "action_endpoint", None)
    if isinstance(endpoint, EndpointConfig) and not isinstance(endpoint, RetryingActionEndpoint):
        agent.action_endpoint = endpoint = RetryingActionEndpoint.wrapping(endpoint)
    processor = getattr(agent, "processor", None)
    if processor is not None and isinstance(endpoint, RetryingActionEndpoint) \
            and not isinstance(processor.action_endpoint, RetryingActionEndpoint):
        processor.action_endpoint = endpoint


def checked_once_action_results() -> None:
    """Rasa 3.6 checks every answer of the action server with `jsonschema.validate`, which first
    checks Rasa's schema itself against JSON Schema's meta-schema, on every call: measured with
    py-spy under load, 40% of the Rasa server's CPU time per message went there. The same check
    is now made with one validator built once for that schema (the same errors, the same message)."""
    if getattr(RemoteAction._validate_action_result, "checked_once", False):  # noqa: SLF001
        return
    RemoteAction._validate_action_result = _validate_action_result  # noqa: SLF001


@functools.lru_cache(maxsize=1)
def _action_result_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    return jsonschema.validators.validator_for(schema)(schema)


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    error = jsonschema.exceptions.best_match(_action_result_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the "
        f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


_validate_action_result.checked_once = True  # type: ignore[attr-defined]


@contextlib.contextmanager
def failed_action_calls() -> Iterator[List[str]]:
    """The action calls that failed during the block (in this task), as descriptions."""
    failures: List[str] = []
    token = _failures.set(failures)
    try:
        yield failures
    finally:
        _failures.reset(token)
