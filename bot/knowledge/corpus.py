"""The policy corpus: documents split into numbered measures, loaded from `data/policies/*.yml`.

One YAML file per document. A document applies to one region (a canonical name such as
"山西省" or "山西省运城市") and to every place inside it. A measure is in force up to its own
`valid_until` when the document gives one for it (a one-off subsidy), otherwise up to the
document's `valid_until` (None: no end date stated).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

DOCUMENT_KEYS = {
    "doc_id", "title", "issuer", "doc_number", "issued", "issued_text", "region",
    "valid_until", "source_file", "measures",
}
MEASURE_KEYS = {"number", "clause", "headings", "title", "text", "valid_until", "expiry_note"}


class CorpusError(ValueError):
    """A policy file does not follow the schema."""


@dataclass(frozen=True)
class Measure:
    doc_id: str
    number: str  # as printed in the document: "2", "十九", "二（一）"
    clause: str  # how a citation names it: "第2条", "第（十九）条", "第二部分第（一）项"
    headings: tuple[str, ...]  # section headings above the measure, outermost first
    title: str  # the measure's lead phrase when it has one ("增发一次性生活补贴"), else ""
    text: str  # the full measure, wording exactly as in the source, layout cleaned
    valid_until: dt.date | None = None  # end of a one-off or time-limited measure
    expiry_note: str = ""  # why it ends, in Chinese ("2022年一次性补贴，8月20日前发放完毕")


@dataclass(frozen=True)
class PolicyDocument:
    doc_id: str
    title: str
    issuer: str
    doc_number: str  # 文号, e.g. "宁政办规发〔2022〕7号"
    issued: dt.date | None  # None when the text gives no full date
    issued_text: str  # the date as the source states it ("2022年", "2021年10月26日")
    region: str  # canonical region the document applies to
    valid_until: dt.date | None
    source_file: str
    measures: tuple[Measure, ...] = field(default_factory=tuple)

    def measure_valid_until(self, measure: Measure) -> dt.date | None:
        return measure.valid_until or self.valid_until


def _date(value: Any, where: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise CorpusError(f"{where}: not an ISO date: {value!r}") from exc


def _check_keys(data: Any, allowed: set[str], required: set[str], where: str) -> None:
    if not isinstance(data, dict):
        raise CorpusError(f"{where}: expected a mapping")
    unknown = set(data) - allowed
    if unknown:
        raise CorpusError(f"{where}: unknown keys {sorted(unknown)}")
    missing = required - set(data)
    if missing:
        raise CorpusError(f"{where}: missing keys {sorted(missing)}")


def document_from_dict(data: dict[str, Any], where: str = "document") -> PolicyDocument:
    _check_keys(data, DOCUMENT_KEYS, DOCUMENT_KEYS - {"issued", "valid_until", "issued_text"}, where)
    doc_id = str(data["doc_id"])
    measures = []
    for index, item in enumerate(data["measures"] or []):
        mwhere = f"{where} measure {index + 1}"
        _check_keys(item, MEASURE_KEYS, {"number", "clause", "text"}, mwhere)
        measures.append(
            Measure(
                doc_id=doc_id,
                number=str(item["number"]),
                clause=str(item["clause"]),
                headings=tuple(item.get("headings") or ()),
                title=str(item.get("title") or ""),
                text=str(item["text"]),
                valid_until=_date(item.get("valid_until"), mwhere),
                expiry_note=str(item.get("expiry_note") or ""),
            )
        )
    if not measures:
        raise CorpusError(f"{where}: no measures")
    return PolicyDocument(
        doc_id=doc_id,
        title=str(data["title"]),
        issuer=str(data["issuer"]),
        doc_number=str(data["doc_number"]),
        issued=_date(data.get("issued"), where),
        issued_text=str(data.get("issued_text") or ""),
        region=str(data["region"]),
        valid_until=_date(data.get("valid_until"), where),
        source_file=str(data["source_file"]),
        measures=tuple(measures),
    )


def document_to_dict(doc: PolicyDocument) -> dict[str, Any]:
    def measure(m: Measure) -> dict[str, Any]:
        out: dict[str, Any] = {
            "number": m.number,
            "clause": m.clause,
            "headings": list(m.headings),
            "title": m.title,
            "text": m.text,
        }
        if m.valid_until:
            out["valid_until"] = m.valid_until.isoformat()
        if m.expiry_note:
            out["expiry_note"] = m.expiry_note
        return out

    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "issuer": doc.issuer,
        "doc_number": doc.doc_number,
        "issued": doc.issued.isoformat() if doc.issued else None,
        "issued_text": doc.issued_text,
        "region": doc.region,
        "valid_until": doc.valid_until.isoformat() if doc.valid_until else None,
        "source_file": doc.source_file,
        "measures": [measure(m) for m in doc.measures],
    }


def load_document(path: Path) -> PolicyDocument:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return document_from_dict(data, where=str(path))


def load_corpus(directory: Path) -> list[PolicyDocument]:
    """Every `*.yml` directly inside `directory`, sorted by file name; ids must be unique."""
    documents = [load_document(p) for p in sorted(directory.glob("*.yml"))]
    seen: set[str] = set()
    for doc in documents:
        if doc.doc_id in seen:
            raise CorpusError(f"duplicate doc_id {doc.doc_id}")
        seen.add(doc.doc_id)
    return documents


def write_document(doc: PolicyDocument, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{doc.doc_id}.yml"
    with path.open("w", encoding="utf-8") as handle:
        yaml.safe_dump(document_to_dict(doc), handle, allow_unicode=True, sort_keys=False, width=1000)
    return path


def iter_measures(documents: Iterable[PolicyDocument]) -> Iterable[tuple[PolicyDocument, Measure]]:
    for doc in documents:
        for measure in doc.measures:
            yield doc, measure
