"""Policy questions in, replies out: the one entry point for actions, the web API and tools."""
from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

from sqlalchemy.exc import SQLAlchemyError

from bot import replies
from bot.eligibility.engine import default_parameters
from bot.eligibility.parameters import ParameterSet
from bot.knowledge.answer import AMOUNT_CUES, Composer, MeasureRef, citation, quote_passage, validity_note
from bot.knowledge.corpus import load_corpus
from bot.knowledge.gists import Gists, load_gists
from bot.knowledge.outside import outside_topic
from bot.knowledge.ranker import load_examples
from bot.knowledge.search import MIN_COVERAGE, PolicyIndex, SearchHit, SearchResult, split_sentences, strip_regions
from bot.knowledge.terms import load_vocabulary
from bot.regions import COVERED_PROVINCES, Region, display_name, find_regions, get_region
from bot.settings import get_settings

log = logging.getLogger(__name__)
RELATED_SHARE = 0.6
MAX_REGIONS = 2  # regions answered at once for a question naming none (the reply's room)
SECOND_PART_FOCUS_WEIGHT = 2.0
_FIGURE_RE = re.compile(r"\d+(?:\.\d+)?\s*(?:元|倍|%|个月|日|周岁)")
COVERED_TEXT = "、".join(COVERED_PROVINCES)


class ReplyKind(str, Enum):
    ANSWER = "answer"
    NOT_FOUND = "not_found"
    NEED_REGION = "need_region"
    REGION_NOT_COVERED = "region_not_covered"
    REGION_NOTED = "region_noted"
    REGION_UNKNOWN = "region_unknown"
    OUTSIDE = "outside"  # a program the documents do not cover: says so and who does




@dataclass(frozen=True)
class PolicyReply:
    kind: ReplyKind
    text: str
    region: Region | None  # the region the reply is for (named in the question or remembered)
    result: SearchResult | None = None
    measure: MeasureRef | None = None  # the measure quoted, for the full text on request
    related: tuple[MeasureRef, ...] = ()
    # A question naming no region answered for each region (NEED_REGION): the measures quoted.
    each_region: tuple[SearchHit, ...] = ()

    def detail_ref(self) -> dict[str, Any] | None:
        """What a conversation remembers to give the full clause later ("详细")."""
        if self.measure is None:
            return None
        return {**self.measure.to_json(), "related": [ref.to_json() for ref in self.related]}


@dataclass(frozen=True)
class Turn:
    """One resident message in a conversation: the reply and what to remember afterwards."""

    reply: PolicyReply
    region: str | None  # the region to remember from now on
    pending_question: str | None  # a question waiting for the region, if any


def region_not_covered_text(region: Region) -> str:
    return replies.text("policy.region_not_covered", covered=COVERED_TEXT, place=display_name(region.name))


