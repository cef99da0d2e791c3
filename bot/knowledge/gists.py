"""The plain-language direct answers of data/knowledge/gists.yml and how one is chosen.

A measure has a default line (its gist) and lines for particular questions: a line is chosen
when the question names one of its `if` words (and asks its `type` of question, when it has
one); the line naming most of the question's words wins, the default otherwise. Amount
questions about a standard (低保, 特困) are answered from the dated parameters, for the
resident's region and date, whichever measure is quoted. A line's {parameter} placeholders are
filled the same way. See the file's header for the keys.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

QUESTION_TYPES = ("amount", "when", "where", "who", "whether", "what")
NEXT_STEPS = ("apply", "urgent")
_FILE_KEYS = {"question_types", "standards", "measures", "old_names", "short_titles"}
_MEASURE_KEYS = {"gist", "answers", "asks", "next"}
_LINE_KEYS = {"if", "type", "say", "next"}
_STANDARD_KEYS = {"if", "unless", "parameters"}


class GistError(ValueError):
    """gists.yml does not follow its schema."""


@dataclass(frozen=True)
class Line:
    say: str
    words: tuple[str, ...] = ()  # the question must name one of these (none: the default)
    type: str | None = None  # the kind of question it answers (none: any)
    next: str | None = None  # a next step to add (a key of policy.next_step)


@dataclass(frozen=True)
class MeasureGist:
    gist: Line
    answers: tuple[Line, ...] = ()
    asks: tuple[str, ...] = ()
    next: str | None = None

    @property
    def lines(self) -> tuple[Line, ...]:
        return (self.gist, *self.answers)


@dataclass(frozen=True)
class Standard:
    words: tuple[str, ...]
    unless: tuple[str, ...]
    parameters: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """What the composer knows of a question: its words (corrected and expanded) and types."""

    text: str  # corrected question text
    words: frozenset[str]  # content words with their official synonyms
    types: frozenset[str]

    def names(self, word: str) -> bool:
        return word in self.text or word in self.words


class Gists:
    def __init__(self, data: Mapping[str, Any], source: str = "gists.yml") -> None:
        data = _mapping(data, source)
        unknown = set(data) - _FILE_KEYS
        if unknown:
            raise GistError(f"{source}: unknown keys {sorted(unknown)}")
        self.question_types = _question_types(data.get("question_types") or {}, source)
        self.standards = tuple(
            _standard(item, f"{source}: standards[{i}]") for i, item in enumerate(data.get("standards") or ())
        )
        old_names = _mapping(data.get("old_names") or {}, f"{source}: old_names")
        # Names residents still use for a program that has been renamed ("五保" → 特困人员救助供养),
        # longest first so that "五保户" is found before "五保".
        self.old_names: tuple[tuple[str, str], ...] = tuple(
            sorted(((str(k), str(v)) for k, v in old_names.items()), key=lambda item: -len(item[0])))
        # The title a first reply cites a document by (its "关于……" part); the full title is in
        # the full clause ("详细"). Each must be a part of the document's title (a test checks).
        self.short_titles: dict[str, str] = {
            str(k): str(v) for k, v in _mapping(data.get("short_titles") or {}, f"{source}: short_titles").items()}
        self.measures: dict[tuple[str, str], MeasureGist] = {}
        for doc_id, clauses in _mapping(data.get("measures") or {}, f"{source}: measures").items():
            for clause, entry in _mapping(clauses, f"{source}: measures.{doc_id}").items():
                where = f"{source}: measures.{doc_id}.{clause}"
                self.measures[(str(doc_id), str(clause))] = _measure(entry, where)

    def types_of(self, text: str) -> frozenset[str]:
        return frozenset(kind for kind, cues in self.question_types.items() if any(cue in text for cue in cues))

    def old_name_in(self, text: str) -> tuple[str, str] | None:
        """The first old name of a program the text uses, with the program's name today."""
        return next(((old, new) for old, new in self.old_names if old in text), None)

    def measure(self, doc_id: str, clause: str) -> MeasureGist | None:
        return self.measures.get((doc_id, clause))

    def asks(self, doc_id: str, clause: str) -> tuple[str, ...]:
        entry = self.measure(doc_id, clause)
        return entry.asks if entry else ()

    def line_for(self, doc_id: str, clause: str, question: Question) -> Line | None:
        """The measure's line that answers the question: a specific one, else the gist."""
        entry = self.measure(doc_id, clause)
        if entry is None:
            return None
        return specific_line(entry.answers, question) or entry.gist

    def standard_for(self, question: Question) -> Standard | None:
        if "amount" not in question.types:
            return None
        for standard in self.standards:
            if any(question.names(w) for w in standard.words) and not any(
                question.names(w) for w in standard.unless
            ):
                return standard
        return None


