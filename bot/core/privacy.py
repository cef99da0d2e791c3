"""Personal data of an applicant: validation with polite Chinese messages, masking, redaction.

- Resident ID numbers: GB 11643-1999 (18 characters, ISO 7064 MOD 11-2 check character).
- Mobile numbers: mainland China, 11 digits starting 13–19.
- `redact` masks ID and mobile numbers inside free text; `install_log_redaction` applies it to
  every log record, so personal data never reaches a log.
- `seal`/`unseal`: personal data kept in a conversation while a resident fills in an application
  is sealed (authenticated encryption, key derived from INTAKE_SECRET), so Rasa's tracker store
  holds only ciphertext; the action server unseals it to show the summary and to register.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import os
import re
from functools import lru_cache
from typing import Any, Callable, Optional

from cryptography.fernet import Fernet, InvalidToken

from bot.core.calendar import local_now
from bot.core.errors import InvalidField
from bot.text import fold_width, has_chinese

__all__ = [
    "InvalidField", "normalize_digits", "validate_name", "validate_mobile", "validate_id_number",
    "validate_address", "mask_mobile", "mask_id_number", "mask_name", "redact",
    "install_log_redaction", "id_digest", "seal", "unseal",
]

# GB/T 2260 province-level codes (first two characters of an ID number); 83 is used on the
# residence permits of Taiwan residents (台湾居民居住证).
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
})
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"
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

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―]+")
_NAME_DOTS = re.compile(r"\s*[·•・．.]\s*")
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CHINESE_NAME = re.compile(rf"[{_HAN}]+(?:·[{_HAN}]+)*")
_LATIN_NAME = re.compile(r"[A-Za-z]+(?:[ '\-.][A-Za-z]+)*\.?")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_MOBILE_PREFIX = re.compile(r"^(?:\+86|0086|86)(?=1\d{10}$)")
# Personal numbers inside free text (matched on the width-folded text, digits in ASCII).
_PERSONAL_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?P<id>[0-9]{6}[ -]?[0-9]{8}[ -]?[0-9]{3}[0-9Xx])(?![0-9A-Za-z])"
    r"|(?<![0-9])(?:(?:\+|00)?86[ -]?)?(?P<mobile>1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4})(?![0-9])"
)


def normalize_digits(text: str) -> str:
    """Full-width characters to ASCII; spaces and hyphens removed."""
    return _SEPARATORS.sub("", fold_width(text or ""))


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
    digits = _MOBILE_PREFIX.sub("", normalize_digits(text))
    if not (digits.isascii() and _MOBILE.fullmatch(digits)):
        raise InvalidField("mobile", MESSAGES["mobile"])
    return digits


def validate_id_number(text: str, *, today: dt.date | None = None) -> str:
    """The 18-character ID number, upper-cased; InvalidField with a message naming the fault."""
    number = normalize_digits(text).upper()
    if len(number) == 15 and number.isdigit():
        raise InvalidField("id_number", MESSAGES["id_old"])
    if len(number) != 18:
        raise InvalidField("id_number", MESSAGES["id_length"].format(n=len(number)))
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise InvalidField("id_number", MESSAGES["id_characters"])
    if number[:2] not in PROVINCE_CODES:
        raise InvalidField("id_number", MESSAGES["id_region"])
    if not _plausible_birth(number[6:14], today or local_now().date()):
        raise InvalidField("id_number", MESSAGES["id_birth"])
    if id_check_character(number[:17]) != number[17]:
        raise InvalidField("id_number", MESSAGES["id_check"])
    return number


def id_check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARACTERS[total % 11]


def _plausible_birth(yyyymmdd: str, today: dt.date) -> bool:
    try:
        born = dt.datetime.strptime(yyyymmdd, "%Y%m%d").date()
    except ValueError:
        return False
    return EARLIEST_BIRTH <= born <= today


def validate_address(text: str) -> str:
    address = " ".join((text or "").split())
    if not 5 <= len(address) <= 200:
        raise InvalidField("address", MESSAGES["address"])
    return address


def mask_mobile(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) >= 7 else "*" * len(mobile)


def mask_id_number(id_number: str) -> str:
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_name(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1)


def redact(text: str) -> str:
    """Every ID-looking 18-character sequence and mainland mobile number in `text`, masked.

    Matching runs on the width-folded text, which has the same length (one character for one), so
    full-width digits are found too and the rest of the text stays as it was.
    """
    if not text:
        return text
    pieces, last = [], 0
    for match in _PERSONAL_IN_TEXT.finditer(fold_width(text)):
        pieces += [text[last:match.start()], _masked(match)]
        last = match.end()
    return "".join(pieces) + text[last:]


def _masked(match: re.Match[str]) -> str:
    if match["id"]:
        return mask_id_number(normalize_digits(match["id"]).upper())
    return mask_mobile(normalize_digits(match["mobile"]))


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


def intake_secret() -> bytes:
    return (os.environ.get("INTAKE_SECRET") or DEVELOPMENT_SECRET).encode()


def id_digest(id_number: str) -> str:
    """HMAC-SHA256 of the ID number: finds the same person without indexing the number itself."""
    normalized = normalize_digits(id_number).upper()
    return hmac.new(intake_secret(), normalized.encode(), hashlib.sha256).hexdigest()


SEAL_PREFIX = "sealed:"


@lru_cache(maxsize=4)
def _fernet(secret: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"conversation-seal:" + secret).digest()))


def seal(value: str) -> str:
    return SEAL_PREFIX + _fernet(intake_secret()).encrypt(value.encode()).decode()


def unseal(value: Any) -> Optional[str]:
    """The sealed text, or None when it is missing or cannot be opened (e.g. a changed secret)."""
    if not isinstance(value, str) or not value.startswith(SEAL_PREFIX):
        return None
    try:
        return _fernet(intake_secret()).decrypt(value[len(SEAL_PREFIX):].encode()).decode()
    except InvalidToken:
        return None
