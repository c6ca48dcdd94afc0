from __future__ import annotations

import io

import pytest

from qinqing.core.demo import load_users
from qinqing.evaluation import demo
from qinqing.evaluation.models import Round, UnitScore, Value, ValueOrigin

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_scored(tree: None) -> None:
    load_users()
    out = io.StringIO()
    assert demo.load(out) == (11 + 9) * 80
    assert demo.load() == 0 and Round.objects.count() == 2
    urumqi = Round.objects.get(name="2026年乌鲁木齐市营商环境第三方评价")
    assert urumqi.units.count() == 11
    assert (
        UnitScore.objects.filter(round=urumqi, overall__isnull=False).count() == 10
    )  # the last is half-entered
    live = Value.objects.filter(round=urumqi, origin=ValueOrigin.LIVE, indicator__code="GS.D1")
    assert live.count() == 11
    assert all(v.missing_reason or v.value is not None for v in live)
    assert urumqi.members.get().user.username == "eval_firm"
