from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from qinqing.audit.models import AppendOnlyError, AuditAction, AuditEvent
from qinqing.audit.services import record
from tests import factories
from tests.audit.conftest import SH, event

pytestmark = pytest.mark.django_db
API = "/api/v1/audit-events/"
MARCH = {"since": "2026-02-01", "until": "2026-03-31"}


# --- append-only --------------------------------------------------------------------------------
def test_events_cannot_be_changed_or_deleted(march_events: list[AuditEvent]) -> None:
    first = march_events[0]
    first.detail = "篡改"
    with pytest.raises(AppendOnlyError):
        first.save()
    with pytest.raises(AppendOnlyError):
        first.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=first.pk).update(detail="篡改")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.objects.bulk_update([first], ["detail"])
    assert AuditEvent.objects.count() == 5
    assert AuditEvent.objects.get(pk=first.pk).detail == ""


# --- who sees the log ---------------------------------------------------------------------------
def test_only_the_audit_administrator_sees_events(
    march_events: list[AuditEvent],
    auditadmin: User,
    sysadmin: User,
    secadmin: User,
    prefecture_dispatcher: User,
) -> None:
    assert AuditEvent.objects.visible_to(auditadmin).count() == AuditEvent.objects.count() == 5
    for user in (sysadmin, secadmin, prefecture_dispatcher):
        assert AuditEvent.objects.visible_to(user).count() == 0
    enterprise_user = factories.make_user(
        "ent_user", enterprise=factories.EnterpriseFactory(), roles=["enterprise"]
    )
    assert AuditEvent.objects.visible_to(enterprise_user).count() == 0


def test_page_is_forbidden_to_everybody_but_the_audit_administrator(
    client: Client,
    march_events: list[AuditEvent],
    sysadmin: User,
    secadmin: User,
    prefecture_dispatcher: User,
) -> None:
    assert client.get(reverse("audit:list")).status_code == 302  # anonymous: to the login page
    for user in (sysadmin, secadmin, prefecture_dispatcher):
        client.force_login(user)
        assert client.get(reverse("audit:list")).status_code == 403
        assert client.get(reverse("audit:detail", args=[march_events[0].pk])).status_code == 403
        nav = client.get(reverse("calendar:years") if user == sysadmin else "/").context
        assert "审计日志" not in [label for label, _ in nav["nav_items"]]


