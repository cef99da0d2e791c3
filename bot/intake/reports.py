"""The supervisors' figures over a date range, by 乡镇/街道 and by staff member: new, accepted and
closed applications, open ones overdue, median waiting time (登记 → 受理) and handling time
(受理 → 办结 or 不予受理), the daily series and the 超期 trend."""
from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.core.calendar import local_now, to_local, utc_start_of
from bot.core.db import transaction
from bot.core.models import ACCEPTED, CLOSED, REJECTED, Application, StaffUser, StatusChange
from bot.intake.registry import PROGRAM_NAMES, _not_final, _visible_to
from bot.intake.workflow import FINAL_STATUSES

MAX_RANGE_DAYS = 366
FINISHED = (CLOSED, REJECTED)


@dataclass(frozen=True)
class Range:
    first: dt.date
    last: dt.date

    @classmethod
    def of(cls, first: Optional[dt.date], last: Optional[dt.date], today: dt.date, default_days: int = 30) -> "Range":
        last = min(last or today, today)
        first = first or last - dt.timedelta(days=default_days - 1)
        first = max(min(first, last), last - dt.timedelta(days=MAX_RANGE_DAYS - 1))
        return cls(first, last)

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return utc_start_of(self.first), utc_start_of(self.last + dt.timedelta(days=1))


def _median_days(values: Iterable[float]) -> Optional[float]:
    values = list(values)
    return round(statistics.median(values), 1) if values else None


def _days_between(a: dt.datetime, b: dt.datetime) -> float:
    return (b - a).total_seconds() / 86400


def figures(user: StaffUser, span: Range, *, today: dt.date | None = None,
            factory: sessionmaker | None = None) -> dict[str, Any]:
    today = today or local_now().date()
    start, end = span.utc_bounds()
    visible = _visible_to(user)
    in_range = [StatusChange.created_at >= start, StatusChange.created_at < end]
    counted = [StatusChange.to_status.in_((ACCEPTED, *FINISHED)),
               StatusChange.from_status.is_distinct_from(StatusChange.to_status)]
    with transaction(factory) as session:
        new_rows = session.execute(
            select(Application.created_at, Application.district, Application.programs)
            .where(*visible, Application.created_at >= start, Application.created_at < end)).all()
        changes = session.execute(
            select(StatusChange.application_id, StatusChange.to_status, StatusChange.created_at,
                   StatusChange.actor_id, Application.district, Application.created_at)
            .join(Application, Application.id == StatusChange.application_id)
            .where(*visible, *in_range, *counted)).all()
        touched = select(StatusChange.application_id).where(*in_range, *counted)
        first_accept = dict(session.execute(
            select(StatusChange.application_id, func.min(StatusChange.created_at))
            .where(StatusChange.to_status == ACCEPTED, StatusChange.application_id.in_(touched))
            .group_by(StatusChange.application_id)).all())
        overdue_rows = session.execute(
            select(Application.district, Application.assignee_id, Application.due_date,
                   Application.status, Application.updated_at, Application.created_at)
            .where(*visible, Application.due_date < span.last,
                   (Application.updated_at >= start) | _not_final())).all()
        staff = {pk: (username, name) for pk, username, name in session.execute(
            select(StaffUser.id, StaffUser.username, StaffUser.display_name)).all()}
    return _tally(span, today, new_rows, changes, first_accept, overdue_rows, staff)


