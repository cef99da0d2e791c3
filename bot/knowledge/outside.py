"""Programs the collected documents do not cover (高龄津贴, 丧葬费, the disability allowances):
a question about one is answered by saying so and who handles it, never with another program's
measure. Topics and patterns: data/knowledge/outside.yml; wording: data/replies/outside.yml."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml


@lru_cache(maxsize=2)
def load_topics(data_dir: Path) -> dict[str, tuple[re.Pattern[str], ...]]:
    path = data_dir / "knowledge" / "outside.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {name: tuple(re.compile(p) for p in entry.get("patterns") or ())
            for name, entry in (data.get("topics") or {}).items()}


def outside_topic(text: str, data_dir: Path) -> str | None:
    """The uncovered program the question is about, if any (the first in the file's order)."""
    for name, patterns in load_topics(data_dir).items():
        if any(p.search(text) for p in patterns):
            return name
    return None
