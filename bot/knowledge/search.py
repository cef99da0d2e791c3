"""Region- and date-aware BM25 search over the measures of the policy corpus."""
from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections import Counter
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import bm25s
import numpy as np

from bot.knowledge.corpus import Measure, PolicyDocument, iter_measures, load_corpus
from bot.knowledge.gists import Gists, Question, load_gists, specific_line
from bot.knowledge.ranker import Key, NgramRanker, load_examples
from bot.knowledge.terms import QueryTerms, Vocabulary, load_vocabulary, sound_tokens
from bot.regions import Region, find_regions, region_applies

# A hit must reach this BM25 score and cover this share of the query's content (by idf weight)
# to count as an answer; tuned on data/knowledge/questions/policy_questions.yml (answerable and unanswerable).
MIN_SCORE = 3.0
MIN_COVERAGE = 0.2
EXPIRED_WEIGHT = 0.95
# A one-off measure that has run out (its own end date, such as a 2022 subsidy) answers only a
# question about it (see PolicyIndex._asks_about); other questions get current measures.
ONE_OFF_EXPIRED_WEIGHT = 0.6
MEASURE_WEIGHT = 1.0
# How residents ask about a measure (data/knowledge/gists.yml `asks`) is searched too: a
# measure also scores by the question of its own that is most like the resident's.
ASK_WEIGHT = 0.5
# A resident's own city's notice is preferred a little over the province's when both answer.
LOCAL_WEIGHT = 1.25
# How the question sounds (pinyin syllable pairs) against how the measure and its asks sound:
# catches homophones of speech-to-text and pinyin typing ("临时救主", "工养金").
SOUND_WEIGHT = 2.5
# A measure whose plain-language answers (gists.yml) have a line for what the question names and
# asks ("五保" → the line saying it is the old name of 特困供养; "几号发" → the line on when money
# is paid) answers it more directly than one that only shares its words.
LINE_BONUS = 0.3
_SENTENCE_RE = re.compile(r"[^。；！？]*[。；！？]?")
# Stories: a message of at least STORY_CLAUSES clauses or STORY_CHARS characters is searched
# again by its asking clause (see PolicyIndex.asking_clause), weighted FOCUS_WEIGHT.
STORY_CLAUSES = 3
STORY_CHARS = 30
SHORT_ASK_CHARS = 8
FOCUS_WEIGHT = 1.0
# The best measures by score are ranked again by how much of the question they cover (idf-weighted,
# see PolicyIndex.coverage; for a story, of its asking clause too): score × (FLOOR + coverage)^POWER.
# A measure sharing one frequent word many times (BM25 saturates slowly on long measures) gives
# way to one that names more of what a resident asked in their own words.
COVERAGE_RERANK = 1.5
COVERAGE_FLOOR = 1.0
_CLAUSE_RE = re.compile(r"[，,。.！!？?；;：:\s]+")
# The lexical ranking and the character n-gram ranking of resident questions (ranker.py) are
# fused by score: among the first FUSION_DEPTH measures of each ranking, a measure scores its
# lexical score over the best lexical score plus its n-gram similarity over the best similarity
# (each ranking's own scale set to 1 at its best); ties go to the lexical score. Chosen by
# cross-validation over the tuning sets (the ranker trained without the set measured): reciprocal
# rank fusion (1/(60 + rank) in each) tied whenever the two rankings swapped their first two
# measures, and the tie went to the lexical one, wrongly in two cases of three.
FUSION_DEPTH = 10
# A best measure the lexical search finds too little of the question in (coverage below
# MIN_COVERAGE) still answers when the question is this much like residents' questions about it
# (ranker cosine similarity) and the measure has this share of the question. Chosen on the tuning
# sets cross-validated: answerable questions not answered lexically reached 0.25-0.59, questions
# the documents do not answer at most 0.19 (with coverage 0).
RESEMBLED_SIMILARITY = 0.25
RESEMBLED_COVERAGE = 0.1
_PLACEHOLDER_RE = re.compile(r"\{[^{}]*\}")
# "没" and "不" ask only at a clause's end ("能申请不"); inside one they say no ("腿脚也不利索").
_WEAK_CUES = {"没", "不"}
_ASKING_ENDS = ("不", "没", "没有", "吗", "么", "呢", "嘛")
# ……but after 也/都 they tell ("一分钱收入也没有", "啥都不会"): a story's sentence, not a question.
_TELLING_ENDS = ("也没有", "都没有", "也没", "都没", "也不", "都不")


