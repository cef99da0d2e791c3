"""The supervisors' figures over a date range, by 乡镇/街道 and by staff member: new, accepted and
closed applications, open ones overdue, median waiting time (登记 → 受理) and handling time
(受理 → 办结 or 不予受理), the daily series and the 超期 trend."""
from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import statistics
import threading
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from sqlalchemy import Text, case, cast, func, select
from sqlalchemy.sql import Select
from sqlalchemy.orm import aliased, sessionmaker

from bot.core.calendar import local_now, utc_start_of
from bot.core import versions
from bot.core.db import reading, session_factory
from bot.core.models import ACCEPTED, CLOSED, REJECTED, Application, StaffUser, StatusChange
from bot.core.sqldays import date_day, day_number, days_between, greatest, least, local_day
from bot.intake.registry import ALL_DISTRICTS_ROLES, PROGRAM_NAMES, _not_final, _visible_to
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


# Figures already counted: (database, registry version, what the user may see, range) → figures.
# A key holds while no transaction has changed an application, a status change or a staff
# account (bot.core.versions); the next change raises the version and the figures are counted again.
_COUNTED: "OrderedDict[tuple, dict[str, Any]]" = OrderedDict()
_COUNTED_LOCK = threading.Lock()
COUNTED_KEPT = 32


def figures(user: StaffUser, span: Range, *, today: dt.date | None = None,
            factory: sessionmaker | None = None) -> dict[str, Any]:
    """The figures of `span` as `user` may see them. Overdue means past the 办理时限 at the end of
    the range (`today` is kept for callers). Exact: counted again whenever the registry's data
    version has moved since they were last counted for the same range and view."""
    factory = factory or session_factory()
    scope = (user.active is not False, user.role in ALL_DISTRICTS_ROLES, user.district if user.role == "intake" else None)
    with reading(factory) as session:
        version = versions.current(session, versions.APPLICATIONS)
    if version is None:
        return count_figures(user, span, factory=factory)
    key = (str(factory.kw["bind"].url), version, scope, span.first, span.last)
    with _COUNTED_LOCK:
        kept = _COUNTED.get(key)
        if kept is not None:
            _COUNTED.move_to_end(key)
    if kept is None:
        kept = count_figures(user, span, factory=factory)
        with _COUNTED_LOCK:
            _COUNTED[key] = kept
            while len(_COUNTED) > COUNTED_KEPT:
                _COUNTED.popitem(last=False)
    return copy.deepcopy(kept)


def count_figures(user: StaffUser, span: Range, *, factory: sessionmaker | None = None,
                  direct: bool = False) -> dict[str, Any]:
    """Counted by aggregate queries: what comes back is a few numbers per district, day and staff
    member, plus one number per waiting or handling time (for the medians), never whole rows.
    `direct` computes each change's day, durations and first 受理 from the timestamps instead of
    reading the values the database keeps (bot.core.precounted): the same figures, slower; the
    tests compare the two."""
    start, end = span.utc_bounds()
    visible = _visible_to(user)
    first_day, last_day = day_number(span.first), day_number(span.last)
    registered = [*visible, Application.created_at >= start, Application.created_at < end]
    # The range's 受理 and 办结 from ix_status_changes_day alone, with the values the database keeps
    # on each (bot.core.precounted): a 受理 counts when it is the application's first.
    counted = [*_visible_changes(user), StatusChange.day >= first_day, StatusChange.day <= last_day,
               StatusChange.to_status.in_((ACCEPTED, *FINISHED)),
               StatusChange.from_status.is_distinct_from(StatusChange.to_status),
               (StatusChange.to_status != ACCEPTED) | StatusChange.first_accept.is_(True)]
    new_day = local_day(Application.created_at) - first_day
    overdue_now = [*visible, _not_final(), Application.due_date < span.last]
    with reading(factory) as session:
        run = session.connection().execute  # Core rows: the ORM's row handling is not needed
        new_by_kind = run(
            select(Application.district, cast(Application.programs, Text), func.count())
            .where(*registered).group_by(Application.district, cast(Application.programs, Text))).all()
        new_by_day = run(select(new_day, func.count()).where(*registered).group_by(new_day)).all()
        changes = run(
            _changes_directly(span).where(*visible) if direct else
            select(StatusChange.to_status, StatusChange.day - first_day, StatusChange.actor_id,
                   StatusChange.district, StatusChange.since_registered, StatusChange.accepted_after)
            .where(*counted)).all()
        overdue_by_district = run(
            select(Application.district, func.count()).where(*overdue_now).group_by(Application.district)).all()
        overdue_by_person = run(
            select(Application.assignee_id, func.count())
            .where(*overdue_now, Application.assignee_id.isnot(None)).group_by(Application.assignee_id)).all()
        # The 超期 trend: each application counts from the day after its deadline (and its
        # registration) to the day before it ended; only the starts and ends per day come back.
        spell = select(
            greatest(date_day(Application.due_date) + 1, local_day(Application.created_at), first_day).label("first"),
            case((Application.status.in_(FINAL_STATUSES), least(local_day(Application.updated_at) - 1, last_day)),
                 else_=last_day).label("last"),
        ).where(*visible, Application.due_date < span.last,
                (Application.updated_at >= start) | _not_final()).subquery()
        counted_spell = spell.c.first <= spell.c.last
        starts = run(select(spell.c.first - first_day, func.count())
                                 .where(counted_spell).group_by(spell.c.first)).all()
        ends = run(select(spell.c.last - first_day, func.count())
                               .where(counted_spell).group_by(spell.c.last)).all()
        staff = {pk: (username, name) for pk, username, name in run(
            select(StaffUser.id, StaffUser.username, StaffUser.display_name)).all()}
    districts: dict[str, Counter] = defaultdict(Counter)
    people: dict[int, Counter] = defaultdict(Counter)
    programs: Counter = Counter()
    for district, keys, count in new_by_kind:
        districts[district]["new"] += count
        for key in json.loads(keys) if keys else []:
            programs[key] += count
    for district, count in overdue_by_district:
        districts[district]["overdue"] += count
    for person, count in overdue_by_person:
        people[person]["overdue"] += count
    size = (span.last - span.first).days + 1
    daily_new = [0] * size
    for offset, count in new_by_day:
        if 0 <= offset < size:
            daily_new[offset] += count
    return _tally(span, districts, people, daily_new, programs, changes,
                  _overdue_trend(span, starts, ends), staff)


