"""Which question to ask next, and how the answers and the result are put to the resident.

Answers are kept per screening field path ("household.size": 3). The rules engine says which
facts would still change an outcome (`questions_needed`); the questionnaire asks those, in the
engine's order, except where an answer already makes a question pointless (a 70-year-old is not
asked whether they are a recent graduate).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from bot.eligibility.engine import ScreeningResult, default_parameters, questions_needed, screen
from bot.eligibility.facts import PENSION_ONLY, facts_from_request
from bot.eligibility.parameters import CATALOGUE
from bot import replies
from bot.questionnaire.answers import NONE, UNKNOWN, UNSTATED_KIND
from bot.regions import display_name

SLOT_FOR_PATH = {
    "region": "region",
    "residence": "sc_residence",
    "household.size": "sc_household_size",
    "household.monthly_income": "sc_monthly_income",
    "household.on_dibao": "sc_on_dibao",
    "household.low_income_family": "sc_low_income_family",
    "applicant.age": "sc_age",
    "applicant.disability": "sc_disability",
    "applicant.seriously_ill": "sc_seriously_ill",
    "applicant.able_to_work": "sc_able_to_work",
    "applicant.has_income_source": "sc_has_income_source",
    "applicant.has_able_supporter": "sc_has_able_supporter",
    "applicant.unemployed_months": "sc_unemployed_months",
    "applicant.unemployment_insured": "sc_unemployment_insured",
    "applicant.is_migrant_worker": "sc_is_migrant_worker",
    "applicant.is_unemployed_graduate": "sc_is_unemployed_graduate",
    "applicant.medical_out_of_pocket_yearly": "sc_medical_out_of_pocket",
    "applicant.emergency": "sc_emergency",
}
PATH_FOR_SLOT = {slot: path for path, slot in SLOT_FOR_PATH.items()}
# Questions not worth asking at some ages; the assumption is shown in the summary.
GRADUATE_MAX_AGE = 35  # a recent graduate older than this is unlikely
MIGRANT_WORKER_MAX_AGE = 60  # past the usual working age
DISABILITY_NAMES = {
    "physical": "肢体", "visual": "视力", "hearing": "听力", "speech": "言语",
    "intellectual": "智力", "mental": "精神", "multiple": "多重",
}
EMERGENCY_NAMES = {
    "fire": "火灾", "traffic_accident": "交通事故", "sudden_illness": "突发重病",
    "disaster": "自然灾害", "other": "其他突发困难",
}
OUTCOME_NAMES = {
    "eligible": "符合条件",
    "likely": "可能符合（还需核对家庭经济状况）",
    "unknown": "暂时无法判断",
    "ineligible": "不符合",
}
LABELS = {
    "region": "所在地区",
    "residence": "城乡",
    "household.size": "家庭人口",
    "household.monthly_income": "家庭月收入",
    "household.on_dibao": "是否低保户",
    "household.low_income_family": "是否低保边缘/低收入家庭",
    "applicant.age": "年龄",
    "applicant.disability": "残疾情况",
    "applicant.seriously_ill": "是否患重病",
    "applicant.able_to_work": "有无劳动能力",
    "applicant.has_income_source": "本人有无收入来源",
    "applicant.has_able_supporter": "有无能赡养（抚养、扶养）的家人",
    "applicant.unemployed_months": "连续无收入月数",
    "applicant.unemployment_insured": "是否有失业保险",
    "applicant.is_migrant_worker": "是否外出务工人员",
    "applicant.is_unemployed_graduate": "是否未就业大学毕业生",
    "applicant.medical_out_of_pocket_yearly": "一年看病自付费用",
    "applicant.emergency": "近期突发困难",
}


def answers_from_slots(slots: Mapping[str, Any]) -> dict[str, Any]:
    return {path: slots.get(slot) for path, slot in SLOT_FOR_PATH.items() if slots.get(slot) is not None}


def known_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers the rules can use: "不清楚" (UNKNOWN) is asked and answered, but not a fact."""
    return {path: value for path, value in answers.items() if value != UNKNOWN}


