from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.audit.models import AuditEvent
from qinqing.investment import rules, services
from qinqing.investment.models import Project, Stage, StageChange
from tests.investment.conftest import project_data

D = dt.date


def _move(user: User, p: Project, to: str, on: dt.date, **kw: object) -> Project:
    p.refresh_from_db()
    return services.change_stage(user, p, expected_version=p.version, to_stage=to, on=on, **kw)  # type: ignore[arg-type]


def test_create_numbers_and_history(filer: User, make_project: Callable[..., Project]) -> None:
    p = make_project()
    assert p.stage == Stage.LEAD
    assert p.number.startswith(f"ZS{timezone.localdate():%Y}") and p.number.endswith("0001")
    assert make_project().number.endswith("0002")
    assert p.size_band == 2  # 50000万元 = 5亿元 → 5亿—10亿元
    assert list(StageChange.objects.filter(project=p).values_list("to_stage", "effective_on")) == [
        ("lead", D(2026, 1, 1))
    ]
    assert AuditEvent.objects.filter(object_type="investment.project", object_id=str(p.pk)).count() == 1


def test_full_path_and_time_in_stage(filer: User, make_project: Callable[..., Project]) -> None:
    p = make_project()
    _move(filer, p, "negotiating", D(2026, 1, 5))
    with pytest.raises(ValidationError) as err:
        _move(filer, p, "started", D(2026, 2, 1))
    assert "不能从“在谈”变更为“开工”" in str(err.value)
    with pytest.raises(ValidationError) as err:
        _move(filer, p, "signed", D(2026, 2, 1))
    assert "签约类型" in str(err.value) and "签约金额" in str(err.value)
    _move(filer, p, "signed", D(2026, 2, 1), contract_type="framework", contract_amount_wan=Decimal("50000"))
    _move(filer, p, "signed", D(2026, 3, 1), contract_amount_wan=Decimal("52000"))  # framework → formal
    p.refresh_from_db()
    assert (p.contract_type, p.first_signed_on, p.signed_on) == ("formal", D(2026, 2, 1), D(2026, 3, 1))
    with pytest.raises(ValidationError) as err:
        _move(filer, p, "signed", D(2026, 3, 2), contract_amount_wan=Decimal("52000"))
    assert "已签订正式合同" in str(err.value)
    _move(filer, p, "started", D(2026, 4, 10))
    _move(filer, p, "producing", D(2026, 9, 30))
    p.refresh_from_db()
    assert p.stage == "producing" and p.stage_since == D(2026, 9, 30)
    assert rules.allowed_targets(p.stage) == []
    steps = list(StageChange.objects.filter(project=p).values_list("from_stage", "to_stage", "effective_on"))
    assert steps[1:] == [
        ("lead", "negotiating", D(2026, 1, 5)),
        ("negotiating", "signed", D(2026, 2, 1)),
        ("signed", "signed", D(2026, 3, 1)),
        ("signed", "started", D(2026, 4, 10)),
        ("started", "producing", D(2026, 9, 30)),
    ]


def test_dates_not_in_future_nor_before_current_stage(
    filer: User, make_project: Callable[..., Project]
) -> None:
    p = make_project()
    _move(filer, p, "negotiating", D(2026, 3, 1))
    with pytest.raises(ValidationError) as err:
        _move(filer, p, "signed", D(2099, 1, 1), contract_type="formal", contract_amount_wan=Decimal(1))
    assert "不能晚于今天" in str(err.value)
    with pytest.raises(ValidationError) as err:
        _move(filer, p, "signed", D(2026, 2, 1), contract_type="formal", contract_amount_wan=Decimal(1))
    assert "不能早于进入当前阶段的日期（2026-03-01）" in str(err.value)
    p.refresh_from_db()
    assert p.stage == "negotiating" and p.version == 2


