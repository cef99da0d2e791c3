"""办理时限: the due date of an application's current status, in working days (data/intake/deadlines.yml)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml

from bot.core.calendar import WorkCalendar, get_calendar
from bot.intake.workflow import is_final
from bot.settings import get_settings


@dataclass(frozen=True)
class Limits:
    defaults: dict[str, int]
    programs: dict[str, dict[str, int]]

    def days(self, status: str, programs: Iterable[str]) -> int | None:
        """The shortest limit over the programs (each program's own, else the default)."""
        default = self.defaults.get(status)
        limits = [self.programs.get(program, {}).get(status, default) for program in programs]
        known = [days for days in limits if days is not None]
        return min(known) if known else default


def load_limits(path: Path) -> Limits:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    defaults = _figures(data["defaults"], "defaults")
    programs = {key: _figures(entries, key) for key, entries in data.get("programs", {}).items()}
    return Limits(defaults, programs)


def _figures(entries: dict[str, Any], where: str) -> dict[str, int]:
    for status, entry in entries.items():
        if not (entry.get("source") or entry.get("assumption") is True):
            raise ValueError(f"deadlines.yml {where}/{status}: a figure needs a source or assumption: true")
    return {status: int(entry["days"]) for status, entry in entries.items()}


@lru_cache(maxsize=1)
def get_limits() -> Limits:
    return load_limits(get_settings().data_dir / "intake" / "deadlines.yml")


def due_date(
    status: str, programs: Iterable[str], start: dt.date, calendar: WorkCalendar | None = None
) -> dt.date | None:
    """The last working day allowed in `status` when it began on `start`; None for final statuses."""
    if is_final(status):
        return None
    days = get_limits().days(status, list(programs))
    if days is None:
        return None
    return (calendar or get_calendar()).add_working_days(start, days)
