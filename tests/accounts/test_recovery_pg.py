"""A recovery code used by several requests at the same instant is accepted exactly once (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone

from qinqing.accounts import recovery
from qinqing.accounts.models import RecoveryCode, User
from qinqing.accounts.roles import Role
from qinqing.audit.models import AuditAction, AuditEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 8


def test_racing_requests_spend_one_code_once(make_user: Callable[..., User]) -> None:
    user = make_user("race_admin", unit_name="昌吉州营商环境服务中心", roles=[Role.SYSADMIN])
    User.objects.filter(pk=user.pk).update(totp_secret="JBSWY3DPEHPK3PXP", totp_confirmed_at=timezone.now())
    user.refresh_from_db()
    code = recovery.generate(user)[0]
    barrier = threading.Barrier(WORKERS)
    results: list[bool] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            results.append(recovery.consume(user, code, purpose="登录"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [False] * (WORKERS - 1) + [True]
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=False).count() == 1
    used = AuditEvent.objects.filter(action=AuditAction.TOTP, detail__startswith="使用恢复码")
    assert list(used.values_list("detail", flat=True)) == ["使用恢复码登录（剩余 9 个）"]
