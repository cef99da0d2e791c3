"""Working days, office hours and 办理时限."""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
import yaml

import chinese_calendar

from bot.core.calendar import (
    TZ, WorkCalendar, get_calendar, load_calendar, package_years, to_local, unknown_years_warning, utc_start_of,
)
from bot.intake.deadlines import due_date, load_limits
from bot.settings import PROJECT_ROOT

D = dt.date


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return get_calendar()


def test_holidays_and_make_up_days(calendar: WorkCalendar) -> None:
    assert not calendar.is_working_day(D(2025, 10, 1))  # 国庆节, a Wednesday
    assert not calendar.is_working_day(D(2026, 2, 16))  # 春节, a Monday
    assert calendar.is_working_day(D(2025, 10, 11))  # 调休: a Saturday worked
    assert calendar.is_working_day(D(2025, 9, 28))  # 调休: a Sunday worked
    assert calendar.is_working_day(D(2026, 1, 4))  # 调休 for 元旦 2026, a Sunday
    assert not calendar.is_working_day(D(2025, 10, 18))  # an ordinary Saturday
    assert calendar.is_working_day(D(2025, 10, 9))  # an ordinary Thursday


def test_holidays_come_from_the_pinned_package_and_office_hours_from_data() -> None:
    data = yaml.safe_load((PROJECT_ROOT / "data" / "intake" / "calendar.yml").read_text(encoding="utf-8"))
    assert set(data) == {"office_hours"}  # no hand-written holiday table any more
    pins = (PROJECT_ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    assert f"chinese-calendar=={chinese_calendar.__version__}" in pins
    assert {2025, 2026} <= package_years()
    # 2026 as the State Council's notice has it: 春节 15–23 February, make-up Saturdays 14 and 28 February.
    assert not get_calendar().is_working_day(D(2026, 2, 23))
    assert get_calendar().is_working_day(D(2026, 2, 28))
    assert get_calendar().is_working_day(D(2026, 5, 9))


def test_add_working_days_across_national_day(calendar: WorkCalendar) -> None:
    assert calendar.add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert calendar.add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)  # Friday → the 调休 Sunday
    assert calendar.add_working_days(D(2025, 9, 30), 3) == D(2025, 10, 11)  # Thu, Fri, the 调休 Saturday
    assert calendar.add_working_days(D(2025, 9, 30), 0) == D(2025, 9, 30)
    with pytest.raises(ValueError):
        calendar.add_working_days(D(2025, 9, 30), -1)


def test_working_days_between(calendar: WorkCalendar) -> None:
    assert calendar.working_days_between(D(2025, 9, 30), D(2025, 10, 9)) == 1
    assert calendar.working_days_between(D(2025, 10, 9), D(2025, 9, 30)) == -1
    assert calendar.working_days_between(D(2025, 9, 29), D(2025, 9, 29)) == 0
    start = D(2025, 12, 20)
    assert calendar.working_days_between(start, calendar.add_working_days(start, 30)) == 30


@pytest.mark.parametrize("hour, minute, open_", [
    (8, 29, False), (8, 30, True), (11, 59, True), (12, 0, False), (14, 29, False), (14, 30, True),
    (17, 29, True), (17, 30, False),
])
def test_office_hours_edges(calendar: WorkCalendar, hour: int, minute: int, open_: bool) -> None:
    assert calendar.in_office_hours(at(2025, 10, 9, hour, minute)) is open_


def test_office_hours_on_days_off_and_make_up_days(calendar: WorkCalendar) -> None:
    assert not calendar.in_office_hours(at(2025, 10, 2, 10))  # holiday
    assert not calendar.in_office_hours(at(2025, 10, 18, 10))  # Saturday
    assert calendar.in_office_hours(at(2025, 10, 11, 10))  # 调休 Saturday
    # 01:30 UTC is 09:30 in Shanghai.
    assert calendar.in_office_hours(dt.datetime(2025, 10, 9, 1, 30, tzinfo=dt.timezone.utc))


