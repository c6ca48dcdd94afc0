"""The four publications from the live published data: print-ready PDF (core.pdf.PrintDocument) and Word.

投资指南 (profile, parks, clusters, policies in brief, news of events), 招商项目册 (one page per catalogue
project with its QR code to the portal page), 政策汇编 (every policy in force, full text), 产业园区手册
(one section per park). ``generate`` is run by the periodic job ``portal.generate_editions`` for queued
editions and records its progress on the row (the edition page polls it).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, PageBreak, Spacer

from qinqing.core.pdf import PrintDocument
from qinqing.core.word import word_text
from qinqing.portal import matching, public, snapshot
from qinqing.portal.models import Edition, JobStatus, PortalSettings, PublicationKind

logger = logging.getLogger(__name__)
Progress = Callable[[int], None]


def portal_url(path: str) -> str:
    """An absolute portal address for print (QR codes): PortalSettings.base_url, else https://PORTAL_HOST."""
    host = getattr(settings, "PORTAL_HOST", "")
    origin = (
        PortalSettings.current().base_url
        or getattr(settings, "PORTAL_BASE_URL", "")
        or (f"https://{host}" if host else "")
        or "http://localhost:8000"
    )
    return f"{origin.rstrip('/')}/portal/{path}"


def qr(url: str, size: float = 32 * mm) -> Drawing:
    widget = QrCodeWidget(url)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def _zh(pair: Any) -> str:
    return str(pair.get("zh") if isinstance(pair, dict) else pair or "")


def _image(payload: dict[str, Any], width: float) -> Flowable | None:
    img = payload.get("image") or {}
    sizes = img.get("sizes") or {}
    if not sizes:
        return None
    from qinqing.portal.images import folder

    name = sizes.get("1280") or sizes.get("640") or next(iter(sizes.values()))
    path = folder() / name
    if not path.is_file():
        return None
    flow = Image(str(path))
    ratio = flow.imageHeight / flow.imageWidth
    flow.drawWidth, flow.drawHeight = width, width * ratio
    return flow


def contents(kind: str, selection: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The items an edition of KIND contains now (what ``Edition.contents`` records); SELECTION narrows the
    brochure's projects (cluster, chain, location, industry, size — the catalogue's filters) and the
    compilation's policies (type)."""
    cat = snapshot.catalogue()
    today = public.today()
    selection = selection or {}
    if kind == PublicationKind.BROCHURE:
        rows = public.projects(selection)
        return [{"kind": "project", "ref": r["id"], "title": r["name"]} for r in rows]
    if kind == PublicationKind.POLICIES:
        return [
            {"kind": "policy", "ref": r["id"], "title": _zh(r["title"])}
            for r in public.policies({"type": selection.get("type", "")})
            if not matching.is_expired(r, today)
        ]
    if kind == PublicationKind.PARKS:
        return [{"kind": "park", "ref": r["id"], "title": _zh(r["title"])} for r in cat.list("park")]
    items = [
        {"kind": k, "ref": r["id"], "title": _zh(r["title"])}
        for k in ("profile", "park", "cluster")
        for r in cat.list(k)
    ]
    items += [
        {"kind": "policy", "ref": r["id"], "title": _zh(r["title"])}
        for r in cat.list("policy")
        if not matching.is_expired(r, today)
    ]
    return items


def _entry_story(doc: PrintDocument, r: dict[str, Any], level: int = 1) -> list[Flowable]:
    story: list[Flowable] = [doc.heading(_zh(r["title"]), level)]
    data = r.get("data") or {}
    if r["kind"] == "policy":
        meta = [f"发文机关：{data.get('issuer') or '—'}", f"文号：{data.get('doc_number') or '—'}"]
        meta.append(f"有效期：{data.get('valid_from') or '—'} 至 {data.get('valid_to') or '长期'}")
        story.append(doc.para("　".join(meta), "small"))
    if r["kind"] == "park":
        rows = [
            ["主导产业", data.get("leading_industries") or "—"],
            ["可供土地（亩）", data.get("land_available_mu") or "—"],
        ]
        if data.get("address"):
            rows.append(["地址", data["address"]])
        if data.get("lat") and data.get("lng"):
            rows.append(["坐标", f"北纬 {data['lat']}，东经 {data['lng']}"])
        for c in data.get("contacts") or []:
            rows.append(["联系方式", " ".join(map(str, c))])
        story.append(doc.table(rows, col_widths=[doc.width * 0.25, doc.width * 0.75], header=False))
    if r["kind"] == "profile" and data.get("costs"):
        story.append(
            doc.table(
                [
                    ["项目", "价格", "单位", "截至"],
                    *[list(map(str, c)) + [""] * (4 - len(c)) for c in data["costs"]],
                ]
            )
        )
    if r["kind"] == "cluster" and data.get("chains"):
        story.append(doc.para("产业链：" + "、".join(data["chains"])))
    flow = _image(r, doc.width * 0.8)
    if flow is not None:
        story.append(flow)
    if _zh(r["summary"]):
        story.append(doc.para(_zh(r["summary"])))
    for para in _zh(r["body"]).split("\n"):
        if para.strip():
            story.append(doc.para(para.strip()))
    return story


