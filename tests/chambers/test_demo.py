from __future__ import annotations

import pytest

from qinqing.chambers import demo
from qinqing.chambers.models import AnnualReport, Certificate, Organisation
from qinqing.core.demo import load_users

pytestmark = pytest.mark.django_db


def test_demo_loads_once(tree: None) -> None:
    load_users()
    assert demo.load() == 10
    assert demo.load() == 0
    assert Organisation.objects.filter(status="active").count() == 8
    assert Certificate.objects.count() == 8
    statuses = sorted(AnnualReport.objects.values_list("status", flat=True))
    assert statuses.count("concluded") == 6 and "not_started" in statuses
