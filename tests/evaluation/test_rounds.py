"""Rounds: freezing, entry → review → accepted, rescoring, overrides, live fill, Excel import, scoping."""

from __future__ import annotations

import io
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from qinqing.audit.models import AuditEvent
from qinqing.core import metrics
from qinqing.evaluation import importing, services
from qinqing.evaluation.models import IndicatorSystem, Round, UnitScore, Value, ValueOrigin, ValueStatus
from tests.evaluation.conftest import enter_and_accept, urumqi_units, values_of

pytestmark = pytest.mark.django_db


def test_round_freezes_its_system_and_creates_every_cell(rnd: Round, system: IndicatorSystem) -> None:
    system.refresh_from_db()
    assert system.frozen
    assert rnd.values.count() == 11 * 4
    with pytest.raises(ValidationError, match="已被评价轮次使用并冻结"):
        services.save_indicator(
            rnd.created_by,
            system,
            {"name": "x"},
            expected_version=system.version,
            indicator=system.nodes.first(),
        )


def test_a_system_without_bounds_cannot_open_a_round(office: Any) -> None:
    draft = services.import_system(
        office, {"code": "D", "name": "草稿", "children": [{"code": "D.1", "name": "a"}]}, year=2026
    )
    data = services.RoundData(
        "r",
        2026,
        draft,
        office.scope_unit,
        urumqi_units(),
        __import__("datetime").date(2026, 1, 1),
        __import__("datetime").date(2026, 2, 1),
    )
    with pytest.raises(ValidationError) as exc:
        services.create_round(office, data)
    assert "D.1：叶子指标缺少最优值或最差值（best/worst）" in exc.value.messages


def test_only_accepted_values_are_scored_and_each_change_rescores(
    rnd: Round, office: Any, evaluator: Any
) -> None:
    unit = urumqi_units()[0]
    vals = values_of(rnd, unit)
    services.enter_values(
        evaluator, rnd, [services.Entry(vals["T.A.P"].pk, vals["T.A.P"].version, "1")], submit=True
    )
    score = UnitScore.objects.get(round=rnd, unit=unit)
    assert score.overall is None  # in review: not scored yet
    services.transition(office, rnd, [vals["T.A.P"].pk], "accept")
    score.refresh_from_db()
    assert score.overall == D(100)
    enter_and_accept(office, rnd, unit, {"T.A.D": "50.25", "T.B.S": "60"})
    score.refresh_from_db()
    # T.A = (100 + 50)/2 = 75; T.B = 60 (T.B.R missing, excluded); root = (75 + 60)/2
    assert score.score("T.A") == D(75)
    assert score.score("T.B") == D(60)
    assert score.overall == D("67.5")


def test_stale_entry_changes_nothing(rnd: Round, evaluator: Any) -> None:
    unit = urumqi_units()[0]
    v = values_of(rnd, unit)["T.A.P"]
    services.enter_values(evaluator, rnd, [services.Entry(v.pk, v.version, "3")])
    with pytest.raises(services.StaleError):
        services.enter_values(evaluator, rnd, [services.Entry(v.pk, v.version, "4")])
    v.refresh_from_db()
    assert v.value == D(3)


def test_a_bad_cell_saves_no_cell(rnd: Round, evaluator: Any) -> None:
    vals = values_of(rnd, urumqi_units()[0])
    entries = [services.Entry(vals["T.A.P"].pk, 1, "2"), services.Entry(vals["T.A.D"].pk, 1, "十天")]
    with pytest.raises(ValidationError) as exc:
        services.enter_values(evaluator, rnd, entries)
    assert exc.value.message_dict == {str(vals["T.A.D"].pk): ["不是有效的数字"]}
    assert Value.objects.filter(round=rnd, value__isnull=False).count() == 0