def _visible_changes(user: StaffUser) -> list[Any]:
    """registry._visible_to for status changes, by the 乡镇 each keeps of its application."""
    visible = _visible_to(user)
    if not visible or user.active is False or user.role != "intake" or not user.district:
        return visible
    return [StatusChange.district == user.district]


def _changes_directly(span: Range) -> Select:
    """The counted changes of `span` as count_figures reads them, computed from the timestamps,
    each 受理 and 办结 with a correlated look-up of its application's first 受理."""
    start, end = span.utc_bounds()
    accepted = aliased(StatusChange)
    first_accept = (select(func.min(accepted.created_at))
                    .where(accepted.application_id == StatusChange.application_id, accepted.to_status == ACCEPTED)
                    .scalar_subquery())
    return (select(StatusChange.to_status, local_day(StatusChange.created_at) - day_number(span.first),
                   StatusChange.actor_id, Application.district,
                   days_between(Application.created_at, StatusChange.created_at),
                   days_between(Application.created_at, first_accept))
            .join(Application, Application.id == StatusChange.application_id)
            .where(StatusChange.created_at >= start, StatusChange.created_at < end,
                   StatusChange.to_status.in_((ACCEPTED, *FINISHED)),
                   StatusChange.from_status.is_distinct_from(StatusChange.to_status),
                   (StatusChange.to_status != ACCEPTED) | (StatusChange.created_at == first_accept)))


def _tally(span: Range, districts: dict[str, Counter], people: dict[int, Counter], daily_new: list[int],
           programs: dict[str, int], changes: list[Any], trend: list[int],
           staff: dict[int, tuple[str, str]]) -> dict[str, Any]:
    """The figures from the counts and from one row per counted change: (status, day offset in
    the range, actor, district, days from registration to the change, days from registration to
    the application's first 受理 or None). Every 受理 given is an application's first."""
    size = (span.last - span.first).days + 1
    daily_accepted, daily_closed = [0] * size, [0] * size
    waits: dict[str, list[float]] = defaultdict(list)
    handles: dict[str, list[float]] = defaultdict(list)
    person_handles: dict[int, list[float]] = defaultdict(list)
    accepts = [row for row in changes if row[0] == ACCEPTED]
    finishes = [row for row in changes if row[0] in FINISHED]
    for kind, rows, daily in (("accepted", accepts, daily_accepted), ("closed", finishes, daily_closed)):
        for district, count in Counter(row[3] for row in rows).items():
            districts[district][kind] += count
        for actor, count in Counter(row[2] for row in rows).items():
            if actor is not None:
                people[actor][kind] += count
        for offset, count in Counter(row[1] for row in rows).items():
            if 0 <= offset < size:
                daily[offset] += count
    for _status, _offset, _actor, district, since_registered, _first in accepts:
        waits[district].append(since_registered)
    for _status, _offset, actor, district, since_registered, to_first_accept in finishes:
        since_accepted = since_registered - (to_first_accept or 0.0)
        handles[district].append(since_accepted)
        if actor is not None:
            person_handles[actor].append(since_accepted)
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
        "daily": [{"day": day.isoformat(), "new": daily_new[index], "accepted": daily_accepted[index],
                   "closed": daily_closed[index], "overdue": trend[index]} for index, day in enumerate(span.days())],
        "programs": [{"key": key, "name": name, "count": int(programs.get(key) or 0)}
                     for key, name in PROGRAM_NAMES.items()],
    }


def _overdue_trend(span: Range, starts: list[Any], ends: list[Any]) -> list[int]:
    """For each day of the range, the applications open at its end and past their 办理时限, from
    (day offset, how many begin being overdue) and (day offset, how many stop after it)."""
    size = (span.last - span.first).days + 1
    steps = [0] * (size + 1)
    for offset, count in starts:
        steps[offset] += count
    for offset, count in ends:
        steps[offset + 1] -= count
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
