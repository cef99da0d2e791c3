"""Reading residents' colloquial answers into screening facts ("没有", "三口人", "两千出头").

`parse_answer(path, text)` reads the answer to the question that was asked; it returns
`NOT_UNDERSTOOD` when the text does not answer it. `mentioned_facts(text)` picks up facts a
resident states unasked or corrects ("刚才说错了，家里是四口人"), only where the wording is
unambiguous. Paths are the screening API's field paths (bot.eligibility.facts.FIELD_PATHS).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import cn2an
import yaml

from bot.eligibility.facts import PENSION_ONLY
from bot.numbers import PER_YEAR, NumberMatch, extract_numbers
from bot.regions import normalize_region, region_in_answer
from bot.settings import get_settings
from bot.towns import county_of_town
from bot.text import normalize_text

NOT_UNDERSTOOD = object()


@lru_cache(maxsize=4)
def answer_words(data_dir: Path) -> dict[str, Any]:
    """data/answer_words.yml: spoken forms and typos read as the common words, yes and no words."""
    words = yaml.safe_load((data_dir / "answer_words.yml").read_text(encoding="utf-8"))
    replaced = {**(words.get("spoken") or {}), **(words.get("typos") or {})}
    return {
        "replaced": tuple(sorted(replaced.items(), key=lambda item: -len(item[0]))),  # longest first
        "yes": tuple(words["yes_words"]),
        "no": tuple(words["no_words"]),
    }


def words() -> dict[str, Any]:
    return answer_words(get_settings().data_dir)
_FEW_PEOPLE_RE = re.compile(r"(俩|仨)(?=人|口|个)")
NONE = "none"  # an explicit "no" for disability and emergency
UNKNOWN = "unknown"  # "不清楚": asked and answered, but the fact stays unknown to the rules

# "不清楚", "不知道": the resident does not know (kept as unknown, never as "no").
_UNKNOWN_RE = re.compile(
    r"不清楚|不知道|不晓得|不了解|说不清|说不好|不确定|没数|搞不清|弄不清|记不清|不太懂|不懂|不好说|跳过|"
    r"说不上来|说不准|说不来|没算过|算不清|算不来|有时候有有时候没|时有时无|记不得|记不住|忘了|"
    # someone else would know ("问问村里才知道", "得问我儿子")
    r"(?:问问|问一下|问了|得问|要问|去问).{0,8}(?:才|就)(?:知道|清楚|晓得)|"
    r"得问(?:问)?(?:我|俺)?(?:家)?(?:儿子|闺女|女儿|孩子|娃|老伴|村里|村委|社区|会计|支书)"
)
# A question about the question ("啥叫低收入家庭？", "养老金算不算收入").
_ASKS_BACK_RE = re.compile(
    r"啥叫|什么叫|什么是|啥是|是啥|是什么意思|啥意思|什么意思|咋算|怎么算|怎样算|算不算|算啥|包括啥|包括什么|"
    r"包不包括|指的是|指什么|指啥|是指|咋理解|怎么理解|有啥区别|什么区别|是说啥|说的是啥|是个啥|都算啥|啥算|"
    r"哪些算|算哪些|就是.{1,15}吧[?？]?$"
)
# A message that is itself a question (not an answer with a question word in it).
_QUESTION_END_RE = re.compile(r"[?？]\s*$|意思|是说啥|说的是啥|是个啥|都算啥|啥算|哪些算|算哪些")
# Income that counts as a source of income (a pension is one).
_INCOME_SOURCES_RE = re.compile(
    r"养老金|退休金|退休工资|工资|租金|房租|地租|补贴|补助|抚恤金|低保|打零工|零工|打工|上班|挣钱|种地|经营|生意|分红|"
    r"种[\u4e00-\u9fa5]{1,2}(?:地|菜|树|果|粮)?|养(?:了)?(?:几|一些|些|点)?(?:头|只|群|箱|窝)?[羊猪牛鸡鸭鱼蜂]|放羊|放牛|务农|摆摊|卖|帮工|拉货|跑车|开车|开三轮|开出租|"
    r"网上卖|保姆|保洁|打扫|看大门|当保安|洗碗|服务员|饭馆|饭店|餐馆|帮厨|外卖|快递|搬运|装卸|干活挣|"
    r"收破烂|收废品|捡破烂|扫大街|扫马路|环卫|公益岗|"
    r"手工|零活|短工|小工|临时工|季节工|摘(?:枸杞|棉花|果|苹果|花椒|辣椒|菜)|采摘|挣(?!不)(?:得|了|点|些|个|钱)"
)
_NEGATED_BEFORE = re.compile(r"(?:没有|没|无|不领|不拿|算不上|不算|不是)(?:听说|发现|查出|查出来)?\S{0,2}$")
_DOUBLE_NEGATIVE_RE = re.compile(r"不算没|不是没|并不是没|也不是没")
_CONTRAST_RE = re.compile(r"但是|但|可是|(?:(?<=[，,。 ])|^)不过|就是|只是")  # not the 不过 of 顾不过来
_FAMILY_RE = re.compile(
    r"儿子|女儿|闺女|孩子|子女|娃|老伴|丈夫|老公|男人|媳妇|妻子|爱人|父母|爸|妈|爹|娘|儿女|姑娘|小子|公公|婆婆|"
    r"爷爷|奶奶|哥|姐|弟|妹|侄|孙"
)
_CN_COUNT = r"[\d一二两三四五六七八九十]+"

_NEGATIVE_RE = re.compile(r"没有|没|不是|不能|不会|不行|无|否|不算|不用|未|不")
_POSITIVE_RE = re.compile(r"有|是|对|能|可以|嗯|行|会|参加|交了|交过|交着|在交|领了|领过|领着|吃着|在吃|在领|办过|算|中|没错|当然")
_NO_INCOME_RE = re.compile(
    r"没有收入|没收入|没有进项|没进项|零收入|一分钱都没|没啥收入|没什么收入|不挣钱|没钱|"
    r"(?:啥|什么)(?:收入|钱|进项)?(?:也|都)没|一分(?:钱)?(?:也|都)?没|一分钱.{0,4}(?:也|都)没"
)
# "千把块", "万把块": about a thousand, ten thousand.
_ABOUT_RE = re.compile(r"(?<![\d一二两三四五六七八九十])(百|千|万)(?:把|数)")
# Hardly any medical spending ("基本不花钱", "没咋看病"): none.
_NO_MEDICAL_RE = re.compile(r"(?:都|全)报了|全报销|不花(?:什么|啥)?钱|没花(?:什么|啥)?钱|没(?:咋|怎么|去)?看(?:过)?病|不(?:咋|怎么)看病|不吃药")
_SUPPORTER_UNABLE_RE = re.compile(
    r"顾不上|管不了|管不上|没能力|没有能力|养不起|自己都困难|自己都难|指望不上|不管|不来往|不联系|都没了|去世|过世|没儿没女|孤寡|"
    r"走了|不在了|没了|靠不上|顾不了|各顾各|自身难保|也困难|也难|也穷|没工作|残疾|有病|瘫|紧巴|各过各|"
    r"都老了|老了|岁数大|年纪大|[七八九]十多|还小|太小|上学|念书|读书|未成年|没成年|顾不住|也紧|自己都|自己也|下岗|失业|"
    r"坐牢|服刑|监狱|判了|进去了"
)
_URBAN_RE = re.compile(r"城市|城镇|城里|县城|市里|市区|镇上|小区|城区|街道")
_RURAL_RE = re.compile(r"农村|村里|乡下|村上|农民|种地|村子|乡里|山沟|山里|沟里|庄子上")
DISABILITY_KINDS = (
    ("multiple", re.compile(r"多重")),
    ("intellectual", re.compile(r"智力|智障|脑瘫")),
    ("mental", re.compile(r"精神")),
    ("visual", re.compile(r"视力|眼睛|失明|盲")),
    ("hearing", re.compile(r"听力|耳朵|耳聋|聋")),
    ("speech", re.compile(r"言语|说话|哑")),
    ("physical", re.compile(r"肢体|腿|胳膊|手|脚|截肢|瘫")),
)
EMERGENCIES = (
    ("fire", re.compile(r"火灾|着火|失火|烧了|火")),
    ("traffic_accident", re.compile(r"车祸|交通事故|撞")),
    ("sudden_illness", re.compile(r"突发|急病|重病|住院|住了.{0,5}院|抢救|手术|癌|中风|脑梗|脑出血|心梗|病倒")),
    ("disaster", re.compile(r"灾|洪水|发大水|水淹|淹了|被淹|地震|冰雹|雹子|泥石流|塌了|倒塌|旱|冻了|遭(?:了)?冻|冻坏|霜冻|打霜|风刮")),
    ("other", re.compile(
        r"遭贼|被偷|被骗|漏雨|漏水|房子(?:坏|裂|塌)|摔伤|摔坏|摔了|摔倒|跌倒|受伤|骨折|砸伤|工伤|出事|去世|过世|病故|丧事|"
        r"刚(?:刚)?(?:走|没|去世|过世)|"
        # debts, losses of livestock or harvest, wages not paid: a sudden hardship staff weigh
        r"欠(?:了|下)?.{0,6}(?:万|千|钱|账|债)|拉(?:了|下)?饥荒|外债|借(?:了)?.{0,4}钱|"
        r"(?:羊|牛|猪|鸡|驴|马|牲口|牲畜).{0,10}死|死了.{0,6}(?:只|头|匹)|瘟|绝收|颗粒无收|白干|"
        r"欠薪|工钱.{0,4}没|工资.{0,4}没(?:给|发|拿)|老板跑|赔了|亏了")),
)


def _numbers(text: str, *kinds: str) -> list[NumberMatch]:
    return [m for m in extract_numbers(text) if m.kind in kinds]


def _bool(text: str) -> Any:
    if _DOUBLE_NEGATIVE_RE.search(text):
        return True
    # An answer, then a "but" ("能干，就是找不到活"): the answer is what comes first.
    parts = _CONTRAST_RE.split(text, maxsplit=1)
    if len(parts) > 1 and parts[0].strip("，,。 "):
        first = _plain_bool(parts[0])
        if first is not NOT_UNDERSTOOD:
            return first
    return _plain_bool(text)


# A rhetorical no ("工地上哪给交那个", "哪有人管").
_RHETORICAL_NO_RE = re.compile(r"哪(?:儿|里)?(?:给|有|会|能|交|来|舍得|顾得上|管)")


def _plain_bool(text: str) -> Any:
    if _RHETORICAL_NO_RE.search(text) or _NEGATIVE_RE.search(text):
        return False
    if _POSITIVE_RE.search(text):
        return True
    return NOT_UNDERSTOOD


def _first_number(text: str, kinds: tuple[str, ...], low: float, high: float) -> Any:
    for match in _numbers(text, *kinds, "number"):
        if low <= match.value <= high:
            return match.value
    return NOT_UNDERSTOOD


def parse_region(text: str) -> Any:
    """The place named; a 乡镇/街道 alone ("俺是解州镇的") gives its county when only one has it."""
    region = region_in_answer(text) or county_of_town(text)
    return region.name if region else NOT_UNDERSTOOD


def parse_residence(text: str) -> Any:
    urban, rural = list(_URBAN_RE.finditer(text)), list(_RURAL_RE.finditer(text))
    if bool(urban) != bool(rural):
        return "urban" if urban else "rural"
    if urban and rural and re.search(r"边上|旁边|附近|郊", text):  # "县城边上的村子": where one lives is said last
        return "urban" if urban[-1].start() > rural[-1].start() else "rural"
    return NOT_UNDERSTOOD


def _count(word: str) -> int | None:
    try:
        return int(cn2an.cn2an(word, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


# Family members said to live elsewhere ("媳妇娃在甘肃老家", "儿子在外地打工"): counted as said (the
# question asks who lives together); whether they count for 低保 is for the 乡镇 window to decide.
_ELSEWHERE_RE = re.compile(r"在(?:[\u4e00-\u9fa5]{0,4}老家|外地|外面|外头|外省|城里|县城|[\u4e00-\u9fa5]{2,4}(?:打工|上班|上学|念书))|不在一起|不在这|分开住|不在家")


def lives_elsewhere(text: str) -> bool:
    """The answer to the household question names family members living elsewhere."""
    text = plain_words(text)
    return bool(_ELSEWHERE_RE.search(text) and _FAMILY_RE.search(text))


def parse_household_size(text: str) -> Any:
    text = _FEW_PEOPLE_RE.sub(lambda m: "两" if m.group(1) == "俩" else "三", text)
    text = re.sub(r"^仨(?=[，,。\s]|$)", "三", text)
    now = re.search(r"(?:现在|如今|目前)(.+)$", text)
    if now and (size := parse_household_size(now.group(1))) is not NOT_UNDERSTOOD:
        return size  # "原来三口人……现在家里就剩我一个"
    if re.search(r"剩(?:下)?(?:我|俺|她|他)(?:一个|自己)|(就|只有|只)(我|俺|咱|她|他)(一个|自己)|^(?:就)?(?:我|俺|她|他|老人)?(?:自己)?一个人?(?:在这(?:儿|边|里)?|在家|在外|在[\u4e00-\u9fa5]{1,4}(?:打工|干活|住))?(?:[，,。\s]|$)|一个人过|自己一个人|自个儿|独居|光棍|孤身|一个人住|就我自己|就俺自己", text):
        return 1
    # The number the answer starts with ("四口，俺两口子俩娃"; "三个人"), before any other.
    leading = re.match(rf"^(?:俺家|我家|咱家|家里|一共|总共|全家|就|有)*({_CN_COUNT})\s*(?:(?:口人|个人|口|个|人)(?!子)|(?=[，,。\s]|$))", text)
    now = re.search(rf"(?:现在|如今|目前)(?:是|就|只有|剩)?({_CN_COUNT})\s*(?:口|个人|人)", text)
    if now and (size := _count(now.group(1))) and 1 <= size <= 30:
        return size  # "原来四口，现在三口"
    if leading and (size := _count(leading.group(1))) and 1 <= size <= 30:
        return size
    if re.search(r"(?:我们|俺们|咱们|咱|俺|我)仨", text):
        return 3
    couple = re.search(r"老两口|两口子|俺俩|我俩|我们俩|我们两个|夫妻俩|娘俩|母子俩|父子俩|爷俩|娘儿俩", text)
    more = re.search(r"(?:加|带|还有|和|跟|领)(?:着)?(俩|两个|一个|个|仨|三个)", text[couple.end():]) if couple else None
    if couple and more:  # "两口子加俩娃", "老两口带个孙子"
        return 2 + {"俩": 2, "两个": 2, "一个": 1, "个": 1, "仨": 3, "三个": 3}[more.group(1)]
    if couple and not _numbers(text, "household_size", "number"):
        return 2
    size = _first_number(text, ("household_size",), 1, 30)
    mouths = re.search(rf"({_CN_COUNT})\s*口(?!子)", text)
    if size is NOT_UNDERSTOOD and mouths and (count := _count(mouths.group(1))) and 1 <= count <= 30:
        size = count  # "三代人六口"
    listed = re.match(r"^(?:就)?(?:我|俺)(?:和|跟|与|带着|领着|、|，|,)(.+)$", text)
    if size is NOT_UNDERSTOOD and listed:  # "我和老伴还有孙女": me and each one named
        here = [part for part in re.split(r"[，,。；;]", listed.group(1)) if not _ELSEWHERE_RE.search(part)]
        named = _FAMILY_RE.findall("，".join(here))
        if named:
            return 1 + len(named)
    return size


# "几百", "几千": a rough amount without a figure (the lower end of the usual range).
_FEW_RE = re.compile(r"(?<![一二两三四五六七八九十\d])几(百|千|万)")
_FEW_VALUES = {"百": 300, "千": 3000, "万": 30000}


def _money(text: str, per_year: bool) -> Any:
    """The first amount; a yearly one ("一年一万") as a monthly figure, or the other way round."""
    if _NO_INCOME_RE.search(text) or text.strip("，,。！!啊呀吧 ") in ("没有", "没", "无", "0", "零", "没有钱", "一分没有", "没啥", "没什么", "没花", "没花钱"):
        return 0
    text = _ABOUT_RE.sub(lambda m: "一" + m.group(1), text)
    few = _FEW_RE.search(text)
    if few and not _numbers(text, "money", "number"):
        text = text[: few.start()] + str(_FEW_VALUES[few.group(1)]) + "元" + text[few.end():]
    # An amount before a bare number ("两个人一个月一千二三": 1200, not 2).
    for match in sorted(_numbers(text, "money", "number"), key=lambda m: m.kind != "money"):
        if not 0 <= match.value <= 10_000_000:
            continue
        if not per_year and _spent(text, match):
            continue  # "一个月一千，看病还得花五百": money spent is not income
        yearly = match.period == PER_YEAR or (match.period is None and re.search(r"一年|每年|年收入|全年", text))
        monthly = match.period == "month" or (match.period is None and re.search(r"一个月|每个月|每月|月收入|一月", text))
        if per_year and monthly and not yearly:
            return match.value * 12
        if not per_year and yearly and not monthly:
            return round(match.value / 12)
        return match.value
    return NOT_UNDERSTOOD


def parse_money(text: str) -> Any:
    """A monthly amount (the household's income); "没固定收入" without a figure is not known."""
    value = _money(text, per_year=False)
    if value is NOT_UNDERSTOOD and re.search(r"没(?:有)?固定|不固定|有一阵没一阵", text):
        return UNKNOWN
    return value


def parse_yearly_money(text: str) -> Any:
    """A yearly amount (what the applicant paid for medical care in a year)."""
    value = _money(text, per_year=True)
    if value is NOT_UNDERSTOOD and _NO_MEDICAL_RE.search(text):
        return 0
    if value is NOT_UNDERSTOOD and _SMALL_AMOUNT_RE.search(text):
        return UNKNOWN
    return value


_BIRTH_YEAR_RE = re.compile(r"((?:19|20)?[0-9]{2}|[一二三四五六七八九零〇]{2,4})年(?:出生|生|的人|的|生人|人)")
_AND_UNITS_RE = re.compile(r"([一二三四五六七八九]?十)有([一二三四五六七八九])")


def parse_age(text: str) -> Any:
    """The age; a birth year said instead ("1958年出生的", "五八年生人") counts from this year."""
    text = _AND_UNITS_RE.sub(r"\1\2", text)  # "七十有三"
    born = _BIRTH_YEAR_RE.search(text)
    if born:
        digits = born.group(1).translate(str.maketrans("一二三四五六七八九零〇", "12345678900"))
        if digits.isdigit():
            year = int(digits)
            year += 1900 if year < 100 else 0
            age = get_settings().today().year - year
            if 0 <= age <= 120:
                return age
    return _first_number(text, ("age",), 0, 120)


_ALWAYS_EARNING_RE = re.compile(r"一直(在|有|干|上班)|没断过|没断|没停过|都有收入|有工作|在上班|在干活|还在干")


# Not out of work: never had a job to lose, retired, or farming ("没上过班", "退休了", "是种地的").
_NOT_OUT_OF_WORK_RE = re.compile(
    r"没(?:有)?(?:正式)?(?:上过|上)班|不上班|没(?:正式)?工作过|没(?:有)?(?:过)?正式工作|没失业|不算失业|退休|农民|务农|"
    r"种地的|放羊的|是种|打零工|没(?:有)?单位"
)


def parse_months(text: str) -> Any:
    if re.search(r"半年", text):
        return 6
    if re.search(r"(?:就|才|刚)?(?:这|那)?几天|刚(?:刚)?(?:没|停)", text) and not _numbers(text, "months"):
        return 0  # days, not months
    if re.search(r"(?:一直|从来|从)(?:都)?没(?:有)?(?:过)?(?:收入|进项|挣过钱|钱)?$|就没有过", text) and not _NOT_OUT_OF_WORK_RE.search(text):
        return 24  # never had any: at least two years
    months = _first_number(text, ("months",), 0, 240)
    if months is not NOT_UNDERSTOOD and re.search(r"个月|月", text):
        return months  # "从工地回来快五个月了"
    if text.strip() in ("没有", "没", "无", "不是", "有收入") or _has_income_source(text) or _ALWAYS_EARNING_RE.search(text):
        return 0
    if months is NOT_UNDERSTOOD and re.search(r"好几年|好些年|多年|几年了", text):
        return 24  # at least two years
    if months is NOT_UNDERSTOOD and _NOT_OUT_OF_WORK_RE.search(text):
        return 0
    return months


UNSTATED_KIND = "unstated"  # a disability with its grade said but not its kind ("有残疾证，二级")
# A grade said of a disability certificate ("二级的", "有证，一级", "残疾二级"), not any number.
_GRADE_SAID_RE = re.compile(r"残|证|[一二三四1-4]\s*级")


def parse_disability(text: str) -> Any:
    """"kind:grade"; a grade without the kind is "unstated:grade" (the rules need the kind only
    where the grade alone does not decide: 单人保 takes every 一、二级 disability)."""
    kind = next((k for k, pattern in DISABILITY_KINDS if pattern.search(text)), None)
    grades = _numbers(text, "disability_grade", "number")
    grade = next((int(m.value) for m in grades if 1 <= m.value <= 4), None)
    if re.search(r"没(有)?(去)?(办|领|评)?(过)?(残疾)?证|不残疾|没残疾|没有残疾|没(?:有)?(?:评|鉴定|办)(?:过)?残", text):
        return NONE
    if kind is None and grade is None:
        if re.search(r"没有|没|不残疾|健康|好好的|无", text):
            return NONE
        return NOT_UNDERSTOOD
    if grade is None:
        return NOT_UNDERSTOOD
    if kind is None:
        return f"{UNSTATED_KIND}:{grade}" if _GRADE_SAID_RE.search(text) else NOT_UNDERSTOOD
    return f"{kind}:{grade}"


def partial_disability(text: str) -> bool:
    """A disability said without its grade ("腿有残疾", "有证"); a grade without the kind is read."""
    text = plain_words(text)
    kind = any(pattern.search(text) for _k, pattern in DISABILITY_KINDS)
    grade = any(1 <= m.value <= 4 for m in _numbers(text, "disability_grade", "number"))
    return parse_disability(text) is NOT_UNDERSTOOD and (kind or grade or bool(re.search(r"残疾|有证|办过证", text)))


_SERIOUS_ILLNESS_RE = re.compile(
    r"癌|尿毒症|透析|白血病|肿瘤|瘫痪|偏瘫|中风|脑梗|脑出血|心脏病|重病|大病|器官移植|精神病|植物人|搭了?桥|支架|"
    r"股骨头坏死|肝硬化|肾衰|帕金森|红斑狼疮|再生障碍|痴呆|阿尔茨海默"
)
_HEALTHY_RE = re.compile(r"身体(?:还|挺|都|也)?(?:行|好|可以|中|不错|硬朗|凑合|过得去)|好着呢|健康|没(?:啥|什么)病|还凑合")


# Long-standing but not "serious" in the rules' sense (the explanation says 高血压 is not).
_CHRONIC_RE = re.compile(r"高血压|血压高|糖尿病|血糖高|慢性病|关节炎|风湿|腰间盘|腰椎间盘|颈椎|胃病|腿疼|腰疼|老毛病|小毛病|小病")


# Was on 低保 once, not now ("前几年吃过，后来取消了").
_NO_LONGER_RE = re.compile(r"取消|停了|退出|不吃了|不给了|被停|退了")


def parse_on_dibao(text: str) -> Any:
    if _NO_LONGER_RE.search(text) or re.search(r"正在申请|在申请|递了材料|还没批|没批|没批下来|没给批", text):
        return False  # no longer, or not yet
    return _bool(text)


def parse_seriously_ill(text: str) -> Any:
    for match in _SERIOUS_ILLNESS_RE.finditer(text):
        if not _NEGATED_BEFORE.search(text[: match.start()]):
            return True  # "尿毒症，每周透析"
    if _CHRONIC_RE.search(text) or _HEALTHY_RE.search(text):
        return False  # "我有腰间盘突出", "老汉糖尿病", "身体还行"
    return _bool(text)


# Formerly, not now ("以前在外面打工", "以前出去打过工，现在不是").
_FORMERLY_RE = re.compile(r"以前|过去|原来|早些年|早年|年轻时|前些年|之前")
_NOW_RE = re.compile(r"现在(?:也|还)?(?:在|是)(?!不)|一直")


def parse_migrant(text: str) -> Any:
    if (_FORMERLY_RE.search(text) and not _NOW_RE.search(text)) or re.search(
            r"在家|没出去|没出过|本地|当地|回来了|回家了|不出去了|打过工", text):
        return False
    if re.search(r"(?<!不)(?:在外|外出|外地|出去)\S{0,4}打工|农民工|在[\u4e00-\u9fa5]{2,5}打工", text) and not _NEGATIVE_RE.search(text):
        return True
    return _bool(text)


# A small amount without a figure ("不多", "没多少"): the amount stays unknown.
_SMALL_AMOUNT_RE = re.compile(r"^(?:也)?(?:不多|没多少|没几个钱|没多少钱|很少|不太多|就一点|一点点)[啊呀吧了的，。！]*$")


def parse_supporter(text: str) -> Any:
    # An explanation: what follows "但", "可是" decides ("有个儿子但他顾不上").
    parts = _CONTRAST_RE.split(text, maxsplit=1)
    if _SUPPORTER_UNABLE_RE.search(parts[-1]) or (len(parts) == 1 and _SUPPORTER_UNABLE_RE.search(text)):
        return False
    if len(parts) > 1 and _FAMILY_RE.search(parts[0]):
        answer = _bool(parts[-1])
        return True if answer is NOT_UNDERSTOOD else answer
    answer = _bool(text)
    if answer is NOT_UNDERSTOOD and _FAMILY_RE.search(text):
        return True  # "儿子在城里上班"
    return answer


def _has_income_source(text: str) -> bool:
    """A source named and not denied ("一直有养老金", "除了那点养老金啥也没有")."""
    for match in _INCOME_SOURCES_RE.finditer(text):
        if not _NEGATED_BEFORE.search(text[: match.start()]):
            return True
    return False


# Living on what children or relatives give is not an income source of one's own.
_SUPPORTED_BY_RE = re.compile(r"^(?:就|全|都)?靠(?:儿女|儿子|闺女|女儿|孩子|娃|亲戚|子女|家里人|别人)")


# The residents' scheme's pension ("一百多块养老金"), not a retirement pension (退休金, 退休工资).
_PENSION_RE = re.compile(r"养老金")


# A pension of a thousand 元 a month or more is a retirement pension, whatever it is called: the
# residents' scheme pays a few hundred ("一百多块养老金"). Not a figure told to anyone; only how an
# answer is read.
_RETIREMENT_PENSION_FROM = 1000


def _pension_only(text: str) -> bool:
    """The only income source named, and not denied, is a pension of the residents' scheme."""
    named = [m.group() for m in _INCOME_SOURCES_RE.finditer(text)
             if not _NEGATED_BEFORE.search(text[: m.start()])]
    if not named or not all(_PENSION_RE.fullmatch(name) for name in named) or "退休" in text:
        return False
    amounts = [m.value for m in extract_numbers(text) if m.kind in ("money", "number")]
    return not any(amount >= _RETIREMENT_PENSION_FROM for amount in amounts)


def parse_income_source(text: str) -> Any:
    if _SUPPORTED_BY_RE.search(text) and not _has_income_source(text):
        return False
    if _pension_only(text):
        return PENSION_ONLY
    if _has_income_source(text) or _DOUBLE_NEGATIVE_RE.search(text):
        return True
    if re.search(r"一个月|每月|一月|一年", text) and isinstance(amount := parse_money(text), (int, float)) and amount > 0:
        return True  # "一个月一千八"
    if _NO_INCOME_RE.search(text):
        return False
    return _bool(text)


# Only light work for the household ("种点菜", "做点家务"): whether that is 劳动能力 in the rules'
# sense is for staff to judge (the answer is kept, the fact stays unknown).
_LIGHT_WORK_RE = re.compile(
    r"^(?:就|只|只能|还能|能)?(?:种|干|做|弄|拾掇|收拾)(?:点|些|一点|一些)?(?:儿)?(?:菜|菜地|园子|家务|轻活|小活|杂活|家里的活)"
    r"[啊呀吧了的，。！\s]*$|^(?:就|只能)?(?:看|带|接送)(?:个)?(?:娃|孩子|孙子|孙女)")


def parse_able_to_work(text: str) -> Any:
    if re.search(r"瘫|卧床|躺床|躺在床|起不来|下不了床|不能动|动不了", text):
        return False
    if _LIGHT_WORK_RE.search(text):
        return UNKNOWN
    return _bool(text)


def parse_insured(text: str) -> Any:
    """Paid into unemployment insurance: "交过" wins over what follows ("现在退休了也用不上")."""
    if re.search(r"(?<![没不未])(?:交过|交了|交着|在交|参加过|参保了|给交过|给交了)", text) and not re.search(r"没(?:有)?(?:给)?交|没参加|未参", text):
        return True
    return _bool(text)


def parse_emergency(text: str) -> Any:
    if re.match(r"^(?:没有|没|无|也没)(?:啥|什么|甚)?(?:突发|突然|急)?(?:的)?(?:事|情况|困难)?(?:的)?[啊呀吧，。！\s]*$", text):
        return NONE  # "没有啥突发的"
    kind = next((k for k, pattern in EMERGENCIES if pattern.search(text)), None)
    if kind:
        return kind
    if re.search(r"没有|没|无|都挺好|还好", text):
        return NONE
    if re.search(r"有|出事|遇到", text):
        return "other"
    return NOT_UNDERSTOOD


def parse_graduate(text: str) -> Any:
    if re.search(r"早(?:就)?毕业|毕业(?:好|十|二十|几)(?:多|几)?年", text):
        return False  # long since graduated: not a graduate looking for a first job
    if re.search(r"(?:高中|初中|中专|技校|小学)(?:毕业|没毕业|念完|上完)", text):
        return False  # not a university
    if re.search(r"刚毕业|今年毕业|应届|(?:大学|大专|本科|专科|研究生|高职|今年).{0,6}毕业.{0,8}(?:没找|还没工作|没工作|找不到)", text):
        return True
    return _bool(text)


NUMERIC_PATHS = frozenset({
    "household.size", "household.monthly_income", "applicant.age", "applicant.unemployed_months",
    "applicant.medical_out_of_pocket_yearly",
})
PARSERS: dict[str, Callable[[str], Any]] = {
    "region": parse_region,
    "residence": parse_residence,
    "household.size": parse_household_size,
    "household.monthly_income": parse_money,
    "household.on_dibao": parse_on_dibao,
    "household.low_income_family": _bool,
    "applicant.age": parse_age,
    "applicant.disability": parse_disability,
    "applicant.seriously_ill": parse_seriously_ill,
    "applicant.able_to_work": parse_able_to_work,
    "applicant.has_income_source": parse_income_source,
    "applicant.has_able_supporter": parse_supporter,
    "applicant.unemployed_months": parse_months,
    "applicant.unemployment_insured": parse_insured,
    "applicant.is_migrant_worker": parse_migrant,
    "applicant.is_unemployed_graduate": parse_graduate,
    "applicant.medical_out_of_pocket_yearly": parse_yearly_money,
    "applicant.emergency": parse_emergency,
}


def plain_words(text: str) -> str:
    """The text normalised, with dialect and spoken forms read as the common words."""
    text = normalize_text(text)
    for spoken, common in words()["replaced"]:
        text = text.replace(spoken, common)
    return text


def parse_answer(path: str, text: str) -> Any:
    return PARSERS[path](plain_words(text))


def asks_back(text: str) -> bool:
    """A question about the question that was asked ("啥叫低收入家庭？")."""
    return bool(_ASKS_BACK_RE.search(plain_words(text)))


def only_asks_back(text: str) -> bool:
    """A question about the question and nothing else, even when it has words an answer could
    be read from ("低收入家庭是个甚？", "低保就是那个每月给钱的吧？")."""
    text = plain_words(text)
    return bool(_ASKS_BACK_RE.search(text) and _QUESTION_END_RE.search(text))


# Where a message is asked whether it asks something (data/question_words.yml).
QUESTION_USES = ("statement", "offer", "free_text", "after_yes")


@lru_cache(maxsize=4)
def _question_patterns(data_dir: Path) -> dict[str, re.Pattern[str]]:
    groups = yaml.safe_load((data_dir / "question_words.yml").read_text(encoding="utf-8"))["groups"]
    parts: dict[str, list[str]] = {use: [] for use in QUESTION_USES}
    for name, group in groups.items():
        unknown = set(group["uses"]) - set(QUESTION_USES) | set(group.get("except") or {}) - set(QUESTION_USES)
        if unknown:
            raise ValueError(f"question_words.yml: {name}: unknown uses {sorted(unknown)}")
        for use in group["uses"]:
            left_out = set((group.get("except") or {}).get(use) or ())
            parts[use] += [re.escape(w) for w in group.get("words") or () if w not in left_out]
            parts[use] += list(group.get("patterns") or ())
    return {use: re.compile("|".join(found)) for use, found in parts.items()}


def asks_something(text: str, use: str = "statement") -> bool:
    """Whether the message asks anything, for `use` (one of QUESTION_USES): "statement", inside
    the questionnaire (a message that asks nothing is an answer, never a policy question); "offer",
    a reply to the offer of the questionnaire ("要带什么材料" is no yes); "free_text", an answer
    to the application's name, 乡镇 or address question; "after_yes", the rest of a reply to the offer
    that starts with a yes (a topic named is no question: "好，看看我够不够条件")."""
    return bool(_question_patterns(get_settings().data_dir)[use].search(plain_words(text)))


def says_unknown(text: str) -> bool:
    return bool(_UNKNOWN_RE.search(plain_words(text)))


# A correction inside the answer ("四口，哦不对，现在三口", "两千，不对，两千五左右"): what follows counts.
_SELF_CORRECTION_RE = re.compile(r"[，,。\s]*(?:哦|噢|啊|哎)?(?:不对不对|不对|说错了|说错|不是不是|我说错了|记错了|应该是|改一下)[，,。\s]*")


def read_answer(path: str, text: str) -> Any:
    """The answer to the question asked in the chat: a value, UNKNOWN ("不清楚"), or NOT_UNDERSTOOD.

    A figure or a kind named beside "不清楚" wins ("具体不清楚，大概两千"); a yes/no question
    answered "不知道" is unknown, never "no". A figure corrected in the same answer is the last one."""
    text = plain_words(text)
    if path in NUMERIC_PATHS or path == "residence":
        parts = [part for part in _SELF_CORRECTION_RE.split(text) if part.strip()]
        if len(parts) > 1 and _SELF_CORRECTION_RE.search(text).start() > 0:
            corrected = read_answer(path, parts[-1])
            if corrected is not NOT_UNDERSTOOD:
                return corrected
    if path == "region":
        return parse_answer(path, text)  # never "unknown": the rules need a place
    if says_unknown(text):
        if path in NUMERIC_PATHS or path in ("applicant.disability", "applicant.emergency", "residence", "region"):
            value = parse_answer(path, _UNKNOWN_RE.sub(" ", text))
            if value is not NOT_UNDERSTOOD and value not in (0, NONE):
                return value
        return UNKNOWN
    return parse_answer(path, text)


# Commands that leave a form, as residents say them; the NLU's intent alone is not enough inside
# a form ("七十二了" is not "stop", an address on 测试路 is not "start the test").
_LEAVE_RE = re.compile(
    r"(?:不|别)(?:测|问|答|填|弄|做|申请|登记|办)了|(?:先|暂时)不(?:测|答|填|弄|做|申请|登记|办)|暂停|先停|停一下|停下|"
    r"退出|取消|中断|以后再|回头再|等会再|等一会再|下次再|先到这|不想(?:答|继续|弄|测|填|申请)|^结束|太麻烦|"
    r"转人工|人工|真人|工作人员|客服|找个人|"
    r"(?:我|俺|咱)?(?:要|想|准备)(?:申请|登记|办理|办)|直接申请|申请吧|去申请|帮我申请|登记吧|"
    r"先(?:测|自测|测测|看看)|测一下|测测|自测|能不能申请|够不够条件"
)
# An explicit request to be screened now (not a question about what one may get).
_SCREEN_NOW_RE = re.compile(r"^/|测|评估|继续|接着|开始|看看|帮我看|帮俺看|给我看|给俺看|帮我查|帮我算|帮俺算|帮忙看")


def leaves(text: str) -> bool:
    """The message asks to stop, for a person, to apply, or to be screened first."""
    return bool(_LEAVE_RE.search(normalize_text(text)))


def wants_screening_now(text: str) -> bool:
    return bool(_SCREEN_NOW_RE.search(normalize_text(text)))


# The person the questionnaire is about, when it is not the resident ("我是替我妈问的"): relatives
# by kind, the words for each (longest first where one contains another).
RELATIVES = (
    ("mother_in_law", "婆婆|丈母娘|岳母"),
    ("father_in_law", "公公|老丈人|岳父"),
    ("grandmother", "奶奶|姥姥|外婆"),
    ("grandfather", "爷爷|姥爷|外公"),
    ("mother", "妈妈|老妈|母亲|老娘|妈|娘"),
    ("father", "爸爸|老爸|父亲|老爹|爸|爹"),
    ("husband", "老公|丈夫|男人|老头子|老头儿|当家的|孩子他爸|娃他爹|娃他爸"),
    ("wife", "老婆子|老婆|媳妇|妻子|孩子他妈|娃他妈"),
    ("spouse", "老伴儿|老伴|爱人"),
    ("son", "儿子|大儿|二儿|小儿子"),
    ("child", "娃娃|孩子|小孩|娃"),
    ("daughter", "女儿|闺女|姑娘"),
    ("grandchild", "孙子|孙女|外孙女|外孙"),
    ("sibling", "哥哥|姐姐|弟弟|妹妹|哥|姐|弟|妹"),
    ("relative", "叔叔|舅舅|姑姑|大伯|伯伯|叔|舅|姑|姨|亲戚"),
    ("neighbour", "邻居|街坊"),
)
_RELATIVE_WORDS = "|".join(words for _kind, words in RELATIVES)
_RELATIVE_KIND = [(kind, re.compile(f"^(?:{words})$")) for kind, words in RELATIVES]
_ASKING = r"(?:问问|问一下|问|打听|咨询|申请|测测|测一下|测|查查|查一下|登记|报|看看|看一下|瞧瞧|算算)"
_FOR_SOMEONE_RE = (
    # "我是替我妈问的", "帮俺爹看看", "给我婆婆申请", "代邻居老人打听"
    re.compile(rf"(?:替|帮|给|为|代)(?:我|俺|咱)?(?:家)?(?:的)?({_RELATIVE_WORDS})(?:家)?(?:老人|老太太|老爷子)?(?:来)?{_ASKING}"),
    # "我妈让我问问", "俺娘叫俺来打听"
    re.compile(rf"({_RELATIVE_WORDS})(?:让|叫|托)(?:我|俺)(?:来)?{_ASKING}"),
    # "我妈能申请低保不", "俺爹这情况能吃低保吗"
    re.compile(rf"^(?:我|俺|咱)(?:家)?(?:的)?({_RELATIVE_WORDS})[^，,。；我俺]{{0,12}}(?:能|可以|够)(?:不能)?(?:申请|吃|领|办|享受)"),
)
# An answer that starts by naming a relative ("我男人是残疾，二级", "婆婆瘫在床上") is about that
# relative; "我也…" / "俺自己也…" says the applicant has it too.
_ABOUT_RELATIVE_RE = re.compile(rf"^(?:我|俺|咱)?(?:家)?(?:的)?(?:那个|那口子)?({_RELATIVE_WORDS})(?!俩|儿俩|仨)")
_SELF_TOO_RE = re.compile(r"(?:我|俺|咱|自己|本人)(?:自己)?也")


def relative_kind(word: str) -> str | None:
    return next((kind for kind, pattern in _RELATIVE_KIND if pattern.match(word)), None)


def asked_for(text: str) -> str | None:
    """The kind of relative the resident asks for ("我是替我妈问的": "mother"), if they say so."""
    text = plain_words(text)
    for pattern in _FOR_SOMEONE_RE:
        match = pattern.search(text)
        if match:
            return relative_kind(match.group(1))
    return None


def about_someone_else(text: str, subject: str | None = None) -> str | None:
    """The relative an answer is about when it is not the person the questionnaire is about
    (`subject`: the relative asked for; None, the resident)."""
    text = plain_words(text)
    match = _ABOUT_RELATIVE_RE.match(text)
    if match is None or _SELF_TOO_RE.search(text):
        return None
    kind = relative_kind(match.group(1))
    return kind if kind != subject else None


_CLAUSE_MARKS = "，,。；;"
# A bare number of years stands alone between spaces too ("俺娃 十八了"), but whom a clause is
# about is read up to the commas: residents and speech-to-text separate words with spaces.
_BARE_CLAUSE_MARKS = _CLAUSE_MARKS + "！!？? "


def _clause_at(text: str, position: int, marks: str = _CLAUSE_MARKS) -> tuple[int, str]:
    """The clause (between commas, stops, semicolons) around `position`, and where it starts."""
    start = max(text.rfind(mark, 0, position) for mark in marks) + 1
    ends = [i for i in (text.find(mark, position) for mark in marks) if i >= 0]
    return start, text[start: min(ends) if ends else len(text)]


# A clause that is only a number of years said of oneself, in a story ("就剩俺一个，七十三了"):
# the age, though no 岁 is said. Anything else around the number (a unit, a relative) is not.
_BARE_AGE_BEFORE_RE = re.compile(r"(?:我|俺|咱|老汉我|老婆子我)?(?:今年|都|已经|也|快|虚岁|周岁)*")
_BARE_AGE_AFTER_RE = re.compile(r"(?:岁)?(?:了|啦)")


def _bare_age(text: str, match: NumberMatch) -> bool:
    start, clause = _clause_at(text, match.start, _BARE_CLAUSE_MARKS)
    before, after = clause[: match.start - start], clause[match.end - start:]
    return (not match.approximate and 16 <= match.value <= 110
            and bool(_BARE_AGE_BEFORE_RE.fullmatch(before)) and bool(_BARE_AGE_AFTER_RE.fullmatch(after)))


def _clause_about_someone_else(text: str, position: int, subject: str | None) -> bool:
    """The clause around `position` names a relative, and not the resident ("老伴今年七十五")."""
    _start, clause = _clause_at(text, position)
    match = re.search(rf"(?:(?:我|俺|咱)(?:家)?(?:的)?)?({_RELATIVE_WORDS})", clause)
    if match is None or re.search(r"我|俺|自己|本人", clause[: match.start()] + clause[match.end():]):
        return False
    return relative_kind(match.group(1)) != subject


# Money said as income ("一个月挣两千", "退休金一千八") and money spent or owed, which never is
# ("上个月心梗住院，花了六七万", "看病欠了五万").
_INCOME_WORDS_RE = re.compile(r"收入|挣|赚|工资|进项|养老金|退休金|月入|一个月|每月|每个月|一月|/月")
_SPENT_RE = re.compile(r"花|看病|医药|药费|药钱|住院|治|手术|欠|借|债|赔|亏|学费|费用|开销|开支|报销|自付|掏")


def _clause(text: str, start: int, end: int) -> str:
    """The clause around text[start:end] (not cut at spaces: "一个月 两千" is one amount said)."""
    return _clause_at(text, start, _CLAUSE_MARKS + "！!？?")[1]


def _spent(text: str, match: NumberMatch) -> bool:
    """The amount is money spent or owed ("看病花了两万"), not said as income."""
    clause = _clause(text, match.start, match.end)
    return bool(_SPENT_RE.search(clause) and not re.search(r"收入|挣|赚|工资|进项|养老金|退休金", clause))


def _is_income(text: str, match: NumberMatch) -> bool:
    """The amount is the household's income: said with an income word in its own clause, and
    not as money spent or owed."""
    clause = _clause(text, match.start, match.end)
    return bool(_INCOME_WORDS_RE.search(clause) and not _SPENT_RE.search(clause))


def _said_of_relative(text: str, position: int, subject: str | None) -> bool:
    """A relative named before `position` in its clause, with no 我/俺 after them ("俺男人残疾二级")."""
    start, clause = _clause_at(text, position)
    before = clause[: position - start]
    named = list(re.finditer(_RELATIVE_WORDS, before))
    if not named or re.search(r"我|俺|自己|本人", before[named[-1].end():]):
        return False
    return relative_kind(named[-1].group()) != subject


def mentioned_facts(text: str, subject: str | None = None, story: bool = False,
                    relatives_apart: bool = True) -> dict[str, Any]:
    """Facts stated in so many words, whatever was asked: for corrections and volunteered facts.
    An age said of a relative is not the applicant's, unless the questionnaire is about them;
    with `relatives_apart` a relative's disability is not either (the chat, where the resident is
    the applicant unless they said otherwise; on the hotline the call is about whoever needs help:
    "我儿子是重度残疾 一级 … 能不能给他单独办").
    In a `story` (no question asked) a bare "七十三了" is the age too; as the answer to another
    question ("十八了" to the months without work) it is not."""
    text = plain_words(text)
    facts: dict[str, Any] = {}
    region = normalize_region(text)
    if region:
        facts["region"] = region.name
    for match in extract_numbers(text):
        if match.kind == "household_size":
            facts["household.size"] = match.value
        elif (match.kind == "age" and 0 <= match.value <= 120) or (story and match.kind == "number" and _bare_age(text, match)):
            if not _clause_about_someone_else(text, match.start, subject):
                facts["applicant.age"] = match.value
        elif match.kind == "money" and _is_income(text, match):
            # "一年也就收入一万来块" is a yearly figure: the fact is monthly.
            facts["household.monthly_income"] = (
                round(match.value / 12) if match.period == PER_YEAR else match.value
            )
        elif match.kind == "months" and re.search(r"没收入|没有收入|没活|失业|没工作", text):
            facts["applicant.unemployed_months"] = match.value
    disability = parse_disability(text)
    if disability not in (NOT_UNDERSTOOD, NONE) and disability.startswith(UNSTATED_KIND) and "残" not in text:
        disability = NOT_UNDERSTOOD  # a grade said unasked counts only beside 残疾 ("我是二级厨师")
    said_at = text.find("残") if "残" in text else (grade.start() if (grade := _GRADE_SAID_RE.search(text)) else 0)
    if disability not in (NOT_UNDERSTOOD, NONE) and relatives_apart and (
            _clause_about_someone_else(text, said_at, subject) or _said_of_relative(text, said_at, subject)):
        disability = NOT_UNDERSTOOD  # "我男人是残疾，二级": the husband's, not the applicant's
    if disability not in (NOT_UNDERSTOOD, NONE) or (disability == NONE and "残疾" in text):
        facts["applicant.disability"] = disability
    if re.search(r"住在|家在|是.{0,2}(农村|城里|城市|城镇)|^(在)?(农村|城里|城市|城镇|县城)(的|人)?$", text):
        residence = parse_residence(text)
        if residence is not NOT_UNDERSTOOD:
            facts["residence"] = residence
    return facts
