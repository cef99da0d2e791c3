"""Reading residents' colloquial answers into screening facts ("没有", "三口人", "两千出头").

`parse_answer(path, text)` reads the answer to the question that was asked; it returns
`NOT_UNDERSTOOD` when the text does not answer it. `mentioned_facts(text)` picks up facts a
resident states unasked or corrects ("刚才说错了，家里是四口人"), only where the wording is
unambiguous. Paths are the screening API's field paths (bot.eligibility.facts.FIELD_PATHS).
"""
from __future__ import annotations

import re
from typing import Any, Callable

import cn2an

from bot.numbers import PER_YEAR, NumberMatch, extract_numbers
from bot.regions import normalize_region
from bot.text import normalize_text

NOT_UNDERSTOOD = object()
NONE = "none"  # an explicit "no" for disability and emergency
UNKNOWN = "unknown"  # "不清楚": asked and answered, but the fact stays unknown to the rules

# "不清楚", "不知道": the resident does not know (kept as unknown, never as "no").
_UNKNOWN_RE = re.compile(
    r"不清楚|不知道|不晓得|不了解|说不清|说不好|不确定|没数|搞不清|弄不清|记不清|不太懂|不懂|不好说|跳过"
)
# A question about the question ("啥叫低收入家庭？", "养老金算不算收入").
_ASKS_BACK_RE = re.compile(
    r"啥叫|什么叫|什么是|啥是|是啥|是什么意思|啥意思|什么意思|咋算|怎么算|怎样算|算不算|算啥|包括啥|包括什么|"
    r"包不包括|指的是|指什么|指啥|是指|咋理解|怎么理解|有啥区别|什么区别"
)
# Income that counts as a source of income (a pension is one).
_INCOME_SOURCES_RE = re.compile(r"养老金|退休金|退休工资|工资|租金|房租|补贴|补助|抚恤金|低保金|打零工|打工|上班|挣钱|种地|经营|生意|分红")
_NEGATED_BEFORE = re.compile(r"(?:没有|没|无|不领|不拿|算不上|不算|不是)\S{0,2}$")
_DOUBLE_NEGATIVE_RE = re.compile(r"不算没|不是没|并不是没|也不是没")
_CONTRAST_RE = re.compile(r"但是|但|可是|不过|就是|只是")
_FAMILY_RE = re.compile(r"儿子|女儿|闺女|孩子|子女|娃|老伴|丈夫|老公|媳妇|妻子|爱人|父母|爸|妈|儿女|姑娘|小子")
_CN_COUNT = r"[\d一二两三四五六七八九十]+"

