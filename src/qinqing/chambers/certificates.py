"""Certificates (登记备案证书): serials, issue / re-issue / void, the PDF (one template per kind) with a QR
code to the public verification page, and batch printing.

Serials are unique and sequential per year: ``CertificateCounter`` holds the year's last number and is
locked with SELECT … FOR UPDATE while the next one is taken, so concurrent approvals queue on that one row
(tests/chambers/test_certificates_pg.py proves it on PostgreSQL); the (year, seq) unique constraint is
the backstop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Spacer, Table, TableStyle

from qinqing.audit.models import AuditAction
from qinqing.audit.services import record
from qinqing.chambers import rules, verification
from qinqing.chambers.models import Certificate, CertificateCounter, Organisation
from qinqing.chambers.rules import CertStatus
from qinqing.core.pdf import PrintDocument


def issuer_for(org: Organisation) -> str:
    """The issuing bureau's name: the area's lead investment department (乌鲁木齐市招商服务局)."""
    from qinqing.orgs.models import Unit

    lead = (
        Unit.objects.filter(parent_id=org.area_id, coordinates_parent=True)
        .order_by("ordering", "id")
        .values_list("name", flat=True)
        .first()
    )
    return lead or org.area.name


def next_serial(year: int) -> tuple[int, str]:
    """Take the year's next sequence number (call inside a transaction)."""
    CertificateCounter.objects.get_or_create(year=year)
    counter = CertificateCounter.objects.select_for_update().get(year=year)
    counter.last = F("last") + 1
    counter.save(update_fields=["last"])
    counter.refresh_from_db(fields=["last"])
    return counter.last, rules.serial_for(year, counter.last)


@transaction.atomic
def issue(actor: Any, org: Organisation, *, on: dt.date | None = None) -> Certificate:
    day = on or timezone.localdate()
    seq, serial = next_serial(day.year)
    cert = Certificate.objects.create(
        organisation=org,
        year=day.year,
        seq=seq,
        serial=serial,
        kind=org.kind,
        org_name=org.name,
        address=org.address,
        head_name=head_of(org),
        issued_on=day,
        issuer_name=issuer_for(org),
    )
    from qinqing.chambers.services import event

    event(actor, org, "certificate", f"证书编号 {serial}")
    verification.changed()
    record(AuditAction.CREATE, actor=actor, obj=cert, changes={"serial": [None, serial]})
    return cert


def head_of(org: Organisation) -> str:
    """The head printed on the certificate: the office's head, or the chamber's 会长."""
    if org.head_name:
        return org.head_name
    officer = org.officers.filter(position__contains="会长").exclude(position__contains="副").first()
    return officer.name if officer else ""


@transaction.atomic
def reissue(actor: Any, org: Organisation) -> Certificate:
    """A change re-issues the certificate: the old one is superseded by the new."""
    from qinqing.chambers.services import event

    old = list(Certificate.objects.select_for_update().filter(organisation=org, status=CertStatus.VALID))
    new = issue(actor, org)
    for cert in old:
        Certificate.objects.filter(pk=cert.pk).update(
            status=CertStatus.SUPERSEDED, ended_on=new.issued_on, superseded_by=new
        )
        event(actor, org, "supersede", f"{cert.serial} 由 {new.serial} 换发")
    verification.changed()
    return new


@transaction.atomic
def void_all(actor: Any, org: Organisation, reason: str) -> int:
    from qinqing.chambers.services import event

    serials = list(
        Certificate.objects.filter(organisation=org, status=CertStatus.VALID).values_list("serial", flat=True)
    )
    Certificate.objects.filter(organisation=org, status=CertStatus.VALID).update(
        status=CertStatus.VOID, ended_on=timezone.localdate()
    )
    for serial in serials:
        event(actor, org, "void", f"{serial}（{reason}）")
    if serials:
        verification.changed()
    return len(serials)


# --- the PDF ----------------------------------------------------------------------------------------------
def verify_url(serial: str, base_url: str = "") -> str:
    """The verification page's address; BASE_URL is the site as the request saw it (or the
    ``QINQING_PUBLIC_URL`` setting for prints made outside a request)."""
    base = base_url or getattr(settings, "QINQING_PUBLIC_URL", "") or "http://localhost:8000"
    return base.rstrip("/") + reverse("chambers:verify", args=[serial])


