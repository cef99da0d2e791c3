"""Whole numbers read from requests (query strings, forms, route parameters), bounded so that
nothing a client types reaches Python's int() or the database unchecked.

`str.isdigit()` accepts "²" and "①", which int() then refuses, and a number of 20 digits passes
int() but overflows the databases' 64-bit integers: both were 500s. Only ASCII digits up to
DB_INT_MAX count as a number here.
"""
from __future__ import annotations

from typing import Optional

# The largest value of a 64-bit signed integer column (SQLite INTEGER, PostgreSQL BIGINT).
DB_INT_MAX = 2**63 - 1
_MAX_DIGITS = len(str(DB_INT_MAX))


def whole_number(value: object, maximum: int = DB_INT_MAX) -> Optional[int]:
    """The non-negative integer `value` spells in ASCII digits, at most `maximum`; else None."""
    if not isinstance(value, str) or not value or len(value) > _MAX_DIGITS:
        return None
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if number <= maximum else None


def in_db_range(value: object) -> bool:
    """False for an int a database column cannot hold (a route parameter like <id:int>)."""
    return not isinstance(value, int) or isinstance(value, bool) or -DB_INT_MAX - 1 <= value <= DB_INT_MAX
