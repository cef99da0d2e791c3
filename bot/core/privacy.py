"""Personal data: one normaliser for ID and mobile numbers, validation with polite Chinese
messages, masking, redaction of free text, encryption at rest and keyed look-ups.

- Numbers are read the way people type or say them: full-width digits, digits written in Chinese
  ("一三七…", "幺", "洞"), and any separators between the digits (spaces, one per digit, tabs,
  dashes of every kind, dots; commas between digits read out). `personal_numbers` finds them in
  free text; validation, masking and redaction all use it.
- Resident ID numbers: GB 11643-1999, birth date and check character read with python-stdnum
  (`stdnum.cn.ric`); mobile
  numbers: mainland China, 11 digits starting 13–19.
- `redact` masks every ID and mobile number inside free text; `install_log_redaction` applies it
  to every log record.
- `encrypt`/`decrypt`: columns that hold ID and mobile numbers are encrypted (Fernet); `lookup_digest`
  is the keyed HMAC that finds a number without storing it in clear. `seal`/`unseal` keep an
  application's answers in a conversation as ciphertext.
- Keys come from INTAKE_SECRET; secrets being rotated out go in INTAKE_SECRET_PREVIOUS (comma
  separated): data under them stays readable and findable until `python -m bot.intake.cli
  rotate-keys` has re-encrypted it under the new secret.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterator, Optional

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from bot.core.calendar import local_now
from bot.core.errors import InvalidField
from bot.text import fold_width, has_chinese

__all__ = [
    "InvalidField", "PersonalNumber", "personal_numbers", "number_digits", "find_mobile",
    "find_id_number", "validate_name", "validate_mobile", "validate_id_number", "validate_address",
    "mask_mobile", "mask_id_number", "mask_name", "redact", "install_log_redaction",
    "encrypt", "decrypt", "lookup_digest", "lookup_digests", "id_digest", "mobile_digest",
    "seal", "unseal", "rotate",
]

log = logging.getLogger(__name__)

# GB/T 2260 province-level codes (first two characters of an ID number); 83 is used on the
# residence permits of Taiwan residents (台湾居民居住证).
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
})
EARLIEST_BIRTH = dt.date(1900, 1, 1)

# Production sets INTAKE_SECRET; this fixed value only serves development and tests.
DEVELOPMENT_SECRET = "intake-development-secret-not-for-production"

MESSAGES = {
    "name_missing": "请告诉我申请人的姓名。",
    "name_length": "姓名应为2到20个字，请核对后重新输入。",
    "name_characters": "姓名只能包含汉字（少数民族姓名可以用“·”隔开），外籍人士可以用英文字母，请不要输入数字或符号。",
    "mobile": "手机号码应为11位数字、以1开头，例如“139××××××××”，请核对后重新输入。",
    "id_old": "15位的老身份证号码已停止使用，请提供18位的居民身份证号码。",
    "id_length": "居民身份证号码应为18位，您输入的是{n}位，请核对后重新输入。",
    "id_characters": "居民身份证号码前17位应为数字，最后一位是数字或字母X，请核对后重新输入。",
    "id_region": "居民身份证号码的前两位（省份代码）不正确，请核对后重新输入。",
    "id_birth": "居民身份证号码第7到14位的出生日期不正确，请核对后重新输入。",
    "id_check": "居民身份证号码的最后一位（校验码）与前面的数字对不上，可能有数字输错了，请逐位核对后重新输入。",
    "address": "请提供详细的居住地址（5到200个字），例如“某某街道某某小区3号楼2单元501室”。",
}

# ---- the normaliser: digits as typed or spoken, and the separators between them ----

# Digits as speech-to-text and residents write them out ("幺" and "洞" as read on the phone).
SPOKEN_DIGITS = {"零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "三": "3",
                 "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
CHECK_CHARACTERS = "Xx叉"
# Between two groups of digits: white space of any kind, dashes of every kind, dots.
SEPARATORS = frozenset(" \t\n\r\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
                       "\u2008\u2009\u200a\u202f\u205f\u3000\u200b"
                       "-‐‑‒–—―−﹣﹘⁃~～_.·•")
# Between two groups of digits read out: the pauses speech-to-text writes as commas.
SPOKEN_PAUSES = frozenset("，,、")
MAX_GAP = 3  # separator characters between two groups of one number
_GROUP = re.compile(rf"[0-9{''.join(SPOKEN_DIGITS)}]+(?:[{CHECK_CHARACTERS}](?![A-Za-z]))?")
_MOBILE = re.compile(r"(?:0086|86)?(1[3-9][0-9]{9})")
_ID = re.compile(r"[0-9]{17}[0-9X]")
_OLD_ID = re.compile(r"[0-9]{15}")
_MOBILE_PREFIX = re.compile(r"^(?:\+86|0086|86)(?=1[0-9]{10}$)")


@dataclass(frozen=True)
class PersonalNumber:
    """An ID or mobile number found in a text: its kind, its digits (ASCII, X upper-case) and
    where it stands in the text (separators included)."""

    kind: str  # "id" | "old_id" | "mobile"
    digits: str
    start: int
    end: int


@dataclass(frozen=True)
class _Group:
    start: int
    end: int
    digits: str
    spoken: bool


def _digit_of(char: str) -> str:
    if char in CHECK_CHARACTERS:
        return "X"
    return SPOKEN_DIGITS.get(char, char)


def _groups(folded: str) -> Iterator[_Group]:
    for match in _GROUP.finditer(folded):
        text = match.group(0)
        yield _Group(match.start(), match.end(), "".join(map(_digit_of, text)),
                     any(char in SPOKEN_DIGITS for char in text))


def _joined(folded: str, left: _Group, right: _Group) -> bool:
    gap = folded[left.end:right.start]
    if not 0 < len(gap) <= MAX_GAP:
        return False
    allowed = SEPARATORS | SPOKEN_PAUSES if left.spoken and right.spoken else SEPARATORS
    return all(char in allowed for char in gap)


def _runs(folded: str) -> Iterator[list[_Group]]:
    """Groups of digits that separators join into one run."""
    run: list[_Group] = []
    for group in _groups(folded):
        if run and not _joined(folded, run[-1], group):
            yield run
            run = []
        run.append(group)
    if run:
        yield run


def _kind(digits: str) -> tuple[str, str] | None:
    """(kind, normalized digits) when these digits are a whole ID or mobile number."""
    if _ID.fullmatch(digits):
        return "id", digits
    mobile = _MOBILE.fullmatch(digits)
    if mobile:
        return "mobile", mobile.group(1)
    if _OLD_ID.fullmatch(digits) and digits[:2] in PROVINCE_CODES and _old_birth(digits[6:12]):
        return "old_id", digits
    return None


def _old_birth(yymmdd: str) -> bool:
    try:
        dt.datetime.strptime("19" + yymmdd, "%Y%m%d")
    except ValueError:
        return False
    return True


def _in_run(folded: str, run: list[_Group]) -> Iterator[PersonalNumber]:
    """The numbers in one run: from each group, the longest whole number its groups make."""
    i = 0
    while i < len(run):
        digits, best = "", None
        for j in range(i, len(run)):
            digits += run[j].digits
            if len(digits) > 19:
                break
            kind = _kind(digits)
            if kind is not None:
                best = (j, *kind)
        if best is None:
            i += 1
            continue
        j, kind, number = best
        start = run[i].start
        if kind == "mobile" and digits.startswith("86") and folded[start - 1:start] == "+":
            start -= 1
        yield PersonalNumber(kind, number, start, run[j].end)
        i = j + 1


def personal_numbers(text: str) -> list[PersonalNumber]:
    """Every ID and mobile number in `text`, however it was typed or read out."""
    folded = fold_width(text or "")
    return [number for run in _runs(folded) for number in _in_run(folded, run)]


def number_digits(text: str) -> str:
    """The text as one number: full-width and spoken digits in ASCII, separators removed."""
    folded = fold_width(text or "").strip()
    kept = (char for char in folded if char not in SEPARATORS and char not in SPOKEN_PAUSES)
    return "".join(_digit_of(char) if char in SPOKEN_DIGITS else char for char in kept)


def find_mobile(text: str) -> Optional[str]:
    """The first mobile number in `text` (its 11 digits), or None."""
    return next((n.digits for n in personal_numbers(text) if n.kind == "mobile"), None)


def find_id_number(text: str) -> Optional[str]:
    """The first ID number in `text` as written (its 18 characters, valid or not), or None."""
    return next((n.digits for n in personal_numbers(text) if n.kind == "id"), None)


# ---- validation ----

_NAME_DOTS = re.compile(r"\s*[·•・．.]\s*")
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CHINESE_NAME = re.compile(rf"[{_HAN}]+(?:·[{_HAN}]+)*")
_LATIN_NAME = re.compile(r"[A-Za-z]+(?:[ '\-.][A-Za-z]+)*\.?")


def validate_name(text: str) -> str:
    name = " ".join((text or "").split())
    if has_chinese(name):  # "张 三" is 张三; "阿依古丽 . 买买提" is 阿依古丽·买买提
        name = _NAME_DOTS.sub("·", name).replace(" ", "")
    if not name:
        raise InvalidField("name", MESSAGES["name_missing"])
    if not 2 <= len(name) <= 20:
        raise InvalidField("name", MESSAGES["name_length"])
    if not (_CHINESE_NAME.fullmatch(name) or _LATIN_NAME.fullmatch(name)):
        raise InvalidField("name", MESSAGES["name_characters"])
    return name


def validate_mobile(text: str) -> str:
    digits = _MOBILE_PREFIX.sub("", number_digits(text))
    if not (digits.isascii() and re.fullmatch(r"1[3-9][0-9]{9}", digits)):
        raise InvalidField("mobile", MESSAGES["mobile"])
    return digits


def validate_id_number(text: str, *, today: dt.date | None = None) -> str:
    """The 18-character ID number, upper-cased; InvalidField with a message naming the fault."""
    number = number_digits(text).upper()
    if len(number) == 15 and number.isdigit():
        raise InvalidField("id_number", MESSAGES["id_old"])
    if len(number) != 18:
        raise InvalidField("id_number", MESSAGES["id_length"].format(n=len(number)))
    if not _ID.fullmatch(number):
        raise InvalidField("id_number", MESSAGES["id_characters"])
    if number[:2] not in PROVINCE_CODES:
        raise InvalidField("id_number", MESSAGES["id_region"])
    try:
        born = ric.get_birth_date(number)
    except ValidationError:
        raise InvalidField("id_number", MESSAGES["id_birth"]) from None
    if not EARLIEST_BIRTH <= born <= (today or local_now().date()):
        raise InvalidField("id_number", MESSAGES["id_birth"])
    # Not ric.validate: its table of birth places lacks codes in use (440306 宝安区, 640104 兴庆区).
    if ric.calc_check_digit(number) != number[17]:
        raise InvalidField("id_number", MESSAGES["id_check"])
    return number


def validate_address(text: str) -> str:
    address = " ".join((text or "").split())
    if not 5 <= len(address) <= 200:
        raise InvalidField("address", MESSAGES["address"])
    return address


# ---- masking and redaction ----

def mask_mobile(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) >= 7 else "*" * len(mobile)


def mask_id_number(id_number: str) -> str:
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_name(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1)


def _masked(number: PersonalNumber) -> str:
    return mask_mobile(number.digits) if number.kind == "mobile" else mask_id_number(number.digits)


def redact(text: str) -> str:
    """`text` with every ID and mobile number masked, however it was typed; the rest unchanged."""
    if not text:
        return text
    pieces, last = [], 0
    for number in personal_numbers(text):
        pieces += [text[last:number.start], _masked(number)]
        last = number.end
    return "".join(pieces) + text[last:]


def redact_value(value: Any) -> Any:
    """Strings inside a JSON-like value redacted (dicts and lists walked)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    return value


