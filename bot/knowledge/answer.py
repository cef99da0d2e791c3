"""A resident's answer: the plain answer first, then the quoted measure with its citation.

The first reply is at most FIRST_REPLY_MAX_CHARS characters:
- the direct answer (data/knowledge/gists.yml; a standard's figure from the dated parameters for
  the resident's region and date, or who sets it and where to ask when no figure is published);
- a next step where one helps (where to go, what to bring);
- the expiry warning, once, when the measure has run out;
- 依据《标题》（文号）条款：“the sentence(s) of the measure that answer”;
- how to get the full clause and the related measures ("详细").
Every figure of a direct answer must be in the quoted measure or in the parameter it comes from;
a line that breaks this is not shown (and is logged), so a figure is never invented.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterable, Sequence

from bot import replies
from bot.eligibility.parameters import (
    BASES, BASIS_STANDARDS, CATALOGUE, Amount, Lookup, Multiple, ParameterSet, ParameterValue,
)
from bot.eligibility.rules import money
from bot.knowledge.corpus import Measure, PolicyDocument
from bot.knowledge.gists import Gists, Line, Question
from bot.knowledge.search import PolicyIndex, SearchHit, SearchResult, split_sentences
from bot.knowledge.terms import QueryTerms
from bot.numbers import parse_number
from bot.regions import Region, display_name

log = logging.getLogger(__name__)

FIRST_REPLY_MAX_CHARS = 300
MAX_QUOTE_CHARS = 240
LONG_SENTENCE_CHARS = 90  # a longer sentence is cut to its clauses that answer
MIN_QUOTE_CHARS = 40
# Below this room for the quote, the next step ("去哪办") gives its place to the quote: the quote
# is what shows the answer is right.
ROOMY_QUOTE_CHARS = 80
MAX_SENTENCES = 3
SHORT_SENTENCE_CHARS = 30
# The second part of a two-part question: its own line, at most this long, with a quote of at
# most SECOND_QUOTE_CHARS when another measure answers it.
SECOND_PART_MAX_CHARS = 130
SECOND_QUOTE_CHARS = 60
MIN_REGION_QUOTE_CHARS = 30  # per region, when a question naming none is answered for each
SENTENCE_ENDING_CHARS = 40
# A fact of the direct answer (split at ；。 and "另外") is quoted when a sentence restates this
# share of its character pairs and the quote so far does not.
FACT_RESTATED = 0.5
MIN_FACT_BIGRAMS = 8  # the closing clause added to a quote cut at a semicolon
FIGURE_BONUS = 0.3
# The direct answer (a line of gists.yml) says what the question asked: the sentence it restates
# outweighs one that only shares more of the question's words (tuned on the tuning sets: 1.0 → 1.5).
ECHO_WEIGHT = 1.5
# A reason the direct answer gives (who sets a standard the documents have no figure for) is
# what the quote must show: the sentence restating it wins over the words the question shares.
REASON_ECHO_WEIGHT = 3.0
# A measure's gist sums the whole measure up: the sentence the question is about counts more.
GIST_ECHO_WEIGHT = 0.5
SECOND_SENTENCE_SHARE = 0.6
RELATED_SHARE = 0.75
RELATED_COVERAGE = 0.5
MAX_RELATED = 3
HOTLINE_NUMBER = Fraction(12345)
_DIGIT_RE = re.compile(r"\d")
_FACT_SPLIT_RE = re.compile(r"[；;。]|另外")
_FIGURE_RE = re.compile(
    r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+(?=个?月|倍|级|岁|周岁|元|年|日|号|个季度|季度|次|成)"
)
AMOUNT_CUES = {"多少钱", "给多少", "多少", "钱", "标准", "几号", "什么时候发", "啥时候发", "哪天发"}
# Multiples of a 低保 standard paid every month per person, whose amounts are shown beside the
# multiple; the one-off amounts (临时救助) are not "每人每月".
MONTHLY_MULTIPLES = frozenset({"tekun_standard"})
UNIT_PHRASES = {"元/人/月": "每人每月{n}元", "元/人/年": "每人每年{n}元", "元/年": "每年{n}元"}


@dataclass(frozen=True)
class MeasureRef:
    doc_id: str
    clause: str

    def to_json(self) -> dict[str, str]:
        return {"doc_id": self.doc_id, "clause": self.clause}


@dataclass(frozen=True)
class DirectAnswer:
    text: str
    sources: tuple[str, ...]  # what its figures come from: the measure's text, the parameters
    next: str | None = None  # a key of policy.next_step
    echo: str | None = None  # what the quote should restate, when not the whole text (a reason)
    general: bool = False  # the measure's gist, not a line for what was asked


@dataclass(frozen=True)
class Answer:
    text: str
    answered: bool
    direct: DirectAnswer | None = None
    measure: MeasureRef | None = None
    related: tuple[MeasureRef, ...] = ()


def cited_title(document: PolicyDocument, title: str | None = None) -> str:
    inner = (title or document.title).replace("《", "〈").replace("》", "〉")
    return f"《{inner}》"


def citation(document: PolicyDocument, measure: Measure, title: str | None = None) -> str:
    """《title》（文号）clause; `title` a shorter form of the document's title (short_titles)."""
    return f"{cited_title(document, title)}（{document.doc_number}）{measure.clause}"


