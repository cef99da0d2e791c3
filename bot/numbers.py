"""Numbers in residents' messages, typed by what they count (no Rasa imports).

Residents write amounts in every way: "3500", "3,500", "三千五", "3.5千", "3千5", "一万二",
"1.2万", "两千出头". `extract_numbers` finds them and says what they are from the unit after
the number and the words before it in the same clause:

    age               六十五岁, 65周岁, 七十多岁, 今年65
    household_size    一家四口, 家里三口人, 4口人, 我家就我一个人
    money             3500元, 三千块钱, 两千出头, 1.2万, 月收入3500 (yuan)
    months            三个月, 半年, 一年 (12), 两年半 (30)
    disability_grade  一级残疾, 残疾等级二级, 一二级残疾
    year              2022年
    number            anything else worth keeping (3,500 with no context, 三个孩子)

Not numbers: ordinals (第2条), hotline and phone numbers (12345热线), dates (3月5日), and
Chinese numerals that are part of words (一门受理, 一起, 千万不要, 十分).

Every match has character offsets into the original text. Ranges ("三四千", "60到70岁")
have `value` = lower bound and `upper` = upper bound; rough amounts ("两千出头", "七十多岁",
"十几岁") have `approximate` = True.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

AGE = "age"
HOUSEHOLD_SIZE = "household_size"
MONEY = "money"
MONTHS = "months"
DISABILITY_GRADE = "disability_grade"
YEAR = "year"
NUMBER = "number"
KINDS = (AGE, HOUSEHOLD_SIZE, MONEY, MONTHS, DISABILITY_GRADE, YEAR, NUMBER)

PER_MONTH = "month"
PER_YEAR = "year"


@dataclass(frozen=True, slots=True)
class NumberMatch:
    kind: str
    value: int | float
    start: int
    end: int
    text: str
    approximate: bool = False
    upper: int | float | None = None  # upper bound of a range
    period: str | None = None  # money only: PER_MONTH or PER_YEAR when the text says so


# ---------------------------------------------------------------------------- normalisation

# One character to one character, so that offsets stay valid.
_CHAR_TABLE = str.maketrans(
    {
        **{chr(0xFF10 + d): str(d) for d in range(10)},  # full-width digits
        "．": ".",
        "％": "%",
        "～": "~",
        "－": "-",
        "萬": "万",
        "億": "亿",
        "兩": "两",
        "塊": "块",
        "錢": "钱",
        "歲": "岁",
        "週": "周",
        "個": "个",
        "級": "级",
        "殘": "残",
        "幾": "几",
        "來": "来",
        "餘": "余",
        "戶": "户",
        "裡": "里",
        "裏": "里",
        "資": "资",
        "頭": "头",
        "齡": "龄",
        "滿": "满",
        "與": "与",
    }
)


def _normalize(text: str) -> str:
    return text.translate(_CHAR_TABLE)


# ---------------------------------------------------------------------------- numeral parsing

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
_MAGNITUDES = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000,
               "k": 1000, "K": 1000, "w": 10_000, "W": 10_000}
_CN_DIGIT_CLASS = "零〇一二三四五六七八九两"

_RUN_RE = re.compile(
    r"(?:\d+(?:,\d{3})+(?!\d)(?:\.\d+)?"
    r"|\d+(?:\.\d+)?"
    rf"|[{_CN_DIGIT_CLASS}]点[{_CN_DIGIT_CLASS}]+"
    rf"|[{_CN_DIGIT_CLASS}十百千万亿几]"
    r"|(?<=\d)[kKwW](?![A-Za-z])"
    r")+"
)
_TOKEN_RE = re.compile(
    r"(?P<arabic>\d+(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?)"
    rf"|(?P<cndec>[{_CN_DIGIT_CLASS}]点[{_CN_DIGIT_CLASS}]+)"
    rf"|(?P<cn>[{_CN_DIGIT_CLASS}])"
    r"|(?P<mag>[十百千万亿kKwW])"
    r"|(?P<few>几)"
)


@dataclass
class _Token:
    kind: str  # "num", "mag", "zero", "few"
    start: int  # offset inside the run
    end: int
    lo: float = 0.0
    hi: float = 0.0
    single: bool = False  # one digit: "3千5", "三千五" mean 3500
    arabic: bool = False
    cn_digits: str = ""  # the Chinese digit characters of a digit string


@dataclass
class _Parsed:
    lo: float
    hi: float
    few: bool  # ends in 几: 十几, 两千几
    magnitude: int  # largest magnitude character used (0: none)
    last_magnitude: int
    arabic: bool  # written with Arabic digits
    digit_string: str  # "二〇二二": Chinese digits read one by one (a year), else ""
    is_range: bool


def _tokens(run: str) -> list[_Token]:
    tokens: list[_Token] = []
    for m in _TOKEN_RE.finditer(run):
        if m.group("arabic"):
            raw = m.group("arabic").replace(",", "")
            value = float(raw)
            tokens.append(_Token("num", m.start(), m.end(), value, value,
                                 single=raw.isdigit() and len(raw) == 1, arabic=True))
        elif m.group("cndec"):
            whole, decimals = m.group("cndec").split("点")
            value = float(f"{_CN_DIGITS[whole]}.{''.join(str(_CN_DIGITS[c]) for c in decimals)}")
            tokens.append(_Token("num", m.start(), m.end(), value, value))
        elif m.group("cn"):
            char = m.group("cn")
            digit = _CN_DIGITS[char]
            previous = tokens[-1] if tokens else None
            if char in "零〇" and previous is not None and previous.kind == "mag":
                tokens.append(_Token("zero", m.start(), m.end()))
            elif previous is not None and previous.kind == "num" and not previous.arabic:
                # Two Chinese digits in a row: a range ("三四千") or a digit string ("二〇二二").
                previous.end = m.end()
                previous.cn_digits += char
                previous.hi = float(digit)
                previous.single = True
            else:
                tokens.append(_Token("num", m.start(), m.end(), digit, digit, single=True,
                                     cn_digits=char))
        elif m.group("mag"):
            tokens.append(_Token("mag", m.start(), m.end(), _MAGNITUDES[m.group("mag")]))
        else:
            tokens.append(_Token("few", m.start(), m.end()))
    return tokens


def _evaluate(tokens: list[_Token], use_hi: bool) -> float | None:
    total = 0.0
    section = 0.0
    current: _Token | None = None
    last_mag = 0.0
    after_zero = False
    for token in tokens:
        if token.kind == "num":
            if current is not None:
                return None
            current = token
        elif token.kind == "zero":
            after_zero = True
            last_mag = 0.0
        elif token.kind == "mag":
            mag = token.lo
            digit = (current.hi if use_hi else current.lo) if current is not None else None
            if mag < 10_000:
                if digit is None and (section or total):
                    return None  # "一千百"
                section += (1.0 if digit is None else digit) * mag
            else:
                amount = section + (digit or 0.0)
                if amount == 0:
                    return None
                total = (total + amount) * mag if mag > 10_000 else total + amount * mag
                section = 0.0
            current = None
            last_mag = mag
            after_zero = False
        # "few" is handled by the caller
    if current is not None:
        digit = current.hi if use_hi else current.lo
        if last_mag and current.single and not after_zero:
            section += digit * last_mag / 10
        else:
            section += digit
    return total + section


def _parse_run(run: str) -> _Parsed | None:
    tokens = _tokens(run)
    if not tokens:
        return None
    nums = [t for t in tokens if t.kind == "num"]
    if not nums and tokens[0].kind != "mag":  # "十岁", "十几岁" have no digit
        return None
    few = tokens[-1].kind == "few"
    if any(t.kind == "few" for t in tokens[:-1]) or (few and len(tokens) < 2):
        return None
    if few:
        tokens = tokens[:-1]
        if tokens[-1].kind != "mag":
            return None
    mags = [t.lo for t in tokens if t.kind == "mag"]
    # Chinese digits in a row: two ascending digits are a range, longer strings are read
    # digit by digit ("二〇二二"), anything else is not a number.
    is_range = False
    digit_string = ""
    for t in nums:
        if len(t.cn_digits) >= 2:
            if len(nums) == 1 and not mags and (len(t.cn_digits) >= 3 or "〇" in t.cn_digits
                                                 or "零" in t.cn_digits):
                digit_string = t.cn_digits
                value = float("".join(str(_CN_DIGITS[c]) for c in digit_string))
                return _Parsed(value, value, False, 0, 0, False, digit_string, False)
            if len(t.cn_digits) != 2:
                return None
            first, second = (_CN_DIGITS[c] for c in t.cn_digits)
            if not 0 < first < second or second - first > 2:
                return None
            is_range = True
    lo = _evaluate(tokens, use_hi=False)
    hi = _evaluate(tokens, use_hi=True)
    if lo is None or hi is None:
        return None
    last_mag = int(mags[-1]) if mags else 0
    return _Parsed(lo, hi, few, int(max(mags)) if mags else 0, last_mag,
                   bool(nums) and all(t.arabic for t in nums), "", is_range)


def parse_number(text: str) -> float | None:
    """The value of a numeral written alone: "三千五" 3500, "1.2万" 12000, "3,500" 3500.

    A range gives its lower bound. None when the text is not exactly one numeral.
    """
    norm = _normalize(text.strip())
    m = _RUN_RE.fullmatch(norm)
    if m is None or norm[0] in "百千万亿几kKwW":
        return None
    parsed = _parse_run(norm)
    return None if parsed is None else parsed.lo


# ---------------------------------------------------------------------------- classification

_CLAUSE_BREAKS = "，,。；;！!？?\n：:、（）()“”\""
_CONTEXT_WINDOW = 12

_SUFFIX_RE = re.compile(
    r"(?P<space> ?)"
    r"(?P<pre>多(?!少)|来|余)?"
    r"(?P<unit>周岁|岁|口人|口之家|口子|口|个多月|多个月|个月|个人|年级|年半|年|月|"
    r"级|元钱|元|块钱|块|圆|人|户|个|名|位|次|天|项|亩|间|套|平米|平方米|倍|%|号|日)?"
    r"(?P<post>出头|左右|上下|多(?!少))?"
)

_COUNT_UNITS = {"人", "户", "个", "名", "位", "次", "天", "项", "亩", "间", "套", "平米",
                "平方米", "倍", "%"}
_MONEY_UNITS = {"元钱", "元", "块钱", "块", "圆"}

_MONEY_CONTEXT = (
    "收入", "工资", "月薪", "年薪", "薪水", "薪资", "挣", "赚", "养老金", "退休金", "低保金",
    "标准", "补贴", "补助", "救助金", "抚恤金", "生活费", "存款", "积蓄", "花了", "花费",
    "开销", "开支", "费用", "医药费", "医疗费", "住院费", "学费", "房租", "租金", "月入",
    "年入", "一个月", "每月", "每个月", "一年", "每年", "多少钱", "钱", "拿", "领", "欠",
    "负债", "报销", "自付", "给了",
)
_PER_MONTH_CONTEXT = ("月收入", "月薪", "每月", "每个月", "一个月", "月工资", "月均", "月入",
                      "按月", "一月")
_PER_YEAR_CONTEXT = ("年收入", "年薪", "每年", "一年", "全年", "年入", "年均", "按年")
_PER_MONTH_AFTER = ("/月", "每月", "一个月", "一月", "每个月")
_PER_YEAR_AFTER = ("/年", "每年", "一年")

_AGE_CONTEXT = ("今年", "年龄", "岁数", "年纪", "年满", "满")
_HOUSEHOLD_CONTEXT = ("我家", "俺家", "咱家", "我们家", "俺们家", "家里", "家中", "家庭",
                      "全家", "一家", "家有", "户里", "户内", "户口上", "户口本上")
_ALONE_BEFORE = ("就", "只有", "只", "仅", "就剩", "独自", "自己")
_ALONE_AFTER = ("住", "生活", "过")
_APPROX_BEFORE = ("大概", "大约", "约", "差不多", "将近", "接近", "快", "近", "估计", "不到")
_PHONE_BEFORE = ("拨打", "打", "拨", "电话", "热线", "致电", "手机", "号码", "手机号", "联系")
_PHONE_AFTER = ("热线", "电话", "号码", "服务热线", "便民热线")
_DISABILITY_WINDOW_BEFORE = 8
_DISABILITY_WINDOW_AFTER = 8
_DISABILITY_BREAKS = "，,。；;！!？?\n"  # not "、": "三级智力、精神残疾"
_MONTH_AFTER_MARKERS = ("了", "之久", "以上", "左右", "多")
_RANGE_JOINERS = ("到", "至", "-", "~", "—", "－")
_MONTH_RATE_TEXTS = {"一个月", "1个月", "一年", "1年"}
_RATE_QUESTIONS = ("多少", "几")


@dataclass
class _Candidate:
    kind: str
    lo: float
    hi: float | None
    start: int
    end: int
    approximate: bool
    has_unit: bool
    magnitude: int
    period: str | None = None


def _clause_before(norm: str, start: int, window: int = _CONTEXT_WINDOW) -> str:
    begin = max(0, start - window)
    segment = norm[begin:start]
    for i in range(len(segment) - 1, -1, -1):
        if segment[i] in _CLAUSE_BREAKS:
            return segment[i + 1 :]
    return segment


def _clause_after(norm: str, end: int, window: int, breaks: str = _CLAUSE_BREAKS) -> str:
    segment = norm[end : end + window]
    for i, char in enumerate(segment):
        if char in breaks:
            return segment[:i]
    return segment


def _clean(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 4)


def _money_period(before: str, after: str) -> str | None:
    if after.startswith(_PER_MONTH_AFTER):
        return PER_MONTH
    if after.startswith(_PER_YEAR_AFTER):
        return PER_YEAR
    if any(word in before for word in _PER_MONTH_CONTEXT):
        return PER_MONTH
    if any(word in before for word in _PER_YEAR_CONTEXT):
        return PER_YEAR
    return None


def _classify(norm: str, start: int, end: int, parsed: _Parsed) -> _Candidate | None:
    run = norm[start:end]
    before = _clause_before(norm, start)
    suffix = _SUFFIX_RE.match(norm, end)
    assert suffix is not None
    unit = suffix.group("unit") or ""
    pre = suffix.group("pre") or ""
    post = suffix.group("post") or ""
    if unit and suffix.group("space") and not parsed.arabic:
        unit = pre = post = ""  # "三 个" is not how a Chinese numeral is written
    if pre in ("来", "余") and not unit:
        pre = ""
    end_all = end
    if unit:
        end_all = suffix.end("unit")
        if post:
            end_all = suffix.end("post")
    elif pre == "多":  # "两万多": the 多 is not followed by a unit
        end_all = suffix.end("pre")
    elif post:
        end_all = suffix.end("post")
    approximate = bool(pre or post or parsed.few or parsed.is_range or "多" in unit)
    approximate = approximate or before.endswith(_APPROX_BEFORE)
    lo, hi = parsed.lo, parsed.hi
    upper: float | None = hi if parsed.is_range else None
    if parsed.few:
        upper = lo + parsed.last_magnitude - 1
    after = norm[end_all:]
    value_is_int = float(lo).is_integer()
    chinese_single = not parsed.arabic and not parsed.magnitude and not parsed.is_range

    def make(kind: str, stop: int = end_all, begin: int = start, period: str | None = None):
        return _Candidate(kind, lo, upper, begin, stop, approximate, bool(unit),
                          parsed.magnitude, period)

    # Things that look like numbers but are not quantities.
    previous_char = norm[start - 1] if start else ""
    next_char = norm[end] if end < len(norm) else ""
    if previous_char == "第":
        return None  # 第2条
    if previous_char and previous_char in "（(" and next_char and next_char in "）)":
        return None  # （十一） list numbering
    at_line_start = not previous_char or previous_char.isspace() or previous_char in "。；;：:"
    if next_char and next_char in "、." and at_line_start and norm[end + 1 : end + 2].strip():
        return None  # "1、", "2." list numbering
    if next_char and next_char in ":：" and norm[end + 1 : end + 2].isdigit():
        return None  # ratio or time: 6:4, 8:30
    if previous_char and previous_char in ":：" and norm[max(0, start - 2) : start - 1].isdigit():
        return None  # the second half of 6:4, 8:30
    if start and norm[start - 1].isascii() and norm[start - 1].isalpha():
        return None  # "G20"
    if end < len(norm) and norm[end].isascii() and norm[end].isalpha() and not unit:
        return None  # "3q", "5G"
    if parsed.arabic and not parsed.magnitude and "." not in run and unit not in _MONEY_UNITS:
        digits = run.replace(",", "")
        if len(digits) >= 11:
            return None  # phone, ID card or bank card number
        hotline = len(digits) == 5 and digits.startswith("123")  # 12345, 12349, ...
        if hotline and not any(word in before for word in _MONEY_CONTEXT):
            return None
        if len(digits) >= 3 and (
            before.endswith(_PHONE_BEFORE) or norm[end:].startswith(_PHONE_AFTER)
        ):
            return None

    if unit in ("周岁", "岁"):
        if value_is_int and 0 < lo <= 150:
            return make(AGE)
        return None
    if unit in ("口人", "口之家", "口子"):
        return make(HOUSEHOLD_SIZE) if value_is_int and 0 < lo <= 30 else None
    if unit == "口":
        if before.endswith("一家"):
            return make(HOUSEHOLD_SIZE, begin=start - 2)  # 一家四口
        if before.endswith("老") or any(w in before for w in _HOUSEHOLD_CONTEXT):
            return make(HOUSEHOLD_SIZE)
        return None  # 一口气
    if unit in ("个人", "人"):
        household = any(w in before for w in _HOUSEHOLD_CONTEXT)
        if not household and lo == 1 and unit == "个人":
            household = before.endswith(_ALONE_BEFORE) or before.endswith(
                tuple(w + "我" for w in _ALONE_BEFORE)
            ) or after.startswith(_ALONE_AFTER)
        if household and value_is_int and 0 < lo <= 30:
            return make(HOUSEHOLD_SIZE)
        return None if chinese_single and lo == 1 else make(NUMBER)  # not "一人一档"
    if unit in ("个月", "个多月", "多个月"):
        return make(MONTHS)
    if unit == "年级":
        return None
    if unit in ("年", "年半"):
        if parsed.digit_string or (parsed.arabic and len(run) == 4 and 1900 <= lo <= 2099):
            if unit == "年半":
                return None
            return _Candidate(YEAR, lo, None, start, suffix.end("unit"), False, True, 0)
        if parsed.arabic and lo > 10:
            return make(NUMBER, stop=end)
        months = lo * 12 + (6 if unit == "年半" else 0)
        upper_months = upper * 12 + (6 if unit == "年半" else 0) if upper is not None else None
        return _Candidate(MONTHS, months, upper_months, start, end_all, approximate, True,
                          parsed.magnitude)
    if unit == "月":
        if lo > 12 or after.startswith(_MONTH_AFTER_MARKERS) or post:
            return make(MONTHS)
        return None  # a date: 3月, 3月5日
    if unit in ("号", "日"):
        return None if lo <= 31 else make(NUMBER, stop=end)
    if unit == "级":
        if _is_disability_context(norm, start, end_all) and 1 <= lo <= 4 and (
            upper is None or upper <= 4
        ):
            return make(DISABILITY_GRADE)
        return make(NUMBER)
    if unit in _MONEY_UNITS:
        if unit == "块" and lo == 1 and chinese_single:
            return None  # 一块 "together" (一块钱 is money)
        return make(MONEY, period=_money_period(before, after))
    if unit in _COUNT_UNITS:
        if unit == "次" and after.startswith("性"):
            return None  # 一次性
        if chinese_single and lo == 1:
            return None  # 一个, 一次, 一户: mostly "a", "once"
        return make(NUMBER)

    # No unit: decide from the numeral and the words before it.
    if parsed.digit_string:
        return None
    if parsed.magnitude >= 1000:
        return make(MONEY, period=_money_period(before, after))
    if chinese_single:
        return None  # 一门受理, 一起, 三农
    if after.startswith(_PER_MONTH_AFTER + _PER_YEAR_AFTER) or any(
        word in before for word in _MONEY_CONTEXT
    ):
        return make(MONEY, period=_money_period(before, after))
    if before.endswith(_AGE_CONTEXT) and value_is_int and 0 < lo <= 120:
        return make(AGE)
    if parsed.arabic:
        return make(NUMBER)
    if parsed.magnitude and len(run) >= 2:
        return make(NUMBER)
    return None


_GRADE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_ENUMERATED_GRADES_RE = re.compile(
    r"(?<![第\d一二三四五六七八九十])(?:[一二三四1-4](?:、|，|,|和|或|及|至|到|-)){1,3}[一二三四1-4]级"
)


def _is_disability_context(norm: str, start: int, end: int) -> bool:
    before = _clause_before(norm, start, _DISABILITY_WINDOW_BEFORE)
    after = _clause_after(norm, end, _DISABILITY_WINDOW_AFTER, _DISABILITY_BREAKS)
    return "残" in before or "残" in after


def _enumerated_grades(norm: str) -> list[_Candidate]:
    """"一、二级重度残疾人", "一至二级残疾": one disability grade range."""
    found = []
    for m in _ENUMERATED_GRADES_RE.finditer(norm):
        if not _is_disability_context(norm, m.start(), m.end()):
            continue
        grades = [_GRADE_DIGITS[c] for c in m.group() if c in _GRADE_DIGITS]
        found.append(_Candidate(DISABILITY_GRADE, min(grades), max(grades), m.start(), m.end(),
                                True, True, 0))
    return found


_HALF_YEAR_RE = re.compile(r"(?<![上下])(?P<big>大)?半年(?!度|级)")


def _half_years(norm: str) -> list[_Candidate]:
    found = []
    for m in _HALF_YEAR_RE.finditer(norm):
        start = m.start() if not m.group("big") else m.start() + 1
        found.append(_Candidate(MONTHS, 6, None, start, m.end(), bool(m.group("big")), True, 0))
    return found


def _merge_ranges(norm: str, candidates: list[_Candidate]) -> list[_Candidate]:
    """"60到70岁", "2000-3000元": one match with the lower and the upper bound."""
    merged: list[_Candidate] = []
    for cand in candidates:
        previous = merged[-1] if merged else None
        mergeable = previous is not None and previous.hi is None and cand.hi is None and (
            not previous.has_unit or previous.kind == cand.kind  # "60到70岁", "60岁到70岁"
        )
        if mergeable:
            joiner = norm[previous.end : cand.start].strip()
            if joiner in _RANGE_JOINERS:
                low = previous.lo
                if previous.has_unit:
                    pass  # already in the same unit: "60岁到70岁", "三个月到半年"
                elif cand.magnitude and not previous.magnitude and low * cand.magnitude <= cand.lo:
                    low *= cand.magnitude  # "2到3千"
                elif cand.kind == MONTHS and norm[cand.start : cand.end].endswith(("年", "年半")):
                    low *= 12  # "1到2年"
                if low < cand.lo:
                    merged[-1] = _Candidate(cand.kind, low, cand.lo, previous.start, cand.end,
                                            True, True, cand.magnitude, cand.period)
                    continue
        merged.append(cand)
    return merged


def _is_rate(norm: str, cand: _Candidate, money_clauses: set[int]) -> bool:
    if cand.kind != MONTHS or norm[cand.start : cand.end] not in _MONTH_RATE_TEXTS:
        return False
    if _clause_id(norm, cand.start) in money_clauses:
        return True
    return any(word in _clause_after(norm, cand.end, _CONTEXT_WINDOW) for word in _RATE_QUESTIONS)


def _clause_id(norm: str, position: int) -> int:
    return sum(1 for char in norm[:position] if char in "，,。；;！!？?\n")


_SCRIPT_CHANGE_RE = re.compile(rf"(?<=\d)(?=[{_CN_DIGIT_CLASS}])|(?<=[{_CN_DIGIT_CLASS}])(?=\d)")


def _runs(norm: str) -> list[tuple[int, int]]:
    """Numeral runs; Arabic digits next to Chinese digits are two numbers ("3000一个月")."""
    runs = []
    for m in _RUN_RE.finditer(norm):
        start = m.start()
        for cut in _SCRIPT_CHANGE_RE.finditer(m.group()):
            runs.append((start, m.start() + cut.start()))
            start = m.start() + cut.start()
        runs.append((start, m.end()))
    return runs


def extract_numbers(text: str) -> list[NumberMatch]:
    """Typed numbers in the text, in order, non-overlapping."""
    if not text:
        return []
    norm = _normalize(text)
    candidates: list[_Candidate] = []
    for start, end in _runs(norm):
        # A numeral cannot start with a magnitude other than 十 ("千万不要", "万一", "百姓")
        # nor with 几 ("几千").
        while start < end and norm[start] in "百千万亿几kKwW":
            start += 1
        if start >= end:
            continue
        parsed = _parse_run(norm[start:end])
        if parsed is None:
            continue
        cand = _classify(norm, start, end, parsed)
        if cand is not None:
            candidates.append(cand)
    for grades in _enumerated_grades(norm):  # replaces the single grades inside it
        candidates = [c for c in candidates if c.end <= grades.start or c.start >= grades.end]
        candidates.append(grades)
    for half in _half_years(norm):  # only where nothing else was found
        if all(half.end <= c.start or half.start >= c.end for c in candidates):
            candidates.append(half)
    candidates.sort(key=lambda c: c.start)
    candidates = _merge_ranges(norm, candidates)
    # "一个月挣3000", "一个月给多少": the "一个月" means "per month", it is not a duration.
    money_clauses = {_clause_id(norm, c.start) for c in candidates if c.kind == MONEY}
    candidates = [c for c in candidates if not _is_rate(norm, c, money_clauses)]
    matches = []
    for c in candidates:
        value = _clean(c.lo)
        if c.kind in (AGE, HOUSEHOLD_SIZE, MONTHS, DISABILITY_GRADE, YEAR):
            value = int(c.lo)
        upper = None if c.hi is None else _clean(c.hi)
        matches.append(NumberMatch(c.kind, value, c.start, c.end, text[c.start : c.end],
                                   c.approximate, upper, c.period if c.kind == MONEY else None))
    return matches