def test_return_needs_a_comment_and_goes_back_to_entry(rnd: Round, office: Any, evaluator: Any) -> None:
    v = values_of(rnd, urumqi_units()[0])["T.A.P"]
    services.enter_values(evaluator, rnd, [services.Entry(v.pk, v.version, "2")], submit=True)
    with pytest.raises(ValidationError):
        services.transition(office, rnd, [v.pk], "return")
    services.transition(office, rnd, [v.pk], "return", comment="请附营业执照办理记录")
    v.refresh_from_db()
    assert (v.status, v.review_comment) == (ValueStatus.ENTRY, "请附营业执照办理记录")
    assert [c.action for c in v.changes.all()] == ["submit", "return"]


def test_an_evaluator_cannot_accept(rnd: Round, evaluator: Any) -> None:
    v = values_of(rnd, urumqi_units()[0])["T.A.P"]
    services.enter_values(evaluator, rnd, [services.Entry(v.pk, v.version, "2")], submit=True)
    with pytest.raises(PermissionDenied):
        services.transition(evaluator, rnd, [v.pk], "accept")


def test_override_needs_a_reason_and_is_audited(rnd: Round, office: Any) -> None:
    v = values_of(rnd, urumqi_units()[0])["T.B.R"]
    with pytest.raises(ValidationError):
        services.override_value(office, v, "90", reason=" ", expected_version=v.version)
    services.override_value(office, v, "90", reason="按州政务服务中心台账更正", expected_version=v.version)
    v.refresh_from_db()
    assert (v.value, v.status, v.origin) == (D(90), ValueStatus.ACCEPTED, ValueOrigin.OVERRIDE)
    event = AuditEvent.objects.filter(object_type="evaluation.value", object_id=str(v.pk)).get()
    assert event.changes["value"] == [None, "90.000000"]
    assert "按州政务服务中心台账更正" in event.detail


@pytest.fixture
def live_metric() -> Any:
    calls: list[tuple[str, int]] = []

    @metrics.register_metric("test.live_rate", "测试按时率", unit="%", definition="test")
    def live(unit: Any, period: metrics.Period) -> D | None:
        calls.append((unit.name, period.start.year))
        return None if unit.name == "达坂城区" else D("87.5")

    yield calls
    metrics._unregister_for_tests("test.live_rate")


def test_live_fill_reads_the_metric_for_the_unit_and_year(rnd: Round, office: Any, live_metric: Any) -> None:
    counts = services.fill_live(office, rnd)
    assert counts == {"filled": 10, "missing": 1, "kept": 0}
    assert ("天山区", 2026) in live_metric
    v = Value.objects.get(round=rnd, unit__name="天山区", indicator__code="T.B.R")
    assert (v.value, v.origin, v.status, v.metric) == (
        D("87.5"),
        ValueOrigin.LIVE,
        ValueStatus.REVIEW,
        "test.live_rate",
    )
    assert v.source_document == "亲清平台实时数据 test.live_rate（2026年）"
    gap = Value.objects.get(round=rnd, unit__name="达坂城区", indicator__code="T.B.R")
    assert gap.value is None
    assert gap.missing_reason == "平台指标 test.live_rate 在2026年无数据（无可计算的记录）"


def test_an_unregistered_metric_leaves_the_value_missing_with_the_reason(rnd: Round, office: Any) -> None:
    metrics._unregister_for_tests("test.live_rate")
    services.fill_live(office, rnd)
    v = Value.objects.get(round=rnd, unit__name="天山区", indicator__code="T.B.R")
    assert v.value is None
    assert v.missing_reason == "平台指标 test.live_rate 不可用：no such metric"


def test_an_override_survives_the_next_fill(rnd: Round, office: Any, live_metric: Any) -> None:
    v = Value.objects.get(round=rnd, unit__name="天山区", indicator__code="T.B.R")
    services.override_value(office, v, "70", reason="口径调整", expected_version=v.version)
    services.fill_live(office, rnd)
    v.refresh_from_db()
    assert v.value == D(70)


def _xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_import_with_a_bad_row_leaves_nothing(rnd: Round, evaluator: Any) -> None:
    content = _xlsx(
        [
            ["单位", "指标代码", "数值", "资料来源", "备注"],
            ["天山区", "T.A.P", 3, "政务服务中心", ""],
            ["天山区", "T.A.X", 3, "", ""],
            ["不存在区", "T.A.P", 3, "", ""],
            ["新市区", "T.A.D", "abc", "", ""],
        ]
    )
    result = importing.import_values(evaluator, rnd, "grid.xlsx", content)
    assert result.errors == [
        (3, "指标代码“T.A.X”不是本体系的叶子指标"),
        (4, "单位“不存在区”不在本次评价中"),
        (5, "数值“abc”不是数字"),
    ]
    assert Value.objects.filter(round=rnd, value__isnull=False).count() == 0


