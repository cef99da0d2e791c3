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
    def correct(self, text: str) -> str:
        text = _MARKUP_RE.sub(" ", normalize_text(text))
        for wrong, right in self.corrections.items():
            text = text.replace(wrong, right)
        return text

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