def specific_line(lines: Iterable[Line], question: Question) -> Line | None:
    """The line naming most of the question's own words (its subject, named first, on a tie);
    words the question only implies (official synonyms) count when nothing is named."""
    best: Line | None = None
    best_rank = (0, 0.0)
    for line in lines:
        if line.type is not None and line.type not in question.types:
            continue
        positions = [question.text.find(word) for word in line.words if word in question.text]
        implied = any(word in question.words for word in line.words)
        if positions:
            rank = (2, len(positions) - min(positions) / (len(question.text) + 1))
        elif implied:
            rank = (1, 0.0)
        else:
            continue
        if rank > best_rank:
            best, best_rank = line, rank
    return best


def _mapping(data: Any, where: str) -> Mapping[Any, Any]:
    if not isinstance(data, Mapping):
        raise GistError(f"{where}: expected a mapping")
    return data


def _texts(data: Any, where: str) -> tuple[str, ...]:
    if data is None:
        return ()
    if not isinstance(data, list) or not all(isinstance(item, (str, int)) for item in data):
        raise GistError(f"{where}: expected a list of words")
    return tuple(str(item) for item in data)


def _question_types(data: Any, source: str) -> dict[str, tuple[str, ...]]:
    types = {}
    for kind, cues in _mapping(data, f"{source}: question_types").items():
        if kind not in QUESTION_TYPES:
            raise GistError(f"{source}: question_types.{kind}: unknown type (allowed: {', '.join(QUESTION_TYPES)})")
        types[str(kind)] = _texts(cues, f"{source}: question_types.{kind}")
    return types


def _line(data: Any, where: str, default: bool = False) -> Line:
    if isinstance(data, str) and default:
        return Line(data)
    entry = _mapping(data, where)
    unknown = set(entry) - _LINE_KEYS
    if unknown or "say" not in entry:
        raise GistError(f"{where}: keys must be {sorted(_LINE_KEYS)} with `say` (got {sorted(entry)})")
    kind = entry.get("type")
    if kind is not None and kind not in QUESTION_TYPES:
        raise GistError(f"{where}.type: unknown type {kind!r}")
    words = _texts(entry.get("if"), f"{where}.if")
    if not words:
        raise GistError(f"{where}: a specific line needs `if` words")
    return Line(str(entry["say"]), words, kind, _next(entry.get("next"), f"{where}.next"))


def _next(value: Any, where: str) -> str | None:
    if value is not None and value not in NEXT_STEPS:
        raise GistError(f"{where}: unknown next step {value!r} (allowed: {', '.join(NEXT_STEPS)})")
    return value


def _measure(data: Any, where: str) -> MeasureGist:
    entry = _mapping(data, where)
    unknown = set(entry) - _MEASURE_KEYS
    if unknown or "gist" not in entry:
        raise GistError(f"{where}: keys must be {sorted(_MEASURE_KEYS)} with `gist` (got {sorted(entry)})")
    answers = tuple(_line(item, f"{where}.answers[{i}]") for i, item in enumerate(entry.get("answers") or ()))
    return MeasureGist(
        gist=_line(entry["gist"], f"{where}.gist", default=True),
        answers=answers,
        asks=_texts(entry.get("asks"), f"{where}.asks"),
        next=_next(entry.get("next"), f"{where}.next"),
    )


def _standard(data: Any, where: str) -> Standard:
    entry = _mapping(data, where)
    if set(entry) - _STANDARD_KEYS or not entry.get("parameters") or not entry.get("if"):
        raise GistError(f"{where}: keys must be {sorted(_STANDARD_KEYS)} with `if` and `parameters`")
    return Standard(_texts(entry["if"], f"{where}.if"), _texts(entry.get("unless"), f"{where}.unless"),
                    _texts(entry["parameters"], f"{where}.parameters"))


@lru_cache(maxsize=4)
def load_gists(data_dir: Path) -> Gists:
    path = data_dir / "knowledge" / "gists.yml"
    return Gists(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, path.name)
