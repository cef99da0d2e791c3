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

from bot.eligibility.facts import LABELS, PENSION_ONLY, RESIDENCES, UNKNOWN, Disability, Facts
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

say = replies.text  # the wording: data/replies/eligibility.yml ("eligibility.<key>")
RESIDENCE_STANDARD = {"urban": "dibao_standard_urban", "rural": "dibao_standard_rural"}
BASIS_STANDARD = {"dibao_urban_monthly": "dibao_standard_urban", "dibao_rural_monthly": "dibao_standard_rural"}


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


def money(value: Fraction | int | float) -> str:
    number = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    if number.denominator == 1:
        return str(number.numerator)
    return f"{float(number):.2f}"


def factor_text(factor: Fraction) -> str:
    return str(factor.numerator) if factor.denominator == 1 else f"{float(factor):g}"


def grade_text(grade: int) -> str:
    return say(f"eligibility.grades.{grade}")


def kind_text(kind: str) -> str:
    return say(f"eligibility.kinds.{kind}")


def emergency_text(emergency: str) -> str:
    return say(f"eligibility.emergencies.{emergency}")


def monthly_standard_text(standard: str) -> str:
    return say(f"eligibility.monthly_standards.{standard}")


def disability_text(disability: Disability) -> str:
    if disability.kind is None:
        return say("eligibility.disability.grade_only", grade=grade_text(disability.grade))
    return say("eligibility.disability.named", grade=grade_text(disability.grade), kind=kind_text(disability.kind))


def grades_text(grades: dict[str, frozenset[int]]) -> str:
    parts = []
    for kind, levels in grades.items():
        levels_text = "、".join(say("eligibility.disability.level", grade=grade_text(g)) for g in sorted(levels))
        parts.append(say("eligibility.disability.people", levels=levels_text,
                         kind="" if kind == ANY_KIND else kind_text(kind)))
    return "，".join(parts)


# Parameters as conditions ------------------------------------------------------------------


def stale_warnings(lookup: Lookup) -> tuple[str, ...]:
    if not lookup.stale or lookup.value is None:
        return ()
    document = lookup.value.document
    until = document.valid_until
    assert until is not None
    return (say("eligibility.stale", document=document.name, until=replies.date_text(until), as_of=replies.date_text(lookup.as_of)),)


def not_available(ctx: Context, lookup: Lookup, label: str | None = None) -> Condition:
    """Unknown: no value in force for this place and date; staff must confirm it."""
    label = label or lookup.spec.label
    place = display_name(ctx.region)
    if lookup.upcoming is not None:
        value = lookup.upcoming
        return unknown(
            say("eligibility.not_available.upcoming", place=display_name(value.region), label=label,
                since=replies.date_text(value.effective), as_of=replies.date_text(ctx.as_of)),
            str(value.citation),
        )
    if lookup.unpublished is not None:
        note = lookup.unpublished
        return unknown(say("eligibility.not_available.unpublished", reason=note.reason, place=place, label=label),
                       str(note.citation))
    if lookup.below:
        places = "、".join(display_name(name) for name in lookup.below)
        return unknown(say("eligibility.not_available.below", places=places, label=label), missing=("region",))
    return unknown(say("eligibility.not_available.missing", place=place, label=label))


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
        return unknown(say("eligibility.stale_failure", text=text), citation,
                       warnings=stale_warnings(lookup))
    return failed(text, citation)


def bool_fact(ctx: Context, path: str, *, expected: bool, when_true: str, when_false: str,
              citation: str | None = None, needs_check: bool = False) -> Condition:
    value = ctx.fact(path)
    if value is UNKNOWN:
        return unknown(say("eligibility.still_needed", fact=LABELS[path]), citation, missing=(path,))
    text = when_true if value else when_false
    if value == expected:
        return met(text, citation, needs_check=needs_check)
    return failed(text, citation)


# Income against the 低保 standard ------------------------------------------------------------


