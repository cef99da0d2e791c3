"""Screening: every program's rule applied to the facts, as the API's JSON.

Outcomes: `eligible` (every condition met), `likely` (met as far as a chat can tell; still to be
verified, e.g. household finances by 核对, or resting on a document no longer in force),
`ineligible` (a condition definitely fails), `unknown` (facts missing, listed in `missing`, or no
parameter in force). `missing` lists only facts that would still change the outcome, so it is
empty unless the outcome is unknown.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, TypeVar

from bot import replies
from bot.eligibility import rules
from bot.eligibility.facts import FIELD_ORDER, FIELD_PATHS, Facts, InvalidInput, facts_from_request
from bot.eligibility.parameters import ParameterSet
from bot.eligibility.rules import Context, ProgramAmount, Reason, RuleResult, Status
from bot.regions import COVERED_PROVINCES, display_name, get_region

ELIGIBLE, LIKELY, INELIGIBLE, UNKNOWN_OUTCOME = "eligible", "likely", "ineligible", "unknown"

Rule = Callable[[Context], RuleResult]
PROGRAMS: tuple[tuple[str, str, Rule], ...] = (
    ("dibao", "最低生活保障（低保）", rules.dibao),
    ("dibao_individual", "单独申请低保（单人保）", rules.dibao_individual),
    ("tekun", "特困人员救助供养", rules.tekun),
    ("temporary_assistance", "临时救助", rules.temporary_assistance),
    ("unemployed_one_off", "未参保失业人员一次性临时救助金", rules.unemployed_one_off),
    ("graduate_assistance", "未就业大学生临时救助", rules.graduate_assistance),
    ("gradual_exit", "低保渐退期", rules.gradual_exit),
)

T = TypeVar("T")


@dataclass(frozen=True)
class ProgramResult:
    program: str
    name: str
    outcome: str
    kind: str | None
    amount: ProgramAmount | None
    reasons: tuple[Reason, ...]
    missing: tuple[str, ...]
    warnings: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "program": self.program,
            "name": self.name,
            "outcome": self.outcome,
            "kind": self.kind,
            "amount": self.amount.to_json() if self.amount else None,
            "reasons": [reason.to_json() for reason in self.reasons],
            "missing": list(self.missing),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class ScreeningResult:
    as_of: dt.date
    region: str | None
    programs: tuple[ProgramResult, ...]

    def program(self, program_id: str) -> ProgramResult:
        for result in self.programs:
            if result.program == program_id:
                return result
        raise KeyError(program_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "region": self.region,
            "programs": [program.to_json() for program in self.programs],
        }


@lru_cache(maxsize=1)
def shipped_parameters() -> ParameterSet:
    """`data/parameters` (the shipped defaults), read once per process."""
    return ParameterSet.from_directory()


def default_parameters() -> ParameterSet:
    """The shipped defaults with the local standards approved in the registry, reloaded in this
    process soon after an approval (bot/standards/current.py)."""
    from bot.standards.current import LIVE  # the registry imports this module

    return LIVE()


def _unique(items: Iterable[T]) -> tuple[T, ...]:
    return tuple(dict.fromkeys(items))


def _in_field_order(paths: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(paths), key=FIELD_ORDER.__getitem__))


def _outcome(status: Status, needs_check: bool) -> str:
    if status is Status.FAILED:
        return INELIGIBLE
    if status is Status.UNKNOWN:
        return UNKNOWN_OUTCOME
    return LIKELY if needs_check else ELIGIBLE


def _program_result(program: str, name: str, result: RuleResult) -> ProgramResult:
    condition = result.condition
    outcome = _outcome(condition.status, condition.needs_check)
    reasons = condition.reasons + result.notes
    warnings = condition.warnings
    amount = None
    if outcome != INELIGIBLE and result.amount is not None:
        amount = result.amount.amount
        reasons += result.amount.reasons
        warnings += result.amount.warnings
    return ProgramResult(
        program=program,
        name=name,
        outcome=outcome,
        kind=result.kind if outcome != INELIGIBLE else None,
        amount=amount,
        reasons=_unique(reasons),
        missing=_in_field_order(condition.missing) if outcome == UNKNOWN_OUTCOME else (),
        warnings=_unique(warnings),
    )


def _undecided(reason: str, missing: tuple[str, ...]) -> tuple[ProgramResult, ...]:
    return tuple(
        ProgramResult(program, name, UNKNOWN_OUTCOME, None, None, (Reason(reason),), missing, ())
        for program, name, _rule in PROGRAMS
    )


def screen(facts: Facts, parameters: ParameterSet | None = None) -> ScreeningResult:
    """Every program for these facts, on facts.as_of."""
    region = facts.region
    if region is None:
        programs = _undecided(replies.text("eligibility.need_region"), ("region",))
    elif not (known := get_region(region)) or not known.covered:
        place = display_name(region)
        programs = _undecided(replies.text("eligibility.not_covered", covered="、".join(COVERED_PROVINCES), place=place), ())
    else:
        context = Context(facts, parameters if parameters is not None else default_parameters())
        programs = tuple(_program_result(program, name, rule(context)) for program, name, rule in PROGRAMS)
    return ScreeningResult(facts.as_of, region, programs)


def questions_needed(result: ScreeningResult) -> list[str]:
    """The facts still missing for any program, in FIELD_PATHS order."""
    missing = {path for program in result.programs for path in program.missing}
    return [path for path in FIELD_PATHS if path in missing]


def screening_response(body: Any, today: dt.date) -> tuple[dict[str, Any], int]:
    """The `POST /api/screening` response for a request body: (JSON, HTTP status)."""
    try:
        facts = facts_from_request(body, today)
    except InvalidInput as exc:
        return {"error": exc.message, "field": exc.field_path}, 400
    return screen(facts).to_json(), 200
