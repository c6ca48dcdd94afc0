"""Path traversal on every download route (every FileResponse in src/qinqing): encoded, double-encoded,
backslash, absolute and NUL variants in place of the file's id, token, name or format answer 404 (or 400),
never 500 and never a file outside storage (a secret planted next to MEDIA_ROOT is never served). The
stored user text a download is named by (original name or title), made hostile (quotes, CR/LF, a header
injection, separators, NUL, escape and bidi controls), gives a safe Content-Disposition: one line, the
filename quoted without a quote inside or RFC 5987-encoded, and the name itself free of all of those.

SurveyReport downloads (surveys result_views.report_file) serve bytes from the database under a fixed
name, so they have no path or name to attack and are not listed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.chambers.conftest import staff  # noqa: F401  (fixture)
from tests.demands.conftest import People, people, submit  # noqa: F401  (people is a fixture)
from tests.evaluation.conftest import evaluator, office, rnd, system, urumqi_units, values_of  # noqa: F401
from tests.factories import unit
from tests.hardening.hostile import tally
from tests.hardening.test_hostile_uploads import PDF, PNG
from tests.investment.conftest import filer, make_project  # noqa: F401  (fixtures)
from tests.liaison.conftest import Cast, cast  # noqa: F401  (fixtures)
from tests.portal.conftest import POLICY_DATA, _fresh_caches, editor, publish, reviewer  # noqa: F401

SECRET = b"TOP-SECRET-OUTSIDE-STORAGE"
# what a hostile client puts where the route expects an id, a token, a name or a format
TRAVERSALS = [
    "..%2F..%2Fetc%2Fpasswd",
    "..%2F..%2Fsecret.txt",
    "..%252F..%252Fsecret.txt",
    "%2e%2e%2f%2e%2e%2fsecret.txt",
    "..%5C..%5Csecret.txt",
    "....%2F%2F....%2F%2Fsecret.txt",
    "%2Fetc%2Fpasswd",
    "%2F%2Fetc%2Fpasswd",
    "C:%5CWindows%5Cwin.ini",
    "%c0%ae%c0%ae%2fsecret.txt",
    "secret.txt%00.pdf",
    "1%00",
    "..",
    "%2e%2e",
]
HOSTILE_NAMES = [
    'evil"; filename="x.exe"\r\nSet-Cookie: qq=1\\..\\..\\合同.pdf',
    'evil"\r\nSet-Cookie: qq=1; x=/../../etc/passwd.pdf',  # ASCII only: Django would quote it, not encode it
    "\x00\x1b[31m\u202e..\\fdp.exe",
]


@dataclass
class Served:
    client: Client
    template: str  # the route with "{}" where the variable part goes
    good: str  # the value of "{}" that serves the file
    content: bytes  # what the good URL serves
    rename: Callable[[str], Any] | None = None  # put a name in the stored user text the download is named by


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pdf(name: str = "合同.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


# --- the setups: a stored file, a client allowed to fetch it, and how to rename it ---------------------------
def _demand_attachment(request: pytest.FixtureRequest) -> Served:
    from qinqing.demands.models import Attachment

    p: People = request.getfixturevalue("people")
    submit(p, files=[_pdf()])
    att = Attachment.objects.get()
    rename = Attachment.objects.filter(pk=att.pk)
    return Served(_login(p.ent), "/demands/attachments/{}/", att.token, PDF, lambda n: rename.update(name=n))


def _liaison_visit_file(request: pytest.FixtureRequest) -> Served:
    from qinqing.liaison import services
    from qinqing.liaison.models import VisitFile

    c: Cast = request.getfixturevalue("cast")
    data = services.VisitData(
        enterprise=c.ent, visited_on=timezone.localdate(), form="on_site", topics="回访", files=[_pdf()]
    )
    services.log_visit(c.changji_leader, data)
    f = VisitFile.objects.get()
    rows = VisitFile.objects.filter(pk=f.pk)
    return Served(
        _login(c.changji_leader), "/liaison/visits/files/{}/", f.token, PDF, lambda n: rows.update(name=n)
    )


def _evaluation_evidence(request: pytest.FixtureRequest) -> Served:
    from qinqing.evaluation import services
    from qinqing.evaluation.models import Evidence

    user = request.getfixturevalue("evaluator")
    value = values_of(request.getfixturevalue("rnd"), urumqi_units()[0])["T.A.P"]
    row = services.add_evidence(user, value, _pdf())
    rows = Evidence.objects.filter(pk=row.pk)
    return Served(_login(user), "/evaluation/evidence/{}/", str(row.pk), PDF, lambda n: rows.update(name=n))


def _chambers_material(request: pytest.FixtureRequest) -> Served:
    from qinqing.chambers import rules, services
    from qinqing.chambers.models import Material
    from tests.chambers import builders

    org, org_user = builders.org_account(request.getfixturevalue("staff"))
    builders.make_ready(org)
    app = services.start_application(org_user, org, rules.AppKind.REGISTRATION)
    item = rules.required_materials(org.kind, app.kind)[0][0]
    row = services.upload_material(org_user, app, item=item, file=_pdf())
    rows = Material.objects.filter(pk=row.pk)
    return Served(
        _login(org_user), "/chambers/materials/{}/", str(row.pk), PDF, lambda n: rows.update(original_name=n)
    )


def _investment_attachment(request: pytest.FixtureRequest) -> Served:
    from qinqing.investment import services
    from qinqing.investment.models import Attachment

    user = request.getfixturevalue("filer")
    row = services.add_attachment(user, request.getfixturevalue("make_project")(), title="协议", file=_pdf())
    rows = Attachment.objects.filter(pk=row.pk)
    return Served(
        _login(user), "/investment/attachments/{}/", str(row.pk), PDF, lambda n: rows.update(title=n)
    )


def _portal_policy_file(request: pytest.FixtureRequest) -> Served:
    from qinqing.portal import services
    from qinqing.portal.models import ContentKind, EntryFile

    editor_ = request.getfixturevalue("editor")
    entry = publish(
        editor_, request.getfixturevalue("reviewer"), ContentKind.POLICY, title="政策", data=POLICY_DATA
    )
    row = services.add_entry_file(editor_, entry, title="细则", file=_pdf())
    rows = EntryFile.objects.filter(pk=row.pk)
    return Served(
        Client(),
        f"/portal/policies/{entry.pk}/files/{{}}/",
        str(row.pk),
        PDF,
        lambda n: rows.update(title=n[:100]),
    )


def _portal_image(request: pytest.FixtureRequest) -> Served:
    from qinqing.portal import images

    row = images.add_image(request.getfixturevalue("editor"), SimpleUploadedFile("园区.png", PNG))
    name = row.sizes["320"]
    return Served(Client(), "/portal/images/{}", name, (images.folder() / name).read_bytes())


def _portal_edition(request: pytest.FixtureRequest) -> Served:
    from qinqing.portal.models import Edition

    user = request.getfixturevalue("reviewer")
    edition = Edition(
        kind="guide",
        unit=unit("乌鲁木齐市招商服务局"),
        title="投资指南",
        edition="2026年版",
        edition_date=dt.date(2026, 1, 1),
        unit_cost_yuan=Decimal("50"),
    )
    edition.pdf.save("guide.pdf", ContentFile(PDF), save=False)
    edition.save()
    rows = Edition.objects.filter(pk=edition.pk)
    return Served(
        _login(user),
        f"/portal/staff/publications/{edition.pk}/file.{{}}",
        "pdf",
        PDF,
        lambda n: rows.update(title=n),
    )


def _analysis_report(request: pytest.FixtureRequest) -> Served:
    from qinqing.analysis.models import AnalysisReport

    c: Cast = request.getfixturevalue("cast")
    row = AnalysisReport(unit=unit("昌吉回族自治州"), month=dt.date(2026, 11, 1))
    row.pdf.save("r.pdf", ContentFile(PDF), save=False)
    row.docx.save("r.docx", ContentFile(b"PK\x03\x04docx"), save=False)
    row.save()
    return Served(_login(c.pref), f"/analysis/reports/{row.pk}/{{}}/", "pdf", PDF)


@dataclass(frozen=True)
class Download:
    name: str
    route: str
    role: str
    setup: Callable[[pytest.FixtureRequest], Served]


DOWNLOADS = [
    Download("诉求附件", "GET /demands/attachments/<token>/", "企业用户", _demand_attachment),
    Download("走访附件", "GET /liaison/visits/files/<token>/", "领导", _liaison_visit_file),
    Download("评价佐证材料", "GET /evaluation/evidence/<pk>/", "评估机构", _evaluation_evidence),
    Download("商会申报材料", "GET /chambers/materials/<pk>/", "商会账号", _chambers_material),
    Download("项目附件", "GET /investment/attachments/<pk>/", "统计填报员", _investment_attachment),
    Download("政策附件（门户）", "GET /portal/policies/<pk>/files/<file_id>/", "公众", _portal_policy_file),
    Download("门户图片", "GET /portal/images/<name>", "公众", _portal_image),
    Download("出版物文件", "GET /portal/staff/publications/<pk>/file.<fmt>", "门户审核", _portal_edition),
    Download("诉求分析月报", "GET /analysis/reports/<pk>/<fmt>/", "州调度员", _analysis_report),
]

# one line; the filename quoted with no quote or backslash inside, or RFC 5987 percent-encoded
SAFE_DISPOSITION = re.compile(
    r"""(attachment|inline); filename(="[^"\\\r\n]*"|\*=utf-8''[A-Za-z0-9%._~!$&'()*+,;=:@-]+)""",
    re.IGNORECASE,
)


