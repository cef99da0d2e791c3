"""Answer-first policy replies: the direct answer, its figures, the length, the full clause."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml

from bot.eligibility.parameters import ParameterSet, load_region_file, region_parameters_from_dict
from bot.knowledge.answer import FIRST_REPLY_MAX_CHARS, DirectAnswer, unsupported_figures
from bot.knowledge.gists import Gists, load_gists
from bot.knowledge.search import PolicyIndex, SearchHit
from bot.knowledge.service import PolicyService, ReplyKind
from bot.knowledge.ranker import TRAINING_SETS
from bot.measure.evaluation import load_questions
from bot.settings import PROJECT_ROOT

TODAY = dt.date(2026, 11, 23)
BEFORE_NINGXIA_ENDS = dt.date(2023, 6, 1)
PARAMETERS = PROJECT_ROOT / "data" / "parameters"
CITATION_LINE_RE = re.compile(r"^依据《[^》]+》（[^）]+）\S+：“.+”$")
# Regions and dates every line is rendered for: each province, a city with its own file, one without.
PLACES = {"宁夏回族自治区": ["宁夏回族自治区银川市"], "山西省": ["山西省太原市", "山西省运城市"],
          "山西省运城市": ["山西省运城市盐湖区"]}


def hit_for(index: PolicyIndex, doc_id: str, clause: str, as_of: dt.date) -> SearchHit:
    found = index.entry(doc_id, clause)
    assert found is not None, (doc_id, clause)
    document, measure = found
    until = document.measure_valid_until(measure)
    return SearchHit(document, measure, 10.0, until, until is not None and as_of > until)


def test_every_measure_has_a_gist_and_every_gist_a_measure(policy_index: PolicyIndex) -> None:
    gists = load_gists(PROJECT_ROOT / "data")
    measures = {(d.doc_id, m.clause) for d, m in policy_index.entries}
    assert set(gists.measures) == measures


@pytest.mark.parametrize("as_of", [BEFORE_NINGXIA_ENDS, TODAY])
def test_every_figure_of_a_direct_answer_is_in_its_measure_or_parameter(
    policy_service: PolicyService, as_of: dt.date
) -> None:
    """Every line of gists.yml, for every region it applies to, states only figures of the
    measure it answers for or of the dated parameter it is filled from."""
    composer, gists = policy_service.composer, policy_service.composer.gists
    for (doc_id, clause), entry in gists.measures.items():
        hit = hit_for(policy_service.index, doc_id, clause, as_of)
        for place in [hit.document.region, *PLACES.get(hit.document.region, [])]:
            for line in entry.lines:
                direct = composer.line_answer(line, hit, place, as_of)
                assert direct is not None and not unsupported_figures(direct), (doc_id, clause, place, line.say)
                assert "{" not in direct.text and len(direct.text) <= 90, direct.text
            for standard in gists.standards:
                direct = composer.standard_answer(standard.parameters, hit, place, as_of)
                assert direct is None or not unsupported_figures(direct), (place, direct)


def test_first_replies_cite_a_short_title_and_details_the_full_one(policy_service: PolicyService) -> None:
    gists = policy_service.composer.gists
    titles = {d.doc_id: d.title for d in policy_service.index.documents}
    assert set(gists.short_titles) == set(titles)
    for doc_id, short in gists.short_titles.items():
        assert short in titles[doc_id] and len(short) < len(titles[doc_id])
    reply = policy_service.reply("运城低保户多长时间核查一次", "山西省运城市", as_of=TODAY)
    assert "依据《关于巩固拓展脱贫攻坚兜底保障成果进一步做好困难群众基本生活保障工作的通知》（运民发〔2021〕59号）" in reply.text
    detail = policy_service.detail(reply.detail_ref(), as_of=TODAY)
    assert detail.startswith("《运城市民政局 运城市财政局 运城市乡村振兴局关于巩固拓展脱贫攻坚兜底保障成果")


def test_a_figure_no_source_states_is_never_shown(policy_index: PolicyIndex) -> None:
    invented = {"measures": {"sx-2022-38": {"第4条": {"gist": "低保金每月5日前发放到户，每人每月补贴999元。"}}}}
    service = PolicyService(policy_index, Gists(invented))
    reply = service.reply("低保金每月几号发", "山西省太原市", as_of=TODAY)
    assert reply.kind == ReplyKind.ANSWER
    assert "999" not in reply.text and "5日" not in reply.text
    assert unsupported_figures(DirectAnswer("每人每月999元，请拨打12345。", ("每人每月650元",))) == {999}
    assert not unsupported_figures(DirectAnswer("给予六个月的渐退期", ("6个月",)))


@pytest.mark.parametrize("path", TRAINING_SETS)
def test_first_replies_are_short_and_start_with_the_direct_answer(policy_service: PolicyService, path) -> None:
    questions = load_questions(path)
    for item in [*questions["questions"], *questions["unanswerable"]]:
        reply = policy_service.reply(item["q"], item.get("region"), as_of=TODAY)
        assert len(reply.text) <= FIRST_REPLY_MAX_CHARS, (item["q"], len(reply.text))
        if reply.kind != ReplyKind.ANSWER:
            continue
        lines = reply.text.splitlines()
        assert not lines[0].startswith("依据") and len(lines[0]) <= 90, lines[0]
        quoted = [line for line in lines if CITATION_LINE_RE.match(line)]
        assert len(quoted) == 1 and lines.index(quoted[0]) >= 1, reply.text
        assert lines[-1] == "回复“详细”看条文全文和相关规定。"


def test_no_figure_published_says_who_sets_it_and_where_to_ask(policy_service: PolicyService) -> None:
    reply = policy_service.reply("俺是运城的，低保一个月能领多少", None, as_of=TODAY)
    assert reply.kind == ReplyKind.ANSWER and reply.region is not None and reply.region.name == "山西省运城市"
    direct = reply.text.splitlines()[0]
    assert direct.startswith("这里没有具体数字：运城市") and "由市里" in direct
    assert "市级提标文件" in direct and "没有收录" in direct
    assert "乡镇（街道）" in direct and "民政部门" in direct and "12345" in direct
    assert not re.search(r"\d+元", reply.text)
    quote = next(line for line in reply.text.splitlines() if line.startswith("依据"))
    assert "要根据市级提标文件精神" in quote and "价格临时补贴" not in quote  # the sentence that says it
    taiyuan = policy_service.reply("太原低保一个月多少钱", None, as_of=TODAY).text.splitlines()[0]
    assert "设区的市人民政府确定和公布" in taiyuan and "12345" in taiyuan


def test_a_standard_comes_from_the_dated_parameters_of_the_region(policy_index: PolicyIndex) -> None:
    files = [load_region_file(path) for path in sorted(PARAMETERS.glob("*.yml")) if path.stem != "ningxia"]
    raised = (PARAMETERS / "ningxia.yml").read_text(encoding="utf-8").replace("value: 650", "value: 700")
    ningxia = region_parameters_from_dict(yaml.safe_load(raised), "ningxia.yml")
    service = PolicyService(policy_index, parameters=lambda: ParameterSet([*files, ningxia]))
    reply = service.reply("银川城里低保一个月给多少钱", None, as_of=BEFORE_NINGXIA_ENDS)
    assert reply.text.splitlines()[0].startswith("宁夏城乡低保标准：城市每人每月700元")
    assert "已不在有效期内" not in reply.text


@pytest.mark.parametrize("question", ["宁夏的特困老人一个月给多少钱", "五保老人一个月给几个钱 宁夏"])
def test_a_multiple_of_the_standard_says_what_it_comes_to(policy_index: PolicyIndex, question: str) -> None:
    # Found talking to the bot: "按城乡低保月标准的1.3倍执行" left the sum to the resident.
    files = [load_region_file(path) for path in sorted(PARAMETERS.glob("*.yml")) if path.stem != "ningxia"]
    raised = (PARAMETERS / "ningxia.yml").read_text(encoding="utf-8").replace("value: 650", "value: 700")
    ningxia = region_parameters_from_dict(yaml.safe_load(raised), "ningxia.yml")
    service = PolicyService(policy_index, parameters=lambda: ParameterSet([*files, ningxia]))
    direct = service.reply(question, None, as_of=BEFORE_NINGXIA_ENDS).text.splitlines()[0]
    assert "1.3倍" in direct and "城市每人每月910元" in direct and "农村每人每月598元" in direct, direct


def test_fire_leads_to_urgent_assistance_with_a_next_step(policy_service: PolicyService) -> None:
    reply = policy_service.reply("家里着火了", "山西省运城市", as_of=TODAY)
    lines = reply.text.splitlines()
    assert "急难型临时救助" in lines[0]
    assert lines[1].startswith("去哪办：") and "乡镇（街道）" in lines[1] and "身份证" in lines[1]
    assert len(reply.text) <= FIRST_REPLY_MAX_CHARS
    quote = next(line for line in lines if line.startswith("依据"))
    assert "因火灾" in quote and "及时给予临时救助。" in quote  # not stopped at "等原因……"


@pytest.mark.parametrize("question, region", [
    ("宁夏 低保钱啥时候到账", None), ("低保金每月几号发", "宁夏回族自治区银川市"),
    ("低保钱啥时候发", "宁夏回族自治区固原市"), ("宁夏低保钱几号到账", None),
])
def test_when_money_is_paid_in_ningxia(policy_service: PolicyService, question: str, region: str | None) -> None:
    """Ningxia's document names no pay day: the reply says so and where to ask, not the amounts."""
    reply = policy_service.reply(question, region, as_of=TODAY)
    assert reply.kind == ReplyKind.ANSWER, reply.text
    assert "没有写具体哪天发" in reply.text.splitlines()[0] and "12345" in reply.text
    assert "650元" not in reply.text and "一次性生活补贴" not in reply.text


