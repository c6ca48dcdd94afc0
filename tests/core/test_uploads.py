"""qinqing.core.uploads: what each content is sniffed as, and the messages of check_upload."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from qinqing.core import uploads
from tests.hardening.hostile import zip_bytes

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24
DOCX = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpg"),
        (b"\x89PNG\r\n\x1a\n\x00", "png"),
        (b"GIF89a\x01\x00", "gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"),
        (DOCX, "docx"),
        (XLSX, "xlsx"),
        (zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document2.xml": b"<w:document/>"}), "docx"),
        (zip_bytes({"[Content_Types].xml": b"<Types/>", "word/media/run.js": b"x"}), "zip"),
        (zip_bytes({"[Content_Types].xml": b"<Types/>"}), "zip"),
        (b"PK\x03\x04 broken", "zip"),
        (OLE + "WordDocument".encode("utf-16-le"), "doc"),
        (OLE + "Workbook".encode("utf-16-le"), "xls"),
        (OLE, "ole"),
        (b"MZ\x90\x00", "exe"),
        (b"\x7fELF\x02", "exe"),
        (b"#!/bin/sh\nrm -rf /\n", "exe"),
        (b"\xef\xbb\xbf  <!DOCTYPE html><p>x", "html"),
        (b"<svg onload=alert(1)>", "html"),
        ("企业名称,统一社会信用代码\n甲公司,x\n".encode(), "text"),
        ("企业名称,统一社会信用代码\n".encode("gbk"), "text"),
        (b"a,b\x00c\n", None),
        (bytes(range(256)), None),
    ],
)
def test_sniff(content: bytes, kind: str | None) -> None:
    assert uploads.sniff(content) == kind


def _check(name: str, content: bytes, allowed: frozenset[str] = uploads.DOCUMENTS, cap: int = 1024) -> str:
    with pytest.raises(ValidationError) as info:
        uploads.check_upload(SimpleUploadedFile(name, content), allowed=allowed, max_bytes=cap)
    return info.value.message_dict["file"][0]


def test_messages() -> None:
    assert _check("x.xls", OLE + "WordDocument".encode("utf-16-le")) == (
        "文件内容与扩展名不符：x.xls 实为 Word（.doc） 文件"
    )
    assert _check("x.png", b"garbage\x00\x01") == "文件内容与扩展名不符：x.png 不是有效的 PNG 文件"
    assert (
        _check("x.csv", b"a,b\n") == "不支持的文件类型：x.csv（仅支持 PDF、JPG、PNG、DOCX、XLSX、DOC、XLS）"
    )
    assert (
        _check("说明", b"%PDF-1.4") == "不支持的文件类型：说明（仅支持 PDF、JPG、PNG、DOCX、XLSX、DOC、XLS）"
    )
    assert (
        _check("big.pdf", b"%PDF-" + b"0" * 2 * uploads.MB, cap=uploads.MB)
        == "文件过大：big.pdf（不超过 1 MB）"
    )
    assert _check("a.pdf", b"") == "文件为空：a.pdf"


def test_accepted_files_keep_the_declared_extension_and_a_safe_name() -> None:
    checked = uploads.check_upload(
        SimpleUploadedFile("现场照片.JPEG", b"\xff\xd8\xff\xe0"), allowed=uploads.ATTACHMENTS, max_bytes=1024
    )
    assert (checked.extension, checked.content_type, checked.name) == (".jpeg", "image/jpeg", "现场照片.JPEG")
    csv = SimpleUploadedFile("名册.csv", "名称\n甲\n".encode("gbk"))
    assert (
        uploads.check_upload(csv, allowed={"csv"}, max_bytes=1024).content_type == "text/csv; charset=utf-8"
    )
    assert uploads.stored_name(checked).endswith(".jpeg") and len(uploads.stored_name(checked)) == 37


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.pdf", "etc_passwd.pdf"),
        ('a"\r\nSet-Cookie: x=1.pdf', "a_Set-Cookie_ x=1.pdf"),
        ("C:\\fakepath\\合同.docx", "C__fakepath_合同.docx"),
        ("\x00\u202e\x1b.pdf", "pdf"),
        ("2024/2025年政策", "2024_2025年政策"),
        ("", "附件"),
        ("长" * 300 + ".pdf", "长" * 196 + ".pdf"),
    ],
)
def test_safe_name(name: str, safe: str) -> None:
    assert uploads.safe_name(name) == safe
