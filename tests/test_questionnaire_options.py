"""Options to tap for the questionnaire's closed questions, and the places a resident named."""
from __future__ import annotations

from bot.questionnaire.answers import NOT_UNDERSTOOD, read_answer
from bot.questionnaire.flow import PATH_FOR_SLOT, SLOT_FOR_PATH
from bot.questionnaire.questions import BUTTONS, ask_buttons, distinct_regions, options_buttons
from bot.web.app import chat_message


def test_every_option_reads_back_as_an_answer() -> None:
    for slot in BUTTONS:
        for button in ask_buttons(slot):
            assert read_answer(PATH_FOR_SLOT[slot], button["payload"]) is not NOT_UNDERSTOOD, (slot, button)


def test_closed_questions_have_options_and_open_ones_do_not() -> None:
    assert [b["title"] for b in ask_buttons("sc_residence")] == ["城市（城镇）", "农村"]
    assert [b["title"] for b in ask_buttons("sc_on_dibao")] == ["是", "不是", "不清楚"]
    assert ask_buttons("sc_age") == [] and ask_buttons("region") == []
    assert set(BUTTONS) <= set(SLOT_FOR_PATH.values())


def test_second_time_options_offer_a_skip_and_a_person() -> None:
    titles = [b["title"] for b in options_buttons("sc_age")]
    assert titles == ["不清楚", "跳过", "转人工"]
    human = options_buttons("sc_residence")[-1]
    assert human == {"title": "转人工", "payload": "/request_human"}
    assert "跳过" not in [b["title"] for b in options_buttons("region")]  # a place is needed


def test_distinct_regions() -> None:
    assert distinct_regions(["山西省运城市", "山西省运城市盐湖区"]) == ["山西省运城市"]
    assert distinct_regions(["山西省运城市盐湖区", "宁夏回族自治区"]) == ["山西省运城市盐湖区", "宁夏回族自治区"]
    assert distinct_regions(["河南省"]) == []  # not covered: nothing to choose between


def test_chat_page_gets_the_buttons() -> None:
    reply = {"text": "您家住在城市还是农村？", "buttons": [{"title": "农村", "payload": "农村"}, {"title": "x"}, "bad"]}
    assert chat_message(reply) == {"text": reply["text"], "buttons": [
        {"title": "农村", "payload": "农村"}, {"title": "x", "payload": "x"}]}
    assert chat_message({"text": "hi"}) == {"text": "hi"}
