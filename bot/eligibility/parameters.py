"""Dated, cited eligibility parameters per region, loaded from `data/parameters/*.yml`.

One YAML file per region ("全国" for national definitions). A file declares the documents it
cites (with their end date when they have one) and, per parameter, the values keyed by the date
they took effect; every value carries its citation (document + clause).

    region: 宁夏回族自治区
    documents:
      宁政办规发〔2022〕7号: {title: …, issued: 2022-06-07, valid_until: 2023-12-31}
    parameters:
      dibao_standard_urban:
        2022-06-07:
          value: 650
          unit: 元/人/月
          citation: {document: 宁政办规发〔2022〕7号, clause: 第2条}
    unpublished:            # why a parameter is deliberately absent (the figure is set elsewhere)
      tekun_standard: {reason: …, citation: {document: …, clause: …}}

A value is in force from its date until the next value's date or the end of its document.
A parameter set for a region applies to every place inside it; the most specific region that
states the parameter (a value or an `unpublished` note) wins. The schema is checked at load:
an unknown or misplaced key, a missing citation or a key that is not a date is an error naming
the file and the key.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from bot.regions import NATIONAL, ancestors, get_region

PARAMETERS_DIR = Path(__file__).resolve().parents[2] / "data" / "parameters"


class ParameterError(ValueError):
    """A parameter file does not follow the schema."""


class Kind(Enum):
    AMOUNT = "amount"  # value + unit: a sum of money or a threshold
    MULTIPLE = "multiple"  # factor × a 低保 standard (of), optionally a minimum (at_least)
    COUNT = "count"  # a whole number: months, years of age
    RANGE = "range"  # min and max, in months
    GRADES = "grades"  # disability kind -> grades; "any" for every kind
    MEASURE = "measure"  # the document provides this; only the citation matters


@dataclass(frozen=True)
class Spec:
    kind: Kind
    label: str  # how a person reads the parameter's name (Chinese)
    units: tuple[str, ...] = ()


MONTHLY_UNITS = ("元/人/月", "元/人/年")
CATALOGUE: Mapping[str, Spec] = {
    "dibao_standard_urban": Spec(Kind.AMOUNT, "城市低保标准", MONTHLY_UNITS),
    "dibao_standard_rural": Spec(Kind.AMOUNT, "农村低保标准", MONTHLY_UNITS),
    "dibao_employment_cost_deduction": Spec(Kind.MULTIPLE, "就业成本扣减"),
    "dibao_individual_disability": Spec(Kind.GRADES, "可单独申请低保的残疾类别和等级"),
    "dibao_individual_serious_illness": Spec(Kind.MEASURE, "重病患者单独申请低保"),
    "tekun_conditions": Spec(Kind.MEASURE, "特困人员认定条件"),
    "tekun_elderly_min_age": Spec(Kind.COUNT, "老年人年龄起点"),
    "tekun_minor_age_limit": Spec(Kind.COUNT, "未成年人年龄上限"),
    "tekun_disability": Spec(Kind.GRADES, "可纳入特困供养的残疾类别和等级"),
    "tekun_standard": Spec(Kind.MULTIPLE, "特困人员供养标准"),
    "temporary_urgent": Spec(Kind.MEASURE, "急难型临时救助"),
    "temporary_urgent_amount": Spec(Kind.MULTIPLE, "急难型临时救助标准"),
    "temporary_expense": Spec(Kind.MEASURE, "支出型临时救助"),
    "temporary_expense_medical_threshold": Spec(Kind.AMOUNT, "因病支出型救助的个人自负费用门槛", ("元/年",)),
    "temporary_expense_amount": Spec(Kind.MULTIPLE, "支出型临时救助标准"),
    "temporary_individual": Spec(Kind.MEASURE, "个人对象临时救助"),
    "temporary_individual_amount": Spec(Kind.MULTIPLE, "个人对象临时救助标准"),
    "unemployed_one_off": Spec(Kind.MEASURE, "未参保失业人员一次性临时救助金"),
    "unemployed_one_off_months": Spec(Kind.COUNT, "连续无收入来源的月数"),
    "unemployed_one_off_amount": Spec(Kind.MULTIPLE, "未参保失业人员一次性临时救助金标准"),
    "unemployed_one_off_direct": Spec(Kind.MEASURE, "低收入人口免核查直接救助"),
    "graduate_assistance": Spec(Kind.MEASURE, "未就业大学生临时救助"),
    "graduate_assistance_amount": Spec(Kind.MULTIPLE, "未就业大学生一次性临时救助金标准"),
    "graduate_assistance_direct": Spec(Kind.MEASURE, "低收入人口免核查直接救助"),
    "gradual_exit_months": Spec(Kind.RANGE, "低保渐退期"),
}

# What a MULTIPLE is a multiple of: the urban or rural monthly standard, or the one matching
# the applicant's residence.
BASES = {
    "dibao_urban_monthly": "城市低保月标准",
    "dibao_rural_monthly": "农村低保月标准",
    "dibao_monthly": "当地城乡低保月标准",
}
# The 低保 standards each base is: both for "dibao_monthly" (the one of the applicant's residence).
BASIS_STANDARDS = {
    "dibao_urban_monthly": ("dibao_standard_urban",),
    "dibao_rural_monthly": ("dibao_standard_rural",),
    "dibao_monthly": ("dibao_standard_urban", "dibao_standard_rural"),
}
DISABILITY_KINDS = ("physical", "visual", "hearing", "speech", "intellectual", "mental", "multiple")
ANY_KIND = "any"
MAX_DISABILITY_GRADE = 4

_FILE_KEYS = {"region", "documents", "parameters", "unpublished"}
_DOCUMENT_KEYS = {"title", "issued", "valid_until", "note", "source"}
_CITATION_KEYS = {"document", "clause"}
_COMMON_VALUE_KEYS = {"citation", "note"}
_VALUE_KEYS = {
    Kind.AMOUNT: {"value", "unit"},
    Kind.MULTIPLE: {"factor", "of", "at_least"},
    Kind.COUNT: {"value"},
    Kind.RANGE: {"min", "max"},
    Kind.GRADES: {"grades"},
    Kind.MEASURE: set(),
}
_OPTIONAL_VALUE_KEYS = {"note", "at_least"}
_UNPUBLISHED_KEYS = {"reason", "citation"}


@dataclass(frozen=True)
class Citation:
    document: str  # 文号 or the title of a law
    clause: str  # "第2条", "第二部分第（一）项"

    def __str__(self) -> str:
        return f"{self.document} {self.clause}"


@dataclass(frozen=True)
class Document:
    name: str
    title: str
    issued: dt.date | None
    valid_until: dt.date | None  # None: no end date stated
    note: str = ""


@dataclass(frozen=True)
class Amount:
    value: Fraction
    unit: str

    @property
    def monthly(self) -> Fraction:
        return self.value / 12 if self.unit.endswith("/年") else self.value


@dataclass(frozen=True)
class Multiple:
    factor: Fraction
    of: str  # a key of BASES
    at_least: bool  # the document sets a minimum ("不低于")


@dataclass(frozen=True)
class MonthRange:
    min: int
    max: int


Data = Amount | Multiple | int | MonthRange | Mapping[str, frozenset[int]] | None


@dataclass(frozen=True)
class ParameterValue:
    name: str
    region: str
    effective: dt.date
    data: Data
    citation: Citation
    document: Document
    note: str = ""  # how the value reads the document, where its wording needs it

    @property
    def valid_until(self) -> dt.date | None:
        return self.document.valid_until


@dataclass(frozen=True)
class Unpublished:
    """A parameter the documents leave to someone else: no figure, and why."""

    name: str
    region: str
    reason: str
    citation: Citation


@dataclass(frozen=True)
class RegionParameters:
    region: str
    source: str  # file name, for messages
    documents: Mapping[str, Document]
    values: Mapping[str, tuple[ParameterValue, ...]]  # sorted by effective date
    unpublished: Mapping[str, Unpublished]


@dataclass(frozen=True)
class Lookup:
    """A parameter for a region at a date: the value in force, or why there is none."""

    name: str
    region: str  # the region screened
    as_of: dt.date
    value: ParameterValue | None = None
    unpublished: Unpublished | None = None
    upcoming: ParameterValue | None = None  # the first value not yet in force at as_of
    below: tuple[str, ...] = ()  # more specific regions that state the parameter

    @property
    def spec(self) -> Spec:
        return CATALOGUE[self.name]

    @property
    def stale(self) -> bool:
        """The value comes from a document whose end date is before as_of."""
        until = self.value.valid_until if self.value else None
        return until is not None and self.as_of > until


def _fail(where: str, message: str) -> ParameterError:
    return ParameterError(f"{where}: {message}")


def _mapping(data: Any, where: str) -> dict[Any, Any]:
    if not isinstance(data, dict):
        raise _fail(where, "expected a mapping")
    return data


def _check_keys(data: Any, allowed: set[str], required: set[str], where: str) -> dict[Any, Any]:
    mapping = _mapping(data, where)
    unknown = sorted(str(k) for k in set(mapping) - allowed)
    if unknown:
        raise _fail(where, f"unknown key {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")
    missing = sorted(required - set(mapping))
    if missing:
        raise _fail(where, f"missing key {', '.join(missing)}")
    return mapping


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail(where, f"not a date (YYYY-MM-DD): {value!r}")


def _optional_date(value: Any, where: str) -> dt.date | None:
    return None if value is None else _date(value, where)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, "expected non-empty text")
    return value.strip()


def _number(value: Any, where: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, f"expected a number, got {value!r}")
    number = Fraction(str(value))
    if number < 0:
        raise _fail(where, "must not be negative")
    return number


def _whole(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(where, f"expected a whole number >= 0, got {value!r}")
    return value


def _citation(data: Any, documents: Mapping[str, Document], where: str) -> Citation:
    if data is None:
        raise _fail(where, "missing citation (document and clause)")
    mapping = _check_keys(data, _CITATION_KEYS, _CITATION_KEYS, where)
    document = _text(mapping["document"], f"{where}.document")
    if document not in documents:
        raise _fail(f"{where}.document", f"{document} is not declared under documents")
    return Citation(document, _text(mapping["clause"], f"{where}.clause"))


def _grades(data: Any, where: str) -> Mapping[str, frozenset[int]]:
    mapping = _mapping(data, where)
    if not mapping:
        raise _fail(where, "no grades")
    grades: dict[str, frozenset[int]] = {}
    for kind, values in mapping.items():
        if kind != ANY_KIND and kind not in DISABILITY_KINDS:
            raise _fail(f"{where}.{kind}", f"unknown disability kind (allowed: any, {', '.join(DISABILITY_KINDS)})")
        if not isinstance(values, list) or not values:
            raise _fail(f"{where}.{kind}", "expected a list of grades")
        for grade in values:
            if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= MAX_DISABILITY_GRADE:
                raise _fail(f"{where}.{kind}", f"grade must be 1 to {MAX_DISABILITY_GRADE}, got {grade!r}")
        grades[kind] = frozenset(values)
    return grades


def _data(spec: Spec, mapping: dict[str, Any], where: str) -> Data:
    if spec.kind is Kind.AMOUNT:
        unit = _text(mapping["unit"], f"{where}.unit")
        if unit not in spec.units:
            raise _fail(f"{where}.unit", f"{unit} is not one of {', '.join(spec.units)}")
        return Amount(_number(mapping["value"], f"{where}.value"), unit)
    if spec.kind is Kind.MULTIPLE:
        of = mapping["of"]
        if of not in BASES:
            raise _fail(f"{where}.of", f"{of!r} is not one of {', '.join(BASES)}")
        at_least = mapping.get("at_least", False)
        if not isinstance(at_least, bool):
            raise _fail(f"{where}.at_least", "expected true or false")
        return Multiple(_number(mapping["factor"], f"{where}.factor"), of, at_least)
    if spec.kind is Kind.COUNT:
        return _whole(mapping["value"], f"{where}.value")
    if spec.kind is Kind.RANGE:
        low, high = _whole(mapping["min"], f"{where}.min"), _whole(mapping["max"], f"{where}.max")
        if low > high:
            raise _fail(where, "min is greater than max")
        return MonthRange(low, high)
    if spec.kind is Kind.GRADES:
        return _grades(mapping["grades"], f"{where}.grades")
    return None


def value_data(name: str, mapping: Mapping[str, Any], where: str) -> Data:
    """A value's data from its keys (value/unit, factor/of/at_least, min/max …), checked as in a file."""
    spec = CATALOGUE[name]
    allowed = _VALUE_KEYS[spec.kind] | _COMMON_VALUE_KEYS
    checked = _check_keys(dict(mapping), allowed, _VALUE_KEYS[spec.kind] - _OPTIONAL_VALUE_KEYS, where)
    return _data(spec, checked, where)