def _project_page(doc: PrintDocument, r: dict[str, Any]) -> list[Flowable]:
    rows = [
        ["所在区域", r["location"]],
        [
            "行业",
            f"{r['industry_section_name']}{(' · ' + r['industry_division_name']) if r['industry_division_name'] else ''}",
        ],
        ["产业集群 / 产业链", " / ".join(x for x in (r["cluster"], r["chain"]) if x) or "—"],
        ["计划总投资（万元）", public.wan(r["planned_investment_wan"])],
        ["投资规模", r["size_band_label"]],
        ["建设性质", r["construction"]],
        ["预计带动就业（人）", str(r["expected_jobs"])],
        ["联系单位", r["contact_unit"]],
    ]
    return [
        doc.heading(r["name"], 1),
        doc.table(rows, col_widths=[doc.width * 0.32, doc.width * 0.68], header=False),
        Spacer(1, 4 * mm),
        doc.para(r["summary"] or "项目简介见门户网站。"),
        Spacer(1, 6 * mm),
        qr(portal_url(f"projects/{r['id']}/?src=brochure")),
        doc.para("扫码查看项目详情并在线洽谈", "small"),
        PageBreak(),
    ]


def build_pdf(edition: Edition, progress: Progress | None = None) -> tuple[bytes, int]:
    cfg = PortalSettings.current()
    doc = PrintDocument(
        title=edition.title,
        edition=edition.edition,
        header=f"{cfg.site_name} · {edition.title}",
        author=edition.unit.name,
        pagesize=edition.pagesize,
        cover_lines=(edition.unit.name, f"{edition.edition_date:%Y年%m月}"),
    )
    cat = snapshot.catalogue()
    items = edition.contents
    story: list[Flowable] = []
    kind = edition.kind
    step = max(1, len(items) // 20)
    if kind == PublicationKind.GUIDE:
        groups = [
            ("profile", "一、城市概况"),
            ("park", "二、产业园区"),
            ("cluster", "三、产业集群"),
            ("policy", "四、优惠政策"),
        ]
        for group, heading in groups:
            chosen = [i for i in items if i["kind"] == group]
            if not chosen:
                continue
            story.append(doc.heading(heading, 0))
            for item in chosen:
                row = cat.get(group, item["ref"])
                if row is not None:
                    story += _entry_story(doc, row)
    else:
        heading = {"brochure": "招商项目", "policies": "政策汇编", "parks": "产业园区"}[kind]
        story.append(doc.heading(heading, 0))
        for n, item in enumerate(items):
            row = cat.get(item["kind"], item["ref"])
            if row is None:
                continue
            if kind == PublicationKind.BROCHURE:
                story += _project_page(doc, row)
            else:
                story += _entry_story(doc, row) + ([PageBreak()] if kind == PublicationKind.PARKS else [])
            if progress and n % step == 0:
                progress(10 + int(60 * n / max(1, len(items))))
    if not items:
        story.append(doc.para("（暂无已发布内容）"))
    data = doc.build(story, cover=True, toc=True)
    from pypdf import PdfReader

    return data, len(PdfReader(io.BytesIO(data)).pages)


def build_docx(edition: Edition) -> bytes:
    """The same contents as an editable Word document (python-docx escapes text itself)."""
    from docx import Document
    from docx.shared import Cm

    cat = snapshot.catalogue()
    document = Document()
    section = document.sections[0]
    if edition.pagesize == "A5":
        section.page_width, section.page_height = Cm(14.8), Cm(21.0)
    document.add_heading(word_text(edition.title), 0)
    document.add_paragraph(word_text(f"{edition.edition} · {edition.unit.name}"))
    for item in edition.contents:
        row = cat.get(item["kind"], item["ref"])
        if row is None:
            continue
        if item["kind"] == "project":
            document.add_heading(word_text(row["name"]), 1)
            table = document.add_table(rows=0, cols=2)
            for label, value in (
                ("所在区域", row["location"]),
                ("计划总投资（万元）", public.wan(row["planned_investment_wan"])),
                ("产业集群", row["cluster"]),
                ("联系单位", row["contact_unit"]),
            ):
                cells = table.add_row().cells
                cells[0].text, cells[1].text = label, word_text(value)
            document.add_paragraph(word_text(row["summary"]))
            link = portal_url("projects/{}/".format(row["id"]))
            document.add_paragraph(f"门户链接：{link}")
        else:
            document.add_heading(word_text(_zh(row["title"])), 1)
            if _zh(row["summary"]):
                document.add_paragraph(word_text(_zh(row["summary"])))
            for para in _zh(row["body"]).split("\n"):
                if para.strip():
                    document.add_paragraph(word_text(para.strip()))
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _set(edition_id: int, **values: Any) -> None:
    Edition.objects.filter(pk=edition_id).update(**values)


def generate(edition: Edition) -> Edition:
    """Generate one edition's PDF and Word (progress 0→100 on the row). Failure is recorded, not raised."""
    claimed = Edition.objects.filter(pk=edition.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, progress=5, started_at=timezone.now(), version=F("version") + 1
    )
    if not claimed:
        return edition
    try:
        edition.refresh_from_db()
        edition.contents = contents(edition.kind, edition.selection)
        _set(edition.pk, contents=edition.contents, progress=10)
        pdf, pages = build_pdf(edition, lambda p: _set(edition.pk, progress=p))
        _set(edition.pk, progress=80)
        docx = build_docx(edition)
        stem = f"{edition.kind}-{edition.pk}-{timezone.localtime():%Y%m%d%H%M%S}"
        edition.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
        edition.docx.save(f"{stem}.docx", ContentFile(docx), save=False)
        _set(
            edition.pk,
            pdf=edition.pdf.name,
            docx=edition.docx.name,
            pages=pages,
            status=JobStatus.DONE,
            progress=100,
            finished_at=timezone.now(),
            message=f"共 {len(edition.contents)} 项，{pages} 页",
        )
    except Exception as exc:  # recorded on the row for the editor to see
        logger.exception("edition %s failed", edition.pk)
        _set(
            edition.pk, status=JobStatus.FAILED, message=f"生成失败：{exc}"[:300], finished_at=timezone.now()
        )
    edition.refresh_from_db()
    return edition