class QRCode(Flowable):
    """A QR code drawn as vector squares on the canvas (the qrcode library computes the matrix; no image
    library). One path of horizontal runs: a thousand certificates print in seconds, not minutes."""

    def __init__(self, data: str, size: float = 32 * mm) -> None:
        super().__init__()
        import qrcode

        # A fixed mask pattern: choosing the "best" of eight costs more than the rest of the page.
        qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=2)
        qr.add_data(data)
        qr.make(fit=True)
        self.matrix: list[list[bool]] = qr.get_matrix()
        self.size = size
        self.width = self.height = size

    def runs(self) -> list[tuple[int, int, int]]:
        """(row, first column, length) of every horizontal run of dark cells."""
        out = []
        for y, row in enumerate(self.matrix):
            x, n = 0, len(row)
            while x < n:
                if row[x]:
                    start = x
                    while x < n and row[x]:
                        x += 1
                    out.append((y, start, x - start))
                else:
                    x += 1
        return out

    def draw(self) -> None:
        cell = self.size / len(self.matrix)
        path = self.canv.beginPath()
        for y, x, length in self.runs():
            path.rect(x * cell, self.size - (y + 1) * cell, length * cell, cell)
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)


def _page(doc: PrintDocument, cert: Certificate, base_url: str) -> list[Flowable]:
    kind = rules.OrgKind(cert.kind)
    rows = [
        ["证书编号", cert.serial],
        ["名称", cert.org_name],
        ["类型", kind.label],
        ["住所", cert.address or "—"],
        ["负责人", cert.head_name or "—"],
        ["发证日期", f"{cert.issued_on:%Y年%m月%d日}"],
        ["发证机关", cert.issuer_name],
    ]
    table = doc.table(rows, col_widths=[30 * mm, doc.width - 30 * mm], header=False)
    qr = QRCode(verify_url(cert.serial, base_url))
    footer = Table(
        [[doc.para("扫描二维码或访问本平台“证书核验”页面，输入证书编号核验真伪。", "small"), qr]],
        colWidths=[doc.width - 36 * mm, 36 * mm],
    )
    footer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return [
        Spacer(1, 8 * mm),
        doc.para(rules.CERT_TITLES[kind], "title"),
        Spacer(1, 6 * mm),
        doc.para(_body_text(cert), "body"),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 8 * mm),
        footer,
    ]


def _body_text(cert: Certificate) -> str:
    if cert.kind == rules.OrgKind.CHAMBER:
        return f"{cert.org_name}经审核，符合异地商会登记备案条件，准予登记备案，特发此证。"
    if cert.kind == rules.OrgKind.OFFICE:
        return f"{cert.org_name}经审核，准予在本地设立办事机构，特发此证。"
    return f"{cert.org_name}经审核，准予备案，特发此证。"


def render(
    certs: Iterable[Certificate], *, base_url: str = "", title: str = "登记备案证书", count: bool = True
) -> bytes:
    """One PDF with one A5 page per certificate; each print is counted (the first is the print, the rest
    reprints)."""
    certs = list(certs)
    doc = PrintDocument(title=title, header="登记备案证书", edition="", pagesize="A5")
    story: list[Flowable] = []
    for index, cert in enumerate(certs):
        if index:
            story.append(PageBreak())
        story += _page(doc, cert, base_url)
    if not story:
        story = [doc.para("没有可打印的证书")]
    data = doc.build(story, cover=False)
    if count and certs:
        Certificate.objects.filter(pk__in=[c.pk for c in certs]).update(print_count=F("print_count") + 1)
    return data


def public_status(serial: str) -> dict[str, Any] | None:
    """What the public verification page may show: number, name, kind, status and dates only."""
    row = (
        Certificate.objects.filter(serial=serial.strip())
        .values("serial", "org_name", "kind", "status", "issued_on", "ended_on")
        .first()
    )
    if row is None:
        return None
    return {
        "serial": row["serial"],
        "organisation": row["org_name"],
        "kind": rules.OrgKind(row["kind"]).label,
        "status": row["status"],
        "status_label": CertStatus(row["status"]).label,
        "issued_on": row["issued_on"],
        "ended_on": row["ended_on"],
    }


@transaction.atomic
def print_certificates(
    user: Any, certs: list[Certificate], *, base_url: str = "", batch: bool = False
) -> bytes:
    """Print (download) certificates: the bureau prints any in its scope, in batches too; an organisation
    downloads its own valid certificate. Every print is counted and audited."""
    from qinqing.chambers.services import require_own, require_staff, side_of
    from qinqing.core.permissions import require

    if side_of(user) == rules.ORG:
        if batch:
            raise PermissionDenied("批量打印仅限登记机关")
        for cert in certs:
            require_own(user, cert.organisation)
    else:
        require(user, "chambers.manage")
        for cert in certs:
            require_staff(user, "chambers.manage", cert.organisation)
    data = render(certs, base_url=base_url, title="登记备案证书（批量打印）" if batch else "登记备案证书")
    record(
        AuditAction.EXPORT,
        actor=user,
        object_type="chambers.certificate",
        changes={"certificates": len(certs), "batch": batch},
        detail=f"打印证书 {len(certs)} 件"
        + ("（批量）" if batch else f"：{certs[0].serial}" if certs else ""),
    )
    return data
