"""Hostile text in every PDF and Word file that prints user text: the shared ``core.pdf.PrintDocument``
(publications, certificates, survey/evaluation/KPI reports), the analysis monthly report (its own
reportlab story) and the Word files. The text must come out literally: reportlab's Paragraph reads a
mini-HTML (``<b>``, ``<font>``, ``<br/>``), so unescaped user text is either interpreted or, for an unknown
tag such as ``<script>``, a parser error (a 500 on the download)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from types import SimpleNamespace
from typing import Any

import pytest
from docx import Document
from pypdf import PdfReader

from qinqing.analysis import services as analysis
from qinqing.core.pdf import PrintDocument, escape_markup
from qinqing.demands.models import Demand
from qinqing.surveys import reports as survey_reports
from tests.analysis.fixtures import data  # noqa: F401  (fixture)
from tests.analysis.pdftext import pdf_text
from tests.evaluation.conftest import evaluator, office, rnd, system  # noqa: F401  (fixtures)
from tests.factories import unit
from tests.hardening.hostile import EMOJI, MARKUP, tally
from tests.liaison.conftest import Cast, cast, clock  # noqa: F401  (fixtures)
from tests.portal.conftest import cj_dispatcher, editor, reviewer  # noqa: F401  (fixtures)

SCRIPT = "<script>alert(1)</script><img src=x onerror=alert(1)>"
MINI_HTML = '<b>粗体</b><font color="red" size="30">红字</font><br/><para>段落</para>'
UNCLOSED = "a < b && c > d <unclosed"
CONTROL = "控制\x01字符\x1f\x0b换行"  # C0 controls: XML 1.0 cannot hold them (python-docx raised ValueError)
PAYLOADS = [SCRIPT, MINI_HTML, UNCLOSED, MARKUP, EMOJI, "全角＜ｓｃｒｉｐｔ＞ＡＢＣ１２３"]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pypdf_text(content: bytes) -> str:
    return _flat("".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def docx_xml_text(content: bytes) -> str:
    """The text of word/document.xml with its XML entities decoded (what Word shows)."""
    doc = Document(io.BytesIO(content))
    runs = [p.text for p in doc.paragraphs]
    runs += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("word/document.xml").decode()
    assert "<script" not in xml  # the markup is character data, never an element
    return "\n".join(runs)


def _shown(name: str, text: str, payloads: list[str]) -> None:
    text = _flat(text)
    shown = [p for p in payloads if _flat(p) in text]
    tally("markup in PDF/Word", len(payloads), len(shown))
    assert shown == payloads, (name, [p for p in payloads if p not in shown])


def test_escape_markup_escapes_the_three_characters() -> None:
    assert escape_markup('<b>&amp;"x"</b>') == '&lt;b&gt;&amp;amp;"x"&lt;/b&gt;'


def test_print_document_prints_markup_literally_everywhere() -> None:
    """Title, edition, header, cover lines, headings (also in the table of contents), paragraphs, cells."""
    doc = PrintDocument(title=SCRIPT, edition=MINI_HTML, header=UNCLOSED, cover_lines=(MARKUP,))
    story = [doc.heading(p) for p in PAYLOADS[:3]] + [doc.para(p) for p in PAYLOADS]
    story.append(doc.table([["列", "值"], *[[p, p] for p in PAYLOADS]]))
    text = pypdf_text(doc.build(story, cover=True, toc=True))
    _shown("PrintDocument", text, PAYLOADS[:4])
    assert text.count(_flat(SCRIPT)) >= 4  # cover title, heading, its table of contents entry, paragraph
    assert "粗体" in text and _flat(MINI_HTML) in text  # the <b> and <font> stayed text


def test_survey_report_pdf_and_word() -> None:
    content = survey_reports.Content(
        f"{SCRIPT}汇总报告",
        MINI_HTML,
        [
            ("h", SCRIPT),
            ("p", UNCLOSED),
            ("p", EMOJI),
            ("p", CONTROL),
            ("table", [["题目", "得分"], [MARKUP, "4.5"], [CONTROL, "1"]]),
        ],
    )
    survey = SimpleNamespace(title=SCRIPT, owner_unit=SimpleNamespace(name=MINI_HTML))
    _shown(
        "survey PDF",
        pypdf_text(survey_reports.to_pdf(content, survey)),  # type: ignore[arg-type]
        [SCRIPT, MINI_HTML, UNCLOSED, MARKUP],
    )
    words = docx_xml_text(survey_reports.to_docx(content))
    _shown("survey Word", words, [SCRIPT, MINI_HTML, UNCLOSED, MARKUP, EMOJI])
    assert words.count("控制字符\n换行") == 2  # the controls dropped, the vertical tab a line break


@pytest.fixture
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.usefixtures("_media")
def test_analysis_monthly_report_prints_hostile_demand_titles(cast: Cast, data: dict[str, Any]) -> None:  # noqa: F811
    """The overdue table lists the demands' titles (enterprise-written text) in a reportlab Paragraph."""
    overdue = Demand.objects.exclude(status__in=["closed"]).filter(lead_unit__isnull=False)
    assert overdue.exists()
    Demand.objects.all().update(title=SCRIPT + UNCLOSED + CONTROL)
    report = analysis.generate_report(cast.office, unit("昌吉市"), dt.date(2026, 11, 1))
    text = _flat(pdf_text(report.pdf.read()))
    _shown("analysis PDF", text, [SCRIPT + UNCLOSED])  # (reportlab draws the controls as blanks)
    words = docx_xml_text(report.docx.read())
    _shown("analysis Word", words, [SCRIPT + UNCLOSED + "控制字符换行"])


