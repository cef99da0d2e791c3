"""The eligibility rules: one small named function per program.

A rule combines conditions. Each condition is met, failed or unknown (three-valued logic) and
carries its reasons in plain Chinese with the citation they rest on, the facts still missing
(unknown only), whether a met condition still needs verification (核对, a staff judgement, a
figure from a document no longer in force), and warnings. A condition never fails on a figure
from an expired document: the figure may have been raised since, so it stays unknown.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Any, Callable, Iterable

from bot.eligibility.facts import LABELS, RESIDENCES, UNKNOWN, Disability, Facts
from bot.eligibility.parameters import (
    ANY_KIND,
    BASES,
    Amount,
    Lookup,
    MonthRange,
    Multiple,
    ParameterSet,
)
from bot import replies
from bot.regions import display_name

KIND_TEXT = {
    "physical": "肢体", "visual": "视力", "hearing": "听力", "speech": "言语",
    "intellectual": "智力", "mental": "精神", "multiple": "多重",
}
GRADE_TEXT = {1: "一", 2: "二", 3: "三", 4: "四"}
EMERGENCY_TEXT = {
    "fire": "火灾",
    "traffic_accident": "交通事故",
    "sudden_illness": "家庭成员突发重大疾病",
    "disaster": "自然灾害",
    "other": "其他急难情况",
}
RESIDENCE_STANDARD = {"urban": "dibao_standard_urban", "rural": "dibao_standard_rural"}
BASIS_STANDARD = {"dibao_urban_monthly": "dibao_standard_urban", "dibao_rural_monthly": "dibao_standard_rural"}
MONTHLY_STANDARD_TEXT = {"dibao_standard_urban": "城市低保月标准", "dibao_standard_rural": "农村低保月标准"}


class Status(Enum):
    MET = "met"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Reason:
    text: str
    citation: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "citation": self.citation}


@dataclass(frozen=True)
class Condition:
    status: Status
    reasons: tuple[Reason, ...] = ()
    missing: frozenset[str] = frozenset()
    needs_check: bool = False  # met as far as a chat can tell; to be verified
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProgramAmount:
    value: float
    unit: str

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit}


@dataclass(frozen=True)
class AmountInfo:
    amount: ProgramAmount | None  # None: the documents give no figure for this place and date
    reasons: tuple[Reason, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleResult:
    condition: Condition
    amount: AmountInfo | None = None
    kind: str | None = None
    notes: tuple[Reason, ...] = ()  # background shown with every outcome


def met(text: str, citation: str | None = None, *, needs_check: bool = False,
        warnings: Iterable[str] = ()) -> Condition:
    return Condition(Status.MET, (Reason(text, citation),), needs_check=needs_check,
                     warnings=tuple(warnings))


def failed(text: str, citation: str | None = None, warnings: Iterable[str] = ()) -> Condition:
    return Condition(Status.FAILED, (Reason(text, citation),), warnings=tuple(warnings))


def unknown(text: str, citation: str | None = None, missing: Iterable[str] = (),
            warnings: Iterable[str] = ()) -> Condition:
    return Condition(Status.UNKNOWN, (Reason(text, citation),), frozenset(missing),
                     warnings=tuple(warnings))


def _reasons(conditions: Iterable[Condition]) -> tuple[Reason, ...]:
    return tuple(reason for condition in conditions for reason in condition.reasons)


def _warnings(conditions: Iterable[Condition]) -> tuple[str, ...]:
    return tuple(warning for condition in conditions for warning in condition.warnings)


def all_of(*conditions: Condition) -> Condition:
    """Met when every condition is met; failed as soon as one fails; else unknown."""
    warnings = _warnings(conditions)
    failures = [c for c in conditions if c.status is Status.FAILED]
    if failures:
        return Condition(Status.FAILED, _reasons(failures), warnings=warnings)
    unknowns = [c for c in conditions if c.status is Status.UNKNOWN]
    if unknowns:
        missing = frozenset().union(*(c.missing for c in unknowns))
        return Condition(Status.UNKNOWN, _reasons(conditions), missing, warnings=warnings)
    return Condition(Status.MET, _reasons(conditions),
                     needs_check=any(c.needs_check for c in conditions), warnings=warnings)


def any_of(*conditions: Condition) -> Condition:
    """Met when one condition is met (a confirmed one preferred); failed when all fail."""
    mets = [c for c in conditions if c.status is Status.MET]
    if mets:
        return min(mets, key=lambda c: c.needs_check)
    unknowns = [c for c in conditions if c.status is Status.UNKNOWN]
    if unknowns:
        missing = frozenset().union(*(c.missing for c in unknowns))
        return Condition(Status.UNKNOWN, _reasons(conditions), missing, warnings=_warnings(unknowns))
    return Condition(Status.FAILED, _reasons(conditions), warnings=_warnings(conditions))


class Context:
    """The facts and parameters one screening reads; lookups are cached per screening."""

    def __init__(self, facts: Facts, parameters: ParameterSet) -> None:
        if facts.region is None:
            raise ValueError("rules need a region")
        self.facts = facts
        self.parameters = parameters
        self.region: str = facts.region
        self.as_of = facts.as_of
        self._lookups: dict[str, Lookup] = {}

    def param(self, name: str) -> Lookup:
        lookup = self._lookups.get(name)
        if lookup is None:
            lookup = self.parameters.lookup(name, self.region, self.as_of)
            self._lookups[name] = lookup
        return lookup

    def cite(self, name: str) -> str | None:
        value = self.param(name).value
        return str(value.citation) if value else None

    def fact(self, path: str) -> Any:
        return self.facts.get(path)


# Formatting --------------------------------------------------------------------------------


def date_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def money(value: Fraction | int | float) -> str:
    number = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    if number.denominator == 1:
        return str(number.numerator)
    return f"{float(number):.2f}"


def factor_text(factor: Fraction) -> str:
    return str(factor.numerator) if factor.denominator == 1 else f"{float(factor):g}"


def disability_text(disability: Disability) -> str:
    if disability.kind is None:
        return replies.text("eligibility.disability.grade_only", grade=GRADE_TEXT[disability.grade])
    return f"{GRADE_TEXT[disability.grade]}级{KIND_TEXT[disability.kind]}残疾"


def grades_text(grades: dict[str, frozenset[int]]) -> str:
    parts = []
    for kind, levels in grades.items():
        levels_text = "、".join(f"{GRADE_TEXT[g]}级" for g in sorted(levels))
        parts.append(f"{levels_text}{'' if kind == ANY_KIND else KIND_TEXT[kind]}残疾人")
    return "，".join(parts)


# Parameters as conditions ------------------------------------------------------------------


def stale_warnings(lookup: Lookup) -> tuple[str, ...]:
    if not lookup.stale or lookup.value is None:
        return ()
    document = lookup.value.document
    until = document.valid_until
    assert until is not None
    return (
        f"{document.name}有效期至{date_text(until)}，{date_text(lookup.as_of)}已不在有效期内："
        "以下判断和金额依据的是该文件最后有效的规定，现行政策请向当地乡镇（街道）社会救助窗口、"
        "民政部门或12345热线确认。",
    )


def not_available(ctx: Context, lookup: Lookup, label: str | None = None) -> Condition:
    """Unknown: no value in force for this place and date; staff must confirm it."""
    label = label or lookup.spec.label
    place = display_name(ctx.region)
    if lookup.upcoming is not None:
        value = lookup.upcoming
        return unknown(
            f"{display_name(value.region)}的{label}自{date_text(value.effective)}起执行，"
            f"{date_text(ctx.as_of)}尚未施行；该日期适用的规定需由工作人员确认。",
            str(value.citation),
        )
    if lookup.unpublished is not None:
        note = lookup.unpublished
        return unknown(f"{note.reason}；本助手没有{place}的{label}数字，需由工作人员确认。",
                       str(note.citation))
    if lookup.below:
        places = "、".join(display_name(name) for name in lookup.below)
        return unknown(f"{places}对{label}有专门规定，请说明您所在的市、县（区）。", missing=("region",))
    return unknown(f"本助手没有收录{place}关于{label}的规定，需由工作人员确认。")


def available(ctx: Context, name: str, text: str, *, needs_check: bool = False) -> Condition:
    """Met when the place has the measure at that date (text describes it), else unknown."""
    lookup = ctx.param(name)
    if lookup.value is None:
        return not_available(ctx, lookup)
    return met(text, str(lookup.value.citation), needs_check=needs_check or lookup.stale,
               warnings=stale_warnings(lookup))


def fail_or_stale(lookup: Lookup, text: str, citation: str | None) -> Condition:
    """Failed against a figure in force; unknown against one whose document has expired."""
    if lookup.stale:
        return unknown(f"{text}；但该规定已过有效期，现行规定可能已调整，需由工作人员确认。", citation,
                       warnings=stale_warnings(lookup))
    return failed(text, citation)


def bool_fact(ctx: Context, path: str, *, expected: bool, when_true: str, when_false: str,
              citation: str | None = None, needs_check: bool = False) -> Condition:
    value = ctx.fact(path)
    if value is UNKNOWN:
        return unknown(f"还需要了解：{LABELS[path]}。", citation, missing=(path,))
    text = when_true if value else when_false
    if value == expected:
        return met(text, citation, needs_check=needs_check)
    return failed(text, citation)


# Income against the 低保 standard ------------------------------------------------------------


def _standard_text(label: str, amount: Amount) -> str:
    text = f"{label}每人每月{money(amount.monthly)}元"
    if amount.unit.endswith("/年"):
        text += f"（每人每年{money(amount.value)}元）"
    return text


def _income_for_residence(ctx: Context, residence: str, exceeds: bool) -> Condition:
    lookup = ctx.param(RESIDENCE_STANDARD[residence])
    if lookup.value is None:
        return not_available(ctx, lookup)
    standard = lookup.value.data
    assert isinstance(standard, Amount)
    standard_text = _standard_text(lookup.spec.label, standard)
    citation = str(lookup.value.citation)
    warnings = stale_warnings(lookup)
    needed = [p for p in ("household.size", "household.monthly_income") if not ctx.facts.known(p)]
    if needed:
        return unknown(f"需要知道家庭人口和全家每月总收入，才能与{standard_text}比较。", citation,
                       missing=needed, warnings=warnings)
    income, size = ctx.fact("household.monthly_income"), ctx.fact("household.size")
    per_capita = Fraction(str(income)) / size
    head = f"家庭人均月收入{money(per_capita)}元（{money(income)}元÷{size}人）"
    within = per_capita <= standard.monthly
    if within and not exceeds:
        return met(f"{head}，不高于{standard_text}；家庭收入和财产以核对结果为准。", citation,
                   needs_check=True, warnings=warnings)
    if not within and exceeds:
        return met(f"{head}，已超过{standard_text}；家庭收入以核对结果为准。", citation,
                   needs_check=True, warnings=warnings)
    if within:
        return failed(f"{head}，没有超过{standard_text}，仍在低保范围内，不需要渐退。", citation)
    return fail_or_stale(lookup, f"{head}，高于{standard_text}", citation)


def _same_unpublished(first: Lookup, second: Lookup) -> bool:
    """Both standards left to the same body for the same reason: one reason says so."""
    a, b = first.unpublished, second.unpublished
    if a is None or b is None or first.upcoming or second.upcoming:
        return False
    return (a.reason, a.citation) == (b.reason, b.citation)


def income_vs_standard(ctx: Context, *, exceeds: bool) -> Condition:
    """Per-capita income within (or, for 渐退, above) the standard for the residence.

    With the residence unknown, both standards are tried: when they agree the residence does
    not matter; otherwise it is missing.
    """
    residence = ctx.fact("residence")
    if residence is not UNKNOWN:
        return _income_for_residence(ctx, residence, exceeds)
    urban, rural = (ctx.param(RESIDENCE_STANDARD[r]) for r in RESIDENCES)
    if _same_unpublished(urban, rural):
        return not_available(ctx, urban, "城乡低保标准")
    branches = [_income_for_residence(ctx, r, exceeds) for r in RESIDENCES]
    statuses = {branch.status for branch in branches}
    if statuses in ({Status.MET}, {Status.FAILED}):
        return all_of(*branches) if Status.MET in statuses else any_of(*branches)
    missing = frozenset().union(*(branch.missing for branch in branches))
    if any(branch.status is not Status.UNKNOWN or branch.missing for branch in branches):
        missing |= {"residence"}
    return Condition(Status.UNKNOWN, _reasons(branches), missing, warnings=_warnings(branches))


# Amounts -----------------------------------------------------------------------------------


def multiple_amount(ctx: Context, name: str, unit: str) -> AmountInfo:
    """factor × a 低保 monthly standard, when both are known for the place and date."""
    lookup = ctx.param(name)
    if lookup.value is None:
        return AmountInfo(None, not_available(ctx, lookup).reasons)
    multiple = lookup.value.data
    assert isinstance(multiple, Multiple)
    citation = str(lookup.value.citation)
    minimum = "不低于" if multiple.at_least else ""
    label = lookup.spec.label
    if multiple.of == "dibao_monthly":
        residence = ctx.fact("residence")
        if residence is UNKNOWN:
            text = f"{label}为{minimum}{BASES[multiple.of]}的{factor_text(multiple.factor)}倍，城市和农村不同；说明城乡类别后可算出金额。"
            return AmountInfo(None, (Reason(text, citation),), stale_warnings(lookup))
        standard_name = RESIDENCE_STANDARD[residence]
    else:
        standard_name = BASIS_STANDARD[multiple.of]
    standard = ctx.param(standard_name)
    basis = MONTHLY_STANDARD_TEXT[standard_name]
    times = "" if multiple.factor == 1 else f"的{factor_text(multiple.factor)}倍"
    rule_text = f"{label}为{minimum}{basis}{times}"
    if standard.value is None:
        reasons = (Reason(f"{rule_text}；{basis}需由工作人员确认，暂时算不出金额。", citation),)
        return AmountInfo(None, reasons + not_available(ctx, standard).reasons, stale_warnings(lookup))
    amount = standard.value.data
    assert isinstance(amount, Amount)
    value = multiple.factor * amount.monthly
    citations = list(dict.fromkeys([citation, str(standard.value.citation)]))
    text = f"{rule_text}（每人每月{money(amount.monthly)}元），即{minimum}{money(value)}元。"
    warnings = stale_warnings(lookup) + stale_warnings(standard)
    if lookup.stale or standard.stale:
        warnings += (f"金额{money(value)}元是按已过有效期文件中的最后已知标准算出的，仅供参考。",)
    return AmountInfo(ProgramAmount(round(float(value), 2), unit), (Reason(text, "；".join(citations)),), warnings)


def employment_deduction_note(ctx: Context) -> tuple[Reason, ...]:
    lookup = ctx.param("dibao_employment_cost_deduction")
    if lookup.value is None:
        return ()
    multiple = lookup.value.data
    assert isinstance(multiple, Multiple)
    percent = factor_text(multiple.factor * 100)
    text = f"核算家庭收入时，家庭成员就业产生的必要成本按{BASES[multiple.of]}的{percent}%扣减。"
    return (Reason(text, str(lookup.value.citation)),)


# Shared conditions -------------------------------------------------------------------------


def qualifying_disability(ctx: Context, name: str) -> Condition:
    disability = ctx.fact("applicant.disability")
    if disability is UNKNOWN:
        return unknown("还需要了解：是否持有残疾人证，残疾类别和等级。", missing=("applicant.disability",))
    if disability is None:
        return failed("没有持证残疾。")
    lookup = ctx.param(name)
    if lookup.value is None:
        return not_available(ctx, lookup)
    grades = lookup.value.data
    assert isinstance(grades, dict)
    citation = str(lookup.value.citation)
    scope = grades_text(grades)
    note = f"；{lookup.value.note}" if lookup.value.note else ""
    allowed = grades.get(ANY_KIND, frozenset()) | grades.get(disability.kind or ANY_KIND, frozenset())
    if disability.kind is None and disability.grade not in allowed and any(
            disability.grade in levels for levels in grades.values()):
        # "有残疾证，二级": the grade is in scope for some kinds only; the kind decides.
        return unknown(replies.text("eligibility.disability.kind_decides", disability=disability_text(disability),
                                    label=lookup.spec.label, scope=scope), citation,
                       missing=("applicant.disability",))
    if disability.grade in allowed:
        return met(f"{disability_text(disability)}，属于{lookup.spec.label}（{scope}{note}）。", citation,
                   needs_check=lookup.stale, warnings=stale_warnings(lookup))
    if disability.kind == "multiple" and set(grades) - {ANY_KIND}:
        return unknown(f"多重残疾按其中各类残疾的等级认定；是否属于{scope}，需由工作人员确认。", citation)
    return fail_or_stale(lookup, f"{disability_text(disability)}，不在{lookup.spec.label}（{scope}）之内", citation)


def not_on_dibao(ctx: Context, citation: str | None) -> Condition:
    return bool_fact(
        ctx, "household.on_dibao", expected=False, citation=citation,
        when_true="家庭已纳入低保；这项救助只针对未纳入低保范围的人员。",
        when_false="未纳入低保范围。",
    )


def hardship(ctx: Context, direct_name: str) -> Condition:
    """生活困难: verified by staff, unless the person is already in the low-income database."""
    direct = ctx.param(direct_name)
    if direct.value is not None and ctx.fact("household.low_income_family") is True:
        return met("已纳入低收入人口数据库的，不再进行家庭经济状况核查，直接给予救助。",
                   str(direct.value.citation), needs_check=direct.stale, warnings=stale_warnings(direct))
    return met("生活困难情况需经乡镇（街道）核查。", needs_check=True)


# Programs ----------------------------------------------------------------------------------


def dibao_gap(ctx: Context) -> AmountInfo | None:
    """低保金 by the gap: the standard × household size − the household's monthly income, for the
    residence's standard in force (补差发放). None when a fact or the figure is missing."""
    residence = ctx.fact("residence")
    income, size = ctx.fact("household.monthly_income"), ctx.fact("household.size")
    if UNKNOWN in (residence, income, size):
        return None
    lookup = ctx.param(RESIDENCE_STANDARD[residence])
    if lookup.value is None:
        return None
    standard = lookup.value.data
    assert isinstance(standard, Amount)
    gap = standard.monthly * size - Fraction(str(income))
    if gap <= 0:
        return None
    text = (f"低保金按差额发放：{MONTHLY_STANDARD_TEXT[RESIDENCE_STANDARD[residence]]}{money(standard.monthly)}元"
            f"×{size}人−家庭月收入{money(income)}元＝每月约{money(gap)}元（全家），以核定结果为准。")
    warnings = stale_warnings(lookup)
    if lookup.stale:
        warnings += (f"差额{money(gap)}元是按已过有效期文件中的最后已知标准算出的，仅供参考。",)
    return AmountInfo(ProgramAmount(round(float(gap), 2), "元/月（全家）"),
                      (Reason(text, str(lookup.value.citation)),), warnings)


