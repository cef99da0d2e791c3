"""The region gazetteer (bot/regions.py) and the RegionEntityExtractor component."""
from __future__ import annotations

from collections import Counter

import pytest

from bot import regions
from bot.regions import (
    COVERED_PROVINCES,
    Region,
    all_regions,
    ancestors,
    display_name,
    find_regions,
    get_region,
    normalize_region,
    region_applies,
)

# ------------------------------------------------------------------------------ data


def _counts() -> Counter:
    return Counter((r.province, r.level) for r in all_regions())


def test_covered_provinces_are_complete():
    counts = _counts()
    assert counts[("山西省", regions.CITY)] == 11
    assert counts[("山西省", regions.COUNTY)] == 117
    assert counts[("宁夏回族自治区", regions.CITY)] == 5
    assert counts[("宁夏回族自治区", regions.COUNTY)] == 22
    assert COVERED_PROVINCES == ("山西省", "宁夏回族自治区")


def test_shanxi_county_types():
    counties = [r.county for r in all_regions() if r.province == "山西省" and r.county]
    assert sum(c.endswith("区") for c in counties) == 26
    assert sum(c.endswith("市") for c in counties) == 11
    assert sum(c.endswith("县") for c in counties) == 80


def test_every_provincial_division_is_listed():
    provinces = [r for r in all_regions() if r.level == regions.PROVINCE]
    assert len(provinces) == 34
    names = {r.name for r in provinces}
    for name in ("北京市", "天津市", "上海市", "重庆市", "内蒙古自治区", "广西壮族自治区",
                 "西藏自治区", "新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区",
                 "台湾省", "黑龙江省", "海南省"):
        assert name in names
    for region in all_regions():
        assert region.covered == (region.province in COVERED_PROVINCES)


def test_every_other_province_but_municipalities_and_sars_has_its_capital():
    capitals = {"河北省": "石家庄市", "辽宁省": "沈阳市", "吉林省": "长春市", "黑龙江省": "哈尔滨市",
                "江苏省": "南京市", "浙江省": "杭州市", "安徽省": "合肥市", "福建省": "福州市",
                "江西省": "南昌市", "山东省": "济南市", "河南省": "郑州市", "湖北省": "武汉市",
                "湖南省": "长沙市", "广东省": "广州市", "海南省": "海口市", "四川省": "成都市",
                "贵州省": "贵阳市", "云南省": "昆明市", "陕西省": "西安市", "甘肃省": "兰州市",
                "青海省": "西宁市", "台湾省": "台北市", "内蒙古自治区": "呼和浩特市",
                "广西壮族自治区": "南宁市", "西藏自治区": "拉萨市",
                "新疆维吾尔自治区": "乌鲁木齐市"}
    for province, capital in capitals.items():
        region = get_region(province + capital)
        assert region is not None and region.covered is False, province


def test_region_fields():
    assert get_region("山西省运城市盐湖区") == Region(
        "山西省运城市盐湖区", "山西省", "运城市", "盐湖区", True)
    assert get_region("宁夏回族自治区银川市") == Region(
        "宁夏回族自治区银川市", "宁夏回族自治区", "银川市", None, True)
    assert get_region("北京市") == Region("北京市", "北京市", None, None, False)
    assert get_region("山西省") == Region("山西省", "山西省", None, None, True)
    assert get_region("运城") is None  # canonical names only


def test_aliases_are_never_single_characters():
    gazetteer = regions._gazetteer()
    assert all(len(alias) >= 2 for alias in gazetteer.aliases)
    assert all(len(alias) >= 2 for alias in gazetteer.qualified)
    for stem in ("沁", "应", "祁", "代", "夏", "晋", "宁"):
        assert stem not in gazetteer.aliases


def test_generic_names_need_their_city():
    gazetteer = regions._gazetteer()
    for generic in ("城区", "矿区", "郊区", "小店", "长子", "上党", "惠农", "同心", "金凤"):
        assert generic not in gazetteer.aliases


def test_ambiguous_alias_is_an_error():
    data = {"provinces": [
        {"name": "甲省", "covered": True, "cities": [
            {"name": "一一市", "counties": ["东城区"]},
            {"name": "二二市", "counties": ["东城区"]},
        ]},
    ]}
    with pytest.raises(regions.RegionDataError, match="东城"):
        regions._build(data)


def test_name_shared_with_uncovered_region_resolves_to_covered():
    data = {"provinces": [
        {"name": "甲省", "covered": False, "cities": ["永和市"]},
        {"name": "乙省", "covered": True, "cities": [{"name": "丙丙市", "counties": ["永和县"]}]},
    ]}
    gazetteer = regions._build(data)
    assert gazetteer.aliases["永和"] == "乙省丙丙市永和县"


# ------------------------------------------------------------------------------ matching

