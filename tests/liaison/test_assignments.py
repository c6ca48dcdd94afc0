"""包联 assignments: validation, the one-target constraint, quota and visit-frequency rules, coverage,
and the all-or-nothing Excel import."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from openpyxl import Workbook

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.audit.models import AuditEvent
from qinqing.investment import services as investment_services
from qinqing.investment.models import IndustryCluster, Project
from qinqing.liaison import queries, services
from qinqing.liaison.models import Assignment, VisitForm
from qinqing.liaison.services import AssignmentData, VisitData
from tests.factories import EnterpriseFactory, make_user, unit
from tests.liaison.conftest import Cast

D = dt.date


START = D(2026, 1, 1)


def assign(cast: Cast, leader: Any, target: Any, start: dt.date = START, **kw: Any) -> Assignment:
    key = "project" if isinstance(target, Project) else "enterprise"
    return services.create_assignment(
        cast.pref, AssignmentData(leader=leader, start_date=start, **{key: target}, **kw)
    )


def make_project(signed: bool = True) -> Project:
    filer = User.objects.filter(username="filer_x").first() or make_user(
        "filer_x", unit_name="昌吉市营商环境服务中心", roles=[Role.STATS_FILER]
    )
    data = {
        "name": "年产10万吨铝合金材料项目",
        "investor_name": "江苏某铝业集团有限公司",
        "investor_origin": "江苏省",
        "source": "province",
        "investor_type": "private",
        "sector": 2,
        "industry_section": "C",
        "industry_division": "32",
        "location_unit": unit("昌吉市"),
        "planned_investment_wan": Decimal("50000"),
        "construction": "new",
        "expected_jobs": 300,
        "cluster": IndustryCluster.objects.get(scheme="changji", name="铝基产业"),
    }
    initial: dict[str, Any] = {"opened_on": D(2026, 1, 1)}
    if signed:
        initial |= {
            "stage": "signed",
            "signed_on": D(2026, 3, 1),
            "contract_type": "formal",
            "contract_amount_wan": Decimal("50000"),
        }
    return investment_services.create_project(filer, data, initial=initial)


def test_assignment_records_level_from_the_leaders_unit_and_is_audited(cast: Cast) -> None:
    a = assign(cast, cast.zhou_leader, cast.ent, commissioner=cast.office)
    b = assign(cast, cast.changji_leader, cast.ent)
    c = assign(cast, cast.town_leader, cast.ent3)
    assert (a.level, b.level, c.level) == (1, 2, 3)
    assert (a.unit.name, a.commissioner) == ("昌吉回族自治州", cast.office)
    assert AuditEvent.objects.filter(object_type="liaison.assignment", action="create").count() == 3


def test_assignment_validation_messages(cast: Cast) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_assignment(
            cast.office,
            AssignmentData(
                leader=cast.office,
                start_date=D(2026, 2, 1),
                enterprise=cast.manas_ent,
                end_date=D(2026, 1, 1),
            ),
        )
    assert exc.value.message_dict == {
        "leader": ["请选择本辖区内角色为“领导”的用户"],
        "enterprise": ["请选择本辖区内的企业"],
        "end_date": ["结束日期不能早于开始日期"],
    }
    with pytest.raises(ValidationError) as exc:
        services.create_assignment(cast.office, AssignmentData(leader=cast.changji_leader, start_date=None))
    assert exc.value.message_dict["enterprise"] == ["请选择一家企业或一个项目（二者选一）"]


def test_overlapping_assignment_is_refused_but_a_later_one_is_fine(cast: Cast) -> None:
    assign(cast, cast.changji_leader, cast.ent, end_date=D(2026, 6, 30))
    with pytest.raises(ValidationError) as exc:
        assign(cast, cast.changji_leader, cast.ent, start=D(2026, 6, 1))
    assert exc.value.message_dict == {"leader": ["该领导在此期间已包联该企业（项目）"]}
    assert assign(cast, cast.changji_leader, cast.ent, start=D(2026, 7, 1)).pk


def test_only_offices_assign(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        services.create_assignment(
            cast.changji_leader,
            AssignmentData(leader=cast.changji_leader, start_date=D(2026, 1, 1), enterprise=cast.ent),
        )


def test_database_holds_exactly_one_target(cast: Cast) -> None:
    project = make_project()
    common = {"leader": cast.changji_leader, "unit": unit("昌吉市"), "level": 2, "start_date": D(2026, 1, 1)}
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(created_by=cast.pref, enterprise=cast.ent, project=project, **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(created_by=cast.pref, **common)


def test_signed_project_gets_a_leader_and_a_task_force(cast: Cast) -> None:
    project = make_project()
    a = assign(cast, cast.changji_leader, project, task_force=[cast.office, cast.nr_head])
    assert a.target == project
    assert set(a.task_force.all()) == {cast.office, cast.nr_head}
    unsigned = make_project(signed=False)
    with pytest.raises(ValidationError) as exc:
        assign(cast, cast.changji_leader, unsigned)
    assert exc.value.message_dict == {"project": ["只有已签约的项目才能安排包联领导和专班"]}
    with pytest.raises(ValidationError) as exc:
        assign(cast, cast.zhou_leader, cast.ent2, task_force=[cast.office])
    assert exc.value.message_dict == {"task_force": ["专班只用于招商项目"]}


def test_quota_default_and_configured(cast: Cast, clock: Any) -> None:
    assign(cast, cast.changji_leader, cast.ent)
    assign(cast, cast.changji_leader, cast.ent2)
    loads = {r.leader.username: r for r in queries.leader_loads(cast.pref, D(2026, 3, 1))}
    assert (loads["changji_leader"].enterprises, loads["changji_leader"].minimum) == (2, 3)
    assert loads["changji_leader"].below_quota and loads["changji_leader"].shortfall == 1
    assert {r.leader.username for r in queries.leaders_below_quota(cast.pref, D(2026, 3, 1))} == {
        "zhou_leader",
        "changji_leader",
        "ysg_leader",
    }
    services.set_liaison_rule(cast.pref, level=2, min_enterprises=2, visit_interval_months=1)
    assert {r.leader.username for r in queries.leaders_below_quota(cast.pref, D(2026, 3, 1))} == {
        "zhou_leader",
        "ysg_leader",
    }
    # An ended assignment no longer counts.
    services.end_assignment(
        cast.pref, Assignment.objects.get(enterprise=cast.ent2).pk, end_date=D(2026, 2, 28)
    )
    loads = {r.leader.username: r for r in queries.leader_loads(cast.pref, D(2026, 3, 1))}
    assert loads["changji_leader"].enterprises == 1
    # A county office sees only its own leaders.
    assert {r.leader.username for r in queries.leader_loads(cast.office, D(2026, 3, 1))} == {
        "changji_leader",
        "ysg_leader",
    }


def test_rule_validation(cast: Cast) -> None:
    with pytest.raises(ValidationError) as exc:
        services.set_liaison_rule(cast.pref, level=2, min_enterprises=3, visit_interval_months=0)
    assert exc.value.message_dict == {"visit_interval_months": ["走访频次应为每 1–12 个月一次"]}


def test_visit_frequency_default_per_level(cast: Cast, clock: Any) -> None:
    assign(cast, cast.zhou_leader, cast.ent, start=D(2026, 1, 10))
    assign(cast, cast.changji_leader, cast.ent2, start=D(2026, 1, 10))
    assign(cast, cast.town_leader, cast.ent3, start=D(2026, 1, 10))
    rows = {r.assignment.leader.username: r for r in queries.visit_schedule(cast.pref, D(2026, 3, 1))}
    # 州级 quarterly, 县级 and 乡级 monthly, counted from the start of the assignment.
    assert rows["zhou_leader"].due == D(2026, 4, 10) and rows["zhou_leader"].state == "ok"
    assert rows["changji_leader"].due == D(2026, 2, 10) and rows["changji_leader"].state == "overdue"
    assert rows["ysg_leader"].due == D(2026, 2, 10) and rows["ysg_leader"].overdue
    # A visit moves the next due date to one interval after it.
    clock.set(dt.datetime(2026, 2, 25, 10, tzinfo=dt.UTC))
    services.log_visit(
        cast.changji_leader,
        VisitData(enterprise=cast.ent2, visited_on=D(2026, 2, 20), form=VisitForm.ON_SITE, topics="生产经营"),
    )
    rows = {r.assignment.leader.username: r for r in queries.visit_schedule(cast.pref, D(2026, 3, 10))}
    assert (rows["changji_leader"].last_visit, rows["changji_leader"].due) == (D(2026, 2, 20), D(2026, 3, 20))
    assert rows["changji_leader"].state == "due" and rows["changji_leader"].days_left == 10
    assert rows["zhou_leader"].state == "ok"
    assert [r.assignment.leader.username for r in queries.visits_due(cast.pref, D(2026, 3, 10))] == [
        "ysg_leader",
        "changji_leader",
    ]
    # Configured: 州级 monthly.
    services.set_liaison_rule(cast.pref, level=1, min_enterprises=3, visit_interval_months=1)
    rows = {r.assignment.leader.username: r for r in queries.visit_schedule(cast.pref, D(2026, 3, 1))}
    assert rows["zhou_leader"].due == D(2026, 2, 10) and rows["zhou_leader"].overdue


def test_enterprises_without_leader_and_summary(cast: Cast, clock: Any) -> None:
    assign(cast, cast.changji_leader, cast.ent)
    names = [e.name for e in queries.enterprises_without_leader(cast.office, D(2026, 3, 1))]
    assert names == ["昌吉市第二纺织有限公司", "榆树沟食品有限公司"]
    summary = queries.coverage_summary(cast.office, D(2026, 3, 1))
    assert (summary.enterprises, summary.covered, summary.coverage_rate) == (3, 1, 0.3333)
    assert (summary.leaders, summary.leaders_below_quota, summary.visits_overdue) == (2, 2, 1)


def _xlsx(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["领导账号", "统一社会信用代码", "项目编号", "开始日期", "结束日期", "服务专员账号", "备注"])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_all_or_nothing_with_every_bad_row(cast: Cast) -> None:
    content = _xlsx(
        [
            ["changji_leader", cast.ent.credit_code, "", "2026-01-01", "", "changji_dispatcher", ""],
            ["nobody", cast.ent2.credit_code, "", "2026-01-01", "", "", ""],
            ["changji_leader", "", "", "2026/13/01", "", "", ""],
            ["changji_leader", cast.manas_ent.credit_code, "", "2026-01-01", "", "", ""],
            ["changji_leader", cast.ent.credit_code, "", "2026-02-01", "", "", ""],
            ["changji_dispatcher", cast.ent3.credit_code, "", "2026-01-01", "2025-01-01", "", ""],
        ]
    )
    result = services.import_assignments(cast.office, "包联.xlsx", content)
    assert [str(e) for e in result.errors] == [
        "第 3 行 领导账号: 本辖区内没有账号“nobody”",
        "第 4 行 统一社会信用代码: 请填写企业统一社会信用代码或项目编号",
        "第 4 行 开始日期: 日期格式应为 2026-01-31",
        f"第 5 行 统一社会信用代码: 本辖区内没有信用代码为“{cast.manas_ent.credit_code}”的企业",
        "第 6 行 领导账号: 与第 2 行重复",
        "第 7 行 领导账号: 请选择本辖区内角色为“领导”的用户",
        "第 7 行 结束日期: 结束日期不能早于开始日期",
    ]
    assert Assignment.objects.count() == 0


def test_import_clean_file_saves_every_row(cast: Cast) -> None:
    code = cast.ent2.credit_code.lower()  # normalised like the enterprise import
    content = _xlsx(
        [
            [
                "changji_leader",
                cast.ent.credit_code,
                "",
                "2026-01-01",
                "2026-12-31",
                "changji_dispatcher",
                "重点企业",
            ],
            ["ysg_leader", code, "", dt.datetime(2026, 2, 1), "", "", ""],
        ]
    )
    result = services.import_assignments(cast.office, "包联.xlsx", content)
    assert (result.ok, result.created) == (True, 2)
    rows = list(
        Assignment.objects.order_by("level").values_list("leader__username", "level", "end_date", "note")
    )
    assert rows == [("changji_leader", 2, D(2026, 12, 31), "重点企业"), ("ysg_leader", 3, None, "")]


def test_csv_import_with_missing_header(cast: Cast) -> None:
    result = services.import_assignments(cast.pref, "a.csv", "领导账号,备注\nchangji_leader,x\n".encode())
    assert [str(e) for e in result.errors] == ["第 1 行 表头: 缺少列：开始日期、统一社会信用代码"]


def test_assignment_to_enterprise_of_other_county_is_out_of_scope(cast: Cast) -> None:
    manas_leader = make_user("manas_leader", unit_name="玛纳斯县", roles=[Role.LEADER])
    ent = EnterpriseFactory(registered_unit=unit("玛纳斯县"))
    a = services.create_assignment(
        cast.manas_office, AssignmentData(leader=manas_leader, start_date=D(2026, 1, 1), enterprise=ent)
    )
    assert not Assignment.objects.visible_to(cast.office).filter(pk=a.pk).exists()
    assert Assignment.objects.visible_to(cast.pref).filter(pk=a.pk).exists()
