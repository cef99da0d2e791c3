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
process's ticket expires; a waiter whose ticket expired anyway (its event loop stalled longer
than the lifetime) takes a new one at the end of the queue instead of waiting for ever; and every
change is made in a Redis transaction (WATCH/MULTI) that is retried when another process changed
the lock in between. The lock's key expires a while after its last ticket would.
"""
from __future__ import annotations

import asyncio
import json
import logging
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


class KeptTicketLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        settings = dict(endpoint_config.kwargs) if endpoint_config is not None else {}
        settings.update(kwargs)
        if endpoint_config is not None and endpoint_config.url:
            settings.setdefault("host", endpoint_config.url)
        super().__init__(**settings)

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
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            ticket, held = await self._wait_for_turn(conversation_id, ticket, lock_lifetime, wait_time_in_seconds)
            keeper = asyncio.ensure_future(self._keep(conversation_id, ticket, lock_lifetime))
            try:
                yield held
            finally:
                keeper.cancel()
        finally:
            self.cleanup(conversation_id, ticket)

    async def _wait_for_turn(
        self, conversation_id: str, ticket: int, lock_lifetime: float, wait_time_in_seconds: float,
    ) -> tuple[int, TicketLock]:
        """The ticket that was served (a new one if the first expired) and the lock."""
        while True:
            lock = self.get_lock(conversation_id)
            if lock is not None and lock.now_serving == ticket:
                return ticket, lock
            if lock is None or lock._ticket_for_ticket_number(ticket) is None:  # noqa: SLF001
                # Its ticket expired while it waited (or Redis lost the lock): a new one, at the
                # end of the queue, so that a process being served now is not overtaken.
                logger.warning("lock of conversation %s: ticket %s expired while waiting; taking a new one",
                               conversation_id, ticket)
                ticket = self.issue_ticket(conversation_id, lock_lifetime)
                continue
            if not self.renew(conversation_id, ticket, lock_lifetime):
                continue  # expired just now: taken again above
            await asyncio.sleep(wait_time_in_seconds)

    async def _keep(self, conversation_id: str, ticket: int, lock_lifetime: float) -> None:
        """Renews the held ticket every third of its lifetime, while the turn goes on."""
        while True:
            await asyncio.sleep(lock_lifetime / 3)
            try:
                kept = await asyncio.to_thread(self.renew, conversation_id, ticket, lock_lifetime)
            except Exception as error:  # Redis away: the turn goes on; the ticket may expire
                logger.warning("lock of conversation %s not renewed (%s)", conversation_id, type(error).__name__)
                continue
            if not kept:
                logger.warning("lock of conversation %s: held ticket %s expired (the turn took longer than "
                               "%s s without renewing)", conversation_id, ticket, lock_lifetime)
                return

