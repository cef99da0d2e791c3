"""Number extraction (bot/numbers.py) and the ChineseNumberExtractor component."""
from __future__ import annotations

import warnings

import pytest

from bot.numbers import NumberMatch, extract_numbers, parse_number

# (text, [(kind, value, matched text), ...])
CASES = [
    # ways of writing an amount
    ("3500", [("number", 3500, "3500")]),
    ("3,500", [("number", 3500, "3,500")]),
    ("三千五", [("money", 3500, "三千五")]),
    ("3.5千", [("money", 3500, "3.5千")]),
    ("3千5", [("money", 3500, "3千5")]),
    ("3千500", [("money", 3500, "3千500")]),
    ("两千出头", [("money", 2000, "两千出头")]),
    ("一万二", [("money", 12000, "一万二")]),
    ("1.2万", [("money", 12000, "1.2万")]),
    ("三点五万", [("money", 35000, "三点五万")]),
    ("3万5", [("money", 35000, "3万5")]),
    ("3k", [("money", 3000, "3k")]),
    ("一万零五百", [("money", 10500, "一万零五百")]),
    ("每月1500元左右", [("money", 1500, "1500元左右")]),
    ("3500元", [("money", 3500, "3500元")]),
    ("三千块钱", [("money", 3000, "三千块钱")]),
    ("八百块", [("money", 800, "八百块")]),
    ("一块钱", [("money", 1, "一块钱")]),
    ("两千多块", [("money", 2000, "两千多块")]),
    ("住院花了两万多", [("money", 20000, "两万多")]),
    ("收入一千五", [("money", 1500, "一千五")]),
    ("月收入3500", [("money", 3500, "3500")]),
    ("月收入两千出头", [("money", 2000, "两千出头")]),
    ("工资才1800", [("money", 1800, "1800")]),
    ("一个月挣3000", [("money", 3000, "3000")]),
    ("3000一个月", [("money", 3000, "3000")]),
    ("低保标准是每人每月705元", [("money", 705, "705元")]),
    ("挣个三四千", [("money", 3000, "三四千")]),
    ("2000-3000元", [("money", 2000, "2000-3000元")]),
    ("2到3千", [("money", 2000, "2到3千")]),
    # age
    ("六十五岁", [("age", 65, "六十五岁")]),
    ("65周岁", [("age", 65, "65周岁")]),
    ("七十多岁", [("age", 70, "七十多岁")]),
    ("十几岁", [("age", 10, "十几岁")]),
    ("孩子十岁", [("age", 10, "十岁")]),
    ("我今年65", [("age", 65, "65")]),
    ("我今年七十了", [("age", 70, "七十")]),
    ("六七十岁的老人", [("age", 60, "六七十岁")]),
    ("60到70岁", [("age", 60, "60到70岁")]),
    # household size
    ("一家四口", [("household_size", 4, "一家四口")]),
    ("家里三口人", [("household_size", 3, "三口人")]),
    ("4口人", [("household_size", 4, "4口人")]),
    ("三口之家", [("household_size", 3, "三口之家")]),
    ("家里一共4个人", [("household_size", 4, "4个人")]),
    ("我家就我一个人", [("household_size", 1, "一个人")]),
    ("我一个人住", [("household_size", 1, "一个人")]),
    ("就剩老两口", [("household_size", 2, "两口")]),
    # months
    ("三个月", [("months", 3, "三个月")]),
    ("失业三个多月了", [("months", 3, "三个多月")]),
    ("半年", [("months", 6, "半年")]),
    ("一年", [("months", 12, "一年")]),
    ("两年半", [("months", 30, "两年半")]),
    ("已经失业一年多了", [("months", 12, "一年多")]),
    ("病了18个月", [("months", 18, "18个月")]),
    # disability grade
    ("一级残疾", [("disability_grade", 1, "一级")]),
    ("二级残疾", [("disability_grade", 2, "二级")]),
    ("残疾等级二级", [("disability_grade", 2, "二级")]),
    ("肢体残疾三级", [("disability_grade", 3, "三级")]),
    ("孩子是一二级残疾", [("disability_grade", 1, "一二级")]),
    ("有4级残疾证", [("disability_grade", 4, "4级")]),
    ("一、二级重度残疾人和三级智力、精神残疾人", [
        ("disability_grade", 1, "一、二级"), ("disability_grade", 3, "三级")]),
    ("残疾等级为一至二级", [("disability_grade", 1, "一至二级")]),
    ("工伤伤残五级", [("number", 5, "五级")]),  # grades of disability certificates are 1-4
    # years are years
    ("2022年", [("year", 2022, "2022年")]),
    ("二〇二二年", [("year", 2022, "二〇二二年")]),
    ("1998年出生", [("year", 1998, "1998年")]),
    # a whole message
    ("我65岁，老伴63岁，家里4口人，月收入3,500元，儿子一级残疾", [
        ("age", 65, "65岁"), ("age", 63, "63岁"), ("household_size", 4, "4口人"),
        ("money", 3500, "3,500元"), ("disability_grade", 1, "一级"),
    ]),
    ("家里5口人，3个孩子", [("household_size", 5, "5口人"), ("number", 3, "3个")]),
    # not numbers, or not these kinds
    ("12345热线", []),
    ("拨打12345政务服务便民热线", []),
    ("打110", []),
    ("手机13812345678", []),
    ("身份证142701199001011234", []),
    ("一门受理", []),
    ("第2条", []),
    ("第二十条", []),
    ("2023年7月1日起", [("year", 2023, "2023年")]),
    ("3月份", []),
    ("每月10号前发放", []),
    ("千万不要", []),
    ("万一", []),
    ("老百姓", []),
    ("十分感谢", []),
    ("一次性补贴", []),
    ("一起去", []),
    ("一块去", []),
    ("一点点", []),
    ("一些", []),
    ("上半年", []),
    ("三年级", []),
    ("一年一审", [("months", 12, "一年")]),
    ("三级医院", [("number", 3, "三级")]),
    ("运城", []),
    ("低保月标准1.5倍", [("number", 1.5, "1.5倍")]),
    ("按6:4比例负担", []),
    ("早上8:30上班", []),
    ("（十一）明确教育救助", []),
    ("1、将符合条件的人员纳入", []),
    ("低保一个月给多少", []),  # "per month", not a duration
    ("一年能申请几次", []),
    ("低保多久复查一次", []),
    ("晋中低保一人一个月多少钱", []),
    ("三千多少", [("money", 3000, "三千")]),
    ("3q", []),
    ("5G网络", []),
    ("月收入12300", [("money", 12300, "12300")]),
    ("养老金一个月一百多", [("money", 100, "一百多")]),
    ("俺家三口人一个月就挣一千五", [("household_size", 3, "三口人"), ("money", 1500, "一千五")]),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_extract_numbers(text, expected):
    matches = extract_numbers(text)
    assert [(m.kind, m.value, m.text) for m in matches] == expected
    for m in matches:
        assert text[m.start : m.end] == m.text
        assert isinstance(m.value, (int, float))


@pytest.mark.parametrize("text, approximate", [
    ("两千出头", True),
    ("月收入两千出头", True),
    ("七十多岁", True),
    ("十几岁", True),
    ("一千左右", True),
    ("大概三千", True),
    ("三千来块", True),
    ("三千五", False),
    ("六十五岁", False),
    ("一家四口", False),
])
def test_approximate(text, approximate):
    [match] = extract_numbers(text)
    assert match.approximate is approximate


@pytest.mark.parametrize("text, value, upper", [
    ("挣个三四千", 3000, 4000),
    ("孩子是一二级残疾", 1, 2),
    ("五六十岁", 50, 60),
    ("十七八岁", 17, 18),
    ("十几岁", 10, 19),
    ("60到70岁", 60, 70),
    ("2000-3000元", 2000, 3000),
    ("一年到两年", 12, 24),
    ("一、二级重度残疾人", 1, 2),
])
def test_ranges(text, value, upper):
    [match] = extract_numbers(text)
    assert (match.value, match.upper) == (value, upper)


@pytest.mark.parametrize("text, period", [
    ("月收入3500", "month"),
    ("一个月挣3000", "month"),
    ("3000一个月", "month"),
    ("每月1500元", "month"),
    ("年收入3万", "year"),
    ("一年收入三万", "year"),
    ("存款两万", None),
])
def test_money_period(text, period):
    [match] = [m for m in extract_numbers(text) if m.kind == "money"]
    assert match.period == period


def test_values_are_ints_when_whole():
    [match] = extract_numbers("3500元")
    assert type(match.value) is int
    [match] = extract_numbers("3.5元")
    assert match.value == 3.5


def test_offsets_in_longer_text():
    text = "您好，我今年六十五岁，一家四口，月收入两千出头。"
    matches = extract_numbers(text)
    assert matches == [
        NumberMatch("age", 65, 6, 10, "六十五岁"),
        NumberMatch("household_size", 4, 11, 15, "一家四口"),
        NumberMatch("money", 2000, 19, 23, "两千出头", approximate=True, period="month"),
    ]


def test_full_width_and_traditional_digits():
    [match] = extract_numbers("月收入３５００元")
    assert (match.kind, match.value, match.text) == ("money", 3500, "３５００元")
    [match] = extract_numbers("一萬二")
    assert match.value == 12000


@pytest.mark.parametrize("numeral", [
    "三千五", "一万二", "两千", "十五", "二十五", "一百零五", "一百二十", "三千零五", "七十",
    "一万两千五百", "3.5千", "3千5", "1.2万", "两百五", "九千九百九十九", "二〇二二",
])
def test_parse_number_agrees_with_cn2an(numeral):
    import cn2an

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = cn2an.cn2an(numeral, "smart")
    assert parse_number(numeral) == expected


@pytest.mark.parametrize("text", ["", "运城", "一门", "3500元", "千万"])
def test_parse_number_rejects_non_numerals(text):
    assert parse_number(text) is None


# ------------------------------------------------------------------------------ Rasa component


def _message(text: str, entities=None):
    from rasa.shared.nlu.training_data.message import Message

    data = {"text": text}
    if entities is not None:
        data["entities"] = entities
    return Message(data=data)


@pytest.fixture(scope="module")
def number_extractor():
    from bot.nlu.numbers import ChineseNumberExtractor

    return ChineseNumberExtractor.create({}, None, None, None)  # type: ignore[arg-type]


def test_number_extractor_entities(number_extractor):
    [message] = number_extractor.process([_message("我今年六十五岁，月收入两千出头，2022年")])
    assert message.get("entities") == [
        {"entity": "age", "start": 3, "end": 7, "value": 65,
         "extractor": "ChineseNumberExtractor", "confidence_entity": 1.0,
         "additional_info": {"approximate": False}},
        {"entity": "money", "start": 11, "end": 15, "value": 2000,
         "extractor": "ChineseNumberExtractor", "confidence_entity": 1.0,
         "additional_info": {"approximate": True, "period": "month"}},
    ]  # "year" is not emitted by default


def test_number_extractor_kinds_config():
    from bot.nlu.numbers import ChineseNumberExtractor

    extractor = ChineseNumberExtractor.create(
        {"kinds": ["year", "money"]}, None, None, None)  # type: ignore[arg-type]
    [message] = extractor.process([_message("2022年，六十五岁，三千块")])
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [
        ("year", 2022), ("money", 3000)]
    with pytest.raises(ValueError):
        ChineseNumberExtractor.create(
            {"kinds": ["salary"]}, None, None, None)  # type: ignore[arg-type]


def test_number_extractor_range_info(number_extractor):
    [message] = number_extractor.process([_message("挣个三四千")])
    [entity] = message.get("entities")
    assert entity["value"] == 3000
    assert entity["additional_info"] == {"approximate": True, "upper": 4000}


def test_number_extractor_does_not_duplicate(number_extractor):
    existing = {"entity": "age", "start": 0, "end": 3, "value": "65岁",
                "extractor": "DIETClassifier"}
    message = _message("65岁", entities=[existing])
    number_extractor.process([message])
    number_extractor.process([message])
    assert message.get("entities") == [existing]


def test_components_run_in_a_rasa_predict_graph(tmp_path):
    """Both components load by module path from a config.yml-style pipeline and run."""
    from rasa.core.channels.channel import UserMessage
    from rasa.engine import validation
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.recipes.recipe import Recipe
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.shared.data import TrainingType

    config = {
        "recipe": "default.v1",
        "language": "zh",
        "pipeline": [
            {"name": "bot.nlu.regions.RegionEntityExtractor"},
            {"name": "bot.nlu.numbers.ChineseNumberExtractor"},
        ],
        "policies": [],
    }
    recipe = Recipe.recipe_for_name("default.v1")
    model_config = recipe.graph_config_for_recipe(config, {}, training_type=TrainingType.NLU)
    validation.validate(model_config)
    schema = model_config.predict_schema
    runner = DaskGraphRunner.create(schema, LocalModelStorage(tmp_path), ExecutionContext(schema))
    outputs = runner.run(
        inputs={"__message__": [UserMessage("我是运城盐湖区的，家里三口人")]},
        targets=["run_RegexMessageHandler"],
    )
    [message] = outputs["run_RegexMessageHandler"]
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [
        ("region", "山西省运城市盐湖区"), ("household_size", 3)]
