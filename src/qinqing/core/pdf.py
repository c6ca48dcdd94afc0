"""Print-ready PDF documents with an embedded CJK font: cover, table of contents, running headers, page numbers.

Every app that prints (publications, certificates, evaluation and survey reports, the self-evaluation)
builds its ``story`` of reportlab flowables and hands it to ``build_pdf``. The font is WenQuanYi Micro Hei
(core/fonts/, Apache-2.0), embedded as a subset, so the PDF prints the same on any machine; text is
extractable (reportlab writes a ToUnicode map; tests read it back with pypdf).

    doc = PrintDocument(title="投资指南", edition="2026年版", header="乌鲁木齐市招商服务局")
    story = [doc.heading("一、区位优势"), doc.para("……"), ...]
    pdf_bytes = doc.build(story, cover=True, toc=True)
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

FONT_FILE = Path(__file__).parent / "fonts" / "wqy-microhei.ttc"
FONT = "WQYMicroHei"
PAGE_SIZES = {"A4": A4, "A5": A5}


@cache
def cjk_font() -> str:
    """Register the embedded CJK font once per process and return its name."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
    return FONT


@cache
def styles(scale: float = 1.0) -> dict[str, ParagraphStyle]:
    font = cjk_font()

    def style(name: str, size: float, **kw: Any) -> ParagraphStyle:
        size *= scale
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.6, wordWrap="CJK", **kw)

    return {
        "title": style("title", 26, alignment=1, spaceAfter=12),
        "subtitle": style("subtitle", 14, alignment=1, spaceAfter=6, textColor=colors.HexColor("#444444")),
        "h1": style("h1", 16, spaceBefore=10, spaceAfter=6),
        "h2": style("h2", 13, spaceBefore=8, spaceAfter=4),
        "body": style("body", 10.5, spaceAfter=4),
        "small": style("small", 8.5, textColor=colors.HexColor("#555555")),
        "cell": style("cell", 9),
        "toc1": style("toc1", 11, leftIndent=0),
        "toc2": style("toc2", 10, leftIndent=12),
    }


class _Heading(Paragraph):
    """A paragraph that enters the table of contents at LEVEL (0 or 1)."""

    def __init__(self, text: str, style: ParagraphStyle, level: int) -> None:
        super().__init__(text, style)
        self.toc_level = level
        self.toc_text = text


class _Template(BaseDocTemplate):
    def __init__(self, buffer: io.BytesIO, doc: PrintDocument) -> None:
        self.print_doc = doc
        width, height = doc.pagesize
        margin = 18 * mm if doc.pagesize == A4 else 13 * mm
        frame = Frame(margin, margin, width - 2 * margin, height - 2 * margin - 6 * mm, id="body")
        cover = Frame(margin, margin, width - 2 * margin, height - 2 * margin, id="cover")
        super().__init__(
            buffer,
            pagesize=doc.pagesize,
            title=doc.title,
            author=doc.author,
            subject=doc.edition,
            leftMargin=margin,
            rightMargin=margin,
            topMargin=margin,
            bottomMargin=margin,
        )
        self.addPageTemplates(
            [
                PageTemplate(id="cover", frames=[cover], onPage=lambda c, d: None),
                PageTemplate(id="body", frames=[frame], onPage=self._decorate),
            ]
        )

    def _decorate(self, canvas: Any, _doc: Any) -> None:
        doc = self.print_doc
        width, height = doc.pagesize
        canvas.saveState()
        canvas.setFont(cjk_font(), 8)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(self.leftMargin, height - self.topMargin + 2 * mm, doc.header or doc.title)
        canvas.drawRightString(width - self.rightMargin, height - self.topMargin + 2 * mm, doc.edition)
        canvas.line(
            self.leftMargin,
            height - self.topMargin + 1 * mm,
            width - self.rightMargin,
            height - self.topMargin + 1 * mm,
        )
        canvas.drawCentredString(width / 2, self.bottomMargin - 6 * mm, f"第 {canvas.getPageNumber()} 页")
        canvas.restoreState()

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, _Heading):
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.notify("TOCEntry", (flowable.toc_level, flowable.toc_text, self.page, key))


class PrintDocument:
    """One printed document; build() returns the PDF's bytes."""

    def __init__(
        self,
        *,
        title: str,
        edition: str = "",
        header: str = "",
        author: str = "",
        pagesize: str = "A4",
        cover_lines: tuple[str, ...] = (),
    ) -> None:
        self.title = title
        self.edition = edition
        self.header = header
        self.author = author
        self.pagesize = PAGE_SIZES[pagesize]
        self.cover_lines = cover_lines
        self.s = styles(1.0 if pagesize == "A4" else 0.85)

    # --- flowables --------------------------------------------------------------------------------
    def heading(self, text: str, level: int = 0) -> Paragraph:
        return _Heading(escape_markup(text), self.s["h1" if level == 0 else "h2"], level)

    def para(self, text: str, style: str = "body") -> Paragraph:
        """A paragraph of plain text (escaped: user content never becomes markup)."""
        return Paragraph(escape_markup(text).replace("\n", "<br/>"), self.s[style])

    def table(
        self, rows: list[list[Any]], col_widths: list[float] | None = None, header: bool = True
    ) -> Table:
        cells = [
            [c if isinstance(c, Flowable) else Paragraph(escape_markup(str(c)), self.s["cell"]) for c in row]
            for row in rows
        ]
        table = Table(cells, colWidths=col_widths, repeatRows=1 if header else 0)
        commands: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        if header:
            commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")))
        table.setStyle(TableStyle(commands))
        return table

    @property
    def width(self) -> float:
        margin = 18 * mm if self.pagesize == A4 else 13 * mm
        return float(self.pagesize[0] - 2 * margin)

    # --- the document -----------------------------------------------------------------------------
    def build(self, story: list[Flowable], *, cover: bool = True, toc: bool = False) -> bytes:
        front: list[Flowable] = []
        if cover:
            front += [
                Spacer(1, self.pagesize[1] * 0.28),
                Paragraph(escape_markup(self.title), self.s["title"]),
            ]
            for line in (self.edition, *self.cover_lines):
                if line:
                    front.append(Paragraph(escape_markup(line), self.s["subtitle"]))
        front.append(NextPageTemplate("body"))
        if cover:
            front.append(PageBreak())
        if toc:
            contents = TableOfContents(levelStyles=[self.s["toc1"], self.s["toc2"]], dotsMinLevel=0)
            front += [Paragraph("目录", self.s["h1"]), contents, PageBreak()]
        buffer = io.BytesIO()
        template = _Template(buffer, self)
        if not cover:
            template.pageTemplates.reverse()  # start on the body template
        if toc:
            template.multiBuild(front + story)
        else:
            template.build(front + story)
        return buffer.getvalue()


def escape_markup(text: str) -> str:
    """TEXT for a reportlab Paragraph, which reads a mini-HTML: user text must never become markup
    (``<b>``, ``<font>`` would be interpreted; an unknown tag such as ``<script>`` fails the parser)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
