"""The transition table, per role and state, and each action's rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from qinqing.audit.models import AuditAction, AuditEvent
from qinqing.demands import services
from qinqing.demands.models import Demand, DemandEvent, Outbox, SlipColour, Status, Supervision
from qinqing.demands.services import ActionRefused, NotAllowed, StaleVersion
from qinqing.demands.workflow import TRANSITIONS, Action, allowed_actions
from tests.demands.conftest import People, act, at, submit
from tests.factories import unit

STATES = ["submitted", "accepted", "dispatched", "handling", "suspended", "replied", "closed", "rejected"]
ACTORS = ["ent", "office", "pref", "lead_head", "handler", "assist", "town_head", "other", "leader"]

# Who may do what in each state (the table read through each actor's relation to the demand).
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("submitted", "ent"): {"supplement"},
    ("submitted", "office"): {"accept", "reject"},
    ("accepted", "ent"): {"supplement"},
    ("accepted", "office"): {"dispatch", "escalate", "remind", "supervise"},
    ("dispatched", "ent"): {"supplement"},
    ("dispatched", "office"): {"remind", "supervise"},
    ("dispatched", "lead_head"): {"sign", "return"},
    ("handling", "ent"): {"supplement"},
    ("handling", "office"): {"approve_extension", "refuse_extension", "follow_up", "remind", "supervise"},
    ("handling", "lead_head"): {"assign", "transfer", "escalate", "request_extension", "suspend", "reply"},
    ("handling", "handler"): {"request_extension", "suspend", "reply"},
    ("handling", "assist"): {"opinion"},
    ("suspended", "ent"): {"supplement"},
    ("suspended", "office"): {"remind", "supervise"},
    ("suspended", "lead_head"): {"resume"},
    ("suspended", "handler"): {"resume"},
    ("replied", "ent"): {"rate"},
    ("replied", "office"): {"follow_up"},
    ("closed", "office"): {"follow_up"},
}


def params(action: str, people: People) -> dict[str, Any]:
    return {
        "assign": {"handler": people.handler2},
        "reject": {"reason": "repeat"},
        "dispatch": {"lead_unit": unit("昌吉市自然资源局")},
        "return": {"reason": "not_duty", "note": "不属于本局职责"},
        "transfer": {"unit": unit("榆树沟镇")},
        "escalate": {"reason": "涉及多个部门，需县级协调"},
        "request_extension": {"days": 3, "reason": "需现场勘验"},
        "refuse_extension": {"note": "理由不充分"},
        "suspend": {"note": "请补充用地红线图"},
        "supplement": {"note": "补充说明：已上传红线图"},
        "opinion": {"text": "同意主办单位意见"},
        "reply": {"outcome": "resolved", "text": "已协调办理完毕。"},
        "rate": {"rating": 5},
        "follow_up": {"note": "电话回访，企业表示满意", "rating": 4},
        "supervise": {"note": "请加快办理", "poor_quality": True},
    }.get(action, {})


def test_table_covers_every_action() -> None:
    assert {a for _, a in TRANSITIONS} == set(Action) - {Action.SUBMIT}


@pytest.mark.parametrize("state", STATES)
def test_allowed_actions_per_role_and_state(state: str, people: People, flow: Callable[..., Demand]) -> None:
    demand = flow(state, assist=[unit("昌吉市住房和城乡建设局")])
    for name in ACTORS:
        user = getattr(people, name)
        got = set(allowed_actions(user, demand))
        assert got == EXPECTED.get((state, name), set()), (state, name)


@pytest.mark.parametrize("state", STATES)
def test_every_refused_action_changes_nothing(
    state: str, people: People, flow: Callable[..., Demand]
) -> None:
    demand = flow(state, assist=[unit("昌吉市住房和城乡建设局")])
    events = DemandEvent.objects.count()
    audits = AuditEvent.objects.count()
    outbox = Outbox.objects.count()
    for name in ACTORS:
        user = getattr(people, name)
        for action in services.HANDLERS:
            if action in EXPECTED.get((state, name), set()):
                continue
            with pytest.raises((NotAllowed, ActionRefused, Http404)):
                services.perform(user, demand.pk, action, demand.version, **params(action, people))
    demand.refresh_from_db()
    assert (DemandEvent.objects.count(), AuditEvent.objects.count(), Outbox.objects.count()) == (
        events,
        audits,
        outbox,
    )


ALLOWED = sorted(
    (state, name, action)
    for (state, name), actions in EXPECTED.items()
    for action in actions
    if action not in {"approve_extension", "refuse_extension", "follow_up"}
)


@pytest.mark.parametrize(("state", "name", "action"), ALLOWED)
def test_every_allowed_action_succeeds(
    state: str, name: str, action: str, people: People, flow: Callable[..., Demand]
) -> None:
    demand = flow(state, assist=[unit("昌吉市住房和城乡建设局")] if action == "opinion" else [])
    before = demand.version
    user = getattr(people, name)
    act(user, demand, action, **params(action, people))
    assert demand.version == before + 1
    event = demand.events.order_by("-id").first()
    assert (
        event is not None
        and event.action == action
        and event.from_status
        == Status(
            {
                "submitted": "submitted",
                "accepted": "accepted",
                "dispatched": "dispatched",
                "handling": "handling",
                "suspended": "suspended",
                "replied": "replied",
                "closed": "closed",
            }[state]
        )
    )
    assert event.to_status == demand.status
    audit = (
        AuditEvent.objects.filter(action=AuditAction.WORKFLOW, object_id=str(demand.pk))
        .order_by("-id")
        .first()
    )
    assert audit is not None and audit.changes["status"] == [state, demand.status]


def test_stale_version_changes_nothing(people: People, flow: Callable[..., Demand]) -> None:
    demand = flow("submitted")
    shown = demand.version
    act(people.office, demand, "accept")
    events = DemandEvent.objects.count()
    with pytest.raises(StaleVersion, match="该诉求已被他人处理，请刷新后重试"):
        services.perform(people.office, demand.pk, "reject", shown, reason="repeat")
    demand.refresh_from_db()
    assert demand.status == Status.ACCEPTED
    assert DemandEvent.objects.count() == events


def test_number_sequence(people: People, clock: Any) -> None:
    clock.set(at(2026, 11, 22, 9))
    a = submit(people)
    b = submit(people)
    clock.set(at(2026, 11, 23, 0, 1))
    c = submit(people)
    assert (a.number, b.number, c.number) == ("SQ202611220001", "SQ202611220002", "SQ202611230001")


def test_submit_validation_is_chinese_and_writes_nothing(people: People) -> None:
    with pytest.raises(ValidationError) as err:
        submit(people, title=" ", description="字" * 4001)
    assert err.value.message_dict == {
        "title": ["请填写标题"],
        "description": ["诉求内容不能超过4000个字（现为4001个字）"],
    }
    assert Demand.objects.count() == 0


def test_staff_submits_on_behalf_for_visible_enterprise_only(people: People) -> None:
    d = submit(people, by=people.office, channel="visit", enterprise=people.enterprise)
    assert (d.channel, d.receiving_unit.name, d.submitted_by) == (
        "visit",
        "昌吉市营商环境服务中心",
        people.office,
    )
    with pytest.raises(ValidationError) as err:
        submit(people, by=people.other_office, channel="visit", enterprise=people.enterprise)
    assert err.value.message_dict == {"enterprise": ["请选择本辖区内的企业"]}


def test_reject_needs_a_listed_reason(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("submitted")
    with pytest.raises(ValidationError) as err:
        act(people.office, d, "reject", reason="dislike")
    assert err.value.message_dict == {"reason": ["请选择不予受理的理由"]}
    act(people.office, d, "reject", reason="litigation", note="已起诉")
    assert d.status == Status.REJECTED
    assert d.events.last().note == "属于诉讼、仲裁或行政复议事项：已起诉"  # type: ignore[union-attr]


def test_dispatch_only_inside_the_office_scope(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("accepted")
    with pytest.raises(ValidationError) as err:
        act(people.office, d, "dispatch", lead_unit=unit("玛纳斯县自然资源局"))
    assert err.value.message_dict == {"lead_unit": ["请选择本辖区内的主办单位"]}


def test_return_within_two_working_days_then_first_responsibility(
    people: People, flow: Callable[..., Demand], clock: Any
) -> None:
    clock.set(at(2026, 10, 8, 9))
    d = flow("accepted")
    act(people.office, d, "dispatch", lead_unit=unit("昌吉市自然资源局"))
    # Return limit: end of the 2nd working day after 10-08 = Sat 10-10 (an adjusted workday).
    assert d.return_due_at == at(2026, 10, 10, 23, 59).replace(second=59, microsecond=999999)
    clock.set(at(2026, 10, 11, 9))
    with pytest.raises(ActionRefused, match="已超过退回时限（2个工作日）"):
        act(people.lead_head, d, "return", reason="not_duty", note="非本局职责")
    clock.set(at(2026, 10, 10, 9))
    act(people.lead_head, d, "return", reason="not_duty", note="非本局职责")
    assert (d.status, d.lead_unit, d.return_count, d.dispatch_count) == (Status.ACCEPTED, None, 1, 1)
    act(people.office, d, "dispatch", lead_unit=unit("昌吉市自然资源局"))
    act(people.lead_head, d, "sign")
    # 首接负责制: signed for, it can no longer be returned.
    with pytest.raises(ActionRefused, match="不能退回"):
        act(people.lead_head, d, "return", reason="not_duty", note="非本局职责")
    assert d.dispatch_count == 2


def test_transfer_down_and_return_to_the_transferring_unit(
    people: People, flow: Callable[..., Demand]
) -> None:
    d = flow("handling")
    with pytest.raises(ValidationError):
        act(people.lead_head, d, "transfer", unit=unit("玛纳斯镇"))
    act(people.lead_head, d, "transfer", unit=unit("榆树沟镇"))
    assert (d.status, d.lead_unit.name, d.transferred_from.name) == (  # type: ignore[union-attr]
        Status.DISPATCHED,
        "榆树沟镇",
        "昌吉市自然资源局",
    )
    act(people.town_head, d, "return", reason="not_duty", note="非本镇事权")
    assert (d.status, d.lead_unit.name, d.transferred_from) == (Status.HANDLING, "昌吉市自然资源局", None)  # type: ignore[union-attr]


def test_escalation_township_county_prefecture(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("accepted")
    act(people.office, d, "dispatch", lead_unit=unit("榆树沟镇"))
    act(people.town_head, d, "sign")
    act(people.town_head, d, "escalate", reason="涉及多个部门")
    assert (d.status, d.coordinating_unit.name, d.lead_unit, d.escalation_count) == (
        Status.ACCEPTED,
        "昌吉市营商环境服务中心",
        None,
        1,
    )
    act(people.office, d, "escalate", reason="需州级协调")
    assert (d.coordinating_unit.name, d.escalation_count) == ("昌吉州营商环境服务中心", 2)
    assert "dispatch" not in allowed_actions(people.office, d)
    assert "dispatch" in allowed_actions(people.pref, d)
    with pytest.raises(ActionRefused, match="已是最高层级，无法提级"):
        act(people.pref, d, "escalate", reason="再提级")
    act(people.pref, d, "dispatch", lead_unit=unit("昌吉州自然资源局"))
    assert d.lead_unit.name == "昌吉州自然资源局"  # type: ignore[union-attr]


def test_assisting_opinion_before_reply(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("handling", assist=[unit("昌吉市住房和城乡建设局")])
    with pytest.raises(ActionRefused, match="协办单位尚未提交意见：昌吉市住房和城乡建设局"):
        act(people.handler, d, "reply", outcome="resolved", text="已办结")
    act(people.assist, d, "opinion", text="规划条件已核实，同意办理")
    assert "opinion" not in allowed_actions(people.assist, d)
    act(people.handler, d, "reply", outcome="resolved", text="已办结")
    assert d.status == Status.REPLIED


def test_extension_request_approve_refuse(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("handling")
    with pytest.raises(ValidationError) as err:
        act(people.handler, d, "request_extension", days=40, reason="复杂")
    assert err.value.message_dict == {"days": ["延期天数应为 1–15 个工作日（最长30个工作日）"]}
    act(people.handler, d, "request_extension", days=2, reason="需现场勘验")
    with pytest.raises(ActionRefused, match="已有延期申请待审批"):
        act(people.handler, d, "request_extension", days=1, reason="再延")
    act(people.office, d, "refuse_extension", note="理由不充分")
    assert (d.extension_requested_days, d.extension_days) == (None, 0)
    act(people.handler, d, "request_extension", days=2, reason="需现场勘验")
    due = d.handle_due_at
    act(people.office, d, "approve_extension")
    assert d.extension_days == 2 and d.handle_due_at > due  # type: ignore[operator]


def test_negative_rating_redo_and_follow_up(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("replied")
    act(people.ent, d, "rate", rating=2, comment="没有解决")
    assert (d.status, d.redo_count, d.follow_up_due, d.rating) == (Status.HANDLING, 1, True, 2)
    assert "follow_up" in allowed_actions(people.office, d)
    act(people.office, d, "follow_up", note="已电话回访，企业诉求为加快办证")
    assert d.follow_up_due is False
    act(people.handler, d, "reply", outcome="resolved", text="已办证")
    act(people.ent, d, "rate", rating=5)
    assert (d.status, d.redo_count, d.closed_on_time) == (Status.CLOSED, 1, True)
    timeline = [e.action for e in d.events.filter(public=True)]
    assert timeline == ["submit", "accept", "dispatch", "sign", "reply", "rate", "follow_up", "reply", "rate"]


def test_follow_up_rates_after_the_window(people: People, flow: Callable[..., Demand], clock: Any) -> None:
    clock.set(at(2026, 9, 28, 9))
    d = flow("replied")
    # Rating window: 5 working days after 09-28 → 09-29, 09-30, 10-08, 10-09, 10-10.
    assert d.rating_due_at == at(2026, 10, 10, 23, 59).replace(second=59, microsecond=999999)
    clock.set(at(2026, 10, 10, 18))
    assert "follow_up" not in services.available_actions(people.office, d)
    with pytest.raises(ActionRefused, match="请等待企业评价"):
        act(people.office, d, "follow_up", note="回访", rating=4)
    clock.set(at(2026, 10, 12, 9))
    act(people.office, d, "follow_up", note="电话回访", rating=3)
    assert (d.status, d.rating, d.rated_by_follow_up) == (Status.CLOSED, 3, True)


def test_supervision_colours(people: People, flow: Callable[..., Demand], clock: Any) -> None:
    clock.set(at(2026, 11, 2, 9))  # Monday
    d = flow("handling", demand_type="consult")  # 3 working days → due end of Thu 11-05
    assert d.handle_due_at == at(2026, 11, 5, 23, 59).replace(second=59, microsecond=999999)
    with pytest.raises(ActionRefused, match="无需督办"):
        act(people.office, d, "supervise", note="督办")
    clock.set(at(2026, 11, 5, 9))  # ≤ 1 working day left: yellow light → blue slip
    act(people.office, d, "supervise", note="临期提醒")
    clock.set(at(2026, 11, 6, 9))  # overdue → yellow
    act(people.office, d, "supervise", note="已超期")
    clock.set(at(2026, 11, 13, 9))  # 6 working days overdue (> 5) → red
    act(people.office, d, "supervise", note="严重超期")
    colours = list(
        Supervision.objects.filter(demand=d).order_by("issued_at").values_list("colour", flat=True)
    )
    assert colours == [SlipColour.BLUE, SlipColour.YELLOW, SlipColour.RED]


def test_redone_twice_is_red(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("replied")
    act(people.ent, d, "rate", rating=1)
    act(people.handler, d, "reply", outcome="partial", text="部分解决")
    act(people.ent, d, "rate", rating=2)
    assert d.redo_count == 2
    act(people.office, d, "supervise", note="两次重办")
    assert Supervision.objects.get(demand=d).colour == SlipColour.RED


def test_sla_change_applies_to_new_demands_only(people: People) -> None:
    from qinqing.demands.models import SlaPolicy

    old = submit(people)
    policy = SlaPolicy.objects.get(demand_type="complaint", urgency="normal")
    policy.handle_days = 20
    policy.save()  # the save drops the configuration snapshot (demands.cache)
    new = submit(people)
    assert (old.handle_days, new.handle_days) == (15, 20)
    urgent = submit(people, urgency="urgent")
    assert urgent.handle_days == 8


def test_escalate_by_rule_without_actor(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("handling")
    services.escalate_by_rule(
        None, d.pk, to_unit=unit("昌吉州营商环境服务中心"), reason="超期未办结，自动提级"
    )
    d.refresh_from_db()
    assert (d.status, d.coordinating_unit.name, d.lead_unit, d.escalation_count) == (
        Status.ACCEPTED,
        "昌吉州营商环境服务中心",
        None,
        1,
    )
    event = d.events.last()
    assert event is not None and (event.actor_name, event.public, event.data["by_rule"]) == (
        "系统",
        False,
        True,
    )
    with pytest.raises(ValidationError):
        services.escalate_by_rule(None, d.pk, to_unit=unit("昌吉州自然资源局"), reason="x")
