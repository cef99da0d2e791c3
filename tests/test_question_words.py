"""One detector of questions (issue 11): the questionnaire (a statement is an answer), the offer of
the questionnaire (a question of one's own is no yes) and the application's free-text answers (a
question instead of a name or an address) ask bot.questionnaire.answers.asks_something, with the
word lists in data/question_words.yml."""
from __future__ import annotations

import pytest

from actions.screening import accepts_offer
from bot.questionnaire.answers import QUESTION_USES, asks_something


@pytest.mark.parametrize("text", ["低保标准是多少", "能申请不", "想问问临时救助", "特困供养有啥条件", "那我们家能吃低保吗",
                                  "是不是要户口本", "这钱给不给发？", "知不道是甚"])
def test_questions_are_questions_everywhere_they_count(text: str) -> None:
    assert asks_something(text)


@pytest.mark.parametrize("text", ["有个儿子在外地打工，他自己都顾不上", "腿脚不利索，还能自己做饭", "儿子不管俺"])
def test_a_statement_asks_nothing(text: str) -> None:
    for use in QUESTION_USES:
        assert not asks_something(text, use), (use, text)


@pytest.mark.parametrize("text", ["东街村5号楼2单元", "俺住东街村5号呢", "标准件厂家属院3号", "城关镇几字湾村",
                                  "王秀兰", "解州镇", "西关村口往里走不"])
def test_names_and_addresses_are_not_taken_for_questions(text: str) -> None:
    assert not asks_something(text, "free_text")


@pytest.mark.parametrize("text", ["地址写哪里？", "写啥地址", "名字要写全名吗", "乡镇咋填", "是不是写户口本上的"])
def test_a_question_instead_of_a_free_text_answer(text: str) -> None:
    assert asks_something(text, "free_text")


def test_the_offer_keeps_its_own_exceptions() -> None:
    assert accepts_offer("那你问问吧") and accepts_offer("好呢") and accepts_offer("行，你问吧")
    assert not accepts_offer("好，是不是要户口本") and not accepts_offer("好的，要什么条件")
    # A topic named after a yes is no question (the review of 2026-12-03 found these refused).
    assert accepts_offer("好，看看我够不够条件") and accepts_offer("行，看看符合政策不") and accepts_offer("好，按规定来")


def test_every_use_is_named_by_a_group_and_no_unknown_use_is_named() -> None:
    import yaml

    from bot.settings import get_settings
    groups = yaml.safe_load((get_settings().data_dir / "question_words.yml").read_text(encoding="utf-8"))["groups"]
    named = {use for group in groups.values() for use in [*group["uses"], *(group.get("except") or {})]}
    assert named == set(QUESTION_USES)
