"""Reading one utterance of a call as speech-to-text writes it (bot.hotline.spoken, bot.hotline.extract).

The sentences here are not those of the eval set (tests/eval/hotline_calls.yml)."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.hotline.extract import asked_fields, find_district_name, hear, segment_facts
from bot.hotline.spoken import address_numerals, masked_speech, read_out_digits, tail_correction
from bot.core.testing import sample_id_number


@pytest.mark.parametrize("said, written", [
    ("号码是一五零 三四一二 七七八九", "号码是15034127789"),
    ("幺八六 零零幺二 三四五六", "18600123456"),
    ("手机 158 0351 2468 您记一下", "手机 15803512468 您记一下"),
    ("身份证一四零八零二一九五八零三一五零零二叉", "身份证14080219580315002X"),
])
def test_numbers_read_out_digit_by_digit_become_one_number(said: str, written: str) -> None:
    assert read_out_digits(said) == written


@pytest.mark.parametrize("said", ["一个月三四千", "一二级残疾", "家里五六口人", "一二三四五热线", "2022年8月"])
def test_short_runs_of_numerals_are_left_alone(said: str) -> None:
    assert read_out_digits(said) == said


def test_the_end_of_a_number_given_again() -> None:
    text = read_out_digits("一三八零三五一二二二二 不是 尾号是七七六六")
    assert text.startswith("13803512222") and tail_correction(text) == "7766"


def test_addresses_get_arabic_numerals_but_place_names_keep_theirs() -> None:
    assert address_numerals("城关镇五里铺村二组十五号") == "城关镇五里铺村2组15号"
    assert address_numerals("阳光小区十号楼三单元五零二") == "阳光小区10号楼3单元502"


def test_the_panel_masks_numbers_read_out() -> None:
    shown = masked_speech("我电话是一五零 三四一二 七七八九")
    assert "7789" in shown and "15034127789" not in shown and "一五零" not in shown


@pytest.mark.parametrize("said, name", [
    ("我叫郑桂芳 电话一五零三四一二七七八九", "郑桂芳"),
    ("免贵姓田 田丰收", "田丰收"),
    ("你叫我老孟就行 孟庆山", "孟庆山"),
    ("我是冯玉梅 住在城关镇", "冯玉梅"),
    ("我叫刘芳 哦不对 是刘芳芳", "刘芳芳"),
])
def test_the_callers_name(said: str, name: str) -> None:
    assert hear(said).name == name


@pytest.mark.parametrize("said", ["我是临汾的", "我是村里的", "我是甘肃人", "我是想问一下低保", "我是低保户"])
def test_places_and_words_after_wo_shi_are_not_names(said: str) -> None:
    assert hear(said).name is None


def test_a_bare_name_counts_when_the_operator_asked_for_it() -> None:
    asked = asked_fields("请问您怎么称呼？")
    assert "caller_name" in asked
    assert hear("邢秀珍", asked).name == "邢秀珍"
    assert hear("邢秀珍 电话一五零三四一二七七八九", asked).name == "邢秀珍"
    assert hear("邢秀珍").name is None
    assert hear("不方便说", asked).name is None


def test_a_place_corrected_in_mid_sentence() -> None:
    assert hear("我在临汾尧都区 哦不对 是临汾洪洞县").region.name == "山西省临汾市洪洞县"


def spoken(digits: str) -> str:
    return "".join("零一二三四五六七八九"[int(d)] if d.isdigit() else "叉" for d in digits)


def test_phone_and_id_numbers_are_read_and_validated() -> None:
    id_number = sample_id_number(7, born=dt.date(1958, 3, 15))
    heard = hear(f"我电话幺三九 零三五九 八八八八 身份证号{spoken(id_number)}")
    assert heard.phone == "13903598888" and heard.id_number == id_number
    assert "13903598888" not in heard.query and id_number not in heard.query  # never searched for
    wrong = id_number[:-1] + ("1" if id_number[-1] != "1" else "2")
    assert hear(f"身份证号{spoken(wrong)}").id_number is None  # the check digit is wrong


def test_an_invalid_mobile_is_not_taken() -> None:
    assert hear("电话一二三四五六七八九零一").phone is None


def test_a_correction_replaces_the_fact_before_it() -> None:
    assert hear("俺家五口人 说错了 是六口人").facts["household.size"] == 6
    income = hear("一个月挣两千 不对 是一千八").facts
    assert income["household.monthly_income"] == 1800


def test_a_bare_answer_is_read_as_what_the_operator_asked() -> None:
    asked = asked_fields("老人家今年多大年纪了？")
    assert hear("八十三", asked).facts["applicant.age"] == 83
    assert "applicant.age" not in hear("八十三").facts


def test_a_yearly_income_is_a_monthly_fact() -> None:
    assert hear("种地一年收入也就一万二").facts["household.monthly_income"] == 1000


def test_facts_said_in_so_many_words() -> None:
    facts = hear("我母亲六十九了 一个人在农村住 有残疾证 视力一级 没有劳动能力 儿女都不管").facts
    assert facts["applicant.age"] == 69
    assert facts["applicant.disability"] == "visual:1"
    assert facts["applicant.able_to_work"] is False
    assert facts["applicant.has_able_supporter"] is False
    assert facts["residence"] == "rural"


def test_low_income_family_is_not_being_on_dibao() -> None:
    edge = hear("我们是低保边缘家庭").facts
    assert edge.get("household.low_income_family") is True and "household.on_dibao" not in edge
    assert hear("我家是低保户").facts["household.on_dibao"] is True


@pytest.mark.parametrize("said, emergency", [
    ("家里房子失火了 啥都没了", "fire"),
    ("我爸前天被车撞了还在医院", "traffic_accident"),
    ("孩子突然晕倒送去抢救了", "sudden_illness"),
    ("村里发洪水 房子塌了", "disaster"),
])
def test_emergencies(said: str, emergency: str) -> None:
    heard = hear(said)
    assert heard.facts["applicant.emergency"] == emergency and heard.urgent


def test_past_medical_costs_are_not_an_emergency() -> None:
    heard = hear("去年做手术自己花了三万")
    assert heard.facts["applicant.medical_out_of_pocket_yearly"] == 30000
    assert "applicant.emergency" not in heard.facts and not heard.urgent
    assert "applicant.disability" not in heard.facts  # 手术 is not a limb


def test_the_district_and_the_address() -> None:
    heard = hear("我住在城关镇西关村五组二十号")
    assert heard.district == "城关镇" and heard.address == "城关镇西关村5组20号"
    assert hear("我在城关镇 编号我忘了").address is None


@pytest.mark.parametrize("said", ["我上个月去镇上问过", "城乡低保标准一样吗", "我是乡下的", "老乡帮我打的电话"])
def test_words_with_zhen_or_xiang_are_not_districts(said: str) -> None:
    assert find_district_name(said) is None


def test_the_region_a_covered_province_first() -> None:
    assert hear("我是河北人 现在在吴忠打工").region.name == "宁夏回族自治区吴忠市"


@pytest.mark.parametrize("said, programs", [
    ("想问问单独吃低保的事", ("dibao_individual",)),
    ("我家是低保户 孩子上班了 渐退期有多长", ("gradual_exit",)),
    ("没就业的大学生有没有临时救助", ("graduate_assistance",)),
    ("我们是低保边缘户 还有啥救助", ()),
    ("五保老人能领多少", ("tekun",)),
    ("打工的没交失业保险 一次性的救助金咋领", ("unemployed_one_off",)),
])
def test_the_programs_a_caller_asks_about(said: str, programs: tuple[str, ...]) -> None:
    assert hear(said).programs == programs


@pytest.mark.parametrize("said, category", [
    ("去年申请的特困到现在还没批下来 想问问进度", "status"),
    ("这个月低保金还没打到卡上", "complaint"),
    ("村干部优亲厚友 我要举报", "complaint"),
    ("我想给我爸申请特困供养", "apply"),
])
def test_what_the_caller_wants(said: str, category: str) -> None:
    assert category in hear(said).categories


def test_asking_how_to_apply_is_not_applying() -> None:
    assert hear("低保怎么申请啊").categories == ()


def test_a_relatives_disability_is_heard_on_the_hotline() -> None:
    # The call is about whoever needs help ("…能不能给他单独办"); in the chat a relative's
    # disability is not the applicant's (bot.questionnaire.answers.mentioned_facts).
    said = "喂 我想问一下单独吃低保的事 我儿子是重度残疾 一级 智力残疾"
    assert segment_facts(said)["applicant.disability"] == "intellectual:1"
