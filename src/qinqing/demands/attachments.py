"""Attachment checks by content (magic bytes), not by the name or the browser's claimed type."""

from __future__ import annotations

import io
import zipfile

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

MAX_SIZE = 10 * 1024 * 1024
ALLOWED_TEXT = "仅支持 PDF、JPG、PNG、Word（doc/docx）和 Excel（xls/xlsx）文件"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff(head: bytes, data_for_zip: bytes, name: str) -> tuple[str, str] | None:
    """(extension, content type) detected from the content, or None when not allowed."""
    lower = name.lower()
    if head.startswith(b"%PDF-"):
        return ".pdf", "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png", "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return ".jpg", "image/jpeg"
    if head.startswith(OLE):
        if lower.endswith(".xls"):
            return ".xls", "application/vnd.ms-excel"
        return ".doc", "application/msword"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data_for_zip)).namelist()
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" not in names:
            return None
        if any(n.startswith("word/") for n in names):
            return ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if any(n.startswith("xl/") for n in names):
            return ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def check_upload(upload: UploadedFile) -> tuple[str, str]:
    """Raise a ValidationError (field ``files``) unless UPLOAD is an allowed type within the size limit."""
    name = upload.name or "附件"
    size = upload.size or 0
    if size > MAX_SIZE:
        raise ValidationError({"files": f"“{name}”超过 10 MB"})
    if size == 0:
        raise ValidationError({"files": f"“{name}”是空文件"})
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    found = sniff(data[:16], data, name)
    if found is None:
        raise ValidationError({"files": f"“{name}”的文件类型不允许：{ALLOWED_TEXT}"})
    return found
