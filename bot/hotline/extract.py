"""What one utterance of a 12345 call says: facts, contact details, topic.

`hear(text, asked)` reads a caller's utterance as speech-to-text delivers it (homophones, digits
read out, a correction in mid-sentence: "家里三口人 不对不对 是四口人"). `asked` are the fields the
operator's last question was about ("您多大年纪？" → applicant.age), so that a bare answer
("五十二") can be placed. `asked_fields(text)` reads an operator's utterance for them.

The screening facts use the field paths of the screening API (bot.eligibility.facts); colloquial
answers are read by bot.questionnaire.answers, which the chat questionnaire uses too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.eligibility.engine import PROGRAMS
from bot.core.errors import InvalidField
from bot.core.privacy import validate_id_number, validate_mobile
from bot.knowledge.service import correct_homophones
from bot.numbers import NumberMatch, extract_numbers
from bot.questionnaire.answers import NOT_UNDERSTOOD, mentioned_facts, parse_answer
from bot.questionnaire.application import DISTRICT_RE
from bot.regions import Region, find_regions
from bot.settings import get_settings
from bot.hotline.spoken import address_numerals, read_out_digits, tail_correction

PROGRAM_KEYS = tuple(key for key, _name, _rule in PROGRAMS)
CONTACT_FIELDS = ("caller_name", "callback_phone", "address")
LEXICON_KEYS = {"programs", "search_words", "narrower", "statuses", "categories", "urgent", "corrections",
                "operator_questions", "question_cues", "needs"}
CATEGORY_ORDER = ("status", "complaint", "apply")

_MOBILE_RE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9Xx])")
_ID_RE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_HAN = r"\u4e00-\u9fa5"
_NAME_END = r"(?=$|[\s，,。！？!?、；;：:]|电话|手机|号码|联系|住在|家住|住|今年|身份证|是|的)"
_NAME_CUE_RE = re.compile(rf"(?:我叫|我的名字(?:是|叫)|名字(?:是|叫)|姓名(?:是|叫)?)\s*([{_HAN}·]{{2,6}}?){_NAME_END}")
_SURNAME_THEN_NAME_RE = re.compile(rf"(?:免贵)?姓([{_HAN}]{{1,2}})[\s，,]*(?:叫)?([{_HAN}]{{2,4}}?){_NAME_END}")
_NICKNAME_RE = re.compile(rf"叫我[小老]([{_HAN}])[\s，,]*(?:就行|就可以|就好)?[\s，,]*([{_HAN}]{{2,4}}?){_NAME_END}")
_I_AM_RE = re.compile(rf"我是([{_HAN}]{{2,4}}?){_NAME_END}")
_BARE_NAME_RE = re.compile(rf"^\s*(?:我叫|叫|是)?([{_HAN}]{{2,4}})(?=$|[\s，,。])")
_NOT_IN_NAMES = set("的了在是人村镇乡县市区省街道里上下个们家啥么吗呢吧这那哪你我他她它")
_RESTATED_RE = re.compile(rf"[\s，,]*(?:是|叫|应该是)?\s*([{_HAN}]{{2,4}}?){_NAME_END}")
_DISTRICT_NOT = re.compile(r"^(?:城镇|乡镇|村镇|城乡|集镇|市镇|本镇|本乡|老乡|家乡|下乡|回乡)$")
_ADDRESS_PART_RE = re.compile(r"村|组|社区|小区|号|楼|单元|室|巷|胡同|路|街|队|院|屯|庄|排|栋|幢")
# A piece of an address ends with one of its units or a number ("3组12号", "2单元301").
_ADDRESS_PIECE_RE = re.compile(
    r"(?:村|组|社区|小区|号|楼|单元|室|层|巷|胡同|路|街|队|院|屯|庄|排|栋|幢|[0-9零〇一二三四五六七八九十])$")
_NOT_ADDRESS_RE = re.compile(r"电话|手机|号码|编号|我|你|他|她|了|吗|名字|身份证|多少|怎么|低保|救助|收入|岁|口人")
_SEPARATORS_RE = re.compile(r"[\s，,。！？!?；;：:、]+")
_PERSON_BEFORE_AGE_RE = re.compile(
    r"(?:老人家?|老太太|老爷子|老汉|老伴儿?|他|她|我|我妈|我爸|母亲|父亲|婆婆|公公|孩子|儿子|闺女|女儿|本人)"
    r"(?:今年|已经|都)?$"
)
STATED = (
    ("household.on_dibao", True,
     re.compile(r"(?:是|属于|都是|我们|我家|家里|俺家|咱家).{0,6}?低保户(?!吗|么|嘛|不)|吃着低保|领着低保|享受着?低保")),
    ("household.low_income_family", True, re.compile(r"低保边缘|低收入家庭|低收入户|边缘易致贫|边缘户")),
    ("applicant.able_to_work", False,
     re.compile(r"没有?劳动能力|丧失劳动能力|干不了活|不能干活|干不动活|没法干活")),
    ("applicant.has_able_supporter", False,
     re.compile(r"没儿没女|无儿无女|没有子女|孤寡|没有?人管|没人养|没人照顾|都过世|都去世|都不在了|无依无靠"
                r"|(?:儿女|子女|孩子|儿子|闺女|女儿)(?:们)?都?(?:不管|管不了|不来往|不联系|顾不上)")),
    ("applicant.is_migrant_worker", True,
     re.compile(r"农民工|外出务工|外地来的|在外打工|出去打工|在.{1,8}?打工")),
    ("applicant.unemployment_insured", False,
     re.compile(r"(?:没|未)(?:交|参加|上|买|有)失业保险|失业保险.{0,3}(?:没|未)(?:交|参加|上|买)")),
    ("applicant.is_unemployed_graduate", True,
     re.compile(r"毕业.{0,12}?(?:没|未)(?:有)?(?:找到|找着)?(?:工作|就业)|(?:没|未)(?:有)?(?:就业|找到工作)的?(?:大学生|毕业生)")),
    ("applicant.seriously_ill", True, re.compile(r"癌|尿毒症|白血病|重病|大病|脑溢血|脑出血")),
)
EMERGENCY_STATED = (
    ("fire", re.compile(r"着火|失火|火灾|烧了|烧没了|烧毁")),
    ("traffic_accident", re.compile(r"车祸|交通事故|被车撞|撞伤")),
    ("sudden_illness", re.compile(
        r"突发|突然(?:生病|病倒|晕倒|倒下)|急病|脑溢血|脑出血|脑梗|心梗|中风|抢救|急诊|病危"
        r"|查出.{0,4}(?:癌|白血病|尿毒症)")),
    ("disaster", re.compile(r"洪水|地震|泥石流|冰雹|房子塌|房屋倒塌|水灾|受灾|塌了")),
)
_RURAL_RE = re.compile(r"农村(?:的|人|户口)|村里的|农业户口|在农村(?:住|生活)")
_URBAN_RE = re.compile(r"城里的|城市的|城镇的|城里人|城市户口|非农户口|住在城里|在城里住")
_MEDICAL_RE = re.compile(r"住院|看病|手术|医药费|治病|医疗|药费")
_OUT_OF_POCKET_RE = re.compile(r"掏|自付|自费|花了|花费")
_INCOME_RE = re.compile(r"收入|挣|工资|进项|退休金|养老金")


@dataclass(frozen=True)
class Lexicon:
    programs: tuple[tuple[str, re.Pattern[str]], ...]
    search_words: dict[str, str]
    narrower: dict[str, str]
    statuses: re.Pattern[str]
    categories: tuple[tuple[str, re.Pattern[str]], ...]
    urgent: re.Pattern[str]
    corrections: re.Pattern[str]
    operator_questions: tuple[tuple[str, re.Pattern[str]], ...]
    question_cues: re.Pattern[str]
    surnames: frozenset[str]
    needs: dict[str, str]  # an emergency kind → the documents' words for the measures that meet it


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def lexicon_from_dict(data: dict[str, Any], surnames: frozenset[str]) -> Lexicon:
    unknown = set(data) - LEXICON_KEYS
    if unknown:
        raise ValueError(f"hotline lexicon: unknown keys {sorted(unknown)}")
    programs = data["programs"]
    if set(programs) - set(PROGRAM_KEYS):
        raise ValueError(f"hotline lexicon: unknown programs {sorted(set(programs) - set(PROGRAM_KEYS))}")
    categories = data["categories"]
    return Lexicon(
        programs=tuple((key, _any(words)) for key, words in programs.items()),
        search_words=dict(data.get("search_words") or {}),
        narrower=dict(data.get("narrower") or {}),
        statuses=_any(data["statuses"]),
        categories=tuple((key, _any(categories[key])) for key in CATEGORY_ORDER),
        urgent=_any(data["urgent"]),
        corrections=_any(data["corrections"]),
        operator_questions=tuple((path, re.compile(p)) for path, p in data["operator_questions"].items()),
        question_cues=_any(data["question_cues"]),
        surnames=surnames,
        needs=dict(data.get("needs") or {}),
    )


def load_surnames(path: Path) -> frozenset[str]:
    names: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split()
        names.update(parts if len(parts) > 1 else list(line.strip()))
    return frozenset(names)


@lru_cache(maxsize=2)
def load_lexicon(data_dir: Path | None = None) -> Lexicon:
    directory = (data_dir or get_settings().data_dir) / "hotline"
    with (directory / "lexicon.yml").open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return lexicon_from_dict(data, load_surnames(directory / "surnames.txt"))


@dataclass
class Heard:
    """What one caller utterance says. Contact details are None when not said."""

    facts: dict[str, Any] = field(default_factory=dict)
    corrected: tuple[tuple[str, Any, Any], ...] = ()  # (path, said first, said instead) in this utterance
    region: Region | None = None
    name: str | None = None
    name_said_first: str | None = None  # "我叫李志强 不对 是李志刚": the name before the correction
    phone: str | None = None
    phone_tail: str | None = None  # "最后四位是1243": corrects the end of the phone number
    id_number: str | None = None
    bad_id: tuple[str, str] | None = None  # (an 18-character number heard, why it is no valid ID)
    district: str | None = None
    address: str | None = None
    programs: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    urgent: bool = False
    asks: bool = False  # asks something about policy
    query: str = ""  # the words to search the policies with (numbers and names taken out)


def asked_fields(text: str, lexicon: Lexicon | None = None) -> tuple[str, ...]:
    """The fields an operator's utterance asks the caller about."""
    lexicon = lexicon or load_lexicon()
    return tuple(path for path, pattern in lexicon.operator_questions if pattern.search(text))