def _values(
    name: str, data: Any, region: str, documents: Mapping[str, Document], where: str
) -> tuple[ParameterValue, ...]:
    spec = CATALOGUE[name]
    by_date = _mapping(data, where)
    if not by_date:
        raise _fail(where, "no dated values")
    allowed = _VALUE_KEYS[spec.kind] | _COMMON_VALUE_KEYS
    required = allowed - _OPTIONAL_VALUE_KEYS
    values = []
    for key, raw in by_date.items():
        vwhere = f"{where}.{key}"
        effective = _date(key, f"{where}: key {key!r}")
        mapping = _check_keys(raw, allowed, required, vwhere)
        citation = _citation(mapping["citation"], documents, f"{vwhere}.citation")
        document = documents[citation.document]
        if document.valid_until is not None and effective > document.valid_until:
            raise _fail(vwhere, f"takes effect after {citation.document} ends ({document.valid_until})")
        values.append(
            ParameterValue(name, region, effective, _data(spec, mapping, vwhere), citation, document,
                           str(mapping.get("note") or ""))
        )
    values.sort(key=lambda value: value.effective)
    return tuple(values)


def _documents(data: Any, where: str) -> dict[str, Document]:
    documents: dict[str, Document] = {}
    for name, raw in _mapping(data, where).items():
        dwhere = f"{where}.{name}"
        mapping = _check_keys(raw, _DOCUMENT_KEYS, {"title"}, dwhere)
        documents[str(name)] = Document(
            name=str(name),
            title=_text(mapping["title"], f"{dwhere}.title"),
            issued=_optional_date(mapping.get("issued"), f"{dwhere}.issued"),
            valid_until=_optional_date(mapping.get("valid_until"), f"{dwhere}.valid_until"),
            note=str(mapping.get("note") or ""),
        )
    return documents


