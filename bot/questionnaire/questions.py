"""Options to tap for the questionnaire's questions, and the regions a resident has named.

Every closed question (yes/no, 城市/农村, …) comes with buttons: the chat page shows them, WeChat
numbers them. A button's payload is its title, so a tap reads exactly like the typed answer;
"转人工" asks for a person.
"""
from __future__ import annotations

from typing import Iterable

from bot import replies
from bot.regions import get_region

YES_NO = ("yes", "no", "unknown")
HAVE = ("have", "have_not", "unknown")
BUTTONS = {
    "sc_residence": ("urban", "rural"),
    "sc_monthly_income": ("no_income",),
    "sc_on_dibao": YES_NO,
    "sc_low_income_family": YES_NO,
    "sc_disability": ("have_not", "unknown"),
    "sc_seriously_ill": HAVE,
    "sc_able_to_work": ("can", "cannot", "unknown"),
    "sc_has_income_source": HAVE,
    "sc_has_able_supporter": ("have", "have_not", "have_but_unable"),
    "sc_unemployment_insured": HAVE,
    "sc_is_migrant_worker": YES_NO,
    "sc_is_unemployed_graduate": YES_NO,
    "sc_medical_out_of_pocket": ("have_not", "unknown"),
    "sc_emergency": ("have_not", "fire", "accident", "illness", "disaster"),
}
HUMAN_PAYLOAD = "/request_human"


def button(key: str) -> dict[str, str]:
    title = replies.text(f"questionnaire.buttons.{key}")
    return {"title": title, "payload": HUMAN_PAYLOAD if key == "human" else title}


def ask_buttons(slot: str) -> list[dict[str, str]]:
    """The options of a closed question (none for an open one such as the age)."""
    return [button(key) for key in BUTTONS.get(slot, ())]


def options_buttons(slot: str) -> list[dict[str, str]]:
    """After a second answer that could not be read: the options, a way to skip, a person."""
    keys = list(BUTTONS.get(slot, ()))
    if slot != "region":
        keys += [k for k in ("unknown", "skip") if k not in keys]
    return [button(key) for key in [*keys, "human"]]


def distinct_regions(names: Iterable[str]) -> list[str]:
    """The places named, without one inside another (运城市 and 运城市盐湖区 are one place)."""
    kept: list[str] = []
    for name in names:
        region = get_region(name)
        if region is None or not region.covered:
            continue
        if any(name.startswith(k) for k in kept):
            continue
        kept = [k for k in kept if not k.startswith(name)] + [name]
    return kept