def clean(text: str) -> str:
    """Homophones corrected (底保 → 低保) and digits read out written as numbers."""
    return read_out_digits(correct_homophones(text))


def hear(text: str, asked: tuple[str, ...] = (), *, lexicon: Lexicon | None = None) -> Heard:
    lexicon = lexicon or load_lexicon()
    text = clean(text)
    heard = Heard()
    rest = _take_numbers(text, heard)
    rest = _take_name(rest, heard, asked, lexicon)
    segments = _segments(rest, lexicon)
    heard.facts, heard.corrected = _facts(segments, asked)
    heard.region = next((region for region in map(_region, reversed(segments)) if region), None)
    heard.district = find_district_name(rest)
    heard.address = find_address(rest, heard.district, "address" in asked)
    heard.programs = programs_in_call(rest, lexicon)
    heard.categories = tuple(key for key, pattern in lexicon.categories if pattern.search(rest))
    heard.urgent = bool(lexicon.urgent.search(rest)) or heard.facts.get("applicant.emergency") not in (None, "none")
    heard.asks = bool(lexicon.question_cues.search(rest))
    heard.query = rest
    return heard


# ---- phone and ID numbers ----

def _take_numbers(text: str, heard: Heard) -> str:
    """Reads the ID and mobile numbers and returns the text without them."""
    for match in _ID_RE.finditer(text):
        try:
            heard.id_number = validate_id_number(match.group(0))
        except InvalidField as fault:
            heard.bad_id = (match.group(0).upper(), fault.message)
    without_id = _ID_RE.sub(" ", text)
    for match in _MOBILE_RE.finditer(without_id):
        try:
            heard.phone = validate_mobile(match.group(0))
        except InvalidField:
            continue
    heard.phone_tail = tail_correction(without_id)
    rest = _MOBILE_RE.sub(" ", without_id)
    if heard.phone_tail:
        rest = rest.replace(heard.phone_tail, " ")
    return rest


