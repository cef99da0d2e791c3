"""The operator's screen for a call so far: suggestions computed from the whole transcript.

`assess(lines, …)` is a pure function of the call's utterances in order: what every caller
utterance says (bot.hotline.extract) is merged across the call, later statements replacing
earlier ones (the caller corrected themself; each replacement is listed); the caller's question
is searched in the policies of the caller's region; the rules engine screens the facts and names
the next question worth asking; and a draft work order (工单) is filled in. Computing from the
whole transcript, not from the last utterance, means an utterance that arrives late is simply
placed where it belongs.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

from bot import replies
from bot.eligibility.engine import PROGRAMS
from bot.hotline.extract import Heard, Lexicon, asked_fields, hear, load_lexicon, narrowest
from bot.hotline.spoken import masked_speech
from bot.core.errors import InvalidField
from bot.core.privacy import mask_id_number, mask_mobile, redact, validate_mobile
from bot.knowledge.service import (
    COVERED_TEXT, PolicyService, SearchResult, asks_about_policy, cited_hit, short_quote,
)
from bot.questionnaire.answers import NONE
from bot.questionnaire.flow import (
    LABELS,
    OUTCOME_NAMES,
    SLOT_FOR_PATH,
    describe,
    next_questions,
    screen_answers,
)
from bot.regions import Region, display_name
from bot.towns import check_town

PROGRAM_NAMES = {key: name for key, name, _rule in PROGRAMS}
CATEGORY_NAMES = {"consult": "政策咨询", "apply": "救助申请", "status": "进度查询", "complaint": "投诉反映"}
URGENCY_NAMES = {"urgent": "紧急", "normal": "一般"}
CALLER, OPERATOR = "caller", "operator"
SPEAKERS = (CALLER, OPERATOR)
MAX_SPOKEN_QUOTE = 60
MAX_SUMMARY = 400
say = replies.text  # the wording: data/replies/hotline.yml ("hotline.<key>")


@dataclass(frozen=True)
class Line:
    """One utterance of a call, in the order the call is read in."""

    speaker: str  # caller | operator
    text: str
    at: dt.datetime


@dataclass
class CallSoFar:
    """What the caller has said so far, merged across the call."""

    answers: dict[str, Any] = field(default_factory=dict)  # screening facts, by field path
    sources: dict[str, str] = field(default_factory=dict)  # the utterance each fact came from
    corrections: list[dict[str, Any]] = field(default_factory=list)
    region: Region | None = None
    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    bad_id: tuple[str, str] | None = None  # the last ID number heard that is not valid, and why
    district: str | None = None
    address: str | None = None
    programs: list[str] = field(default_factory=list)
    categories: set[str] = field(default_factory=set)
    urgent: bool = False
    question: str | None = None  # the caller's question, as said


@lru_cache(maxsize=8192)
def _heard(text: str, asked: tuple[str, ...]) -> Heard:
    return hear(text, asked)


@lru_cache(maxsize=8192)
def _asked(text: str) -> tuple[str, ...]:
    return asked_fields(text, load_lexicon())


def heard_lines(lines: Iterable[Line]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """What the suggestions are computed from: every caller utterance in order, with the fields
    the operator's utterance just before it asked about. An operator's utterance counts only
    through the caller's answer after it, so one added at the end changes nothing."""
    heard: list[tuple[str, tuple[str, ...]]] = []
    asked: tuple[str, ...] = ()
    for line in lines:
        if line.speaker == OPERATOR:
            asked = _asked(line.text)
        else:
            heard.append((line.text, asked))
            asked = ()
    return tuple(heard)


def follow(lines: Iterable[Line], caller_number: str | None = None,
           lexicon: Lexicon | None = None) -> CallSoFar:
    """Every caller utterance read in order, each in the light of the operator's last question."""
    lexicon = lexicon or load_lexicon()
    call = CallSoFar(phone=_valid_mobile(caller_number))
    first_content: str | None = None
    for text, asked in heard_lines(lines):
        heard = _heard(text, asked)
        _merge(call, heard, text)
        if heard.asks and _has_content(heard.query):
            call.question = heard.query
        elif first_content is None and _has_content(heard.query):
            first_content = heard.query
    if call.question is None:
        call.question = first_content
    call.programs = list(narrowest(call.programs, lexicon))
    return call