def test_api_list_403_and_retrieve_404_for_others(
    api_client: APIClient, march_events: list[AuditEvent], sysadmin: User, prefecture_dispatcher: User
) -> None:
    for user in (sysadmin, prefecture_dispatcher):
        api_client.force_authenticate(user)
        response = api_client.get(API)
        assert response.status_code == 403
        assert response.json() == {"code": "permission_denied", "detail": "无权执行此操作"}
        response = api_client.get(f"{API}{march_events[0].pk}/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    api_client.force_authenticate(None)
    assert api_client.get(API).status_code == 403


def test_audit_administrator_reads_page_detail_and_api_without_new_events(
    client: Client, api_client: APIClient, march_events: list[AuditEvent], auditadmin: User
) -> None:
    client.force_login(auditadmin)
    api_client.force_authenticate(auditadmin)
    before = AuditEvent.objects.count()
    response = client.get(reverse("audit:list"), MARCH)
    assert response.status_code == 200
    assert [e.pk for e in response.context["events"]] == [e.pk for e in reversed(march_events)]
    updated = march_events[3]
    response = client.get(reverse("audit:detail", args=[updated.pk]))
    assert response.status_code == 200
    rows = [(r.field, r.label, r.before, r.after) for r in response.context["changes"]]
    assert rows == [
        ("date", "日期", "2026-10-10", "2026-10-11"),
        ("source", "来源", "package", "admin"),
    ]
    html = response.content.decode()
    assert "<th>修改前</th><th>修改后</th>" in html
    assert "<code>2026-10-10</code>" in html and "<code>2026-10-11</code>" in html
    response = api_client.get(f"{API}{updated.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["action"] == "update" and body["action_display"] == "修改"
    assert body["changes"] == {"date": ["2026-10-10", "2026-10-11"], "source": ["package", "admin"]}
    assert body["at"] == "2026-03-02T00:10:00+08:00"
    assert api_client.get(API, MARCH).json()["count"] == 5
    # Reading the log is not audited.
    assert AuditEvent.objects.count() == before


# --- filters ------------------------------------------------------------------------------------
FILTER_CASES: list[tuple[dict[str, str], list[int]]] = [
    ({}, [4, 3, 2, 1, 0]),
    ({"since": "2026-03-02"}, [4, 3]),
    # 23:30 on 1 March Shanghai is 15:30 UTC: still 1 March; 00:10 on 2 March is not.
    ({"until": "2026-03-01"}, [2, 1, 0]),
    ({"since": "2026-03-01", "until": "2026-03-01"}, [2, 1]),
    ({"actor": "alice"}, [3, 1, 0]),
    ({"actor": "ali"}, []),
    ({"action": "update"}, [3]),
    ({"result": "failure"}, [2]),
    ({"object_type": "enterprises.enterprise"}, [4, 1]),
    ({"q": "天山"}, [1]),
    ({"q": "导出"}, [4]),
    ({"q": "17"}, [0]),
    ({"q": "国庆"}, [3]),
    ({"actor": "alice", "object_type": "calendar.calendarday"}, [3, 0]),
]


@pytest.mark.parametrize(("params", "expected"), FILTER_CASES)
def test_page_filters(
    client: Client,
    march_events: list[AuditEvent],
    auditadmin: User,
    params: dict[str, str],
    expected: list[int],
) -> None:
    client.force_login(auditadmin)
    response = client.get(reverse("audit:list"), {**MARCH, **params})
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == len(expected)
    assert [e.pk for e in response.context["events"]] == [march_events[i].pk for i in expected]


@pytest.mark.parametrize(("params", "expected"), FILTER_CASES)
def test_api_filters(
    api_client: APIClient,
    march_events: list[AuditEvent],
    auditadmin: User,
    params: dict[str, str],
    expected: list[int],
) -> None:
    api_client.force_authenticate(auditadmin)
    response = api_client.get(API, {**MARCH, **params})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(expected)
    assert [e["id"] for e in body["results"]] == [march_events[i].pk for i in expected]


def test_bad_filters(
    client: Client, api_client: APIClient, march_events: list[AuditEvent], auditadmin: User
) -> None:
    client.force_login(auditadmin)
    response = client.get(reverse("audit:list"), {"since": "2026-13-01"})
    assert response.status_code == 400
    assert "筛选条件有误" in response.content.decode()
    assert list(response.context["events"]) == []
    api_client.force_authenticate(auditadmin)
    response = api_client.get(API, {"since": "2026-13-01", "action": "bogus"})
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["detail"]) == ("invalid", "输入有误")
    assert set(body["fields"]) == {"since", "action"}


def test_pagination(client: Client, api_client: APIClient, auditadmin: User) -> None:
    base = dt.datetime(2026, 1, 10, 8, 0, tzinfo=SH)
    for i in range(120):
        event(base + dt.timedelta(minutes=i), actor_name="bulk", action=AuditAction.CREATE)
    client.force_login(auditadmin)
    response = client.get(reverse("audit:list"), {"actor": "bulk", "page": "3"})
    page = response.context["page_obj"]
    assert (page.number, page.paginator.num_pages, len(page.object_list)) == (3, 3, 20)
    assert "第 3 / 3 页，共 120 条" in response.content.decode()
    assert 'href="?actor=bulk&page=2"' in response.content.decode()
    api_client.force_authenticate(auditadmin)
    body = api_client.get(API, {"actor": "bulk", "page_size": "100", "page": "2"}).json()
    assert (body["count"], len(body["results"])) == (120, 20)


# --- query counts -------------------------------------------------------------------------------
def _more_events(n: int) -> None:
    base = dt.datetime(2026, 3, 10, 8, 0, tzinfo=SH)
    for i in range(n):
        record(AuditAction.UPDATE, actor_name=f"user{i}", detail=f"第 {i} 条", changes={"name": ["a", "b"]})
        event(base + dt.timedelta(minutes=i), actor_name=f"user{i}", action=AuditAction.CREATE)


def test_page_query_count_is_constant(
    client: Client, march_events: list[AuditEvent], auditadmin: User, django_assert_num_queries: Any
) -> None:
    client.force_login(auditadmin)
    client.get(reverse("audit:list"))  # warm up: the idle clock writes the session once
    # session, the user with unit and roles, count, page
    with django_assert_num_queries(4):
        assert client.get(reverse("audit:list")).status_code == 200
    _more_events(40)
    with django_assert_num_queries(4):
        response = client.get(reverse("audit:list"))
    assert len(response.context["events"]) == 50


def test_api_query_count_is_constant(
    api_client: APIClient, march_events: list[AuditEvent], auditadmin: User, django_assert_num_queries: Any
) -> None:
    api_client.force_authenticate(auditadmin)
    # roles, count, page
    with django_assert_num_queries(3):
        assert api_client.get(API).json()["count"] == 5
    _more_events(40)
    api_client.force_authenticate(User.objects.get(pk=auditadmin.pk))
    with django_assert_num_queries(3):
        assert api_client.get(API).json()["count"] == 85


def test_in_the_openapi_schema(api_client: APIClient, auditadmin: User) -> None:
    api_client.force_authenticate(auditadmin)
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    listing = schema["paths"][API]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"since", "until", "actor", "action", "result", "object_type", "q", "page", "page_size"} <= names
    assert {"200", "400", "403"} <= set(listing["responses"])
    assert {"200", "404"} <= set(schema["paths"][API + "{id}/"]["get"]["responses"])
