"""The dashboard's figures are kept per registry data version (issue 15, speed) and stay exact:
every transaction that changes an application, a status change or a staff account raises the
version in the same transaction, and figures kept for an older version are never served. They are
counted from the values database triggers keep on each change and application
(bot.core.precounted). Checked on random registries against a direct count from the timestamps,
with changes made today by the registry's own functions and by plain statements. Runs on SQLite
and PostgreSQL; no timings here."""
from __future__ import annotations

import contextlib
import datetime as dt
import random
from typing import Callable, Iterator

import pytest
from sqlalchemy import delete, event, insert, select, text, update
from sqlalchemy.orm import sessionmaker

from bot.core import versions
from bot.core.calendar import local_now, utc_start_of
from bot.core.db import reading, transaction
from bot.core.models import (
    ACCEPTED, CLOSED, REGISTERED, Application, RateCounter, StaffUser, StatusChange,
)
from bot.core.testing import OTHER_SAMPLE_DISTRICT, SAMPLE_DISTRICT, sample_id_number
from bot.intake import decision, reports
from bot.intake.registry import ApplicationRequest, register, transition

MakeStaff = Callable[..., StaffUser]
DISTRICTS = [SAMPLE_DISTRICT, OTHER_SAMPLE_DISTRICT, "第三镇"]


def random_registry(factory: sessionmaker, rng: random.Random, count: int, actors: list[int],
                    today: dt.date) -> None:
    """`count` applications of the last 400 days in three 乡镇, with their 受理 and 办结, written by
    plain INSERT statements (as a bulk import would)."""
    applications, changes = [], []
    for index in range(1, count + 1):
        day = today - dt.timedelta(days=rng.randrange(400))
        created = utc_start_of(day) + dt.timedelta(hours=rng.random() * 20)
        fate = rng.random()
        status = REGISTERED if fate < 0.3 else ACCEPTED if fate < 0.65 else CLOSED
        actor = rng.choice(actors)
        applications.append({
            "number": f"SJ{day:%Y%m%d}-{index:05d}", "channel": "web", "conversation_id": f"random-{index}",
            "request_key": "apply", "status": status, "region": "山西省运城市",
            "district": rng.choice(DISTRICTS), "programs": [rng.choice(["dibao", "tekun", "temporary_assistance"])],
            "consent": True, "consent_at": created, "assignee_id": actor if status != REGISTERED else None,
            "due_date": None if status == CLOSED else day + dt.timedelta(days=rng.randrange(3, 60)),
            "created_at": created, "updated_at": created, "version": 1,
        })
    with transaction(factory) as session:
        session.execute(insert(Application.__table__), applications)
        ids = dict(session.execute(select(Application.conversation_id, Application.id)).all())
        for row in applications:
            pk = ids[row["conversation_id"]]
            changes.append({"application_id": pk, "from_status": None, "to_status": REGISTERED, "actor_id": None,
                            "actor_name": "居民", "created_at": row["created_at"]})
            if row["status"] == REGISTERED:
                continue
            accepted = row["created_at"] + dt.timedelta(hours=rng.randrange(1, 200))
            changes.append({"application_id": pk, "from_status": REGISTERED, "to_status": ACCEPTED,
                            "actor_id": row["assignee_id"], "actor_name": "经办人", "created_at": accepted})
            if rng.random() < 0.1:  # accepted again after being sent back: not a first 受理
                changes.append({"application_id": pk, "from_status": ACCEPTED, "to_status": ACCEPTED,
                                "actor_id": row["assignee_id"], "actor_name": "经办人",
                                "created_at": accepted + dt.timedelta(hours=3)})
            if row["status"] == CLOSED:
                changes.append({"application_id": pk, "from_status": ACCEPTED, "to_status": CLOSED,
                                "actor_id": rng.choice(actors), "actor_name": "主管",
                                "created_at": accepted + dt.timedelta(hours=rng.randrange(2, 900))})
        session.execute(insert(StatusChange.__table__), changes)


def request_today(serial: int) -> ApplicationRequest:
    return ApplicationRequest(
        channel="web", conversation_id=f"today-{serial}", request_key="apply-1", name="张三",
        mobile="13912345678", id_number=sample_id_number(900 + serial), address="解放路街道幸福小区3号楼",
        district=SAMPLE_DISTRICT, programs=["tekun"], consent=True, region="山西省运城市",
        screening={"answers": {}, "outcomes": {}})