def test_next_opening(calendar: WorkCalendar) -> None:
    friday_evening = at(2025, 11, 14, 18)
    assert calendar.next_opening(friday_evening) == at(2025, 11, 17, 8, 30)
    assert calendar.next_opening(at(2025, 9, 30, 18)) == at(2025, 10, 9, 8, 30)  # before 国庆
    assert calendar.next_opening(at(2025, 10, 9, 12, 30)) == at(2025, 10, 9, 14, 30)  # lunch
    assert calendar.next_opening(at(2025, 10, 9, 7)) == at(2025, 10, 9, 8, 30)
    assert calendar.next_opening(at(2025, 10, 10, 18)) == at(2025, 10, 11, 8, 30)  # 调休 Saturday
    open_now = at(2025, 10, 9, 9, 15)
    assert calendar.next_opening(open_now) == open_now
    assert calendar.next_opening(at(2025, 10, 9, 9, 15)).tzinfo is not None


def test_years_the_package_does_not_know_count_weekends_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    calendar = load_calendar(PROJECT_ROOT / "data" / "intake" / "calendar.yml")
    with caplog.at_level(logging.WARNING, logger="bot.core.calendar"):
        assert calendar.is_working_day(D(2099, 10, 1))  # a Thursday: no holiday known
        assert not calendar.is_working_day(D(2099, 10, 3))
        calendar.add_working_days(D(2099, 1, 1), 20)
    assert sum("2099" in record.getMessage() for record in caplog.records) == 1


def test_administrators_are_warned_of_an_unknown_year_ahead() -> None:
    known = WorkCalendar([(dt.time(8, 30), dt.time(17, 30))], years={2026})
    assert known.unknown_years_ahead(D(2026, 6, 1)) == []
    assert known.unknown_years_ahead(D(2026, 12, 2)) == [2027]  # deadlines run into 2027
    warning = unknown_years_warning(known, D(2026, 12, 2))
    assert warning is not None and "2027年" in warning and "chinese-calendar" in warning
    assert unknown_years_warning(known, D(2026, 6, 1)) is None


def test_stored_times_convert_to_local() -> None:
    assert to_local(dt.datetime(2025, 10, 8, 16, 30)) == at(2025, 10, 9, 0, 30)
    assert utc_start_of(D(2025, 10, 9)) == dt.datetime(2025, 10, 8, 16, 0)


def test_due_dates() -> None:
    start = D(2025, 9, 30)
    assert due_date("已登记", ["dibao"], start) == D(2025, 10, 11)  # 3 working days: 9, 10, 11 (调休)
    assert due_date("已受理", ["dibao"], start) == get_calendar().add_working_days(start, 30)
    # Several programs: the shortest limit wins (临时救助 10 < 低保 30).
    assert due_date("已受理", ["dibao", "temporary_assistance"], start) == get_calendar().add_working_days(start, 10)
    assert due_date("已办结", ["dibao"], start) is None
    assert due_date("不予受理", ["dibao"], start) is None


def test_every_deadline_figure_has_a_source_or_is_an_assumption(tmp_path: Path) -> None:
    limits = load_limits(PROJECT_ROOT / "data" / "intake" / "deadlines.yml")
    assert limits.days("已受理", ["dibao"]) == 30
    assert limits.days("退回补充材料", ["dibao"]) == 10
    bad = tmp_path / "deadlines.yml"
    bad.write_text("defaults:\n  已登记: {days: 3}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="source or assumption"):
        load_limits(bad)


def test_dibao_limit_cites_the_ministry_measure() -> None:
    data = yaml.safe_load((PROJECT_ROOT / "data" / "intake" / "deadlines.yml").read_text(encoding="utf-8"))
    entry = data["programs"]["dibao"]["已受理"]
    assert entry["days"] == 30 and "民发〔2021〕57号" in entry["source"] and entry["verify"]