@dataclass(frozen=True)
class SearchHit:
    document: PolicyDocument
    measure: Measure
    score: float
    valid_until: dt.date | None
    expired: bool
    sentence_scores: tuple[float, ...] = ()  # relevance of each of split_sentences(text)

    def to_json(self) -> dict[str, Any]:
        return {
            "doc_number": self.document.doc_number,
            "title": self.document.title,
            "clause": self.measure.clause,
            "text": self.measure.text,
            "region": self.document.region,
            "issued": self.document.issued.isoformat() if self.document.issued else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "expired": self.expired,
            "score": round(self.score, 3),
        }


@dataclass(frozen=True)
class SearchResult:
    query: str
    region: Region | None  # the region the search was restricted to
    hits: tuple[SearchHit, ...]
    answered: bool
    terms: QueryTerms
    coverage: float

    @property
    def best(self) -> SearchHit | None:
        return self.hits[0] if self.hits else None


class PolicyIndex:
    """Measures of every document, indexed once; searches are read-only and thread-safe."""

    def __init__(
        self,
        documents: Sequence[PolicyDocument],
        vocabulary: Vocabulary,
        asks: Mapping[tuple[str, str], Sequence[str]] | None = None,
        gists: Gists | None = None,
        questions: Mapping[Key, Sequence[str]] | None = None,
    ) -> None:
        """`questions`: resident questions by (document number, clause) for the n-gram ranker
        (ranker.load_examples); the documents and gists alone without them."""
        self.documents = list(documents)
        self.gists = gists
        self.vocabulary = vocabulary
        self.entries: list[tuple[PolicyDocument, Measure]] = list(iter_measures(self.documents))
        self._by_clause = {(d.doc_id, m.clause): (d, m) for d, m in self.entries}
        asks = asks or {}
        self._asks = [tuple(asks.get((d.doc_id, m.clause), ())) for d, m in self.entries]
        self._ask_text = {
            (d.doc_id, m.clause): vocabulary.correct(" ".join(own))
            for (d, m), own in zip(self.entries, self._asks, strict=True)
        }
        tokens = [vocabulary.document_tokens(searchable_text(m)) for _, m in self.entries]
        self._bm25 = bm25s.BM25()
        self._bm25.index(tokens, show_progress=False)
        # Long measures cover several topics; each sentence is also indexed on its own, with the
        # measure's headings, and a measure scores by its best sentence plus its whole text.
        sentence_tokens: list[list[str]] = []
        self._sentence_starts: list[int] = []
        for _, measure in self.entries:
            self._sentence_starts.append(len(sentence_tokens))
            context = " ".join([*measure.headings, measure.title])
            for sentence in split_sentences(measure.text) or [measure.text]:
                sentence_tokens.append(vocabulary.document_tokens(f"{context} {sentence}"))
        self._sentence_ends = [*self._sentence_starts[1:], len(sentence_tokens)]
        self._sentence_bm25 = bm25s.BM25()
        self._sentence_bm25.index(sentence_tokens, show_progress=False)
        ask_tokens = [vocabulary.document_tokens(vocabulary.correct(ask)) for own in self._asks for ask in own]
        self._ask_owner = np.array([i for i, own in enumerate(self._asks) for _ in own], dtype=np.int64)
        self._ask_vocabulary = {token for ask in ask_tokens for token in ask}
        self._ask_bm25 = bm25s.BM25() if ask_tokens else None
        if self._ask_bm25 is not None:
            self._ask_bm25.index(ask_tokens, show_progress=False)
        self._coverage_text = {(d.doc_id, m.clause): f"{searchable_text(m)} {self._ask_text[(d.doc_id, m.clause)]}"
                               for d, m in self.entries}
        sounds = [sound_tokens(f"{searchable_text(m)} {self._ask_text[(d.doc_id, m.clause)]}") for d, m in self.entries]
        self._sounds = {(d.doc_id, m.clause): set(tokens) for (d, m), tokens in zip(self.entries, sounds, strict=True)}
        self._sound_vocabulary = {token for tokens in sounds for token in tokens}
        self._sound_bm25 = bm25s.BM25()
        self._sound_bm25.index(sounds, show_progress=False)
        document_frequency: Counter[str] = Counter()
        for doc_tokens in tokens:
            document_frequency.update(set(doc_tokens))
        count = len(tokens)
        self._idf = {
            token: math.log(1 + (count - df + 0.5) / (df + 0.5))
            for token, df in document_frequency.items()
        }
        # A word the documents never use weighs like a typical word, not like the rarest one:
        # residents add words of their own ("到卡上") that should not sink a clear question.
        self._unseen_idf = float(np.median(list(self._idf.values()))) if self._idf else 1.0
        self._ranker = self._new_ranker(questions or {})
        self._regions = np.array([d.region for d, _ in self.entries], dtype=object)
        self._valid_until = [d.measure_valid_until(m) for d, m in self.entries]
        self._region_masks: dict[str | None, np.ndarray] = {}

    @classmethod
    def from_directory(cls, policy_dir: Path, data_dir: Path,
                       questions: Mapping[Key, Sequence[str]] | None = None) -> "PolicyIndex":
        """`questions`: the ranker's resident questions; by default the tuning sets'."""
        gists = load_gists(data_dir)
        asks = {key: entry.asks for key, entry in gists.measures.items()}
        return cls(load_corpus(policy_dir), load_vocabulary(data_dir), asks, gists,
                   load_examples() if questions is None else questions)

    def _new_ranker(self, questions: Mapping[Key, Sequence[str]]) -> NgramRanker:
        gists = self.gists
        said = [[line.say for line in (entry.gist, *entry.answers)] if (entry := gists.measure(d.doc_id, m.clause))
                else [] for d, m in self.entries] if gists is not None else [[] for _ in self.entries]
        own = [[*asks, *(_PLACEHOLDER_RE.sub(" ", line) for line in lines)]
               for asks, lines in zip(self._asks, said, strict=True)]
        return NgramRanker(self.entries, own, questions, lambda text: self.vocabulary.correct(strip_regions(text)))

    def with_questions(self, questions: Mapping[Key, Sequence[str]]) -> "PolicyIndex":
        """The same index with the n-gram ranker learning from other resident questions (to
        measure a tuning set with a ranker that never saw it): only the ranker is rebuilt."""
        other = copy.copy(self)
        other._ranker = self._new_ranker(questions)
        return other

    def entry(self, doc_id: str, clause: str) -> tuple[PolicyDocument, Measure] | None:
        return self._by_clause.get((doc_id, clause))

    def idf(self, token: str) -> float:
        return self._idf.get(token, self._unseen_idf)

    def _mask(self, region: Region | None) -> np.ndarray:
        """Per measure: 0 when its document does not apply to the region, LOCAL_WEIGHT when it
        is the most local of the documents that apply (a city's under its province's), else 1."""
        key = region.name if region else None
        mask = self._region_masks.get(key)
        if mask is None:
            if region is None:
                mask = np.ones(len(self.entries), dtype=np.float32)
            else:
                applies = {r for r in set(self._regions) if region_applies(r, region.name)}
                local = max(applies, key=len) if len(applies) > 1 else None
                weights = {r: (LOCAL_WEIGHT if r == local else 1.0) if r in applies else 0.0
                           for r in set(self._regions)}
                mask = np.array([weights[r] for r in self._regions], dtype=np.float32)
            self._region_masks[key] = mask
        return mask

    def search(
        self,
        query: str,
        region: Region | None = None,
        top_k: int = 3,
        as_of: dt.date | None = None,
        focus: str | None = None,
        focus_weight: float | None = None,
    ) -> SearchResult:
        """`focus`: the part of the query to search again and weigh `focus_weight` more (by
        default the asking clause of a story, see asking_clause)."""
        as_of = as_of or dt.date.today()
        terms = self.vocabulary.query_terms(strip_regions(query))
        if not terms.content or (region is not None and not region.covered):
            return SearchResult(query, region, (), False, terms, 0.0)
        known = [t for t in terms.weighted if t in self._idf]
        if not known:
            return SearchResult(query, region, (), False, terms, 0.0)
        sentence_scores, scores = self._scores(query, terms, known)
        # A long story: the clause that asks (and the one before it) says what is wanted; it is
        # searched again on its own and weighs as much again, so that the story's other words
        # (the husband's accident, the children's school) do not decide the answer.
        focus = focus or self.asking_clause(query)
        focus_weight = FOCUS_WEIGHT if focus_weight is None else focus_weight
        focus_terms = self.vocabulary.query_terms(strip_regions(focus)) if focus else None
        focus_known = [t for t in focus_terms.weighted if t in self._idf] if focus_terms else []
        if focus_terms is not None and focus_terms.content and focus_known:
            focus_sentences, focus_scores = self._scores(focus, focus_terms, focus_known)
            sentence_scores = sentence_scores + focus_weight * focus_sentences
            scores = scores + focus_weight * focus_scores
        else:
            focus_terms = None
        mask = self._mask(region)
        scores = scores * mask
        resembles = alike = self._ranker.scores(query)
        if focus_terms is not None and focus:
            resembles = resembles + focus_weight * self._ranker.scores(focus)
        resembles = np.where(mask > 0, resembles, -1.0)
        resembling = [int(i) for i in _top_indices(resembles, FUSION_DEPTH) if resembles[i] > 0]
        top = list(dict.fromkeys([*map(int, _top_indices(scores, max(top_k * 3, FUSION_DEPTH))), *resembling]))
        question = self.question(query, terms)
        found: list[tuple[int, SearchHit]] = []
        for index in top:
            if scores[index] <= 0:
                continue
            document, measure = self.entries[index]
            valid_until = self._valid_until[index]
            expired = valid_until is not None and as_of > valid_until
            score = float(scores[index]) * self._expiry_weight(terms, measure, expired) * self._line_weight(
                question, document, measure)
            own = sentence_scores[self._sentence_starts[index] : self._sentence_ends[index]]
            share = self.coverage(terms, measure)
            if focus_terms is not None:
                share = max(share, self.coverage(focus_terms, measure))
            score *= (COVERAGE_FLOOR + share) ** COVERAGE_RERANK
            found.append((index, SearchHit(document, measure, score, valid_until, expired, tuple(map(float, own)))))
        found.sort(key=lambda item: item[1].score, reverse=True)
        hits = [hit for _, hit in found]
        # Whether the documents answer at all is the lexical search's call (its best measure's
        # score and coverage); which measure answers best is the fused ranking's.
        coverage = self.coverage(terms, hits[0].measure) if hits else 0.0
        if hits and focus_terms is not None:
            # A story's own details are not in any measure: what it asks must be.
            coverage = max(coverage, self.coverage(focus_terms, hits[0].measure))
        answered = bool(hits) and hits[0].score >= MIN_SCORE and coverage >= MIN_COVERAGE
        if hits:
            # The fused ranking picks the best measure; the others follow in lexical order (the
            # measures offered beside it are the ones sharing the question's words).
            index, best = _fused(found, resembling, resembles)[0]
            hits = [best, *(hit for hit in hits if hit is not best)][:top_k]
            # A question in residents' own words ("被拉去隔离了 … 能给啥救助") shares few words
            # with the measure but is much like residents' questions about it: answered too.
            if (not answered and best.score >= MIN_SCORE and alike[index] >= RESEMBLED_SIMILARITY
                    and (share := self.coverage(terms, best.measure)) >= RESEMBLED_COVERAGE):
                answered, coverage = True, max(coverage, share)
        return SearchResult(query, region, tuple(hits), answered, terms, coverage)

    def _scores(self, query: str, terms: QueryTerms, known: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(per sentence, per measure) relevance of the query, before region and expiry."""
        sentence_scores = self._sentence_bm25.get_scores(known)
        best_sentence = np.maximum.reduceat(sentence_scores, self._sentence_starts)
        measure_scores = self._bm25.get_scores(known)
        scores = (best_sentence + MEASURE_WEIGHT * measure_scores + ASK_WEIGHT * self._ask_scores(terms)
                  + SOUND_WEIGHT * self._sound_scores(self.vocabulary.correct(strip_regions(query))))
        return sentence_scores, scores

    def asking_clause(self, query: str) -> str | None:
        """In a long message (a story), the clause that asks something, with the clause before
        it when the asking one is short ("……这种情况政府能给点啥帮助，去哪找"): the last one, or
        the first of a two-part question; None for a short question or when no clause asks."""
        clauses = self._clauses(query)
        if len(clauses) < STORY_CLAUSES and len("".join(clauses)) < STORY_CHARS:
            return None
        asking = self.asking_clauses(query)
        return asking[0] if len(asking) > 1 else (asking[-1] if asking else None)

    def asking_clauses(self, query: str) -> list[str]:
        """The clauses of the message that ask something, each with the clause before it when it
        is short ("特困的供养金呢" → "太原的低保金每月几号发，特困的供养金呢"); two or more make a
        question of several parts. Neighbouring asking clauses with nothing of their own
        between them ("能不能申请，去哪申请") ask one thing."""
        if self.gists is None:
            return []
        clauses = self._clauses(query)
        asking: list[str] = []
        for index, clause in enumerate(clauses):
            if not self._is_asking(clause):
                continue
            if len(clause) < SHORT_ASK_CHARS and index > 0:
                clause = f"{clauses[index - 1]}，{clause}"
            asking.append(clause)
        return asking

    def two_parts(self, query: str) -> tuple[str, str] | None:
        """A question of two parts as (the message up to its last asking clause, that clause with
        the one before it when short); None when fewer than two clauses ask."""
        clauses = self._clauses(query)
        asking = [i for i, clause in enumerate(clauses) if self._is_asking(clause)]
        if len(asking) < 2:
            return None
        last = asking[-1]
        second = clauses[last]
        if len(second) < SHORT_ASK_CHARS and last > 0:
            second = f"{clauses[last - 1]}，{second}"
        return "，".join(clauses[:last]), second

    def _clauses(self, query: str) -> list[str]:
        return [c for c in _CLAUSE_RE.split(self.vocabulary.correct(query)) if c.strip()]

    def _is_asking(self, clause: str) -> bool:
        """A clause that asks: a question cue of the gists (an index built without them, such as
        a rebuilt notices index, goes by the question mark alone)."""
        question_types = self.gists.question_types if self.gists is not None else {}
        kinds = {kind for kind, cues in question_types.items()
                 if any(cue in clause for cue in cues if cue not in _WEAK_CUES)}
        ends = clause.rstrip()
        return bool(kinds) or (ends.endswith(_ASKING_ENDS) and not ends.endswith(_TELLING_ENDS))

    def question(self, query: str, terms: QueryTerms) -> Question | None:
        """The question as the answer lines are chosen by (None without gists)."""
        if self.gists is None:
            return None
        text = self.vocabulary.correct(query)
        words = frozenset(word for concept in terms.concepts for word in concept)
        return Question(text, words, self.gists.types_of(text))

    def _line_weight(self, question: Question | None, document: PolicyDocument, measure: Measure) -> float:
        entry = self.gists.measure(document.doc_id, measure.clause) if self.gists and question else None
        if entry is None or question is None:
            return 1.0
        return 1.0 + LINE_BONUS if specific_line(entry.answers, question) is not None else 1.0

    def _expiry_weight(self, terms: QueryTerms, measure: Measure, expired: bool) -> float:
        if not expired:
            return 1.0
        if measure.valid_until is None or self._asks_about(terms, measure):
            return EXPIRED_WEIGHT
        return ONE_OFF_EXPIRED_WEIGHT

    def _asks_about(self, terms: QueryTerms, measure: Measure) -> bool:
        """The question names a word of the measure's lead phrase or of how residents ask about
        it that is not common to most measures (a one-off subsidy, a festival's payments)."""
        about = f"{measure.title or measure.text[:20]} {self._ask_text.get((measure.doc_id, measure.clause), '')}"
        return any(
            len(word) > 1 and word in about and self.idf(word) >= self._unseen_idf
            for concept in terms.concepts for word in concept
        )

    def _ask_scores(self, terms: QueryTerms) -> np.ndarray:
        """Per measure, the BM25 score of its ask most like the question (0 without asks)."""
        best = np.zeros(len(self.entries), dtype=np.float32)
        known = [t for t in terms.weighted if t in self._ask_vocabulary]
        if self._ask_bm25 is None or not known:
            return best
        np.maximum.at(best, self._ask_owner, self._ask_bm25.get_scores(known))
        return best

    def _sound_scores(self, text: str) -> np.ndarray:
        known = [t for t in sound_tokens(text) if t in self._sound_vocabulary]
        if not known:
            return np.zeros(len(self.entries), dtype=np.float32)
        return self._sound_bm25.get_scores(known)

    def coverage(self, terms: QueryTerms, measure: Measure) -> float:
        """Share of the query's content, weighted by idf, found in the measure's text (or in how
        residents ask about it), by its characters or by how it sounds."""
        key = (measure.doc_id, measure.clause)
        text = self._coverage_text.get(key) or f"{searchable_text(measure)} {self._ask_text.get(key, '')}"
        sounds = self._sounds.get(key, set())
        total = matched = 0.0
        for concept in terms.concepts:
            weight = max(self.idf(t) for t in concept)
            total += weight
            matched += weight * max(max(_overlap(term, text), _sounds_like(term, sounds)) for term in concept)
        return matched / total if total else 0.0


@lru_cache(maxsize=4096)
def _term_sounds(term: str) -> tuple[str, ...]:
    return tuple(sound_tokens(term))


def _sounds_like(term: str, sounds: set[str]) -> float:
    """The share of the term's syllable pairs that the measure has (0 for a single syllable)."""
    pairs = _term_sounds(term)
    return sum(pair in sounds for pair in pairs) / len(pairs) if pairs else 0.0


def _overlap(term: str, text: str) -> float:
    """1 when the term is in the text, else the share of its character bigrams that are."""
    if term in text:
        return 1.0
    bigrams = [term[i : i + 2] for i in range(len(term) - 1)]
    if not bigrams:
        return 0.0
    return sum(b in text for b in bigrams) / len(bigrams)


def searchable_text(measure: Measure) -> str:
    """What a measure is searched and matched by: its section headings and its text."""
    return " ".join([*measure.headings, measure.text])


def split_sentences(text: str) -> list[str]:
    """Sentences and semicolon-separated clauses, punctuation kept."""
    return [part for part in _SENTENCE_RE.findall(text) if part.strip()]


def _fused(found: list[tuple[int, SearchHit]], resembling: list[int],
           similarity: np.ndarray) -> list[tuple[int, SearchHit]]:
    """The hits, as (entry index, hit) sorted by lexical score, in order of their fused score:
    lexical score relative to the best one plus n-gram `similarity` relative to the best of
    `resembling` (entry indices, most alike first)."""
    top_lexical = max((hit.score for _, hit in found), default=0.0)
    top_alike = float(similarity[resembling[0]]) if resembling else 0.0

    def fused(index: int, hit: SearchHit) -> float:
        lexical = hit.score / top_lexical if top_lexical > 0 else 0.0
        alike = max(float(similarity[index]), 0.0) / top_alike if top_alike > 0 else 0.0
        return lexical + alike

    return sorted(found, key=lambda pair: (fused(*pair), pair[1].score), reverse=True)


def _top_indices(scores: np.ndarray, k: int) -> Iterable[int]:
    k = min(k, len(scores))
    candidates = np.argpartition(-scores, k - 1)[:k]
    return candidates[np.argsort(-scores[candidates])]



def strip_regions(text: str) -> str:
    """The query without place names: the region is a filter, not something to match."""
    matches = find_regions(text)
    if not matches:
        return text
    out, last = [], 0
    for match in matches:
        out.append(text[last:match.start])
        last = match.end
    out.append(text[last:])
    return " ".join(part for part in out if part.strip())
