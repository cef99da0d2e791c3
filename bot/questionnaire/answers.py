"""Reading residents' colloquial answers into screening facts ("没有", "三口人", "两千出头").

`parse_answer(path, text)` reads the answer to the question that was asked; it returns
`NOT_UNDERSTOOD` when the text does not answer it. `mentioned_facts(text)` picks up facts a
resident states unasked or corrects ("刚才说错了，家里是四口人"), only where the wording is
unambiguous. Paths are the screening API's field paths (bot.eligibility.facts.FIELD_PATHS).
"""
from __future__ import annotations

import re
from typing import Any, Callable

from bot.numbers import PER_YEAR, NumberMatch, extract_numbers
from bot.regions import normalize_region
from bot.text import normalize_text

NOT_UNDERSTOOD = object()
NONE = "none"  # an explicit "no" for disability and emergency

_NEGATIVE_RE = re.compile(r"没有|没|不是|不能|不会|不行|无|否|不算|不用|未|不")
_POSITIVE_RE = re.compile(r"有|是|对|能|可以|嗯|行|会|参加了|交了|领了|算")
_NO_INCOME_RE = re.compile(r"没有收入|没收入|没有进项|没进项|零收入|一分钱都没|没啥收入|没什么收入|不挣钱|没钱")
_SUPPORTER_UNABLE_RE = re.compile(
    r"顾不上|管不了|管不上|没能力|没有能力|养不起|自己都困难|自己都难|指望不上|不管|不来往|不联系|都没了|去世|过世|没儿没女|孤寡"
)
_URBAN_RE = re.compile(r"城市|城镇|城里|县城|市里|市区|镇上|小区|城区|街道")
_RURAL_RE = re.compile(r"农村|村里|乡下|村上|农民|种地|村子|乡里")
DISABILITY_KINDS = (
    ("multiple", re.compile(r"多重")),
    ("intellectual", re.compile(r"智力|智障|脑瘫")),
    ("mental", re.compile(r"精神")),
    ("visual", re.compile(r"视力|眼睛|失明|盲")),
    ("hearing", re.compile(r"听力|耳朵|耳聋|聋")),
    ("speech", re.compile(r"言语|说话|哑")),
    ("physical", re.compile(r"肢体|腿|胳膊|手|脚|截肢|瘫")),
)
EMERGENCIES = (
    ("fire", re.compile(r"火灾|着火|失火|烧了|火")),
    ("traffic_accident", re.compile(r"车祸|交通事故|撞")),
    ("sudden_illness", re.compile(r"突发|急病|重病|住院|抢救|手术|癌")),
    ("disaster", re.compile(r"灾|洪水|地震|冰雹|泥石流|塌了|倒塌")),
)


def _numbers(text: str, *kinds: str) -> list[NumberMatch]:
    return [m for m in extract_numbers(text) if m.kind in kinds]


def _bool(text: str) -> Any:
    if _NEGATIVE_RE.search(text):
        return False
    if _POSITIVE_RE.search(text):
        return True
    return NOT_UNDERSTOOD


def _first_number(text: str, kinds: tuple[str, ...], low: float, high: float) -> Any:
    for match in _numbers(text, *kinds, "number"):
        if low <= match.value <= high:
            return match.value
    return NOT_UNDERSTOOD


def parse_region(text: str) -> Any:
    region = normalize_region(text)
    return region.name if region else NOT_UNDERSTOOD


def parse_residence(text: str) -> Any:
    urban, rural = bool(_URBAN_RE.search(text)), bool(_RURAL_RE.search(text))
    if urban != rural:
        return "urban" if urban else "rural"
    return NOT_UNDERSTOOD


def parse_household_size(text: str) -> Any:
    if re.search(r"就我一个|一个人过|自己一个人|独居|光棍", text):
        return 1
    return _first_number(text, ("household_size",), 1, 30)


def parse_money(text: str) -> Any:
    if _NO_INCOME_RE.search(text) or text.strip() in ("没有", "没", "无", "0", "零"):
        return 0
    return _first_number(text, ("money",), 0, 10_000_000)


