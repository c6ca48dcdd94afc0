"""Spoofed uploads on every endpoint that stores a file: a PDF named .jpg, a web page named .png, a
program named .pdf, a zip named .docx without Word parts, an empty file, a traversal name and a NUL in the
name. Each is refused with the clear Chinese message of qinqing.core.uploads (pages show it, the API
answers 400 with it under the field) and nothing is written: no row, no file. A good file with a hostile
name is accepted, stored under a random name inside MEDIA_ROOT, and its shown name holds no separator.

The multipart bodies are built by hand (``multipart``) so the hostile name reaches the server as sent
(Django's test client would cut it to its last part). Imports (parsed, never stored) have their own
table below: a file plainly of another type than its name says is refused with the same message and
nothing is imported; zip bombs, broken workbooks and encodings are in test_hostile_imports.py."""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage

from qinqing.core import uploads
from tests.chambers.conftest import staff  # noqa: F401  (fixture)
from tests.demands.conftest import People, people, submit  # noqa: F401  (people is a fixture)
from tests.evaluation.conftest import evaluator, office, rnd, system, urumqi_units, values_of  # noqa: F401
from tests.hardening.hostile import tally, zip_bytes
from tests.investment.conftest import filer, make_project  # noqa: F401  (fixtures)
from tests.liaison.conftest import Cast, cast  # noqa: F401  (fixtures)
from tests.portal.conftest import editor  # noqa: F401  (fixture)

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _png() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 30), (30, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()
DOCX_WITHOUT_WORD = zip_bytes({"[Content_Types].xml": b"<Types/>", "payload/run.js": b"alert(1)"})


@dataclass(frozen=True)
class Case:
    case: str
    name: str  # as sent in the multipart header
    content: bytes
    shown: str  # the name in the message (Django keeps the last path part and printable characters)
    what: str | None  # what the content really is (KIND_LABELS); None: empty


HOSTILE = [
    Case("a PDF named .jpg", "photo.jpg", PDF, "photo.jpg", "PDF"),
    Case("a web page named .png", "pic.png", b"<!DOCTYPE html><script>alert(1)</script>", "pic.png", "网页（HTML）"),
    Case("a program named .pdf", "report.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "report.pdf", "可执行程序"),
    Case("a zip named .docx without Word parts", "plan.docx", DOCX_WITHOUT_WORD, "plan.docx", "ZIP 压缩包"),
    Case("an empty file", "empty.pdf", b"", "empty.pdf", None),
    Case("a program under a traversal name", "../../etc/passwd.pdf", b"MZ\x90\x00" + b"\x00" * 64, "passwd.pdf", "可执行程序"),
    Case("a NUL in the name", "evil\x00.jpg.pdf", PNG, "evil.jpg.pdf", "PNG"),
]  # fmt: skip


@dataclass
class Target:
    client: Client
    url: str
    fields: dict[str, Any]
    rows: Callable[[], int]  # rows that a stored upload adds
    names: Callable[[], list[str]] = list  # the shown names kept for the stored files


@dataclass(frozen=True)
class Endpoint:
    """One row of the table of upload endpoints."""

    name: str
    route: str
    role: str
    field: str
    allowed: frozenset[str]
    setup: Callable[[pytest.FixtureRequest], Target]
    api: bool = False
    good: tuple[str, bytes] = ("../../etc/合同\x00.pdf", PDF)
    good_shown: str | None = "合同.pdf"
    form_messages: dict[str, str] = dataclasses.field(
        default_factory=dict
    )  # a form's own answer, before the check


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: Any) -> Client:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


# --- the setups ------------------------------------------------------------------------------------------
def _demand_submit(request: pytest.FixtureRequest) -> Target:
    from qinqing.demands.models import Attachment, Demand
    from tests.demands.conftest import category

    p: People = request.getfixturevalue("people")
    data = {
        "demand_type": "help",
        "category": category("融资").pk,
        "urgency": "normal",
        "title": "流动资金贷款",
        "description": "申请贴息贷款",
        "contact_name": "李四",
        "contact_phone": "13812341234",
    }
    return Target(
        _login(p.ent),
        reverse("demands:submit"),
        data,
        lambda: Demand.objects.count() + Attachment.objects.count(),
        lambda: list(Attachment.objects.values_list("name", flat=True)),
    )


def _demand_supplement(request: pytest.FixtureRequest) -> Target:
    from qinqing.demands.models import Attachment, Demand

    p: People = request.getfixturevalue("people")
    demand = submit(p)
    return Target(
        _login(p.ent),
        reverse("demands:action", args=[demand.pk, "supplement"]),
        {"note": "补充材料", "version": lambda: Demand.objects.get(pk=demand.pk).version},
        lambda: Attachment.objects.count(),
        lambda: list(Attachment.objects.values_list("name", flat=True)),
    )


def _investment_attachment(request: pytest.FixtureRequest) -> Target:
    from qinqing.investment.models import Attachment

    project = request.getfixturevalue("make_project")()
    return Target(
        _login(request.getfixturevalue("filer")),
        f"/investment/projects/{project.pk}/attachments/",
        {"title": "投资协议"},
        lambda: Attachment.objects.count(),
    )


def _investment_funds(request: pytest.FixtureRequest) -> Target:
    import datetime as dt

    from qinqing.investment.models import FundsEntry

    project = request.getfixturevalue("make_project")(signed_on=dt.date(2026, 1, 10))
    month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    return Target(
        _login(request.getfixturevalue("filer")),
        reverse("investment:funds", args=[project.pk]),
        {
            "month": f"{month:%Y-%m}",
            "amount_wan": "100",
            "outside_amount_wan": "50",
            "evidence_note": "银行回单",
        },
        lambda: FundsEntry.objects.count(),
    )


def _evaluation_value(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    r = request.getfixturevalue("rnd")
    return request.getfixturevalue("evaluator"), values_of(r, urumqi_units()[0])["T.A.P"]


def _evaluation_page(request: pytest.FixtureRequest) -> Target:
    from qinqing.evaluation.models import Evidence

    user, value = _evaluation_value(request)
    return Target(
        _login(user),
        reverse("evaluation:value", args=[value.pk]),
        {"note": "原件"},
        lambda: Evidence.objects.count(),
        lambda: list(Evidence.objects.values_list("name", flat=True)),
    )


def _evaluation_api(request: pytest.FixtureRequest) -> Target:
    target = _evaluation_page(request)
    user, value = _evaluation_value(request)
    target.client, target.url = _api(user), reverse("api:evaluation-value-evidence", args=[value.pk])
    return target


def _chambers_application(request: pytest.FixtureRequest) -> tuple[Any, Any, str]:
    from qinqing.chambers import rules, services
    from tests.chambers import builders

    org, org_user = builders.org_account(request.getfixturevalue("staff"))
    builders.make_ready(org)
    app = services.start_application(org_user, org, rules.AppKind.REGISTRATION)
    item = rules.required_materials(org.kind, app.kind)[0][0]
    return org_user, app, item


def _chambers_page(request: pytest.FixtureRequest) -> Target:
    from qinqing.chambers.models import Material

    user, app, item = _chambers_application(request)
    return Target(
        _login(user),
        reverse("chambers:application_upload", args=[app.pk]),
        {"item": item},
        lambda: Material.objects.count(),
        lambda: list(Material.objects.values_list("original_name", flat=True)),
    )


def _chambers_api(request: pytest.FixtureRequest) -> Target:
    from qinqing.chambers.models import Material

    user, app, item = _chambers_application(request)
    return Target(
        _api(user),
        f"/api/v1/chambers/applications/{app.pk}/materials/",
        {"item": item},
        lambda: Material.objects.count(),
        lambda: list(Material.objects.values_list("original_name", flat=True)),
    )


def _liaison_visit(request: pytest.FixtureRequest) -> Target:
    from qinqing.liaison import forms
    from qinqing.liaison.models import Visit, VisitFile

    c: Cast = request.getfixturevalue("cast")
    data = {
        "enterprise": c.ent.pk,
        "visited_on": f"{timezone.localdate():%Y-%m-%d}",
        "form": "on_site",
        "topics": "二期项目建设",
        **{f"p{i}-demand_type": "help" for i in range(1, forms.MAX_PROBLEM_ROWS + 1)},
    }
    return Target(
        _login(c.changji_leader),
        reverse("liaison:visit_new"),
        data,
        lambda: Visit.objects.count() + VisitFile.objects.count(),
        lambda: list(VisitFile.objects.values_list("name", flat=True)),
    )


def _portal_policy_file(request: pytest.FixtureRequest) -> Target:
    from qinqing.portal import services
    from qinqing.portal.models import ContentKind, EntryFile

    user = request.getfixturevalue("editor")
    entry = services.create_entry(user, ContentKind.POLICY, {"title": "支持制造业发展的若干措施", "data": {}})
    return Target(
        _login(user),
        reverse("portal:content_file", args=[entry.pk]),
        {"title": ""},
        lambda: EntryFile.objects.count(),
        lambda: list(EntryFile.objects.values_list("title", flat=True)),
    )


def _portal_image(request: pytest.FixtureRequest) -> Target:
    from qinqing.portal.models import Entry, Image

    return Target(
        _login(request.getfixturevalue("editor")),
        reverse("portal:content_create", args=["news"]),
        {"title": "园区新闻", "body": "正文", "ordering": "0"},
        lambda: Entry.objects.count() + Image.objects.count(),
    )


NOT_AN_IMAGE = (
    "请上传有效图片。您上传的该文件不是图片或者图片已经损坏。"  # the form's ImageField answers first
)
ATTACHMENTS = uploads.ATTACHMENTS
ENDPOINTS = [
    Endpoint("诉求提交", "POST /demands/new/", "企业用户", "files", uploads.DOCUMENTS, _demand_submit),
    Endpoint("诉求补充材料", "POST /demands/<pk>/actions/supplement/", "企业用户", "files", uploads.DOCUMENTS, _demand_supplement),
    Endpoint("项目附件", "POST /investment/projects/<pk>/attachments/", "统计填报员", "file", ATTACHMENTS, _investment_attachment,
             good_shown=None, form_messages={"an empty file": "请填写附件名称并选择文件"}),
    Endpoint("到位资金凭证", "POST /investment/projects/<pk>/funds/", "统计填报员", "evidence", ATTACHMENTS, _investment_funds,
             good_shown=None, form_messages={"an empty file": "请检查到位资金输入"}),
    Endpoint("评价佐证材料（页面）", "POST /evaluation/values/<pk>/", "评估机构", "file", ATTACHMENTS, _evaluation_page,
             form_messages={"an empty file": "佐证材料：提交的是空文件。"}),
    Endpoint("评价佐证材料（API）", "POST /api/v1/evaluation/values/<pk>/evidence/", "评估机构", "file", ATTACHMENTS,
             _evaluation_api, api=True, form_messages={"an empty file": "提交的是空文件。"}),
    Endpoint("商会申报材料（页面）", "POST /chambers/applications/<pk>/upload/", "商会账号", "file", ATTACHMENTS, _chambers_page,
             form_messages={"an empty file": "请选择材料项目和文件"}),
    Endpoint("商会申报材料（API）", "POST /api/v1/chambers/applications/<pk>/materials/", "商会账号", "file", ATTACHMENTS,
             _chambers_api, api=True, form_messages={"an empty file": "提交的是空文件。"}),
    Endpoint("走访附件", "POST /liaison/visits/new/", "领导", "files", ATTACHMENTS, _liaison_visit),
    Endpoint("政策附件", "POST /portal/staff/content/<pk>/files/", "门户编辑", "file", uploads.POLICY_FILES, _portal_policy_file),
    Endpoint("门户图片", "POST /portal/staff/content/new/<kind>/", "门户编辑", "image_file", uploads.IMAGES, _portal_image,
             good=("../../img/园区\x00.png", PNG), good_shown=None,
             form_messages={c.case: NOT_AN_IMAGE for c in HOSTILE if c.content != PNG} | {"an empty file": "提交的是空文件。"}),
]  # fmt: skip


def expected(endpoint: Endpoint, case: Case) -> str:
    if case.case in endpoint.form_messages:
        return endpoint.form_messages[case.case]
    ext = case.shown[case.shown.rfind(".") :]
    if uploads.BY_EXTENSION[ext].key not in endpoint.allowed:
        return f"不支持的文件类型：{case.shown}（仅支持 {uploads.allowed_text(endpoint.allowed)}）"
    if case.what is None:
        return f"文件为空：{case.shown}"
    return f"文件内容与扩展名不符：{case.shown} 实为 {case.what} 文件"


BOUNDARY = "qinqing-hostile-boundary"


def multipart(fields: dict[str, Any], field_name: str, file_name: str, content: bytes) -> bytes:
    """A multipart/form-data body with FILE_NAME sent exactly as given (raw UTF-8 in the header)."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v() if callable(v) else v}\r\n'.encode()
        for k, v in fields.items()
    ]
    header = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field_name}"; filename="{file_name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    parts.append(header.encode() + content + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _post(target: Target, endpoint: Endpoint, name: str, content: bytes) -> Any:
    body = multipart(target.fields, endpoint.field, name, content)
    return target.client.post(
        target.url, body, content_type=f"multipart/form-data; boundary={BOUNDARY}", follow=not endpoint.api
    )


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_spoofed_uploads_are_refused_and_a_good_one_is_stored_safely(
    endpoint: Endpoint, request: pytest.FixtureRequest, settings: Any, tmp_path: Path, tree: None
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    target = endpoint.setup(request)
    rows, files = target.rows(), _files(tmp_path)
    failures = []
    for case in HOSTILE:
        response = _post(target, endpoint, case.name, case.content)
        message = expected(endpoint, case)
        if endpoint.api:
            body = response.json()
            shown = response.status_code == 400 and body.get("fields", {}).get(endpoint.field) == [message]
        else:
            shown = response.status_code == 200 and message in response.content.decode()
        untouched = target.rows() == rows and _files(tmp_path) == files
        tally("spoofed uploads", 1, int(shown and untouched))
        if not (shown and untouched):
            failures.append((case.case, response.status_code, message, response.content.decode()[-600:]))
    assert failures == []

    name, content = endpoint.good
    response = _post(target, endpoint, name, content)
    assert response.status_code == (201 if endpoint.api and "evidence" in target.url else 200), (
        response.content
    )
    added = _files(tmp_path) - files
    assert target.rows() > rows
    assert len(added) >= 1 and all(p.is_relative_to(settings.MEDIA_ROOT) for p in added), added
    # stored under a random name: nothing of the sent name reaches the storage path
    assert all(re.fullmatch(r"[0-9a-f]{24,32}(_\d+)?\.(pdf|png|jpg)", p.name) for p in added), added
    if endpoint.good_shown is not None:
        assert target.names() == [endpoint.good_shown]
    tally("good files under hostile names", 1, 1)


# --- imports: parsed, never stored -------------------------------------------------------------------------
@dataclass(frozen=True)
class Import:
    name: str
    route: str
    role: str
    setup: Callable[[pytest.FixtureRequest], Target]
    api: bool = False
    kind: str = "table"  # "table": .xlsx/.csv through read_table; "xlsx": check_upload; "json": json.loads
    fixed: str = ""  # the JSON imports' one message for anything that is no JSON


def _user(request: pytest.FixtureRequest, name: str, unit_name: str, role: str) -> Any:
    return request.getfixturevalue("make_user")(name, unit_name=unit_name, roles=[role])


def _import_target(client: Client, url: str, rows: Callable[[], int], **fields: Any) -> Target:
    return Target(client, url, fields, rows)


def _enterprise_import(request: pytest.FixtureRequest, api: bool) -> Target:
    from qinqing.enterprises.models import Enterprise

    user = _user(request, "import_user", "昌吉市营商环境服务中心", "dispatcher")
    client, url = (
        (_api(user), "/api/v1/enterprises/import/") if api else (_login(user), "/enterprises/import/")
    )
    return _import_target(client, url, Enterprise.objects.count)


def _project_import(request: pytest.FixtureRequest, api: bool) -> Target:
    from qinqing.investment.models import Project

    user = request.getfixturevalue("filer")
    if api:
        return _import_target(_api(user), "/api/v1/investment/import/projects/", Project.objects.count)
    return _import_target(_login(user), "/investment/import/", Project.objects.count, kind="projects")


def _values_import(request: pytest.FixtureRequest) -> Target:
    from qinqing.evaluation.models import ValueChange

    r = request.getfixturevalue("rnd")
    return _import_target(
        _login(request.getfixturevalue("evaluator")),
        f"/evaluation/rounds/{r.pk}/import/",
        ValueChange.objects.count,
    )


def _roster_import(request: pytest.FixtureRequest) -> Target:
    from qinqing.chambers.models import Member
    from tests.chambers import builders

    org, org_user = builders.org_account(request.getfixturevalue("staff"))
    return _import_target(_login(org_user), f"/chambers/orgs/{org.pk}/members/import/", Member.objects.count)


def _assignment_import(request: pytest.FixtureRequest) -> Target:
    from qinqing.liaison.models import Assignment

    c: Cast = request.getfixturevalue("cast")
    return _import_target(_login(c.office), "/liaison/assignments/import/", Assignment.objects.count)


def _targets_import(request: pytest.FixtureRequest) -> Target:
    from qinqing.kpi.models import BudgetProject

    p: People = request.getfixturevalue("people")
    return _import_target(_login(p.pref), "/kpi/targets/import/", BudgetProject.objects.count)


def _system_import(request: pytest.FixtureRequest) -> Target:
    from qinqing.evaluation.models import IndicatorSystem

    return _import_target(
        _login(request.getfixturevalue("office")),
        "/evaluation/systems/import/",
        IndicatorSystem.objects.count,
    )


def _questionnaire_import(request: pytest.FixtureRequest) -> Target:
    from qinqing.surveys.models import Questionnaire

    user = _user(request, "survey_designer", "昌吉州营商环境服务中心", "dispatcher")
    return _import_target(_login(user), "/surveys/questionnaires/import/", Questionnaire.objects.count)


IMPORTS = [
    Import("企业导入（页面）", "POST /enterprises/import/", "调度员", lambda r: _enterprise_import(r, False)),
    Import("企业导入（API）", "POST /api/v1/enterprises/import/", "调度员", lambda r: _enterprise_import(r, True), api=True),
    Import("项目导入（页面）", "POST /investment/import/", "统计填报员", lambda r: _project_import(r, False)),
    Import("项目导入（API）", "POST /api/v1/investment/import/projects/", "统计填报员", lambda r: _project_import(r, True), api=True),
    Import("评价数据导入", "POST /evaluation/rounds/<pk>/import/", "评估机构", _values_import),
    Import("会员名册导入", "POST /chambers/orgs/<pk>/members/import/", "商会账号", _roster_import),
    Import("包联关系导入", "POST /liaison/assignments/import/", "调度员", _assignment_import),
    Import("绩效目标表导入", "POST /kpi/targets/import/", "州调度员", _targets_import, kind="xlsx"),
    Import("指标体系导入", "POST /evaluation/systems/import/", "调度员", _system_import, kind="json",
           fixed="请上传 UTF-8 编码的 JSON 文件"),
    Import("问卷导入", "POST /surveys/questionnaires/import/", "调度员", _questionnaire_import, kind="json",
           fixed="文件不是有效的 JSON（UTF-8）"),
]  # fmt: skip
DOCX = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
IMPORT_CASES = [
    Case("a PDF named .xlsx", "fake.xlsx", PDF, "fake.xlsx", "PDF"),
    Case("a web page named .csv", "list.csv", b"<html><script>alert(1)</script></html>", "list.csv", "网页（HTML）"),
    Case("a program under a traversal name", "../../tmp/roster.xlsx", b"MZ\x90\x00" + b"\x00" * 64, "roster.xlsx", "可执行程序"),
    Case("a Word file named .xlsx", "名册.xlsx", DOCX, "名册.xlsx", "Word（.docx）"),
    Case("a PNG with a NUL in the name", "a\x00b.csv", PNG, "ab.csv", "PNG"),
]  # fmt: skip


def import_message(endpoint: Import, case: Case) -> str:
    if endpoint.kind == "json":
        return endpoint.fixed
    if endpoint.kind == "xlsx" and not case.shown.endswith(".xlsx"):
        return f"不支持的文件类型：{case.shown}（仅支持 XLSX）"
    return f"文件内容与扩展名不符：{case.shown} 实为 {case.what} 文件"


@pytest.mark.parametrize("endpoint", IMPORTS, ids=[e.name for e in IMPORTS])
def test_disguised_import_files_are_refused_and_nothing_written(
    endpoint: Import, request: pytest.FixtureRequest, settings: Any, tmp_path: Path, tree: None
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    target = endpoint.setup(request)
    rows, files = target.rows(), _files(tmp_path)
    field = Endpoint(
        endpoint.name, endpoint.route, endpoint.role, "file", frozenset(), endpoint.setup, endpoint.api
    )
    failures = []
    for case in IMPORT_CASES:
        response = _post(target, field, case.name, case.content)
        message = import_message(endpoint, case)
        text = response.content.decode()
        shown = response.status_code in ((400,) if endpoint.api else (200, 400)) and message in text
        untouched = target.rows() == rows and _files(tmp_path) == files
        tally("disguised import files", 1, int(shown and untouched))
        if not (shown and untouched):
            failures.append((case.case, response.status_code, message, text[-400:]))
    assert failures == []