def dibao(ctx: Context) -> RuleResult:
    return RuleResult(income_vs_standard(ctx, exceeds=False), dibao_gap(ctx), notes=employment_deduction_note(ctx))


def dibao_individual(ctx: Context) -> RuleResult:
    citation = ctx.cite("dibao_individual_disability") or ctx.cite("dibao_individual_serious_illness")
    family = bool_fact(
        ctx, "household.low_income_family", expected=True, citation=citation, needs_check=True,
        when_true="家庭属于低保边缘（低收入）家庭，其中的特殊困难人员可以参照单人户单独申请低保；家庭经济状况以核对结果为准。",
        when_false="家庭不是低保边缘（低收入）家庭；单独申请低保只适用于这类家庭中的重度残疾人、重病患者等。",
    )
    person = any_of(qualifying_disability(ctx, "dibao_individual_disability"), serious_illness(ctx))
    return RuleResult(all_of(family, person))


def serious_illness(ctx: Context) -> Condition:
    ill = ctx.fact("applicant.seriously_ill")
    if ill is False:
        return failed("没有患重病。")
    lookup = ctx.param("dibao_individual_serious_illness")
    if lookup.value is None:
        rule = not_available(ctx, lookup)
        if ill is UNKNOWN:
            return all_of(unknown("还需要了解：是否患重病。", missing=("applicant.seriously_ill",)), rule)
        return rule
    citation = str(lookup.value.citation)
    if ill is UNKNOWN:
        return unknown("还需要了解：是否患重病（重病患者也可以单独申请低保）。", citation,
                       missing=("applicant.seriously_ill",))
    return met("患有重病，属于可以单独申请低保的重病患者；是否属于重病以诊断材料和审核为准。", citation,
               needs_check=True, warnings=stale_warnings(lookup))


