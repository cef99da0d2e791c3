"""Gazetteer of Chinese administrative regions (no Rasa imports).

The data is `data/regions.yml`: all of 山西省 and 宁夏回族自治区 down to the county level
(the provinces the assistant covers) and every other provincial-level division with its
capital and major cities (recognised so that the assistant can say it does not cover them).

A region is named canonically by its full path: "山西省", "山西省运城市",
"山西省运城市盐湖区", "宁夏回族自治区银川市", "北京市".

Matching works on a precomputed alias -> region dict and a greedy longest-match scan from left
to right. Adjacent names that go down the hierarchy ("山西" "运城" "盐湖区") are merged into one
match for the most specific region. Names that are ambiguous or common words on their own
("城区", "小店", "长子") are recognised only right after their city ("阳泉城区", "太原小店").
Traditional characters are mapped to simplified ones character by character first, so offsets
into the original text stay valid.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
REGIONS_FILE = REPO_ROOT / "data" / "regions.yml"
JIEBA_PLACES_FILE = REPO_ROOT / "data" / "jieba" / "places.txt"

COVERED_PROVINCES = ("山西省", "宁夏回族自治区")
# A document issued for the whole country applies to every region.
NATIONAL = "全国"

# Jieba frequencies: full official names weigh more than short forms.
JIEBA_FULL_NAME_FREQ = 2000
JIEBA_SHORT_NAME_FREQ = 1000
JIEBA_TAG = "ns"

PROVINCE, CITY, COUNTY = 0, 1, 2

# Phrases in which a place name is not meant as a place: a match may not start inside them.
BLOCKED_PHRASES = (
    "大同小异",
    "世界大同",
    "天下大同",
    "长治久安",
    "交口称赞",
    "相应县",
    "对应县",
    "响应县",
    "供应县",
    "振兴县",
    "老汉中",  # 老汉中风了 (陕西汉中)
    "家中卫",  # 家中卫生 (宁夏中卫)
    "您安康",  # 祝您安康 (陕西安康)
)

# Characters allowed between two parts of one place name ("山西省 运城市").
_JOINERS = " \t\u3000"

# Traditional -> simplified for the characters used in region names (pairs: traditional,
# simplified). Both are single code points, so converting keeps every offset.
_TRADITIONAL_PAIRS = (
    "萬万東东臨临麗丽義义烏乌樂乐鄉乡雲云亞亚倫伦餘余黨党蘭兰關关興兴內内岡冈農农涼凉鳳凤"
    "則则別别區区華华衛卫廈厦縣县雙双臺台呂吕吳吴壯壮壺壶頭头婁娄寧宁寶宝賓宾壽寿爾尔堯尧"
    "崗岗嵐岚島岛嶺岭峽峡廣广莊庄慶庆應应開开張张懷怀揚扬撫抚無无晉晋權权來来棗枣樓楼畢毕"
    "漢汉瀋沈滄沧瀘泸澤泽涇泾濟济渾浑溫温灣湾濱滨濰潍靈灵煙烟煩烦瑪玛鹽盐盤盘礦矿離离紅红"
    "紹绍絳绛綏绥維维綿绵羅罗肅肃節节蕪芜蘆芦蘇苏荊荆榮荣營营薩萨許许貝贝貢贡貴贵賀贺資资"
    "贛赣遼辽達达遷迁運运遠远連连遙遥鄭郑鄲郸欽钦鐵铁銅铜銀银錫锡錦锦鎮镇長长門门聞闻陽阳"
    "陰阴陸陆隴陇陝陕隨随靜静頂顶順顺饒饶馬马駐驻魯鲁雞鸡鴨鸭鶴鹤鷹鹰黃黄齊齐龍龙巖岩彥彦鹹咸嶽岳"
)
_TRADITIONAL_TABLE = {
    ord(_TRADITIONAL_PAIRS[i]): _TRADITIONAL_PAIRS[i + 1]
    for i in range(0, len(_TRADITIONAL_PAIRS), 2)
}


class RegionDataError(ValueError):
    """`data/regions.yml` is malformed or has an ambiguous name."""


@dataclass(frozen=True, slots=True)
class Region:
    name: str  # canonical full path: "山西省运城市盐湖区"
    province: str  # "山西省"
    city: str | None  # "运城市"; None for a province or municipality
    county: str | None  # "盐湖区"; None above the county level
    covered: bool  # inside a province the assistant answers for

    @property
    def level(self) -> int:
        if self.county is not None:
            return COUNTY
        if self.city is not None:
            return CITY
        return PROVINCE

    @property
    def parent(self) -> str | None:
        if self.county is not None:
            return self.province + (self.city or "")
        if self.city is not None:
            return self.province
        return None


@dataclass(frozen=True, slots=True)
class RegionMatch:
    start: int
    end: int
    text: str  # the matched text as written (may be traditional)
    region: Region


@dataclass(frozen=True)
class _Gazetteer:
    regions: dict[str, Region]
    aliases: dict[str, str]  # alias -> canonical name, usable on its own
    qualified: dict[str, dict[str, str]]  # alias -> {parent city canonical -> canonical}
    lengths: dict[str, tuple[int, ...]]  # first char -> alias lengths, longest first
    jieba_words: dict[str, int]  # word -> frequency
    blocked_lengths: dict[str, tuple[int, ...]]
    # Short forms that are common words elsewhere ("同心", "长子", "金凤": short: qualified),
    # read on their own only where a place is asked for (`region_in_answer`).
    answer_only: dict[str, str]


def to_simplified(text: str) -> str:
    """Map the traditional characters of region names to simplified (same length)."""
    return text.translate(_TRADITIONAL_TABLE)


_SUFFIXES = ("特别行政区", "自治区", "省", "市", "区", "县", "旗")


def _short_form(name: str) -> str | None:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem if len(stem) >= 2 else None
    return None


def _entry(raw: Any, where: str) -> dict[str, Any]:
    if isinstance(raw, str):
        return {"name": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise RegionDataError(f"{where}: expected a name or a mapping with 'name'")
    allowed = {"name", "aliases", "qualified_aliases", "short", "generic", "covered",
               "cities", "counties"}
    unknown = set(raw) - allowed
    if unknown:
        raise RegionDataError(f"{where}: unknown keys {sorted(unknown)}")
    if raw.get("short", "auto") not in ("auto", "qualified", "none"):
        raise RegionDataError(f"{where}: short must be auto, qualified or none")
    return raw


class _Builder:
    def __init__(self) -> None:
        self.regions: dict[str, Region] = {}
        # alias -> list of canonical names (resolved after all entries are read)
        self.free: dict[str, list[str]] = {}
        self.qualified: dict[str, dict[str, str]] = {}
        self.jieba_words: dict[str, int] = {}
        self.answer_only: dict[str, list[str]] = {}

    def add(self, region: Region, entry: dict[str, Any], parent_city: str | None) -> None:
        if region.name in self.regions:
            raise RegionDataError(f"duplicate region {region.name}")
        self.regions[region.name] = region
        own = entry["name"]
        short = _short_form(own)
        short_mode = entry.get("short", "auto")
        free: list[str] = list(entry.get("aliases", []))
        qualified: list[str] = list(entry.get("qualified_aliases", []))
        if entry.get("generic"):
            qualified.append(own)
        else:
            free.append(own)
            self.jieba_words.setdefault(own, JIEBA_FULL_NAME_FREQ)
        if short:
            if short_mode == "auto":
                free.append(short)
                self.jieba_words.setdefault(short, JIEBA_SHORT_NAME_FREQ)
            elif short_mode == "qualified":
                qualified.append(short)
                self.answer_only.setdefault(short, []).append(region.name)
        for alias in entry.get("aliases", []):
            self.jieba_words.setdefault(alias, JIEBA_SHORT_NAME_FREQ)
        for alias in free:
            self._check_alias(alias, region.name)
            names = self.free.setdefault(alias, [])
            if region.name not in names:
                names.append(region.name)
        for alias in qualified:
            self._check_alias(alias, region.name)
            if parent_city is None:
                raise RegionDataError(f"{region.name}: qualified alias {alias} needs a city")
            by_parent = self.qualified.setdefault(alias, {})
            if by_parent.get(parent_city, region.name) != region.name:
                raise RegionDataError(f"qualified alias {alias} is ambiguous in {parent_city}")
            by_parent[parent_city] = region.name

    @staticmethod
    def _check_alias(alias: str, name: str) -> None:
        if not isinstance(alias, str) or len(alias) < 2:
            raise RegionDataError(f"{name}: alias {alias!r} must have two characters or more")

    def resolve_free(self) -> dict[str, str]:
        """One region per alias: covered regions win; a tie among the rest is an error."""
        resolved: dict[str, str] = {}
        for alias, names in self.free.items():
            if len(names) == 1:
                resolved[alias] = names[0]
                continue
            covered = [n for n in names if self.regions[n].covered]
            if len(covered) == 1:
                resolved[alias] = covered[0]
                continue
            raise RegionDataError(f"alias {alias} is ambiguous: {names}")
        return resolved


def _lengths(words: Iterable[str]) -> dict[str, tuple[int, ...]]:
    by_char: dict[str, set[int]] = {}
    for word in words:
        by_char.setdefault(word[0], set()).add(len(word))
    return {char: tuple(sorted(lengths, reverse=True)) for char, lengths in by_char.items()}


def _build(data: Any) -> _Gazetteer:
    if not isinstance(data, dict) or not isinstance(data.get("provinces"), list):
        raise RegionDataError("regions.yml: expected a 'provinces' list")
    builder = _Builder()
    for raw_province in data["provinces"]:
        province = _entry(raw_province, "province")
        pname = province["name"]
        if "covered" not in province:
            raise RegionDataError(f"{pname}: 'covered' is required")
        covered = bool(province["covered"])
        builder.add(Region(pname, pname, None, None, covered), province, None)
        for raw_city in province.get("cities", []) or []:
            city = _entry(raw_city, pname)
            cname = city["name"]
            city_region = Region(pname + cname, pname, cname, None, covered)
            builder.add(city_region, city, None)
            for raw_county in city.get("counties", []) or []:
                county = _entry(raw_county, city_region.name)
                kname = county["name"]
                builder.add(
                    Region(city_region.name + kname, pname, cname, kname, covered),
                    county,
                    city_region.name,
                )
    aliases = builder.resolve_free()
    return _Gazetteer(
        regions=builder.regions,
        aliases=aliases,
        qualified=builder.qualified,
        lengths=_lengths(list(aliases) + list(builder.qualified)),
        jieba_words=builder.jieba_words,
        blocked_lengths=_lengths(BLOCKED_PHRASES),
        answer_only={short: names[0] for short, names in builder.answer_only.items()
                     if len(names) == 1 and short not in aliases},
    )


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    with REGIONS_FILE.open(encoding="utf-8") as handle:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return _build(yaml.load(handle, Loader=loader))  # noqa: S506 - safe loader


def all_regions() -> Iterator[Region]:
    """Every region in file order (province, its cities, their counties, ...)."""
    return iter(_gazetteer().regions.values())


def get_region(name: str) -> Region | None:
    """The region with this canonical name (simplified or traditional characters)."""
    regions = _gazetteer().regions
    return regions.get(name) or regions.get(to_simplified(name))


def _blocked_mask(text: str, gazetteer: _Gazetteer) -> list[bool] | None:
    mask: list[bool] | None = None
    lengths = gazetteer.blocked_lengths
    for i, char in enumerate(text):
        for length in lengths.get(char, ()):
            if text[i : i + length] in BLOCKED_PHRASES:
                if mask is None:
                    mask = [False] * len(text)
                for j in range(i, i + length):
                    mask[j] = True
                break
    return mask


def _is_descendant(child: Region, ancestor: Region) -> bool:
    if child.level <= ancestor.level:
        return False
    if ancestor.level == PROVINCE:
        return child.province == ancestor.province
    return child.province == ancestor.province and child.city == ancestor.city


def find_regions(text: str) -> list[RegionMatch]:
    """Region names in the text: greedy longest match, left to right, non-overlapping.

    A run of names going down the hierarchy ("山西运城盐湖区", "宁夏 银川") is one match for
    the most specific region.
    """
    if not text:
        return []
    gazetteer = _gazetteer()
    norm = to_simplified(text)
    n = len(norm)
    lengths = gazetteer.lengths
    aliases = gazetteer.aliases
    qualified = gazetteer.qualified
    regions = gazetteer.regions
    blocked = _blocked_mask(norm, gazetteer)
    # Matches as [start, end, canonical name]; the last one can still be extended.
    found: list[list[Any]] = []
    i = 0
    while i < n:
        candidate_lengths = lengths.get(norm[i])
        if candidate_lengths is None or (blocked is not None and blocked[i]):
            i += 1
            continue
        previous = found[-1] if found else None
        adjacent = previous is not None and not norm[previous[1] : i].strip(_JOINERS)
        hit: str | None = None
        hit_length = 0
        for length in candidate_lengths:
            if i + length > n:
                continue
            word = norm[i : i + length]
            name = aliases.get(word)
            if name is None and adjacent:
                by_parent = qualified.get(word)
                if by_parent is not None:
                    name = by_parent.get(previous[2])  # type: ignore[index]
            if name is not None:
                hit, hit_length = name, length
                break
        if hit is None:
            i += 1
            continue
        end = i + hit_length
        if adjacent and _is_descendant(regions[hit], regions[previous[2]]):  # type: ignore[index]
            previous[1], previous[2] = end, hit  # type: ignore[index]
        else:
            found.append([i, end, hit])
        i = end
    return [
        RegionMatch(start, end, text[start:end], regions[name]) for start, end, name in found
    ]


def normalize_region(text: str) -> Region | None:
    """The most specific region named in free text (the first one on a tie)."""
    best: Region | None = None
    for match in find_regions(text):
        if best is None or match.region.level > best.level:
            best = match.region
    return best


def region_in_answer(text: str) -> Region | None:
    """The region named in answer to "which place?": as `normalize_region`, and where it finds
    none, also a county's short form that is a common word elsewhere ("同心", "俺是长子的",
    "金凤那边"), when the answer names exactly one."""
    region = normalize_region(text)
    if region is not None and region.level == COUNTY:
        return region
    regions = _gazetteer().regions
    norm = to_simplified(text)
    named = {name for short, name in _gazetteer().answer_only.items() if short in norm
             and (region is None or _is_descendant(regions[name], region))}  # "宁夏同心"
    return regions[named.pop()] if len(named) == 1 else region


def _resolve(name: str) -> Region | None:
    """A canonical name, or any text naming exactly one region ("运城", "山西运城")."""
    region = get_region(name)
    if region is not None:
        return region
    matches = find_regions(name)
    if len(matches) == 1 and matches[0].start == 0 and matches[0].end == len(name.strip()):
        return matches[0].region
    return None


def ancestors(name: str) -> list[str]:
    """Canonical names of the region and the regions containing it, itself first.

    Unknown names give an empty list.
    """
    region = _resolve(name)
    chain: list[str] = []
    regions = _gazetteer().regions
    while region is not None:
        chain.append(region.name)
        parent = region.parent
        region = regions.get(parent) if parent else None
    return chain


def region_applies(document_region: str, resident_region: str) -> bool:
    """True when a document for `document_region` applies to someone in `resident_region`.

    That is when the document's region is the resident's region or contains it.
    A national document ("全国") applies everywhere.
    """
    if document_region == NATIONAL:
        return True
    document = _resolve(document_region)
    if document is None:
        return False
    return document.name in ancestors(resident_region)


_PROVINCE_DISPLAY_SUFFIXES = ("回族自治区", "壮族自治区", "维吾尔自治区", "自治区", "特别行政区")


def display_name(region: Region | str) -> str:
    """A short readable form.

    Provinces and cities keep the province ("山西省", "山西省运城市"); autonomous regions and
    SARs use their short name ("宁夏银川市", "香港"); a county is shown with its city only
    ("运城市盐湖区").
    """
    if isinstance(region, str):
        resolved = _resolve(region)
        if resolved is None:
            return region
        region = resolved
    if region.county is not None:
        return (region.city or _province_display(region.province)) + region.county
    return _province_display(region.province) + (region.city or "")


def _province_display(province: str) -> str:
    for suffix in _PROVINCE_DISPLAY_SUFFIXES:
        if province.endswith(suffix):
            return province[: -len(suffix)]
    return province


def jieba_dictionary_lines() -> list[str]:
    """User-dictionary lines ("词 频率 词性") for every place name usable on its own."""
    words = _gazetteer().jieba_words
    return [f"{word} {freq} {JIEBA_TAG}" for word, freq in words.items()]


def jieba_dictionary_text() -> str:
    # No comment line: jieba would read it as a word. Regenerate with `python -m bot.regions`.
    return "\n".join(jieba_dictionary_lines()) + "\n"


def write_jieba_dictionary(path: Path = JIEBA_PLACES_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(jieba_dictionary_text(), encoding="utf-8")
    return path


if __name__ == "__main__":
    written = write_jieba_dictionary(Path(sys.argv[1]) if len(sys.argv) > 1 else JIEBA_PLACES_FILE)
    print(f"wrote {written}")
