"""A writer of SPSS system files (.sav), uncompressed, UTF-8 — numeric and string variables, variable and
value labels. Written here rather than taken from pyreadstat, which needs pandas and numpy (≈ 60 MB) for
one export; the format is documented in the PSPP manual ("System File Format"). Strings are cut to 255
bytes (longer text needs the very-long-string extension, which this writer does not emit).
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

SYSMIS = -1.7976931348623157e308
HIGHEST = 1.7976931348623157e308
LOWEST = struct.unpack("<d", bytes.fromhex("feffffffffffefff"))[0]
MAX_STRING = 255


@dataclass
class Variable:
    name: str  # ASCII, at most 8 bytes, starts with a letter
    label: str = ""
    width: int = 0  # 0 numeric, else string width in bytes (1–255)
    decimals: int = 2
    value_labels: dict[float, str] = field(default_factory=dict)

    @property
    def segments(self) -> int:
        return 1 if self.width == 0 else (self.width + 7) // 8


def _pad(data: bytes, size: int, fill: bytes = b" ") -> bytes:
    return data[:size] + fill * (size - len(data[:size]))


def cut(text: str, limit: int) -> bytes:
    """TEXT in UTF-8, at most LIMIT bytes, never splitting a character."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return raw
    raw = raw[:limit]
    while raw and (raw[-1] & 0xC0) == 0x80:
        raw = raw[:-1]
    if raw and raw[-1] >= 0xC0:
        raw = raw[:-1]
    return raw


def write(
    variables: Sequence[Variable], rows: Iterable[Sequence[float | str | None]], label: str = ""
) -> bytes:
    rows = list(rows)
    out = bytearray()
    now = dt.datetime.now()
    case_size = sum(v.segments for v in variables)
    out += b"$FL2"
    out += _pad(b"@(#) SPSS DATA FILE - Qinqing surveys", 60)
    out += struct.pack("<iiiii", 2, case_size, 0, 0, len(rows))
    out += struct.pack("<d", 100.0)
    out += _pad(now.strftime("%d %b %y").encode(), 9) + _pad(now.strftime("%H:%M:%S").encode(), 8)
    out += _pad(cut(label, 64), 64) + b"\0\0\0"
    index = 1
    positions: list[int] = []
    for v in variables:
        positions.append(index)
        fmt = (5 << 16) | (8 << 8) | v.decimals if v.width == 0 else (1 << 16) | (v.width << 8)
        label_bytes = cut(v.label, 255)
        out += struct.pack("<iiiiii", 2, v.width, 1 if label_bytes else 0, 0, fmt, fmt)
        out += _pad(v.name.upper().encode("ascii"), 8)
        if label_bytes:
            out += struct.pack("<i", len(label_bytes)) + _pad(label_bytes, (len(label_bytes) + 3) // 4 * 4)
        for _ in range(v.segments - 1):
            out += struct.pack("<iiiiii", 2, -1, 0, 0, 0, 0) + b" " * 8
        index += v.segments
    for v, pos in zip(variables, positions, strict=True):
        if not v.value_labels or v.width:
            continue
        out += struct.pack("<ii", 3, len(v.value_labels))
        for value, text in v.value_labels.items():
            raw = cut(text, 120)
            out += (
                struct.pack("<d", float(value))
                + bytes([len(raw)])
                + _pad(raw, (len(raw) + 1 + 7) // 8 * 8 - 1)
            )
        out += struct.pack("<iii", 4, 1, pos)
    out += struct.pack("<iiii", 7, 3, 4, 8) + struct.pack("<8i", 1, 0, 0, -1, 1, 1, 2, 65001)
    out += struct.pack("<iiii", 7, 4, 8, 3) + struct.pack("<ddd", SYSMIS, HIGHEST, LOWEST)
    encoding = b"UTF-8"
    out += struct.pack("<iiii", 7, 20, 1, len(encoding)) + encoding
    out += struct.pack("<ii", 999, 0)
    for row in rows:
        for v, cell in zip(variables, row, strict=True):
            if v.width == 0:
                number = (
                    SYSMIS if cell is None or (isinstance(cell, str) and not cell.strip()) else float(cell)
                )
                out += struct.pack("<d", number)
            else:
                out += _pad(cut("" if cell is None else str(cell), v.width), v.segments * 8)
    return bytes(out)


def read(data: bytes) -> tuple[list[tuple[str, int, str]], list[list[float | str | None]]]:
    """Read back what ``write`` produced (names, widths, labels and the cases): used by the tests."""
    (case_size,) = struct.unpack_from("<i", data, 68)
    (ncases,) = struct.unpack_from("<i", data, 80)
    pos = 176
    variables: list[tuple[str, int, str]] = []
    while True:
        (rec,) = struct.unpack_from("<i", data, pos)
        if rec == 2:
            _, width, has_label, nmiss, _, _ = struct.unpack_from("<iiiiii", data, pos)
            name = data[pos + 24 : pos + 32].decode("ascii").strip()
            pos += 32
            label = ""
            if has_label:
                (n,) = struct.unpack_from("<i", data, pos)
                label = data[pos + 4 : pos + 4 + n].decode("utf-8")
                pos += 4 + (n + 3) // 4 * 4
            pos += nmiss * 8
            if width != -1:
                variables.append((name, width, label))
        elif rec == 3:
            (count,) = struct.unpack_from("<i", data, pos + 4)
            pos += 8
            for _ in range(count):
                n = data[pos + 8]
                pos += 8 + (n + 1 + 7) // 8 * 8
            (nvars,) = struct.unpack_from("<i", data, pos + 4)
            pos += 8 + 4 * nvars
        elif rec == 7:
            _, _, size, count = struct.unpack_from("<iiii", data, pos)
            pos += 16 + size * count
        elif rec == 999:
            pos += 8
            break
        else:
            raise ValueError(f"unexpected record {rec} at {pos}")
    assert sum(1 if w == 0 else (w + 7) // 8 for _, w, _ in variables) == case_size
    cases: list[list[float | str | None]] = []
    for _ in range(ncases):
        case: list[float | str | None] = []
        for _, width, _ in variables:
            if width == 0:
                (found,) = struct.unpack_from("<d", data, pos)
                case.append(None if found == SYSMIS else found)
                pos += 8
            else:
                size = (width + 7) // 8 * 8
                case.append(data[pos : pos + width].decode("utf-8").rstrip())
                pos += size
        cases.append(case)
    return variables, cases