def _age_against(ctx: Context, parameter: str, within: Callable[[int, int], bool],
                 met_text: str, failed_text: str) -> Condition:
    """The applicant's age against an age limit; the texts take {age} and {limit}."""
    age = ctx.fact("applicant.age")
    if age is UNKNOWN:
        return unknown("还需要了解：年龄。", missing=("applicant.age",))
    lookup = ctx.param(parameter)
    if lookup.value is None:
        return not_available(ctx, lookup)
    limit = lookup.value.data
    citation = str(lookup.value.citation)
    if within(age, limit):
        return met(met_text.format(age=age, limit=limit), citation)
    return failed(failed_text.format(age=age, limit=limit), citation)


def _elderly(ctx: Context) -> Condition:
    return _age_against(ctx, "tekun_elderly_min_age", lambda age, limit: age >= limit,
                        "{age}岁，年满{limit}周岁，属于老年人。", "{age}岁，未满{limit}周岁，不属于老年人。")


def _minor(ctx: Context) -> Condition:
    return _age_against(ctx, "tekun_minor_age_limit", lambda age, limit: age < limit,
                        "{age}岁，未满{limit}周岁的未成年人。",
                        "{age}岁，已满{limit}周岁，不属于未满{limit}周岁的未成年人。")


def tekun(ctx: Context) -> RuleResult:
    citation = ctx.cite("tekun_conditions")
    conditions = available(
        ctx, "tekun_conditions",
        "特困人员供养面向无劳动能力、无生活来源，且无法定赡养、抚养、扶养义务人（或义务人无能力）的"
        "老年人、残疾人和未成年人。",
    )
    no_work = bool_fact(
        ctx, "applicant.able_to_work", expected=False, citation=citation,
        when_true="有劳动能力；特困供养只针对无劳动能力的人。", when_false="无劳动能力。",
    )
    no_income = bool_fact(
        ctx, "applicant.has_income_source", expected=False, citation=citation, needs_check=True,
        when_true="有生活来源；特困供养只针对无生活来源的人。",
        when_false="无生活来源（以家庭经济状况核对结果为准）。",
    )
    no_supporter = bool_fact(
        ctx, "applicant.has_able_supporter", expected=False, citation=citation,
        when_true="有能够履行赡养、抚养、扶养义务的人；特困供养只针对无人供养的人。",
        when_false="无法定赡养、抚养、扶养义务人，或义务人没有赡养、抚养、扶养能力。",
    )
    category = any_of(_elderly(ctx), qualifying_disability(ctx, "tekun_disability"), _minor(ctx))
    condition = all_of(conditions, no_work, no_income, no_supporter, category)
    return RuleResult(condition, multiple_amount(ctx, "tekun_standard", "元/人/月"))