def _merge(call: CallSoFar, heard: Heard, said: str) -> None:
    for path, old, value in heard.corrected:
        _correction(call, path, old, value)
    for path, value in heard.facts.items():
        old = call.answers.get(path)
        if old is not None and old != value:
            _correction(call, path, old, value)
        call.answers[path] = value
        call.sources[path] = said
    region = merge_region(call.region, heard.region)
    if call.region is not None and region is not None and region != call.region \
            and not region.name.startswith(call.region.name):
        _contact_change(call, "region", display_name(call.region.name), display_name(region.name))
    call.region = region
    if call.region is not None:
        call.answers["region"] = call.region.name
    _merge_contact(call, heard)
    call.programs += [key for key in heard.programs if key not in call.programs]
    call.categories.update(heard.categories)
    call.urgent = call.urgent or heard.urgent


def _merge_contact(call: CallSoFar, heard: Heard) -> None:
    """Name, phone, ID number, 乡镇 and address: each change listed as a correction (numbers masked)."""
    if heard.name_said_first and heard.name_said_first != heard.name:
        _contact_change(call, "caller_name", heard.name_said_first, heard.name)
    elif heard.name and call.name and heard.name != call.name:
        _contact_change(call, "caller_name", call.name, heard.name)
    call.name = heard.name or call.name
    phone = heard.phone or call.phone
    if heard.phone_tail and phone:
        phone = phone[:-4] + heard.phone_tail
    if call.phone and phone != call.phone:
        _contact_change(call, "callback_phone", mask_mobile(call.phone), mask_mobile(phone))
    call.phone = phone
    if heard.id_number:
        if call.id_number and heard.id_number != call.id_number:
            _contact_change(call, "id_number", mask_id_number(call.id_number), mask_id_number(heard.id_number))
        call.id_number, call.bad_id = heard.id_number, None
    elif heard.bad_id:
        call.bad_id = heard.bad_id
    for field in ("district", "address"):
        new, old = getattr(heard, field), getattr(call, field)
        if new and old and new != old and not (field == "address" and new.startswith(old)):
            _contact_change(call, field, old, new)
        setattr(call, field, new or old)


CONTACT_LABELS = {"caller_name": "来电人姓名", "callback_phone": "回拨电话", "id_number": "身份证号",
                  "district": "乡镇（街道）", "address": "详细地址", "region": "所在地区"}


def _contact_change(call: CallSoFar, field: str, old: str, new: str) -> None:
    call.corrections.append({"path": field, "label": CONTACT_LABELS[field], "from": old, "to": new})


def _correction(call: CallSoFar, path: str, old: Any, new: Any) -> None:
    call.corrections.append({"path": path, "label": LABELS.get(path, path),
                             "from": describe_value(path, old), "to": describe_value(path, new)})


def merge_region(current: Region | None, new: Region | None) -> Region | None:
    """A finer place refines the one known ("银川" then "金凤区"); a broader one mentioned later
    ("宁夏这边") keeps the finer; another place replaces it (the caller corrected themself)."""
    if new is None or current is None:
        return new or current
    if current.name.startswith(new.name):
        return current
    return new


def _valid_mobile(number: str | None) -> str | None:
    if not number:
        return None
    try:
        return validate_mobile(number)
    except InvalidField:
        return None


@lru_cache(maxsize=8192)
def _has_content(query: str) -> bool:
    """Kept per text: the whole transcript is read again on every utterance."""
    return asks_about_policy(query)


def describe_value(path: str, value: Any) -> str:
    try:
        return describe(path, value)
    except (KeyError, TypeError, ValueError):
        return str(value)


# ---- the suggestions ----

def assess(lines: Iterable[Line], *, service: PolicyService, as_of: dt.date,
           caller_number: str | None = None) -> dict[str, Any]:
    """The suggestions for the call so far (JSON-ready). Contact details are given in full; the
    channel masks them where they leave the operator's screen."""
    call = follow(lines, caller_number)
    category = _category(call)
    programs = call.programs or _implied_programs(call)
    region = call.region
    result = _search(call, programs, service, as_of)
    policies = _cited(result) if result else []
    screening = _screening(call, as_of)
    reply = spoken_reply(call, result, category)
    return {
        "topic": {
            "category": category,
            "category_name": CATEGORY_NAMES[category],
            "programs": [{"key": key, "name": PROGRAM_NAMES[key]} for key in programs],
            "question": redact(call.question) if call.question else None,
            "urgent": call.urgent,
        },
        "region": {"name": region.name, "display": display_name(region.name), "covered": region.covered}
        if region else None,
        "policies": policies,
        "reply": reply,
        "facts": [
            {"path": path, "label": LABELS.get(path, path), "value": value,
             "text": describe_value(path, value), "source": masked_speech(call.sources.get(path, ""))}
            for path, value in call.answers.items() if path in LABELS
        ],
        "corrections": call.corrections,
        "screening": screening,
        "work_order": work_order(call, category, programs, screening),
    }


