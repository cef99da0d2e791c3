"""Rotating the key that protects personal data at rest: `python -m bot.core.keys rotate`.

1. Put a new secret in INTAKE_SECRET and the old one in INTAKE_SECRET_PREVIOUS, restart: data
   under the old secret stays readable and findable (bot.core.privacy tries every secret).
2. Run this command: every encrypted column is re-encrypted under INTAKE_SECRET and every
   look-up digest recomputed with it. It works in batches and can be run again safely.
3. Remove INTAKE_SECRET_PREVIOUS and restart.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.core import migrate
from bot.core.db import session_factory, transaction
from bot.core.models import ENCRYPTED_PREFIX, Applicant
from bot.core.privacy import decrypt, rotate

BATCH = 500


@dataclass
class Rotated:
    rows: int = 0
    unreadable: int = 0  # under none of the secrets given: left as they are


def rotate_applicants(factory: sessionmaker, rotated: Rotated) -> None:
    last = 0
    while True:
        with transaction(factory) as session:
            batch = list(session.scalars(
                select(Applicant).where(Applicant.id > last).order_by(Applicant.id).limit(BATCH)))
            for applicant in batch:
                mobile, id_number = decrypt(applicant.mobile_encrypted), decrypt(applicant.id_number_encrypted)
                if mobile is None or id_number is None:
                    rotated.unreadable += 1
                    continue
                applicant.mobile, applicant.id_number = mobile, id_number
                rotated.rows += 1
        if len(batch) < BATCH:
            return
        last = batch[-1].id


# Columns of the EncryptedText / EncryptedJSON types (bot.core.models): table, key, columns.
ENCRYPTED_COLUMNS: list[tuple[str, tuple[str, ...]]] = [
    ("hotline_utterances", ("text",)),
    ("hotline_calls", ("caller_number", "state")),
    ("handoff_tickets", ("callback_phone",)),
]


def _rotated_value(value: Any) -> tuple[Any, bool]:
    """(the value under the current secret, readable); an unreadable one is left as it is."""
    if isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX):
        token = rotate(value[len(ENCRYPTED_PREFIX):])
        return ENCRYPTED_PREFIX + token, decrypt(token) is not None
    if isinstance(value, dict) and set(value) == {"encrypted"}:
        token = rotate(value["encrypted"])
        return {"encrypted": token}, decrypt(token) is not None
    return value, True


def rotate_columns(factory: sessionmaker, rotated: Rotated) -> None:
    """The stored tokens re-encrypted as they are (never through the clear-text types, so that an
    unreadable value is never overwritten)."""
    for name, columns in ENCRYPTED_COLUMNS:
        table = sa.table(name, sa.column("id", sa.Integer),
                         *(sa.column(c, sa.JSON if c == "state" else sa.Text) for c in columns))
        last = 0
        while True:
            with transaction(factory) as session:
                batch = session.execute(sa.select(table).where(table.c.id > last)
                                        .order_by(table.c.id).limit(BATCH)).all()
                for row in batch:
                    values, readable = {}, True
                    for column in columns:
                        values[column], ok = _rotated_value(row._mapping[column])
                        readable = readable and ok
                    if not readable:
                        rotated.unreadable += 1
                        continue
                    session.execute(table.update().where(table.c.id == row.id).values(**values))
                    rotated.rows += 1
            if len(batch) < BATCH:
                break
            last = batch[-1].id


def rotate_keys(factory: sessionmaker | None = None) -> Rotated:
    """Every encrypted value under the current INTAKE_SECRET, every digest recomputed."""
    rotated = Rotated()
    rotate_applicants(factory or session_factory(), rotated)
    rotate_columns(factory or session_factory(), rotated)
    return rotated


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.core.keys", description="个人信息加密密钥轮换")
    parser.add_argument("command", choices=["rotate"], help="用 INTAKE_SECRET 重新加密全部个人信息")
    parser.parse_args(argv)
    migrate.upgrade()
    rotated = rotate_keys()
    print(f"已用新密钥重新加密 {rotated.rows} 条记录。")
    if rotated.unreadable:
        print(f"有 {rotated.unreadable} 条记录用现有密钥都无法解密，未作改动："
              "请把旧密钥加入 INTAKE_SECRET_PREVIOUS 后再运行一次。", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run())
