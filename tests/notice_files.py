"""Small real notice files made in the tests (issue 13): a Word file written with python-docx, and
PDFs written by hand — one with a text layer (a Type0 font whose ToUnicode map sends each 2-byte
code to the same Unicode code point, so the glyph codes are the characters themselves), one with
only a drawn rectangle and no text, as a scan would be — each a complete, valid PDF with its
cross-reference table."""
from __future__ import annotations

import io
import random

import docx


def notice_docx(text: str, *, table: list[list[str]] | None = None) -> bytes:
    """A .docx with one paragraph per line of `text`, and optionally a table after the second line."""
    document = docx.Document()
    lines = text.splitlines()
    for number, line in enumerate(lines):
        document.add_paragraph(line)
        if table and number == 1:
            grid = document.add_table(rows=len(table), cols=len(table[0]))
            for r, row in enumerate(table):
                for c, value in enumerate(row):
                    grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (numbered from 1; object 1 is the catalogue) with a correct xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(content: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(content), extra) + content + b"\nendstream"


def _identity_to_unicode() -> bytes:
    ranges = b"\n".join(b"<%02X00> <%02XFF> <%02X00>" % (high, high, high)
                        for high in range(256) if not 0xD8 <= high <= 0xDF)
    count = 256 - 8
    body = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            b"/CMapName /Identity-UCS def\n/CMapType 2 def\n"
            b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
    for start in range(0, count, 100):  # at most 100 entries a block
        block = ranges.split(b"\n")[start:start + 100]
        body += b"%d beginbfrange\n" % len(block) + b"\n".join(block) + b"\nendbfrange\n"
    body += b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    return body


def notice_pdf(text: str, *, padding: int = 0) -> bytes:
    """A one-page PDF whose text layer is `text`, one line of it per text line. `padding` bytes of
    random (incompressible) data are added as an embedded file stream, as a real notice's embedded
    Chinese font or attachment makes it several MB."""
    commands = [b"BT", b"/F1 11 Tf", b"14 TL", b"40 800 Td"]
    for line in text.splitlines():
        codes = "".join(f"{ord(ch):04X}" for ch in line if ord(ch) <= 0xFFFF)
        commands.append(b"<" + codes.encode() + b"> Tj T*")
    commands.append(b"ET")
    content = b"\n".join(commands)
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        _stream(content),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H "
        b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 "
        b"/FontDescriptor 8 0 R >>",
        _stream(_identity_to_unicode()),
        b"<< /Type /FontDescriptor /FontName /SimSun /Flags 4 /FontBBox [0 -140 1000 860] /ItalicAngle 0 "
        b"/Ascent 860 /Descent -140 /CapHeight 700 /StemV 80 >>",
    ] + ([_stream(random.Random(13).randbytes(padding), b"/Type /EmbeddedFile ")] if padding else []))


def scanned_pdf() -> bytes:
    """A one-page PDF with no text layer: only a filled rectangle, as a scanned page's image is."""
    content = b"0.8 g\n40 40 515 762 re\nf"
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        _stream(content),
    ])
