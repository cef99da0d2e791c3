"""Version counters of shared data (table `registry_versions`): one row per kind of data, raised
in the same transaction as a change to it, so that every process can tell whether what it loaded
or computed from that data still stands.

- "standards" and "notices" are raised by the code that approves or publishes them
  (bot.standards); the workers reload when they moved.
- "applications" is raised by any transaction that wrote to the tables the dashboard counts
  (applications, status changes, staff accounts), whichever code wrote them: a session that
  changed them through the ORM, or ran an INSERT/UPDATE/DELETE statement on them, raises it as the
  last statement before its COMMIT. Taken last, the counter's row lock is held only for the commit
  itself and cannot be part of a deadlock: its holder waits for nothing else. Figures computed
  from one version are exact while it stands (bot.intake.reports).

Writes that bypass the ORM session (a raw connection, another program) do not raise it by
themselves. In the project only migrations write those tables that way, and a migration that
changes them calls `bump_in_migration` (revision 0011 does; a new one must too). A hand-made
change through psql or sqlite3 is followed by `python -m bot.core.versions` (it raises the
counter), or the dashboard keeps showing figures counted before it until the next change.
"""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import TextClause

from bot.core.db import utcnow

APPLICATIONS = "applications"
# The tables each automatically raised counter covers.
TRACKED = {APPLICATIONS: frozenset({"applications", "status_changes", "staff_users"})}
_CHANGED = "registry_versions_changed"  # key in Session.info: the counters this transaction raises


def bump(session: Session | Connection, name: str, *, start: int = 1) -> None:
    """Raises the counter `name` in the current transaction. The first time, it is made with
    `start` (two workers may race to make it: the loser's insert is rolled back to a savepoint
    and it raises the winner's)."""
    def increment() -> int:
        return session.execute(
            text("UPDATE registry_versions SET version = version + 1, changed_at = :now WHERE name = :name"),
            {"name": name, "now": utcnow()}).rowcount

    if increment():
        return
    try:
        with session.begin_nested():
            session.execute(text("INSERT INTO registry_versions (name, version, changed_at) "
                                 "VALUES (:name, :start, :now)"), {"name": name, "start": start, "now": utcnow()})
    except IntegrityError:
        increment()


def bump_in_migration(connection: Connection, name: str) -> None:
    """Raises the counter `name` from a migration (alembic's connection, its transaction), made at a
    random start when it does not exist yet (see _committing)."""
    bump(connection, name, start=secrets.randbelow(2**30) + 1)


def current(session: Session, name: str) -> int | None:
    """The counter as this transaction sees it; None when it was never raised."""
    return session.execute(text("SELECT version FROM registry_versions WHERE name = :name"),
                           {"name": name}).scalar()


def _mark(session: Session, table_name: str | None) -> None:
    for name, tables in TRACKED.items():
        if table_name in tables:
            session.info.setdefault(_CHANGED, set()).add(name)


@event.listens_for(Session, "before_flush")
def _flushing(session: Session, _context: Any, _instances: Any) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        _mark(session, getattr(instance, "__tablename__", None))


@event.listens_for(Session, "do_orm_execute")
def _executing(state: ORMExecuteState) -> None:
    statement = state.statement
    if state.is_insert or state.is_update or state.is_delete:
        _mark(state.session, getattr(getattr(statement, "table", None), "name", None))
    elif isinstance(statement, TextClause) and not statement.text.lstrip().lower().startswith("select"):
        for tables in TRACKED.values():
            for table_name in tables:
                if table_name in statement.text:
                    _mark(state.session, table_name)


@event.listens_for(Session, "before_commit")
def _committing(session: Session) -> None:
    session.flush()  # what is still pending is marked by the flush
    for name in sorted(session.info.pop(_CHANGED, ())):
        # Made anew (its table emptied, as the tests do), the counter starts at a random value, so
        # that what a process kept for the old counter's values is never taken for the new one's.
        bump(session, name, start=secrets.randbelow(2**30) + 1)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _ended(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def main() -> None:
    """`python -m bot.core.versions`: raises the dashboard's counter after a change made by hand."""
    from bot.core.db import transaction

    with transaction() as session:
        bump(session, APPLICATIONS)
    print("registry_versions: applications raised; the dashboard counts its figures again")


if __name__ == "__main__":
    main()