# ---- the caller's name ----

def _plausible_name(name: str, lexicon: Lexicon, *, needs_surname: bool) -> bool:
    if not 2 <= len(name) <= 4 or set(name) & _NOT_IN_NAMES:
        return False
    if not needs_surname:
        return True
    return name[:1] in lexicon.surnames or name[:2] in lexicon.surnames


def _take_name(text: str, heard: Heard, asked: tuple[str, ...], lexicon: Lexicon) -> str:
    """Finds the caller's name (the last one said, after any correction) and removes it."""
    found: list[tuple[int, int, str]] = []
    for match in _NAME_CUE_RE.finditer(text):
        if _plausible_name(match.group(1), lexicon, needs_surname=False):
            found.append((match.start(1), match.end(1), match.group(1)))
    for match in _SURNAME_THEN_NAME_RE.finditer(text):
        surname, name = match.group(1), match.group(2)
        if name.startswith(surname) and _plausible_name(name, lexicon, needs_surname=False):
            found.append((match.start(2), match.end(2), name))
    for match in _NICKNAME_RE.finditer(text):
        surname, name = match.group(1), match.group(2)
        if name.startswith(surname) and _plausible_name(name, lexicon, needs_surname=False):
            found.append((match.start(2), match.end(2), name))
    for match in _I_AM_RE.finditer(text):
        if _plausible_name(match.group(1), lexicon, needs_surname=True):
            found.append((match.start(1), match.end(1), match.group(1)))
    if not found and "caller_name" in asked:
        bare = _BARE_NAME_RE.match(text)
        if bare and _plausible_name(bare.group(1), lexicon, needs_surname=True):
            found.append((bare.start(1), bare.end(1), bare.group(1)))
    if not found:
        return text
    found.sort()
    start, end, name = found[-1]
    restated = _restated_after(text[end:], lexicon)
    if restated is not None:
        heard.name_said_first = name
        offset, restated_end, name = end + restated[0], end + restated[1], restated[2]
        text = text[:offset] + " " + text[restated_end:]
    heard.name = name
    return text[:start] + " " + text[end:]