def test_terminate_needs_reason_and_is_final(filer: User, make_project: Callable[..., Project]) -> None:
    p = make_project()
    with pytest.raises(ValidationError) as err:
        _move(filer, p, "terminated", D(2026, 2, 1))
    assert "终止原因" in str(err.value)
    _move(filer, p, "terminated", D(2026, 2, 1), reason="投资方资金链断裂")
    p.refresh_from_db()
    assert (p.stage, p.termination_reason) == ("terminated", "投资方资金链断裂")
    with pytest.raises(ValidationError):
        _move(filer, p, "negotiating", D(2026, 3, 1))


def test_stale_version_fails_cleanly(filer: User, make_project: Callable[..., Project]) -> None:
    p = make_project()
    version = p.version
    services.change_stage(filer, p, expected_version=version, to_stage="negotiating", on=D(2026, 1, 5))
    with pytest.raises(ValidationError) as err:
        services.change_stage(
            filer, p, expected_version=version, to_stage="terminated", on=D(2026, 1, 6), reason="x"
        )
    assert err.value.messages == ["该记录已被他人修改，请刷新后重试"]
    p.refresh_from_db()
    assert p.stage == "negotiating"
    assert StageChange.objects.filter(project=p).count() == 2


def test_create_with_stage_dates_validated(filer: User, make_project: Callable[..., Project]) -> None:
    with pytest.raises(ValidationError) as err:
        make_project(signed_on=D(2026, 5, 1), started_on=D(2026, 4, 1))
    assert "不能早于上一阶段日期" in str(err.value)
    with pytest.raises(ValidationError) as err:
        services.create_project(
            filer,
            project_data(),
            initial={
                "stage": "started",
                "signed_on": D(2026, 1, 1),
                "contract_type": "formal",
                "contract_amount_wan": Decimal(1),
            },
        )
    assert "开工日期" in str(err.value)
    assert Project.objects.count() == 0
    p = make_project(signed_on=D(2026, 1, 10), started_on=D(2026, 3, 1))
    assert p.stage == "started" and p.first_signed_on == D(2026, 1, 10) and p.stage_since == D(2026, 3, 1)
    assert list(StageChange.objects.filter(project=p).values_list("to_stage", flat=True)) == [
        "negotiating",
        "signed",
        "started",
    ]


def test_model_invariants(filer: User, reviewer: User) -> None:
    with pytest.raises(ValidationError) as err:
        services.create_project(filer, project_data("昌吉市", industry_division="01"))
    assert "不属于门类" in str(err.value)
    with pytest.raises(ValidationError) as err:
        services.create_project(reviewer, project_data("昌吉州营商环境服务中心"))
    assert "落地单位应为县市区或园区" in str(err.value)


def test_out_of_scope_unit_refused(manas_filer: User) -> None:
    with pytest.raises(PermissionDenied):
        services.create_project(manas_filer, project_data("昌吉市"))


def test_roles_without_capability_refused(make_user: Callable[..., User]) -> None:
    handler = make_user("h", unit_name="昌吉市营商环境服务中心", roles=["handler"])
    with pytest.raises(PermissionDenied):
        services.create_project(handler, project_data())


def test_publish_review(filer: User, reviewer: User, make_project: Callable[..., Project]) -> None:
    p = make_project()
    services.request_publish(filer, p, expected_version=p.version)
    p.refresh_from_db()
    with pytest.raises(ValidationError):
        services.review_publish(reviewer, p, expected_version=p.version, approve=False)
    services.review_publish(reviewer, p, expected_version=p.version, approve=True)
    p.refresh_from_db()
    assert p.publish_status == "published"
    with pytest.raises(PermissionDenied):
        services.review_publish(filer, p, expected_version=p.version, approve=True)


def test_negotiation_log(filer: User, make_project: Callable[..., Project]) -> None:
    p = make_project()
    n = services.add_negotiation(
        filer, p, held_on=D(2026, 1, 3), people="张局长、投资方李总", content="洽谈用地", next_step="实地考察"
    )
    assert list(p.negotiations.all()) == [n]
    with pytest.raises(ValidationError):
        services.add_negotiation(filer, p, held_on=D(2099, 1, 3), people="x", content="y")