def _standard_text(label: str, amount: Amount) -> str:
    text = say("eligibility.income.standard", label=label, monthly=money(amount.monthly))
    if amount.unit.endswith("/年"):
        text += say("eligibility.income.standard_yearly", yearly=money(amount.value))
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
        return unknown(say("eligibility.income.needed", standard=standard_text), citation,
                       missing=needed, warnings=warnings)
    income, size = ctx.fact("household.monthly_income"), ctx.fact("household.size")
    per_capita = Fraction(str(income)) / size
    head = say("eligibility.income.per_capita", per_capita=money(per_capita), income=money(income), size=size)
    within = per_capita <= standard.monthly
    if within and not exceeds:
        return met(say("eligibility.income.within", head=head, standard=standard_text), citation,
                   needs_check=True, warnings=warnings)
    if not within and exceeds:
        return met(say("eligibility.income.above_for_exit", head=head, standard=standard_text), citation,
                   needs_check=True, warnings=warnings)
    if within:
        return failed(say("eligibility.income.within_no_exit", head=head, standard=standard_text), citation)
    return fail_or_stale(lookup, say("eligibility.income.above", head=head, standard=standard_text), citation)


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
        return not_available(ctx, urban, say("eligibility.income.both_standards"))
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
    minimum = say("eligibility.amount.at_least") if multiple.at_least else ""
    label = lookup.spec.label
    if multiple.of == "dibao_monthly":
        residence = ctx.fact("residence")
        if residence is UNKNOWN:
            text = say("eligibility.amount.by_residence", label=label, minimum=minimum, basis=BASES[multiple.of],
                       factor=factor_text(multiple.factor))
            return AmountInfo(None, (Reason(text, citation),), stale_warnings(lookup))
        standard_name = RESIDENCE_STANDARD[residence]
    else:
        standard_name = BASIS_STANDARD[multiple.of]
    standard = ctx.param(standard_name)
    basis = monthly_standard_text(standard_name)
    times = "" if multiple.factor == 1 else say("eligibility.amount.times", factor=factor_text(multiple.factor))
    rule_text = say("eligibility.amount.rule", label=label, minimum=minimum, basis=basis, times=times)
    if standard.value is None:
        reasons = (Reason(say("eligibility.amount.basis_missing", rule=rule_text, basis=basis), citation),)
        return AmountInfo(None, reasons + not_available(ctx, standard).reasons, stale_warnings(lookup))
    amount = standard.value.data
    assert isinstance(amount, Amount)
    value = multiple.factor * amount.monthly
    citations = list(dict.fromkeys([citation, str(standard.value.citation)]))
    text = say("eligibility.amount.computed", rule=rule_text, monthly=money(amount.monthly), minimum=minimum,
               value=money(value))
    warnings = stale_warnings(lookup) + stale_warnings(standard)
    if lookup.stale or standard.stale:
        warnings += (say("eligibility.amount.from_expired", value=money(value)),)
    return AmountInfo(ProgramAmount(round(float(value), 2), unit), (Reason(text, "；".join(citations)),), warnings)


def employment_deduction_note(ctx: Context) -> tuple[Reason, ...]:
    lookup = ctx.param("dibao_employment_cost_deduction")
    if lookup.value is None:
        return ()
    multiple = lookup.value.data
    assert isinstance(multiple, Multiple)
    percent = factor_text(multiple.factor * 100)
    text = say("eligibility.amount.employment_deduction", basis=BASES[multiple.of], percent=percent)
    return (Reason(text, str(lookup.value.citation)),)


# Shared conditions -------------------------------------------------------------------------


def qualifying_disability(ctx: Context, name: str) -> Condition:
    disability = ctx.fact("applicant.disability")
    if disability is UNKNOWN:
        return unknown(say("eligibility.disability.needed"), missing=("applicant.disability",))
    if disability is None:
        return failed(say("eligibility.disability.none"))
    lookup = ctx.param(name)
    if lookup.value is None:
        return not_available(ctx, lookup)
    grades = lookup.value.data
    assert isinstance(grades, dict)
    citation = str(lookup.value.citation)
    scope = grades_text(grades)
    note = say("eligibility.disability.note", note=lookup.value.note) if lookup.value.note else ""
    allowed = grades.get(ANY_KIND, frozenset()) | grades.get(disability.kind or ANY_KIND, frozenset())
    if disability.kind is None and disability.grade not in allowed and any(
            disability.grade in levels for levels in grades.values()):
        # "有残疾证，二级": the grade is in scope for some kinds only; the kind decides.
        return unknown(say("eligibility.disability.kind_decides", disability=disability_text(disability),
                           label=lookup.spec.label, scope=scope), citation,
                       missing=("applicant.disability",))
    if disability.grade in allowed:
        return met(say("eligibility.disability.met", disability=disability_text(disability), label=lookup.spec.label,
                       scope=scope, note=note), citation,
                   needs_check=lookup.stale, warnings=stale_warnings(lookup))
    if disability.kind == "multiple" and set(grades) - {ANY_KIND}:
        return unknown(say("eligibility.disability.multiple", scope=scope), citation)
    return fail_or_stale(lookup, say("eligibility.disability.out_of_scope", disability=disability_text(disability),
                                     label=lookup.spec.label, scope=scope), citation)


