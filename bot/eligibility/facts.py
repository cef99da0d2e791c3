"""What is known about the person being screened: parsed and checked from the API request.

Every fact is optional; an omitted fact (or null) is unknown. For `applicant.disability` and
`applicant.emergency` null is an answer: no disability, no emergency. Facts are keyed by the
same paths that `missing` lists, so the chat questionnaire can set one with `facts_with`.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Mapping

from bot import replies
from bot.eligibility.parameters import DISABILITY_KINDS, MAX_DISABILITY_GRADE
from bot.regions import get_region, normalize_region

FIELD_PATHS: tuple[str, ...] = (
    "region",
    "residence",
    "household.size",
    "household.monthly_income",
    "household.on_dibao",
    "household.low_income_family",
    "applicant.age",
    "applicant.disability",
    "applicant.seriously_ill",
    "applicant.able_to_work",
    "applicant.has_income_source",
    "applicant.has_able_supporter",
    "applicant.unemployed_months",
    "applicant.unemployment_insured",
    "applicant.is_migrant_worker",
    "applicant.is_unemployed_graduate",
    "applicant.medical_out_of_pocket_yearly",
    "applicant.emergency",
)
FIELD_ORDER = {path: index for index, path in enumerate(FIELD_PATHS)}

LABELS = {
    "as_of": "筛查日期",
    "region": "所在地区",
    "residence": "城乡类别",
    "household": "家庭情况",
    "household.size": "家庭人口数",
    "household.monthly_income": "家庭月收入",
    "household.on_dibao": "是否已享受低保",
    "household.low_income_family": "是否低保边缘（低收入）家庭",
    "applicant": "申请人情况",
    "applicant.age": "年龄",
    "applicant.disability": "残疾情况",
    "applicant.disability.kind": "残疾类别",
    "applicant.disability.grade": "残疾等级",
    "applicant.seriously_ill": "是否患重病",
    "applicant.able_to_work": "是否有劳动能力",
    "applicant.has_income_source": "是否有生活来源",
    "applicant.has_able_supporter": "是否有能尽赡养、抚养、扶养义务的人",
    "applicant.unemployed_months": "连续无收入的月数",
    "applicant.unemployment_insured": "是否参加失业保险",
    "applicant.is_migrant_worker": "是否农民工（外来务工人员）",
    "applicant.is_unemployed_graduate": "是否未就业大学生",
    "applicant.medical_out_of_pocket_yearly": "全年医疗个人自负费用",
    "applicant.emergency": "遭遇的急难情况",
}
RESIDENCES = ("urban", "rural")
# The only income named is a pension of the residents' scheme (养老金, not a 退休金): whether that is a
# 生活来源 for 特困供养 is for the 乡镇（街道） to decide on the household's checked income.
PENSION_ONLY = "pension_only"
EMERGENCIES = ("fire", "traffic_accident", "sudden_illness", "disaster", "other")
NULL_MEANS_NONE = frozenset({"applicant.disability", "applicant.emergency"})

MAX_AGE = 120
MAX_HOUSEHOLD_SIZE = 30
MAX_UNEMPLOYED_MONTHS = 600
MAX_MONEY = 100_000_000


class _Unknown:
    """The value of a fact nobody has given."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


class InvalidInput(ValueError):
    """Input the screening refuses; the message is Chinese and names the field."""

    def __init__(self, field_path: str | None, message: str) -> None:
        super().__init__(message)
        self.field_path = field_path
        self.message = message


@dataclass(frozen=True)
class Disability:
    kind: str | None  # one of DISABILITY_KINDS; None: the grade was said, not the kind ("二级残疾")
    grade: int  # 1 (most severe) to 4, as on the 残疾人证


@dataclass(frozen=True)
class Facts:
    as_of: dt.date
    values: Mapping[str, Any]  # field path -> value; an absent path is unknown

    def known(self, path: str) -> bool:
        return path in self.values

    def get(self, path: str) -> Any:
        """The value, or UNKNOWN."""
        return self.values.get(path, UNKNOWN)

    @property
    def region(self) -> str | None:
        return self.values.get("region")


def _named(path: str) -> str:
    label = LABELS.get(path)
    return replies.text("eligibility.invalid.named", path=path, label=label) if label else path


def _say(key: str, **values: Any) -> str:
    return replies.text(f"eligibility.invalid.{key}", **values)


def _invalid(path: str, problem: str) -> InvalidInput:
    return InvalidInput(path, replies.text("eligibility.invalid.field", field=_named(path), problem=problem))


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _invalid(path, _say("boolean"))
    return value


def _income_source(value: Any, path: str) -> bool | str:
    if value == PENSION_ONLY:
        return PENSION_ONLY
    if not isinstance(value, bool):
        raise _invalid(path, _say("income_source", pension_only=PENSION_ONLY))
    return value