NORMALIZE_CASES = [
    ("我是运城盐湖区的", "山西省运城市盐湖区"),
    ("宁夏", "宁夏回族自治区"),
    ("永济", "山西省运城市永济市"),
    ("北京", "北京市"),
    ("山西太原", "山西省太原市"),
    ("我在太原小店", "山西省太原市小店区"),
    ("山西", "山西省"),
    ("运城", "山西省运城市"),
    ("盐湖", "山西省运城市盐湖区"),
    ("银川", "宁夏回族自治区银川市"),
    ("山西省运城市盐湖区", "山西省运城市盐湖区"),
    ("山西省 运城市 盐湖区", "山西省运城市盐湖区"),
    ("阳泉市城区", "山西省阳泉市城区"),
    ("阳泉城区", "山西省阳泉市城区"),
    ("晋城城区", "山西省晋城市城区"),
    ("晋城市矿区", "山西省晋城市"),  # 晋城 has no 矿区
    ("阳泉矿区", "山西省阳泉市矿区"),
    ("阳泉郊区", "山西省阳泉市郊区"),
    ("大同城区", "山西省大同市平城区"),
    ("长治长子县", "山西省长治市长子县"),
    ("我们这儿是长子县", "山西省长治市长子县"),
    ("长治县", "山西省长治市上党区"),
    ("沁县", "山西省长治市沁县"),
    ("朔州应县人", "山西省朔州市应县"),
    ("宁夏银川金凤区", "宁夏回族自治区银川市金凤区"),
    ("俺在吴忠同心县", "宁夏回族自治区吴忠市同心县"),
    ("石嘴山惠农区", "宁夏回族自治区石嘴山市惠农区"),
    ("我在红寺堡", "宁夏回族自治区吴忠市红寺堡区"),
    ("河南郑州", "河南省郑州市"),
    ("内蒙古呼和浩特的", "内蒙古自治区呼和浩特市"),
    ("吉林", "吉林省"),
    ("吉林省吉林市", "吉林省吉林市"),
    ("香港", "香港特别行政区"),
    ("山西夏县", "山西省运城市夏县"),
    ("我户口在大同 现在住太原", "山西省大同市"),  # equally specific: the first
    ("户口在太原，现在住运城盐湖区", "山西省运城市盐湖区"),  # the most specific
    # traditional characters
    ("運城", "山西省运城市"),
    ("寧夏", "宁夏回族自治区"),
    ("晉城", "山西省晋城市"),
    ("晉中市榆次區", "山西省晋中市榆次区"),
    ("山西省太原市", "山西省太原市"),
    ("寧夏回族自治區銀川市興慶區", "宁夏回族自治区银川市兴庆区"),
    ("臨汾市堯都區", "山西省临汾市尧都区"),
    # not places
    ("城区", None),
    ("城区居民", None),
    ("我开了个小店", None),
    ("我是家里的长子", None),
    ("他去上党课了", None),
    ("惠农政策", None),
    ("我们要同心协力", None),
    ("我叫李金凤", None),
    ("大同小异", None),
    ("长治久安", None),
    ("老汉中风了躺在床上", None),  # not 陕西汉中 (issue 11)
    ("家中卫生搞不动了", None),
    ("祝您安康", None),
    ("由相应县级民政部门审核", None),
    ("沁", None),
    ("低保怎么申请", None),
    ("", None),
]


@pytest.mark.parametrize("text, expected", NORMALIZE_CASES)
def test_normalize_region(text, expected):
    region = normalize_region(text)
    assert (region.name if region else None) == expected


def test_uncovered_region():
    region = normalize_region("我在北京")
    assert region is not None and region.covered is False
    assert normalize_region("山西太原").covered is True


def test_find_regions_offsets():
    text = "我是运城盐湖区的，现在在宁夏银川打工"
    matches = find_regions(text)
    assert [(m.start, m.end, m.text, m.region.name) for m in matches] == [
        (2, 7, "运城盐湖区", "山西省运城市盐湖区"),
        (12, 16, "宁夏银川", "宁夏回族自治区银川市"),
    ]
    for m in matches:
        assert text[m.start : m.end] == m.text


def test_find_regions_keeps_original_text_for_traditional():
    [match] = find_regions("我住在運城")
    assert match.text == "運城"
    assert match.region.name == "山西省运城市"


def test_find_regions_longest_match_and_no_overlap():
    matches = find_regions("新绛县和绛县")
    assert [m.region.name for m in matches] == ["山西省运城市新绛县", "山西省运城市绛县"]
    matches = find_regions("山西省运城市")
    assert len(matches) == 1 and matches[0].end == 6


def test_unrelated_neighbours_are_separate_matches():
    matches = find_regions("山西宁夏")
    assert [m.region.name for m in matches] == ["山西省", "宁夏回族自治区"]
    matches = find_regions("太原盐湖区")  # 盐湖区 is not in 太原
    assert [m.region.name for m in matches] == ["山西省太原市", "山西省运城市盐湖区"]


