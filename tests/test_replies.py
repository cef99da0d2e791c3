"""The replies catalogue (data/replies): every entry renders, and every key the code asks for exists."""
from __future__ import annotations

import re

import pytest

from bot import replies
from bot.settings import PROJECT_ROOT

KEY_IN_CODE = re.compile(r"""replies\.(?:text|group)\(\s*["']([a-z0-9_.]+)["']""")


def test_every_entry_is_text_with_well_formed_placeholders() -> None:
    entries = replies.catalogue()
    assert entries, "the catalogue is empty"
    for key, template in entries.items():
        assert template.strip(), key
        names = replies.placeholders(template)
        assert replies.text(key, **{name: "X" for name in names}), key


def test_every_key_the_code_uses_is_in_the_catalogue() -> None:
    used = set()
    for path in [*PROJECT_ROOT.joinpath("bot").rglob("*.py"), *PROJECT_ROOT.joinpath("actions").rglob("*.py")]:
        used.update(KEY_IN_CODE.findall(path.read_text(encoding="utf-8")))
    assert used, "no reply keys found in the code"
    entries = replies.catalogue()
    missing = {key for key in used if key not in entries and not any(k.startswith(key + ".") for k in entries)}
    assert not missing


def test_an_unknown_key_or_placeholder_fails_loudly() -> None:
    with pytest.raises(replies.UnknownReply):
        replies.text("common.no_such_reply")
    assert replies.group("common.input_issue")["empty"] == replies.text("common.input_issue.empty")