def _integer(low: int, high: int) -> Callable[[Any, str], int]:
    def check(value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _invalid(path, _say("integer", low=low, high=high))
        if not low <= value <= high:
            raise _invalid(path, _say("range", low=low, high=high, value=value))
        return value

    return check


def _money(value: Any, path: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _invalid(path, _say("money"))
    if value < 0:
        raise _invalid(path, _say("negative"))
    if value > MAX_MONEY:
        raise _invalid(path, _say("too_much", max=MAX_MONEY))
    return value


def _choice(options: tuple[str, ...]) -> Callable[[Any, str], str]:
    def check(value: Any, path: str) -> str:
        if value not in options:
            raise _invalid(path, _say("choice", options="、".join(options)))
        return value

    return check


def _region(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid(path, _say("region"))
    region = get_region(value.strip()) or normalize_region(value)
    if region is None:
        raise _invalid(path, _say("region_unknown", value=value.strip()[:20]))
    return region.name


def _disability(value: Any, path: str) -> Disability:
    if isinstance(value, Disability):
        value = {"kind": value.kind, "grade": value.grade}
    if not isinstance(value, dict):
        raise _invalid(path, _say("disability"))
    _reject_unknown_keys(value, ("kind", "grade"), path)
    if "grade" not in value:
        raise _invalid(f"{path}.grade", _say("missing"))
    # The kind may be omitted (or null) when only the grade is known: "有残疾证，二级".
    kind = value.get("kind")
    kind = None if kind is None else _choice(DISABILITY_KINDS)(kind, f"{path}.kind")
    grade = _integer(1, MAX_DISABILITY_GRADE)(value["grade"], f"{path}.grade")
    return Disability(kind, grade)


_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "region": _region,
    "residence": _choice(RESIDENCES),
    "household.size": _integer(1, MAX_HOUSEHOLD_SIZE),
    "household.monthly_income": _money,
    "household.on_dibao": _boolean,
    "household.low_income_family": _boolean,
    "applicant.age": _integer(0, MAX_AGE),
    "applicant.disability": _disability,
    "applicant.seriously_ill": _boolean,
    "applicant.able_to_work": _boolean,
    "applicant.has_income_source": _income_source,
    "applicant.has_able_supporter": _boolean,
    "applicant.unemployed_months": _integer(0, MAX_UNEMPLOYED_MONTHS),
    "applicant.unemployment_insured": _boolean,
    "applicant.is_migrant_worker": _boolean,
    "applicant.is_unemployed_graduate": _boolean,
    "applicant.medical_out_of_pocket_yearly": _money,
    "applicant.emergency": _choice(EMERGENCIES),
}
_GROUPS = ("household", "applicant")
_TOP_LEVEL = ("as_of", "region", "residence", *_GROUPS)


def _reject_unknown_keys(data: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
    for key in data:
        if key not in allowed:
            path = f"{prefix}.{key}" if prefix else str(key)
            raise InvalidInput(path, _say("unknown_field", path=path, allowed="、".join(allowed)))


def _checked(path: str, value: Any) -> Any:
    """The value to store for `path`, or UNKNOWN for null where null means unknown."""
    if value is None:
        return None if path in NULL_MEANS_NONE else UNKNOWN
    return _CHECKS[path](value, path)


def _as_of(value: Any, today: dt.date) -> dt.date:
    if value is None:
        return today
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _invalid("as_of", _say("as_of"))


def facts_from_request(body: Any, today: dt.date) -> Facts:
    """The facts in a screening request body (the API's JSON); InvalidInput if it is wrong."""
    if not isinstance(body, dict):
        raise InvalidInput(None, _say("not_object"))
    _reject_unknown_keys(body, _TOP_LEVEL, "")
    values: dict[str, Any] = {}
    flat: list[tuple[str, Any]] = [(key, body[key]) for key in ("region", "residence") if key in body]
    for group in _GROUPS:
        section = body.get(group)
        if section is None:
            continue
        if not isinstance(section, dict):
            raise _invalid(group, _say("object"))
        allowed = tuple(p.split(".", 1)[1] for p in FIELD_PATHS if p.startswith(group + "."))
        _reject_unknown_keys(section, allowed, group)
        flat.extend((f"{group}.{key}", value) for key, value in section.items())
    for path, value in flat:
        checked = _checked(path, value)
        if checked is not UNKNOWN:
            values[path] = checked
    return Facts(_as_of(body.get("as_of"), today), MappingProxyType(values))


def facts_with(facts: Facts, path: str, value: Any) -> Facts:
    """A copy of `facts` with one fact set (checked like the API's input); UNKNOWN unsets it."""
    if path not in FIELD_ORDER:
        raise InvalidInput(path, _say("unknown_field_short", path=path))
    values = dict(facts.values)
    checked = UNKNOWN if value is UNKNOWN else _checked(path, value)
    if checked is UNKNOWN:
        values.pop(path, None)
    else:
        values[path] = checked
    return Facts(facts.as_of, MappingProxyType(values))
