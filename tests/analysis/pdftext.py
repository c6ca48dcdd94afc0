"""Read back the text of an uncompressed reportlab PDF drawn with the CID font STSong-Light (UCS-2 strings)."""

from __future__ import annotations

import base64
import re
import zlib

_STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")
_ESCAPES = {
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"b": b"\b",
    b"f": b"\f",
    b"(": b"(",
    b")": b")",
    b"\\": b"\\",
}


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        ch = raw[i : i + 1]
        if ch != b"\\":
            out += ch
            i += 1
            continue
        nxt = raw[i + 1 : i + 2]
        if nxt.isdigit():
            j = i + 1
            while j < len(raw) and j < i + 4 and raw[j : j + 1].isdigit():
                j += 1
            out.append(int(raw[i + 1 : j], 8))
            i = j
        else:
            out += _ESCAPES.get(nxt, nxt)
            i += 2
    return bytes(out)


_STREAM = re.compile(rb"stream\r?\n(.*?)\s*endstream", re.S)


def _a85_flate(body: bytes) -> bytes:
    data = body.strip()
    data = data[:-2] if data.endswith(b"~>") else data
    return zlib.decompress(base64.a85decode(data))


def _streams(content: bytes) -> bytes:
    """The PDF with every Flate (or ASCII85 + Flate) stream inflated (reportlab compresses pages by default)."""
    out = [content]
    for body in _STREAM.findall(content):
        for decode in (zlib.decompress, _a85_flate):
            try:
                out.append(decode(body))
                break
            except (zlib.error, ValueError):
                continue
    return b"\n".join(out)


def pdf_text(content: bytes) -> str:
    """Every shown string, decoded, one per line (a table cell or a wrapped line may be split)."""
    parts = []
    for raw in _STRING.findall(_streams(content)):
        data = _unescape(raw)
        parts.append(
            data.decode("utf-16-be", errors="replace") if len(data) % 2 == 0 else data.decode("latin-1")
        )
    return "\n".join(parts)