def assumptions(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Facts the questionnaire takes as given instead of asking (shown in the summary)."""
    age = answers.get("applicant.age")
    assumed: dict[str, Any] = {}
    if not isinstance(age, (int, float)) or isinstance(age, bool):
        return assumed
    if age > GRADUATE_MAX_AGE and "applicant.is_unemployed_graduate" not in answers:
        assumed["applicant.is_unemployed_graduate"] = False
    if age is not None and age >= MIGRANT_WORKER_MAX_AGE and "applicant.is_migrant_worker" not in answers:
        assumed["applicant.is_migrant_worker"] = False
    return assumed


def request_body(answers: Mapping[str, Any], as_of: dt.date | None = None) -> dict[str, Any]:
    """The screening API's request for these answers (omitted = unknown)."""
    body: dict[str, Any] = {"household": {}, "applicant": {}}
    if as_of:
        body["as_of"] = as_of.isoformat()
    for path, value in {**assumptions(answers), **known_answers(answers)}.items():
        if path == "applicant.disability":
            value = None if value == NONE else _disability_fact(value)
        elif path == "applicant.emergency" and value == NONE:
            value = None
        head, _, tail = path.partition(".")
        if tail:
            body[head][tail] = value
        else:
            body[head] = value
    return body


def _disability(value: str) -> tuple[str, int]:
    kind, _, grade = value.partition(":")
    return kind, int(grade)


def _disability_fact(value: str) -> dict[str, Any]:
    """The screening API's disability: the kind left out when only the grade was said."""
    kind, grade = _disability(value)
    return {"grade": grade} if kind == UNSTATED_KIND else {"kind": kind, "grade": grade}


def screen_answers(answers: Mapping[str, Any], as_of: dt.date) -> ScreeningResult:
    return screen(facts_from_request(request_body(answers, as_of), as_of))


def next_questions(answers: Mapping[str, Any], as_of: dt.date, screened: ScreeningResult | None = None) -> list[str]:
    """The questions still worth asking; `screened` is screen_answers(answers, as_of) when the
    caller has it already."""
    known = {**assumptions(answers), **answers}  # "不清楚" counts as answered: not asked again
    screened = screened if screened is not None else screen_answers(answers, as_of)
    return [p for p in questions_needed(screened) if p not in known]


def describe(path: str, value: Any) -> str:
    if value == UNKNOWN:
        return replies.text("questionnaire.unknown_answer")
    if isinstance(value, bool):
        return "是" if value else "否"
    if value == PENSION_ONLY:
        return replies.text("questionnaire.pension_only")
    if path == "region":
        return display_name(value)
    if path == "residence":
        return "城市（城镇）" if value == "urban" else "农村"
    if path == "household.size":
        return f"{value}口人"
    if path in ("household.monthly_income", "applicant.medical_out_of_pocket_yearly"):
        return f"{value:g}元"
    if path == "applicant.age":
        return f"{value}岁"
    if path == "applicant.unemployed_months":
        return f"{value}个月"
    if path == "applicant.disability":
        if value == NONE:
            return "无"
        kind, grade = _disability(value)
        if kind == UNSTATED_KIND:
            return replies.text("questionnaire.disability_grade_only", grade=grade)
        return f"{DISABILITY_NAMES[kind]}残疾{grade}级"
    if path == "applicant.emergency":
        return "无" if value == NONE else EMERGENCY_NAMES.get(value, value)
    return str(value)


def summary_text(answers: Mapping[str, Any]) -> str:
    say = replies.text
    lines = [say("questionnaire.summary.title")]
    for path in SLOT_FOR_PATH:
        if path in answers:
            lines.append(say("questionnaire.summary.line", label=LABELS[path], value=describe(path, answers[path])))
    for path, value in assumptions(answers).items():
        lines.append(say("questionnaire.summary.assumed", label=LABELS[path], value=describe(path, value)))
    lines.append(say("questionnaire.summary.how_to_correct"))
    return "\n".join(lines)


RESULT_MAX_CHARS = 500  # the first message of the result fits a phone screen or two
POSSIBLE = ("eligible", "likely")


def short_name(program: str) -> str:
    return replies.text(f"questionnaire.program_short.{program}")


def _amount(amount: Mapping[str, Any]) -> str:
    return f"{amount['value']:g}{amount['unit']}"


def _first_sentence(text: str) -> str:
    head, mark, _rest = text.partition("：")
    return head + "。" if mark else text


def result_text(result: ScreeningResult) -> str:
    """The result's first message (at most RESULT_MAX_CHARS): what looks possible, what is
    undecided and the one fact that would decide it, what does not fit, each warning once, and
    the next step. The reasons and citations come on request (`reasons_text`)."""
    data = result.to_json()
    say = replies.text
    possible = [
        say("questionnaire.result.amount", program=short_name(p["program"]), amount=_amount(p["amount"]))
        if p.get("amount") else short_name(p["program"])
        for p in data["programs"] if p["outcome"] in POSSIBLE
    ]
    # Undecided without a fact to ask: what decides it and who checks it, said per program where
    # the catalogue has it (低保 where the local standard is not in the documents, as in 运城).
    staff = replies.group("questionnaire.result.undecided_staff_by_program")
    undecided = [
        say("questionnaire.result.undecided_item", program=short_name(p["program"]),
            fact=LABELS.get(p["missing"][0], p["missing"][0]))
        if p["missing"] else say("questionnaire.result.undecided_staff", program=short_name(p["program"]))
        if p["program"] not in staff else staff[p["program"]].format(program=short_name(p["program"]))
        for p in data["programs"] if p["outcome"] == "unknown"
    ]
    ineligible = [short_name(p["program"]) for p in data["programs"] if p["outcome"] == "ineligible"]
    # Each warning once; the ones about an amount are kept with that program's reasons.
    warnings: list[str] = []
    for program in data["programs"]:
        if program["outcome"] == "ineligible":
            continue
        figure = f"{program['amount']['value']:g}元" if program.get("amount") else None
        for warning in program["warnings"]:
            if (figure is None or figure not in warning) and warning not in warnings:
                warnings.append(warning)
    lines = [say("questionnaire.result.heading")]
    if possible:
        lines.append(say("questionnaire.result.possible", programs="；".join(possible)))
    if undecided:
        lines.append(say("questionnaire.result.undecided", programs="；".join(undecided)))
    if not possible and not undecided:
        lines.append(say("questionnaire.result.none_possible"))
    tail = [say("questionnaire.result.next_step")]
    optional = [say("questionnaire.result.ineligible", programs="、".join(ineligible))] if ineligible else []
    notes = [say("questionnaire.result.warning", warning=w) for w in warnings]
    text = "\n".join([*lines, *notes, *optional, *tail])
    if len(text) > RESULT_MAX_CHARS:  # the long warnings shortened to their first sentence
        notes = [say("questionnaire.result.warning", warning=_first_sentence(w)) for w in warnings]
        text = "\n".join([*lines, *notes, *optional, *tail])
    if len(text) > RESULT_MAX_CHARS:
        text = "\n".join([*lines, *notes, *tail])
    return text[:RESULT_MAX_CHARS]


def result_programs(result: ScreeningResult) -> list[str]:
    """The programs whose reasons are offered with the result (possible first, then undecided)."""
    programs = result.to_json()["programs"]
    return [p["program"] for p in programs if p["outcome"] in POSSIBLE] + [
        p["program"] for p in programs if p["outcome"] == "unknown"]


def reasons_text(result: ScreeningResult, program: str | None = None) -> str:
    """Each program's outcome with its reasons, citations, what is missing and its warnings."""
    chosen = [p for p in result.to_json()["programs"]
              if (p["program"] == program if program else p["outcome"] != "ineligible")]
    if program and not chosen:
        chosen = [p for p in result.to_json()["programs"] if p["outcome"] != "ineligible"]
    lines = []
    for p in chosen:
        lines.append(replies.text("questionnaire.result.reasons_heading", program=p["name"],
                                  outcome=OUTCOME_NAMES[p["outcome"]]))
        if p.get("amount"):
            lines.append("  " + replies.text("questionnaire.result.amount_line", amount=_amount(p["amount"])))
        for reason in p["reasons"]:
            lines.append(f"  · {reason['text']}（{reason['citation']}）" if reason.get("citation") else f"  · {reason['text']}")
        if p["missing"]:
            lines.append("  " + replies.text("questionnaire.result.missing",
                                              facts="、".join(LABELS.get(m, m) for m in p["missing"])))
        for warning in p["warnings"]:
            lines.append("  " + replies.text("questionnaire.result.warning", warning=warning))
    return "\n".join(lines)


def facts_text(facts: Mapping[str, Any]) -> str:
    """Facts in one line, in the questionnaire's order ("家庭人口：3口人；年龄：72岁")."""
    return "；".join(f"{LABELS[path]}：{describe(path, facts[path])}" for path in SLOT_FOR_PATH if path in facts)


def answers_line(answers: Mapping[str, Any]) -> str:
    """The answers in one line, with how to correct one."""
    return replies.text("questionnaire.result.answers_line", answers=facts_text(answers))


def screening_snapshot(answers: Mapping[str, Any], as_of: dt.date) -> dict[str, Any] | None:
    """What an application keeps of the screening: answers, outcomes with reasons, and the
    parameter values (with the document and date they took effect) the result rested on."""
    if not answers:
        return None
    result = screen_answers(answers, as_of)
    versions: dict[str, Any] = {}
    region = answers.get("region")
    if region:
        parameters = default_parameters()
        for name in CATALOGUE:
            value = parameters.lookup(name, region, as_of).value
            if value is not None:
                versions[name] = {"region": value.region, "effective": value.effective.isoformat(),
                                  "citation": str(value.citation)}
    return {
        "answers": {**assumptions(answers), **known_answers(answers)},
        "summary": summary_text(answers),
        **result.to_json(),
        "parameters": versions,
    }


def screening_brief(answers: Mapping[str, Any], as_of: dt.date) -> str | None:
    """A few lines for staff taking over a conversation: the answers and each outcome."""
    if not answers:
        return None
    lines = [f"{LABELS[path]}：{describe(path, value)}" for path, value in answers.items() if path in LABELS]
    for program in screen_answers(answers, as_of).programs:
        lines.append(f"【{program.name}】{OUTCOME_NAMES[program.outcome]}")
    return "\n".join(lines)