def not_on_dibao(ctx: Context, citation: str | None) -> Condition:
    return bool_fact(
        ctx, "household.on_dibao", expected=False, citation=citation,
        when_true=say("eligibility.on_dibao.yes"), when_false=say("eligibility.on_dibao.no"),
    )


def hardship(ctx: Context, direct_name: str) -> Condition:
    """生活困难: verified by staff, unless the person is already in the low-income database."""
    direct = ctx.param(direct_name)
    if direct.value is not None and ctx.fact("household.low_income_family") is True:
        return met(say("eligibility.hardship.in_database"),
                   str(direct.value.citation), needs_check=direct.stale, warnings=stale_warnings(direct))
    return met(say("eligibility.hardship.checked"), needs_check=True)


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
    text = say("eligibility.dibao_gap.text", standard=monthly_standard_text(RESIDENCE_STANDARD[residence]),
               monthly=money(standard.monthly), size=size, income=money(income), gap=money(gap))
    warnings = stale_warnings(lookup)
    if lookup.stale:
        warnings += (say("eligibility.dibao_gap.from_expired", gap=money(gap)),)
    return AmountInfo(ProgramAmount(round(float(gap), 2), "元/月（全家）"),
                      (Reason(text, str(lookup.value.citation)),), warnings)


def dibao(ctx: Context) -> RuleResult:
    return RuleResult(income_vs_standard(ctx, exceeds=False), dibao_gap(ctx), notes=employment_deduction_note(ctx))


def dibao_individual(ctx: Context) -> RuleResult:
    citation = ctx.cite("dibao_individual_disability") or ctx.cite("dibao_individual_serious_illness")
    family = bool_fact(
        ctx, "household.low_income_family", expected=True, citation=citation, needs_check=True,
        when_true=say("eligibility.dibao_individual.family_yes"), when_false=say("eligibility.dibao_individual.family_no"),
    )
    person = any_of(qualifying_disability(ctx, "dibao_individual_disability"), serious_illness(ctx))
    return RuleResult(all_of(family, person))


def serious_illness(ctx: Context) -> Condition:
    ill = ctx.fact("applicant.seriously_ill")
    if ill is False:
        return failed(say("eligibility.serious_illness.no"))
    lookup = ctx.param("dibao_individual_serious_illness")
    if lookup.value is None:
        rule = not_available(ctx, lookup)
        if ill is UNKNOWN:
            return all_of(unknown(say("eligibility.serious_illness.needed"), missing=("applicant.seriously_ill",)), rule)
        return rule
    citation = str(lookup.value.citation)
    if ill is UNKNOWN:
        return unknown(say("eligibility.serious_illness.needed_individual"), citation,
                       missing=("applicant.seriously_ill",))
    return met(say("eligibility.serious_illness.yes"), citation,
               needs_check=True, warnings=stale_warnings(lookup))


def _age_against(ctx: Context, parameter: str, within: Callable[[int, int], bool],
                 met_text: str, failed_text: str) -> Condition:
    """The applicant's age against an age limit; the texts (reply keys) take {age} and {limit}."""
    age = ctx.fact("applicant.age")
    if age is UNKNOWN:
        return unknown(say("eligibility.age.needed"), missing=("applicant.age",))
    lookup = ctx.param(parameter)
    if lookup.value is None:
        return not_available(ctx, lookup)
    limit = lookup.value.data
    citation = str(lookup.value.citation)
    if within(age, limit):
        return met(say(met_text, age=age, limit=limit), citation)
    return failed(say(failed_text, age=age, limit=limit), citation)


def _elderly(ctx: Context) -> Condition:
    return _age_against(ctx, "tekun_elderly_min_age", lambda age, limit: age >= limit,
                        "eligibility.age.elderly", "eligibility.age.not_elderly")


def _minor(ctx: Context) -> Condition:
    return _age_against(ctx, "tekun_minor_age_limit", lambda age, limit: age < limit,
                        "eligibility.age.minor", "eligibility.age.not_minor")


