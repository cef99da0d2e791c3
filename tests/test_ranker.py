"""The character n-gram ranker of resident questions and its fusion with the lexical search."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from bot.knowledge import service as service_module
from bot.knowledge.ranker import TRAINING_SETS, NgramRanker, load_examples
from bot.knowledge.search import PolicyIndex
from bot.regions import get_region

TODAY = dt.date(2026, 11, 23)


def test_the_ranker_learns_from_tuning_sets_only() -> None:
    assert TRAINING_SETS and all(path.exists() for path in TRAINING_SETS)
    assert not any("holdout" in path.name for path in TRAINING_SETS)


def test_the_product_reads_its_questions_from_data_not_tests(monkeypatch) -> None:
    """A deployment without tests/ gets the same ranker: building the policy service opens no file
    under tests/ (the tuning sets live in data/knowledge/questions/)."""
    import builtins

    from bot.settings import PROJECT_ROOT, get_settings

    opened: list[Path] = []
    real_open, real_path_open = builtins.open, Path.open

    def recording_open(file, *args, **kwargs):
        if isinstance(file, (str, Path)):
            opened.append(Path(file).resolve())
        return real_open(file, *args, **kwargs)

    def recording_path_open(self, *args, **kwargs):
        opened.append(self.resolve())
        return real_path_open(self, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", recording_open)
    monkeypatch.setattr(Path, "open", recording_path_open)
    settings = get_settings()
    service = service_module._service_for.__wrapped__(settings.policy_dir, settings.data_dir)  # not the cached one
    monkeypatch.undo()
    tests_dir = (PROJECT_ROOT / "tests").resolve()
    assert any(path.parent.name == "questions" for path in opened)
    assert not [path for path in opened if path.is_relative_to(tests_dir)]
    assert all(path.resolve().is_relative_to((PROJECT_ROOT / "data").resolve()) for path in TRAINING_SETS)
    assert service.index.entries


def test_examples_by_measure_leave_out_a_set_and_skip_a_missing_one(tmp_path: Path) -> None:
    own = tmp_path / "set.yml"
    own.write_text("questions:\n  - q: 低保几号发\n    doc: 晋民发〔2022〕38号\n    clause: 第4条\n    fact: x\n",
                   encoding="utf-8")
    assert load_examples([own, tmp_path / "missing.yml"]) == {("晋民发〔2022〕38号", "第4条"): ["低保几号发"]}
    assert load_examples([own], exclude=[own]) == {}


def test_a_measure_scores_by_its_nearest_example(policy_index: PolicyIndex) -> None:
    entries = policy_index.entries[:3]
    (_, first), (second_doc, second), _ = entries
    ranker = NgramRanker(entries, [[], [], []], {(second_doc.doc_number, second.clause): ["额们这搭的钱咋还不到"]},
                         lambda text: text)
    scores = ranker.scores("额们这搭的钱咋还没到")
    assert scores.argmax() == 1 and 0 < scores[1] <= 1
    assert not ranker.scores("，。 ").any()  # nothing to compare: no measure resembles it


def test_residents_wording_finds_a_measure_sharing_few_words_with_it(policy_index: PolicyIndex) -> None:
    """'户口不在这' is how residents put 取消户籍地申请限制; the resident questions carry it."""
    question = "俺是河南的 在长治打工 没活干了又回不去家 能在长治这边申请救助不 户口不在这"
    result = policy_index.search(question, get_region("山西省长治市"), as_of=TODAY)
    assert result.answered and result.best is not None
    assert (result.best.document.doc_number, result.best.measure.clause) == ("晋民发〔2022〕38号", "第10条")


def test_without_resident_questions_the_lexical_search_still_answers(policy_index: PolicyIndex) -> None:
    bare = PolicyIndex(policy_index.documents, policy_index.vocabulary)
    result = bare.search("宁夏城市低保标准是多少", get_region("宁夏回族自治区"), as_of=TODAY)
    assert result.answered and result.best is not None and result.best.measure.clause == "第2条"


def test_residents_words_answer_when_the_documents_share_few_of_them(policy_index: PolicyIndex) -> None:
    """Lexically the measure covers too little of the question to answer it; the question is much
    like residents' questions about it. A question about nothing in the documents stays unanswered."""
    question = "家里人被拉去隔离了 屋里剩下老的小的没人挣钱 这个能给啥救助"
    result = policy_index.search(question, get_region("宁夏回族自治区银川市"), as_of=TODAY)
    assert result.answered and result.best is not None and result.best.measure.clause == "第7条"
    for unanswerable in ("我想办护照 去哪办", "高龄津贴八十岁一个月给多少"):
        assert not policy_index.search(unanswerable, get_region("山西省太原市"), as_of=TODAY).answered


def test_an_index_with_other_questions_rebuilds_only_its_ranker(policy_index: PolicyIndex) -> None:
    question = "俺是河南的 在长治打工 没活干了又回不去家 能在长治这边申请救助不 户口不在这"
    bare = policy_index.with_questions({})
    assert bare.entries is policy_index.entries and bare._ranker is not policy_index._ranker
    assert bare._ranker.scores(question).max() < 0.9 < policy_index._ranker.scores(question).max()  # it is a tuning question
    result = bare.search("宁夏城市低保标准是多少", get_region("宁夏回族自治区"), as_of=TODAY)
    assert result.answered and result.best is not None and result.best.measure.clause == "第2条"


def test_the_rankings_are_fused_by_score_each_on_its_own_scale(policy_index: PolicyIndex) -> None:
    """When the two rankings swap their first two measures, the one the other ranking nearly ties
    wins (reciprocal-rank fusion tied there and always gave it to the lexical first)."""
    from bot.knowledge.search import SearchHit, _fused

    (document, first), (_, second), (_, third) = policy_index.entries[:3]
    hits = [(0, SearchHit(document, first, 10.0, None, False)), (1, SearchHit(document, second, 9.5, None, False)),
            (2, SearchHit(document, third, 2.0, None, False))]
    close_lexically = np.array([0.30, 0.60, 0.0])  # the n-gram ranker is sure, the lexical one is not
    assert [index for index, _ in _fused(hits, [1, 0], close_lexically)] == [1, 0, 2]
    close_by_ngrams = np.array([0.58, 0.60, 0.0])
    hits[1] = (1, SearchHit(document, second, 4.0, None, False))  # now the lexical search is sure
    assert [index for index, _ in _fused(hits, [1, 0], close_by_ngrams)] == [0, 1, 2]
    assert [index for index, _ in _fused(hits, [], np.zeros(3))] == [0, 1, 2]  # no n-gram ranking: lexical order


def test_character_ngrams_stay_within_a_clause(policy_index: PolicyIndex) -> None:
    grams = policy_index._ranker._analyze(policy_index._ranker._clean("没收入，低保"))
    assert not any(" " in gram.strip() for gram in grams)  # no "入 低": a gram spans no two clauses
    assert "收入" in grams and "低保" in grams
