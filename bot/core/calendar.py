"""Working days (public holidays and 调休 make-up days) and office hours, in Asia/Shanghai time.

The facts are in data/intake/calendar.yml; a year the file does not list counts weekends only.
"""
from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo

import yaml

from bot.settings import get_settings

TZ = ZoneInfo("Asia/Shanghai")
Period = tuple[dt.time, dt.time]

log = logging.getLogger(__name__)


def local_now() -> dt.datetime:
    return dt.datetime.now(TZ)


def to_local(naive_utc: dt.datetime) -> dt.datetime:
    """A stored timestamp (naive UTC) as an aware local time."""
    return naive_utc.replace(tzinfo=dt.timezone.utc).astimezone(TZ)


def utc_start_of(day: dt.date) -> dt.datetime:
    """Local midnight at the start of `day`, as naive UTC (for comparing with stored timestamps)."""
    local_midnight = dt.datetime.combine(day, dt.time(), tzinfo=TZ)
    return local_midnight.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _as_local(moment: dt.datetime) -> dt.datetime:
    """An aware time in local time; a naive one is taken to be local already."""
    return moment.replace(tzinfo=TZ) if moment.tzinfo is None else moment.astimezone(TZ)


class WorkCalendar:
    def __init__(
        self,
        holidays: Iterable[dt.date],
        workdays: Iterable[dt.date],
        years: Iterable[int],
        periods: Iterable[Period],
    ) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.years = frozenset(years)
        self.periods = tuple(sorted(periods))
        self._warned_years: set[int] = set()

    def is_working_day(self, day: dt.date) -> bool:
        self._warn_if_unknown(day.year)
        if day in self.workdays:
            return True
        return day not in self.holidays and day.weekday() < 5

    def _warn_if_unknown(self, year: int) -> None:
        if year not in self.years and year not in self._warned_years:
            self._warned_years.add(year)
            log.warning("calendar.yml lists no public holidays for %s: counting weekends only", year)

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (`start` itself when n is 0)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        while n:
            day += dt.timedelta(days=1)
            n -= self.is_working_day(day)
        return day

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days after `a` up to and including `b` (negative when b is before a)."""
        if b < a:
            return -self.working_days_between(b, a)
        return sum(self.is_working_day(a + dt.timedelta(days=i)) for i in range(1, (b - a).days + 1))

    def in_office_hours(self, local_dt: dt.datetime) -> bool:
        moment = _as_local(local_dt)
        if not self.is_working_day(moment.date()):
            return False
        return any(start <= moment.time() < end for start, end in self.periods)

    def next_opening(self, local_dt: dt.datetime) -> dt.datetime:
        """The next moment the window is open (local, aware): `local_dt` itself if open now."""
        moment = _as_local(local_dt)
        if self.in_office_hours(moment):
            return moment
        day = moment.date()
        if self.is_working_day(day):
            for start, _end in self.periods:
                if moment.time() < start:
                    return dt.datetime.combine(day, start, tzinfo=TZ)
        day = self.add_working_days(day, 1)
        return dt.datetime.combine(day, self.periods[0][0], tzinfo=TZ)


def load_calendar(path: Path) -> WorkCalendar:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    holidays: list[dt.date] = []
    workdays: list[dt.date] = []
    for year in data["years"].values():
        holidays.extend(day for entry in year.get("holidays", []) for day in _date_range(entry))
        workdays.extend(entry["date"] for entry in year.get("workdays", []))
    periods = [(_time(start), _time(end)) for start, end in data["office_hours"]["periods"]]
    return WorkCalendar(holidays, workdays, data["years"].keys(), periods)


def _date_range(entry: dict[str, Any]) -> list[dt.date]:
    first, last = entry["from"], entry["to"]
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


@lru_cache(maxsize=1)
def get_calendar() -> WorkCalendar:
    return load_calendar(get_settings().data_dir / "intake" / "calendar.yml")
