"""Validation, masking and redaction of applicants' personal data."""
from __future__ import annotations

import datetime as dt
import io
import logging
from typing import Iterator

import pytest

from bot.core import privacy
from bot.core.privacy import (
    InvalidField,
    id_digest,
    install_log_redaction,
    mask_id_number,
    mask_mobile,
    mask_name,
    redact,
    validate_address,
    validate_id_number,
    validate_mobile,
    validate_name,
)

# Check characters worked out with the recursive MOD 11-2 form (bot.core.testing.sample_id_number).
VALID_IDS = [
    "11010519491231002X",  # the example of GB 11643-1999
    "440306198511201238",
    "640104200002290811",  # born on 29 February of a leap year
    "142701197808155638",
    "510107199512310047",
]


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_id_numbers_pass(number: str) -> None:
    assert validate_id_number(number) == number


def test_id_number_is_normalized() -> None:
    assert validate_id_number("11010519491231002x") == "11010519491231002X"
    assert validate_id_number(" １１０１０５ １９４９１２３１ ００２Ｘ ") == "11010519491231002X"
    assert validate_id_number("110105-19491231-002X") == "11010519491231002X"


def message_for(number: str, today: dt.date | None = None) -> str:
    with pytest.raises(InvalidField) as raised:
        validate_id_number(number, today=today)
    assert raised.value.field == "id_number"
    assert str(raised.value) == raised.value.message
    return raised.value.message


def test_id_number_faults_have_distinct_messages() -> None:
    messages = {
        "length": message_for("44030619851120123"),
        "old": message_for("110105491231002"),
        "characters": message_for("4403061985112O1238"),
        "region": message_for("990306198511201238"),
        "birth": message_for("640104200102290811"),  # 2001 has no 29 February
        "check": message_for("440306198511201239"),
    }
    assert "18位" in messages["length"] and "17位" in messages["length"]
    assert "15位" in messages["old"]
    assert "字母X" in messages["characters"]
    assert "省份代码" in messages["region"]
    assert "出生日期" in messages["birth"]
    assert "校验码" in messages["check"]
    assert len(set(messages.values())) == len(messages)


def test_birth_date_must_be_past_and_after_1900() -> None:
    assert "出生日期" in message_for("110105202601020014", today=dt.date(2026, 1, 1))
    assert validate_id_number("110105202601020014", today=dt.date(2026, 1, 2))
    assert "出生日期" in message_for("110105189912310015")


def test_x_only_in_last_place() -> None:
    assert "字母X" in message_for("1101051949123100X2")


@pytest.mark.parametrize("text", [
    "13800138000", "+86 138 0013 8000", "86-138-0013-8000", "１３８００１３８０００", "008613800138000",
    "138 0013 8000",
])
def test_mobile_forms(text: str) -> None:
    assert validate_mobile(text) == "13800138000"


@pytest.mark.parametrize("text", [
    "12800138000", "1380013800", "138001380001", "23800138000", "138OO138000", "010-12345678", "",
    "861380013800",
])
def test_mobile_refused(text: str) -> None:
    with pytest.raises(InvalidField) as raised:
        validate_mobile(text)
    assert raised.value.field == "mobile"
    assert "11位" in raised.value.message


@pytest.mark.parametrize("text, expected", [
    ("张三", "张三"),
    (" 欧阳娜娜 ", "欧阳娜娜"),
    ("张 三", "张三"),
    ("阿依古丽·买买提", "阿依古丽·买买提"),
    ("阿依古丽 • 买买提", "阿依古丽·买买提"),
    ("John  Smith", "John Smith"),
    ("Anne-Marie O'Neil", "Anne-Marie O'Neil"),
])
def test_names(text: str, expected: str) -> None:
    assert validate_name(text) == expected


@pytest.mark.parametrize("text, fault", [
    ("", "姓名"), ("张", "2到20"), ("张3", "汉字"), ("张三！", "汉字"), ("张" * 21, "2到20"),
    ("·张三", "汉字"), ("张John", "汉字"),
])
def test_names_refused(text: str, fault: str) -> None:
    with pytest.raises(InvalidField) as raised:
        validate_name(text)
    assert raised.value.field == "name"
    assert fault in raised.value.message