def test_import_saves_every_row(rnd: Round, evaluator: Any) -> None:
    content = _xlsx(
        [
            ["单位", "指标代码", "数值", "资料来源", "备注"],
            ["天山区", "T.A.P", 3, "台账", "x"],
            ["新市区", "T.A.D", 2.5, "", ""],
        ]
    )
    result = importing.import_values(evaluator, rnd, "grid.xlsx", content)
    assert (result.ok, result.saved) == (True, 2)
    v = Value.objects.get(round=rnd, unit__name="新市区", indicator__code="T.A.D")
    assert (v.value, v.origin) == (D("2.5"), ValueOrigin.IMPORTED)


def test_an_evaluator_sees_only_the_rounds_they_are_a_member_of(
    rnd: Round, office: Any, make_user: Any
) -> None:
    outsider = make_user("eval_other", unit_name="乌鲁木齐市招商服务局", roles=["evaluator"])
    assert list(Round.objects.visible_to(outsider)) == []
    assert Value.objects.visible_to(outsider).count() == 0
    member = rnd.members.get().user
    assert list(Round.objects.visible_to(member)) == [rnd]
    assert Value.objects.visible_to(member).count() == 44
    changji = make_user("cj_office", unit_name="昌吉州营商环境服务中心", roles=["dispatcher"])
    assert list(Round.objects.visible_to(changji)) == []
    with pytest.raises(PermissionDenied):
        services.fill_live(outsider, rnd)


def test_year_on_year_needs_the_same_bounds(rnd: Round, office: Any, system: IndicatorSystem) -> None:
    import datetime as dt

    from qinqing.evaluation import queries

    copy = services.copy_system(office, system, year=2027)
    data = services.RoundData(
        "2027", 2027, copy, office.scope_unit, urumqi_units(), dt.date(2027, 1, 1), dt.date(2027, 3, 1), rnd
    )
    later = services.create_round(office, data)
    unit = urumqi_units()[0]
    enter_and_accept(office, rnd, unit, {"T.A.P": "1"})
    enter_and_accept(office, later, unit, {"T.A.P": "9.5"})
    r = queries.ranking(later)
    assert r.comparable is True
    row = next(x for x in r.rows if x.unit == unit)
    assert (row.score, row.previous, row.change) == (D(50), D(100), D(-50))
    copy2 = services.copy_system(office, system, year=2028)
    leaf = copy2.nodes.get(code="T.A.P")
    services.save_indicator(office, copy2, {"worst": D(20)}, expected_version=copy2.version, indicator=leaf)
    data = services.RoundData(
        "2028", 2028, copy2, office.scope_unit, urumqi_units(), dt.date(2028, 1, 1), dt.date(2028, 3, 1), rnd
    )
    r2 = queries.ranking(services.create_round(office, data))
    assert r2.comparable is False
    assert (
        r2.notice == "上一轮（2026年乌鲁木齐市营商环境评价）的指标体系或最优/最差值与本轮不同，不显示同比变化"
    )


def test_ranking_ties(rnd: Round, office: Any) -> None:
    from qinqing.evaluation import queries

    a, b, c = urumqi_units()[:3]
    enter_and_accept(office, rnd, a, {"T.A.P": "1"})
    enter_and_accept(office, rnd, b, {"T.A.P": "1"})
    enter_and_accept(office, rnd, c, {"T.A.P": "18"})
    ranks = {r.unit: r.rank for r in queries.ranking(rnd).rows}
    assert (ranks[a], ranks[b], ranks[c]) == (1, 1, 3)


