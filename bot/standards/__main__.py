"""Administrators' command line for local standards (yearly bulk updates, scripted checks):

    python -m bot.standards propose FILE.yml --user USERNAME      # values in data/parameters/ shape
    python -m bot.standards approve ID --user USERNAME [--note …] # a second supervisor approves
    python -m bot.standards reject ID --user USERNAME --note 理由
    python -m bot.standards list [--region 运城市] [--status pending]
    python -m bot.standards export --out DIR                      # approved values as YAML files

The same validation, maker-checker rule, history and audit as the console page: the command acts
as the named staff account. A FILE.yml is one region in the shape of data/parameters/*.yml; each
document must also give `source` (where it was published); every dated value of every parameter
becomes one proposal, and the file is proposed whole or not at all.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any, Sequence

import yaml

from bot.core import migrate
from bot.core.calendar import local_now
from bot.core.errors import IntakeError
from bot.eligibility.parameters import PARAMETERS_DIR, load_region_file
from bot.regions import display_name
from bot.standards import store

EXIT_ERROR = 1


class FileProblem(Exception):
    pass


def proposals_from_file(path: Path) -> list[dict[str, Any]]:
    """The form fields of each proposal in a file shaped like data/parameters/*.yml."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise FileProblem(f"无法读取文件 {path}：{exc}") from exc
    except yaml.YAMLError as exc:
        raise FileProblem(f"{path.name} 不是有效的 YAML：{exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("parameters"), dict) or not data.get("region"):
        raise FileProblem(f"{path.name}：须有 region、documents 和 parameters（格式同 data/parameters/*.yml）。")
    documents = data.get("documents") or {}
    if not isinstance(documents, dict):
        raise FileProblem(f"{path.name}：documents 须为文号到文件信息的映射。")
    out = []
    for name, by_date in data["parameters"].items():
        if not isinstance(by_date, dict):
            raise FileProblem(f"{path.name}：parameters.{name} 须按生效日期列出各个值。")
        for effective, raw in by_date.items():
            where = f"{path.name}：parameters.{name}.{effective}"
            if not isinstance(raw, dict):
                raise FileProblem(f"{where} 须为映射。")
            citation = raw.get("citation") or {}
            document_name = citation.get("document") if isinstance(citation, dict) else None
            document = documents.get(document_name) if document_name else None
            if not isinstance(document, dict):
                raise FileProblem(f"{where}：citation.document 须为 documents 下列出的文号。")
            fields = {key: value for key, value in raw.items() if key not in ("citation", "note")}
            out.append({
                **fields, "region": data["region"], "parameter": name, "effective": effective,
                "valid_until": document.get("valid_until"), "doc_number": document_name,
                "doc_title": document.get("title"), "doc_issued": document.get("issued"),
                "clause": citation.get("clause"), "source": document.get("source"), "note": raw.get("note"),
                "where": where,
            })
    if not out:
        raise FileProblem(f"{path.name}：没有任何参数值。")
    return out


def export(out_dir: Path) -> list[Path]:
    """Approved values written back in data/parameters/ shape: each shipped file with the
    approved values of its region added (a parameter that gets a value loses its `unpublished`
    note), and a new file per region without one. Every file written loads again."""
    out_dir.mkdir(parents=True, exist_ok=True)
    by_region: dict[str, list[Any]] = {}
    for row in store.approved():
        by_region.setdefault(row.region, []).append(row)
    shipped = {load_region_file(path).region: path for path in sorted(PARAMETERS_DIR.glob("*.yml"))}
    written = []
    for region, found in sorted(by_region.items()):
        path = shipped.get(region)
        data: dict[str, Any] = (yaml.safe_load(path.read_text(encoding="utf-8")) if path
                                else {"region": region, "documents": {}})
        documents = data.setdefault("documents", {}) or {}
        data["documents"] = documents
        parameters = data.get("parameters") or {}
        data["parameters"] = parameters
        unpublished = data.get("unpublished") or {}
        for row in found:
            documents.setdefault(row.doc_number, {
                "title": row.doc_title, "issued": row.doc_issued,
                **({"valid_until": row.valid_until} if row.valid_until else {}), "source": row.source,
            })
            value = dict(row.data)
            if value.get("at_least") is False:
                value.pop("at_least")
            value["citation"] = {"document": row.doc_number, "clause": row.clause}
            if row.note:
                value["note"] = row.note
            parameters.setdefault(row.parameter, {})[row.effective] = value
            unpublished.pop(row.parameter, None)
        if unpublished:
            data["unpublished"] = unpublished
        else:
            data.pop("unpublished", None)
        target = out_dir / (path.name if path else f"{region}.yml")
        target.write_text(
            f"# 由 python -m bot.standards export 于 {local_now():%Y-%m-%d %H:%M} 导出：{display_name(region)}，"
            "含控制台中已审核通过的本地标准。\n"
            + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        load_region_file(target)  # the same schema as the shipped files
        written.append(target)
    return written


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m bot.standards", description="本地标准（低保、特困等）维护")
    commands = root.add_subparsers(dest="command", required=True)
    propose = commands.add_parser("propose", help="从 YAML 文件提议标准（格式同 data/parameters/*.yml）")
    propose.add_argument("file", type=Path)
    approve = commands.add_parser("approve", help="审核通过一条提议（须为另一位主管）")
    approve.add_argument("id", type=int)
    reject = commands.add_parser("reject", help="驳回一条提议")
    reject.add_argument("id", type=int)
    for sub in (propose, approve, reject):
        sub.add_argument("--user", required=True, help="以哪个工作人员账户办理（用户名）")
    approve.add_argument("--note", default="")
    reject.add_argument("--note", required=True, help="驳回理由")
    listing = commands.add_parser("list", help="列出提议和历史")
    listing.add_argument("--region")
    listing.add_argument("--status", choices=list(store.STATUS_NAMES))
    out = commands.add_parser("export", help="把已生效的值导出为 data/parameters 格式的 YAML")
    out.add_argument("--out", type=Path, required=True)
    return root


def _line(row: Any) -> str:
    decided = f" · {row.decided_by}" if row.decided_by else ""
    return (f"#{row.id} [{store.STATUS_NAMES[row.status]}] {display_name(row.region)} {row.parameter} "
            f"{store.describe_data(row.parameter, row.data)} {row.effective}起 {row.doc_number}{row.clause} "
            f"· 提议 {row.proposed_by}{decided}")


def run(argv: Sequence[str] | None = None, today: dt.date | None = None) -> int:
    args = parser().parse_args(argv)
    migrate.upgrade()
    today = today or local_now().date()
    try:
        if args.command == "propose":
            user = store.user_by_name(args.user)
            raws = proposals_from_file(args.file)
            try:
                rows = store.propose_many(user, raws, today=today, via="命令行")
            except IntakeError as exc:
                raise FileProblem(str(exc)) from exc
            for row in rows:
                print(f"已提议，待另一位主管审核：{_line(row)}")
        elif args.command in ("approve", "reject"):
            user = store.user_by_name(args.user)
            if args.command == "approve":
                row = store.approve(user, args.id, note=args.note, via="命令行")
                print(f"已审核通过，立即生效（生效日期起）：{_line(row)}")
            else:
                row = store.reject(user, args.id, note=args.note, via="命令行")
                print(f"已驳回：{_line(row)}")
        elif args.command == "list":
            for row in store.rows(region=args.region and store.region_name(args.region), status=args.status):
                print(_line(row))
        else:
            for path in export(args.out):
                print(f"已导出 {path}")
    except (IntakeError, FileProblem) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(run())