def parse_age(text: str) -> Any:
    return _first_number(text, ("age",), 0, 120)


def parse_months(text: str) -> Any:
    if re.search(r"半年", text):
        return 6
    if text.strip() in ("没有", "没", "无", "不是", "有收入"):
        return 0
    return _first_number(text, ("months",), 0, 240)


def parse_disability(text: str) -> Any:
    kind = next((k for k, pattern in DISABILITY_KINDS if pattern.search(text)), None)
    grades = _numbers(text, "disability_grade", "number")
    grade = next((int(m.value) for m in grades if 1 <= m.value <= 4), None)
    if kind is None and grade is None:
        if re.search(r"没有|没|不残疾|健康|好好的|无", text):
            return NONE
        return NOT_UNDERSTOOD
    if kind is None or grade is None:
        return NOT_UNDERSTOOD
    return f"{kind}:{grade}"


def parse_supporter(text: str) -> Any:
    if _SUPPORTER_UNABLE_RE.search(text):
        return False
    return _bool(text)


def parse_income_source(text: str) -> Any:
    if _NO_INCOME_RE.search(text):
        return False
    return _bool(text)


def parse_emergency(text: str) -> Any:
    kind = next((k for k, pattern in EMERGENCIES if pattern.search(text)), None)
    if kind:
        return kind
    if re.search(r"没有|没|无|都挺好|还好", text):
        return NONE
    if re.search(r"有|出事|遇到", text):
        return "other"
    return NOT_UNDERSTOOD


PARSERS: dict[str, Callable[[str], Any]] = {
    "region": parse_region,
    "residence": parse_residence,
    "household.size": parse_household_size,
    "household.monthly_income": parse_money,
    "household.on_dibao": _bool,
    "household.low_income_family": _bool,
    "applicant.age": parse_age,
    "applicant.disability": parse_disability,
    "applicant.seriously_ill": _bool,
    "applicant.able_to_work": _bool,
    "applicant.has_income_source": parse_income_source,
    "applicant.has_able_supporter": parse_supporter,
    "applicant.unemployed_months": parse_months,
    "applicant.unemployment_insured": _bool,
    "applicant.is_migrant_worker": _bool,
    "applicant.is_unemployed_graduate": _bool,
    "applicant.medical_out_of_pocket_yearly": parse_money,
    "applicant.emergency": parse_emergency,
}


def parse_answer(path: str, text: str) -> Any:
    return PARSERS[path](normalize_text(text))


def mentioned_facts(text: str) -> dict[str, Any]:
    """Facts stated in so many words, whatever was asked: for corrections and volunteered facts."""
    text = normalize_text(text)
    facts: dict[str, Any] = {}
    region = normalize_region(text)
    if region:
        facts["region"] = region.name
    for match in extract_numbers(text):
        if match.kind == "household_size":
            facts["household.size"] = match.value
        elif match.kind == "age" and 0 <= match.value <= 120:
            facts["applicant.age"] = match.value
        elif match.kind == "money" and re.search(r"收入|挣|工资|进项|一个月|每月|月", text):
            # "一年也就收入一万来块" is a yearly figure: the fact is monthly.
            facts["household.monthly_income"] = (
                round(match.value / 12) if match.period == PER_YEAR else match.value
            )
        elif match.kind == "months" and re.search(r"没收入|没有收入|没活|失业|没工作", text):
            facts["applicant.unemployed_months"] = match.value
    disability = parse_disability(text)
    if disability not in (NOT_UNDERSTOOD, NONE) or (disability == NONE and "残疾" in text):
        facts["applicant.disability"] = disability
    if re.search(r"住在|家在|是.{0,2}(农村|城里|城市|城镇)|^(在)?(农村|城里|城市|城镇|县城)(的|人)?$", text):
        residence = parse_residence(text)
        if residence is not NOT_UNDERSTOOD:
            facts["residence"] = residence
    return facts