def tekun(ctx: Context) -> RuleResult:
    citation = ctx.cite("tekun_conditions")
    conditions = available(ctx, "tekun_conditions", say("eligibility.tekun.measure"))
    no_work = bool_fact(
        ctx, "applicant.able_to_work", expected=False, citation=citation,
        when_true=say("eligibility.tekun.able_yes"), when_false=say("eligibility.tekun.able_no"),
    )
    if ctx.fact("applicant.has_income_source") == PENSION_ONLY:
        no_income = unknown(say("eligibility.tekun.income_pension_only"), citation)
    else:
        no_income = bool_fact(
            ctx, "applicant.has_income_source", expected=False, citation=citation, needs_check=True,
            when_true=say("eligibility.tekun.income_yes"), when_false=say("eligibility.tekun.income_no"),
        )
    no_supporter = bool_fact(
        ctx, "applicant.has_able_supporter", expected=False, citation=citation,
        when_true=say("eligibility.tekun.supporter_yes"), when_false=say("eligibility.tekun.supporter_no"),
    )
    category = any_of(_elderly(ctx), qualifying_disability(ctx, "tekun_disability"), _minor(ctx))
    condition = all_of(conditions, no_work, no_income, no_supporter, category)
    return RuleResult(condition, multiple_amount(ctx, "tekun_standard", "元/人/月"))


def _urgent(ctx: Context) -> RuleResult:
    emergency = ctx.fact("applicant.emergency")
    citation = ctx.cite("temporary_urgent")
    if emergency is UNKNOWN:
        situation = unknown(say("eligibility.urgent.needed"), citation, missing=("applicant.emergency",))
    elif emergency is None:
        situation = failed(say("eligibility.urgent.none"), citation)
    elif emergency == "other":
        situation = met(say("eligibility.urgent.other"), citation, needs_check=True)
    else:
        situation = met(say("eligibility.urgent.named", emergency=emergency_text(emergency)), citation)
    measure = available(ctx, "temporary_urgent", say("eligibility.urgent.measure"))
    return RuleResult(all_of(situation, measure), multiple_amount(ctx, "temporary_urgent_amount", "元/次"))


def _in_low_income_monitoring(ctx: Context, citation: str | None) -> Condition:
    on_dibao = ctx.fact("household.on_dibao")
    low_income = ctx.fact("household.low_income_family")
    if on_dibao is True or low_income is True:
        return met(say("eligibility.monitoring.yes"), citation)
    if on_dibao is False and low_income is False:
        return failed(say("eligibility.monitoring.no"), citation)
    missing = [p for p, v in (("household.on_dibao", on_dibao), ("household.low_income_family", low_income))
               if v is UNKNOWN]
    return unknown(say("eligibility.monitoring.needed"), citation, missing=missing)


def _expense(ctx: Context) -> RuleResult:
    cost = ctx.fact("applicant.medical_out_of_pocket_yearly")
    threshold = ctx.param("temporary_expense_medical_threshold")
    citation = ctx.cite("temporary_expense")
    measure = available(ctx, "temporary_expense", say("eligibility.expense.measure"))
    amount = multiple_amount(ctx, "temporary_expense_amount", "元/人")
    if threshold.value is not None:
        limit = threshold.value.data
        assert isinstance(limit, Amount)
        threshold_citation = str(threshold.value.citation)
        if cost is UNKNOWN:
            spending = unknown(say("eligibility.expense.needed_threshold", limit=money(limit.value)),
                               threshold_citation, missing=("applicant.medical_out_of_pocket_yearly",))
        elif cost >= limit.value:
            spending = met(say("eligibility.expense.reached", cost=money(cost), limit=money(limit.value)),
                           threshold_citation, needs_check=threshold.stale, warnings=stale_warnings(threshold))
        else:
            spending = fail_or_stale(threshold, say("eligibility.expense.not_reached", cost=money(cost), limit=money(limit.value)),
                                     threshold_citation)
        condition = all_of(spending, _in_low_income_monitoring(ctx, threshold_citation), measure)
        return RuleResult(condition, amount)
    if cost is UNKNOWN:
        spending = unknown(say("eligibility.expense.needed"), citation,
                           missing=("applicant.medical_out_of_pocket_yearly",))
    elif cost == 0:
        spending = failed(say("eligibility.expense.none"), citation)
    else:
        spending = met(say("eligibility.expense.some", cost=money(cost)),
                       citation, needs_check=True)
    return RuleResult(all_of(spending, measure), amount)