@pytest.mark.parametrize("seed", [3, 11])
def test_kept_figures_equal_a_direct_count_through_changes_made_today(
    factory: sessionmaker, make_staff: MakeStaff, seed: int
) -> None:
    rng = random.Random(seed)
    today = local_now().date()
    clerk, boss = make_staff(name="王芳"), make_staff(role="supervisor", name="主管")
    other = make_staff(district=OTHER_SAMPLE_DISTRICT, name="李明")
    random_registry(factory, rng, 400, [clerk.id, boss.id, other.id], today)
    spans = [reports.Range.of(None, None, today),
             reports.Range.of(today - dt.timedelta(days=364), None, today),
             reports.Range.of(today - dt.timedelta(days=90), today - dt.timedelta(days=20), today)]
    viewers = [boss, clerk, other]
    seen: list[dict] = []

    def exact() -> None:
        for span in spans:
            for viewer in viewers:
                direct = reports.count_figures(viewer, span, factory=factory, direct=True)
                assert reports.count_figures(viewer, span, factory=factory) == direct
                assert reports.figures(viewer, span, factory=factory) == direct
                assert reports.figures(viewer, span, factory=factory) == direct  # now from what was kept
        seen.append(reports.figures(boss, spans[1], factory=factory))

    def pick(status: str) -> Application:  # one the year's figures count
        with reading(factory) as session:
            return rng.choice(session.scalars(select(Application).where(
                Application.status == status,
                Application.created_at >= utc_start_of(today - dt.timedelta(days=300)))).all())

    exact()
    registered = register(request_today(1), today=today, factory=factory)  # a new application today
    exact()
    transition(registered.application_id, ACCEPTED, clerk, expected_version=1, factory=factory)
    exact()
    accepted = pick(ACCEPTED)
    closing = decision.build("rejected", programs=accepted.programs, screening=None, program=accepted.programs[0],
                             own_reason="家庭收入高于当地标准", today=today)
    transition(accepted.id, CLOSED, boss, expected_version=accepted.version, decision=closing, factory=factory)
    exact()
    waiting = pick(REGISTERED)
    transition(waiting.id, ACCEPTED, boss, expected_version=waiting.version, factory=factory)
    exact()
    moved = pick(ACCEPTED)
    with transaction(factory) as session:  # moved to another 乡镇 by a plain UPDATE
        session.execute(update(Application).where(Application.id == moved.id)
                        .values(district=next(d for d in DISTRICTS if d != moved.district)))
    exact()
    with transaction(factory) as session:  # a deadline moved into the past through the ORM
        session.get(Application, pick(REGISTERED).id).due_date = today - dt.timedelta(days=40)
    exact()
    with transaction(factory) as session:  # a staff member renamed
        session.get(StaffUser, clerk.id).display_name = "王芳芳"
    exact()
    with transaction(factory) as session:  # an application deleted (with its changes)
        gone = pick(CLOSED).id
        session.execute(delete(StatusChange).where(StatusChange.application_id == gone))
        session.execute(delete(Application).where(Application.id == gone))
    # Each change above changed the year's figures a supervisor sees: nothing stale was served.
    unchanged = [step for step, (before, after) in enumerate(zip(seen, seen[1:]), 1) if before == after]
    assert not unchanged, f"changes {unchanged} left the figures as they were"
    # Plain statements on what the triggers keep (bot.core.precounted).
    with transaction(factory) as session:  # a first 受理 deleted by a plain statement: the next one is first
        again = session.scalars(select(StatusChange.application_id).where(
            StatusChange.from_status == ACCEPTED, StatusChange.to_status == ACCEPTED)).first()
        if again is not None:
            session.execute(delete(StatusChange).where(StatusChange.application_id == again,
                                                       StatusChange.from_status == REGISTERED,
                                                       StatusChange.to_status == ACCEPTED))
    exact()
    with transaction(factory) as session:  # a 受理 moved a month back, a registration moved a day back
        accepted = pick(ACCEPTED).id
        session.execute(update(StatusChange).where(StatusChange.application_id == accepted,
                                                   StatusChange.to_status == ACCEPTED)
                        .values(created_at=StatusChange.created_at - dt.timedelta(days=30)))
        session.execute(update(Application).where(Application.id == pick(CLOSED).id)
                        .values(created_at=Application.created_at - dt.timedelta(days=1)))
    exact()


@contextlib.contextmanager
def counted_selects(factory: sessionmaker) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(factory.kw["bind"], "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(factory.kw["bind"], "before_cursor_execute", seen)


def test_figures_kept_cost_one_read_of_the_version(factory: sessionmaker, make_staff: MakeStaff) -> None:
    today = local_now().date()
    boss = make_staff(role="supervisor")
    random_registry(factory, random.Random(5), 50, [boss.id], today)
    span = reports.Range.of(None, None, today)
    with counted_selects(factory) as statements:
        reports.figures(boss, span, factory=factory)
        counted = len(statements)
        assert counted > 5
        statements.clear()
        reports.figures(boss, span, factory=factory)
        assert len(statements) == 1 and "registry_versions" in statements[0]
        with transaction(factory) as session:
            session.execute(update(Application).where(Application.id == 1).values(district="第三镇"))
        statements.clear()
        reports.figures(boss, span, factory=factory)
        assert len(statements) == counted  # counted again after the change


def version(factory: sessionmaker) -> int | None:
    with reading(factory) as session:
        return versions.current(session, versions.APPLICATIONS)


def test_the_version_moves_once_per_transaction_that_changed_the_registry(
    factory: sessionmaker, make_staff: MakeStaff
) -> None:
    before = version(factory)  # None before the first change
    boss = make_staff(role="supervisor")  # an ORM insert of a staff account
    start = version(factory)
    assert start is not None and start != before
    start -= 1
    with reading(factory) as session:
        session.execute(select(Application.id)).all()
    assert version(factory) == start + 1  # reading changes nothing
    with transaction(factory) as session:  # several changes, one transaction: raised once
        session.get(StaffUser, boss.id).display_name = "新名字"
        session.execute(update(StaffUser).where(StaffUser.id == boss.id).values(district=None))
        session.execute(text("UPDATE applications SET district = '第三镇' WHERE id = -1"))
    assert version(factory) == start + 2
    with pytest.raises(RuntimeError):
        with transaction(factory) as session:  # rolled back: not raised
            session.get(StaffUser, boss.id).display_name = "不会保存"
            session.flush()
            raise RuntimeError("stop")
    assert version(factory) == start + 2
    with transaction(factory) as session:  # data the dashboard does not count
        session.add(RateCounter(scope="login", key="x", window_start=dt.datetime(2026, 1, 1), count=1,
                                expires_at=dt.datetime(2026, 1, 2)))
    assert version(factory) == start + 2