def figures(text: str) -> set[Fraction]:
    """The numbers a text states: Arabic figures, and Chinese numerals before a unit (六个月)."""
    found = set()
    for match in _FIGURE_RE.finditer(text):
        value = parse_number(match.group()) if not match.group()[0].isdigit() else float(match.group())
        if value is not None:
            found.add(Fraction(str(value)))
    return found


def unsupported_figures(direct: DirectAnswer) -> set[Fraction]:
    """Figures of a direct answer that none of its sources states (the hotline number aside)."""
    stated = set().union(*(figures(source) for source in direct.sources)) if direct.sources else set()
    return figures(direct.text) - stated - {HOTLINE_NUMBER}


def quote_passage(
    hit: SearchHit, terms: QueryTerms, max_chars: int = MAX_QUOTE_CHARS, echo: str = "",
    echo_weight: float = ECHO_WEIGHT,
) -> str:
    """The sentence (or two) of the measure that says most about the question, within max_chars;
    a long sentence is cut to its clauses that answer. `echo` is the direct answer the quote
    supports: the sentences and clauses it restates are preferred."""
    measure = hit.measure
    parts = split_sentences(measure.text)
    if not parts:
        return measure.text[:max_chars]
    wants_figure = any(cue in AMOUNT_CUES for cue in terms.cues)
    top = max(hit.sentence_scores, default=0.0) or 1.0
    echoed = _bigrams(echo)
    scores = [
        r / top
        + (FIGURE_BONUS if wants_figure and _DIGIT_RE.search(part) else 0.0)
        + (echo_weight * len(_bigrams(part) & echoed) / len(echoed) if echoed else 0.0)
        for r, part in zip(hit.sentence_scores or [0.0] * len(parts), parts, strict=True)
    ]
    # The measure's lead phrase ("扎实做好流浪乞讨人员救助工作。") names its topic, which the
    # question shares, but says nothing the resident asked: the sentences after it are quoted.
    if len(parts) > 1 and measure.title and parts[0].strip().rstrip("。") == measure.title:
        scores[0] = 0.0
    order = sorted(range(len(parts)), key=lambda i: (-scores[i], i))
    sentence_chars = min(max_chars, LONG_SENTENCE_CHARS)
    pieces = {order[0]: _cut(parts[order[0]].strip(), terms, max_chars, echoed, wants_figure)}
    added = [order[0]]
    for i in order[1:MAX_SENTENCES]:
        if scores[i] < scores[order[0]] * SECOND_SENTENCE_SHARE:
            break
        pieces[i] = _cut(parts[i].strip(), terms, sentence_chars, echoed, wants_figure)
        added.append(i)
    for i in _unquoted_facts(parts, pieces, echo):  # only where it fits beside what is quoted
        piece = _cut(parts[i].strip(), terms, sentence_chars, echoed, wants_figure)
        if len(_join(parts, {**pieces, i: piece})) <= max_chars:
            pieces[i] = piece
            added.append(i)
    following = order[0] + 1
    if len(pieces) == 1 and len(pieces[order[0]]) < SHORT_SENTENCE_CHARS and following < len(parts):
        pieces[following] = _cut(parts[following].strip(), terms, sentence_chars, echoed, wants_figure)
        added.append(following)
    ending = _sentence_ending(parts, max(pieces))
    if ending is not None and ending[0] not in pieces:
        first = order[0]
        others = {i: piece for i, piece in pieces.items() if i != first}
        room = max_chars - (len(_join(parts, others)) if others else 0) - len(ending[1]) - 4
        pieces[first] = _cut(parts[first].strip(), terms, max(room, MIN_QUOTE_CHARS), echoed, wants_figure)
        pieces[ending[0]] = ending[1]
        added.append(ending[0])
    quote = _join(parts, pieces)
    while len(quote) > max_chars and len(added) > 1:
        del pieces[added.pop()]
        quote = _join(parts, pieces)
    if len(quote) > max_chars:
        quote = quote[: max_chars - 2].rstrip("，、；：") + "……"
    return quote