def _urgent(ctx: Context) -> RuleResult:
    emergency = ctx.fact("applicant.emergency")
    citation = ctx.cite("temporary_urgent")
    if emergency is UNKNOWN:
        situation = unknown("还需要了解：最近是否遭遇火灾、交通事故、家人突发重大疾病、自然灾害等急难情况。",
                            citation, missing=("applicant.emergency",))
    elif emergency is None:
        situation = failed("没有遭遇火灾、交通事故、突发重大疾病、自然灾害等急难情况。", citation)
    elif emergency == "other":
        situation = met("遭遇其他急难情况；是否导致基本生活陷入困境、属于急难型临时救助，需由工作人员判断。",
                        citation, needs_check=True)
    else:
        situation = met(f"遭遇{EMERGENCY_TEXT[emergency]}，导致基本生活暂时出现严重困难的，可以申请急难型临时救助。",
                        citation)
    measure = available(ctx, "temporary_urgent", "对因意外事件、突发重大疾病等导致基本生活暂时出现严重困难的家庭和个人，及时给予临时救助。")
    return RuleResult(all_of(situation, measure), multiple_amount(ctx, "temporary_urgent_amount", "元/次"))


def _in_low_income_monitoring(ctx: Context, citation: str | None) -> Condition:
    on_dibao = ctx.fact("household.on_dibao")
    low_income = ctx.fact("household.low_income_family")
    if on_dibao is True or low_income is True:
        return met("属于低收入人口监测范围（低保对象、低保边缘家庭等）。", citation)
    if on_dibao is False and low_income is False:
        return failed("不是低保对象或低保边缘（低收入）家庭，不在这项因病救助针对的低收入人口监测范围内。", citation)
    missing = [p for p, v in (("household.on_dibao", on_dibao), ("household.low_income_family", low_income))
               if v is UNKNOWN]
    return unknown("还需要了解：家庭是否为低保对象或低保边缘（低收入）家庭。", citation, missing=missing)


