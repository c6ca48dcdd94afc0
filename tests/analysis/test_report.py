"""The monthly analysis report: PDF and Word with the month's figures, from the service, the command,
the page, and the scheduled job on the 3rd working day."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from docx import Document

from qinqing.analysis import services
from qinqing.analysis.models import AnalysisReport
from qinqing.analysis.report import collect, render_pdf
from qinqing.demands.stats import compute
from tests.analysis.pdftext import pdf_text
from tests.factories import unit
from tests.liaison.conftest import Cast

D = dt.date


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def test_pdf_text_has_the_months_figures(cast: Cast, data: dict[str, Any]) -> None:
    report = services.generate_report(cast.office, unit("昌吉市"), D(2026, 11, 1))
    text = pdf_text(report.pdf.read())
    flat = text.replace("\n", "")
    assert "昌吉市2026年11月营商环境诉求分析月报" in flat
    assert "本月共受理企业诉求4件，环比增长300.0%；办结2件，办结率66.7%" in flat
    for heading in ("一、总体情况", "二、诉求分类", "三、单位排名（红黑榜）", "五、热点词", "八、包联走访"):
        assert heading in flat
    assert "用地指标" in text and "要素保障" in text
    stats = compute(cast.office, unit("昌吉市"), D(2026, 11, 1), D(2026, 11, 30)).total
    assert report.summary == {
        "submitted": stats["submitted"],
        "closed": stats["closed"],
        "close_rate": stats["close_rate"],
        "on_time_close_rate": stats["on_time_close_rate"],
        "satisfaction_rate": stats["satisfaction_rate"],
        "previous_submitted": 1,
        "overdue": 2,
    }


def test_word_document_has_the_same_sections_and_tables(cast: Cast, data: dict[str, Any]) -> None:
    report = services.generate_report(cast.office, unit("昌吉市"), D(2026, 11, 1))
    doc = Document(io.BytesIO(report.docx.read()))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "昌吉市2026年11月营商环境诉求分析月报"
    assert "七、超期诉求" in paragraphs
    assert doc.tables[0].cell(1, 0).text == "提交量" and doc.tables[0].cell(1, 1).text == "4"
    assert [doc.tables[1].cell(1, i).text for i in range(5)] == ["要素保障", "4", "100.0", "1", "300.0"]
    assert len(doc.inline_shapes) == 1  # the category chart


def test_uncompressed_pdf_and_regeneration_replaces(cast: Cast, data: dict[str, Any]) -> None:
    raw = render_pdf(collect(unit("昌吉市"), D(2026, 11, 1)), compress=False)
    assert "营商环境诉求分析月报" in pdf_text(raw).replace("\n", "")
    first = services.generate_report(cast.office, unit("昌吉市"), D(2026, 11, 1))
    second = services.generate_report(cast.office, unit("昌吉市"), D(2026, 11, 1))
    assert first.pk == second.pk and AnalysisReport.objects.count() == 1


def test_report_permissions_and_scope(cast: Cast, data: dict[str, Any]) -> None:
    from django.http import Http404

    with pytest.raises(PermissionDenied):
        services.generate_report(cast.handler, unit("昌吉市"), D(2026, 11, 1))
    with pytest.raises(Http404):
        services.generate_report(cast.office, unit("玛纳斯县"), D(2026, 11, 1))


def test_command_and_page(cast: Cast, data: dict[str, Any], tmp_path: Any) -> None:
    out = io.StringIO()
    call_command(
        "monthly_report", "--unit", "昌吉市", "--month", "2026-11", "--out", str(tmp_path / "out"), stdout=out
    )
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["昌吉市2026年11月诉求分析月报.docx", "昌吉市2026年11月诉求分析月报.pdf"]
    c = Client()
    c.force_login(cast.pref)
    r = c.post(reverse("analysis:reports"), {"unit": unit("昌吉回族自治州").pk, "month": "2026-11"})
    assert r.status_code == 302
    row = AnalysisReport.objects.get(unit=unit("昌吉回族自治州"))
    r = c.get(reverse("analysis:report-file", args=[row.pk, "pdf"]))
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF")
    r = c.post(reverse("analysis:reports"), {"unit": unit("昌吉回族自治州").pk, "month": "2027-01"})
    assert "不能生成未来月份的月报" in r.content.decode()
    county = Client()
    county.force_login(cast.office)
    assert county.get(reverse("analysis:report-file", args=[row.pk, "pdf"])).status_code == 404


def test_scheduled_on_the_third_working_day(cast: Cast, data: dict[str, Any]) -> None:
    assert services.third_working_day(2026, 12) == D(2026, 12, 3)
    # National Day holiday 10-01..10-07; 10-08, 10-09, and Saturday 10-10 is an adjusted working day.
    assert services.third_working_day(2026, 10) == D(2026, 10, 10)
    assert services.scheduled_reports(D(2026, 12, 2)) == 0
    units = services.report_units()
    assert {u.name for u in units} >= {"昌吉回族自治州", "昌吉市", "准东经济技术开发区", "乌鲁木齐市"}
    assert services.scheduled_reports(D(2026, 12, 3)) == len(units)
    assert services.scheduled_reports(D(2026, 12, 4)) == 0
    assert AnalysisReport.objects.filter(month=D(2026, 11, 1)).count() == len(units)
    changji = AnalysisReport.objects.get(unit=unit("昌吉市"), month=D(2026, 11, 1))
    assert changji.generated_by is None and changji.summary["submitted"] == 4
