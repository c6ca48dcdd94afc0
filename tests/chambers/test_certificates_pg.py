"""Certificate serials stay unique and gap-free when approvals run at the same time (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from qinqing.chambers import certificates
from qinqing.chambers.models import Certificate
from tests.chambers import builders

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 8
EACH = 5


def test_concurrent_issues_get_unique_sequential_serials(staff: object) -> None:
    org, _user = builders.org_account(staff)  # type: ignore[arg-type]
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(EACH):
                certificates.issue(staff, org)
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
    seqs = sorted(Certificate.objects.filter(year=2026).values_list("seq", flat=True))
    assert seqs == list(range(1, WORKERS * EACH + 1))
    assert Certificate.objects.values("serial").distinct().count() == WORKERS * EACH
