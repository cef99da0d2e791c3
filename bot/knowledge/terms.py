"""Turning text into search terms: jieba words and character bigrams, plus what residents mean.

Residents write "低报" for 低保, "五保" for 特困, "几号发" for 发放日期; the documents use the
official words. `data/knowledge/expansions.yml` keeps those mappings as data:
- corrections: typos and homophones, replaced in the query text;
- synonyms: a resident's word and the official words that mean the same (one concept);
- cues: question words that say which kind of fact is wanted; they add official words to the
  search but are not themselves content that a measure must contain;
- stopwords: words that carry nothing (particles, pronouns, politeness).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jieba
import yaml
from pypinyin import lazy_pinyin

from bot.text import normalize_text

_CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]+")
_TOKEN_RE = re.compile(r"[\u4e00-\u9fff]|[A-Za-z]+|\d+(?:\.\d+)?")
_MARKUP_RE = re.compile(r"<[^<>]{0,200}>")
# A word this frequent in jieba's dictionary is a word of its own, not a slip for a term that
# sounds like it ("公司" is not 公示, "经济" not 紧急).
COMMON_WORD_FREQ = 1000
SOUND_CACHE_SIZE = 50_000
EXPANSION_KEYS = {"corrections", "synonyms", "cues", "stopwords"}


@dataclass(frozen=True)
class QueryTerms:
    content: tuple[str, ...]  # content words of the question, after corrections
    concepts: tuple[frozenset[str], ...]  # each content word with the official words for it
    weighted: tuple[str, ...]  # index tokens to score with (content, synonyms and cue words)
    cues: tuple[str, ...]  # question cues found ("多少钱", "几号")


class Vocabulary:
    def __init__(self, jieba_dir: Path, expansions: dict[str, Any]) -> None:
        unknown = set(expansions) - EXPANSION_KEYS
        if unknown:
            raise ValueError(f"expansions: unknown keys {sorted(unknown)}")
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.initialize()
        for path in sorted(jieba_dir.glob("*.txt")):
            self.tokenizer.load_userdict(str(path))
        self.corrections: dict[str, str] = dict(expansions.get("corrections") or {})
        self.synonyms: dict[str, list[str]] = {
            k: list(v) for k, v in (expansions.get("synonyms") or {}).items()
        }
        self.cues: dict[str, list[str]] = {
            k: list(v) for k, v in (expansions.get("cues") or {}).items()
        }
        self.stopwords: frozenset[str] = frozenset(expansions.get("stopwords") or ())
        # Residents' phrases stay whole words, so that "多少钱" is one cue, not 多少 + 钱.
        for phrase in [*self.cues, *self.synonyms]:
            self.tokenizer.add_word(phrase, freq=20000)
        # The documents' terms (data/jieba/terms.txt, the official words of the synonyms) by how
        # they sound, for words misheard or mistyped as one of them (see _sound_corrected).
        terms = [line.split()[0] for line in (jieba_dir / "terms.txt").read_text(encoding="utf-8").splitlines()
                 if line.strip()] if (jieba_dir / "terms.txt").exists() else []
        terms += [official for officials in self.synonyms.values() for official in officials]
        terms = sorted({self._corrected(term) for term in terms})  # "临时就助" is there for the NLU
        self._by_sound: dict[tuple[str, ...], str] = {}
        for term in terms:
            if len(term) >= 2 and _CJK_RUN_RE.fullmatch(term):
                self._by_sound.setdefault(tuple(fuzzy_syllable(s) for s in lazy_pinyin(term)), term)
        self._longest_sound_term = max((len(key) for key in self._by_sound), default=0)
        # Words residents use as they are: their own words for the terms, question cues, fillers.
        self._known_words = frozenset([*self.synonyms, *self.cues, *self.stopwords, *terms])
        self._sound_cache: dict[str, str] = {}

    # -- documents -------------------------------------------------------------------------
    def words(self, text: str) -> list[str]:
        return [
            w
            for w in self.tokenizer.lcut_for_search(text)
            if _TOKEN_RE.match(w) and w not in self.stopwords
        ]

    def document_tokens(self, text: str) -> list[str]:
        """Index tokens: search-mode words and CJK character bigrams."""
        text = normalize_text(text)
        tokens = self.words(text)
        for run in _CJK_RUN_RE.findall(text):
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        return tokens

    # -- queries ---------------------------------------------------------------------------
    def correct(self, text: str, by_sound: bool = True) -> str:
        """The text normalised, with the corrections of expansions.yml and (`by_sound`) words
        sounding like a term of the documents written as the term (see _sound_corrected)."""
        text = self._corrected(_MARKUP_RE.sub(" ", normalize_text(text)))
        return self._sound_corrected(text) if by_sound else text

    def _corrected(self, text: str) -> str:
        for wrong, right in self.corrections.items():
            text = text.replace(wrong, right)
        return text

    def _sound_corrected(self, text: str) -> str:
        """Words that sound like a term of the documents (the same syllables, as a speech
        recogniser or a dialect speaker may blur them) and share a character with it, written as
        the term: "零时救助" → 临时救助, "公组房" → 公租房, "失叶" → 失业."""
        if not self._by_sound or not _CJK_RUN_RE.search(text):
            return text
        return _CJK_RUN_RE.sub(lambda run: self._sound_corrected_run(run.group()), text)

    def _sound_corrected_run(self, run: str) -> str:
        cached = self._sound_cache.get(run)
        if cached is not None:
            return cached
        syllables = [fuzzy_syllable(s) for s in lazy_pinyin(run)]
        if len(syllables) != len(run):
            return run
        # A span replaced starts and ends where jieba's words do ("老公是" is 老公 + 是: its "公是"
        # is not 公示), and none of the words it changes is a common word of its own.
        words, bounds = self.tokenizer.lcut(run, HMM=False), {0}
        for word in words:
            bounds.add(max(bounds) + len(word))
        starts = sorted(bounds)
        out: list[str] = []
        index = 0
        while index < len(run):
            for size in range(min(self._longest_sound_term, len(run) - index), 1, -1):
                span = run[index : index + size]
                term = self._by_sound.get(tuple(syllables[index : index + size]))
                if (term is not None and term != span and index in bounds and index + size in bounds
                        and set(term) & set(span) and span not in self._known_words
                        and not self._changes_common_word(span, term, index, starts)):
                    out.append(term)
                    index += size
                    break
            else:
                out.append(run[index])
                index += 1
        corrected = "".join(out)
        if len(self._sound_cache) < SOUND_CACHE_SIZE:
            self._sound_cache[run] = corrected
        return corrected

    def _changes_common_word(self, span: str, term: str, at: int, starts: list[int]) -> bool:
        """Whether a word of two or more characters of the span (between jieba's word boundaries)
        that the term would change is frequent in jieba's dictionary: "经济情况" is not 紧急情况."""
        inside = [bound - at for bound in starts if at <= bound <= at + len(span)]
        for begin, end in zip(inside, inside[1:]):
            word = span[begin:end]
            if len(word) > 1 and word != term[begin:end] and self.tokenizer.FREQ.get(word, 0) >= COMMON_WORD_FREQ:
                return True
        return False

    def query_terms(self, query: str) -> QueryTerms:
        content: list[str] = []
        concepts: list[frozenset[str]] = []
        weighted: list[str] = []
        cues: list[str] = []
        for word in self.tokenizer.lcut(self.correct(query)):
            word = word.strip()
            if word in self.cues:
                cues.append(word)
                for official in self.cues[word]:
                    weighted.extend(self.document_tokens(official))
            elif word in self.synonyms:
                content.append(word)
                concepts.append(frozenset([word, *self.synonyms[word]]))
                for official in [word, *self.synonyms[word]]:
                    weighted.extend(self.document_tokens(official))
            elif (
                word
                and word not in self.stopwords
                and _TOKEN_RE.match(word)
                and not all(char in self.stopwords for char in word)  # "能领" = 能 + 领
            ):
                content.append(word)
                concepts.append(frozenset([word]))
                weighted.extend(self.document_tokens(word))
        return QueryTerms(tuple(content), tuple(concepts), tuple(weighted), tuple(cues))


_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_FUZZY_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))


def fuzzy_syllable(syllable: str) -> str:
    """A toneless pinyin syllable with the distinctions speech recognisers and northern
    speakers often blur merged: zh/z, ch/c, sh/s, ing/in, eng/en, ang/an."""
    for long, short in _FUZZY_INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long):]
            break
    for long, short in _FUZZY_FINALS:
        if syllable.endswith(long):
            return syllable[: -len(long)] + short
    return syllable


def sound_tokens(text: str) -> list[str]:
    """Pairs of neighbouring syllables (toneless pinyin) of each run of Chinese characters:
    "底保" and "低保" both give "di_bao", so speech-to-text homophones still match."""
    tokens = []
    for run in _CJK_RUN_RE.findall(text):
        syllables = lazy_pinyin(run)
        tokens.extend(f"{a}_{b}" for a, b in zip(syllables, syllables[1:]))
    return tokens


def load_expansions(data_dir: Path) -> dict[str, Any]:
    with (data_dir / "knowledge" / "expansions.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


@lru_cache(maxsize=4)
def load_vocabulary(data_dir: Path) -> Vocabulary:
    return Vocabulary(data_dir / "jieba", load_expansions(data_dir))
