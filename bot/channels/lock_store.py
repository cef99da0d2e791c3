"""Rasa's Redis lock store, with tickets that live as long as the process holding them.

Configured in the cluster's endpoints.yml as
`lock_store: {type: bot.channels.lock_store.KeptTicketLockStore, url, port, db, key_prefix}`
(the same settings as Rasa's `redis` type).

Rasa 3.6's ticket lock (rasa.core.lock, rasa.core.lock_store) gives every ticket a fixed lifetime
(TICKET_LOCK_LIFETIME) so that a process that died holding a conversation's lock does not hold it
for ever. Two faults follow, both seen in the cluster's kill test:
- A waiting ticket expires too. A request that HAProxy sent again after the process holding the
  conversation was killed takes a ticket right behind the dead one; both expire about the same
  time, and when the waiter looks again (once a second, later on a busy event loop) after both
  have, its own ticket is gone: `now_serving` is never its number again and it waits for ever
  ("Failed to acquire lock ... Retrying" every second, RasaHQ/rasa#5396). The resident's request
  hangs until HAProxy gives up with a 504.
- A live holder's ticket expires after the lifetime even when its turn is only slow (a busy
  machine), and the next message of the conversation is then handled at the same time.
- Every change is a read, a change in Python and a write, so two processes issuing tickets at
  once can lose one (RasaHQ/rasa#9213).

Here a waiting or holding process renews its own ticket while it is alive, so only a dead
process's ticket expires. The renewing is done by a thread of its own, every third of the
lifetime, not by the event loop: a turn that keeps Rasa's event loop busy for longer than the
lifetime (a slow prediction on a loaded machine) still keeps its lock, so the lifetime can be
short (TICKET_LOCK_LIFETIME 5 s in the cluster, was 15 s) and a killed process's conversation
waits at most that long; a waiter whose ticket expired anyway (its event loop stalled longer
than the lifetime) takes a new one at the end of the queue instead of waiting for ever; and every
change is made in a Redis transaction (WATCH/MULTI) that is retried when another process changed
the lock in between. The lock's key expires a while after its last ticket would.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import deque
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

logger = logging.getLogger(__name__)
# A lock's key outlives its last ticket by this long, then Redis forgets it.
KEY_GRACE_SECONDS = 60
# A conversation's ticket counter is forgotten a day after its last ticket.
COUNTER_SECONDS = 24 * 3600


class Renewer:
    """A thread that renews the tickets of this process, waiting or held, every third of their
    lifetime, whatever the event loop is doing. It runs while there are tickets to renew."""

    def __init__(self, renew: Callable[[str, int, float], bool]) -> None:
        self._renew = renew
        # (conversation, ticket) → (lifetime, when it is next renewed, on time.monotonic())
        self._tickets: dict[tuple[str, int], tuple[float, float]] = {}
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def keep(self, conversation_id: str, ticket: int, lock_lifetime: float) -> None:
        """Renews the ticket from a third of its lifetime on (it was just issued)."""
        with self._changed:
            self._tickets[(conversation_id, ticket)] = (lock_lifetime, time.monotonic() + lock_lifetime / 3)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lock-renewer", daemon=True)
                self._thread.start()
            self._changed.notify()

    def drop(self, conversation_id: str, ticket: int) -> None:
        with self._changed:
            self._tickets.pop((conversation_id, ticket), None)

    def kept(self) -> list[tuple[str, int]]:
        with self._changed:
            return list(self._tickets)

    def _run(self) -> None:
        while True:
            with self._changed:
                if not self._tickets:
                    self._thread = None
                    return
                now = time.monotonic()
                due = [(key, lifetime) for key, (lifetime, at) in self._tickets.items() if at <= now]
                if not due:
                    self._changed.wait(min(at for _lifetime, at in self._tickets.values()) - now)
                    continue
                for key, lifetime in due:
                    self._tickets[key] = (lifetime, now + lifetime / 3)
            for (conversation_id, ticket), lifetime in due:
                try:
                    kept = self._renew(conversation_id, ticket, lifetime)
                except Exception as error:  # Redis away: tried again a third of the lifetime later
                    logger.warning("lock of conversation %s not renewed (%s)", conversation_id, type(error).__name__)
                    continue
                if not kept:
                    logger.warning("lock of conversation %s: ticket %s expired before it was renewed",
                                   conversation_id, ticket)
                    self.drop(conversation_id, ticket)


class KeptTicketLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        settings = dict(endpoint_config.kwargs) if endpoint_config is not None else {}
        settings.update(kwargs)
        if endpoint_config is not None and endpoint_config.url:
            settings.setdefault("host", endpoint_config.url)
        super().__init__(**settings)
        self.renewer = Renewer(self.renew)

    # --- every change of a lock in one Redis transaction ---------------------------------------

    def _change(self, conversation_id: str, change: Callable[[TicketLock], Any]) -> Any:
        """Applies `change` to the conversation's lock (a new one if there is none) and saves it,
        atomically; what `change` returns is returned. A lock left without tickets is deleted."""
        key = self.key_prefix + conversation_id
        outcome: list[Any] = []

        def transaction(pipe: Any) -> None:
            stored = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(stored)) if stored else TicketLock(conversation_id)
            lock.conversation_id = conversation_id
            outcome[:] = [change(lock)]
            lock.remove_expired_tickets()
            pipe.multi()
            if lock.tickets:
                last = max(ticket.expires for ticket in lock.tickets)
                pipe.set(key, lock.dumps(), px=max(1, int((last - time.time() + KEY_GRACE_SECONDS) * 1000)))
            else:
                pipe.delete(key)

        self.red.transaction(transaction, key)
        return outcome[0]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket at the end of the queue. Its number comes from a counter of its own
        (Rasa numbers on from the lock's last ticket, and starts again at 0 once the lock is
        empty, so a waiter whose ticket expired could take a newer ticket's number for its own)."""
        try:
            counter = f"{self.key_prefix}{conversation_id}:issued"
            number = int(self.red.incr(counter))
            self.red.expire(counter, COUNTER_SECONDS)

            def change(lock: TicketLock) -> int:
                lock.tickets.append(Ticket(number, time.time() + lock_lifetime))
                lock.tickets = deque(sorted(lock.tickets, key=lambda t: t.number))
                return number

            return self._change(conversation_id, change)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def renew(self, conversation_id: str, ticket: int, lock_lifetime: float) -> bool:
        """Moves the ticket's expiry to `lock_lifetime` from now; False when it is gone."""
        def change(lock: TicketLock) -> bool:
            found = next((t for t in lock.tickets if t.number == ticket and not t.has_expired()), None)
            if found is not None:
                found.expires = time.time() + lock_lifetime
            return found is not None

        return bool(self._change(conversation_id, change))

    def update_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self.finish_serving(conversation_id, ticket_number)  # deletes the lock when it is empty

    # --- waiting and holding -----------------------------------------------------------------

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        ticket = [self.issue_ticket(conversation_id, lock_lifetime)]  # the current one
        try:
            yield await self._wait_for_turn(conversation_id, ticket, lock_lifetime, wait_time_in_seconds)
        finally:
            self.renewer.drop(conversation_id, ticket[0])
            self.cleanup(conversation_id, ticket[0])

    async def _wait_for_turn(
        self, conversation_id: str, current: list[int], lock_lifetime: float, wait_time_in_seconds: float,
    ) -> TicketLock:
        """The lock once `current[0]` is served (a new ticket, put in `current`, if the first
        expired). The ticket is renewed by the renewer thread from the start, while it waits and
        while it is held."""
        ticket = current[0]
        self.renewer.keep(conversation_id, ticket, lock_lifetime)
        while True:
            lock = self.get_lock(conversation_id)
            if lock is not None and lock.now_serving == ticket:
                return lock
            if lock is None or lock._ticket_for_ticket_number(ticket) is None:  # noqa: SLF001
                # Its ticket expired while it waited (Redis away longer than the lifetime, or
                # Redis lost the lock): a new one, at the end of the queue, so that a process
                # being served now is not overtaken.
                logger.warning("lock of conversation %s: ticket %s expired while waiting; taking a new one",
                               conversation_id, ticket)
                self.renewer.drop(conversation_id, ticket)
                ticket = current[0] = self.issue_ticket(conversation_id, lock_lifetime)
                self.renewer.keep(conversation_id, ticket, lock_lifetime)
                continue
            await asyncio.sleep(wait_time_in_seconds)