class PolicyService:
    def __init__(
        self,
        index: PolicyIndex,
        gists: Gists | None = None,
        parameters: Callable[[], ParameterSet] = default_parameters,
    ) -> None:
        self.index = index
        self.composer = Composer(index, gists or load_gists(get_settings().data_dir), parameters)

    def resolve_region(self, text: str, remembered: str | None) -> Region | None:
        """The region named in the text (a covered one first: "河南人在山西打工"), else the remembered."""
        named = [match.region for match in find_regions(text)]
        covered = [region for region in named if region.covered]
        if covered or named:
            return max(covered or named, key=lambda r: len(r.name))
        return get_region(remembered) if remembered else None

    def search(
        self, query: str, region: Region | None, top_k: int = 3, as_of: dt.date | None = None
    ) -> SearchResult:
        return self.index.search(query, region=region, top_k=top_k, as_of=as_of or today())

    def search_focused(
        self, query: str, region: Region | None, focus: str, as_of: dt.date | None = None
    ) -> SearchResult:
        return self.index.search(query, region=region, as_of=as_of or today(), focus=focus,
                                 focus_weight=SECOND_PART_FOCUS_WEIGHT)

    def reply(
        self, question: str, remembered_region: str | None = None, as_of: dt.date | None = None
    ) -> PolicyReply:
        region = self.resolve_region(question, remembered_region)
        if region is not None and not region.covered:
            return PolicyReply(ReplyKind.REGION_NOT_COVERED, region_not_covered_text(region), region)
        uncovered = self.outside_reply(question, region)
        if uncovered is not None:  # not another program's measure: these documents do not cover it
            return uncovered
        # A question of two parts: each part is searched with its own clauses in front (the
        # whole message still counts: "特困的供养金呢" is about when money is paid, as the first).
        parts = self.index.two_parts(question)
        result = (self.search_focused(question, region, parts[0], as_of) if parts
                  else self.search(question, region, as_of=as_of))
        if region is None and result.answered:
            hits = self._by_region(result)
            if len(hits) > 1:  # what each region's document says, then which region is theirs
                answer = self.composer.each_region(result, hits, as_of or today())
                return PolicyReply(ReplyKind.NEED_REGION, answer.text, None, result, answer.measure,
                                   answer.related, tuple(hits))
        second = None
        if parts is not None and result.answered:
            second = self.search_focused(question, region, parts[1], as_of)
        answer = self.composer.first_reply(result, region, as_of or today(), second,
                                           *(parts if parts else (None, None)))
        kind = ReplyKind.ANSWER if answer.answered else ReplyKind.NOT_FOUND
        return PolicyReply(kind, answer.text, region, result, answer.measure, answer.related)

    def outside_reply(self, question: str, region: Region | None) -> PolicyReply | None:
        """The reply to a question about a program these documents do not cover, if it is one
        (also when it sits inside a story: "家里老人没了，有丧葬费没")."""
        topic = self.outside(question, region)
        if topic is None:
            return None
        return PolicyReply(ReplyKind.OUTSIDE, replies.text(f"outside.{topic}"), region)

    def outside(self, question: str, region: Region | None = None) -> str | None:
        """The program outside the documents the question is about (高龄津贴, 丧葬费…), if any."""
        return outside_topic(self.index.vocabulary.correct(question), get_settings().data_dir,
                             region.province if region else None)

    def detail(self, remembered: Mapping[str, Any] | None, as_of: dt.date | None = None) -> str:
        """The full clause of the last answer and its related measures, or what to ask first."""
        text = None
        if isinstance(remembered, Mapping) and "doc_id" in remembered and "clause" in remembered:
            related = [MeasureRef(str(r.get("doc_id")), str(r.get("clause")))
                       for r in remembered.get("related") or () if isinstance(r, Mapping)]
            ref = MeasureRef(str(remembered["doc_id"]), str(remembered["clause"]))
            text = self.composer.detail(ref, related, as_of or today())
        return text or replies.text("policy.detail_nothing")

    def converse(
        self,
        text: str,
        remembered_region: str | None,
        pending_question: str | None,
        region_named: str | None = None,
        says_region: bool = False,
        as_of: dt.date | None = None,
    ) -> Turn:
        """A message in a conversation that remembers the region and a question waiting for it.

        A message that only names a place (or that the NLU read as giving the region) sets the
        region and answers the waiting question; anything else is a question of its own.
        """
        region = get_region(region_named) if region_named else self.resolve_region(text, None)
        only_region = (not self.index.vocabulary.query_terms(strip_regions(text)).content
                       and self.outside(text) is None)
        if only_region or (says_region and region is not None):
            if region is None:
                return Turn(PolicyReply(ReplyKind.REGION_UNKNOWN, replies.text("policy.region_unknown"), None),
                            remembered_region, pending_question)
            if not region.covered:
                reply = PolicyReply(ReplyKind.REGION_NOT_COVERED, region_not_covered_text(region), region)
                return Turn(reply, region.name, pending_question)
            if pending_question:
                return Turn(self.reply(pending_question, region.name, as_of), region.name, None)
            noted = replies.text("policy.region_noted", place=display_name(region.name))
            return Turn(PolicyReply(ReplyKind.REGION_NOTED, noted, region), region.name, None)
        reply = self.reply(text, remembered_region, as_of)
        pending = text if reply.kind == ReplyKind.NEED_REGION else None
        remembered = reply.region.name if reply.region else remembered_region
        return Turn(reply, remembered, pending)

    def _by_region(self, result: SearchResult) -> list[SearchHit]:
        """The best measure of each region that answers the question nearly as well as the best
        (the best's region first, at most MAX_REGIONS): more than one when the answer depends on
        the region."""
        best = result.best
        if best is None:
            return []
        chosen: dict[str, SearchHit] = {best.document.region: best}
        for hit in result.hits:
            if (hit.document.region not in chosen and hit.score >= best.score * RELATED_SHARE
                    and self.index.coverage(result.terms, hit.measure) >= MIN_COVERAGE):
                chosen[hit.document.region] = hit
        return list(chosen.values())[:MAX_REGIONS]


def today() -> dt.date:
    return get_settings().today()


@lru_cache(maxsize=2)
def _service_for(policy_dir: Path, data_dir: Path) -> PolicyService:
    return PolicyService(PolicyIndex.from_directory(policy_dir, data_dir), load_gists(data_dir))