def _filename(disposition: str) -> str:
    """The file name a browser takes from DISPOSITION."""
    encoded = re.search(r"filename\*=utf-8''(\S+)", disposition, re.IGNORECASE)
    if encoded:
        return unquote(encoded.group(1))
    quoted = re.search(r'filename="(.*)"', disposition)
    return quoted.group(1) if quoted else ""


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("download", DOWNLOADS, ids=[d.name for d in DOWNLOADS])
def test_traversal_is_404_and_the_download_name_is_safe(
    download: Download, request: pytest.FixtureRequest, settings: Any, tmp_path: Path, tree: None
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "secret.txt").write_bytes(SECRET)
    served = download.setup(request)
    (Path(settings.MEDIA_ROOT) / "secret.txt").write_bytes(SECRET)  # inside storage but no stored file

    good = served.template.format(served.good)
    response = served.client.get(good)
    assert response.status_code == 200
    assert _body(response) == served.content
    for name in HOSTILE_NAMES if served.rename is not None else []:
        assert served.rename is not None
        if connection.vendor == "postgresql":  # its text columns cannot hold NUL: such a name never exists
            name = name.replace("\x00", "")
        served.rename(name)
        response = served.client.get(good)
        disposition = response.get("Content-Disposition", "")
        shown = _filename(disposition)
        safe = (
            response.status_code == 200
            and bool(SAFE_DISPOSITION.fullmatch(disposition))
            and "Set-Cookie" not in response
            and not set(shown) & set('/\\"\r\n\x00\x1b\u202e')
        )
        tally("hostile download names", 1, int(safe))
        assert safe, (name, response.status_code, disposition)

    failures = []
    for attempt in TRAVERSALS:
        url = served.template.format(attempt)
        response = served.client.get(url)
        body = _body(response) if response.status_code < 500 else b""
        ok = response.status_code in (400, 404) and SECRET not in body and b"root:" not in body
        tally("download path traversal", 1, int(ok))
        if not ok:
            failures.append((url, response.status_code))
    assert failures == []