def _unquoted_facts(parts: list[str], pieces: dict[int, str], echo: str) -> list[int]:
    """The sentences that state a fact of the direct answer the quote does not restate yet (a
    direct answer of two facts, "……列入财政预算；加快建设供养机构", quoted from one sentence only):
    for each such fact, the sentence restating most of it, when it restates at least
    FACT_RESTATED of it."""
    found: list[int] = []
    for fact in _FACT_SPLIT_RE.split(echo):
        grams = _bigrams(fact)
        if len(grams) < MIN_FACT_BIGRAMS:
            continue
        quoted = set().union(*(_bigrams(piece) for piece in pieces.values()))
        if len(grams & quoted) >= len(grams) * FACT_RESTATED:
            continue
        share, index = max((len(grams & _bigrams(part)) / len(grams), i) for i, part in enumerate(parts))
        if share >= FACT_RESTATED and index not in pieces and index not in found:
            found.append(index)
    return found


def _sentence_ending(parts: list[str], last: int) -> tuple[int, str] | None:
    """When the last piece quoted ends at a semicolon inside a sentence ("对因火灾……等原因；"),
    the sentence's closing clause that says what is done ("……及时给予临时救助。"), so that the
    quote does not stop in mid-sentence: (index of its part, the clause)."""
    if not parts[last].rstrip().endswith("；"):
        return None
    for index in range(last + 1, min(last + MAX_SENTENCES + 1, len(parts))):
        part = parts[index].strip()
        if part.endswith(("。", "！", "？")):
            clause = re.split(r"(?<=[，：、；])", part)[-1]
            return (index, clause) if len(clause) <= SENTENCE_ENDING_CHARS else None
    return None


def _joined_scores(first: tuple[float, ...], second: tuple[float, ...]) -> tuple[float, ...]:
    """Sentence scores of two searches of one measure, each scaled to its best, added."""
    if len(first) != len(second):
        return first
    top_first, top_second = max(first, default=0.0) or 1.0, max(second, default=0.0) or 1.0
    return tuple(a / top_first + b / top_second for a, b in zip(first, second, strict=True))


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} - {"，", "。"}


def _join(parts: list[str], pieces: dict[int, str]) -> str:
    """The chosen pieces in the measure's order, "……" where text is left out."""
    chosen = sorted(pieces)
    out: list[str] = []
    for position, i in enumerate(chosen):
        starts_inside = not parts[i].strip().startswith(pieces[i])
        gap = (i > 0 if position == 0 else i > chosen[position - 1] + 1) or starts_inside
        out.append(("……" if gap and not (out and out[-1].endswith("……")) else "") + pieces[i])
    quote = "".join(out).rstrip("；，")
    ends_measure = chosen[-1] == len(parts) - 1 and quote.endswith(("。", "！", "？"))
    return quote if ends_measure or quote.endswith("……") else f"{quote}……"