# ------------------------------------------------------------------------------ hierarchy

APPLIES_CASES = [
    ("山西省", "山西省运城市盐湖区", True),
    ("山西省运城市", "山西省运城市盐湖区", True),
    ("山西省运城市盐湖区", "山西省运城市盐湖区", True),
    ("山西省运城市", "山西省太原市", False),
    ("山西省运城市盐湖区", "山西省运城市", False),  # a county document does not cover the city
    ("山西省", "宁夏回族自治区", False),
    ("山西省", "宁夏回族自治区银川市", False),
    ("宁夏回族自治区", "宁夏回族自治区银川市兴庆区", True),
    ("山西省阳泉市城区", "山西省晋城市城区", False),
    ("全国", "宁夏回族自治区银川市", True),
    ("山西省", "火星", False),
    ("火星", "山西省", False),
]


@pytest.mark.parametrize("document, resident, expected", APPLIES_CASES)
def test_region_applies(document, resident, expected):
    assert region_applies(document, resident) is expected


def test_ancestors():
    assert ancestors("山西省运城市盐湖区") == ["山西省运城市盐湖区", "山西省运城市", "山西省"]
    assert ancestors("宁夏回族自治区银川市") == ["宁夏回族自治区银川市", "宁夏回族自治区"]
    assert ancestors("北京市") == ["北京市"]
    assert ancestors("运城") == ["山西省运城市", "山西省"]  # a plain name is resolved
    assert ancestors("火星") == []


@pytest.mark.parametrize("name, expected", [
    ("山西省", "山西省"),
    ("山西省运城市", "山西省运城市"),
    ("山西省运城市盐湖区", "运城市盐湖区"),
    ("宁夏回族自治区", "宁夏"),
    ("宁夏回族自治区银川市", "宁夏银川市"),
    ("宁夏回族自治区银川市兴庆区", "银川市兴庆区"),
    ("北京市", "北京市"),
    ("香港特别行政区", "香港"),
    ("火星", "火星"),
])
def test_display_name(name, expected):
    assert display_name(name) == expected
    region = get_region(name)
    if region is not None:
        assert display_name(region) == expected


# ------------------------------------------------------------------------------ jieba


def test_jieba_places_file_is_up_to_date():
    current = regions.JIEBA_PLACES_FILE.read_text(encoding="utf-8")
    assert current == regions.jieba_dictionary_text(), (
        "data/jieba/places.txt is stale: run `python -m bot.regions`"
    )


def test_jieba_lines_format():
    lines = regions.jieba_dictionary_lines()
    assert "运城市 2000 ns" in lines
    assert "运城 1000 ns" in lines
    assert "宁夏 1000 ns" in lines
    for line in lines:
        word, freq, tag = line.split(" ")
        assert len(word) >= 2 and freq.isdigit() and tag == "ns"
    words = {line.split(" ")[0] for line in lines}
    assert "小店" not in words and "城区" not in words and "长子" not in words


# ------------------------------------------------------------------------------ Rasa component


@pytest.fixture(scope="module")
def region_extractor():
    from bot.nlu.regions import RegionEntityExtractor

    return RegionEntityExtractor.create({}, None, None, None)  # type: ignore[arg-type]


def _message(text: str, entities=None):
    from rasa.shared.nlu.training_data.message import Message

    data = {"text": text}
    if entities is not None:
        data["entities"] = entities
    return Message(data=data)


def test_region_extractor_adds_canonical_entities(region_extractor):
    message = _message("我是運城盐湖区的，户口在宁夏")
    [processed] = region_extractor.process([message])
    assert processed.get("entities") == [
        {"entity": "region", "start": 2, "end": 7, "value": "山西省运城市盐湖区",
         "extractor": "RegionEntityExtractor", "confidence_entity": 1.0},
        {"entity": "region", "start": 12, "end": 14, "value": "宁夏回族自治区",
         "extractor": "RegionEntityExtractor", "confidence_entity": 1.0},
    ]


def test_region_extractor_value_for_short_name(region_extractor):
    [processed] = region_extractor.process([_message("运城")])
    [entity] = processed.get("entities")
    assert entity["value"] == "山西省运城市" and (entity["start"], entity["end"]) == (0, 2)


def test_region_extractor_does_not_duplicate(region_extractor):
    existing = {"entity": "region", "start": 0, "end": 2, "value": "运城",
                "extractor": "DIETClassifier"}
    message = _message("运城", entities=[existing])
    region_extractor.process([message])
    region_extractor.process([message])
    assert message.get("entities") == [existing]


def test_region_extractor_no_region(region_extractor):
    [processed] = region_extractor.process([_message("低保标准是多少")])
    assert processed.get("entities") == []
