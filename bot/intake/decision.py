"""办结 as a structured decision: 批准 (the program, the monthly amount and the first month paid),
不予批准 or 转其他救助, each with its reasons, which staff pick from the screening snapshot's cited
reasons or write themselves; and what the resident is told."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from bot import replies
from bot.core.errors import InvalidField
from bot.core.privacy import redact

KINDS = {"approved": "批准", "rejected": "不予批准", "referred": "转其他救助"}
MAX_AMOUNT = 100_000
MAX_REASON_CHARS = 300
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Reason:
    text: str
    citation: str = ""

    def to_json(self) -> dict[str, str]:
        return {"text": self.text, "citation": self.citation}


def snapshot_reasons(screening: Mapping[str, Any] | None,
                     programs: Sequence[str] | None = None) -> list[tuple[str, Reason]]:
    """(key, reason) of every reason in the screening snapshot (of these programs, when given),
    with its citation, keyed "program:index"."""
    found = []
    for program in (screening or {}).get("programs") or []:
        if not isinstance(program, dict) or (programs is not None and program.get("program") not in programs):
            continue
        for index, reason in enumerate(program.get("reasons") or []):
            if isinstance(reason, dict) and reason.get("text"):
                found.append((f"{program.get('program')}:{index}",
                              Reason(str(reason["text"]), str(reason.get("citation") or ""))))
    return found


def build(kind: str, *, programs: Sequence[str], screening: Mapping[str, Any] | None,
          program: str | None = None, amount: str | None = None, start_month: str | None = None,
          reason_keys: Sequence[str] = (), own_reason: str | None = None,
          referred_to: str | None = None, today: dt.date) -> dict[str, Any]:
    """The decision as stored; InvalidField naming what is missing or wrong."""
    if kind not in KINDS:
        raise InvalidField("decision", replies.text("casework.errors.decision_kind"))
    chosen = dict(snapshot_reasons(screening))
    reasons = [chosen[key] for key in reason_keys if key in chosen]
    own = " ".join((own_reason or "").split())[:MAX_REASON_CHARS]
    if own:
        reasons.append(Reason(own))
    decision: dict[str, Any] = {"kind": kind, "reasons": [reason.to_json() for reason in reasons]}
    if kind in ("approved", "rejected"):
        if program not in programs:
            raise InvalidField("program", replies.text("casework.errors.decision_program"))
        decision["program"] = program
    if kind == "approved":
        decision["amount"] = _amount(amount)
        decision["start_month"] = _month(start_month, today)
    elif not reasons:
        raise InvalidField("reasons", replies.text("casework.errors.decision_reasons"))
    if kind == "referred":
        target = " ".join((referred_to or "").split())[:64]
        if not target:
            raise InvalidField("referred_to", replies.text("casework.errors.decision_referred"))
        decision["referred_to"] = target
    return decision


def _amount(text: str | None) -> float:
    try:
        value = float((text or "").strip())
    except ValueError:
        raise InvalidField("amount", replies.text("casework.errors.decision_amount")) from None
    if not 0 < value <= MAX_AMOUNT:
        raise InvalidField("amount", replies.text("casework.errors.decision_amount"))
    return round(value, 2)


def _month(text: str | None, today: dt.date) -> str:
    match = _MONTH_RE.match((text or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or not today.year - 1 <= int(match[1]) <= today.year + 1:
        raise InvalidField("start_month", replies.text("casework.errors.decision_start"))
    return match[0]


def summary(decision: Mapping[str, Any], program_names: Mapping[str, str]) -> str:
    """One line for the history and the lists: "批准 最低生活保障 每月780元 自2027-01"."""
    parts = [KINDS.get(decision.get("kind", ""), "")]
    if decision.get("program"):
        parts.append(program_names.get(decision["program"], decision["program"]))
    if decision.get("amount") is not None:
        parts.append(f"每月{decision['amount']:g}元 自{decision.get('start_month', '')}")
    if decision.get("referred_to"):
        parts.append(f"转{decision['referred_to']}")
    return " ".join(part for part in parts if part)


def notice(number: str, decision: Mapping[str, Any], program_names: Mapping[str, str], note: str | None) -> str:
    """What the resident is told: the decision first, then its basis."""
    kind = decision.get("kind")
    reasons = decision.get("reasons") or []
    reason_text = "；".join(_reason_text(reason) for reason in reasons)
    extra = redact(note or "").strip().rstrip("。")
    extra = f"{extra}。" if extra else ""
    program = program_names.get(decision.get("program", ""), decision.get("program", ""))
    if kind == "approved":
        citations = "、".join(dict.fromkeys(r["citation"] for r in reasons if r.get("citation")))
        basis = replies.text("casework.decision.basis", citations=citations) if citations else ""
        year, month = decision["start_month"].split("-")
        return replies.text("casework.decision.approved", number=number, program=program,
                            amount=f"{decision['amount']:g}", start=f"{year}年{int(month)}月", basis=basis,
                            note=extra)
    if kind == "rejected":
        return replies.text("casework.decision.rejected", number=number, program=program,
                            reasons=reason_text, note=extra)
    clause = replies.text("casework.decision.reasons_clause", reasons=reason_text) if reason_text else ""
    return replies.text("casework.decision.referred", number=number, referred_to=decision.get("referred_to", ""),
                        reasons_clause=clause, note=extra)


def _reason_text(reason: Mapping[str, str]) -> str:
    text = str(reason.get("text", "")).rstrip("。；")
    return f"{text}（{reason['citation']}）" if reason.get("citation") else text
