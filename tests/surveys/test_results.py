"""Indices with intervals, ranking with overlaps, the 满意度 share, and the small-cell rule on every output:
pages, API, exports, reports."""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal
from typing import Any

import pypdf
import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from qinqing.accounts.models import User
from qinqing.core.metrics import Period, get_metric
from qinqing.surveys import exports, queries, reports, spss
from qinqing.surveys.models import Survey, SurveyReport
from qinqing.surveys.stats import Estimate, apply_small_cells, t975
from tests.factories import unit
from tests.surveys.conftest import add_responses

# 昌吉市 6 responses, 阜康市 5, 呼图壁县 2 (below k = 5), the rest none
CJ = [5, 5, 4, 4, 4, 3]  # points 100 100 80 80 80 60 → mean 83.33
FK = [3, 3, 2, 3, 4]  # 60 60 30 60 80 → mean 58
HTB = [1, 1]


@pytest.fixture
def answered(survey: Survey) -> Survey:
    add_responses(survey, "昌吉市", CJ, text="审批窗口服务很好，联系我13912345678 张科长")
    add_responses(survey, "阜康市", FK, stratum="micro")
    add_responses(survey, "呼图壁县", HTB)
    return survey


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_t_interval() -> None:
    values = [100, 100, 80, 80, 80, 60]
    e = Estimate.of_values(values)
    mean = sum(values) / 6
    s = math.sqrt(sum((v - mean) ** 2 for v in values) / 5)
    assert e.mean == pytest.approx(83.333, abs=1e-3)
    assert e.low == pytest.approx(mean - 2.571 * s / math.sqrt(6))
    assert e.high == pytest.approx(mean + 2.571 * s / math.sqrt(6))
    assert t975(120) == pytest.approx(1.980, abs=1e-3)
    assert t975(1000) == pytest.approx(1.962, abs=1e-3)


def test_small_cells_with_the_secondary_cell() -> None:
    cells = {
        "a": Estimate(6, 1, 1, 1),
        "b": Estimate(5, 1, 1, 1),
        "c": Estimate(2, 1, 1, 1),
        "d": Estimate(0, None, None, None),
    }
    out = apply_small_cells(cells, 5)
    assert [k for k, e in out.items() if e.suppressed] == ["b", "c"]  # c below k; b, the next smallest, too
    assert out["c"].mean is None and out["c"].shown_n is None


def test_results_per_unit_with_interval_ranking_and_share(answered: Survey) -> None:
    res = queries.results(answered, list(answered.units.all()))
    rows = {r.unit.name: r for r in res.units}
    cj, fk, htb = rows["昌吉市"], rows["阜康市"], rows["呼图壁县"]
    assert cj.overall.mean == pytest.approx(500 / 6)
    assert cj.responses == 6 and cj.rank == 1
    assert cj.satisfaction == pytest.approx(100 * 15 / 18)  # 5 of 6 respondents ≥ 满意 on each of 3 items
    assert cj.dimensions["efficiency"].mean == pytest.approx(500 / 6)
    assert htb.overall.suppressed and htb.responses is None and htb.satisfaction is None
    assert fk.overall.suppressed  # the secondary cell: else 呼图壁 = total − 昌吉 − 阜康
    assert res.total.n == 13 and res.total.mean == pytest.approx((500 + 290 + 0) / 13)
    assert cj.overlaps == []  # the only ranked unit


def test_ranking_says_when_intervals_overlap(survey: Survey) -> None:
    add_responses(survey, "昌吉市", [5, 4, 4, 3, 4, 5])
    add_responses(survey, "阜康市", [4, 4, 3, 4, 5, 3])
    add_responses(survey, "奇台县", [2, 1, 2, 1, 2, 2])
    res = queries.results(survey, list(survey.units.all()))
    rows = {r.unit.name: r for r in res.units}
    assert [r.unit.name for r in res.units[:3]] == ["昌吉市", "阜康市", "奇台县"]
    assert rows["昌吉市"].overlaps == ["阜康市"]
    assert rows["阜康市"].overlaps == ["昌吉市"]
    assert rows["奇台县"].overlaps == []


def test_small_cells_on_the_results_page_and_api(answered: Survey, designer: User) -> None:
    c = client_for(designer)
    html = c.get(reverse("surveys:results", args=[answered.pk])).content.decode()
    htb = unit("呼图壁县").pk
    row = html[html.index(f'data-testid="unit-row-{htb}"') :]
    row = row[: row.index("</tr>")]
    assert "样本不足" in row and "0.0" not in row
    data = c.get(reverse("api:survey-results", args=[answered.pk])).json()
    api_rows = {r["unit_name"]: r for r in data["units"]}
    assert api_rows["呼图壁县"]["overall"] == {
        "n": None,
        "mean": None,
        "low": None,
        "high": None,
        "suppressed": True,
    }
    assert api_rows["呼图壁县"]["responses"] is None
    assert api_rows["昌吉市"]["overall"]["n"] == 6
    strata = c.get(reverse("surveys:strata", args=[answered.pk]) + f"?unit={unit('昌吉市').pk}")
    assert strata.status_code == 200


