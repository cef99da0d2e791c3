"""The wording residents and staff read, kept as data: a catalogue in data/replies/*.yml.

Each file is a namespace (common.yml → "common."); nested mappings join their keys with dots, so
`text("common.input_issue.empty")` is the `empty` entry under `input_issue` in common.yml.
Placeholders are written {name} and filled from the keyword arguments; a missing key or
placeholder is an error at once (a test renders every entry), never a reply with a hole in it.
"""
from __future__ import annotations

import datetime as dt
import string
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

from bot.settings import get_settings


class UnknownReply(KeyError):
    """A key the catalogue does not have."""


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}", value, out)
    elif isinstance(node, str):
        out[prefix] = node
    else:
        raise ValueError(f"reply {prefix!r} must be text or a mapping, not {type(node).__name__}")


@lru_cache(maxsize=4)
def load_catalogue(directory: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for path in sorted(directory.glob("*.yml")):
        _flatten(path.stem, yaml.safe_load(path.read_text(encoding="utf-8")) or {}, entries)
    return entries


def catalogue() -> dict[str, str]:
    return load_catalogue(get_settings().data_dir / "replies")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def text(key: str, **values: Any) -> str:
    """The reply `key` with its placeholders filled in."""
    try:
        template = catalogue()[key]
    except KeyError:
        raise UnknownReply(key) from None
    return template.format(**values)


def date_text(day: dt.date) -> str:
    """A date as residents and staff read it ("common.date"): 2026年12月3日."""
    return text("common.date", year=day.year, month=day.month, day=day.day)


def group(prefix: str) -> dict[str, str]:
    """The entries under `prefix` ("common.input_issue" → {"empty": …, "too_long": …})."""
    start = prefix + "."
    return {key[len(start):]: value for key, value in catalogue().items() if key.startswith(start)}
