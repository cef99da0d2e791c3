"""Day arithmetic done by the database, so that figures over a year are counted by aggregate
queries instead of loading every row (and parsing its timestamps) in Python. The same
expressions compile for SQLite and PostgreSQL.

Timestamps are stored as naive UTC; a local day is the day in China Standard Time (UTC+8, no
daylight saving since 1991), numbered as days since 1970-01-01.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from bot.core.calendar import TZ

EPOCH = dt.date(1970, 1, 1)
UTC_OFFSET_HOURS = int(dt.datetime(2020, 1, 1, tzinfo=TZ).utcoffset().total_seconds() // 3600)
_JULIAN_EPOCH = 2440587.5  # julianday('1970-01-01')


def day_number(day: dt.date) -> int:
    """The number of a date as the expressions below give it."""
    return (day - EPOCH).days


class local_day(FunctionElement):  # noqa: N801 - used like a SQL function
    """The local day (an integer, see day_number) of a naive-UTC timestamp column."""

    type = Integer()
    inherit_cache = True
    name = "local_day"


class date_day(FunctionElement):  # noqa: N801
    """The day number of a DATE column."""

    type = Integer()
    inherit_cache = True
    name = "date_day"


class days_between(FunctionElement):  # noqa: N801
    """Days (a fraction) from the first timestamp to the second."""

    type = Float()
    inherit_cache = True
    name = "days_between"


def _args(element: FunctionElement, compiler, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    return [compiler.process(clause, **kw) for clause in element.clauses]


@compiles(local_day, "sqlite")
def _local_day_sqlite(element, compiler, **kw):  # type: ignore[no-untyped-def]
    (moment,) = _args(element, compiler, **kw)
    return f"CAST(julianday({moment}, '{UTC_OFFSET_HOURS:+d} hours') - {_JULIAN_EPOCH} AS INTEGER)"


@compiles(local_day, "postgresql")
def _local_day_postgresql(element, compiler, **kw):  # type: ignore[no-untyped-def]
    (moment,) = _args(element, compiler, **kw)
    return f"(CAST({moment} + INTERVAL '{UTC_OFFSET_HOURS} hours' AS DATE) - DATE '1970-01-01')"


@compiles(date_day, "sqlite")
def _date_day_sqlite(element, compiler, **kw):  # type: ignore[no-untyped-def]
    (day,) = _args(element, compiler, **kw)
    return f"CAST(julianday({day}) - {_JULIAN_EPOCH} AS INTEGER)"


@compiles(date_day, "postgresql")
def _date_day_postgresql(element, compiler, **kw):  # type: ignore[no-untyped-def]
    (day,) = _args(element, compiler, **kw)
    return f"({day} - DATE '1970-01-01')"


# The second argument is compiled first: with positional parameters (SQLite's "?") the
# arguments must be compiled in the order they appear in the SQL text.

@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):  # type: ignore[no-untyped-def]
    first, second = list(element.clauses)
    later = compiler.process(second, **kw)
    return f"(julianday({later}) - julianday({compiler.process(first, **kw)}))"


@compiles(days_between, "postgresql")
def _days_between_postgresql(element, compiler, **kw):  # type: ignore[no-untyped-def]
    first, second = list(element.clauses)
    later = compiler.process(second, **kw)
    return f"(EXTRACT(EPOCH FROM ({later} - {compiler.process(first, **kw)})) / 86400.0)"


class greatest(FunctionElement):  # noqa: N801
    """The largest of its (integer) arguments: max(a, b, …) in SQLite, GREATEST in PostgreSQL."""

    type = Integer()
    inherit_cache = True
    name = "greatest"


class least(FunctionElement):  # noqa: N801
    """The smallest of its (integer) arguments."""

    type = Integer()
    inherit_cache = True
    name = "least"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):  # type: ignore[no-untyped-def]
    return f"max({', '.join(_args(element, compiler, **kw))})"


@compiles(least, "sqlite")
def _least_sqlite(element, compiler, **kw):  # type: ignore[no-untyped-def]
    return f"min({', '.join(_args(element, compiler, **kw))})"


@compiles(greatest, "postgresql")
def _greatest_postgresql(element, compiler, **kw):  # type: ignore[no-untyped-def]
    return f"GREATEST({', '.join(_args(element, compiler, **kw))})"


@compiles(least, "postgresql")
def _least_postgresql(element, compiler, **kw):  # type: ignore[no-untyped-def]
    return f"LEAST({', '.join(_args(element, compiler, **kw))})"