def test_benchmark_distance(rnd: Round, office: Any) -> None:
    from qinqing.evaluation import queries

    unit = urumqi_units()[0]
    enter_and_accept(office, rnd, unit, {"T.A.P": "9.5"})
    leaf = rnd.system.nodes.get(code="T.A.P")
    services.set_benchmark(office, rnd, "全国先进县市", {leaf: "1"})
    card = queries.scorecard(rnd, unit)
    node = next(n for n in card.nodes if n.node.code == "T.A.P")
    assert node.benchmarks == [("全国先进县市", D(1), D(50))]


def test_metrics_of_the_app(rnd: Round, office: Any, june_2026: None) -> None:
    from qinqing.evaluation import reports
    from qinqing.orgs.models import Unit

    city = Unit.objects.get(name="乌鲁木齐市")
    period = metrics.Period.year(2026)
    assert metrics.compute("evaluation.units_evaluated", city, period) == 11
    assert metrics.compute("evaluation.reports", city, period) == 0
    unit = urumqi_units()[0]
    reports.unit_report(office, rnd, unit, "pdf")
    reports.unit_report(office, rnd, unit, "docx")
    assert metrics.compute("evaluation.reports", city, period) == 1
    assert metrics.compute("evaluation.units_evaluated", city, metrics.Period.year(2025)) == 0


# --- REAL PLATFORM METRIC: demands.ontime_rate (registered by src/qinqing/demands/metrics.py) ----------
@pytest.fixture
def june_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from django.utils import timezone

    pinned = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: pinned)


def test_live_fill_from_the_real_demands_ontime_rate(office: Any, june_2026: None) -> None:
    """Against the real metric: demands built with tests/demands/builders.py, 3 of 4 closed on time → 75 %."""
    import datetime as dt

    from qinqing.demands.models import Demand, Status
    from qinqing.enterprises.models import Enterprise
    from qinqing.orgs.models import Unit
    from tests.demands.builders import make_demand
    from tests.factories import EnterpriseFactory

    assert metrics.get_metric("demands.ontime_rate").available
    tianshan = Unit.objects.get(name="天山区")
    enterprise: Enterprise = EnterpriseFactory(registered_unit=tianshan)
    for on_time in (True, True, True, False):
        d = make_demand(tianshan, enterprise)
        Demand.objects.filter(pk=d.pk).update(
            status=Status.CLOSED, closed_on_time=on_time, accept_decided_at=d.created_at
        )
    system = services.import_system(
        office,
        {
            "code": "LIVE",
            "name": "实时数据",
            "children": [
                {
                    "code": "LIVE.R",
                    "name": "涉企诉求按时办结率",
                    "unit": "%",
                    "better": "higher",
                    "best": 100,
                    "worst": 0,
                    "source": "metric",
                    "metric": "demands.ontime_rate",
                }
            ],
        },
        year=2026,
    )
    rnd = services.create_round(
        office,
        services.RoundData(
            "实时",
            2026,
            system,
            office.scope_unit,
            urumqi_units(),
            dt.date(2026, 1, 1),
            dt.date(2026, 12, 31),
        ),
    )
    services.fill_live(office, rnd)
    v = Value.objects.get(round=rnd, unit=tianshan)
    assert (v.value, v.origin, v.metric) == (D("75.000000"), ValueOrigin.LIVE, "demands.ontime_rate")
    other = Value.objects.get(round=rnd, unit__name="新市区")
    assert other.value is None
    assert other.missing_reason == "平台指标 demands.ontime_rate 在2026年无数据（无可计算的记录）"


def test_submitting_the_grid_sends_only_filled_cells(rnd: Round, evaluator: Any) -> None:
    vals = values_of(rnd, urumqi_units()[0])
    entries = [services.Entry(v.pk, v.version, "3" if code == "T.A.P" else "") for code, v in vals.items()]
    changed = services.enter_values(evaluator, rnd, entries, submit=True)
    assert [v.indicator.code for v in changed] == ["T.A.P"]
    statuses = dict(
        Value.objects.filter(round=rnd, unit=urumqi_units()[0]).values_list("indicator__code", "status")
    )
    assert statuses == {"T.A.P": "review", "T.A.D": "entry", "T.B.R": "entry", "T.B.S": "entry"}
