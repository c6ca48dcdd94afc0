"""Spreadsheets in and out, safely: every Excel/CSV export and every .xlsx import goes through here.

Exports: a text cell that starts with ``= + - @``, a tab or a carriage return would be read by Excel, WPS
or LibreOffice as a formula (CSV/DDE injection; openpyxl itself stores a string starting with "=" as a
formula). ``safe_cell`` prefixes such a text with an apostrophe and drops the control characters that
openpyxl refuses to write (they would fail the whole export). Numbers, dates and None pass unchanged, so
a negative amount stays a number. ``workbook_bytes`` applies it to every cell of a workbook just before
saving (the exports that address cells one by one); write-only workbooks and CSV writers use ``safe_row``
on each row (``safe_csv_writer``). tests/hardening/test_hostile_exports.py checks that every module
building a workbook or a CSV writer uses one of them, and downloads every export with hostile data.

Imports: ``open_xlsx`` reads the zip directory before openpyxl inflates anything and refuses a file whose
entries would inflate past ``MAX_UNCOMPRESSED_BYTES`` or at a ratio no real workbook has (a zip bomb), a
zip with too many entries, and anything that is not a zip at all. The sizes in the directory are binding:
Python's zipfile stops inflating an entry at its declared size and then fails its CRC check.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # real sheets deflate 5–30×; a bomb's single repeated byte reaches 1000×
MAX_ENTRIES = 2000
# text that a spreadsheet reads as a plain number, or a lone sign ("-" as a placeholder, kpi's "=" operator),
# is no formula: kept as is
HARMLESS = re.compile(r"[+-]?\d+(?:\.\d+)?|[=+\-@]")


class SpreadsheetError(ValueError):
    """A file that cannot be read as a workbook; the message is for the user (Chinese)."""


def safe_cell(value: Any) -> Any:
    """VALUE as a spreadsheet cell that no spreadsheet program runs as a formula."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS) and not HARMLESS.fullmatch(value):
        return "'" + value
    return value


def unquote(text: str) -> str:
    """An imported cell as the user meant it: the apostrophe ``safe_cell`` added on export is dropped."""
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def neutralise(workbook: Any) -> None:
    """Make every text cell of WORKBOOK (not a write-only one) safe, in place."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str):
                    # a cell holding "=…" has data_type "f": assign again as plain text
                    fixed = safe_cell(value)
                    cell.value = fixed
                    cell.data_type = "s"


def workbook_bytes(workbook: Any) -> bytes:
    """The .xlsx file of WORKBOOK, every text cell neutralised first."""
    neutralise(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _SafeWriter:
    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_csv_writer(stream: Any, **kwargs: Any) -> _SafeWriter:
    """A ``csv.writer`` over STREAM whose rows go through ``safe_row``."""
    return _SafeWriter(csv.writer(stream, **kwargs))


def check_xlsx(content: bytes) -> None:
    """Raise SpreadsheetError unless CONTENT is a zip archive that inflates to a plausible workbook."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SpreadsheetError("文件不是有效的 Excel（.xlsx）文件，请用 Excel 或 WPS 另存为 .xlsx") from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            raise SpreadsheetError(f"Excel 文件结构异常（包含 {len(entries)} 个部件），已拒绝")
        total = sum(e.file_size for e in entries)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise SpreadsheetError(
                f"Excel 文件解压后过大（{total // (1024 * 1024)} MB，上限 {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB），已拒绝"
            )
        for e in entries:
            if e.file_size > 1024 * 1024 and e.file_size > MAX_RATIO * max(e.compress_size, 1):
                raise SpreadsheetError("Excel 文件压缩比异常（疑似压缩炸弹），已拒绝")
        if "[Content_Types].xml" not in archive.namelist():
            raise SpreadsheetError("文件不是有效的 Excel（.xlsx）文件，请用 Excel 或 WPS 另存为 .xlsx")


def open_xlsx(content: bytes) -> Any:
    """An openpyxl read-only workbook (values, not formulas) of CONTENT, after ``check_xlsx``."""
    from openpyxl import load_workbook

    check_xlsx(content)
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises KeyError, ValueError, TypeError … on malformed parts
        raise SpreadsheetError("无法读取 Excel 文件，请使用模板另存为 .xlsx") from exc