def _expense(ctx: Context) -> RuleResult:
    cost = ctx.fact("applicant.medical_out_of_pocket_yearly")
    threshold = ctx.param("temporary_expense_medical_threshold")
    citation = ctx.cite("temporary_expense")
    measure = available(ctx, "temporary_expense", "医疗等生活必需支出突然增加、超出家庭承受能力的，可以申请支出型临时救助。")
    amount = multiple_amount(ctx, "temporary_expense_amount", "元/人")
    if threshold.value is not None:
        limit = threshold.value.data
        assert isinstance(limit, Amount)
        threshold_citation = str(threshold.value.citation)
        if cost is UNKNOWN:
            spending = unknown(f"还需要了解：全年医疗费用中政策范围内个人自负的部分（达到{money(limit.value)}元可申请）。",
                               threshold_citation, missing=("applicant.medical_out_of_pocket_yearly",))
        elif cost >= limit.value:
            spending = met(f"全年政策范围内个人自负医疗费用{money(cost)}元，达到{money(limit.value)}元。",
                           threshold_citation, needs_check=threshold.stale, warnings=stale_warnings(threshold))
        else:
            spending = fail_or_stale(threshold, f"全年政策范围内个人自负医疗费用{money(cost)}元，未达到{money(limit.value)}元",
                                     threshold_citation)
        condition = all_of(spending, _in_low_income_monitoring(ctx, threshold_citation), measure)
        return RuleResult(condition, amount)
    if cost is UNKNOWN:
        spending = unknown("还需要了解：全年医疗个人自负费用。", citation,
                           missing=("applicant.medical_out_of_pocket_yearly",))
    elif cost == 0:
        spending = failed("没有医疗自负费用；因子女教育等其他刚性支出陷入困难的，请向工作人员说明。", citation)
    else:
        spending = met(f"全年医疗个人自负费用{money(cost)}元；是否超出家庭承受能力，需由工作人员核实。",
                       citation, needs_check=True)
    return RuleResult(all_of(spending, measure), amount)


