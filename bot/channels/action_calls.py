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
import logging
from typing import Any, Iterator, List, Optional

import aiohttp
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


@contextlib.contextmanager
def failed_action_calls() -> Iterator[List[str]]:
    """The action calls that failed during the block (in this task), as descriptions."""
    failures: List[str] = []
    token = _failures.set(failures)
    try:
        yield failures
    finally:
        _failures.reset(token)