def _restated_after(text: str, lexicon: Lexicon) -> tuple[int, int, str] | None:
    """"我叫李娜 不对 是李娜娜": the name given again after a correction cue."""
    cue = lexicon.corrections.search(text)
    if cue is None or cue.start() > 4:
        return None
    match = _RESTATED_RE.match(text, cue.end())
    if match and _plausible_name(match.group(1), lexicon, needs_surname=True):
        return match.start(1), match.end(1), match.group(1)
    return None


# ---- screening facts ----

def _segments(text: str, lexicon: Lexicon) -> list[str]:
    """The utterance split where the caller corrects themself; later segments win."""
    pieces, last = [], 0
    for cue in lexicon.corrections.finditer(text):
        pieces.append(text[last:cue.start()])
        last = cue.end()
    pieces.append(text[last:])
    return [piece for piece in pieces if piece.strip()]


def _facts(segments: list[str], asked: tuple[str, ...]) -> tuple[dict[str, Any], tuple[tuple[str, Any, Any], ...]]:
    facts: dict[str, Any] = {}
    corrected: list[tuple[str, Any, Any]] = []
    previous: dict[str, Any] = {}
    for index, segment in enumerate(segments):
        found = {**_answers_to(segment, asked), **segment_facts(segment)}
        if index:
            # "三千 哦说错了 是两千五": a bare number after a correction replaces the same fact.
            for path in previous:
                if path not in found and path in NUMERIC_PATHS:
                    value = _bare_number(segment, path)
                    if value is not None:
                        found[path] = value
        corrected += [(path, facts[path], value) for path, value in found.items()
                      if path in facts and facts[path] != value]
        facts.update(found)
        previous = found or previous
    return facts, tuple(corrected)


NUMERIC_PATHS = {"household.size", "household.monthly_income", "applicant.age",
                 "applicant.unemployed_months", "applicant.medical_out_of_pocket_yearly"}


def _bare_number(segment: str, path: str) -> Any:
    """The value of the one plain number in the segment, read as `path`; None otherwise."""
    numbers = [m for m in extract_numbers(segment) if m.kind != "year"]
    if len(numbers) != 1 or numbers[0].kind not in ("number", _KIND_OF[path]):
        return None
    value = parse_answer(path, numbers[0].text)
    return None if value is NOT_UNDERSTOOD else value


_KIND_OF = {"household.size": "household_size", "household.monthly_income": "money",
            "applicant.age": "age", "applicant.unemployed_months": "months",
            "applicant.medical_out_of_pocket_yearly": "money"}


def _answers_to(segment: str, asked: tuple[str, ...]) -> dict[str, Any]:
    """A short answer to the operator's question ("五十二" to "您多大年纪？")."""
    found: dict[str, Any] = {}
    for path in asked:
        if path in NUMERIC_PATHS:
            value = _bare_number(segment, path)
        elif path in ("residence", "applicant.disability", "applicant.has_able_supporter",
                      "applicant.able_to_work", "household.on_dibao"):
            value = parse_answer(path, segment)
        else:
            continue
        if value is not None and value is not NOT_UNDERSTOOD:
            found[path] = value
    return found


