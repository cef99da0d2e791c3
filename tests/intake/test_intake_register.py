"""Registration: validation, 受理编号, idempotency under concurrency, duplicates, atomicity,
and what a resident may read back. Every test runs on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from bot.intake import registry
from bot.core.db import session_factory, transaction
from bot.core.privacy import id_digest
from bot.core.models import CLOSED, Applicant, Application, DailySequence, StatusChange
from bot.intake.registry import (
    ApplicationRequest,
    InvalidField,
    NotFound,
    get_application,
    normalize_number,
    register,
    resident_status,
)
from bot.core.testing import free_port, sample_id_number

TODAY = dt.date(2025, 10, 9)
MakeRequest = Callable[..., ApplicationRequest]


def count(factory: sessionmaker, model: Any) -> int:
    with transaction(factory) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_register_writes_the_application_in_full(factory: sessionmaker, make_request: MakeRequest) -> None:
    registration = register(make_request(mobile="+86 139-1234-5678"), today=TODAY, factory=factory)
    assert registration.number == "SJ20251009-0001"
    assert registration.created and not registration.duplicate_of_open
    assert registration.status == "已登记"
    assert registration.due_date == dt.date(2025, 10, 13)  # 3 working days: 10th, 11th (调休 Saturday), 13th
    application = get_application(registration.number, factory=factory)
    assert application.id == registration.application_id
    assert application.programs == ["dibao"] and application.district == "解放路街道"
    assert application.consent is True and application.consent_at is not None
    assert application.screening == {"answers": {"household.size": 3}, "outcomes": {"dibao": "likely"}}
    assert application.applicant.mobile == "13912345678"
    assert application.applicant.id_digest == id_digest(application.applicant.id_number)
    [first] = application.history
    assert (first.from_status, first.to_status, first.actor_name, first.note) == (None, "已登记", "居民", "通过网页登记")
    assert get_application(registration.application_id, factory=factory).number == registration.number


def test_numbers_count_per_local_day(factory: sessionmaker, make_request: MakeRequest) -> None:
    first = register(make_request(), today=TODAY, factory=factory)
    second = register(make_request(), today=TODAY, factory=factory)
    next_day = register(make_request(), today=TODAY + dt.timedelta(days=1), factory=factory)
    assert [first.number, second.number, next_day.number] == [
        "SJ20251009-0001", "SJ20251009-0002", "SJ20251010-0001"]


def test_number_grows_past_9999(factory: sessionmaker, make_request: MakeRequest) -> None:
    register(make_request(), today=TODAY, factory=factory)
    with transaction(factory) as session:
        session.execute(update(DailySequence).values(last=9999))
    registration = register(make_request(), today=TODAY, factory=factory)
    assert registration.number == "SJ20251009-10000"
    assert normalize_number("sj2025100910000") == registration.number
    assert get_application(registration.number, factory=factory).id == registration.application_id


def test_same_request_twice_gives_one_application(factory: sessionmaker, make_request: MakeRequest) -> None:
    request = make_request()
    first = register(request, today=TODAY, factory=factory)
    again = register(request, today=TODAY, factory=factory)
    assert again.number == first.number and again.application_id == first.application_id
    assert first.created and not again.created and not again.duplicate_of_open
    assert count(factory, Application) == 1 and count(factory, StatusChange) == 1


def test_same_request_from_20_threads_at_once(factory: sessionmaker, make_request: MakeRequest) -> None:
    request = make_request()
    barrier = threading.Barrier(20)

    def send(_: int) -> registry.Registration:
        barrier.wait()
        return register(request, today=TODAY, factory=factory)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(send, range(20)))
    assert {result.number for result in results} == {"SJ20251009-0001"}
    assert sum(result.created for result in results) == 1
    assert count(factory, Application) == 1 and count(factory, Applicant) == 1


def test_200_registrations_from_20_threads_get_200_numbers(factory: sessionmaker, make_request: MakeRequest) -> None:
    requests = [make_request(id_number=sample_id_number(i, born=dt.date(1970, 1, 1) + dt.timedelta(days=i)))
                for i in range(200)]
    barrier = threading.Barrier(20)

    def client(start: int) -> list[str]:
        barrier.wait()
        return [register(request, today=TODAY, factory=factory).number for request in requests[start::20]]

    with ThreadPoolExecutor(max_workers=20) as pool:
        numbers = [number for batch in pool.map(client, range(20)) for number in batch]
    assert len(numbers) == 200 and len(set(numbers)) == 200
    assert set(numbers) == {f"SJ20251009-{n:04d}" for n in range(1, 201)}
    assert count(factory, Application) == 200


def test_open_application_of_the_same_person_and_program(factory: sessionmaker, make_request: MakeRequest) -> None:
    first = register(make_request(id_number="440306198511201238"), today=TODAY, factory=factory)
    duplicate = register(make_request(id_number="440306198511201238", programs=["tekun", "dibao"]),
                         today=TODAY, factory=factory)
    assert duplicate.number == first.number
    assert duplicate.duplicate_of_open and not duplicate.created
    other_program = register(make_request(id_number="440306198511201238", programs=["tekun"]),
                             today=TODAY, factory=factory)
    assert other_program.created and other_program.number != first.number
    with transaction(factory) as session:
        session.execute(update(Application).where(Application.id == first.application_id).values(status=CLOSED))
    after_closing = register(make_request(id_number="440306198511201238"), today=TODAY, factory=factory)
    assert after_closing.created and not after_closing.duplicate_of_open
    assert count(factory, Application) == 3


def test_consent_is_required(factory: sessionmaker, make_request: MakeRequest) -> None:
    with pytest.raises(InvalidField) as raised:
        register(make_request(consent=False), today=TODAY, factory=factory)
    assert raised.value.field == "consent" and "同意" in raised.value.message
    assert count(factory, Application) == 0


@pytest.mark.parametrize("fields, field", [
    ({"programs": []}, "programs"),
    ({"programs": ["housing"]}, "programs"),
    ({"district": " "}, "district"),
    ({"channel": "email"}, "channel"),
    ({"request_key": ""}, "request_key"),
    ({"id_number": "440306198511201239"}, "id_number"),
    ({"mobile": "1234"}, "mobile"),
    ({"name": "3"}, "name"),
    ({"address": "家"}, "address"),
])
def test_invalid_fields_are_refused(
    factory: sessionmaker, make_request: MakeRequest, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidField) as raised:
        register(make_request(**fields), today=TODAY, factory=factory)
    assert raised.value.field == field
    assert count(factory, Application) == 0


def test_nothing_half_written_when_the_transaction_fails(
    factory: sessionmaker, make_request: MakeRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[int] = []

    def fail_after_applicant(session: Any, application: Application, *args: Any, **kwargs: Any) -> None:
        session.flush()
        written.append(session.execute(select(func.count()).select_from(Applicant)).scalar_one())
        raise RuntimeError("disk full")

    monkeypatch.setattr(registry, "_record_change", fail_after_applicant)
    with pytest.raises(RuntimeError):
        register(make_request(), today=TODAY, factory=factory)
    assert written == [1]  # the applicant row existed inside the transaction
    assert count(factory, Application) == 0
    assert count(factory, Applicant) == 0
    assert count(factory, DailySequence) == 0
    monkeypatch.undo()
    assert register(make_request(), today=TODAY, factory=factory).number == "SJ20251009-0001"


def test_resident_status_needs_the_number_and_the_mobile(factory: sessionmaker, make_request: MakeRequest) -> None:
    registration = register(make_request(mobile="13912345678"), today=TODAY, factory=factory)
    status = resident_status("ｓｊ20251009 0001", "5678", factory=factory)
    assert status is not None
    assert status["number"] == registration.number and status["status"] == "已登记"
    assert status["due_date"] == "2025-10-13" and status["programs"] == ["dibao"]
    assert registration.number in status["note"]
    assert "13912345678" not in str(status) and "张三" not in str(status)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", status["updated_at"])
    assert resident_status(registration.number, "5679", factory=factory) is None
    assert resident_status("SJ20251009-0002", "5678", factory=factory) is None
    assert resident_status("not a number", "5678", factory=factory) is None
    assert resident_status(registration.number, "56", factory=factory) is None


def test_get_application_not_found(factory: sessionmaker) -> None:
    for key in ("SJ20251009-0001", 42, "nonsense"):
        with pytest.raises(NotFound):
            get_application(key, factory=factory)


@pytest.mark.parametrize("text, expected", [
    ("sj20261123-0007", "SJ20261123-0007"),
    ("SJ202611230007", "SJ20261123-0007"),
    ("ＳＪ２０２６１１２３－０００７", "SJ20261123-0007"),
    (" SJ 20261123 0007 ", "SJ20261123-0007"),
    ("我的受理编号是SJ20261123-0007", "SJ20261123-0007"),
    ("SJ2026112300071", "SJ20261123-00071"),
    ("SJ2026112307", None),
    ("20261123-0007", None),
    ("", None),
])
def test_normalize_number(text: str, expected: str | None) -> None:
    assert normalize_number(text) == expected


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_database_down_writes_nothing_and_raises(kind: str, make_request: MakeRequest, tmp_path: Any) -> None:
    url = (f"sqlite:///{tmp_path}/missing/dir/intake.db" if kind == "sqlite"
           else f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/intake")
    with pytest.raises(SQLAlchemyError):
        register(make_request(), today=TODAY, factory=session_factory(url))
