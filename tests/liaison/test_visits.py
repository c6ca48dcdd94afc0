"""Visits: each problem becomes a 走访收集 demand linked to the visit; the ledger follows the demand until
it is struck off (closed with a non-negative rating)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from qinqing.demands.models import Channel, Demand, Status
from qinqing.liaison import queries, services
from qinqing.liaison.models import Visit, VisitForm, VisitProblem
from qinqing.liaison.services import VisitData
from tests.factories import unit
from tests.liaison.conftest import Cast, act, problem

D = dt.date


def log(cast: Cast, **kw: Any) -> Visit:
    by = kw.pop("by", None) or cast.changji_leader
    data = VisitData(
        enterprise=kw.pop("enterprise", cast.ent),
        visited_on=kw.pop("visited_on", D(2026, 11, 20)),
        form=kw.pop("form", VisitForm.ON_SITE),
        topics=kw.pop("topics", "生产经营和项目建设"),
        situation=kw.pop("situation", "企业订单饱满，二期项目正在建设。"),
        problems=kw.pop(
            "problems",
            [
                problem("二期用地指标未落实", "二期项目需新增建设用地50亩，用地指标尚未落实。"),
                problem("电力增容申请未批复", "新生产线需电力增容至2000千伏安，申请两个月未批复。", "用电"),
            ],
        ),
        **kw,
    )
    return services.log_visit(by, data)


def test_visit_with_two_problems_creates_two_visit_demands(cast: Cast, clock: Any) -> None:
    upload = SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff\xe0fakejpeg", content_type="image/jpeg")
    visit = log(cast, companions=[cast.office], companions_text="市发改委张科长", files=[upload])
    assert (visit.level, visit.unit.name, visit.leader) == (2, "昌吉市", cast.changji_leader)
    problems = list(visit.problems.select_related("demand"))
    assert [p.position for p in problems] == [1, 2]
    demands = [p.demand for p in problems]
    assert [d.title for d in demands] == ["二期用地指标未落实", "电力增容申请未批复"]
    assert {d.channel for d in demands} == {Channel.VISIT}
    assert {d.status for d in demands} == {Status.SUBMITTED}
    assert {d.receiving_unit.name for d in demands} == {"昌吉市营商环境服务中心"}
    # The enterprise's primary contact is the demand contact.
    assert {(d.contact_name, d.contact_phone) for d in demands} == {("王经理", "13900001111")}
    assert [f.name for f in visit.files.all()] == ["现场.jpg"]
    assert list(visit.companions.all()) == [cast.office]


def test_bad_problem_saves_nothing(cast: Cast, clock: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        log(
            cast,
            problems=[
                problem("标题", "描述"),
                services.ProblemData(title="", description="x", category=None),
            ],
        )
    assert exc.value.message_dict == {
        "problems.2.title": ["问题2：请填写标题"],
        "problems.2.category": ["问题2：请选择诉求分类"],
    }
    assert (Visit.objects.count(), Demand.objects.count()) == (0, 0)


def test_visit_validation_and_permissions(cast: Cast, clock: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        log(cast, enterprise=cast.manas_ent, visited_on=D(2026, 12, 1), form="walk", topics=" ")
    assert exc.value.message_dict == {
        "enterprise": ["请选择本辖区内的企业"],
        "visited_on": ["走访日期不能晚于今天"],
        "form": ["请选择走访形式"],
        "topics": ["请填写走访主题"],
    }
    with pytest.raises(PermissionDenied):
        log(cast, by=cast.handler)
    # An office may log a visit on a leader's behalf; a non-leader cannot be the visiting leader.
    visit = log(cast, by=cast.office, leader=cast.changji_leader, problems=[])
    assert visit.leader == cast.changji_leader and visit.created_by == cast.office
    with pytest.raises(ValidationError) as exc:
        log(cast, by=cast.office, leader=cast.nr_head, problems=[])
    assert exc.value.message_dict == {"leader": ["走访领导须具有“领导”角色"]}


def test_missing_contact_is_reported_per_problem(cast: Cast, clock: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        log(cast, enterprise=cast.ent2, problems=[problem("用工难", "缺少技术工人80人", "用工")])
    assert exc.value.message_dict["problems.1.contact_name"] == ["问题1：请填写联系人"]
    assert Visit.objects.count() == 0
    visit = log(
        cast,
        enterprise=cast.ent2,
        contact_name="赵主任",
        contact_phone="13700002222",
        problems=[problem("用工难", "缺少技术工人80人", "用工")],
    )
    assert visit.problems.get().demand.contact_name == "赵主任"


def test_visit_links_the_active_assignment(cast: Cast, clock: Any) -> None:
    a = services.create_assignment(
        cast.pref,
        services.AssignmentData(leader=cast.changji_leader, start_date=D(2026, 1, 1), enterprise=cast.ent),
    )
    assert log(cast, problems=[]).assignment == a
    assert log(cast, enterprise=cast.ent3, problems=[]).assignment is None


def test_ledger_follows_the_demand_until_struck_off(cast: Cast, clock: Any) -> None:
    visit = log(cast)
    first, second = (p.demand for p in visit.problems.order_by("position"))
    rows = queries.ledger(cast.changji_leader)
    assert [(r.demand.title, r.progress, r.unit.name, r.light) for r in rows] == [
        ("二期用地指标未落实", "待受理", "昌吉市营商环境服务中心", "yellow"),
        ("电力增容申请未批复", "待受理", "昌吉市营商环境服务中心", "yellow"),
    ]
    # The normal workflow: accept, dispatch to 自然资源局, sign, reply; the enterprise rates.
    act(cast.office, first, "accept")
    act(cast.office, first, "dispatch", lead_unit=unit("昌吉市自然资源局"))
    act(cast.nr_head, first, "sign")
    row = next(r for r in queries.ledger(cast.office) if r.demand.pk == first.pk)
    assert (row.progress, row.unit.name) == ("办理中", "昌吉市自然资源局")
    assert row.deadline == first.handle_due_at and row.deadline is not None
    # Per unit: the handling unit's subtree.
    assert [r.demand.pk for r in queries.ledger(cast.office, unit=unit("昌吉市自然资源局"))] == [first.pk]
    act(cast.nr_head, first, "reply", outcome="resolved", text="已落实用地指标。")
    # A negative rating sends it back for redo: not struck off.
    act(cast.ent_user, first, "rate", rating=2)
    assert first.status == Status.HANDLING
    assert first.pk in [r.demand.pk for r in queries.ledger(cast.office)]
    act(cast.nr_head, first, "reply", outcome="resolved", text="已再次协调，指标已下达。")
    act(cast.ent_user, first, "rate", rating=3)
    open_rows = queries.ledger(cast.office)
    assert [r.demand.pk for r in open_rows] == [second.pk]
    struck = queries.ledger(cast.office, state="struck")
    assert [(r.demand.pk, r.progress, r.struck_off, r.light_label) for r in struck] == [
        (first.pk, "已销号", True, "已销号")
    ]
    assert len(queries.ledger(cast.office, state="all")) == 2


def test_ledger_per_leader_and_scope(cast: Cast, clock: Any) -> None:
    log(cast)
    log(cast, by=cast.zhou_leader, problems=[problem("融资难", "续贷需要过桥资金", "融资")])
    assert len(queries.ledger(cast.pref, leader=cast.zhou_leader)) == 1
    assert len(queries.ledger(cast.pref, leader=cast.changji_leader)) == 2
    assert len(queries.ledger(cast.pref)) == 3
    # 昌吉市 office sees the visits to its enterprises, whoever made them.
    assert len(queries.ledger(cast.office)) == 3
    assert queries.ledger(cast.manas_office) == []
    assert VisitProblem.objects.count() == 3
