"""WeChat's text rules: plain text only, at most 2048 bytes a message, buttons as numbered options."""
from __future__ import annotations

import html
import re
from typing import Any, Iterable, Optional, Sequence

from bot.text import fold_width

# WeChat refuses a text message over 2048 bytes (UTF-8); a little is kept in hand.
MAX_TEXT_BYTES = 2000
SENTENCE_ENDS = "。！？；!?;\n"
OPTIONS_PROMPT = "请回复数字选择："

_HTML_BREAK = re.compile(r"<br\s*/?>|</p\s*>|</div\s*>|</li\s*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_MD_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\s]+\)")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
# **bold** and __bold__, but not the asterisks of a masked number ("138****8000").
_MD_BOLD = re.compile(r"(?<![*0-9A-Za-z])(\*\*|__)(?=\S)([^*_\n]+?)(?<=\S)\1(?![*0-9A-Za-z])")
_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_FENCE = re.compile(r"^\s*```[^\n]*\n?", re.MULTILINE)
_PIECE = re.compile(rf"[^{SENTENCE_ENDS}]*(?:[{SENTENCE_ENDS}]+|$)")
_CHOICE = re.compile(r"^(?:选|选择|第)?\s*(\d{1,2})\s*(?:个|项|号)?\s*[。.、,，!！]?$")


def plain_text(text: str) -> str:
    """The text without HTML tags or Markdown marks, which WeChat would show as they are."""
    text = _HTML_BREAK.sub("\n", text or "")
    text = html.unescape(_HTML_TAG.sub("", text))
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1（\2）", text)
    text = _MD_FENCE.sub("", text)
    text = _MD_HEADING.sub("", text)
    text = _MD_BOLD.sub(r"\2", text)
    text = _MD_CODE.sub(r"\1", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut(piece: str, limit: int) -> list[str]:
    """A piece with no sentence end inside, cut at character boundaries under the limit."""
    parts: list[str] = []
    current = ""
    for char in piece:
        if _size(current + char) > limit:
            parts.append(current)
            current = ""
        current += char
    return parts + [current] if current else parts


def split_text(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """The text in messages of at most `limit` bytes, cut after a sentence or a line end."""
    chunks: list[str] = []
    current = ""
    for piece in _PIECE.findall(text or ""):
        if not piece:
            continue
        if _size(current + piece) <= limit:
            current += piece
            continue
        if current.strip():
            chunks.append(current.strip())
        current = ""
        if _size(piece) <= limit:
            current = piece
        else:
            *whole, current = _cut(piece, limit)
            chunks.extend(part.strip() for part in whole if part.strip())
    if current.strip():
        chunks.append(current.strip())
    return chunks


def wechat_messages(texts: Iterable[str], limit: int = MAX_TEXT_BYTES) -> list[str]:
    """A turn's replies as WeChat text messages: plain, joined, split under the size limit."""
    joined = "\n\n".join(t for t in (plain_text(text) for text in texts) if t)
    return split_text(joined, limit)


def _label(button: dict[str, Any]) -> str:
    return plain_text(str(button.get("title") or button.get("payload") or ""))


def numbered_options(text: str, buttons: Sequence[dict[str, Any]]) -> str:
    """A message with buttons, as WeChat shows it: the text, then the options numbered from 1."""
    lines = [f"{i}. {_label(button)}" for i, button in enumerate(buttons, start=1)]
    if not lines:
        return text
    return "\n".join([text.rstrip(), "", OPTIONS_PROMPT, *lines])


def chosen_index(reply: str) -> Optional[int]:
    """The number a resident replied with ("1", "２", "选2", "第1个"), or None."""
    match = _CHOICE.match(fold_width(reply or "").strip())
    return int(match.group(1)) if match else None


def chosen_payload(reply: str, buttons: Sequence[dict[str, Any]]) -> Optional[str]:
    """What the numbered option the resident chose stands for: its payload (else its title)."""
    index = chosen_index(reply)
    if index is None or not 1 <= index <= len(buttons):
        return None
    button = buttons[index - 1]
    return str(button.get("payload") or button.get("title") or "") or None
