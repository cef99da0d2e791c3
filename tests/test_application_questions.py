"""Reading registration answers from free text (bot/questionnaire/application.py)."""
from __future__ import annotations

import pytest

from bot.core.privacy import InvalidField
from bot.questionnaire.application import (
    NotUnderstood,
    corrections,
    find_district,
    parse_field,
    programs_from_screening,
    programs_in,
    summary,
    yes_or_no,
)

VALID_ID = "11010519491231002X"


@pytest.mark.parametrize("text, expected", [
    ("我要申请低保", ["dibao"]),
    ("帮我申请单人保", ["dibao_individual"]),
    ("低保和临时救助都要", ["dibao", "temporary_assistance"]),
    ("特困供养", ["tekun"]),
    # A program's full name names that program only (it contains 临时救助, another program's name).
    ("未就业大学生临时救助", ["graduate_assistance"]),
    ("失业人员临时救助", ["unemployed_one_off"]),
    ("未参保失业人员一次性临时救助金", ["unemployed_one_off"]),
    ("大学生救助和临时救助", ["graduate_assistance", "temporary_assistance"]),
    ("我要申请", []),
])
def test_programs_named_in_text(text: str, expected: list[str]) -> None:
    assert sorted(programs_in(text)) == sorted(expected)


def test_programs_question_accepts_yes_for_the_suggested_ones() -> None:
    assert parse_field("programs", "是的", ["dibao", "temporary_assistance"]) == ["dibao", "temporary_assistance"]
    assert parse_field("programs", "只要低保", ["dibao", "temporary_assistance"]) == ["dibao"]
    with pytest.raises(NotUnderstood):
        parse_field("programs", "嗯嗯", [])


def test_programs_from_screening_takes_eligible_and_likely() -> None:
    screening = {"programs": [
        {"program": "dibao", "outcome": "likely"},
        {"program": "tekun", "outcome": "ineligible"},
        {"program": "temporary_assistance", "outcome": "eligible"},
        {"program": "graduate_assistance", "outcome": "unknown"},
    ]}
    assert programs_from_screening(screening) == ["dibao", "temporary_assistance"]


@pytest.mark.parametrize("text, expected", [
    ("同意", True), ("可以的", True), ("不同意", False), ("不行", False), ("确认", True), ("不对", False),
    ("啥意思", None),
])
def test_yes_or_no(text: str, expected: bool | None) -> None:
    assert yes_or_no(text) is expected


def test_name_mobile_and_id_are_read_from_sentences() -> None:
    assert parse_field("name", "我叫王芳", []) == "王芳"
    assert parse_field("mobile", "我的手机是 138 0013 8000", []) == "13800138000"
    assert parse_field("id_number", f"身份证{VALID_ID.lower()}", []) == VALID_ID


@pytest.mark.parametrize("field, text", [
    ("mobile", "12345"),
    ("id_number", "110105194912310021"),  # wrong check digit
    ("id_number", "1101051949123100"),  # too short
    ("district", "我也不知道"),
])
def test_wrong_answers_get_a_chinese_explanation(field: str, text: str) -> None:
    with pytest.raises(InvalidField) as caught:
        parse_field(field, text, [])
    assert caught.value.message and any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)


@pytest.mark.parametrize("text, expected", [
    ("解州镇", "解州镇"),
    ("我住在运城市盐湖区北城街道", "北城街道"),
    ("在红寺堡区大河乡", "大河乡"),
    ("哪里都行", None),
])
def test_district(text: str, expected: str | None) -> None:
    assert find_district(text) == expected


def test_corrections_at_the_confirmation_step() -> None:
    fixed = corrections("手机号改成13912345678，姓名王芳")
    assert fixed == {"mobile": "13912345678", "name": "王芳"}
    assert corrections("地址是解州镇东街村3号")["district"] == "解州镇"
    assert corrections("对的") == {}
    assert corrections("地址不对，是东街村5号") == {"address": "东街村5号"}  # was "不对，是东街村5号"
    assert corrections("名字不对，是王秀芝") == {"name": "王秀芝"}


def test_summary_masks_the_id_and_mobile() -> None:
    text = summary({"programs": ["dibao"], "name": "王芳", "mobile": "13800138000", "id_number": VALID_ID,
                    "district": "解州镇", "address": "解州镇东街村3号"}, "山西省运城市")
    assert "138****8000" in text and "13800138000" not in text
    assert VALID_ID not in text and "110105" in text
    assert "山西省运城市解州镇" in text and "最低生活保障" in text


# Issue 11: "俺叫王秀兰" was kept as "俺王秀兰", "名字不对，是王秀兰" as "不对".
@pytest.mark.parametrize("text", ["俺叫王秀兰", "我是王秀兰", "我叫王秀兰。", "就叫王秀兰吧", "名字不对，是王秀兰",
                                  "申请人叫王秀兰", "王秀兰"])
def test_name_without_fillers(text: str) -> None:
    assert parse_field("name", text, []) == "王秀兰"


def test_name_corrected_at_the_confirmation_step() -> None:
    assert corrections("名字不对，是王秀兰") == {"name": "王秀兰"}
    assert corrections("名字写错了，应该是王秀兰") == {"name": "王秀兰"}


def test_any_real_address_is_accepted() -> None:
    assert parse_field("address", "永济市城西街道测试路东头5号", []) == "永济市城西街道测试路东头5号"


def test_every_application_question_has_its_other_wordings() -> None:
    from bot import replies
    for field in ("consent", "name", "mobile", "id_number", "district", "address"):
        assert replies.text(f"application.ask.{field}") != replies.text(f"application.rephrase.{field}")
    for field in ("programs", "confirmed"):
        assert "比如" in replies.text(f"application.rephrase.{field}")
    assert replies.text("application.options") != replies.text("application.options_again")


@pytest.mark.parametrize("text", ["姓李，叫李桂兰", "李桂兰，木子李", "我姓李，李桂兰", "就叫李桂兰吧"])
def test_a_name_said_with_its_surname_explained(text: str) -> None:
    from bot.questionnaire.application import name_in
    assert name_in(text) == "李桂兰"