def _category(call: CallSoFar) -> str:
    for category in ("status", "complaint", "apply"):
        if category in call.categories:
            return category
    return "apply" if call.urgent else "consult"


def _implied_programs(call: CallSoFar) -> list[str]:
    """No program named: a sudden hardship or heavy medical costs are what 临时救助 is for."""
    emergency = call.answers.get("applicant.emergency")
    if (emergency not in (None, NONE)) or call.answers.get("applicant.medical_out_of_pocket_yearly"):
        return ["temporary_assistance"]
    return []


def _search(call: CallSoFar, programs: list[str], service: PolicyService,
            as_of: dt.date) -> SearchResult | None:
    """The top 3 measures for the caller's question in the caller's region, the question
    searched together with the official words of the programs the call is about."""
    region = call.region
    if call.question is None or (region is not None and not region.covered):
        return None
    lexicon = load_lexicon()
    topic = " ".join(words for key in programs
                     if (words := lexicon.search_words.get(key)) and words not in call.question)
    need = lexicon.needs.get(call.answers.get("applicant.emergency") or "", "")
    result = _searched(service, f"{need} {call.question} {topic}".strip(), region, as_of)
    return result if result.hits else None


@lru_cache(maxsize=1024)
def _searched(service: PolicyService, query: str, region: Region | None, as_of: dt.date) -> SearchResult:
    """The search of a call's question: every utterance of the call asks it again (the question
    rarely changes after the first words), so it is kept, per service (a new corpus is a new
    service) and day. Results are frozen dataclasses."""
    return service.search(query, region, top_k=3, as_of=as_of)


_CITED: "OrderedDict[int, tuple[SearchResult, list[dict[str, Any]]]]" = OrderedDict()
_CITED_LOCK = threading.Lock()


def _cited(result: SearchResult) -> list[dict[str, Any]]:
    """The measures found, as the panel shows them (each with its quoted passage): kept per search
    result, which `_searched` keeps per question, so the quotes are not cut again on every
    utterance. The result is held with them, so its id is not reused while they are kept."""
    with _CITED_LOCK:
        kept = _CITED.get(id(result))
        if kept is not None and kept[0] is result:
            _CITED.move_to_end(id(result))
            return [dict(policy) for policy in kept[1]]
    policies = [cited_hit(hit, result) for hit in result.hits]
    with _CITED_LOCK:
        _CITED[id(result)] = (result, policies)
        while len(_CITED) > _searched.cache_info().maxsize:
            _CITED.popitem(last=False)
    return [dict(policy) for policy in policies]


def spoken_reply(call: CallSoFar, result: SearchResult | None, category: str) -> str:
    """A few polite sentences in plain words for the operator to read out."""
    parts = [say("hotline.spoken.greeting_urgent" if call.urgent else "hotline.spoken.greeting")]
    region = call.region
    tail = say(f"hotline.spoken.tails.{category}", district=call.district or say("hotline.spoken.any_district"))
    if region is not None and not region.covered:
        parts.append(say("hotline.spoken.not_covered", covered=COVERED_TEXT, place=display_name(region.name)))
    elif region is None:
        parts.append(say("hotline.spoken.region_question"))  # the provinces' rules and standards differ
    elif result is not None and result.answered and result.best is not None:
        best = result.best
        parts.append(say("hotline.spoken.quote", document=best.document.doc_number,
                         quote=short_quote(best, result, MAX_SPOKEN_QUOTE)))
        if best.expired:
            parts.append(say("hotline.spoken.expired"))
            tail = "" if category == "consult" else tail
    elif category == "consult":
        parts.append(say("hotline.spoken.not_found"))
        tail = ""
    parts.append(tail)
    return "".join(parts)


