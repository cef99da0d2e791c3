"""A second opinion on which measure a question is about: character n-grams of resident questions.

The lexical search (bot/knowledge/search.py) matches the words of a question against the words
of the measures. Residents' questions share few words with the official text, but many
characters with other residents' questions about the same measure. This ranker keeps, for each
measure, example texts labelled with it:
- the measure's own sentences and their clauses, and its headings;
- how residents ask about it and what its direct answers say (data/knowledge/gists.yml);
- the questions of the tuning sets written from the documents (data/knowledge/questions/,
  TRAINING_SETS; never a held-out set), each labelled with the measure it expects.
A question scores each measure by the cosine similarity, over TF-IDF weighted character 1–3
grams within each clause, of its nearest example. search.py fuses this ranking with its own by score, each
relative to its ranking's best.

Figures of the tuning sets are in-sample for the ranker: `make eval` also reports them with the
ranker trained without the set measured (bot.measure.evaluation, cross-validated).
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.knowledge.corpus import Measure, PolicyDocument
from bot.settings import PROJECT_ROOT

# The question sets the ranker learns residents' wording from: the tuning sets only, kept with the
# product's data (data/knowledge/questions/, one file per set; make eval measures each of them,
# cross-validated). Nothing under tests/ is read at runtime, and a held-out set
# (tests/eval/*holdout*) must never be here (tests/test_ranker.py checks both).
QUESTIONS_DIR = PROJECT_ROOT / "data" / "knowledge" / "questions"
TRAINING_SETS = tuple(sorted(QUESTIONS_DIR.glob("*.yml")))  # every set there, a new one included
NGRAMS = (1, 3)
MIN_CLAUSE_CHARS = 6  # a clause shorter than this names too little to be an example of its own
_PUNCT_RE = re.compile(r"[\s，,。.！!？?；;：:、“”\"'‘’（）()《》〈〉【】—…·]+")
_SENTENCE_RE = re.compile(r"[^。；！？]*[。；！？]?")
_CLAUSE_RE = re.compile(r"[，；：]")

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser reads the sets 5× faster
Key = tuple[str, str]  # (document number, clause), as the question sets name a measure


def load_examples(paths: Iterable[Path] = TRAINING_SETS, exclude: Iterable[Path] = ()) -> dict[Key, list[str]]:
    """The questions of the sets by the measure they expect (a set that is missing is skipped)."""
    skip = {Path(path).resolve() for path in exclude}
    examples: dict[Key, list[str]] = {}
    for path in paths:
        path = Path(path)
        if path.resolve() in skip or not path.exists():
            continue
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_LOADER) or {}
        for item in data.get("questions") or ():
            examples.setdefault((str(item["doc"]), str(item.get("clause", ""))), []).append(str(item["q"]))
    return examples


def measure_texts(measure: Measure) -> list[str]:
    """What a measure says, as examples: its headings and title, each sentence and each
    clause of a sentence long enough to name something."""
    texts = [" ".join([*measure.headings, measure.title])]
    for sentence in _SENTENCE_RE.findall(measure.text):
        if not sentence.strip():
            continue
        texts.append(sentence)
        clauses = [c for c in _CLAUSE_RE.split(sentence) if len(c.strip()) >= MIN_CLAUSE_CHARS]
        if len(clauses) > 1:
            texts.extend(clauses)
    return texts


class NgramRanker:
    """Measures (in the order of `entries`) ranked by their nearest example to a question."""

    def __init__(
        self,
        entries: Sequence[tuple[PolicyDocument, Measure]],
        own_examples: Sequence[Sequence[str]],
        questions: Mapping[Key, Sequence[str]],
        prepare,
    ) -> None:
        """`own_examples`: per entry, texts of data/ about it (asks, direct answers);
        `questions`: resident questions by (document number, clause); `prepare`: the text as
        searched (corrections applied, place names left out)."""
        self._prepare = prepare
        texts: list[str] = []
        owners: list[int] = []
        for index, ((document, measure), own) in enumerate(zip(entries, own_examples, strict=True)):
            examples = [*measure_texts(measure), *own, *questions.get((document.doc_number, measure.clause), ())]
            for text in examples:
                cleaned = self._clean(text)
                if cleaned:
                    texts.append(cleaned)
                    owners.append(index)
        self._size = len(entries)
        self._owned = np.zeros(len(entries), dtype=bool)
        self._owned[owners] = True
        # Examples are grouped by measure, in entry order: each measure's best is a reduceat.
        self._starts = np.searchsorted(np.array(owners, dtype=np.int64), np.flatnonzero(self._owned))
        # Character n-grams within a clause only (punctuation and spaces are cleaned to one space):
        # "没收入 低保" gives no "入 低"-like grams across what the resident kept apart.
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True)
        self._matrix = vectorizer.fit_transform(texts).tocsc() if texts else None
        # A query is weighed as the vectorizer would, without its per-call overhead (~2 ms).
        self._analyze = vectorizer.build_analyzer()
        self._columns = vectorizer.vocabulary_ if texts else {}
        self._idf = vectorizer.idf_ if texts else np.zeros(0)

    def _clean(self, text: str) -> str:
        return _PUNCT_RE.sub(" ", self._prepare(text)).strip()

    def scores(self, query: str) -> np.ndarray:
        """Per measure, the cosine similarity of its nearest example to the query (0 to 1)."""
        best = np.zeros(self._size, dtype=np.float64)
        counts = Counter(gram for gram in self._analyze(self._clean(query)) if gram in self._columns)
        if self._matrix is None or not counts:
            return best
        columns = np.array([self._columns[gram] for gram in counts], dtype=np.int64)
        weights = (1.0 + np.log(np.array(list(counts.values()), dtype=np.float64))) * self._idf[columns]
        similarities = self._matrix[:, columns] @ (weights / np.linalg.norm(weights))
        best[self._owned] = np.maximum.reduceat(similarities, self._starts)
        return best
