"""The parameters every part of the assistant reads: the shipped YAML defaults merged with the
values approved in the registry, reloaded in every worker as soon as an approval raises the
"standards" version.

Each process keeps the merged set it built and the version it was built at. A call looks at the
version at most once every CHECK_SECONDS (one indexed row read); when the version moved, the
approved rows are read and the set is rebuilt. While the registry cannot be read (no database yet,
tables not migrated, the server down) the last set built keeps serving: the YAML defaults until
the first successful read.

Merging: an approved value is added to its region's values (a region without a YAML file gets
one); a value with the same effective date as a shipped one, or as an earlier approval, replaces
it, so the newest approval of a date wins. A region's `unpublished` note stays for dates before
its first value (a value scheduled in the future leaves "who sets it" in force until then).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable, Mapping

from sqlalchemy.exc import SQLAlchemyError

from bot.eligibility.parameters import (
    Citation,
    Document,
    ParameterError,
    ParameterSet,
    ParameterValue,
    RegionParameters,
    value_data,
)

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
REGISTRY_SOURCE = "registry"


@dataclass(frozen=True)
class ApprovedValue:
    """What the merge needs of an approved registry row (detached from the session)."""

    id: int
    region: str
    parameter: str
    data: Mapping[str, Any]
    effective: Any
    valid_until: Any
    doc_number: str
    doc_title: str
    doc_issued: Any
    clause: str
    note: str | None

    @classmethod
    def from_row(cls, row: Any) -> ApprovedValue:
        return cls(row.id, row.region, row.parameter, dict(row.data), row.effective, row.valid_until,
                   row.doc_number, row.doc_title, row.doc_issued, row.clause, row.note)


def merge(shipped: ParameterSet, approved: Iterable[ApprovedValue]) -> ParameterSet:
    """The shipped set with the approved values added (see the module's docstring)."""
    values: dict[str, dict[str, list[ParameterValue]]] = {
        region: {name: list(found) for name, found in file.values.items()}
        for region, file in shipped.by_region.items()
    }
    documents: dict[str, dict[str, Document]] = {r: dict(f.documents) for r, f in shipped.by_region.items()}
    for row in approved:
        try:
            data = value_data(row.parameter, row.data, f"{REGISTRY_SOURCE}: #{row.id}")
        except (ParameterError, KeyError) as exc:  # a catalogue change made an old row unreadable
            log.error("approved standard #%s skipped: %s", row.id, exc)
            continue
        document = Document(row.doc_number, row.doc_title, row.doc_issued, row.valid_until)
        value = ParameterValue(row.parameter, row.region, row.effective, data,
                               Citation(row.doc_number, row.clause), document, row.note or "")
        region_values = values.setdefault(row.region, {})
        kept = [v for v in region_values.get(row.parameter, []) if v.effective != row.effective]
        region_values[row.parameter] = sorted([*kept, value], key=lambda v: v.effective)
        documents.setdefault(row.region, {}).setdefault(row.doc_number, document)
    files = []
    for region, by_name in values.items():
        file = shipped.by_region.get(region)
        files.append(RegionParameters(
            region=region,
            source=file.source if file else REGISTRY_SOURCE,
            documents=documents.get(region, {}),
            values={name: tuple(found) for name, found in by_name.items() if found},
            unpublished=dict(file.unpublished) if file else {},
        ))
    return ParameterSet(files)


class LiveParameters:
    """A callable returning the current merged set (see the module's docstring)."""

    def __init__(self, shipped: Callable[[], ParameterSet], read_version: Callable[[], Hashable],
                 read_approved: Callable[[], list[ApprovedValue]], check_seconds: float = CHECK_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._shipped = shipped
        self._read_version = read_version
        self._read_approved = read_approved
        self._check_seconds = check_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._current: ParameterSet | None = None
        self._version: Hashable = None
        self._checked_at: float | None = None
        self._failing = False

    def __call__(self) -> ParameterSet:
        now = self._clock()
        current = self._current
        if current is not None and self._checked_at is not None and now - self._checked_at < self._check_seconds:
            return current
        with self._lock:
            if self._current is not None and self._checked_at is not None \
                    and now - self._checked_at < self._check_seconds:
                return self._current
            self._checked_at = now
            self._refresh()
            assert self._current is not None
            return self._current

    def _refresh(self) -> None:
        try:
            version = self._read_version()
            if version != self._version or self._current is None:
                merged = merge(self._shipped(), self._read_approved()) if version else self._shipped()
                self._current, self._version = merged, version
            if self._failing:
                log.warning("local standards readable again (version %s)", version)
            self._failing = False
        except SQLAlchemyError as exc:
            if not self._failing:
                log.warning("local standards not readable, %s: %s", "keeping the last set" if self._current
                            else "using the shipped defaults", str(exc).splitlines()[0])
            self._failing = True
            if self._current is None:
                self._current = self._shipped()

    def fresh(self) -> ParameterSet:
        """The set after a version check now, whenever the last one was (the console's own page
        right after an approval)."""
        with self._lock:
            self._checked_at = None
        return self()

    @property
    def version(self) -> Hashable:
        return self._version

    def reset(self) -> None:
        """Forget the set (tests; a change of DATABASE_URL)."""
        with self._lock:
            self._current = self._version = self._checked_at = None


def _registry_version() -> tuple[str, int] | None:
    """The database and its "standards" version; None while nothing was ever approved."""
    from bot.core.db import database_url
    from bot.standards.store import STANDARDS, version

    found = version(STANDARDS)
    return (database_url(), found) if found else None


def _registry_approved() -> list[ApprovedValue]:
    from bot.standards.store import approved

    return [ApprovedValue.from_row(row) for row in approved()]


def _shipped() -> ParameterSet:
    from bot.eligibility.engine import shipped_parameters

    return shipped_parameters()


LIVE = LiveParameters(_shipped, _registry_version, _registry_approved)
