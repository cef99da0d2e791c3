"""A resident's answer: a short quoted passage from the best measure, cited, with validity."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.knowledge.corpus import Measure, PolicyDocument
from bot.knowledge.search import PolicyIndex, SearchHit, SearchResult, split_sentences
from bot.knowledge.terms import QueryTerms
from bot.regions import display_name

MAX_QUOTE_CHARS = 240
MAX_SENTENCES = 3
SHORT_SENTENCE_CHARS = 30
FIGURE_BONUS = 0.3
SECOND_SENTENCE_SHARE = 0.6
_DIGIT_RE = re.compile(r"\d")
AMOUNT_CUES = {"多少钱", "给多少", "多少", "钱", "标准", "几号", "什么时候发", "啥时候发", "哪天发"}

NOT_FOUND = (
    "抱歉，在已收录的政策文件中没有找到与您的问题直接相关的规定，我不能凭猜测回答。"
    "您可以换个说法再问一次，或回复“转人工”请工作人员解答，也可以拨打12345政务服务便民热线。"
)
CONFIRM_CURRENT = "现行政策和标准请向当地乡镇（街道）社会救助窗口或民政部门确认，也可拨打12345。"


@dataclass(frozen=True)
class Answer:
    text: str
    answered: bool


def format_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def cited_title(document: PolicyDocument) -> str:
    inner = document.title.replace("《", "〈").replace("》", "〉")
    return f"《{inner}》"


def citation(document: PolicyDocument, measure: Measure) -> str:
    return f"{cited_title(document)}（{document.doc_number}）{measure.clause}"


def quote_passage(hit: SearchHit, terms: QueryTerms) -> str:
    """The sentence (or two) of the measure that says most about the question."""
    measure = hit.measure
    parts = split_sentences(measure.text)
    if not parts:
        return measure.text
    wants_figure = any(cue in AMOUNT_CUES for cue in terms.cues)
    bonus = FIGURE_BONUS * max(hit.sentence_scores, default=0.0)
    scores = [
        r + (bonus if wants_figure and _DIGIT_RE.search(part) else 0.0)
        for r, part in zip(hit.sentence_scores, parts, strict=True)
    ]
    order = sorted(range(len(parts)), key=lambda i: (-scores[i], i))
    chosen = [order[0]]
    length = len(parts[order[0]])
    for i in order[1:MAX_SENTENCES]:
        if scores[i] < scores[order[0]] * SECOND_SENTENCE_SHARE or length + len(parts[i]) > MAX_QUOTE_CHARS:
            break
        chosen.append(i)
        length += len(parts[i])
    if len(chosen) == 1 and length < SHORT_SENTENCE_CHARS and order[0] + 1 < len(parts):
        chosen.append(order[0] + 1)
    chosen.sort()
    pieces = []
    for position, i in enumerate(chosen):
        piece = parts[i].strip()
        if len(piece) > MAX_QUOTE_CHARS:
            piece = _trim_around_terms(piece, terms)
        gap = i > 0 if position == 0 else i > chosen[position - 1] + 1
        pieces.append(("……" if gap else "") + piece)
    quote = "".join(pieces).rstrip("；，")
    ends_measure = chosen[-1] == len(parts) - 1 and quote.endswith(("。", "！", "？"))
    return quote if ends_measure else f"{quote}……"


def _trim_around_terms(quote: str, terms: QueryTerms) -> str:
    """A window of MAX_QUOTE_CHARS around the first clause that mentions the question's terms."""
    clauses = re.split(r"(?<=[，：、])", quote)
    hit = 0
    for i, clause in enumerate(clauses):
        if any(term in clause for concept in terms.concepts for term in concept):
            hit = i
            break
    out = ""
    for clause in clauses[hit:]:
        if len(out) + len(clause) > MAX_QUOTE_CHARS:
            break
        out += clause
    return out or quote[:MAX_QUOTE_CHARS]


def validity_note(hit: SearchHit) -> str:
    if not hit.expired:
        return ""
    reason = hit.measure.expiry_note or (
        f"该文件有效期至{format_date(hit.valid_until)}" if hit.valid_until else "该措施已到期"
    )
    return f"请注意：{reason.rstrip('。')}，这条规定目前已不在有效期内。{CONFIRM_CURRENT}"


def compose_answer(result: SearchResult, index: PolicyIndex, region_known: bool) -> Answer:
    if not result.answered or result.best is None:
        return Answer(NOT_FOUND, False)
    best = result.best
    lines = []
    if not region_known:
        lines.append(f"以下是{display_name(best.document.region)}的规定（如果您在其他地区，请告诉我您所在的市、县）：")
    lines.append(f"依据{citation(best.document, best.measure)}：")
    lines.append(f"“{quote_passage(best, result.terms)}”")
    note = validity_note(best)
    if note:
        lines.append(note)
    related = [
        h
        for h in result.hits[1:]
        if h.score >= best.score * 0.75
        and index.coverage(result.terms, h.measure) >= 0.5
        and (region_known or h.document.region == best.document.region)
    ]
    if related:
        see_also = "；".join(
            f"同一文件{h.measure.clause}" if h.document is best.document else citation(h.document, h.measure)
            for h in related[:2]
        )
        lines.append(f"相关规定还可参阅：{see_also}。")
    lines.append("以上为政策原文摘录，具体以当地民政部门审核为准。")
    return Answer("\n".join(lines), True)