# ---- screening ----

def question_texts() -> dict[str, str]:
    """The questionnaire's wording of each question (the chat asks them the same way)."""
    asked = replies.group("questionnaire.ask")
    return {path: asked[slot] for path, slot in SLOT_FOR_PATH.items() if slot in asked}


def _screening(call: CallSoFar, as_of: dt.date) -> dict[str, Any]:
    region = call.region
    if region is None:
        return {"programs": [], "next_question": _question("region"), "note": say("hotline.screening.no_region")}
    if not region.covered:
        return {"programs": [], "next_question": None,
                "note": say("hotline.screening.not_covered", place=display_name(region.name), covered=COVERED_TEXT)}
    answers = dict(call.answers)
    screened = screen_answers(answers, as_of)
    result = screened.to_json()
    programs = [
        {"program": p["program"], "name": p["name"], "outcome": p["outcome"],
         "outcome_name": OUTCOME_NAMES[p["outcome"]],
         "amount": f"{p['amount']['value']:g}{p['amount']['unit']}" if p.get("amount") else None,
         "asked": p["program"] in call.programs}
        for p in result["programs"]
    ]
    programs.sort(key=lambda p: (not p["asked"], p["outcome"] == "ineligible"))
    upcoming = next_questions(answers, as_of, screened)
    return {"programs": programs, "next_question": _question(upcoming[0]) if upcoming else None,
            "note": say("hotline.screening.note")}


def _question(path: str) -> dict[str, str]:
    text = say("hotline.spoken.region_question") if path == "region" else question_texts().get(path, LABELS.get(path, path))
    return {"path": path, "label": LABELS.get(path, path), "text": text}


# ---- the draft work order ----

def work_order(call: CallSoFar, category: str, programs: list[str],
               screening: dict[str, Any]) -> dict[str, Any]:
    region = call.region
    return {
        "caller_name": call.name,
        "callback_phone": call.phone,
        "id_number": call.id_number or (call.bad_id[0] if call.bad_id else None),
        "id_problem": call.bad_id[1] if call.bad_id and not call.id_number else None,
        "district_check": check_town(call.district, region).to_json() if call.district else None,
        "region": region.name if region else None,
        "region_name": display_name(region.name) if region else None,
        "district": call.district,
        "address": call.address,
        "category": category,
        "category_name": CATEGORY_NAMES[category],
        "programs": programs,
        "program_names": [PROGRAM_NAMES[key] for key in programs],
        "urgency": "urgent" if call.urgent else "normal",
        "urgency_name": URGENCY_NAMES["urgent" if call.urgent else "normal"],
        "summary": summary(call, category, programs, screening),
    }


def summary(call: CallSoFar, category: str, programs: list[str], screening: dict[str, Any]) -> str:
    """The 工单 summary a clerk would write; personal numbers never in it."""
    place = "".join(filter(None, [display_name(call.region.name) if call.region else None, call.district]))
    who = say("hotline.summary.caller", name=call.name or "") + (say("hotline.summary.place", place=place) if place else "")
    topic = "、".join(PROGRAM_NAMES[key] for key in programs) or say("hotline.summary.any_topic")
    lines = [say("hotline.summary.head", who=who, category=CATEGORY_NAMES[category], topic=topic)]
    if call.question:
        lines.append(say("hotline.summary.question", question=redact(call.question).strip()))
    facts = [f"{LABELS[path]}：{describe_value(path, value)}" for path, value in call.answers.items()
             if path in LABELS and path != "region"]
    if facts:
        lines.append(say("hotline.summary.facts", facts="；".join(facts)))
    judged = [f"{p['name']}{p['outcome_name']}" for p in screening.get("programs", [])
              if p["outcome"] in ("eligible", "likely")]
    if judged:
        lines.append(say("hotline.summary.judged", programs="；".join(judged)))
    if call.urgent:
        lines.append(say("hotline.summary.urgent"))
    return redact("".join(lines))[:MAX_SUMMARY]


def masked(work: dict[str, Any]) -> dict[str, Any]:
    """The work order as it may leave the operator's screen: phone and ID number masked."""
    out = dict(work)
    out["callback_phone"] = mask_mobile(work["callback_phone"]) if work.get("callback_phone") else None
    out["id_number"] = mask_id_number(work["id_number"]) if work.get("id_number") else None
    return out