def _individual(ctx: Context) -> RuleResult:
    citation = ctx.cite("temporary_individual")
    migrant = bool_fact(
        ctx, "applicant.is_migrant_worker", expected=True, citation=citation,
        when_true="是外来务工人员。", when_false="不是外来务工人员（农民工）。",
    )
    months = ctx.fact("applicant.unemployed_months")
    if ctx.fact("applicant.has_income_source") is True:
        jobless = failed(_HAS_INCOME, citation)
    elif months is UNKNOWN:
        jobless = unknown("还需要了解：已经连续几个月没有工作、没有收入。", citation,
                          missing=("applicant.unemployed_months",))
    elif months == 0:
        jobless = failed("目前有工作或收入。", citation)
    else:
        jobless = met(f"已连续{months}个月找不到工作、没有收入。", citation)
    no_support = bool_fact(
        ctx, "applicant.has_able_supporter", expected=False, citation=citation,
        when_true="能得到家庭支持。", when_false="得不到家庭支持。",
    )
    measure = available(
        ctx, "temporary_individual",
        "暂时找不到工作又得不到家庭支持的生活困难外来务工人员，由急难发生地直接实施临时救助；生活困难情况需由工作人员核实。",
        needs_check=True,
    )
    condition = all_of(migrant, jobless, no_support, measure)
    return RuleResult(condition, multiple_amount(ctx, "temporary_individual_amount", "元/次"))