def test_evaluation_reports_and_round_page(office: Any, rnd: Any) -> None:  # noqa: F811
    """A round named with markup and control characters: unit and summary reports (PDF, Word), its page."""
    from django.test import Client
    from django.urls import reverse

    from qinqing.evaluation import reports
    from qinqing.evaluation.models import Round
    from tests.evaluation.conftest import urumqi_units

    Round.objects.filter(pk=rnd.pk).update(name=SCRIPT + CONTROL)
    rnd = Round.objects.get(pk=rnd.pk)
    unit_ = urumqi_units()[0]
    _shown("evaluation unit PDF", pypdf_text(reports.unit_pdf(rnd, unit_)), [SCRIPT])
    _shown("evaluation summary PDF", pypdf_text(reports.summary_pdf(rnd)), [SCRIPT])
    for name, content in (("unit", reports.unit_docx(rnd, unit_)), ("summary", reports.summary_docx(rnd))):
        words = docx_xml_text(content)
        _shown(f"evaluation {name} Word", words, [SCRIPT])
        assert "控制字符\n换行" in words, name
    client = Client()
    client.force_login(office)
    html = client.get(reverse("evaluation:round", args=[rnd.pk])).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.usefixtures("_media")
def test_portal_brochure_and_guide(reviewer: Any, editor: Any, cj_dispatcher: Any) -> None:  # noqa: F811
    """A published project and a policy written with markup: the brochure and the guide (PDF and Word)."""
    from qinqing.portal import publications, services, snapshot
    from qinqing.portal.models import ContentKind
    from tests.portal.conftest import POLICY_DATA, _fresh_caches, make_project, publish

    _fresh_caches.__wrapped__()  # type: ignore[attr-defined]  # the portal tests' autouse reset of its caches
    make_project(cj_dispatcher, SCRIPT, published=True, summary=MINI_HTML + CONTROL)
    snapshot.sync_projects()
    brochure = publications.generate(
        services.create_edition(reviewer, {"kind": "brochure", "print_run": 100})
    )
    _shown("portal brochure PDF", pypdf_text(brochure.pdf.read()), [SCRIPT, MINI_HTML])
    words = docx_xml_text(brochure.docx.read())
    _shown("portal brochure Word", words, [SCRIPT, MINI_HTML])
    assert "控制字符\n换行" in words
    publish(
        editor, reviewer, ContentKind.POLICY, title=SCRIPT, summary=UNCLOSED, body=MARKUP, data=POLICY_DATA
    )
    _fresh_caches.__wrapped__()  # type: ignore[attr-defined]  # the catalogue as the guide's job reads it
    guide = publications.generate(services.create_edition(reviewer, {"kind": "guide", "print_run": 100}))
    _shown("portal guide PDF", pypdf_text(guide.pdf.read()), [SCRIPT, UNCLOSED, MARKUP])
    _shown("portal guide Word", docx_xml_text(guide.docx.read()), [SCRIPT, UNCLOSED, MARKUP])


def test_every_module_building_paragraphs_or_word_files_uses_the_shared_helpers() -> None:
    """Statically: a module that makes reportlab Paragraphs itself uses ``escape_markup``, one that builds a
    Word document uses ``word_text`` (a new report without them fails here)."""
    from pathlib import Path

    import qinqing

    root = Path(qinqing.__file__).resolve().parent
    sources = {p: p.read_text(encoding="utf-8") for p in root.glob("**/*.py") if "migrations" not in p.parts}
    paragraphs = [p for p, s in sources.items() if "Paragraph(" in s and p.name != "pdf.py"]
    words = [p for p, s in sources.items() if re.search(r"\bDocument\(\)", s)]
    bad = [str(p.relative_to(root)) for p in paragraphs if "escape_markup" not in sources[p]]
    bad += [str(p.relative_to(root)) for p in words if "word_text" not in sources[p]]
    print(
        f"modules making Paragraphs: {len(paragraphs)}, Word documents: {len(words)}; without the helper: {bad}"
    )
    assert len(paragraphs) >= 2 and len(words) >= 4  # 2 and 4 on 2026-12-04
    assert bad == []
