"""The registration questions (一门受理): which programs, consent, name, mobile, ID, 乡镇/街道, address.

Each answer is read from free text and checked by bot.core.privacy; a wrong answer gets the
validator's Chinese explanation and the question again. Before registering, the resident sees a
summary (ID and mobile masked) and confirms or corrects it.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional

from bot import replies
from bot.eligibility.engine import PROGRAMS
from bot.questionnaire.answers import plain_words, words as answer_words
from bot.towns import town_named
from bot.core.privacy import (
    InvalidField,
    find_id_number,
    find_mobile,
    mask_id_number,
    mask_mobile,
    validate_address,
    validate_id_number,
    validate_mobile,
    validate_name,
)

FIELDS = ("programs", "consent", "name", "mobile", "id_number", "district", "address", "confirmed")
PROGRAM_NAMES = {key: name for key, name, _rule in PROGRAMS}
APPLICABLE = ("eligible", "likely")
# Words for each program, most specific first (单人保 before 低保).
PROGRAM_WORDS = (
    ("dibao_individual", ("单人保", "单独申请低保", "单独纳入低保", "单独保")),
    ("tekun", ("特困", "五保", "供养")),
    # The full names first: they contain 临时救助, which must not be read as a program of its own.
    ("unemployed_one_off", ("失业人员一次性临时救助", "失业人员临时救助", "失业人员救助金", "失业人员", "失业金",
                            "未参保失业", "失业救助")),
    ("graduate_assistance", ("未就业大学生临时救助", "大学生临时救助", "毕业生临时救助", "大学生", "毕业生")),
    ("gradual_exit", ("渐退",)),
    ("temporary_assistance", ("临时救助", "临时补助", "急难", "临时")),
    ("dibao", ("低保", "最低生活保障")),
)
# What residents say around a name: "俺叫王秀兰", "我是王秀兰", "名字不对，是王秀兰", "就叫王秀兰吧".
NAME_CUES = re.compile(
    r"^(?:(?:申请人|本人|老人家|老人|(?:我|俺|咱)(?:妈|爸|娘|爹|母亲|父亲|婆婆|公公|奶奶|爷爷|老伴|家老人)|我|俺|咱|他|她)(?:的)?)?"
    r"(?:(?:名字|姓名|全名|大名)(?:写|填)?(?:错了|不对|写错了|填错了)?[，,。\s]*)?"
    r"(?:应该|改成|改为|重新|就)?(?:是|叫|为|写|填)?(?:做)?[:：\s]*"
)
NAME_TAIL = re.compile(r"[。，,.!！~～\s]*(?:吧|啊|呀|哈|哦|嘞|呢)?[。，,.!！~～\s]*$")
DISTRICT_RE = re.compile(r"[\u4e00-\u9fa5]{1,12}?(?:街道办事处|街道办|街道|镇|乡|苏木)")
DISTRICT_PREFIX = re.compile(r"^.*(?:省|自治区|市|区|县|旗|住在|住|在|是|属于)")
DISTRICT_PLACE_PREFIX = re.compile(r"^.*(?:省|自治区|市|县|旗|住在|住|在|是|属于)")
DISTRICT_SUFFIX = re.compile(r"街道办事处|街道办|街道|镇|乡|苏木")


class NotUnderstood(ValueError):
    """An answer that says nothing usable; `message` tells the resident what is expected."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def programs_from_screening(screening: Optional[Mapping[str, Any]]) -> list[str]:
    if not screening:
        return []
    return [p["program"] for p in screening.get("programs", []) if p.get("outcome") in APPLICABLE]


def programs_in(text: str) -> list[str]:
    found: list[str] = []
    rest = text
    for key, words in PROGRAM_WORDS:
        for word in words:
            if word in rest:
                found.append(key)
                rest = rest.replace(word, " ")
                break
    return [key for key, _words in PROGRAM_WORDS[::-1] if key in found]


def programs_question(suggested: list[str]) -> str:
    if not suggested:
        return replies.text("application.form.programs_question")
    names = "、".join(PROGRAM_NAMES[p] for p in suggested)
    return replies.text("application.form.programs_suggested", names=names)


# Yes said with a no word in it ("没错", "没问题", "不错", "错不了").
YES_IDIOMS = re.compile(r"没错|没有错|没问题|没毛病|不错|错不了|不会错|就这样")


def yes_or_no(text: str) -> Optional[bool]:
    """Yes or no by the words of data/answer_words.yml (dialect too: "能成", "得行", "么得")."""
    text = YES_IDIOMS.sub("对", plain_words(text))
    if any(word in text for word in answer_words()["no"]):
        return False
    if any(word in text for word in answer_words()["yes"]):
        return True
    return None