TEMPORARY_KINDS = (("urgent", _urgent), ("expense", _expense), ("individual", _individual))


def temporary_assistance(ctx: Context) -> RuleResult:
    """The kind that applies: confirmed before to-be-verified, then the larger amount."""
    results = [(kind, rule(ctx)) for kind, rule in TEMPORARY_KINDS]
    applicable = [(kind, r) for kind, r in results if r.condition.status is Status.MET]
    if applicable:
        def rank(item: tuple[str, RuleResult]) -> tuple[bool, float]:
            info = item[1].amount
            value = info.amount.value if info and info.amount else 0.0
            return item[1].condition.needs_check, -value

        kind, best = min(applicable, key=rank)
        return RuleResult(best.condition, best.amount, kind)
    open_kinds = [(kind, r) for kind, r in results if r.condition.status is Status.UNKNOWN]
    combined = any_of(*(r.condition for _kind, r in results))
    if len(open_kinds) == 1:
        kind, only = open_kinds[0]
        return RuleResult(combined, only.amount, kind)
    return RuleResult(combined)


# A resident with an income of their own (wages, a pension, rent) is not "连续无收入来源", however
# long ago they stopped working; the months without income are then not asked.
_HAS_INCOME = "本人有收入来源（工资、养老金等），不属于连续无收入。"


