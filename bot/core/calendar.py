"""Working days (public holidays and 调休 make-up days) and office hours, in Asia/Shanghai time.

Holidays and make-up days come from the maintained `chinese-calendar` package, which follows the
State Council's yearly notice (国务院办公厅关于部分节假日安排的通知). A year the package does not
know yet counts weekends only: that is logged once per year as a warning, and the console shows
administrators and supervisors a banner (`unknown_years_ahead`) until the package is upgraded.
Office hours stay in data/intake/calendar.yml.
"""
from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml

from bot.settings import get_settings

TZ = ZoneInfo("Asia/Shanghai")
Period = tuple[dt.time, dt.time]
# The console warns when a year within this many days of today is unknown (deadlines run ahead).
HORIZON_DAYS = 90

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


def package_years() -> frozenset[int]:
    """The years whose holidays the installed chinese-calendar knows."""
    return frozenset(day.year for day in chinese_calendar.holidays)


class WorkCalendar:
    def __init__(
        self,
        periods: Iterable[Period],
        workday: Callable[[dt.date], bool] = chinese_calendar.is_workday,
        years: Iterable[int] | None = None,
    ) -> None:
        """`workday` says whether a day of a known year is worked (holidays and 调休 included);
        `years` are the years it knows (those of the installed chinese-calendar by default)."""
        self.periods = tuple(sorted(periods))
        self._workday = workday
        self.years = frozenset(package_years() if years is None else years)
        self._warned_years: set[int] = set()

    def is_working_day(self, day: dt.date) -> bool:
        if day.year not in self.years:
            self._warn_unknown(day.year)
            return day.weekday() < 5
        return self._workday(day)

    def _warn_unknown(self, year: int) -> None:
        if year not in self._warned_years:
            self._warned_years.add(year)
            log.warning("chinese-calendar %s has no public holidays for %s: counting weekends only; "
                        "upgrade it once the State Council's notice for %s is out",
                        chinese_calendar.__version__, year, year)

    def unknown_years_ahead(self, today: dt.date, days: int = HORIZON_DAYS) -> list[int]:
        """The years from today to `days` ahead whose holidays are not known (counted as weekends only)."""
        last = today + dt.timedelta(days=days)
        return [year for year in range(today.year, last.year + 1) if year not in self.years]

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


def unknown_years_warning(calendar: "WorkCalendar", today: dt.date) -> str | None:
    """What administrators are told while a year near today has no holiday data (Chinese)."""
    years = calendar.unknown_years_ahead(today)
    if not years:
        return None
    named = "、".join(f"{year}年" for year in years)
    return (f"节假日数据（chinese-calendar {chinese_calendar.__version__}）尚不含{named}的放假和调休安排："
            f"{named}的办理时限和工作时间暂按周一至周五计算，节假日期间的时限可能偏早。"
            "请在国务院办公厅公布安排、chinese-calendar 发布新版本后升级（requirements.lock 与 pyproject.toml）。")


def load_calendar(path: Path) -> WorkCalendar:
    """Office hours from the file; holidays and make-up days from chinese-calendar."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    periods = [(dt.time.fromisoformat(start), dt.time.fromisoformat(end))
               for start, end in data["office_hours"]["periods"]]
    return WorkCalendar(periods)


@lru_cache(maxsize=1)
def get_calendar() -> WorkCalendar:
    return load_calendar(get_settings().data_dir / "intake" / "calendar.yml")