class RedactingFilter(logging.Filter):
    """Masks personal data in a record's message, exception text and stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> None:
    """Masks the record in place (again harmlessly when a filter sees a record the factory made)."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: logging reports it itself when emitting
        return
    record.msg, record.args = redact(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


_installed_factory: Callable[..., logging.LogRecord] | None = None


def install_log_redaction() -> None:
    """Redact every log record: a filter on the root handlers and a record factory for the rest."""
    global _installed_factory
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    if _installed_factory is not None and logging.getLogRecordFactory() is _installed_factory:
        return
    previous = logging.getLogRecordFactory()

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact_record(record)
        return record

    _installed_factory = redacting_factory
    logging.setLogRecordFactory(redacting_factory)


# ---- keys, encryption at rest and keyed look-ups ----

def secrets_in_use() -> tuple[bytes, ...]:
    """INTAKE_SECRET first (new data), then INTAKE_SECRET_PREVIOUS (still read, being rotated out)."""
    current = os.environ.get("INTAKE_SECRET") or DEVELOPMENT_SECRET
    previous = [s.strip() for s in os.environ.get("INTAKE_SECRET_PREVIOUS", "").split(",") if s.strip()]
    return tuple(dict.fromkeys(secret.encode() for secret in [current, *previous]))


def _derived(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, f"shehui-jiuzhu:{purpose}".encode(), hashlib.sha256).digest()


@lru_cache(maxsize=16)
def _fernet(secrets: tuple[bytes, ...], purpose: str) -> MultiFernet:
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derived(s, purpose))) for s in secrets])