class LiveService:
    """The policy service of this process: the shipped corpus plus the notices published in the
    console (bot/standards/notices.py). At most once every CHECK_SECONDS it reads the registry's
    "notices" version; when it moved, the index is rebuilt with the published notices. A version
    that cannot be read, or a rebuild that fails, leaves the previous service answering."""

    CHECK_SECONDS = 1.0

    def __init__(self, read_version: Callable[[], Any], read_documents: Callable[[], list[Any]],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._read_version = read_version
        self._read_documents = read_documents
        self._clock = clock
        self._lock = threading.Lock()
        self._service: PolicyService | None = None
        self._key: Any = None
        self._checked_at: float | None = None

    def __call__(self, policy_dir: Path, data_dir: Path) -> PolicyService:
        now = self._clock()
        service = self._service
        if service is not None and self._checked_at is not None and now - self._checked_at < self.CHECK_SECONDS:
            return service
        with self._lock:
            if self._service is not None and self._checked_at is not None \
                    and now - self._checked_at < self.CHECK_SECONDS:
                return self._service
            self._checked_at = now
            try:
                version = self._read_version()
            except SQLAlchemyError as exc:
                log.warning("published notices not readable, keeping the current index: %s",
                            str(exc).splitlines()[0])
                version = self._key[2] if self._key else None
            key = (policy_dir, data_dir, version)
            if self._service is None or key != self._key:
                try:
                    self._service = self._build(policy_dir, data_dir, bool(version))
                    self._key = key
                except Exception:  # noqa: BLE001 (any failure: the old index keeps serving)
                    log.exception("rebuilding the policy index with the published notices failed; "
                                  "the previous index keeps serving")
                    if self._service is None:
                        self._service = _service_for(policy_dir, data_dir)
            return self._service

    def _build(self, policy_dir: Path, data_dir: Path, with_notices: bool) -> PolicyService:
        if not with_notices:
            return _service_for(policy_dir, data_dir)
        gists = load_gists(data_dir)
        asks = {key: entry.asks for key, entry in gists.measures.items()}
        documents = [*load_corpus(policy_dir), *self._read_documents()]
        return PolicyService(PolicyIndex(documents, load_vocabulary(data_dir), asks, gists, load_examples()), gists)

    def reset(self) -> None:
        with self._lock:
            self._service = self._key = self._checked_at = None


def _notices_version() -> Any:
    from bot.core.db import database_url
    from bot.standards.notices import notices_version

    found = notices_version()
    return (database_url(), found) if found else None


def _published_notices() -> list[Any]:
    from bot.standards.notices import published_documents

    return published_documents()


LIVE_SERVICE = LiveService(_notices_version, _published_notices)


def get_policy_service() -> PolicyService:
    """The policy service with the notices published in the console (see LiveService)."""
    settings = get_settings()
    return LIVE_SERVICE(settings.policy_dir, settings.data_dir)


# ---- what other channels (the 12345 hotline) use of a search, without the package's internals ----

def cited_hit(hit: SearchHit, result: SearchResult) -> dict[str, Any]:
    """A measure found, as a channel shows it: citation, the quoted passage, its validity."""
    return {
        "citation": citation(hit.document, hit.measure),
        "doc_number": hit.document.doc_number,
        "title": hit.document.title,
        "clause": hit.measure.clause,
        "region": hit.document.region,
        "region_name": display_name(hit.document.region),
        "quote": quote_passage(hit, result.terms),
        "expired": hit.expired,
        "valid_until": hit.valid_until.isoformat() if hit.valid_until else None,
        "note": validity_note(hit),
        "answers": result.answered and hit is result.best,
    }


def short_quote(hit: SearchHit, result: SearchResult, max_chars: int) -> str:
    """The one sentence of the quoted passage that answers, at most about `max_chars` long (the
    clause naming the question's words, or its figure when an amount was asked), without the
    measure's title: what can be read out on the phone."""
    quote = quote_passage(hit, result.terms).replace("……", "")
    if hit.measure.title and quote.startswith(hit.measure.title):
        quote = quote[len(hit.measure.title):].lstrip("。：:，")
    sentence = (split_sentences(quote) or [quote])[0].strip()
    if len(sentence) > max_chars:
        sentence = _clauses_within(sentence, result, max_chars)
    return sentence.rstrip("，；、。：") + "。"


def _clauses_within(sentence: str, result: SearchResult, max_chars: int) -> str:
    clauses = re.split(r"(?<=[，：；])", sentence)
    words = {word for concept in result.terms.concepts for word in concept}
    wants_figure = bool(set(result.terms.cues) & AMOUNT_CUES)

    def weight(clause: str) -> int:
        return any(word in clause for word in words) + 2 * (wants_figure and bool(_FIGURE_RE.search(clause)))

    start = max(range(len(clauses)), key=lambda i: (weight(clauses[i]), -i))
    if start and len(clauses[start - 1]) + len(clauses[start]) <= max_chars:
        start -= 1  # the clause before names what the figure is of
    out = ""
    for clause in clauses[start:]:
        if out and len(out) + len(clause) > max_chars:
            break
        out += clause
    return out


def correct_homophones(text: str) -> str:
    """Words misheard or mistyped for the programs' names corrected (底保 → 低保), by the list of
    expansions.yml only: a caller's name or address is not to be read as a term that sounds like it."""
    return load_vocabulary(get_settings().data_dir).correct(text, by_sound=False)


def asks_about_policy(text: str) -> bool:
    """Whether the text has words to search the policies with, place names aside."""
    return bool(load_vocabulary(get_settings().data_dir).query_terms(strip_regions(text)).content)
