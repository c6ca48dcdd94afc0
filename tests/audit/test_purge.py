from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from qinqing.audit import services
from qinqing.audit.models import AuditAction, AuditEvent
from tests.audit.conftest import event

pytestmark = pytest.mark.django_db


@pytest.fixture
def aged(db: None) -> dict[str, AuditEvent]:
    now = timezone.now()
    ages = {
        "400d": dt.timedelta(days=400),
        "181d": dt.timedelta(days=181),
        "180d+1h": dt.timedelta(days=180, hours=1),
        "179d": dt.timedelta(days=179),
        "1d": dt.timedelta(days=1),
    }
    return {k: event(now - age, actor_name="aged", action=AuditAction.LOGIN) for k, age in ages.items()}


def run(*args: str) -> str:
    out = StringIO()
    call_command("purge_audit", *args, stdout=out)
    return out.getvalue()


def test_refuses_less_than_the_retention(aged: dict[str, AuditEvent]) -> None:
    with pytest.raises(CommandError) as excinfo:
        run("--older-than-days", "179")
    assert str(excinfo.value) == "审计日志至少保留180天"
    with pytest.raises(CommandError):
        run("--older-than-days", "0", "--dry-run")
    assert AuditEvent.objects.count() == 5
    assert not AuditEvent.objects.filter(action=AuditAction.PURGE).exists()


def test_dry_run_counts_and_deletes_nothing(aged: dict[str, AuditEvent]) -> None:
    out = run("--older-than-days", "180", "--dry-run")
    assert out.startswith("试运行：将删除 ")
    assert out.endswith(" 之前的审计事件 3 条（未删除）\n")
    assert AuditEvent.objects.count() == 5


def test_purges_180_days_and_records_it(aged: dict[str, AuditEvent]) -> None:
    out = run("--older-than-days", "180")
    assert out.startswith("已删除 ") and out.endswith(" 之前的审计事件 3 条\n")
    left = set(AuditEvent.objects.filter(actor_name="aged").values_list("pk", flat=True))
    assert left == {aged["179d"].pk, aged["1d"].pk}
    purge = AuditEvent.objects.get(action=AuditAction.PURGE)
    assert purge.actor_name == "purge_audit"
    assert purge.object_type == "audit.auditevent"
    assert purge.changes["deleted"] == 3
    assert purge.changes["older_than_days"] == 180
    assert "审计事件 3 条" in purge.detail
    # Purging again finds nothing older; the PURGE event itself is new.
    assert run("--older-than-days", "180").endswith(" 之前的审计事件 0 条\n")
    assert AuditEvent.objects.count() == 4


def test_longer_retention_deletes_less(aged: dict[str, AuditEvent]) -> None:
    result = services.purge(365)
    assert (result.count, result.dry_run) == (1, False)
    assert not AuditEvent.objects.filter(pk=aged["400d"].pk).exists()
    assert AuditEvent.objects.filter(pk=aged["181d"].pk).exists()


def test_the_minimum_follows_the_setting(aged: dict[str, AuditEvent], settings: Any) -> None:
    settings.AUDIT_RETENTION_DAYS = 365
    with pytest.raises(services.RetentionError, match="审计日志至少保留365天"):
        services.purge(180)
    assert AuditEvent.objects.count() == 5
