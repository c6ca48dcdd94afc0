"""Restoring an old content version: a new draft version from the old one, audited; history kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from qinqing.audit.models import AuditEvent
from qinqing.portal import public, services, snapshot
from qinqing.portal.models import ContentKind, ContentStatus, PublicItem
from tests.portal.conftest import POLICY_DATA, publish

pytestmark = pytest.mark.django_db


def _public_title(pk: int) -> str:
    public.clear_cache()
    snapshot.forget()
    return Client().get(f"/api/public/v1/policies/{pk}/").json()["title"]


def test_restore_makes_a_new_draft_from_an_old_version(editor: Any, reviewer: Any) -> None:
    entry = publish(
        editor, reviewer, ContentKind.POLICY, title="旧标题", body="旧正文第一条。", data=POLICY_DATA
    )
    v_published = entry.versions.order_by("-number").first()
    assert v_published is not None
    entry = services.update_entry(
        editor,
        entry,
        {"title": "新标题", "body": "新正文。", "data": {**POLICY_DATA, "doc_number": "乌政发〔2026〕9号"}},
        expected_version=entry.version,
    )
    entry = services.submit_entry(editor, entry, expected_version=entry.version)
    entry = services.approve_entry(reviewer, entry, expected_version=entry.version)
    assert _public_title(entry.pk) == "新标题"
    numbers_before = list(entry.versions.order_by("number").values_list("number", flat=True))

    entry = services.restore_version(editor, entry, expected_version=entry.version, number=v_published.number)

    assert (entry.title, entry.body, entry.data["doc_number"]) == (
        "旧标题",
        "旧正文第一条。",
        "乌政发〔2026〕8号",
    )
    assert (entry.status, entry.online) == (ContentStatus.DRAFT, True)
    newest = entry.versions.order_by("-number").first()
    assert newest is not None
    assert (newest.number, newest.note, newest.status) == (
        numbers_before[-1] + 1,
        f"恢复自 v{v_published.number}",
        ContentStatus.DRAFT,
    )
    assert list(entry.versions.order_by("number").values_list("number", flat=True))[:-1] == numbers_before
    # the published snapshot stays until the restored draft is approved
    assert _public_title(entry.pk) == "新标题"
    event = AuditEvent.objects.filter(object_type="portal.entry", object_id=str(entry.pk)).latest("id")
    assert event.detail == f"恢复内容版本 v{v_published.number}"
    assert event.actor_id == editor.pk
    assert event.changes["title"] == ["新标题", "旧标题"]
    assert event.changes["body"] == ["新正文。", "旧正文第一条。"]
    entry = services.submit_entry(editor, entry, expected_version=entry.version)
    entry = services.approve_entry(reviewer, entry, expected_version=entry.version)
    assert _public_title(entry.pk) == "旧标题"
    assert (
        PublicItem.objects.get(kind="policy", ref=entry.pk).payload["data"]["doc_number"]
        == "乌政发〔2026〕8号"
    )


def test_restore_refusals(editor: Any, reviewer: Any, cj_dispatcher: Any, make_user: Any) -> None:
    entry = services.create_entry(
        editor, ContentKind.NEWS, {"title": "第一版", "data": {"date": "2026-05-01"}}
    )
    entry = services.update_entry(editor, entry, {"title": "第二版"}, expected_version=entry.version)
    entry = services.submit_entry(editor, entry, expected_version=entry.version)
    with pytest.raises(ValidationError, match="不能执行该操作"):  # under review: no restore
        services.restore_version(editor, entry, expected_version=entry.version, number=1)
    entry = services.return_entry(reviewer, entry, expected_version=entry.version, comment="请改")
    with pytest.raises(ValidationError, match="该版本不存在"):
        services.restore_version(editor, entry, expected_version=entry.version, number=99)
    with pytest.raises(ValidationError, match="该记录已被他人修改"):
        services.restore_version(editor, entry, expected_version=entry.version - 1, number=1)
    with pytest.raises(PermissionDenied):  # another prefecture's staff
        services.restore_version(cj_dispatcher, entry, expected_version=entry.version, number=1)
    from qinqing.accounts.roles import Role

    viewer = make_user("wlmq_leader", unit_name="乌鲁木齐市招商服务局", roles=[Role.LEADER])
    with pytest.raises(PermissionDenied):
        services.restore_version(viewer, entry, expected_version=entry.version, number=1)
    entry.refresh_from_db()
    assert entry.title == "第二版"
    entry = services.restore_version(editor, entry, expected_version=entry.version, number=1)
    assert (entry.title, entry.status) == ("第一版", ContentStatus.RETURNED)


def test_restore_from_the_content_page(editor: Any) -> None:
    entry = services.create_entry(
        editor, ContentKind.NEWS, {"title": "第一版", "data": {"date": "2026-05-01"}}
    )
    entry = services.update_entry(editor, entry, {"title": "第二版"}, expected_version=entry.version)
    client = Client()
    client.force_login(editor)
    page = client.get(reverse("portal:content", args=[entry.pk])).content.decode()
    assert 'data-testid="restore-v1"' in page
    assert 'data-testid="restore-v2"' not in page  # the current version
    assert 'data-testid="action-restore"' not in page
    url = reverse("portal:content_action", args=[entry.pk, "restore"])
    bad = client.post(url, {"version": entry.version, "number": "１"}, follow=True)
    assert "请选择要恢复的版本" in bad.content.decode()
    response = client.post(url, {"version": entry.version, "number": "1"}, follow=True)
    assert "已恢复 v1 的内容为新的草稿版本" in response.content.decode()
    entry.refresh_from_db()
    assert (entry.title, entry.versions.count()) == ("第一版", 3)
