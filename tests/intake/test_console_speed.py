"""How the console's lists and figures reach the database (issue 15, speed): searches by ID or
mobile number go through the digest's index instead of testing every application; what is due
and the dashboard's counts are read from covering indexes; the day arithmetic done by the
database agrees with Python's on SQLite and PostgreSQL. No timings here (make bench prints them)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import DateTime, event, func, literal, select, text
from sqlalchemy.orm import sessionmaker

from bot.core.calendar import local_now, to_local
from bot.core.db import session_factory
from bot.core.models import Application, StaffUser
from bot.core.sqldays import date_day, day_number, days_between, greatest, least, local_day
from bot.core.testing import sample_id_number
from bot.intake import registry, reports


def sqlite_plan(factory: sessionmaker, statement) -> str:  # type: ignore[no-untyped-def]
    with factory() as session:
        sql = str(statement.compile(session.bind, compile_kwargs={"literal_binds": True}))
        return " | ".join(row[3] for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))


@pytest.fixture
def sqlite_factory(tmp_path) -> sessionmaker:  # type: ignore[no-untyped-def]
    from bot.core import migrate

    url = f"sqlite:///{tmp_path / 'plans.db'}"
    migrate.upgrade(url)
    return session_factory(url)


def boss() -> StaffUser:
    return StaffUser(id=1, username="boss", display_name="主管", role="supervisor", active=True)


@pytest.mark.parametrize("search", ["13912345678", sample_id_number(3)])
def test_a_personal_number_is_looked_up_by_its_digest_index(sqlite_factory: sessionmaker, search: str) -> None:
    where = registry._filters(boss(), registry.Filters(search=search))  # noqa: SLF001
    for statement in (select(func.count()).select_from(Application).where(*where),
                      select(Application.id).where(*where).order_by(Application.created_at.desc())):
        plan = sqlite_plan(sqlite_factory, statement)
        assert "USING INDEX ix_applicants_" in plan, plan
        assert "SCAN applications" not in plan, plan


def test_a_name_is_not_compared_with_every_number(sqlite_factory: sessionmaker) -> None:
    where = registry._filters(boss(), registry.Filters(search="王秀英"))  # noqa: SLF001
    plan = sqlite_plan(sqlite_factory, select(func.count()).select_from(Application).where(*where))
    assert "SCAN applications" not in plan, plan


def test_what_is_due_is_counted_from_an_index_alone(sqlite_factory: sessionmaker) -> None:
    today = local_now().date()
    overdue = [registry._not_final(), Application.due_date < today]  # noqa: SLF001
    for statement in (
        select(Application.district, func.count()).where(*overdue).group_by(Application.district),
        select(Application.assignee_id, func.count()).where(*overdue).group_by(Application.assignee_id),
    ):
        plan = sqlite_plan(sqlite_factory, statement)
        assert "COVERING INDEX" in plan and "SCAN applications USING INDEX" not in plan, plan


def test_the_dashboard_reads_the_changes_of_its_range_from_an_index(sqlite_factory: sessionmaker) -> None:
    """The range's changes come from ix_status_changes_day alone, with the values kept on each: no
    application row is read, and no change looks up its application's first 受理."""
    from bot.core.models import StatusChange

    span = reports.Range.of(dt.date(2026, 1, 1), dt.date(2026, 12, 1), dt.date(2026, 12, 1))
    first, last = day_number(span.first), day_number(span.last)
    statement = select(StatusChange.to_status, StatusChange.actor_id, StatusChange.since_registered,
                       StatusChange.district, StatusChange.accepted_after).where(
        StatusChange.day >= first, StatusChange.day <= last, StatusChange.first_accept.is_(True))
    plan = sqlite_plan(sqlite_factory, statement)
    assert "COVERING INDEX ix_status_changes_day" in plan, plan
    statements: list[str] = []

    def seen(_conn, _cursor, sql, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(sql)

    engine = sqlite_factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        reports.count_figures(boss(), span, factory=sqlite_factory)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    changes = next(sql for sql in statements if "FROM status_changes" in sql)
    assert "min(" not in changes.lower() and "julianday(status_changes" not in changes, changes
    assert "applications" not in changes, changes


MOMENTS = [dt.datetime(2026, 12, 2, 15, 59, 59), dt.datetime(2026, 12, 2, 16, 0, 0),
           dt.datetime(2024, 2, 28, 16, 30), dt.datetime(2026, 1, 1, 0, 0, 1)]


def test_day_arithmetic_in_the_database_agrees_with_python(db_url: str) -> None:
    factory = session_factory(db_url)
    with factory() as session:
        for at in MOMENTS:
            due = at.date()
            row = session.execute(select(
                local_day(literal(at, DateTime())), date_day(literal(due)),
                days_between(literal(MOMENTS[0], DateTime()), literal(at, DateTime())),
                greatest(literal(3), literal(9), literal(5)), least(literal(3), literal(9), literal(5)),
            )).one()
            assert row[0] == day_number(to_local(at).date()), at
            assert row[1] == day_number(due)
            assert row[2] == pytest.approx((at - MOMENTS[0]).total_seconds() / 86400, abs=1e-6)
            assert (row[3], row[4]) == (9, 3)


def test_an_empty_registry_has_zero_figures_for_each_day(factory: sessionmaker) -> None:
    """Every figure zero, one entry per day of the range (the shape the page expects)."""
    today = local_now().date()
    span = reports.Range.of(today - dt.timedelta(days=9), today - dt.timedelta(days=3), today)
    figures = reports.figures(boss(), span, factory=factory)
    assert figures["totals"] == {"new": 0, "accepted": 0, "closed": 0, "overdue": 0,
                                 "median_wait_days": None, "median_handle_days": None}
    assert [d["day"] for d in figures["daily"]] == [day.isoformat() for day in span.days()]
    assert [p["count"] for p in figures["programs"]] == [0] * len(figures["programs"])


def test_reading_does_not_wait_for_a_writer_on_sqlite(sqlite_factory: sessionmaker) -> None:
    """Lists, dashboards and live panels read while a staff action holds SQLite's write lock."""
    from bot.core.db import reading, transaction

    with transaction(sqlite_factory) as writer:
        writer.execute(text("UPDATE staff_users SET active = active"))  # the write lock is held
        with reading(sqlite_factory) as reader:
            assert reader.execute(select(func.count()).select_from(Application)).scalar_one() == 0
        assert registry.query_applications(boss(), factory=sqlite_factory) == ([], 0)
        assert reports.figures(boss(), reports.Range.of(None, None, local_now().date()),
                               factory=sqlite_factory)["totals"]["new"] == 0


def test_console_reads_take_no_write_lock(sqlite_factory: sessionmaker) -> None:
    """The console's lists, counts and live watcher read with a plain BEGIN on SQLite: they never
    queue behind a writer nor hold one up (issue 15 follow-up)."""
    from bot.handoff import tickets
    from bot.intake import casework, staff
    from bot.standards import notices, store
    from bot.web.console import live

    supervisor = staff.create_user("boss", "主管", "bench-console-2026", "supervisor", factory=sqlite_factory)
    began: list[str] = []

    def seen(_conn, _cursor, sql, *_args) -> None:  # type: ignore[no-untyped-def]
        if sql.lstrip().upper().startswith("BEGIN"):
            began.append(sql.strip().upper())

    reads = [
        lambda: notices.notices(sqlite_factory), lambda: notices.count_pending(sqlite_factory),
        lambda: store.count_pending(sqlite_factory), lambda: store.rows(factory=sqlite_factory),
        lambda: store.user_by_name("boss", sqlite_factory), lambda: live.fingerprint(sqlite_factory),
        lambda: tickets.list_tickets(supervisor, factory=sqlite_factory),
        lambda: tickets.waiting_count(supervisor, sqlite_factory), lambda: tickets.unread(supervisor, sqlite_factory),
        lambda: tickets.triage_queue(supervisor, sqlite_factory),
        lambda: casework.canned_replies(factory=sqlite_factory), lambda: casework.saved_filters(supervisor, factory=sqlite_factory),
        lambda: casework.audit_entries(factory=sqlite_factory), lambda: staff.list_users(factory=sqlite_factory),
        lambda: staff.intake_districts(factory=sqlite_factory), lambda: staff.find_user("boss", factory=sqlite_factory),
    ]
    engine = sqlite_factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        for index, read in enumerate(reads):
            began.clear()
            read()
            assert began and "IMMEDIATE" not in " ".join(began), (index, began)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
