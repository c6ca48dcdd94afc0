"""One check for every stored upload: the content is sniffed by its magic bytes, the declared extension
must agree with it, the size is capped, and the name shown later is made safe.

The name or the browser's claimed type decide nothing: a PDF named ``.jpg``, a web page named ``.png``, a
program named ``.pdf`` or a zip named ``.docx`` without Word parts is refused with a Chinese message naming
what the file really is (``文件内容与扩展名不符：x.jpg 实为 PDF 文件``). Each use passes its own set of
allowed types (``allowed``) and size cap. Stored files get a random name (``stored_name``); the original
name is kept only for display and download, through ``safe_name`` (no path, no control characters, no
quotes), so a hostile name can neither escape the storage folder nor break a Content-Disposition header.
Imports, which parse the file and store nothing of it, ask ``disguised`` first.
"""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Collection
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

MB = 1024 * 1024
TEXT_SAMPLE = 64 * 1024
CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class FileType:
    key: str
    label: str  # for messages: 仅支持 PDF、JPG…
    extensions: tuple[str, ...]
    content_type: str


TYPES: dict[str, FileType] = {
    t.key: t
    for t in (
        FileType("pdf", "PDF", (".pdf",), "application/pdf"),
        FileType("jpg", "JPG", (".jpg", ".jpeg"), "image/jpeg"),
        FileType("png", "PNG", (".png",), "image/png"),
        FileType("gif", "GIF", (".gif",), "image/gif"),
        FileType("webp", "WEBP", (".webp",), "image/webp"),
        FileType(
            "docx",
            "DOCX",
            (".docx",),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        FileType(
            "xlsx", "XLSX", (".xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ),
        FileType("doc", "DOC", (".doc",), "application/msword"),
        FileType("xls", "XLS", (".xls",), "application/vnd.ms-excel"),
        FileType("txt", "TXT", (".txt",), "text/plain; charset=utf-8"),
        FileType("csv", "CSV", (".csv",), "text/csv; charset=utf-8"),
    )
}
BY_EXTENSION = {ext: t for t in TYPES.values() for ext in t.extensions}

# The per-use sets (keys of TYPES).
DOCUMENTS = frozenset({"pdf", "jpg", "png", "docx", "xlsx", "doc", "xls"})  # 诉求附件
ATTACHMENTS = frozenset({"pdf", "jpg", "png", "docx", "xlsx"})  # 项目附件, 佐证材料, 申报材料, 走访附件
POLICY_FILES = frozenset({"pdf", "docx", "xlsx"})  # 政策附件
IMAGES = frozenset({"jpg", "png", "webp"})  # 门户图片

# What the content is, for the message (keys of TYPES for allowed kinds; the rest are never allowed).
KIND_LABELS = {
    "pdf": "PDF",
    "jpg": "JPG",
    "png": "PNG",
    "gif": "GIF",
    "webp": "WEBP",
    "docx": "Word（.docx）",
    "xlsx": "Excel（.xlsx）",
    "doc": "Word（.doc）",
    "xls": "Excel（.xls）",
    "text": "纯文本",
    "html": "网页（HTML）",
    "exe": "可执行程序",
    "zip": "ZIP 压缩包",
    "ole": "Office 97-2003",
}
HTML_STARTS = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml", b"<iframe")


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return "zip"
    if "[Content_Types].xml" in names:  # the main part: word/document.xml (Office 365: document2.xml)
        if any(n.startswith("word/document") and n.endswith(".xml") for n in names):
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return "zip"


def _ole_kind(data: bytes) -> str:
    if "WordDocument".encode("utf-16-le") in data:
        return "doc"
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "xls"
    return "ole"


def _is_text(data: bytes) -> bool:
    """UTF-8 or GBK text without control characters (tab, CR, LF and form feed allowed), judged on the
    first TEXT_SAMPLE bytes cut at a line end (a newline is never inside a UTF-8 or GB18030 character)."""
    sample = data[:TEXT_SAMPLE]
    if len(data) > TEXT_SAMPLE and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n")]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not CONTROL.search(text)
    return False


def sniff(data: bytes) -> str | None:
    """What DATA is by its content: a key of TYPES for the known file types, "text" (TXT and CSV), or one
    of "html", "exe", "zip", "ole"; None when unknown."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if data.startswith(OLE):
        return _ole_kind(data)
    if data.startswith((b"MZ", b"\x7fELF", b"#!")):
        return "exe"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(HTML_STARTS):
        return "html"
    if _is_text(data):
        return "text"
    return None


def _matches(file_type: FileType, kind: str | None) -> bool:
    return kind == file_type.key or (kind == "text" and file_type.key in ("txt", "csv"))


def safe_name(name: str | None, default: str = "附件", limit: int = 200) -> str:
    """NAME for display and Content-Disposition: without control characters (CR, LF, NUL…), and with
    quotes, path separators and the other characters Windows refuses in a name replaced by "_"; not longer
    than LIMIT (the extension kept)."""
    unsafe = set('/\\"<>|:*?;')
    kept = (c for c in name or "" if unicodedata.category(c)[0] != "C")
    text = "".join("_" if c in unsafe else c for c in kept).strip(" ._")
    if not text:
        return default
    if len(text) > limit:
        stem, dot, ext = text.rpartition(".")
        text = stem[: limit - len(ext) - 1] + dot + ext if dot and len(ext) <= 10 else text[:limit]
    return text


def allowed_text(allowed: Collection[str]) -> str:
    return "、".join(TYPES[k].label for k in TYPES if k in allowed)


@dataclass(frozen=True)
class Checked:
    file_type: FileType
    extension: str  # as declared, lower case: ".jpeg"
    name: str  # safe_name of the original

    @property
    def content_type(self) -> str:
        return self.file_type.content_type


def stored_name(checked: Checked) -> str:
    """A random storage name with the checked extension (never a path part of the original)."""
    return f"{uuid.uuid4().hex}{checked.extension}"


def disguised(name: str, data: bytes) -> str | None:
    """The refusal message when DATA is plainly another known type than NAME's extension says (a PDF, a
    picture, an Office file, a program or a web page named .xlsx or .csv); None otherwise. For readers that
    parse the file themselves (the imports): a broken zip or undecodable text is left to their messages."""
    dot = name.rfind(".")
    file_type = BY_EXTENSION.get(name[dot:].lower()) if dot > 0 else None
    kind = sniff(data)
    if file_type is None or kind is None or kind in ("zip", "text") or _matches(file_type, kind):
        return None
    return f"文件内容与扩展名不符：{safe_name(name)} 实为 {KIND_LABELS[kind]} 文件"


def check_upload(
    upload: UploadedFile, *, allowed: Collection[str], max_bytes: int, field: str = "file"
) -> Checked:
    """Raise a ValidationError on FIELD unless UPLOAD's extension is one of ALLOWED, it is not empty nor
    larger than MAX_BYTES, and its content is what the extension says."""
    name = safe_name(upload.name, default="")
    shown = name or "（无名称）"
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > 0 else ""
    file_type = BY_EXTENSION.get(ext)
    if file_type is None or file_type.key not in allowed:
        raise ValidationError({field: f"不支持的文件类型：{shown}（仅支持 {allowed_text(allowed)}）"})
    size = upload.size or 0
    if size == 0:
        raise ValidationError({field: f"文件为空：{shown}"})
    if size > max_bytes:
        raise ValidationError({field: f"文件过大：{shown}（不超过 {max_bytes // MB} MB）"})
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    upload.seek(0)
    if len(data) > max_bytes:
        raise ValidationError({field: f"文件过大：{shown}（不超过 {max_bytes // MB} MB）"})
    kind = sniff(data)
    if not _matches(file_type, kind):
        what = f"实为 {KIND_LABELS[kind]} 文件" if kind else f"不是有效的 {file_type.label} 文件"
        raise ValidationError({field: f"文件内容与扩展名不符：{shown} {what}"})
    return Checked(file_type=file_type, extension=ext, name=name)