def _parameter_name(name: Any, where: str) -> str:
    if name not in CATALOGUE:
        raise _fail(f"{where}.{name}", "unknown parameter (see CATALOGUE in bot/eligibility/parameters.py)")
    return str(name)


def region_parameters_from_dict(data: Any, source: str) -> RegionParameters:
    mapping = _check_keys(data, _FILE_KEYS, {"region", "documents"}, source)
    region = _text(mapping["region"], f"{source}: region")
    if region != NATIONAL:
        known = get_region(region)
        if known is None or known.name != region:
            raise _fail(f"{source}: region", f"{region} is not a canonical region name")
    documents = _documents(mapping["documents"], f"{source}: documents")
    values = {}
    for name, raw in _mapping(mapping.get("parameters") or {}, f"{source}: parameters").items():
        where = f"{source}: parameters.{_parameter_name(name, f'{source}: parameters')}"
        values[name] = _values(name, raw, region, documents, where)
    unpublished = {}
    for name, raw in _mapping(mapping.get("unpublished") or {}, f"{source}: unpublished").items():
        where = f"{source}: unpublished.{_parameter_name(name, f'{source}: unpublished')}"
        if name in values:
            raise _fail(where, "is both a parameter and unpublished")
        entry = _check_keys(raw, _UNPUBLISHED_KEYS, _UNPUBLISHED_KEYS, where)
        unpublished[name] = Unpublished(
            name, region, _text(entry["reason"], f"{where}.reason"),
            _citation(entry["citation"], documents, f"{where}.citation"),
        )
    return RegionParameters(region, source, documents, values, unpublished)


