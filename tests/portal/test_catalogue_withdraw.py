"""下架: a published catalogue project taken out of the public catalogue (investment service, portal snapshot)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.audit.models import AuditEvent
from qinqing.investment import services as investment
from qinqing.investment.models import Project, PublishStatus
from qinqing.portal import public, snapshot
from qinqing.portal.models import PublicItem

pytestmark = pytest.mark.django_db


def _on_catalogue(pk: int) -> tuple[int, int]:
    public.clear_cache()
    snapshot.forget()
    client = Client()
    api = client.get(f"/api/public/v1/projects/{pk}/").status_code
    page = client.get(f"/portal/projects/{pk}/").status_code
    return api, page


def test_withdraw_takes_the_project_off_the_catalogue_at_once(
    site: dict[str, Any], cj_dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    project: Project = site["project"]
    assert _on_catalogue(project.pk) == (200, 200)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        project = investment.withdraw_publication(
            cj_dispatcher, project, expected_version=project.version, reason="项目已签约，不再对外招商"
        )
    assert len(callbacks) >= 1
    assert (project.publish_status, project.publish_comment) == (
        PublishStatus.NONE,
        "已下架：项目已签约，不再对外招商",
    )
    assert not PublicItem.objects.filter(kind="project", ref=project.pk).exists()
    assert _on_catalogue(project.pk) == (404, 404)
    listing = Client().get("/api/public/v1/projects/").json()
    assert project.pk not in [row["id"] for row in listing["results"]]
    event = AuditEvent.objects.filter(object_type="investment.project", object_id=str(project.pk)).latest(
        "id"
    )
    assert (event.actor_id, event.detail) == (cj_dispatcher.pk, "从公开项目库下架：项目已签约，不再对外招商")
    assert event.changes == {"publish_status": ["published", "none"]}
    # it may be published again: request and approval put it back at once
    project = investment.request_publish(cj_dispatcher, project, expected_version=project.version)
    with django_capture_on_commit_callbacks(execute=True):
        project = investment.review_publish(
            cj_dispatcher, project, expected_version=project.version, approve=True
        )
    assert _on_catalogue(project.pk) == (200, 200)


def test_withdraw_needs_the_review_capability_scope_reason_and_current_version(
    site: dict[str, Any], make_user: Callable[..., User]
) -> None:
    project: Project = site["project"]
    filer = make_user("cj_filer", unit_name="昌吉市", roles=[Role.STATS_FILER])
    other = make_user("mns_disp", unit_name="玛纳斯县营商环境服务中心", roles=[Role.DISPATCHER])
    reviewer = make_user("cj_disp2", unit_name="昌吉市营商环境服务中心", roles=[Role.DISPATCHER])
    with pytest.raises(PermissionDenied):
        investment.withdraw_publication(filer, project, expected_version=project.version, reason="原因")
    with pytest.raises(PermissionDenied):
        investment.withdraw_publication(other, project, expected_version=project.version, reason="原因")
    with pytest.raises(ValidationError, match="下架时请填写原因"):
        investment.withdraw_publication(reviewer, project, expected_version=project.version, reason="  ")
    with pytest.raises(ValidationError, match="该记录已被他人修改"):
        investment.withdraw_publication(
            reviewer, project, expected_version=project.version - 1, reason="原因"
        )
    hidden = site["hidden"]
    with pytest.raises(ValidationError, match="该项目未在公开项目库中"):
        investment.withdraw_publication(reviewer, hidden, expected_version=hidden.version, reason="原因")
    project.refresh_from_db()
    assert project.publish_status == PublishStatus.PUBLISHED
    assert PublicItem.objects.filter(kind="project", ref=project.pk).exists()


def test_withdraw_from_the_project_page(
    site: dict[str, Any], cj_dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    project: Project = site["project"]
    client = Client()
    client.force_login(cj_dispatcher)
    page = client.get(reverse("investment:detail", args=[project.pk])).content.decode()
    assert 'data-testid="withdraw-publication"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("investment:publish", args=[project.pk]),
            {"version": project.version, "action": "withdraw", "comment": "信息需要更新"},
        )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.publish_status == PublishStatus.NONE
    assert _on_catalogue(project.pk) == (404, 404)
    page = client.get(reverse("investment:detail", args=[project.pk])).content.decode()
    assert "已下架：信息需要更新" in page
    assert 'data-testid="withdraw-publication"' not in page


def test_the_periodic_sync_also_withdraws(site: dict[str, Any], cj_dispatcher: User) -> None:
    """Without the signal (e.g. a failed callback), the next sync_projects removes the row."""
    project: Project = site["project"]
    investment.withdraw_publication(cj_dispatcher, project, expected_version=project.version, reason="原因")
    assert PublicItem.objects.filter(kind="project", ref=project.pk).exists()  # callbacks not run here
    assert snapshot.sync_projects().removed == 1
    assert not PublicItem.objects.filter(kind="project", ref=project.pk).exists()
