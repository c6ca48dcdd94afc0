"""三级联动: rule-driven escalation proposals, automatic escalation, 疑难, and coordination meetings whose
follow-ups land back in the workflow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from qinqing.demands.models import Demand, DemandEvent, Status, Supervision
from qinqing.liaison import services
from qinqing.liaison.models import (
    EscalationMode,
    EscalationProposal,
    FollowUp,
    MeetingKind,
    ProposalStatus,
)
from qinqing.liaison.services import FollowUpData, MeetingData
from tests.factories import unit
from tests.liaison.conftest import Cast, act, at, drive, submit_demand

D = dt.date


def township_demand(cast: Cast) -> Demand:
    d = submit_demand(
        cast, enterprise=cast.ent3, title="厂区门前道路破损", description="园区道路坑洼，货车难以进出。"
    )
    return drive(cast, d, "handling", lead="榆树沟镇")


def test_overdue_demand_is_proposed_to_the_next_level_once(cast: Cast, clock: Any) -> None:
    d = township_demand(cast)
    assert d.handle_due_at is not None
    # Accepted Mon 2026-11-23: 求助 = 10 working days → due end of 2026-12-07.
    assert d.handle_due_at.astimezone(d.handle_due_at.tzinfo).date() == D(2026, 12, 7)
    clock.set(at(2026, 12, 14))  # 5 working days overdue: not yet more than 5
    assert services.sweep_escalations() == {"proposed": 0, "escalated": 0}
    clock.set(at(2026, 12, 15))  # 6 working days overdue
    assert services.sweep_escalations() == {"proposed": 1, "escalated": 0}
    assert services.sweep_escalations() == {"proposed": 0, "escalated": 0}
    p = EscalationProposal.objects.get()
    assert (p.from_unit.name, p.to_unit.name, p.level, p.reasons) == (
        "榆树沟镇",
        "昌吉市营商环境服务中心",
        3,
        ["overdue"],
    )
    assert p.detail == "超期6个工作日（规则：超过5个）"
    assert p.status == ProposalStatus.PROPOSED
    d.refresh_from_db()
    assert (d.status, d.lead_unit.name) == (Status.HANDLING, "榆树沟镇")  # nothing moves until decided


def test_next_level_dispatcher_escalates(cast: Cast, clock: Any) -> None:
    d = township_demand(cast)
    clock.set(at(2026, 12, 15))
    services.sweep_escalations()
    p = EscalationProposal.objects.get()
    with pytest.raises(PermissionDenied):
        services.decide_proposal(cast.pref, p.pk, escalate=True)
    with pytest.raises(ValidationError) as exc:
        services.decide_proposal(cast.office, p.pk, escalate=False)
    assert exc.value.message_dict == {"note": ["请说明不予提级的理由"]}
    services.decide_proposal(cast.office, p.pk, escalate=True, note="由市里统筹协调")
    d.refresh_from_db()
    assert (d.status, d.lead_unit, d.coordinating_unit.name, d.escalation_count) == (
        Status.ACCEPTED,
        None,
        "昌吉市营商环境服务中心",
        1,
    )
    event = DemandEvent.objects.filter(demand=d).last()
    assert event is not None
    assert (event.action, event.note, event.actor) == (
        "escalate",
        "提级至昌吉市营商环境服务中心：由市里统筹协调",
        cast.office,
    )
    p.refresh_from_db()
    assert (p.status, p.decided_by) == (ProposalStatus.ESCALATED, cast.office)
    with pytest.raises(ValidationError):
        services.decide_proposal(cast.office, p.pk, escalate=True)


def test_dismissed_proposal_stays_dismissed(cast: Cast, clock: Any) -> None:
    township_demand(cast)
    clock.set(at(2026, 12, 15))
    services.sweep_escalations()
    p = EscalationProposal.objects.get()
    services.decide_proposal(cast.office, p.pk, escalate=False, note="镇里已有方案，本周完成")
    clock.set(at(2026, 12, 16))
    assert services.sweep_escalations() == {"proposed": 0, "escalated": 0}
    p.refresh_from_db()
    assert (p.status, p.decision_note) == (ProposalStatus.DISMISSED, "镇里已有方案，本周完成")


def test_redone_twice_is_escalated_automatically_up_the_ladder(cast: Cast, clock: Any) -> None:
    services.set_escalation_rule(
        cast.pref, level=2, overdue_days=5, redo_count=2, on_difficult=True, mode=EscalationMode.AUTOMATIC
    )
    d = drive(cast, submit_demand(cast), "replied")
    act(cast.ent_user, d, "rate", rating=1)
    act(cast.nr_head, d, "reply", outcome="resolved", text="再次答复。")
    act(cast.ent_user, d, "rate", rating=2)
    assert (d.status, d.redo_count) == (Status.HANDLING, 2)
    assert services.sweep_escalations() == {"proposed": 0, "escalated": 1}
    d.refresh_from_db()
    # 部门 → 县市: the county department's demand goes to 昌吉市's office.
    assert (d.status, d.coordinating_unit.name, d.lead_unit, d.escalation_count) == (
        Status.ACCEPTED,
        "昌吉市营商环境服务中心",
        None,
        1,
    )
    event = DemandEvent.objects.filter(demand=d, action="escalate").get()
    assert (event.actor, event.actor_name) == (None, "系统")
    # Still redone twice, now held by the county office: 县市 → 州.
    assert services.sweep_escalations() == {"proposed": 0, "escalated": 1}
    d.refresh_from_db()
    assert (d.coordinating_unit.name, d.escalation_count) == ("昌吉州营商环境服务中心", 2)
    # The prefecture is the top of the ladder: nothing further.
    assert services.sweep_escalations() == {"proposed": 0, "escalated": 0}
    assert list(
        EscalationProposal.objects.order_by("id").values_list("from_unit__name", "to_unit__name", "automatic")
    ) == [
        ("昌吉市自然资源局", "昌吉市营商环境服务中心", True),
        ("昌吉市营商环境服务中心", "昌吉州营商环境服务中心", True),
    ]


def test_difficult_mark_proposes_at_once(cast: Cast, clock: Any) -> None:
    d = township_demand(cast)
    with pytest.raises(Http404):
        services.mark_difficult(cast.nr_head, d.pk, reason="x")  # not in its scope
    with pytest.raises(PermissionDenied):
        services.mark_difficult(cast.office, d.pk, reason="x")  # sees it, but does not hold it
    with pytest.raises(ValidationError) as exc:
        services.mark_difficult(cast.town_head, d.pk, reason=" ")
    assert exc.value.message_dict == {"reason": ["请说明疑难原因"]}
    services.mark_difficult(cast.town_head, d.pk, reason="涉及住建、交通多个部门，镇里无法协调")
    p = EscalationProposal.objects.get()
    assert (p.reasons, p.to_unit.name, p.detail) == (
        ["difficult"],
        "昌吉市营商环境服务中心",
        "承办单位标记为疑难",
    )


def test_difficult_mark_ignored_when_rule_says_so(cast: Cast, clock: Any) -> None:
    services.set_escalation_rule(
        cast.pref, level=3, overdue_days=5, redo_count=2, on_difficult=False, mode=EscalationMode.PROPOSE
    )
    d = township_demand(cast)
    services.mark_difficult(cast.town_head, d.pk, reason="需上级协调")
    assert EscalationProposal.objects.count() == 0


def test_meeting_follow_ups_land_in_the_workflow(cast: Cast, clock: Any) -> None:
    escalated = township_demand(cast)
    services.mark_difficult(cast.town_head, escalated.pk, reason="涉及多个部门")
    services.decide_proposal(cast.office, EscalationProposal.objects.get().pk, escalate=True)
    handling = drive(cast, submit_demand(cast, title="供水管网压力不足"), "handling")
    meeting = services.record_meeting(
        cast.office,
        MeetingData(
            kind=MeetingKind.COORDINATION,
            title="榆树沟镇道路问题协调会",
            held_on=D(2026, 11, 23),
            decisions="一、住建局牵头修复道路；二、自然资源局加快供水管网审批。",
            chair="市领导",
            units_present=[unit("昌吉市住房和城乡建设局"), unit("昌吉市自然资源局"), unit("榆树沟镇")],
            demands=[escalated, handling],
            follow_ups=[
                FollowUpData(
                    demand=escalated,
                    action="12月底前完成道路修复",
                    lead_unit=unit("昌吉市住房和城乡建设局"),
                    assisting_units=[unit("榆树沟镇")],
                ),
                FollowUpData(demand=handling, action="一周内完成审批"),
            ],
        ),
    )
    assert (meeting.level, meeting.unit.name) == (2, "昌吉市")
    escalated.refresh_from_db()
    assert (escalated.status, escalated.lead_unit.name) == (Status.DISPATCHED, "昌吉市住房和城乡建设局")
    assert list(escalated.assists.values_list("unit__name", flat=True)) == ["榆树沟镇"]
    dispatch = DemandEvent.objects.filter(demand=escalated, action="dispatch").last()
    assert dispatch is not None and dispatch.note == "榆树沟镇道路问题协调会议定：12月底前完成道路修复"
    remind = Supervision.objects.get(demand=handling)
    assert (remind.kind, remind.note) == ("remind", "榆树沟镇道路问题协调会议定：一周内完成审批")
    assert list(FollowUp.objects.order_by("id").values_list("kind", flat=True)) == ["dispatch", "remind"]
    assert set(meeting.units_present.values_list("name", flat=True)) == {
        "昌吉市住房和城乡建设局",
        "昌吉市自然资源局",
        "榆树沟镇",
    }


def test_meeting_refusals_save_nothing(cast: Cast, clock: Any) -> None:
    closed = drive(cast, submit_demand(cast), "closed")
    with pytest.raises(ValidationError) as exc:
        services.record_meeting(
            cast.office,
            MeetingData(
                kind=MeetingKind.JOINT,
                title="联席会议",
                held_on=D(2026, 11, 23),
                decisions="议定",
                demands=[closed],
                follow_ups=[FollowUpData(demand=closed, action="再办")],
            ),
        )
    assert exc.value.message_dict == {"follow_ups.1": ["落实事项1：诉求当前状态为“已办结”，不能催办"]}
    from qinqing.liaison.models import Meeting

    assert Meeting.objects.count() == 0
    with pytest.raises(PermissionDenied):
        services.record_meeting(
            cast.town_head,
            MeetingData(kind=MeetingKind.COORDINATION, title="x", held_on=D(2026, 11, 23), decisions="y"),
        )