_NEGATIVE_RE = re.compile(r"没有|没|不是|不能|不会|不行|无|否|不算|不用|未|不")
_POSITIVE_RE = re.compile(r"有|是|对|能|可以|嗯|行|会|参加|交了|交过|领了|领过|办过|算|中|没错|当然")
_NO_INCOME_RE = re.compile(r"没有收入|没收入|没有进项|没进项|零收入|一分钱都没|没啥收入|没什么收入|不挣钱|没钱")
_SUPPORTER_UNABLE_RE = re.compile(
    r"顾不上|管不了|管不上|没能力|没有能力|养不起|自己都困难|自己都难|指望不上|不管|不来往|不联系|都没了|去世|过世|没儿没女|孤寡|"
    r"走了|不在了|没了|靠不上|顾不了|自身难保|也困难|也难|也穷|没工作|残疾|有病|瘫"
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
    if _DOUBLE_NEGATIVE_RE.search(text):
        return True
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


def _count(word: str) -> int | None:
    try:
        return int(cn2an.cn2an(word, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


def parse_household_size(text: str) -> Any:
    if re.search(r"(就|只有|只)(我|俺|咱)(一个|自己)|^(我|俺)?一个人?$|一个人过|自己一个人|自个儿|独居|光棍|孤身|一个人住|就我自己|就俺自己", text):
        return 1
    # The number the answer starts with ("四口，俺两口子俩娃"; "三个人"), before any other.
    leading = re.match(rf"^(?:俺家|我家|咱家|家里|一共|总共|全家|就|有)*({_CN_COUNT})\s*(?:口|个|人)(?!子)", text)
    if leading and (size := _count(leading.group(1))) and 1 <= size <= 30:
        return size
    if re.search(r"老两口|两口子|俺俩|我俩|我们俩|我们两个|夫妻俩|娘俩|母子俩|父子俩|爷俩|娘儿俩", text) and not _numbers(
        text, "household_size", "number"
    ):
        return 2
    return _first_number(text, ("household_size",), 1, 30)


# "几百", "几千": a rough amount without a figure (the lower end of the usual range).
_FEW_RE = re.compile(r"(?<![一二两三四五六七八九十\d])几(百|千|万)")
_FEW_VALUES = {"百": 300, "千": 3000, "万": 30000}


def _money(text: str, per_year: bool) -> Any:
    """The first amount; a yearly one ("一年一万") as a monthly figure, or the other way round."""
    if _NO_INCOME_RE.search(text) or text.strip() in ("没有", "没", "无", "0", "零", "没有钱", "一分没有"):
        return 0
    few = _FEW_RE.search(text)
    if few and not _numbers(text, "money", "number"):
        text = text[: few.start()] + str(_FEW_VALUES[few.group(1)]) + "元" + text[few.end():]
    for match in _numbers(text, "money", "number"):
        if not 0 <= match.value <= 10_000_000:
            continue
        yearly = match.period == PER_YEAR or (match.period is None and re.search(r"一年|每年|年收入|全年", text))
        monthly = match.period == "month" or (match.period is None and re.search(r"一个月|每个月|每月|月收入|一月", text))
        if per_year and monthly and not yearly:
            return match.value * 12
        if not per_year and yearly and not monthly:
            return round(match.value / 12)
        return match.value
    return NOT_UNDERSTOOD


def parse_money(text: str) -> Any:
    """A monthly amount (the household's income)."""
    return _money(text, per_year=False)


def parse_yearly_money(text: str) -> Any:
    """A yearly amount (what the applicant paid for medical care in a year)."""
    return _money(text, per_year=True)


def parse_age(text: str) -> Any:
    return _first_number(text, ("age",), 0, 120)


_ALWAYS_EARNING_RE = re.compile(r"一直(在|有|干|上班)|没断过|没断|没停过|都有收入|有工作|在上班|在干活|还在干")


def parse_months(text: str) -> Any:
    if re.search(r"半年", text):
        return 6
    if text.strip() in ("没有", "没", "无", "不是", "有收入") or _has_income_source(text) or _ALWAYS_EARNING_RE.search(text):
        return 0
    return _first_number(text, ("months",), 0, 240)


def parse_disability(text: str) -> Any:
    kind = next((k for k, pattern in DISABILITY_KINDS if pattern.search(text)), None)
    grades = _numbers(text, "disability_grade", "number")
    grade = next((int(m.value) for m in grades if 1 <= m.value <= 4), None)
    if re.search(r"没(有)?(办|领|评)?(过)?(残疾)?证|不残疾|没残疾|没有残疾", text):
        return NONE
    if kind is None and grade is None:
        if re.search(r"没有|没|不残疾|健康|好好的|无", text):
            return NONE
        return NOT_UNDERSTOOD
    if kind is None or grade is None:
        return NOT_UNDERSTOOD
    return f"{kind}:{grade}"


_SERIOUS_ILLNESS_RE = re.compile(r"癌|尿毒症|透析|白血病|肿瘤|瘫痪|偏瘫|中风|脑梗|脑出血|心脏病|重病|大病|器官移植|精神病|植物人")


def parse_seriously_ill(text: str) -> Any:
    for match in _SERIOUS_ILLNESS_RE.finditer(text):
        if not _NEGATED_BEFORE.search(text[: match.start()]):
            return True  # "尿毒症，每周透析"
    return _bool(text)


def parse_supporter(text: str) -> Any:
    # An explanation: what follows "但", "可是" decides ("有个儿子但他顾不上").
    parts = _CONTRAST_RE.split(text, maxsplit=1)
    if _SUPPORTER_UNABLE_RE.search(parts[-1]) or (len(parts) == 1 and _SUPPORTER_UNABLE_RE.search(text)):
        return False
    if len(parts) > 1 and _FAMILY_RE.search(parts[0]):
        answer = _bool(parts[-1])
        return True if answer is NOT_UNDERSTOOD else answer
    answer = _bool(text)
    if answer is NOT_UNDERSTOOD and _FAMILY_RE.search(text):
        return True  # "儿子在城里上班"
    return answer


def _has_income_source(text: str) -> bool:
    """A source named and not denied ("一直有养老金", "除了那点养老金啥也没有")."""
    for match in _INCOME_SOURCES_RE.finditer(text):
        if not _NEGATED_BEFORE.search(text[: match.start()]):
            return True
    return False


def parse_income_source(text: str) -> Any:
    if _has_income_source(text) or _DOUBLE_NEGATIVE_RE.search(text):
        return True
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


NUMERIC_PATHS = frozenset({
    "household.size", "household.monthly_income", "applicant.age", "applicant.unemployed_months",
    "applicant.medical_out_of_pocket_yearly",
})
PARSERS: dict[str, Callable[[str], Any]] = {
    "region": parse_region,
    "residence": parse_residence,
    "household.size": parse_household_size,
    "household.monthly_income": parse_money,
    "household.on_dibao": _bool,
    "household.low_income_family": _bool,
    "applicant.age": parse_age,
    "applicant.disability": parse_disability,
    "applicant.seriously_ill": parse_seriously_ill,
    "applicant.able_to_work": _bool,
    "applicant.has_income_source": parse_income_source,
    "applicant.has_able_supporter": parse_supporter,
    "applicant.unemployed_months": parse_months,
    "applicant.unemployment_insured": _bool,
    "applicant.is_migrant_worker": _bool,
    "applicant.is_unemployed_graduate": _bool,
    "applicant.medical_out_of_pocket_yearly": parse_yearly_money,
    "applicant.emergency": parse_emergency,
}


def parse_answer(path: str, text: str) -> Any:
    return PARSERS[path](normalize_text(text))


def asks_back(text: str) -> bool:
    """A question about the question that was asked ("啥叫低收入家庭？")."""
    return bool(_ASKS_BACK_RE.search(normalize_text(text)))


def says_unknown(text: str) -> bool:
    return bool(_UNKNOWN_RE.search(normalize_text(text)))


def read_answer(path: str, text: str) -> Any:
    """The answer to the question asked in the chat: a value, UNKNOWN ("不清楚"), or NOT_UNDERSTOOD.

    A figure or a kind named beside "不清楚" wins ("具体不清楚，大概两千"); a yes/no question
    answered "不知道" is unknown, never "no"."""
    text = normalize_text(text)
    if path == "region":
        return parse_answer(path, text)  # never "unknown": the rules need a place
    if says_unknown(text):
        if path in NUMERIC_PATHS or path in ("applicant.disability", "applicant.emergency", "residence", "region"):
            value = parse_answer(path, _UNKNOWN_RE.sub(" ", text))
            if value is not NOT_UNDERSTOOD and value not in (0, NONE):
                return value
        return UNKNOWN
    return parse_answer(path, text)


# Commands that leave a form, as residents say them; the NLU's intent alone is not enough inside
# a form ("七十二了" is not "stop", an address on 测试路 is not "start the test").
_LEAVE_RE = re.compile(
    r"(?:不|别)(?:测|问|答|填|弄|做|申请|登记|办)了|(?:先|暂时)不(?:测|答|填|弄|做|申请|登记|办)|暂停|先停|停一下|停下|"
    r"退出|取消|中断|以后再|回头再|等会再|等一会再|下次再|先到这|不想(?:答|继续|弄|测|填|申请)|^结束|太麻烦|"
    r"转人工|人工|真人|工作人员|客服|找个人|"
    r"(?:我|俺|咱)?(?:要|想|准备)(?:申请|登记|办理|办)|直接申请|申请吧|去申请|帮我申请|登记吧|"
    r"先(?:测|自测|测测|看看)|测一下|测测|自测|能不能申请|够不够条件"
)
# An explicit request to be screened now (not a question about what one may get).
_SCREEN_NOW_RE = re.compile(r"^/|测|评估|继续|接着|开始|看看|帮我看|帮俺看|给我看|给俺看|帮我查|帮我算|帮俺算|帮忙看")


def leaves(text: str) -> bool:
    """The message asks to stop, for a person, to apply, or to be screened first."""
    return bool(_LEAVE_RE.search(normalize_text(text)))


def wants_screening_now(text: str) -> bool:
    return bool(_SCREEN_NOW_RE.search(normalize_text(text)))


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