def load_region_file(path: Path) -> RegionParameters:
    with path.open(encoding="utf-8") as handle:
        try:
            data = yaml.safe_load(handle)
        except yaml.YAMLError as exc:
            raise ParameterError(f"{path.name}: not valid YAML: {exc}") from exc
    return region_parameters_from_dict(data, path.name)


class ParameterSet:
    """Every region's parameters; answers "which value applies here on this date"."""

    def __init__(self, files: Iterable[RegionParameters]) -> None:
        self.by_region: dict[str, RegionParameters] = {}
        for file in files:
            if file.region in self.by_region:
                other = self.by_region[file.region].source
                raise ParameterError(f"{file.source}: region {file.region} is also in {other}")
            self.by_region[file.region] = file
        self._chains: dict[str, tuple[RegionParameters, ...]] = {}
        self._below: dict[tuple[str, str], tuple[str, ...]] = {}

    @classmethod
    def from_directory(cls, directory: Path = PARAMETERS_DIR) -> ParameterSet:
        return cls(load_region_file(path) for path in sorted(directory.glob("*.yml")))

    def _chain(self, region: str) -> tuple[RegionParameters, ...]:
        """The files that apply to the region, most specific first, national last."""
        chain = self._chains.get(region)
        if chain is None:
            names = [*ancestors(region), NATIONAL]
            chain = tuple(self.by_region[name] for name in names if name in self.by_region)
            self._chains[region] = chain
        return chain

    def _stated_below(self, name: str, region: str) -> tuple[str, ...]:
        key = (name, region)
        below = self._below.get(key)
        if below is None:
            below = tuple(
                file.region
                for file in self.by_region.values()
                if name in file.values and file.region != NATIONAL
                and region in ancestors(file.region)[1:]
            )
            self._below[key] = below
        return below

    def lookup(self, name: str, region: str, as_of: dt.date) -> Lookup:
        if name not in CATALOGUE:
            raise KeyError(name)
        upcoming: ParameterValue | None = None
        for file in self._chain(region):
            values = file.values.get(name)
            if values:
                in_force = [value for value in values if value.effective <= as_of]
                if in_force:
                    return Lookup(name, region, as_of, value=in_force[-1])
                upcoming = upcoming or values[0]
                if name in file.unpublished:  # a scheduled value where no figure is published yet
                    return Lookup(name, region, as_of, unpublished=file.unpublished[name], upcoming=upcoming)
                continue
            if name in file.unpublished:
                return Lookup(name, region, as_of, unpublished=file.unpublished[name], upcoming=upcoming)
        return Lookup(name, region, as_of, upcoming=upcoming, below=self._stated_below(name, region))
