"""The text of a notice uploaded in the console: plain text (.txt, UTF-8 or GB 18030), Word
(.docx, read with python-docx: paragraphs and tables in document order) or a PDF with a text
layer (read with pypdf, page by page). Whatever the format, the text goes to the same importer
(bot.knowledge.importer) and the same preview.

Every failure is an InvalidField with a Chinese message that says what to do: a file too large,
of a type not read, damaged, protected by a password, a scanned PDF without a text layer (no OCR
here: a person has to type it or upload the text), an old binary Word file (.doc).

The size limit is the same for every format: the NOTICE_MAX_BYTES setting (10 MB unless set;
bot.settings), read by the console's upload route as a streaming body — every other route keeps
the web app's small request cap. A .docx is a zip: its unpacked size is checked before it is parsed, so a small file cannot
unpack into gigabytes; a PDF is read for at most MAX_PDF_PAGES pages, and the text kept is cut
at MAX_TEXT_CHARS.
"""
from __future__ import annotations

import io
import logging
import zipfile
from typing import Callable

from bot.core.errors import InvalidField

log = logging.getLogger(__name__)

MAX_NOTICE_BYTES = 10 * 1024 * 1024  # the default of the NOTICE_MAX_BYTES setting
# A .docx's parts, unpacked: embedded Chinese fonts are 10-20 MB each unpacked, and python-docx
# loads every part; far beyond a real notice's, a zip bomb's is refused before anything is read.
MAX_UNPACKED_BYTES = 80 * 1024 * 1024
MAX_PDF_PAGES = 60
MAX_TEXT_CHARS = 200_000
MIN_TEXT_CHARS = 10  # fewer readable characters in a PDF: no text layer (a scan)
SUFFIXES = (".txt", ".docx", ".pdf")


def _refuse(message: str) -> InvalidField:
    return InvalidField("file", message)


def max_notice_bytes() -> int:
    from bot.settings import get_settings

    return get_settings().notice_max_bytes


def size_text(size: int) -> str:
    """A size for a message: 10MB, 200KB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g}MB"
    return f"{size // 1024}KB"


def too_large_message(limit: int | None = None) -> str:
    return (f"文件超过{size_text(limit or max_notice_bytes())}，请确认是一份通知的正文"
            "（文件过大时可删去附件或图片，或另存为 Word、纯文本后上传）。")


def _plain(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _refuse("无法识别文件的文字编码，请另存为 UTF-8 文本后再上传。")
    if "\x00" in text or not text.strip():
        raise _refuse("文件里没有可读的文字，请确认是纯文本文件。")
    return text


def _docx(data: bytes) -> str:
    import docx  # python-docx
    from docx.table import Table

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise _refuse("这个 Word 文件解压后过大，无法读取；请另存为纯文本后上传。")
            if "word/document.xml" not in archive.namelist():
                raise _refuse("这个文件不是有效的 Word（.docx）文件，可能已损坏；请重新另存为 .docx 或纯文本后上传。")
    except zipfile.BadZipFile:
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an old binary .doc renamed
            raise _refuse("这是旧版 Word（.doc）文件，无法读取；请在 Word 或 WPS 中另存为 .docx 或纯文本后上传。") from None
        raise _refuse("无法打开这个 Word 文件，文件可能已损坏；请重新另存为 .docx 或纯文本后上传。") from None
    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                for row in block.rows:
                    cells = [" ".join(cell.text.split()) for cell in row.cells]
                    lines.append("　".join(dict.fromkeys(c for c in cells if c)))  # merged cells repeat
            else:
                lines.append(block.text)
    except InvalidField:
        raise
    except Exception as exc:  # noqa: BLE001 (python-docx and lxml raise many kinds on a damaged file)
        log.info("unreadable .docx upload: %s", exc)
        raise _refuse("无法打开这个 Word 文件，文件可能已损坏；请重新另存为 .docx 或纯文本后上传。") from None
    text = "\n".join(lines)
    if not text.strip():
        raise _refuse("这个 Word 文件里没有文字（可能只有图片）；请上传带文字的文件，或另存为纯文本。")
    return text


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    damaged = "无法打开这个 PDF 文件，文件可能已损坏；请重新导出 PDF，或上传 Word、纯文本文件。"
    if not data.lstrip()[:5] == b"%PDF-":
        raise _refuse(damaged)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refuse("这个 PDF 有密码保护，无法读取；请上传未加密的 PDF，或 Word、纯文本文件。")
        pages = reader.pages
        if len(pages) > MAX_PDF_PAGES:
            raise _refuse(f"这个 PDF 超过{MAX_PDF_PAGES}页，不像是一份通知；请只上传通知正文。")
        parts: list[str] = []
        size = 0
        for page in pages:
            part = page.extract_text() or ""
            parts.append(part)
            size += len(part)
            if size > MAX_TEXT_CHARS:
                break
    except InvalidField:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            RecursionError, AssertionError) as exc:
        log.info("unreadable PDF upload: %s", exc)
        raise _refuse(damaged) from None
    text = "\n".join(parts)
    if sum(1 for ch in text if not ch.isspace()) < MIN_TEXT_CHARS:
        raise _refuse("这个 PDF 没有可复制的文字（可能是扫描件或图片），无法识别；"
                      "请上传带文字层的 PDF、Word 或纯文本文件，或把通知正文录入为纯文本后上传。")
    return text


READERS: dict[str, Callable[[bytes], str]] = {".txt": _plain, ".docx": _docx, ".pdf": _pdf}


def read_upload(file_name: str, data: bytes, max_bytes: int | None = None) -> str:
    """The text of an uploaded file, or InvalidField saying what is wrong with it."""
    limit = max_bytes or max_notice_bytes()
    name = (file_name or "").strip()
    if not name:
        raise _refuse("请选择要上传的通知文件。")
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix == ".doc":
        raise _refuse("这是旧版 Word（.doc）文件，无法读取；请在 Word 或 WPS 中另存为 .docx 或纯文本后上传。")
    if suffix not in READERS:
        raise _refuse("只能上传纯文本（.txt）、Word（.docx）或带文字的 PDF 文件。")
    if len(data) > limit:
        raise _refuse(too_large_message(limit))
    if not data:
        raise _refuse("文件是空的，请确认选择了通知正文。")
    text = READERS[suffix](data).replace("\r\n", "\n").replace("\r", "\n")
    return text[:MAX_TEXT_CHARS]