def encrypt(value: Optional[str]) -> Optional[str]:
    """A column value encrypted under the current secret (None stays None)."""
    if value is None:
        return None
    return _fernet(secrets_in_use(), "column").encrypt(value.encode()).decode()


def decrypt(token: Optional[str]) -> Optional[str]:
    """The clear value of an encrypted column; None when empty or unreadable under every secret."""
    if not token:
        return None
    return _decrypted(secrets_in_use(), token)


# The same values are read again and again (a call's transcript on each of its utterances, the
# names of a queue page): each token's clear value is kept, in memory only, under the secrets that
# read it, so a changed secret reads afresh.
@lru_cache(maxsize=4096)
def _decrypted(secrets: tuple[bytes, ...], token: str) -> Optional[str]:
    try:
        return _fernet(secrets, "column").decrypt(token.encode()).decode()
    except InvalidToken:
        log.error("an encrypted value could not be read: is INTAKE_SECRET (or INTAKE_SECRET_PREVIOUS) right?")
        return None


def rotate(token: Optional[str]) -> Optional[str]:
    """The encrypted value re-encrypted under the current secret (unchanged when unreadable)."""
    if not token:
        return token
    try:
        return _fernet(secrets_in_use(), "column").rotate(token.encode()).decode()
    except InvalidToken:
        return token