def _months_without_income(ctx: Context) -> Condition:
    months = ctx.fact("applicant.unemployed_months")
    lookup = ctx.param("unemployed_one_off_months")
    if lookup.value is None:
        rule = not_available(ctx, lookup)
        if months is UNKNOWN:
            return all_of(unknown("还需要了解：已经连续几个月没有收入。", missing=("applicant.unemployed_months",)), rule)
        return rule
    required = lookup.value.data
    citation = str(lookup.value.citation)
    if ctx.fact("applicant.has_income_source") is True:
        return failed(_HAS_INCOME, citation)
    if months is UNKNOWN:
        return unknown(f"还需要了解：已经连续几个月没有收入（须连续{required}个月无收入来源）。", citation,
                       missing=("applicant.unemployed_months",))
    if months >= required:
        return met(f"已连续{months}个月无收入来源，达到{required}个月。", citation,
                   needs_check=lookup.stale, warnings=stale_warnings(lookup))
    return fail_or_stale(lookup, f"连续无收入{months}个月，不满{required}个月", citation)


def unemployed_one_off(ctx: Context) -> RuleResult:
    citation = ctx.cite("unemployed_one_off")
    measure = available(
        ctx, "unemployed_one_off",
        "对受疫情影响无法返岗复工、连续无收入来源、生活困难且失业保险政策无法覆盖的农民工等未参保失业人员，"
        "未纳入低保的，经本人申请发放一次性临时救助金。",
    )
    not_insured = bool_fact(
        ctx, "applicant.unemployment_insured", expected=False, citation=citation,
        when_true="参加了失业保险，可按规定领取失业保险待遇；这项救助金针对失业保险无法覆盖的人员。",
        when_false="未参加失业保险，失业保险政策无法覆盖。",
    )
    condition = all_of(
        measure, not_on_dibao(ctx, citation), _months_without_income(ctx), not_insured,
        hardship(ctx, "unemployed_one_off_direct"),
    )
    return RuleResult(condition, multiple_amount(ctx, "unemployed_one_off_amount", "元"))


def graduate_assistance(ctx: Context) -> RuleResult:
    citation = ctx.cite("graduate_assistance")
    measure = available(
        ctx, "graduate_assistance",
        "对未纳入低保范围、生活困难的未就业大学生（含创业失败的大学生），经本人申请给予临时救助。",
    )
    graduate = bool_fact(
        ctx, "applicant.is_unemployed_graduate", expected=True, citation=citation,
        when_true="是未就业大学生。", when_false="不是未就业大学生。",
    )
    condition = all_of(measure, graduate, not_on_dibao(ctx, citation),
                       hardship(ctx, "graduate_assistance_direct"))
    return RuleResult(condition, multiple_amount(ctx, "graduate_assistance_amount", "元"))


def _exit_period(ctx: Context) -> Condition:
    lookup = ctx.param("gradual_exit_months")
    if lookup.value is None:
        return not_available(ctx, lookup)
    months = lookup.value.data
    assert isinstance(months, MonthRange)
    if months.min == months.max:
        text = f"家庭人均收入超过当地低保标准的，给予{months.min}个月的渐退期，渐退期内继续享受低保。"
    else:
        text = (f"低保对象实现就业后家庭人均收入超过当地低保标准的，可根据家庭情况给予不少于{months.min}个月、"
                f"不超过{months.max}个月的渐退期；就业情况由工作人员核实。")
    return met(text, str(lookup.value.citation), needs_check=True, warnings=stale_warnings(lookup))


def gradual_exit(ctx: Context) -> RuleResult:
    on_dibao = bool_fact(
        ctx, "household.on_dibao", expected=True, citation=ctx.cite("gradual_exit_months"),
        when_true="家庭目前享受低保。", when_false="家庭目前没有享受低保；渐退期只适用于已享受低保的家庭。",
    )
    return RuleResult(all_of(on_dibao, income_vs_standard(ctx, exceeds=True), _exit_period(ctx)))
