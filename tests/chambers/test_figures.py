"""The bureau's figures against the year's targets and the registered metrics (one definition each)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from qinqing.accounts.models import User
from qinqing.chambers import inspections, queries, services
from qinqing.chambers.models import AnnualReport, Application
from qinqing.chambers.rules import AppKind, Conclusion, Light
from qinqing.core import metrics
from qinqing.core.metrics import Period
from tests.chambers import builders
from tests.chambers.test_inspections import FULL

pytestmark = pytest.mark.django_db


def test_metrics_are_registered_under_the_agreed_names() -> None:
    names = {m.name for m in metrics.all_metrics() if m.name.startswith("chambers.")}
    assert names == {
        "chambers.annual_inspections", "chambers.revocations", "chambers.changes", "chambers.registrations",
        "chambers.certificates", "chambers.registration_error_rate", "chambers.ontime_rate", "chambers.complaints",
    }  # fmt: skip
    assert all(metrics.get_metric(n).available for n in names)


def test_figures_rates_and_lights(staff: User, monkeypatch: pytest.MonkeyPatch) -> None:
    urumqi = builders.unit("乌鲁木齐市")
    services.set_targets(
        staff, area=urumqi, year=2026,
        values={"inspections": 600, "revocations": 25, "changes": 10, "registrations": 30, "certificates": 1000,
                "error_rate_max": "5", "ontime_rate_min": "95", "complaints_max": 5},
    )  # fmt: skip
    apps = []
    for origin in ("浙江省", "河南省", "四川省", "湖南省"):
        org, user = builders.org_account(staff, name=f"乌鲁木齐{origin[:2]}商会", origin=origin)
        apps.append(builders.registered(staff, user, org))
    # one registration decided after its deadline (submitted 20 working days + earlier)
    Application.objects.filter(pk=apps[0].pk).update(due_on=dt.date(2026, 4, 14))
    services.record_error(staff, apps[1], description="住所登记有误")
    services.log_complaint(staff, area=urumqi, summary="窗口答复不清", received_on=dt.date(2026, 4, 10))
    campaign = inspections.open_campaign(staff, area=urumqi, year=2025)
    assert (
        AnnualReport.objects.filter(campaign=campaign).count() == 0
    )  # registered in 2026: not inspected for 2025
    campaign = inspections.open_campaign(staff, area=urumqi, year=2026)
    org = apps[2].organisation
    user = org.accounts.get().user
    report = AnnualReport.objects.get(campaign=campaign, organisation=org)
    report = inspections.save_report(user, report, FULL, expected_version=report.version)
    report = inspections.submit_report(user, report, expected_version=report.version)
    inspections.conclude(staff, report, expected_version=report.version, conclusion=Conclusion.PASS)
    year = Period.year(2026)
    assert metrics.compute("chambers.registrations", urumqi, year) == 4
    assert metrics.compute("chambers.certificates", urumqi, year) == 4
    assert metrics.compute("chambers.annual_inspections", urumqi, year) == 1
    assert metrics.compute("chambers.complaints", urumqi, year) == 1
    assert metrics.compute("chambers.ontime_rate", urumqi, year) == Decimal("75.00")
    assert metrics.compute("chambers.registration_error_rate", urumqi, year) == Decimal("25.00")
    assert metrics.compute("chambers.ontime_rate", urumqi, Period.year(2025)) is None
    assert metrics.compute("chambers.registrations", builders.unit("昌吉回族自治州"), year) == 0
    data = queries.figures(urumqi, 2026)
    assert data["monthly"]["registrations"] == [0, 0, 0, 4] + [0] * 8
    assert data["monthly"]["inspections_pass"][3] == 1
    lights = {r.key: (r.actual, r.target, r.light) for r in data["rows"]}
    # 105 of 365 days have passed: 4 of 30 registrations is behind (30 × 0.2877 = 8.6; 80 % of it 6.9)
    assert data["elapsed"] == Decimal("0.2877")
    assert lights["registrations"] == (4, 30, Light.RED)
    assert lights["error_rate"] == (Decimal("25.00"), Decimal("5.00"), Light.RED)
    assert lights["ontime_rate"] == (Decimal("75.00"), Decimal("95.00"), Light.RED)
    assert lights["complaints"] == (1, 5, Light.GREEN)
    # a district's staff see their district's figures against the city's targets
    assert queries.target_for(builders.unit("天山区"), 2026) == queries.target_for(urumqi, 2026)
    assert queries.elapsed_share(2025, dt.date(2026, 4, 15)) == Decimal(1)
    assert AppKind.REGISTRATION in {a.kind for a in apps}


def test_count_light_is_green_when_on_time_and_yellow_just_behind() -> None:
    assert queries._count_light(30, 100, Decimal("0.25")) == Light.GREEN
    assert queries._count_light(21, 100, Decimal("0.25")) == Light.YELLOW
    assert queries._count_light(19, 100, Decimal("0.25")) == Light.RED
    assert queries._count_light(100, 100, Decimal("0.1")) == Light.GREEN