def test_small_cells_in_every_export(answered: Survey) -> None:
    units = list(answered.units.all())
    table = exports.aggregate_table(answered, units)
    by_unit = {row[0]: row for row in table[1:]}
    assert by_unit["呼图壁县"][2] == "" and by_unit["呼图壁县"][5] == "样本不足"
    assert by_unit["昌吉市"][5] == "83.3"
    text = exports.aggregate_csv(answered, units).decode("utf-8-sig")
    assert "样本不足" in text
    raw = list(csv.reader(io.StringIO(exports.raw_csv(answered, units).decode("utf-8-sig"))))
    unit_col = [r[1] for r in raw[1:]]
    assert unit_col.count("昌吉市") == 6
    assert "呼图壁县" not in unit_col and "阜康市" not in unit_col  # pooled, not attributable
    assert unit_col.count(exports.POOLED) == 7
    assert "13912345678" not in exports.raw_csv(answered, units).decode("utf-8-sig")
    wb = load_workbook(io.BytesIO(exports.raw_xlsx(answered, units)))
    assert wb["答卷"].max_row == 2 + 13
    variables, cases = spss.read(exports.raw_sav(answered, units))
    assert [v[0] for v in variables[:4]] == ["UNIT", "STRATUM", "DAY", "IDX"]
    assert variables[4][2] == "总体满意度"
    assert len(cases) == 13
    assert sorted({c[0] for c in cases}) == [1.0, 8.0]  # 昌吉市 = 1 … the 7 units without answers, pooled = 8


def test_csv_neutralises_formulas(survey: Survey, head: User) -> None:
    add_responses(survey, "昌吉市", [4] * 5, text='=HYPERLINK("http://x")')
    text = exports.raw_csv(survey, list(survey.units.all())).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    r = client_for(head).get(reverse("surveys:export", args=[survey.pk, "raw", "sav"]))
    assert r.status_code == 200 and r["Content-Type"] == "application/x-spss-sav"


def test_raw_export_needs_its_capability(answered: Survey, designer: User) -> None:
    assert (
        client_for(designer).get(reverse("surveys:export", args=[answered.pk, "raw", "csv"])).status_code
        == 403
    )


def test_unit_report_pdf_and_word(answered: Survey, designer: User) -> None:
    report = reports.generate(designer, answered, unit("昌吉市"))
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(bytes(report.pdf))).pages)
    assert "昌吉市营商环境满意度调查报告" in text
    assert "有效答卷 6 份" in text and "满意度指数 83.3" in text
    assert "139****5678" in text and "13912345678" not in text
    assert "张科长" not in text and "某科长" in text
    import docx

    doc = docx.Document(io.BytesIO(bytes(report.docx)))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "满意度指数 83.3" in body and "13912345678" not in body
    small = reports.generate(designer, answered, unit("呼图壁县"))
    small_text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(bytes(small.pdf))).pages)
    assert "按小样本保护规则不报告分项结果" in small_text
    summary = reports.generate(designer, answered, None)
    s_text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(bytes(summary.pdf))).pages)
    assert "有效答卷 13 份" in s_text and "样本不足" in s_text


def test_all_reports_and_the_metrics(answered: Survey, designer: User) -> None:
    c = client_for(designer)
    r = c.post(reverse("surveys:report_generate", args=[answered.pk]), {"unit": "all"})
    assert r.status_code == 302
    assert SurveyReport.objects.filter(kind="unit").count() == 9
    page = c.get(reverse("surveys:reports", args=[answered.pk]))
    assert page.content.decode().count("PDF</a>") == 10
    report = SurveyReport.objects.get(kind="unit", unit=unit("昌吉市"))
    pdf = c.get(reverse("surveys:report_file", args=[answered.pk, report.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    period = Period(answered.ends_on.replace(month=1, day=1), answered.ends_on.replace(month=12, day=31))
    prefecture = unit("昌吉回族自治州")
    assert get_metric("surveys.reports").compute(prefecture, period) == 9
    assert get_metric("surveys.units_surveyed").compute(prefecture, period) == 3
    assert get_metric("surveys.satisfaction_index").compute(unit("昌吉市"), period) == Decimal("83.33")
    assert get_metric("surveys.satisfaction_index").compute(unit("呼图壁县"), period) is None  # below k
    assert get_metric("surveys.satisfaction_rate").compute(unit("昌吉市"), period) == Decimal("83.33")


def test_crosstab_questions_and_text_pages(
    answered: Survey, designer: User, django_assert_max_num_queries: Any
) -> None:
    c = client_for(designer)
    r = c.get(reverse("surveys:crosstab", args=[answered.pk]) + "?rows=unit&cols=q1")
    table = r.context["table"]
    cj = dict(table.rows)["昌吉市"]
    assert cj == [None, None, None, 0, 0]  # 非常满意 2, 满意 3, 基本满意 1: below k, hidden; zeros shown
    r = c.get(reverse("surveys:questions", args=[answered.pk]))
    dist = r.context["dists"][0]
    assert dist.answered == 6  # only 昌吉市 is shown apart
    r = c.get(reverse("surveys:text", args=[answered.pk]) + "?q=q7&search=窗口")
    assert [t for _, t in r.context["page_obj"]] == ["审批窗口服务很好，联系我139****5678 某科长"] * 6
    assert ("窗口", 6) in r.context["terms"]
    with django_assert_max_num_queries(13):  # constant: one GROUP BY per figure, whatever the data
        c.get(reverse("surveys:results", args=[answered.pk]))
