"""Text clean-up shared by the NLU pipeline, the policy search and the channels."""
from __future__ import annotations

import re
import unicodedata

import zhconv

_SPACE_RE = re.compile(r"\s+")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD_RE = re.compile(r"[A-Za-z0-9]")
# Full-width letters, digits and ASCII punctuation (U+FF01..U+FF5E) are folded to ASCII, but
# Chinese punctuation such as "，" "（" is kept so that quoted text still reads as Chinese.
_KEEP_FULLWIDTH = set("，。；：？！（）")


def to_simplified(text: str) -> str:
    return zhconv.convert(text, "zh-cn")


def fold_width(text: str) -> str:
    out = []
    for char in text:
        if "\uff01" <= char <= "\uff5e" and char not in _KEEP_FULLWIDTH:
            out.append(unicodedata.normalize("NFKC", char))
        elif char == "\u3000":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def normalize_text(text: str) -> str:
    """Simplified characters, ASCII digits and letters, single spaces, trimmed."""
    return _SPACE_RE.sub(" ", fold_width(to_simplified(text))).strip()


def has_chinese(text: str) -> bool:
    return bool(_CJK_RE.search(text))


def has_words(text: str) -> bool:
    """True when the text has a Chinese character, a Latin letter or a digit."""
    return has_chinese(text) or bool(_WORD_RE.search(text))
