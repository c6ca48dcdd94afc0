"""The kpi API: a project's live evaluation, the metric catalogue, incidents (ops.manage), the schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.demands.models import Demand
from qinqing.kpi import services
from qinqing.kpi.models import BudgetProject
from tests.demands.conftest import People, at


def test_project_evaluation_and_catalogue(
    people: People, flow: Callable[..., Demand], clock: Any, django_assert_max_num_queries: Any
) -> None:
    clock.set(at(2021, 6, 1, 9))
    flow("closed")
    flow("handling")
    clock.set(at(2021, 6, 10, 9))
    services.load_seed()
    c = APIClient()
    c.force_authenticate(people.pref)
    with django_assert_max_num_queries(6):
        r = c.get(reverse("api:kpi-project-list"), {"year": 2021})
    assert r.status_code == 200
    assert sorted(p["code"] for p in r.json()["results"]) == [
        "2021-cj-evaluation", "2021-cj-investment", "2021-cj-platform", "2021-cj-repair", "2021-cj-survey",
    ]  # fmt: skip
    pk = BudgetProject.objects.get(code="2021-cj-platform").pk
    body = c.get(reverse("api:kpi-project-detail", args=[pk])).json()
    row = next(x for x in body["rows"] if x["metric"] == "demands.completion_rate")
    assert (row["actual"], row["light"], row["available"]) == ("50.0000", "red", True)
    assert row["drilldown"].startswith("/demands/?unit=")
    urumqi = BudgetProject.objects.get(code="2022-ur-chambers").pk
    assert c.get(reverse("api:kpi-project-detail", args=[urumqi])).status_code == 404
    metrics = {m["name"]: m for m in c.get(reverse("api:kpi-metrics")).json()}
    assert metrics["demands.completion_rate"]["available"] is True
    assert "ops.fault_rate" in metrics and "portal.docking_talks" in metrics


def test_incidents_api_needs_ops_manage(make_user: Callable[..., User], people: People) -> None:
    c = APIClient()
    c.force_authenticate(people.pref)
    assert c.get(reverse("api:kpi-incident-list")).status_code == 403
    admin = make_user("ops_api", unit_name="昌吉州营商环境服务中心", roles=[Role.SYSADMIN])
    c.force_authenticate(admin)
    bad = c.post(
        reverse("api:kpi-incident-list"),
        {
            "system": "platform",
            "started_at": "2026-04-02T10:00:00+08:00",
            "ended_at": "2026-04-02T09:00:00+08:00",
            "detected_by": "staff",
            "affected": "全部",
        },
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["fields"] == {"ended_at": ["恢复时间不能早于故障开始时间"]}
    ok = c.post(
        reverse("api:kpi-incident-list"),
        {
            "system": "platform",
            "started_at": "2026-04-02T08:00:00+08:00",
            "ended_at": "2026-04-02T09:00:00+08:00",
            "detected_by": "staff",
            "affected": "全部",
        },
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["affected"] == "全部"


def test_schema_lists_the_kpi_endpoints(db: None) -> None:
    r = APIClient().get("/api/schema/", {"format": "json"})
    paths = r.json()["paths"]
    for p in (
        "/api/v1/kpi/projects/",
        "/api/v1/kpi/projects/{id}/",
        "/api/v1/kpi/metrics/",
        "/api/v1/kpi/incidents/",
    ):
        assert p in paths
        assert "403" in next(iter(paths[p].values()))["responses"]
