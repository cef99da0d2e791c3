"""Programs the collected documents do not cover (高龄津贴, 丧葬费, the disability allowances;
孤儿基本生活费 outside Ningxia): a question about one is answered by saying so and who handles it,
never with another program's measure. Topics and patterns: data/knowledge/outside.yml; wording:
data/replies/outside.yml."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Topic:
    patterns: tuple[re.Pattern[str], ...]
    # Provinces whose documents do set the program (宁夏 publishes its 孤儿 standard): there, and
    # where the place is not known yet, the question is searched like any other.
    covered_in: tuple[str, ...] = ()

    def applies(self, text: str, province: str | None) -> bool:
        if self.covered_in and (province is None or province in self.covered_in):
            return False
        return any(p.search(text) for p in self.patterns)


@lru_cache(maxsize=2)
def load_topics(data_dir: Path) -> dict[str, Topic]:
    path = data_dir / "knowledge" / "outside.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {name: Topic(tuple(re.compile(p) for p in entry.get("patterns") or ()),
                        tuple(entry.get("covered_in") or ()))
            for name, entry in (data.get("topics") or {}).items()}


def outside_topic(text: str, data_dir: Path, province: str | None = None) -> str | None:
    """The uncovered program the question is about, if any (the first in the file's order), for
    a resident of `province` (None: not known)."""
    for name, topic in load_topics(data_dir).items():
        if topic.applies(text, province):
            return name
    return None
