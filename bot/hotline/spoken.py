"""Numbers as speech-to-text writes them on a phone call.

Callers read phone and ID numbers out digit by digit ("一三九 一二三四 五六七八", "幺三七…"),
and the platform's speech recognition writes them in Chinese characters or in groups of digits
with spaces. `read_out_digits` turns every such run of at least seven digits into one ASCII
number; shorter runs are left alone ("三四千", "一二级" are not numbers read out), except the
four digits after "最后四位是" / "尾号", which correct the end of a number just given.
`address_numerals` writes the numbers of an address in Arabic numerals ("三组十二号" → "3组12号").
"""
from __future__ import annotations

import re

from bot.core.privacy import SPOKEN_DIGITS as DIGIT_OF, redact
from bot.knowledge.importer import chinese_to_int

MIN_READ_OUT_DIGITS = 7
_DIGIT = "零〇洞一幺二三四五六七八九0-9"
_RUN_RE = re.compile(rf"[{_DIGIT}](?:[ \t,，、-]*[{_DIGIT}])*(?:[ \t]*[xX叉](?![\u4e00-\u9fff]))?")
_TAIL_CUE_RE = re.compile(r"(?:最后|后|末尾|尾号)(?:的)?(?:四|4)位(?:数字|数)?(?:是|应该是|改成|改为)?|尾号(?:是)?")
_TAIL_RE = re.compile(rf"[ \t]*((?:[{_DIGIT}][ \t]*){{4}})(?![{_DIGIT}])")
# Numerals of an address: before a unit of the address, or the room number ending it.
_ADDRESS_UNITS = "组号楼单元室层排巷栋幢户队院"
_ADDRESS_NUMBER_RE = re.compile(
    rf"([零〇一二两三四五六七八九十百]+)(?=[{_ADDRESS_UNITS}])|([零〇一二两三四五六七八九]{{2,5}})$"
)


def _digits(run: str) -> str:
    out = []
    for char in run:
        if char.isdigit():
            out.append(char)
        elif char in DIGIT_OF:
            out.append(DIGIT_OF[char])
        elif char in "xX叉":
            out.append("X")
    return "".join(out)


def read_out_digits(text: str) -> str:
    """The text with every number read out digit by digit written as one ASCII number."""

    def number(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = _digits(run)
        if len(digits.rstrip("X")) < MIN_READ_OUT_DIGITS:
            return run
        trailing = run[len(run.rstrip(" \t,，、-")):]
        return digits + trailing

    return _read_tails(_RUN_RE.sub(number, text))


def _read_tails(text: str) -> str:
    """"最后四位是一二四三" → "最后四位是1243"."""
    out, last = [], 0
    for cue in _TAIL_CUE_RE.finditer(text):
        tail = _TAIL_RE.match(text, cue.end())
        if tail is None:
            continue
        out += [text[last:tail.start(1)], _digits(tail.group(1))]
        last = tail.end(1)
    out.append(text[last:])
    return "".join(out)


def tail_correction(text: str) -> str | None:
    """The four digits a caller gives as the end of a number ("尾号是1243"), if any."""
    found = None
    for cue in _TAIL_CUE_RE.finditer(text):
        tail = re.match(r"[ \t]*(\d{4})(?!\d)", text[cue.end():])
        if tail:
            found = tail.group(1)
    return found


def chinese_numeral(text: str) -> int | None:
    """"十二" → 12, "一百零五" → 105, "三零一" (read out) → 301; None when it is not a number."""
    text = text.replace("两", "二")
    if "十" not in text and "百" not in text:
        digits = _digits(text)
        return int(digits) if text and digits.isdigit() and len(digits) == len(text) else None
    try:
        return chinese_to_int(text)
    except ValueError:
        return None


def address_numerals(address: str) -> str:
    """The numbers of an address in Arabic numerals: "六号楼二单元三零一" → "6号楼2单元301"."""

    def arabic(match: re.Match[str]) -> str:
        value = chinese_numeral(match.group(0))
        return match.group(0) if value is None else str(value)

    return _ADDRESS_NUMBER_RE.sub(arabic, address)


def masked_speech(text: str) -> str:
    """The utterance as the panel shows it: numbers read out written as numbers, then phone and
    ID numbers masked ("电话一三九一二三四五六七八" → "电话139****5678")."""
    return redact(read_out_digits(text))