def test_wubao_is_the_old_name_of_tekun(policy_service: PolicyService) -> None:
    reply = policy_service.reply("五保", "山西省", as_of=TODAY)
    assert reply.kind == ReplyKind.ANSWER and "“五保”是老叫法，现在叫特困人员救助供养" in reply.text
    conditions = policy_service.reply("五保户要啥条件", "山西省", as_of=TODAY)
    assert conditions.text.startswith("“五保”是老叫法，现在叫特困人员供养：无劳动能力")
    amount = policy_service.reply("五保户一个月给多少", "山西省运城市", as_of=TODAY).text.splitlines()[0]
    assert "特困供养标准" in amount and "12345" in amount


@pytest.mark.parametrize("as_of", [BEFORE_NINGXIA_ENDS, TODAY])
def test_expired_one_off_subsidy_only_when_asked_about(policy_service: PolicyService, as_of: dt.date) -> None:
    reply = policy_service.reply("宁夏 低保钱啥时候到账", None, as_of=as_of)
    assert reply.kind == ReplyKind.ANSWER and reply.result is not None and reply.result.best is not None
    assert reply.result.best.measure.clause != "第1条" and "一次性生活补贴" not in reply.text
    assert ("已不在有效期内" in reply.text) == (as_of > dt.date(2023, 12, 31))
    asked = policy_service.reply("宁夏低保户多发的600块一次性补贴还有吗", None, as_of=as_of)
    assert asked.result is not None and asked.result.best is not None
    assert asked.result.best.measure.clause == "第1条" and "已不在有效期内" in asked.text


