"""Import policy notices (text extracted from PDF or web pages) into the structured corpus.

    python -m bot.knowledge.importer SOURCE.txt [--meta META.yml] [--out data/policies]
    python -m bot.knowledge.importer --all [--out data/policies]

The wording of a notice is never changed; only its layout is cleaned: lines broken by page
breaks or hard wrapping are joined, and stray spaces are removed (a space survives in measure
text only between two Latin/digit tokens; in a document title it also survives where it
separates two issuers, as in "自治区民政厅 财政厅关于…"). Letterhead lines, the addressee line,
signature blocks and "（此件公开发布）" trailers are dropped; the signature date fills `issued`.

The numbering scheme is read from the text itself:
- sections "一、" with items "1、"/"1." numbered across the document -> "第2条";
- sections with items "（一）" numbered across the document -> "第（十九）条";
- sections with items "（一）" restarting in every section -> "第二部分第（一）项", and a section
  with text directly under its heading -> "第一部分";
- sections only -> "第一条".
Text before the first section or item becomes the measure "前言"; a closing paragraph such as
"…自印发之日起施行，有效期至2023年12月31日。" becomes the measure "施行".

Facts the text lacks or gets wrong come from a sidecar YAML (default:
data/policies/meta/<source stem>.yml); see META_KEYS. Sidecar values override detected ones.
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import yaml

from bot.knowledge.corpus import Measure, PolicyDocument, write_document

REPO_ROOT = Path(__file__).resolve().parents[2]
POLICY_DIR = REPO_ROOT / "data" / "policies"
SOURCE_DIR = POLICY_DIR / "sources"
META_DIR = POLICY_DIR / "meta"

EXIT_ERROR = 2
TITLE_MAX = 30  # a measure's lead sentence up to this length is its title

META_KEYS = {
    "doc_id", "doc_number", "title", "issuer", "region", "issued", "issued_text", "valid_until",
    "measures",
}
META_MEASURE_KEYS = {"valid_until", "expiry_note"}
META_EXAMPLES = {
    "doc_id": "sx-2022-38  # short unique id: region abbreviation, year, number",
    "doc_number": "晋民发〔2022〕38号  # the 文号; none was found in the text",
    "title": "山西省人民政府关于…的通知  # the text has no title",
    "issuer": "山西省民政厅、山西省财政厅",
    "region": "山西省  # canonical region the document applies to, e.g. 山西省运城市",
}
REQUIRED_FACTS = ("doc_id", "doc_number", "title", "issuer", "region")
_DOC_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class ImportFailure(Exception):
    """A source cannot be imported; the message says which file and what to fix."""


# ---------------------------------------------------------------------------------------------
# Text cleaning

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_WHITESPACE = re.compile(r"\s+")
# A space survives only between two Latin/digit characters.
_STRAY_SPACE = re.compile(r"(?<![A-Za-z0-9]) | (?![A-Za-z0-9])")
_CJK = re.compile(r"[\u3400-\u9fff]")
_ISSUER_END = re.compile(r"(?:厅|局|部|委|委员会|政府|院|办公室|署)$")
_TITLE_CONNECTOR = re.compile(r"^(?:关于|转发|印发|联合|的)")
_SENTENCE_PUNCT = re.compile(r"[。，；：,;:！？!?]")
_PARAGRAPH_END = re.compile(r"[。：；！？:;!?][”’」』\"']*$")


def clean_text(text: str) -> str:
    """Collapse all whitespace and drop every space not between two Latin/digit characters."""
    text = _WHITESPACE.sub(" ", text.translate(_INVISIBLE)).strip()
    return _STRAY_SPACE.sub("", text)


def clean_title(lines: Sequence[str]) -> str:
    """Join title lines; keep a space only between Latin/digit tokens or between two issuers."""
    text = _WHITESPACE.sub(" ", " ".join(lines).translate(_INVISIBLE)).strip()
    parts = text.split(" ")
    out = parts[0]
    for part in parts[1:]:
        left, right = out[-1:], part[:1]
        latin_pair = left.isascii() and left.isalnum() and right.isascii() and right.isalnum()
        issuer_pair = (
            bool(_ISSUER_END.search(out)) and bool(_CJK.match(right))
            and not _TITLE_CONNECTOR.match(part)
        )
        out += (" " + part) if latin_pair or issuer_pair else part
    return out


def _ends_paragraph(line: str) -> bool:
    return bool(_PARAGRAPH_END.search(line))


# ---------------------------------------------------------------------------------------------
# Numerals and markers

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN = "零〇一二三四五六七八九十百"
_SECTION_RE = re.compile(rf"^([{_CN}]+)\s*、\s*")
_PAREN_RE = re.compile(rf"^[（(]\s*([{_CN}]+)\s*[）)]\s*")
_ARABIC_RE = re.compile(r"^(\d{1,3})\s*(?:、|[.．](?!\d))\s*")


def chinese_to_int(numeral: str) -> int:
    """'十九' -> 19, '二十七' -> 27, '一百零一' -> 101."""
    total = current = 0
    for char in numeral:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            raise ValueError(f"not a Chinese numeral: {numeral!r}")
    return total + current


@dataclass(frozen=True)
class _Marker:
    kind: str  # "section" ("一、"), "paren" ("（一）"), "arabic" ("1、" or "1.")
    value: int
    label: str  # the numeral as printed: "十九", "2"
    rest: str  # the line after the marker


def _match_marker(line: str) -> _Marker | None:
    for kind, pattern in (("section", _SECTION_RE), ("paren", _PAREN_RE), ("arabic", _ARABIC_RE)):
        match = pattern.match(line)
        if not match:
            continue
        label = match.group(1)
        try:
            value = int(label) if kind == "arabic" else chinese_to_int(label)
        except ValueError:
            return None
        if value <= 0:
            return None
        return _Marker(kind, value, label, line[match.end():].strip())
    return None


# ---------------------------------------------------------------------------------------------
# Lines the importer drops

_DOC_NUMBER_RE = re.compile(r"([\u4e00-\u9fff]{1,12})[〔\[［【](\d{4})[〕\]］】](\d{1,5})号")
_DATE_LINE_RE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_CN_DATE_LINE_RE = re.compile(r"^([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月"
                              r"([一二三四五六七八九十]{1,3})日$")
_ORG_RE = re.compile(r"^[\u4e00-\u9fff（）()]{2,40}(?:厅|局|部|委|委员会|政府|院|办公室|署|中心|会)$")
_TRAILER_RE = re.compile(r"^[（(][^（）()]{0,12}公开[^（）()]{0,6}[）)]$")
_LETTERHEAD_RE = re.compile(r"(?:^|\s)文件(?:\s|$)")
_ADDRESSEE_MAX = 100
_EMBEDDED_TITLE_RE = re.compile(r"关于.*(?:通知|意见|措施|办法|方案|规定|决定|细则)$")
_CLOSING_RE = re.compile(r"(?:之日起施行|起施行|有效期至)")
_VALID_UNTIL_RE = re.compile(r"有效期至(\d{4})年(\d{1,2})月(\d{1,2})日")
_CLOSING_MAX = 120


def _is_date_line(line: str) -> bool:
    compact = clean_text(line)
    return bool(_DATE_LINE_RE.match(compact) or _CN_DATE_LINE_RE.match(compact))


def _parse_date_line(line: str) -> dt.date | None:
    compact = clean_text(line)
    match = _DATE_LINE_RE.match(compact)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _CN_DATE_LINE_RE.match(compact)
        if not match:
            return None
        year = int("".join(str(_CN_DIGITS[c]) for c in match.group(1)))
        month, day = chinese_to_int(match.group(2)), chinese_to_int(match.group(3))
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _is_org_line(line: str) -> bool:
    parts = line.split()
    return bool(parts) and all(_ORG_RE.match(p) and "关于" not in p for p in parts)


def find_doc_number(lines: Sequence[str]) -> str | None:
    for line in lines:
        match = _DOC_NUMBER_RE.search(_WHITESPACE.sub("", line))
        if match:
            prefix, year, number = match.groups()
            return f"{prefix}〔{year}〕{number}号"
    return None


# ---------------------------------------------------------------------------------------------
# Parsing


@dataclass
class _Node:
    kind: str  # "preamble", "section" or "item"
    label: str = ""
    marker: str = ""  # for an item: "paren" or "arabic"
    heading: str = ""  # text of a heading standing alone on the marker line
    paragraphs: list[list[str]] = field(default_factory=list)
    section: _Node | None = None  # for an item: the section it sits in

    def add_line(self, line: str, new_paragraph: bool) -> None:
        if new_paragraph or not self.paragraphs:
            self.paragraphs.append([line])
        else:
            self.paragraphs[-1].append(line)

    def text(self) -> str:
        return clean_text("".join("".join(p) for p in self.paragraphs))


@dataclass
class ParsedSource:
    """What the text itself says; the sidecar fills the gaps."""

    doc_number: str | None
    title: str | None
    issuer: str | None
    issued: dt.date | None
    issued_text: str
    valid_until: dt.date | None
    measures: list[Measure]


def _raw_lines(text: str) -> list[str]:
    lines = []
    for raw in text.translate(_INVISIBLE).splitlines():
        line = re.sub(r"^#+\s*", "", raw.strip()).strip()
        if line:
            lines.append(line)
    return lines


def _split_header(lines: list[str]) -> tuple[list[str], list[str]]:
    """(header lines before the addressee line, body lines after it)."""
    for index, line in enumerate(lines[:20]):
        if "。" in line:
            break
        if line.endswith(("：", ":")) and len(line) <= _ADDRESSEE_MAX and not _match_marker(line):
            return lines[:index], lines[index + 1:]
    # No addressee line: the header is the leading run of lines without sentence punctuation.
    index = 0
    while index < len(lines) and not re.search(r"[，。]", lines[index]) \
            and not _match_marker(lines[index]):
        index += 1
    return lines[:index], lines[index:]


def _title_from_header(header: list[str]) -> str | None:
    letterhead_end = 0
    for index, line in enumerate(header):
        if line == "文件" or _LETTERHEAD_RE.search(line):
            letterhead_end = index + 1
    title_lines = [
        line for line in header[letterhead_end:]
        if not _DOC_NUMBER_RE.fullmatch(_WHITESPACE.sub("", line))
    ]
    return clean_title(title_lines) if title_lines else None


def _drop_signatures(body: list[str]) -> tuple[list[str | None], list[str], str]:
    """Replace signature blocks and trailers by None (a paragraph break).

    Returns (entries, issuer names from the first signature, first signature date as printed).
    """
    entries: list[str | None] = list(body)
    issuers: list[str] = []
    date_text = ""
    for index, line in enumerate(body):
        if _TRAILER_RE.match(clean_text(line)):
            entries[index] = None
        elif _is_date_line(line):
            entries[index] = None
            start = index
            while start > 0 and entries[start - 1] is not None and _is_org_line(body[start - 1]):
                start -= 1
                entries[start] = None
            if not date_text:
                date_text = clean_text(line)
                for org_line in body[start:index]:
                    issuers.extend(org_line.split())
    return entries, issuers, date_text


def _embedded_title_length(entries: list[str | None], start: int) -> int:
    """Lines at `start` forming the title of an attached document ("…关于…的若干措施"), or 0."""
    end = start
    while end < len(entries) and entries[end] is not None \
            and not re.search(r"[，。；：、,;:（）()《》“”]", entries[end] or ""):
        end += 1
    if end == start:
        return 0
    joined = clean_text("".join(e for e in entries[start:end] if e))
    return end - start if _EMBEDDED_TITLE_RE.search(joined) else 0


def _standalone_heading(rest: str, following: str | None) -> bool:
    """Is `rest` (a marker line's text) a heading of its own rather than a broken lead sentence?"""
    if not rest or _SENTENCE_PUNCT.search(rest):
        return False
    if following is None or _match_marker(following):
        return True
    stop = (rest + following).find("。")
    return stop < 0 or stop > TITLE_MAX


def _segment(entries: list[str | None]) -> list[_Node]:
    preamble = _Node("preamble")
    nodes = [preamble]
    current = preamble
    section: _Node | None = None
    boundary = True
    last_section = last_item = 0
    item_kind: str | None = None
    items_in_section = 0
    index = 0
    while index < len(entries):
        line = entries[index]
        if line is None:
            boundary = True
            index += 1
            continue
        marker = _match_marker(line) if boundary else None
        accepted = False
        if marker and marker.kind == "section":
            accepted = marker.value == last_section + 1
        elif marker and item_kind in (None, marker.kind):
            restart = marker.value == 1 and last_item > 0 and section is not None \
                and items_in_section == 0
            accepted = marker.value == last_item + 1 or restart
        if not accepted:
            if current is preamble and boundary:
                skip = _embedded_title_length(entries, index)
                if skip:
                    index += skip
                    continue
            current.add_line(line, boundary)
            boundary = _ends_paragraph(line)
            index += 1
            continue

        assert marker is not None
        if marker.kind == "section":
            last_section = marker.value
            items_in_section = 0
            node = _Node("section", label=marker.label)
            section = node
        else:
            item_kind = marker.kind
            last_item = marker.value
            items_in_section += 1
            node = _Node("item", label=marker.label, marker=marker.kind, section=section)
        nodes.append(node)
        current = node
        following = entries[index + 1] if index + 1 < len(entries) else None
        if _standalone_heading(marker.rest, following):
            node.heading = marker.rest
            boundary = True
        elif marker.rest:
            node.add_line(marker.rest, True)
            boundary = _ends_paragraph(marker.rest)
        else:
            boundary = False
        index += 1
    return nodes


def _lead_title(text: str) -> str:
    stop = text.find("。")
    if stop <= 0 or stop > TITLE_MAX or stop == len(text) - 1:
        return ""
    lead = text[:stop]
    return "" if _SENTENCE_PUNCT.search(lead) else lead


def _section_heading(section: _Node | None) -> tuple[str, ...]:
    if section is None:
        return ()
    return (f"{section.label}、{section.heading or _lead_title(section.text())}",)


def _build_measures(nodes: list[_Node]) -> list[Measure]:
    items = [n for n in nodes if n.kind == "item"]
    has_items = bool(items)
    # Item numbers either run across the document or restart in every section.
    sectioned = len(items) != len({item.label for item in items})

    measures: list[Measure] = []
    for node in nodes:
        if not node.paragraphs:
            continue
        text = node.text()
        if node.kind == "preamble":
            number = clause = "前言"
            title, headings = "", ()
        elif node.kind == "section":
            number = node.label
            clause = f"第{node.label}部分" if has_items else f"第{node.label}条"
            title, headings = node.heading or _lead_title(text), ()
        else:
            sec = node.section.label if node.section is not None else ""
            if node.marker == "paren":
                if sectioned and sec:
                    number, clause = f"{sec}（{node.label}）", f"第{sec}部分第（{node.label}）项"
                else:
                    number, clause = node.label, f"第（{node.label}）条"
            else:
                if sectioned and sec:
                    number, clause = f"{sec}.{node.label}", f"第{sec}部分第{node.label}项"
                else:
                    number, clause = node.label, f"第{node.label}条"
            title, headings = node.heading or _lead_title(text), _section_heading(node.section)
        measures.append(Measure(doc_id="", number=number, clause=clause, headings=headings,
                                title=title, text=text))

    # A short closing paragraph ("…自印发之日起施行，有效期至…") is a measure of its own.
    last = next((n for n in reversed(nodes) if n.paragraphs), None)
    if last is not None and last.kind != "preamble" and len(last.paragraphs) > 1:
        closing = clean_text("".join(last.paragraphs[-1]))
        if _CLOSING_RE.search(closing) and len(closing) <= _CLOSING_MAX:
            last.paragraphs.pop()
            previous = measures.pop()
            measures.append(Measure(doc_id="", number=previous.number, clause=previous.clause,
                                    headings=previous.headings, title=previous.title,
                                    text=last.text()))
            measures.append(Measure(doc_id="", number="施行", clause="施行日期和有效期",
                                    headings=(), title="", text=closing))
    return measures


def parse_source(text: str) -> ParsedSource:
    """Everything the text itself tells about a notice."""
    lines = _raw_lines(text)
    header, body = _split_header(lines)
    entries, issuers, date_text = _drop_signatures(body)
    measures = _build_measures(_segment(entries))
    valid_until = None
    if measures and measures[-1].number == "施行":
        match = _VALID_UNTIL_RE.search(measures[-1].text)
        if match:
            valid_until = dt.date(*(int(g) for g in match.groups()))
    return ParsedSource(
        doc_number=find_doc_number(header),
        title=_title_from_header(header),
        issuer="、".join(issuers) or None,
        issued=_parse_date_line(date_text) if date_text else None,
        issued_text=date_text,
        valid_until=valid_until,
        measures=measures,
    )


# ---------------------------------------------------------------------------------------------
# Sidecar


def _meta_date(value: Any, where: str) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ImportFailure(f"{where}: not a date (write it as YYYY-MM-DD): {value!r}") from exc


def load_meta(path: Path) -> dict[str, Any]:
    """Read and check a sidecar; any key outside META_KEYS is an error."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as exc:
        raise ImportFailure(f"{path}: cannot read sidecar: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ImportFailure(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ImportFailure(f"{path}: a sidecar must be a mapping of keys to values")
    _reject_unknown_keys(data, META_KEYS, f"{path}: unknown sidecar keys")
    meta: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("issued", "valid_until"):
            meta[key] = _meta_date(value, f"{path}: {key}")
        elif key == "measures":
            meta[key] = _load_meta_measures(value, path)
        elif value is not None:
            if not isinstance(value, str) or not value.strip():
                raise ImportFailure(f"{path}: {key} must be a non-empty string, got {value!r}")
            meta[key] = value.strip()
    if "doc_id" in meta and not _DOC_ID_RE.match(meta["doc_id"]):
        raise ImportFailure(
            f"{path}: doc_id {meta['doc_id']!r} must be lower-case letters, digits and '-' "
            "(it names the output file), e.g. sx-2022-38")
    return meta


def _reject_unknown_keys(data: dict[Any, Any], allowed: set[str], what: str) -> None:
    unknown = sorted(str(k) for k in set(data) - allowed)
    if unknown:
        raise ImportFailure(f"{what} {unknown}; allowed keys: {sorted(allowed)}")


def _load_meta_measures(value: Any, path: Path) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ImportFailure(f"{path}: measures must map a clause label (e.g. 第2条) to its facts")
    measures: dict[str, dict[str, Any]] = {}
    for clause, facts in value.items():
        where = f"{path}: measures: {clause}"
        if not isinstance(facts, dict):
            raise ImportFailure(f"{where}: expected a mapping with {sorted(META_MEASURE_KEYS)}")
        _reject_unknown_keys(facts, META_MEASURE_KEYS, f"{where}: unknown keys")
        note = facts.get("expiry_note")
        if note is not None and not isinstance(note, str):
            raise ImportFailure(f"{where}: expiry_note must be a string")
        measures[str(clause)] = {
            "valid_until": _meta_date(facts.get("valid_until"), f"{where}: valid_until"),
            "expiry_note": (note or "").strip(),
        }
    return measures


def default_meta_path(source: Path) -> Path:
    return META_DIR / f"{source.stem}.yml"


# ---------------------------------------------------------------------------------------------
# Import


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def import_document(source: Path, meta_path: Path | None = None) -> PolicyDocument:
    """Parse `source` and merge its sidecar (`meta_path`, or the default one when it exists)."""
    if meta_path is None:
        candidate = default_meta_path(source)
        meta_path = candidate if candidate.exists() else None
    elif not meta_path.exists():
        raise ImportFailure(f"{meta_path}: sidecar not found")
    meta = load_meta(meta_path) if meta_path else {}
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailure(f"{source}: cannot read as UTF-8 text: {exc}") from exc

    parsed = parse_source(text)
    if not parsed.measures:
        raise ImportFailure(f"{source}: no text found to import")

    facts: dict[str, Any] = {
        "doc_id": None,
        "doc_number": parsed.doc_number,
        "title": parsed.title,
        "issuer": parsed.issuer,
        "region": None,
        "issued": parsed.issued,
        "issued_text": parsed.issued_text,
        "valid_until": parsed.valid_until,
    }
    for key in facts:
        if key in meta:
            facts[key] = meta[key]
    if "issued" in meta and "issued_text" not in meta and meta["issued"] is not None:
        issued = meta["issued"]
        facts["issued_text"] = f"{issued.year}年{issued.month}月{issued.day}日"

    missing = [key for key in REQUIRED_FACTS if not facts[key]]
    if missing:
        sidecar = meta_path or default_meta_path(source)
        lines = "\n".join(f"  {key}: {META_EXAMPLES[key]}" for key in missing)
        raise ImportFailure(
            f"{source}: missing {', '.join(missing)} (not found in the text). "
            f"Add to the sidecar {_display(sidecar)}:\n{lines}")

    overrides = dict(meta.get("measures", {}))
    known = {m.clause for m in parsed.measures}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ImportFailure(
            f"{meta_path}: measures {unknown} not found in {source.name}; "
            f"its clauses are: {', '.join(m.clause for m in parsed.measures)}")

    doc_id = facts["doc_id"]
    measures = []
    for m in parsed.measures:
        extra = overrides.get(m.clause, {})
        measures.append(Measure(
            doc_id=doc_id, number=m.number, clause=m.clause, headings=m.headings, title=m.title,
            text=m.text, valid_until=extra.get("valid_until"),
            expiry_note=extra.get("expiry_note", ""),
        ))
    return PolicyDocument(
        doc_id=doc_id,
        title=facts["title"],
        issuer=facts["issuer"],
        doc_number=facts["doc_number"],
        issued=facts["issued"],
        issued_text=facts["issued_text"] or "",
        region=facts["region"],
        valid_until=facts["valid_until"],
        source_file=_display(source),
        measures=tuple(measures),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.knowledge.importer",
        description="Import policy notices (.txt) into data/policies/<doc_id>.yml.")
    parser.add_argument("sources", nargs="*", type=Path, metavar="SOURCE.txt")
    parser.add_argument("--all", action="store_true",
                        help=f"re-import every {_display(SOURCE_DIR)}/*.txt")
    parser.add_argument("--meta", type=Path,
                        help="sidecar YAML (default: data/policies/meta/<stem>.yml if it exists)")
    parser.add_argument("--out", type=Path, default=POLICY_DIR,
                        help="output directory (default: data/policies)")
    args = parser.parse_args(argv)

    sources: list[Path] = list(args.sources)
    if args.all:
        sources += sorted(SOURCE_DIR.glob("*.txt"))
    if not sources:
        parser.error("give SOURCE.txt or --all")
    if args.meta and len(sources) != 1:
        parser.error("--meta goes with exactly one SOURCE.txt")

    # Parse everything first: on any error nothing is written.
    documents: list[PolicyDocument] = []
    errors: list[str] = []
    for source in sources:
        try:
            documents.append(import_document(source, args.meta))
        except ImportFailure as exc:
            errors.append(str(exc))
    ids: dict[str, str] = {}
    for doc in documents:
        if doc.doc_id in ids:
            errors.append(f"{doc.source_file}: doc_id {doc.doc_id} is also used by {ids[doc.doc_id]}")
        ids[doc.doc_id] = doc.source_file
    if errors:
        for error in errors:
            print(f"error: {error}", file=sys.stderr)
        print("nothing written", file=sys.stderr)
        return EXIT_ERROR

    for doc in documents:
        path = write_document(doc, args.out)
        print(f"{doc.doc_id}\t{doc.doc_number}\t{len(doc.measures)} measures\t{_display(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
