"""Hostile import files through the real import APIs: a zip bomb, files that are no workbook, a broken
workbook, NUL bytes, an oversized upload and 10,000-character fields are refused with a clear Chinese
message, and nothing is written. The same files go to kpi's 绩效目标表 import (its own reader)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from qinqing.core import spreadsheets
from qinqing.enterprises.models import Enterprise
from qinqing.investment.models import Project
from qinqing.kpi import documents
from tests.hardening.hostile import LONG, tally, zip_bomb, zip_bytes

ENTERPRISE_HEADER = "企业名称,统一社会信用代码,行业门类,企业规模,所有制,属地单位\n"
BROKEN_WORKBOOK = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook><sheets"})


def _files() -> list[tuple[str, str, bytes, str]]:
    """(case, file name, content, a fragment of the expected message)."""
    return [
        ("zip bomb", "bomb.xlsx", zip_bomb(), "压缩炸弹"),
        ("a PDF named .xlsx", "fake.xlsx", b"%PDF-1.7\n" + b"0" * 2000, "不是有效的 Excel"),
        ("a zip that is no workbook", "other.xlsx", zip_bytes({"a.txt": b"hello"}), "不是有效的 Excel"),
        ("a broken workbook", "broken.xlsx", BROKEN_WORKBOOK, "无法读取 Excel"),
        (
            "NUL bytes in a CSV",
            "nul.csv",
            (ENTERPRISE_HEADER + "甲\x00公司,x,C,小型,民营,昌吉市\n").encode(),
            "NUL",
        ),
        ("a binary file named .csv", "bin.csv", bytes(range(256)) * 8, "CSV"),
    ]


CASES = _files()
# Through the import APIs the shared upload check (qinqing.core.uploads.disguised) names what the file is.
API_MESSAGES = {"a PDF named .xlsx": "文件内容与扩展名不符：fake.xlsx 实为 PDF 文件"}


def _client(make_user: Any) -> APIClient:
    user = make_user("import_user", unit_name="昌吉市营商环境服务中心", roles=["dispatcher"])
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(("case", "name", "content", "message"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("url", ["/api/v1/enterprises/import/", "/api/v1/investment/import/projects/"])
def test_hostile_file_is_refused_and_nothing_written(
    url: str, case: str, name: str, content: bytes, message: str, make_user: Any
) -> None:
    client = _client(make_user)
    before = (Enterprise.objects.count(), Project.objects.count())
    response = client.post(url, {"file": SimpleUploadedFile(name, content)}, format="multipart")
    body = response.json()
    message = API_MESSAGES.get(case, message)
    ok = response.status_code == 400 and message in str(body)
    tally("hostile import files", 1, int(ok))
    assert response.status_code == 400, (case, response.status_code, body)
    assert message in str(body), (case, body)
    assert (Enterprise.objects.count(), Project.objects.count()) == before


def test_oversized_upload_is_refused(make_user: Any) -> None:
    response = _client(make_user).post(
        "/api/v1/enterprises/import/",
        {"file": SimpleUploadedFile("big.csv", b"a," * (5 * 1024 * 1024 + 1))},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["file"] == ["文件不能超过 10 MB"]
    tally("hostile import files", 1, 1)


def test_ten_thousand_character_name_is_a_row_error(make_user: Any) -> None:
    csv = ENTERPRISE_HEADER + f"{LONG},91652301MA77XXXXXX,C,小型,民营,昌吉市\n"
    before = Enterprise.objects.count()
    response = _client(make_user).post(
        "/api/v1/enterprises/import/",
        {"file": SimpleUploadedFile("long.csv", csv.encode())},
        format="multipart",
    )
    assert response.status_code == 400
    assert any(e["field"] == "企业名称" for e in response.json()["errors"]), response.json()["errors"]
    assert Enterprise.objects.count() == before
    tally("10,000-character fields", 1, 1)


@pytest.mark.parametrize(("case", "name", "content", "message"), CASES[:4], ids=[c[0] for c in CASES[:4]])
def test_kpi_targets_reader_refuses_hostile_workbooks(
    case: str, name: str, content: bytes, message: str
) -> None:
    with pytest.raises(documents.WorkbookError) as caught:
        documents.parse_targets_workbook(content, {})
    assert message in str(caught.value.args[0]), (case, caught.value.args)
    tally("hostile import files", 1, 1)


def test_declared_sizes_bind_and_the_total_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/a.xml": b"x" * 5000}, compression=0)
    monkeypatch.setattr(spreadsheets, "MAX_UNCOMPRESSED_BYTES", 4000)
    with pytest.raises(spreadsheets.SpreadsheetError, match="解压后过大"):
        spreadsheets.check_xlsx(stored)