def find_district(text: str) -> Optional[str]:
    matches = DISTRICT_RE.findall(text)
    if not matches:
        return None
    name = DISTRICT_PREFIX.sub("", matches[-1])
    if DISTRICT_SUFFIX.fullmatch(name):  # "城区街道": 城区 is the name, not a county's 区
        name = DISTRICT_PLACE_PREFIX.sub("", matches[-1])
    return name if len(name) >= 2 and not DISTRICT_SUFFIX.fullmatch(name) else None


def parse_field(field: str, text: str, suggested: list[str]) -> Any:
    """The value of one answer; InvalidField or NotUnderstood says why it cannot be used."""
    text = text.strip()
    if field == "programs":
        named = programs_in(text)
        if named:
            return named
        if suggested and (yes_or_no(text) or re.search(r"都|全部|你看着|随便|能申请的|够条件的", text)):
            return suggested  # the programs the screening found possible
        raise NotUnderstood(replies.text("application.form.programs_not_understood",
                                         question=replies.text("application.form.programs_question")))
    if field in ("consent", "confirmed"):
        answer = yes_or_no(text)
        if answer is None:
            raise NotUnderstood(replies.text("application.form.consent_yes_or_no" if field == "consent"
                                             else "application.form.confirm_prompt"))
        return answer
    if field == "name":
        return validate_name(name_in(text))
    if field == "mobile":
        return validate_mobile(find_mobile(text) or text)
    if field == "id_number":
        return validate_id_number(find_id_number(text) or text)
    if field == "district":
        district = find_district(text) or town_named(text)
        if district is None:
            raise InvalidField("district", replies.text("application.form.district_message"))
        return district
    if field == "address":
        return validate_address(re.sub(r"^(?:地址|住址|我住在|住在)[是:：\s]*", "", text))
    raise KeyError(field)


def name_in(text: str) -> str:
    """The name without what is said around it ("俺叫王秀兰" → 王秀兰; "姓李，叫李桂兰" and
    "李桂兰，木子李" → 李桂兰)."""
    text = NAME_TAIL.sub("", text.strip())
    clauses = [c for c in re.split(r"[，,。；;\s]+", text) if c]
    if len(clauses) > 1:
        called = [c for c in clauses if "叫" in c or c.startswith("是")]
        names = [NAME_CUES.sub("", c, count=1) for c in (called[-1:] or clauses)]
        names = [n for n in names if len(n) >= 2 and not n.startswith("姓")]
        if names:
            return names[0]
    stripped = NAME_CUES.sub("", text, count=1)
    return stripped if len(stripped) >= 2 else text  # "是杰" may be a name


def corrections(text: str) -> dict[str, Any]:
    """Fields a message restates at the confirmation step ("手机号改成139…", "姓名王芳")."""
    found: dict[str, Any] = {}
    id_number = find_id_number(text)
    if id_number:
        found["id_number"] = validate_id_number(id_number)
    mobile = find_mobile(text)
    if mobile:
        found["mobile"] = validate_mobile(mobile)
    name = re.search(
        r"(?:姓名|名字)(?:写|填)?(?:错了|不对|写错了|填错了)?[，,。\s]*(?:改成|改为|应该是|应该叫|是|叫)?[:：\s]*([\u4e00-\u9fa5·]{2,20})",
        text,
    )
    if name:
        found["name"] = validate_name(name_in(name.group(1)))
    address = re.search(r"(?:地址|住址)(?:写|填)?(?:错了|不对|写错了|填错了)?[，,。\s]*(?:改成|改为|应该是|是)?[:：\s]*(.{5,200})", text)
    if address:
        found["address"] = validate_address(address.group(1))
        district = find_district(address.group(1))
        if district:
            found["district"] = district
    elif (district := find_district(text)) is not None and re.search("乡镇|街道|镇|乡", text):
        found["district"] = district
    return found


def summary(answers: Mapping[str, Any], region: Optional[str]) -> str:
    def line(key: str, **values: Any) -> str:
        return replies.text(f"application.summary.{key}", **values)

    place = f"{region}{answers['district']}" if region else answers["district"]
    lines = [
        line("title"),
        line("programs", programs="、".join(PROGRAM_NAMES[p] for p in answers["programs"])),
        line("name", name=answers["name"]),
        line("mobile", mobile=mask_mobile(answers["mobile"])),
        line("id_number", id_number=mask_id_number(answers["id_number"])),
        line("district", district=place),
        line("address", address=answers["address"]),
        replies.text("application.form.confirm_prompt"),
    ]
    return "\n".join(lines)


def materials(programs: list[str]) -> str:
    """What to bring to the window (the usual list; the window may ask for more)."""
    keys = ["everyone", "income"]
    if {"dibao_individual", "tekun"} & set(programs):
        keys.append("disability")
    if "unemployed_one_off" in programs:
        keys.append("unemployed")
    if "graduate_assistance" in programs:
        keys.append("graduate")
    if "temporary_assistance" in programs:
        keys.append("emergency")
    items = [replies.text(f"application.materials.{key}") for key in keys]
    return "；".join(items) + replies.text("application.materials.tail")
