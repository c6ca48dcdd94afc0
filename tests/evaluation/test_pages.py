"""Pages, reports (text read back from the PDF) and the API."""

from __future__ import annotations

import io
import json
from decimal import Decimal as D
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from qinqing.evaluation import services
from qinqing.evaluation.models import IndicatorSystem, ReformMeasure, Round, UnitScore, Value, ValueStatus
from tests.evaluation.conftest import enter_and_accept, urumqi_units, values_of

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def scored(rnd: Round, office: Any) -> Round:
    for i, unit in enumerate(urumqi_units()):
        enter_and_accept(office, rnd, unit, {"T.A.P": str(1 + i), "T.A.D": "10", "T.B.S": str(90 - i)})
    ReformMeasure.objects.create(topic="T.A", title="企业开办一网通办", text="整合开办环节。")
    return rnd


def test_home_lists_rounds_and_systems(rnd: Round, office: Any, evaluator: Any) -> None:
    page = login(office).get(reverse("evaluation:home"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "2026年乌鲁木齐市营商环境评价" in text and "测试体系" in text
    assert 'data-testid="systems"' not in login(evaluator).get(reverse("evaluation:home")).content.decode()


def test_tree_editor_adds_and_edits_a_node(office: Any, system: IndicatorSystem) -> None:
    c = login(office)
    parent = system.nodes.get(code="T.A")
    r = c.post(
        reverse("evaluation:indicator_save", args=[system.pk]),
        {
            "version": system.version,
            "parent": parent.pk,
            "code": "T.A.C",
            "name": "费用",
            "weight": "1",
            "unit": "%",
            "better": "lower",
            "best": "0",
            "worst": "200",
            "source": "entered",
        },
    )
    assert r.status_code == 302
    node = system.nodes.get(code="T.A.C")
    assert (node.parent_id, node.worst) == (parent.pk, D(200))
    stale = c.post(
        reverse("evaluation:indicator_save", args=[system.pk]),
        {
            "version": system.version,
            "indicator": node.pk,
            "code": "T.A.C",
            "name": "费用2",
            "weight": "1",
            "source": "entered",
            "better": "lower",
            "best": "0",
            "worst": "200",
        },
        follow=True,
    )
    assert "该数据已被他人修改" in stale.content.decode()
    page = c.get(reverse("evaluation:system", args=[system.pk]))
    assert "T.A.C 费用" in page.content.decode()
    export = json.loads(c.get(reverse("evaluation:system_export", args=[system.pk])).content)
    assert export["children"][0]["children"][2] == {
        "code": "T.A.C",
        "name": "费用",
        "unit": "%",
        "better": "lower",
        "best": 0,
        "worst": 200,
    }


def test_entry_grid_one_unit_then_review(rnd: Round, office: Any, evaluator: Any) -> None:
    unit = urumqi_units()[0]
    vals = values_of(rnd, unit)
    url = reverse("evaluation:entry", args=[rnd.pk]) + f"?unit={unit.pk}"
    c = login(evaluator)
    assert c.get(url).status_code == 200
    post = {f"v{v.pk}": "" for v in vals.values()} | {f"ver{v.pk}": v.version for v in vals.values()}
    post |= {f"v{vals['T.A.P'].pk}": "2", f"doc{vals['T.A.P'].pk}": "政务服务中心台账", "action": "submit"}
    assert c.post(url, post).status_code == 302
    v = Value.objects.get(pk=vals["T.A.P"].pk)
    assert (v.value, v.status, v.source_document) == (D(2), ValueStatus.REVIEW, "政务服务中心台账")
    review = reverse("evaluation:review", args=[rnd.pk])
    assert (
        login(evaluator).post(review, {"value": [v.pk], "action": "accept"}, follow=True).status_code == 200
    )
    assert Value.objects.get(pk=v.pk).status == ValueStatus.REVIEW  # an evaluator cannot accept
    login(office).post(review, {"value": [v.pk], "action": "accept"})
    assert Value.objects.get(pk=v.pk).status == ValueStatus.ACCEPTED
    assert UnitScore.objects.get(round=rnd, unit=unit).score("T.A.P") == D(100) * 16 / 17


def test_entry_grid_one_indicator_row(rnd: Round, evaluator: Any) -> None:
    leaf = rnd.system.nodes.get(code="T.B.S")
    page = login(evaluator).get(reverse("evaluation:entry", args=[rnd.pk]) + f"?indicator={leaf.pk}")
    assert page.status_code == 200
    assert page.content.decode().count('aria-label="T.B.S 数值"') == 11


def test_ranking_page_query_count(scored: Round, office: Any, django_assert_max_num_queries: Any) -> None:
    c = login(office)
    url = reverse("evaluation:ranking", args=[scored.pk])
    c.get(url)
    with django_assert_max_num_queries(12):
        page = c.get(url)
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="ranking-data"' in text and "<script>" not in text.replace(
        '<script type="application/json"', ""
    )


def test_scorecard_drill_down(scored: Round, office: Any) -> None:
    unit = urumqi_units()[0]
    page = login(office).get(reverse("evaluation:scorecard", args=[scored.pk, unit.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    v = Value.objects.get(round=scored, unit=unit, indicator__code="T.A.P")
    assert reverse("evaluation:value", args=[v.pk]) in text
    detail = login(office).get(reverse("evaluation:value", args=[v.pk])).content.decode()
    assert "变更记录" in detail and "submit" in detail


def test_unit_report_pdf_text(scored: Round, office: Any) -> None:
    unit = urumqi_units()[0]
    r = login(office).get(reverse("evaluation:unit_report", args=[scored.pk, unit.pk, "pdf"]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    text = "".join(p.extract_text() for p in reader.pages)
    overall = UnitScore.objects.get(round=scored, unit=unit).overall
    assert overall is not None
    assert f"综合得分 {overall:.2f} 分，第1名（共11个参评单位）" in text.replace("\n", "")
    assert "短板指标与前沿距离" in text
    assert "企业开办一网通办" in text
    assert "第 2 页" in reader.pages[1].extract_text()


def test_unit_report_docx_and_summary(scored: Round, office: Any) -> None:
    from docx import Document

    unit = urumqi_units()[0]
    c = login(office)
    r = c.get(reverse("evaluation:unit_report", args=[scored.pk, unit.pk, "docx"]))
    doc = Document(io.BytesIO(r.content))
    assert doc.paragraphs[0].text == f"2026年乌鲁木齐市营商环境评价：{unit.name}评价报告"
    s = c.get(reverse("evaluation:summary_report", args=[scored.pk, "pdf"]))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(s.content)).pages)
    assert "本次评价共11个县市区和园区" in text
    assert c.get(reverse("evaluation:summary_report", args=[scored.pk, "docx"])).status_code == 200


def test_out_of_round_evaluator_gets_404(rnd: Round, make_user: Any) -> None:
    outsider = make_user("eval_x", unit_name="乌鲁木齐市招商服务局", roles=["evaluator"])
    c = login(outsider)
    assert c.get(reverse("evaluation:round", args=[rnd.pk])).status_code == 404
    v = rnd.values.first()
    assert v is not None
    assert c.get(reverse("evaluation:value", args=[v.pk])).status_code == 404


# --- API ----------------------------------------------------------------------------------------------
def test_api_values_enter_and_review(rnd: Round, office: Any, evaluator: Any, api_client: Any) -> None:
    unit = urumqi_units()[0]
    v = values_of(rnd, unit)["T.A.P"]
    api_client.force_authenticate(evaluator)
    url = reverse("api:evaluation-value-detail", args=[v.pk])
    r = api_client.patch(url, {"value": "1", "version": v.version, "submit": True}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "review"
    stale = api_client.patch(url, {"value": "2", "version": v.version}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    api_client.force_authenticate(office)
    t = api_client.post(
        reverse("api:evaluation-value-transition", args=[v.pk]),
        {"action": "accept", "version": r.json()["version"]},
        format="json",
    )
    assert t.json()["status"] == "accepted"
    scores = api_client.get(
        reverse("api:evaluation-round-scores", args=[rnd.pk]), {"indicator": "T.A"}
    ).json()
    assert scores["rows"][0] == {
        "unit": unit.pk,
        "unit_name": unit.name,
        "score": "100.0000000000",
        "rank": 1,
        "change": None,
    }


def test_api_list_query_count(
    rnd: Round, office: Any, api_client: Any, django_assert_num_queries: Any
) -> None:
    api_client.force_authenticate(office)
    url = reverse("api:evaluation-value-list")
    api_client.get(url, {"round": rnd.pk})
    with django_assert_num_queries(3):
        r = api_client.get(url, {"round": rnd.pk})
    assert r.json()["count"] == 44


def test_api_system_import_and_errors(office: Any, api_client: Any) -> None:
    api_client.force_authenticate(office)
    url = reverse("api:evaluation-system-import")
    bad = api_client.post(
        url,
        {
            "system": {
                "code": "X",
                "name": "x",
                "children": [{"code": "A", "name": "a", "best": 1, "worst": 1}],
            }
        },
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["fields"]["system"] == ["A：最优值与最差值相同（best = worst）"]
    ok = api_client.post(
        url,
        {
            "year": 2030,
            "system": json.loads((services.trees.SHIPPED["doing_business"]).read_text(encoding="utf-8")),
        },
        format="json",
    )
    assert ok.status_code == 201
    export = api_client.get(reverse("api:evaluation-system-export", args=[ok.json()["id"]])).json()
    assert export["code"] == "DB.SB" and len(export["children"]) == 4


def test_api_report_and_evidence(rnd: Round, evaluator: Any, api_client: Any) -> None:
    api_client.force_login(evaluator)  # a session login: the report needs a recent re-authentication
    unit = urumqi_units()[0]
    r = api_client.get(reverse("api:evaluation-round-report", args=[rnd.pk]), {"unit": unit.pk})
    assert r.status_code == 200 and r.content[:4] == b"%PDF"
    v = values_of(rnd, unit)["T.A.P"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = SimpleUploadedFile("台账.pdf", b"%PDF-1.4\n%fake\n", content_type="application/pdf")
    e = api_client.post(
        reverse("api:evaluation-value-evidence", args=[v.pk]),
        {"file": pdf, "note": "原件"},
        format="multipart",
    )
    assert e.status_code == 201, e.content
    assert e.json()["name"] == "台账.pdf"
    wrong = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    bad = api_client.post(
        reverse("api:evaluation-value-evidence", args=[v.pk]), {"file": wrong}, format="multipart"
    )
    assert bad.status_code == 400


def test_round_create_page_freezes_the_system(office: Any, system: IndicatorSystem) -> None:
    units = urumqi_units()
    r = login(office).post(
        reverse("evaluation:round_create"),
        {
            "name": "2026年评价",
            "year": 2026,
            "system": system.pk,
            "units": [u.pk for u in units],
            "starts_on": "2026-09-01",
            "ends_on": "2026-12-31",
        },
    )
    rnd = Round.objects.get(name="2026年评价")
    assert r.status_code == 302 and r["Location"] == reverse("evaluation:round", args=[rnd.pk])
    assert rnd.units.count() == 11 and rnd.owner_unit.name == "乌鲁木齐市"
    system.refresh_from_db()
    assert system.frozen
    page = login(office).get(reverse("evaluation:round", args=[rnd.pk])).content.decode()
    assert page.count("<tr data-unit=") == 11


def test_every_endpoint_is_in_the_openapi_schema() -> None:
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for path in (
        "/api/v1/evaluation/systems/",
        "/api/v1/evaluation/systems/{id}/export/",
        "/api/v1/evaluation/systems/import/",
        "/api/v1/evaluation/rounds/{id}/scores/",
        "/api/v1/evaluation/rounds/{id}/report/",
        "/api/v1/evaluation/rounds/{id}/fill/",
        "/api/v1/evaluation/values/{id}/",
        "/api/v1/evaluation/values/{id}/transition/",
        "/api/v1/evaluation/values/{id}/override/",
        "/api/v1/evaluation/values/{id}/evidence/",
    ):
        assert path in paths, path
    assert "409" in paths["/api/v1/evaluation/values/{id}/"]["patch"]["responses"]


@pytest.mark.parametrize("page", ["round", "entry_unit", "entry_row", "review", "scorecard"])
def test_pages_run_a_fixed_number_of_queries(
    scored: Round, office: Any, page: str, django_assert_max_num_queries: Any
) -> None:
    unit = urumqi_units()[0]
    leaf = scored.system.nodes.get(code="T.B.S")
    urls = {
        "round": reverse("evaluation:round", args=[scored.pk]),
        "entry_unit": reverse("evaluation:entry", args=[scored.pk]) + f"?unit={unit.pk}",
        "entry_row": reverse("evaluation:entry", args=[scored.pk]) + f"?indicator={leaf.pk}",
        "review": reverse("evaluation:review", args=[scored.pk]),
        "scorecard": reverse("evaluation:scorecard", args=[scored.pk, unit.pk]),
    }
    c = login(office)
    c.get(urls[page])
    with django_assert_max_num_queries(16):
        assert c.get(urls[page]).status_code == 200


def test_page_api_and_command_give_the_same_scores(
    scored: Round, office: Any, api_client: Any, tmp_path: Any
) -> None:
    """The round's system JSON and accepted values, scored by the command, equal the stored scores
    that the pages, the reports and the API show."""
    from qinqing.evaluation import scoring
    from qinqing.evaluation.management.commands.evaluation import score_files

    c = login(office)
    system_file = tmp_path / "system.json"
    system_file.write_bytes(c.get(reverse("evaluation:system_export", args=[scored.system.pk])).content)
    values_file = tmp_path / "values.csv"
    values_file.write_bytes(c.get(reverse("evaluation:values_export", args=[scored.pk])).content)
    lines = score_files(system_file, values_file).splitlines()
    assert len(lines) == 1 + 11 * 7
    by_name = {s.unit.name: s for s in UnitScore.objects.filter(round=scored).select_related("unit")}
    for line in lines[1:]:
        unit, code, score = line.split(",")
        assert score == scoring.format_score(by_name[unit].score(code)), line
    api_client.force_authenticate(office)
    rows = api_client.get(reverse("api:evaluation-round-scores", args=[scored.pk])).json()["rows"]
    for row in rows:
        assert f"{row['unit_name']},T,{row['score']}" in lines


def test_home_card_counts_values_awaiting_review(rnd: Round, office: Any, evaluator: Any) -> None:
    from qinqing.evaluation.queries import home_cards

    v = values_of(rnd, urumqi_units()[0])["T.A.P"]
    services.enter_values(evaluator, rnd, [services.Entry(v.pk, v.version, "2")], submit=True)
    cards = home_cards(office)
    assert [(c.label, c.value) for c in cards] == [("评价数据待审核", 1)]
    assert home_cards(evaluator) == []