def _cut(sentence: str, terms: QueryTerms, max_chars: int, echoed: set[str], wants_figure: bool) -> str:
    """The sentence, or when longer than max_chars the run of its clauses that the direct answer
    restates and that name the question's words, ending with "……" when cut before its end."""
    if len(sentence) <= min(max_chars, LONG_SENTENCE_CHARS):
        return sentence
    clauses = re.split(r"(?<=[，：、；])", sentence)
    words = {term for concept in terms.concepts for term in concept if len(term) > 1}

    def weight(clause: str) -> float:
        return (len(_bigrams(clause) & echoed) / 2 + sum(w in clause for w in words)
                + (1 if wants_figure and _DIGIT_RE.search(clause) else 0))

    best, best_score = (0, 1), -1.0
    for start in range(len(clauses)):
        end, size, score = start, 0, 0.0
        while end < len(clauses) and size + len(clauses[end]) <= max_chars:
            size += len(clauses[end])
            score += weight(clauses[end])
            end += 1
        if end > start and score > best_score:
            best, best_score = (start, end), score
    start, end = best
    while end - start > 1 and not weight(clauses[start]):
        start += 1
    while end - start > 1 and not weight(clauses[end - 1]) and not clauses[end - 2].endswith(("、", "：")):
        end -= 1
    window = "".join(clauses[start:end]) or sentence[:max_chars]
    return window if end >= len(clauses) else window.rstrip("，：、；") + "……"


def validity_note(hit: SearchHit) -> str:
    if not hit.expired:
        return ""
    return expiry_warning(hit.measure, hit.valid_until)


def expiry_warning(measure: Measure, valid_until: dt.date | None) -> str:
    if measure.expiry_note:
        reason = measure.expiry_note.rstrip("。")
    elif valid_until:
        reason = replies.text("policy.expired_document", date=replies.date_text(valid_until))
    else:
        reason = replies.text("policy.expired_measure")
    return replies.text("policy.expired", reason=reason)


def number_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


def figure_text(value: ParameterValue) -> str:
    """A parameter's value as a resident reads it: 每人每月650元, 不低于城市低保月标准的2倍."""
    data = value.data
    if isinstance(data, Amount):
        return UNIT_PHRASES[data.unit].format(n=number_text(data.value))
    if isinstance(data, Multiple):
        return f"{'不低于' if data.at_least else ''}{BASES[data.of]}的{number_text(data.factor)}倍"
    raise ValueError(f"{value.name}: not a figure")


def measure_sources(hit: SearchHit) -> tuple[str, ...]:
    """What a measure's direct answer may take figures from: its text and its document's 文号 and date."""
    document = hit.document
    return (hit.measure.text, document.doc_number, document.issued_text)


def parameter_source(value: ParameterValue) -> str:
    """The text a parameter's figures may be taken from: value, dates and citation."""
    until = value.valid_until.isoformat() if value.valid_until else ""
    return f"{figure_text(value)} {value.effective.isoformat()} {until} {value.citation}"


