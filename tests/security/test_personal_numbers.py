"""Defect 2 (issue 12): ID and mobile numbers typed with separators, full-width or spoken digits
passed the form and were stored and shown in clear. One normaliser now reads every form for
validation, masking and redaction alike."""
from __future__ import annotations

import pytest

from bot.core.privacy import redact, validate_id_number, validate_mobile
from bot.questionnaire.application import corrections, parse_field

ID = "142702197507074566"
MOBILE = "13722223333"

ID_FORMS = [
    "1427 0219 7507 0745 66",
    "142702 197507 074566",  # 6-6-6 groups
    " ".join(ID),  # one space per digit
    "142702\t19750707\t4566",
    "142702-19750707-4566",
    "142702—19750707—4566",
    "142702–1975–0707–4566",
    "１４２７０２１９７５０７０７４５６６",
    "一四二七零二一九七五零七零七四五六六",
    "一四二七〇二 一九七五〇七〇七 四五六六",
]
MOBILE_FORMS = [
    "137 2222 3333",
    "137—2222—3333",
    "137-2222-3333",
    "137‒2222‒3333",
    "137 2 2 2 2 3 3 3 3",
    " ".join(MOBILE),
    "137\t2222\t3333",
    "１３７２２２２３３３３",
    "+86 137 2222 3333",
    "一三七二二二二三三三三",
    "幺三七，二二二二，三三三三",
]


@pytest.mark.parametrize("typed", ID_FORMS)
def test_every_form_of_an_id_number_validates_and_is_masked(typed: str) -> None:
    assert validate_id_number(typed) == ID
    text = f"我的身份证号是{typed}，麻烦了"
    assert parse_field("id_number", text, []) == ID
    assert corrections(f"身份证号改成{typed}")["id_number"] == ID
    assert redact(text) == "我的身份证号是142702********4566，麻烦了"


@pytest.mark.parametrize("typed", MOBILE_FORMS)
def test_every_form_of_a_mobile_number_validates_and_is_masked(typed: str) -> None:
    assert validate_mobile(typed) == MOBILE
    text = f"电话{typed}。"
    assert parse_field("mobile", text, []) == MOBILE
    assert corrections(f"手机号改成{typed}")["mobile"] == MOBILE
    assert redact(text) == "电话137****3333。"


def test_two_numbers_in_one_line_are_both_masked() -> None:
    text = f"手机 137 2222 3333 身份证 1427 0219 7507 0745 66"
    assert redact(text) == "手机 137****3333 身份证 142702********4566"


def test_other_numbers_stay_as_written() -> None:
    text = ("受理编号SJ20261123-0007，2026-11-23 13:45，月收入1,500元，三口人，"
            "固定电话0359-2022233，一二级残疾，订单123456789012")
    assert redact(text) == text
