"""Queues, filters, CSV export and the audit log, scoped to what each user may see.
Every test runs on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from bot.core.calendar import local_now, utc_start_of
from bot.core.db import transaction
from bot.core.models import ACCEPTED, CLOSED, REGISTERED, Application, AuditEntry, StaffUser
from bot.intake.registry import (
    ApplicationRequest,
    InvalidField,
    Registration,
    audit,
    export_csv,
    overdue_count,
    query_applications,
    register,
    transition,
)
from bot.core.testing import OTHER_SAMPLE_DISTRICT

MakeRequest = Callable[..., ApplicationRequest]
MakeStaff = Callable[..., StaffUser]


def set_fields(factory: sessionmaker, registration: Registration, **values: object) -> None:
    with transaction(factory) as session:
        session.execute(update(Application).where(Application.id == registration.application_id).values(**values))


def numbers(rows: list[Application]) -> list[str]:
    return [row.number for row in rows]


@pytest.fixture
def today() -> dt.date:
    return local_now().date()


@pytest.fixture
def registered(factory: sessionmaker, make_request: MakeRequest, today: dt.date) -> list[Registration]:
    """Four applications: three here (低保 张三, 单人保 李四, 临时救助 王小明), one in 城关镇."""
    requests = [
        make_request(name="张三", programs=["dibao"]),
        make_request(name="李四", programs=["dibao_individual"]),
        make_request(name="王小明", programs=["temporary_assistance", "tekun"]),
        make_request(name="赵六", district=OTHER_SAMPLE_DISTRICT, programs=["dibao"]),
    ]
    return [register(request, today=today, factory=factory) for request in requests]


def test_intake_staff_see_their_district_only(
    factory: sessionmaker, make_staff: MakeStaff, registered: list[Registration]
) -> None:
    rows, total = query_applications(make_staff(), factory=factory)
    assert total == 3 and numbers(rows) == [r.number for r in reversed(registered[:3])]  # newest first
    assert all(row.applicant.name for row in rows)  # applicant loaded
    rows, total = query_applications(make_staff(role="supervisor"), factory=factory)
    assert total == 4
    _rows, total = query_applications(make_staff(district=OTHER_SAMPLE_DISTRICT), factory=factory)
    assert total == 1
    assert query_applications(make_staff(district=None), factory=factory) == ([], 0)


def test_queues(factory: sessionmaker, make_staff: MakeStaff, registered: list[Registration], today: dt.date) -> None:
    staff, supervisor = make_staff(), make_staff(role="supervisor")
    transition(registered[0].application_id, ACCEPTED, staff, expected_version=1, factory=factory)
    transition(registered[0].application_id, "分办", supervisor, expected_version=2, assignee_id=staff.id,
               factory=factory)
    set_fields(factory, registered[1], due_date=today - dt.timedelta(days=1))
    set_fields(factory, registered[2], due_date=today - dt.timedelta(days=1), status=CLOSED)
    assert numbers(query_applications(staff, queue="new", factory=factory)[0]) == [registered[1].number]
    assert numbers(query_applications(staff, queue="mine", factory=factory)[0]) == [registered[0].number]
    assert numbers(query_applications(staff, queue="overdue", factory=factory)[0]) == [registered[1].number]
    assert overdue_count(staff, today, factory=factory) == 1
    assert overdue_count(staff, today - dt.timedelta(days=1), factory=factory) == 0
    with pytest.raises(InvalidField):
        query_applications(staff, queue="everything", factory=factory)


def test_filters(factory: sessionmaker, make_staff: MakeStaff, registered: list[Registration], today: dt.date) -> None:
    supervisor = make_staff(role="supervisor")

    def found(**filters: object) -> set[str]:
        return set(numbers(query_applications(supervisor, factory=factory, **filters)[0]))

    first, second, third, elsewhere = (r.number for r in registered)
    assert found(program="dibao") == {first, elsewhere}  # not dibao_individual
    assert found(program="dibao_individual") == {second}
    assert found(program="tekun") == {third}
    assert found(status=REGISTERED) == {first, second, third, elsewhere}
    assert found(status=ACCEPTED) == set()
    assert found(district=OTHER_SAMPLE_DISTRICT) == {elsewhere}
    assert found(search=first.lower().replace("-", "")) == {first}
    assert found(search=f" {first} ") == {first}
    assert found(search="小明") == {third}
    assert found(search="%") == set()
    assert found(search=first[:10]) == {first, second, third, elsewhere}  # the date part of the number
    set_fields(factory, registered[0], created_at=utc_start_of(today - dt.timedelta(days=3)))
    assert found(date_to=today - dt.timedelta(days=3)) == {first}
    assert found(date_from=today - dt.timedelta(days=2)) == {second, third, elsewhere}
    assert found(date_from=today, date_to=today, program="dibao") == {elsewhere}


def test_pages(factory: sessionmaker, make_staff: MakeStaff, registered: list[Registration]) -> None:
    supervisor = make_staff(role="supervisor")
    page1, total = query_applications(supervisor, page=1, per_page=3, factory=factory)
    page2, _ = query_applications(supervisor, page=2, per_page=3, factory=factory)
    assert total == 4 and len(page1) == 3 and len(page2) == 1
    assert set(numbers(page1 + page2)) == {r.number for r in registered}


def test_export_is_masked_and_scoped(
    factory: sessionmaker, make_staff: MakeStaff, make_request: MakeRequest, registered: list[Registration],
    today: dt.date,
) -> None:
    formula = register(make_request(district="=1+1街道", name="钱七"), today=today, factory=factory)
    body = export_csv(make_staff(role="supervisor"), factory=factory)
    assert body.startswith("\ufeff受理编号,登记时间,渠道,状态,乡镇（街道）,申请项目,姓名,手机号码,身份证号码")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 5
    by_number = {row["受理编号"]: row for row in rows}
    first = by_number[registered[0].number]
    assert first["姓名"] == "张*" and first["手机号码"] == "139****5678"
    assert first["身份证号码"].startswith("140802") and first["身份证号码"][6:14] == "********"
    assert first["申请项目"] == "最低生活保障（低保）" and first["渠道"] == "网页" and first["状态"] == REGISTERED
    assert by_number[formula.number]["乡镇（街道）"] == "'=1+1街道"
    assert "13912345678" not in body and "张三" not in body
    assert all(len(row["身份证号码"]) == 18 and "*" in row["身份证号码"] for row in rows)
    mine = export_csv(make_staff(district=OTHER_SAMPLE_DISTRICT), program="dibao", factory=factory)
    assert len(mine.strip().splitlines()) == 2 and registered[3].number in mine


def test_audit_entries(factory: sessionmaker, make_staff: MakeStaff) -> None:
    staff = make_staff()
    audit(staff, "view_application", object_type="application", object_id="SJ20251009-0001", ip="127.0.0.1",
          factory=factory)
    audit(None, "login_failed", object_type="username", object_id="nobody", detail="手机13800138000",
          factory=factory)
    with transaction(factory) as session:
        entries = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
    assert [(e.actor_id, e.actor_name, e.action, e.object_id, e.ip) for e in entries] == [
        (staff.id, staff.display_name, "view_application", "SJ20251009-0001", "127.0.0.1"),
        (None, "系统", "login_failed", "nobody", None),
    ]
    assert entries[1].detail == "手机138****8000"
    assert all(e.at is not None for e in entries)