def _individual(ctx: Context) -> RuleResult:
    citation = ctx.cite("temporary_individual")
    migrant = bool_fact(
        ctx, "applicant.is_migrant_worker", expected=True, citation=citation,
        when_true=say("eligibility.individual.migrant_yes"), when_false=say("eligibility.individual.migrant_no"),
    )
    months = ctx.fact("applicant.unemployed_months")
    if _has_income(ctx):
        jobless = failed(say("eligibility.has_income"), citation)
    elif months is UNKNOWN:
        jobless = unknown(say("eligibility.individual.months_needed"), citation,
                          missing=("applicant.unemployed_months",))
    elif months == 0:
        jobless = failed(say("eligibility.individual.working"), citation)
    else:
        jobless = met(say("eligibility.individual.jobless", months=months), citation)
    no_support = bool_fact(
        ctx, "applicant.has_able_supporter", expected=False, citation=citation,
        when_true=say("eligibility.individual.support_yes"), when_false=say("eligibility.individual.support_no"),
    )
    measure = available(ctx, "temporary_individual", say("eligibility.individual.measure"), needs_check=True)
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
# long ago they stopped working ("eligibility.has_income"); the months without income are then not asked.


def _has_income(ctx: Context) -> bool:
    """An income of one's own, a pension of the residents' scheme included."""
    return ctx.fact("applicant.has_income_source") in (True, PENSION_ONLY)


def _months_without_income(ctx: Context) -> Condition:
    months = ctx.fact("applicant.unemployed_months")
    lookup = ctx.param("unemployed_one_off_months")
    if lookup.value is None:
        rule = not_available(ctx, lookup)
        if months is UNKNOWN:
            return all_of(unknown(say("eligibility.one_off.months_needed"), missing=("applicant.unemployed_months",)), rule)
        return rule
    required = lookup.value.data
    citation = str(lookup.value.citation)
    if _has_income(ctx):
        return failed(say("eligibility.has_income"), citation)
    if months is UNKNOWN:
        return unknown(say("eligibility.one_off.months_needed_required", required=required), citation,
                       missing=("applicant.unemployed_months",))
    if months >= required:
        return met(say("eligibility.one_off.months_reached", months=months, required=required), citation,
                   needs_check=lookup.stale, warnings=stale_warnings(lookup))
    return fail_or_stale(lookup, say("eligibility.one_off.months_short", months=months, required=required), citation)


def unemployed_one_off(ctx: Context) -> RuleResult:
    citation = ctx.cite("unemployed_one_off")
    measure = available(ctx, "unemployed_one_off", say("eligibility.one_off.measure"))
    not_insured = bool_fact(
        ctx, "applicant.unemployment_insured", expected=False, citation=citation,
        when_true=say("eligibility.one_off.insured_yes"), when_false=say("eligibility.one_off.insured_no"),
    )
    condition = all_of(
        measure, not_on_dibao(ctx, citation), _months_without_income(ctx), not_insured,
        hardship(ctx, "unemployed_one_off_direct"),
    )
    return RuleResult(condition, multiple_amount(ctx, "unemployed_one_off_amount", "元"))


def graduate_assistance(ctx: Context) -> RuleResult:
    citation = ctx.cite("graduate_assistance")
    measure = available(ctx, "graduate_assistance", say("eligibility.graduate.measure"))
    graduate = bool_fact(
        ctx, "applicant.is_unemployed_graduate", expected=True, citation=citation,
        when_true=say("eligibility.graduate.yes"), when_false=say("eligibility.graduate.no"),
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
        text = say("eligibility.gradual_exit.fixed", months=months.min)
    else:
        text = say("eligibility.gradual_exit.range", min=months.min, max=months.max)
    return met(text, str(lookup.value.citation), needs_check=True, warnings=stale_warnings(lookup))


def gradual_exit(ctx: Context) -> RuleResult:
    on_dibao = bool_fact(
        ctx, "household.on_dibao", expected=True, citation=ctx.cite("gradual_exit_months"),
        when_true=say("eligibility.gradual_exit.on_dibao_yes"), when_false=say("eligibility.gradual_exit.on_dibao_no"),
    )
    return RuleResult(all_of(on_dibao, income_vs_standard(ctx, exceeds=True), _exit_period(ctx)))