def test_detail_gives_the_full_clause_and_related_measures(policy_service: PolicyService) -> None:
    reply = policy_service.reply("低保金每月几号发", "山西省太原市", as_of=TODAY)
    remembered = reply.detail_ref()
    assert remembered is not None and remembered["clause"] == "第4条"
    detail = policy_service.detail(remembered, as_of=TODAY)
    assert reply.result is not None and reply.result.best is not None
    assert reply.result.best.measure.text in detail
    assert "（晋民发〔2022〕38号）第4条全文" in detail and "转人工" in detail
    related = {**remembered, "related": [{"doc_id": "sx-2014-35", "clause": "第（二）条"}]}
    assert "相关规定：\n· 《山西省人民政府关于贯彻落实〈社会救助暂行办法〉的实施意见》" in policy_service.detail(related)


@pytest.mark.parametrize("remembered", [None, {}, {"doc_id": "nx-2022-7"}, {"doc_id": "x", "clause": "第1条"}, "第4条"])
def test_detail_without_a_previous_answer(policy_service: PolicyService, remembered: object) -> None:
    assert "请先问一个问题" in policy_service.detail(remembered)  # type: ignore[arg-type]


def test_gists_file_is_checked() -> None:
    with pytest.raises(ValueError, match="unknown type"):
        Gists({"question_types": {"amounts": ["多少"]}})
    with pytest.raises(ValueError, match="needs `if` words"):
        Gists({"measures": {"d": {"c": {"gist": "g", "answers": [{"say": "x"}]}}}})
    with pytest.raises(ValueError, match="unknown next step"):
        Gists({"measures": {"d": {"c": {"gist": "g", "next": "call"}}}})