def segment_facts(text: str) -> dict[str, Any]:
    """Facts a piece of an utterance states in so many words."""
    facts = {path: value for path, value in mentioned_facts(text, relatives_apart=False).items() if path != "region"}
    if "applicant.disability" in facts and "残" not in text:
        del facts["applicant.disability"]  # "做了手术" is not a limb disability
    numbers = extract_numbers(text)
    if "applicant.age" not in facts:
        age = _age_of_person(text, numbers)
        if age is not None:
            facts["applicant.age"] = age
    for match in numbers:
        if match.kind == "money" and _MEDICAL_RE.search(text) and _OUT_OF_POCKET_RE.search(text) \
                and not _INCOME_RE.search(text):
            facts["applicant.medical_out_of_pocket_yearly"] = match.value
            facts.pop("household.monthly_income", None)
    for path, value, pattern in STATED:
        if pattern.search(text):
            facts[path] = value
    emergency = next((kind for kind, pattern in EMERGENCY_STATED if pattern.search(text)), None)
    if emergency:
        facts["applicant.emergency"] = emergency
    if "residence" not in facts:
        if _RURAL_RE.search(text):
            facts["residence"] = "rural"
        elif _URBAN_RE.search(text):
            facts["residence"] = "urban"
    return facts


def _age_of_person(text: str, numbers: list[NumberMatch]) -> int | None:
    """"老人七十八了", "她七十二了": a plain number after a person, then 了 or 岁."""
    for match in numbers:
        if match.kind == "number" and 16 <= match.value <= 120 \
                and _PERSON_BEFORE_AGE_RE.search(text[:match.start]) \
                and re.match(r"(?:周岁|岁)?了", text[match.end:]):
            return int(match.value)
    return None


# ---- where the caller lives ----

def _region(text: str) -> Region | None:
    """The place named: a covered one first ("甘肃人在运城打工"), the most specific."""
    named = [match.region for match in find_regions(text)]
    covered = [region for region in named if region.covered]
    return max(covered or named, key=lambda region: len(region.name)) if named else None


def find_district_name(text: str) -> str | None:
    """The 乡镇/街道 named ("解州镇", "北城街道"); not "镇上", "乡下" or "城乡"."""
    found = None
    for piece in _SEPARATORS_RE.split(text):
        for match in DISTRICT_RE.finditer(piece):
            if piece[match.end():match.end() + 1] in ("上", "下", "里"):
                continue
            name = _strip_place_prefix(match.group(0))
            if len(name) >= 2 and not _DISTRICT_NOT.match(name):
                found = name
    return found


def _strip_place_prefix(text: str) -> str:
    """"我是运城盐湖区解州镇" → "解州镇": what comes after the place names, "住在", "是"…"""
    for match in find_regions(text):
        text = text[:match.start] + "|" * (match.end - match.start) + text[match.end:]
    return re.sub(r"^.*(?:\||省|自治区|市|区|县|旗|住在|住|在|是|属于|那个|就是)", "", text)


_ADDRESS_CUE_RE = re.compile(r"^.*(?:住在|家住|地址是?|住址是?)")


def find_address(text: str, district: str | None, asked: bool) -> str | None:
    """The address as a clerk writes it: the 乡镇/街道 and what follows it (村, 组, 号, 小区,
    楼, 单元…), or what follows "住在"/"地址"; None when it names nothing finer than the 乡镇."""
    pieces = [piece for piece in _SEPARATORS_RE.split(text) if piece]
    starts = [index for index, piece in enumerate(pieces)
              if (district and district in piece) or _ADDRESS_CUE_RE.match(piece)]
    if not starts and not (asked and pieces):
        return None
    first = starts[-1] if starts else 0
    head = pieces[first]
    if district and district in head:
        head = head[head.index(district):]
    else:
        head = _strip_place_prefix(_ADDRESS_CUE_RE.sub("", head))
    parts = [head]
    head = re.sub(r"的$", "", head)
    for piece in pieces[first + 1:]:
        if _NOT_ADDRESS_RE.search(piece) or not _ADDRESS_PIECE_RE.search(piece):
            break
        parts.append(piece)
    address = address_numerals("".join(parts))
    detail = address[len(district):] if district and address.startswith(district) else address
    if _NOT_ADDRESS_RE.search(detail) or not _ADDRESS_PIECE_RE.search(detail):
        return None
    return address if 4 <= len(address) <= 200 else None


# ---- topic ----

def programs_in_call(text: str, lexicon: Lexicon) -> tuple[str, ...]:
    """The programs the words name, narrower ones instead of the broader ones they belong to."""
    rest = lexicon.statuses.sub(" ", text)
    found: list[str] = []
    for key, pattern in lexicon.programs:
        if pattern.search(rest):
            found.append(key)
            rest = pattern.sub(" ", rest)
    return narrowest(found, lexicon)


def narrowest(programs: list[str] | tuple[str, ...], lexicon: Lexicon) -> tuple[str, ...]:
    keys = set(programs)
    broader = {lexicon.narrower[key] for key in keys if key in lexicon.narrower}
    return tuple(key for key in PROGRAM_KEYS if key in keys and key not in broader)