def test_address_length() -> None:
    assert validate_address("  幸福小区  3号楼 ") == "幸福小区 3号楼"
    for text in ("小区", "路" * 201):
        with pytest.raises(InvalidField) as raised:
            validate_address(text)
        assert raised.value.field == "address"


def test_masks() -> None:
    assert mask_mobile("13800138000") == "138****8000"
    assert mask_id_number("110101199003071234") == "110101********1234"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"


def test_redact_masks_id_and_mobile_numbers_in_text() -> None:
    text = ("我叫张三，身份证11010519491231002x，另一个 440306 19851120 1238，"
            "电话+86 138-0013-8000或１３９１２３４５６７８。")
    redacted = redact(text)
    assert redacted == ("我叫张三，身份证110105********002X，另一个 440306********1238，"
                        "电话138****8000或139****5678。")
    assert redact(redacted) == redacted


def test_redact_leaves_other_numbers() -> None:
    text = "受理编号SJ20261123-0007，2026-11-23 13:45，订单123456789012，卡号6222021234567890123"
    assert redact(text) == text


@pytest.fixture
def restore_logging() -> Iterator[None]:
    factory = logging.getLogRecordFactory()
    root_handlers = list(logging.getLogger().handlers)
    filters = {handler: list(handler.filters) for handler in root_handlers}
    yield
    logging.setLogRecordFactory(factory)
    privacy._installed_factory = None
    for handler in root_handlers:
        handler.filters[:] = filters[handler]


def test_log_records_are_redacted(restore_logging: None, caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    install_log_redaction()  # idempotent
    log = logging.getLogger("intake.test")
    with caplog.at_level(logging.INFO):
        log.info("登记 %s 手机 %s", "11010519491231002X", "13800138000")
        try:
            raise ValueError("bad id 440306198511201238")
        except ValueError:
            log.exception("failed for %s", "13912345678")
    assert "11010519491231002X" not in caplog.text and "110105********002X" in caplog.text
    assert "13800138000" not in caplog.text and "138****8000" in caplog.text
    assert "440306198511201238" not in caplog.text and "440306********1238" in caplog.text
    assert "13912345678" not in caplog.text


def test_root_handlers_get_the_filter(restore_logging: None) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_log_redaction()
        install_log_redaction()
        assert sum(isinstance(f, privacy.RedactingFilter) for f in handler.filters) == 1
        # A record made without the record factory (e.g. received from another process).
        handler.handle(logging.makeLogRecord({"msg": "手机 %s", "args": ("13800138000",), "levelno": 20}))
    finally:
        root.removeHandler(handler)
    assert stream.getvalue().strip() == "手机 138****8000"


def test_id_digest_is_keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = id_digest("11010519491231002X")
    assert plain == id_digest("11010519491231002x") and len(plain) == 64
    assert plain != id_digest("440306198511201238")
    monkeypatch.setenv("INTAKE_SECRET", "production secret")
    assert id_digest("11010519491231002X") != plain


def test_a_value_read_once_is_not_served_under_other_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clear values are kept in memory per token (speed, issue 14), under the secrets that read them:
    with the secret changed, the same token is read afresh (and cannot be read)."""
    monkeypatch.setenv("INTAKE_SECRET", "the first secret")
    monkeypatch.delenv("INTAKE_SECRET_PREVIOUS", raising=False)
    token = privacy.encrypt("李志刚 13912345678")
    assert privacy.decrypt(token) == privacy.decrypt(token) == "李志刚 13912345678"
    monkeypatch.setenv("INTAKE_SECRET", "another secret")
    assert privacy.decrypt(token) is None
    monkeypatch.setenv("INTAKE_SECRET_PREVIOUS", "the first secret")
    assert privacy.decrypt(token) == "李志刚 13912345678"