def _digest(secret: bytes, kind: str, normalized: str) -> str:
    return hmac.new(_derived(secret, "lookup"), f"{kind}:{normalized}".encode(), hashlib.sha256).hexdigest()


def lookup_digest(kind: str, normalized: str) -> str:
    """The keyed HMAC stored next to an encrypted number ("id" or "mobile", normalized digits)."""
    return _digest(secrets_in_use()[0], kind, normalized)


def lookup_digests(kind: str, normalized: str) -> list[str]:
    """The digest under every secret in use: finds rows written before a rotation finished."""
    return [_digest(secret, kind, normalized) for secret in secrets_in_use()]


def id_digest(id_number: str) -> str:
    return lookup_digest("id", number_digits(id_number).upper())


def mobile_digest(mobile: str) -> str:
    return lookup_digest("mobile", validate_mobile(mobile))


SEAL_PREFIX = "sealed:"


def seal(value: str) -> str:
    """A value kept in a conversation (Rasa's tracker store), as ciphertext."""
    return SEAL_PREFIX + _fernet(secrets_in_use(), "conversation-seal").encrypt(value.encode()).decode()


def unseal(value: Any) -> Optional[str]:
    """The sealed text, or None when it is missing or cannot be opened (e.g. a changed secret)."""
    if not isinstance(value, str) or not value.startswith(SEAL_PREFIX):
        return None
    try:
        return _fernet(secrets_in_use(), "conversation-seal").decrypt(value[len(SEAL_PREFIX):].encode()).decode()
    except InvalidToken:
        return None