class Composer:
    """Turns a search result into the first reply, and a measure into its full text on request."""

    def __init__(self, index: PolicyIndex, gists: Gists, parameters: Callable[[], ParameterSet]) -> None:
        self.index = index
        self.gists = gists
        self.parameters = parameters

    def question(self, result: SearchResult, text: str | None = None) -> Question:
        text = self.index.vocabulary.correct(text or result.query)
        words = frozenset(word for concept in result.terms.concepts for word in concept)
        return Question(text, words, self.gists.types_of(text))

    def first_reply(
        self, result: SearchResult, region: Region | None, as_of: dt.date, second: SearchResult | None = None,
        first_part: str | None = None, second_part: str | None = None,
    ) -> Answer:
        """`second`: the search for the second part of a two-part question, answered too;
        `first_part`: the question without its second part, what the direct answer answers."""
        if not result.answered or result.best is None:
            return Answer(replies.text("policy.not_found"), False)
        best = result.best
        question = self.question(result, first_part)
        direct = self.direct_answer(best, question, region, as_of)
        lines = [direct.text]
        also, best = self.second_part(result, second, direct, region, as_of, second_part)
        if also:
            lines.append(also)
        renamed = self.gists.old_name_in(question.text)
        if renamed is not None and renamed[1] not in direct.text:
            lines.append(replies.text("policy.old_name", old=renamed[0], new=renamed[1]))
        if region is None:
            lines.append(replies.text("policy.region_note", place=display_name(best.document.region)))
        if direct.next:
            lines.append(replies.text(f"policy.next_step.{direct.next}"))
        if best.expired:
            lines.append(expiry_warning(best.measure, best.valid_until))
        hint = replies.text("policy.detail_hint")
        # The first reply cites the document by its short title: the room goes to the quote.
        cited = citation(best.document, best.measure, self.gists.short_titles.get(best.document.doc_id))
        frame = len(replies.text("policy.quote", citation=cited, quote=""))
        room = FIRST_REPLY_MAX_CHARS - sum(len(line) + 1 for line in lines) - len(hint) - frame - 1
        if room < ROOMY_QUOTE_CHARS and direct.next:
            lines.remove(replies.text(f"policy.next_step.{direct.next}"))
            room += len(replies.text(f"policy.next_step.{direct.next}")) + 1
        if room < MIN_QUOTE_CHARS and also:
            lines.remove(also)
            room += len(also) + 1
            also = ""
        echo = f"{direct.echo or direct.text}{also}"
        weight = REASON_ECHO_WEIGHT if direct.echo else GIST_ECHO_WEIGHT if direct.general else ECHO_WEIGHT
        quote = quote_passage(best, result.terms, max(room, MIN_QUOTE_CHARS) - 2, echo, weight)
        lines.append(replies.text("policy.quote", citation=cited, quote=quote))
        lines.append(hint)
        ref = MeasureRef(best.document.doc_id, best.measure.clause)
        return Answer("\n".join(lines), True, direct, ref, self.related(result, region is not None))

    def each_region(self, result: SearchResult, hits: Sequence[SearchHit], as_of: dt.date) -> Answer:
        """A question that names no region, answered by measures of different regions: what each
        region's document says, briefly (its direct answer and a short quote with its citation),
        then which region is the resident's; the whole within the first reply's limit."""
        question = self.question(result)
        ask = replies.text("policy.each_region_ask")
        intro = replies.text("policy.each_region_intro")
        share = (FIRST_REPLY_MAX_CHARS - len(intro) - len(ask) - 2) // len(hits) - 1
        lines = [intro]
        for hit in hits:
            direct = self.direct_answer(hit, question, None, as_of)
            said = "" if direct.text.endswith("：") else direct.text
            cited = f"{hit.document.doc_number}{hit.measure.clause}"
            place = display_name(hit.document.region)
            note = (replies.text("policy.each_region_expired", date=replies.date_text(hit.valid_until))
                    if hit.expired and hit.valid_until else
                    replies.text("policy.each_region_ended") if hit.expired else "")
            key = "policy.each_region_line"
            frame = len(replies.text(key, place=place, note=note, answer="", citation=cited, quote=""))
            if not said or share - frame - len(said) < MIN_REGION_QUOTE_CHARS:
                said = ""  # the quote alone says it: room for the words of the document
                key = "policy.each_region_quoted"
                frame = len(replies.text(key, place=place, note=note, answer="", citation=cited, quote=""))
            weight = REASON_ECHO_WEIGHT if direct.echo else GIST_ECHO_WEIGHT if direct.general else ECHO_WEIGHT
            quote = quote_passage(hit, result.terms, share - frame - len(said), direct.echo or said, weight)
            lines.append(replies.text(key, place=place, note=note, answer=said, citation=cited, quote=quote))
        lines.append(ask)
        refs = tuple(MeasureRef(hit.document.doc_id, hit.measure.clause) for hit in hits)
        return Answer("\n".join(lines), True, None, refs[0], refs[1:])

    def second_part(
        self, result: SearchResult, second: SearchResult | None, direct: DirectAnswer,
        region: Region | None, as_of: dt.date, text: str | None = None,
    ) -> tuple[str, SearchHit]:
        """The line answering the second part of a two-part question ("" when there is none or
        the first answer already says it), and the hit to quote: the first part's, its sentence
        scores joined with the second part's when both parts are answered by the same measure."""
        best = result.best
        assert best is not None
        if second is None or not second.answered or second.best is None:
            return "", best
        other = second.best
        same = (other.document.doc_id, other.measure.clause) == (best.document.doc_id, best.measure.clause)
        answer: DirectAnswer | None = self.direct_answer(other, self.question(second, text), region, as_of)
        if answer is None or answer.text == direct.text or answer.text.endswith("："):
            answer = None
        if same:
            joined = _joined_scores(best.sentence_scores, other.sentence_scores)
            hit = dataclasses.replace(best, sentence_scores=joined)
            text = replies.text("policy.second_part", answer=answer.text) if answer else ""
            return (text if len(text) <= SECOND_PART_MAX_CHARS else ""), hit
        if other.expired and not best.expired:
            return "", best
        cited = f"{other.document.doc_number}{other.measure.clause}"
        quote = quote_passage(other, second.terms, SECOND_QUOTE_CHARS, answer.text if answer else "")
        text = (replies.text("policy.second_part_cited", answer=answer.text, quote=quote, citation=cited)
                if answer else "")
        if not text or len(text) > SECOND_PART_MAX_CHARS:
            text = replies.text("policy.second_part_quoted", quote=quote, citation=cited)
        return (text if len(text) <= SECOND_PART_MAX_CHARS else ""), best

    def direct_answer(
        self, hit: SearchHit, question: Question, region: Region | None, as_of: dt.date
    ) -> DirectAnswer:
        entry = self.gists.measure(hit.document.doc_id, hit.measure.clause)
        place = region.name if region is not None else hit.document.region
        line = self.gists.line_for(hit.document.doc_id, hit.measure.clause, question)
        specific = line is not None and entry is not None and line is not entry.gist
        standard = self.gists.standard_for(question)
        direct: DirectAnswer | None = None
        if standard is not None and not specific:
            direct = self.standard_answer(standard.parameters, hit, place, as_of)
        if direct is None and line is not None:
            direct = self.line_answer(line, hit, place, as_of)
        if direct is not None and unsupported_figures(direct):
            log.error("direct answer for %s %s states figures its sources do not: %s",
                      hit.document.doc_number, hit.measure.clause, direct.text)
            direct = None
        if direct is None:
            direct = DirectAnswer(f"{hit.measure.title or hit.measure.clause}：", measure_sources(hit))
        next_step = (line.next if line is not None and line.next else None) or (
            entry.next if entry is not None and (not question.types or question.types & {"where", "whether"}) else None
        ) or ("apply" if "where" in question.types else None)
        general = direct.echo is None and line is not None and entry is not None and line is entry.gist
        return DirectAnswer(direct.text, direct.sources, next_step, direct.echo, general)

    def line_answer(self, line: Line, hit: SearchHit, place: str, as_of: dt.date) -> DirectAnswer | None:
        names = sorted(replies.placeholders(line.say))
        if not names:
            return DirectAnswer(line.say, measure_sources(hit))
        lookups = [self.parameters().lookup(name, place, as_of) for name in names]
        if any(lookup.value is None for lookup in lookups):
            return self.no_figure(lookups, hit)
        shown = {lookup.name: self.figure(lookup, place, as_of) for lookup in lookups if lookup.value}
        values = {name: text for name, (text, _sources) in shown.items()}
        sources = (*measure_sources(hit), *(source for _text, found in shown.values() for source in found))
        return DirectAnswer(line.say.format(**values), sources)

    def figure(self, lookup: Lookup, place: str, as_of: dt.date) -> tuple[str, tuple[str, ...]]:
        """figure_text, and for a multiple of a 低保 standard the amounts it comes to where the
        standard is known: 城乡低保月标准的1.3倍（城市每人每月845元，农村每人每月598元）; with what
        its figures may come from: the parameter, the standards used and the products alone."""
        value = lookup.value
        assert value is not None
        text, sources = figure_text(value), [parameter_source(value)]
        if not isinstance(value.data, Multiple) or lookup.name not in MONTHLY_MULTIPLES:
            return text, tuple(sources)
        amounts = []
        minimum = replies.text("policy.multiple_at_least") if value.data.at_least else ""
        for name in BASIS_STANDARDS[value.data.of]:
            standard = self.parameters().lookup(name, place, as_of).value
            if standard is not None and isinstance(standard.data, Amount):
                monthly = money(value.data.factor * standard.data.monthly)
                amounts.append(replies.text(f"policy.multiple_amount.{name}", n=monthly, minimum=minimum))
                sources += [parameter_source(standard), monthly]
        if amounts:
            text = replies.text("policy.multiple_with_amounts", figure=text, amounts="，".join(amounts))
        return text, tuple(sources)

    def standard_answer(
        self, names: Iterable[str], hit: SearchHit, place: str, as_of: dt.date
    ) -> DirectAnswer | None:
        lookups = [self.parameters().lookup(name, place, as_of) for name in names]
        found = [lookup for lookup in lookups if lookup.value is not None]
        if not found:
            return self.no_figure(lookups, hit)
        shown = {lookup.name: self.figure(lookup, place, as_of) for lookup in found}
        parts = "，".join(f"{CATALOGUE[name].label}{figure}" for name, (figure, _sources) in shown.items())
        first = found[0].value
        assert first is not None
        since = replies.date_text(first.effective)
        quoted = (hit.document.doc_number, hit.measure.clause) == (first.citation.document, first.citation.clause)
        short_place = display_name(first.region)
        text = (replies.text("policy.standard", place=short_place, figures=parts, since=since) if quoted
                else replies.text("policy.standard_cited", place=short_place, figures=parts, since=since,
                                  citation=f"{first.citation.document}{first.citation.clause}"))
        missing = [CATALOGUE[lookup.name].label for lookup in lookups if lookup.value is None]
        if missing:
            text += replies.text("policy.standard_missing", labels="、".join(missing))
        sources = (*measure_sources(hit), *(source for _text, used in shown.values() for source in used))
        return DirectAnswer(text, sources)

    def no_figure(self, lookups: list[Lookup], hit: SearchHit) -> DirectAnswer | None:
        """Who sets a standard the documents give no figure for, and where to ask."""
        reasons = list(dict.fromkeys(lookup.unpublished.reason for lookup in lookups if lookup.unpublished))
        if not reasons:
            return None
        reason = "；".join(reasons)
        return DirectAnswer(replies.text("policy.no_figure", reason=reason), measure_sources(hit), echo=reason)

    def related(self, result: SearchResult, region_known: bool) -> tuple[MeasureRef, ...]:
        best = result.best
        if best is None:
            return ()
        return tuple(
            MeasureRef(h.document.doc_id, h.measure.clause)
            for h in result.hits[1:]
            if h.score >= best.score * RELATED_SHARE
            and self.index.coverage(result.terms, h.measure) >= RELATED_COVERAGE
            and (region_known or h.document.region == best.document.region)
        )[:MAX_RELATED]

    def detail(self, ref: MeasureRef, related: Iterable[MeasureRef], as_of: dt.date) -> str | None:
        """The full clause with its citation and validity, and the related measures."""
        found = self.index.entry(ref.doc_id, ref.clause)
        if found is None:
            return None
        document, measure = found
        lines = [replies.text("policy.detail", citation=citation(document, measure), text=measure.text)]
        valid_until = document.measure_valid_until(measure)
        if valid_until is not None and as_of > valid_until:
            lines.append(expiry_warning(measure, valid_until))
        others = [entry for other in related if (entry := self.index.entry(other.doc_id, other.clause))]
        if others:
            lines.append(replies.text("policy.detail_related"))
            lines.extend(
                replies.text("policy.detail_related_item", citation=citation(d, m), title=m.title or m.text[:30])
                for d, m in others
            )
        lines.append(replies.text("policy.detail_end"))
        return "\n".join(lines)