def test_both_parts_of_a_two_part_question_are_answered(policy_service: PolicyService) -> None:
    reply = policy_service.reply("太原的低保金每月几号发 特困的供养金呢", "山西省太原市", as_of=TODAY)
    lines = reply.text.splitlines()
    assert lines[0] == "低保金按月发放，每月10日前发放到户。"
    assert lines[1].startswith("另外，特困人员救助供养金按季发放")
    assert "每月10日前发放到户" in reply.text and "每季度初10日前发放到户" in reply.text
    other = policy_service.reply("家里着火了能申请临时救助吗？低保金每月几号发", "山西省晋中市", as_of=TODAY)
    first, second = other.text.splitlines()[:2]
    assert "临时救助" in first and second.startswith("另外，低保金按月发放") and "晋民发〔2022〕38号第4条" in second
    assert len(other.text) <= FIRST_REPLY_MAX_CHARS


def test_two_parts_are_two_asking_clauses(policy_index: PolicyIndex) -> None:
    assert policy_index.two_parts("低保标准是多少") is None
    assert policy_index.two_parts("腿脚不利索，一个人住，能进特困供养吗") is None
    assert policy_index.two_parts("太原的低保金每月几号发 特困的供养金呢") == (
        "太原的低保金每月几号发", "太原的低保金每月几号发，特困的供养金呢")
    assert policy_index.two_parts("孤儿津贴一个月多少 另外大学生没工作有救助吗") == (
        "孤儿津贴一个月多少", "另外大学生没工作有救助吗")


def test_the_quote_shows_the_sentence_asked_about_not_only_the_gist(policy_service: PolicyService) -> None:
    """A measure's gist sums it up; the quote must show the part the question is about."""
    reply = policy_service.reply("家里房子被洪水冲塌了 有重建补助吗", "山西省晋城市", as_of=TODAY)
    quote = next(line for line in reply.text.splitlines() if line.startswith("依据"))
    assert "因灾倒塌、损坏住房恢复重建补助" in quote


def test_the_quote_restates_the_specific_answer_line(policy_service: PolicyService) -> None:
    """The direct answer says expenses are deducted: the quote is that sentence, not the one that
    only shares the question's filler word ("不少" of 不少于6个月)."""
    reply = policy_service.reply("屋里娃娃念大学花钱多 给人看病也花了不少 这些钱算收入的时候能扣掉吗",
                                 "宁夏回族自治区吴忠市", as_of=TODAY)
    assert reply.kind == ReplyKind.ANSWER
    quote = next(line for line in reply.text.splitlines() if CITATION_LINE_RE.match(line))
    assert "予以扣减" in quote and "渐退期" not in quote, reply.text


def test_the_quote_skips_the_measure_lead_phrase(policy_service: PolicyService) -> None:
    reply = policy_service.reply("街上有个要饭的老汉 没吃没住 该找谁管", "山西省太原市", as_of=TODAY)
    assert reply.kind == ReplyKind.ANSWER
    quote = next(line for line in reply.text.splitlines() if CITATION_LINE_RE.match(line))
    assert "第（二十）条" in quote and "扎实做好流浪乞讨人员救助工作" not in quote, reply.text


@pytest.mark.parametrize(("question", "region", "facts"), [
    # two facts in the direct answer, each in its own clause or sentence of the measure
    ("特困人员每年都要复查吗", "山西省运城市", ["每年核查一次", "对收入来源不固定、家庭成员有劳动能力的低保家庭，每半年核查一次"]),
    ("住了公租房后来又买了房 要退吗", "山西省太原市", ["确定住房困难标准并及时向社会公布", "必须办理住房保障退出手续"]),
])
def test_the_quote_restates_each_fact_of_the_direct_answer(
    policy_service: PolicyService, question: str, region: str, facts: list[str]
) -> None:
    reply = policy_service.reply(question, region, as_of=TODAY)
    quote = next(line for line in reply.text.splitlines() if line.startswith("依据"))
    assert all(fact in quote for fact in facts), reply.text
    assert len(reply.text) <= FIRST_REPLY_MAX_CHARS


@pytest.mark.parametrize(("question", "direct", "fact"), [
    # a supporter who is on 低保 himself: his support is not counted (not the 支出型 rule)
    ("儿子自己也吃低保 他给我的赡养费算我收入不", "不算", "在计算转移净收入时不计入该赡养"),
    # large spending on illness: the 支出型 rule
    ("家里有人得了大病花了很多钱 算低保的时候赡养费能不算吗", "支出型", "可以不计算赡养"),
])
def test_support_from_relatives_answers_the_case_asked(
    policy_service: PolicyService, question: str, direct: str, fact: str
) -> None:
    reply = policy_service.reply(question, "山西省运城市", as_of=TODAY)
    first, *rest = reply.text.splitlines()
    assert direct in first, reply.text
    assert fact in reply.text, reply.text
    assert len(reply.text) <= FIRST_REPLY_MAX_CHARS