def _tally(span: Range, today: dt.date, new_rows: list[Any], changes: list[Any],
           first_accept: dict[int, dt.datetime], overdue_rows: list[Any],
           staff: dict[int, tuple[str, str]]) -> dict[str, Any]:
    districts: dict[str, Counter] = defaultdict(Counter)
    people: dict[int, Counter] = defaultdict(Counter)
    waits: dict[str, list[float]] = defaultdict(list)
    handles: dict[str, list[float]] = defaultdict(list)
    person_handles: dict[int, list[float]] = defaultdict(list)
    daily: dict[str, Counter] = {"new": Counter(), "accepted": Counter(), "closed": Counter()}
    programs: Counter = Counter()
    for created, district, keys in new_rows:
        districts[district]["new"] += 1
        daily["new"][to_local(created).date()] += 1
        programs.update(keys)
    for app_id, status, at, actor, district, created in changes:
        day = to_local(at).date()
        if status == ACCEPTED and first_accept.get(app_id) == at:
            districts[district]["accepted"] += 1
            daily["accepted"][day] += 1
            waits[district].append(_days_between(created, at))
            if actor is not None:
                people[actor]["accepted"] += 1
        elif status in FINISHED:
            districts[district]["closed"] += 1
            daily["closed"][day] += 1
            handled = _days_between(first_accept.get(app_id, created), at)
            handles[district].append(handled)
            if actor is not None:
                people[actor]["closed"] += 1
                person_handles[actor].append(handled)
    for district, assignee, due, status, _updated, _created in overdue_rows:
        if status not in FINAL_STATUSES and due < today:
            districts[district]["overdue"] += 1
            if assignee is not None:
                people[assignee]["overdue"] += 1
    trend = _overdue_trend(span, overdue_rows)
    all_waits = [value for values in waits.values() for value in values]
    all_handles = [value for values in handles.values() for value in values]
    return {
        "range": {"from": span.first.isoformat(), "to": span.last.isoformat()},
        "totals": {
            "new": sum(c["new"] for c in districts.values()),
            "accepted": sum(c["accepted"] for c in districts.values()),
            "closed": sum(c["closed"] for c in districts.values()),
            "overdue": sum(c["overdue"] for c in districts.values()),
            "median_wait_days": _median_days(all_waits),
            "median_handle_days": _median_days(all_handles),
        },
        "districts": sorted(({
            "district": name, "new": c["new"], "accepted": c["accepted"], "closed": c["closed"],
            "overdue": c["overdue"], "median_wait_days": _median_days(waits[name]),
            "median_handle_days": _median_days(handles[name]),
        } for name, c in districts.items()), key=lambda row: (-row["overdue"], -row["new"], row["district"])),
        "staff": sorted(({
            "username": staff.get(pk, ("", ""))[0], "name": staff.get(pk, ("", "已删除的账户"))[1],
            "accepted": c["accepted"], "closed": c["closed"], "overdue": c["overdue"],
            "median_handle_days": _median_days(person_handles[pk]),
        } for pk, c in people.items()), key=lambda row: (-row["closed"], -row["accepted"], row["username"])),
        "daily": [{"day": day.isoformat(), "new": daily["new"][day], "accepted": daily["accepted"][day],
                   "closed": daily["closed"][day], "overdue": trend[index]} for index, day in enumerate(span.days())],
        "programs": [{"key": key, "name": name, "count": programs[key]} for key, name in PROGRAM_NAMES.items()],
    }


def _overdue_trend(span: Range, rows: list[Any]) -> list[int]:
    """For each day of the range, the applications open at its end and past their 办理时限: each
    row counts from the day after its deadline (and its registration) until the day it ended."""
    size = (span.last - span.first).days + 1
    steps = [0] * (size + 1)
    for _district, _assignee, due, status, updated, created in rows:
        first = max(due + dt.timedelta(days=1), to_local(created).date(), span.first)
        last = min(to_local(updated).date() - dt.timedelta(days=1), span.last) if status in FINAL_STATUSES \
            else span.last
        if first <= last:
            steps[(first - span.first).days] += 1
            steps[(last - span.first).days + 1] -= 1
    trend, running = [], 0
    for step in steps[:size]:
        running += step
        trend.append(running)
    return trend


CSV_DISTRICT_HEADER = ("乡镇（街道）", "新登记", "已受理", "已办结", "当前超期", "等待受理中位数（天）", "办理中位数（天）")
CSV_STAFF_HEADER = ("用户名", "姓名", "受理", "办结", "当前超期", "办理中位数（天）")


def figures_csv(data: dict[str, Any]) -> str:
    """The figures as CSV (UTF-8 with BOM for Excel): by district, then by staff member."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow((f"统计区间 {data['range']['from']} 至 {data['range']['to']}",))
    writer.writerow(CSV_DISTRICT_HEADER)
    for row in data["districts"]:
        writer.writerow((row["district"], row["new"], row["accepted"], row["closed"], row["overdue"],
                         _cell(row["median_wait_days"]), _cell(row["median_handle_days"])))
    writer.writerow(())
    writer.writerow(CSV_STAFF_HEADER)
    for row in data["staff"]:
        writer.writerow((row["username"], row["name"], row["accepted"], row["closed"], row["overdue"],
                         _cell(row["median_handle_days"])))
    return "\ufeff" + out.getvalue()


def _cell(value: Optional[float]) -> str:
    return "" if value is None else f"{value:g}"
