"""Demo data: the 2026 evaluation of 乌鲁木齐市 (11 counties and parks) and of 昌吉州 (9), on a copy of the
national system whose unset bounds are filled with demo values, with values entered, reviewed and scored,
live demand figures filled, a benchmark, and one unit left half-entered for the evaluator to finish.

Deterministic (fixed seed) and idempotent (nothing happens once the demo system exists).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction

from qinqing.accounts.models import User, UserRole
from qinqing.accounts.roles import Role
from qinqing.core.demo import DEMO_PASSWORD
from qinqing.evaluation import services, trees
from qinqing.evaluation.models import IndicatorSystem, Round, Value
from qinqing.orgs.models import Unit

YEAR = 2026
CODE = "CN.DEMO"
EVALUATOR = "eval_firm"
# Demo bounds for the leaves no public source bounds (by unit of measure): (best, worst), higher/lower.
DEMO_BOUNDS = {
    ("分", "higher"): (100, 0),
    ("%", "higher"): (100, 0),
    ("个", "lower"): (1, 10),
    ("天", "lower"): (1, 30),
    ("工作日", "lower"): (1, 20),
    ("元", "lower"): (0, 20000),
}


def demo_system_data() -> dict[str, Any]:
    data = trees.shipped("national")
    data["code"], data["name"] = CODE, f"{YEAR}年营商环境评价指标体系（演示，含演示用最优/最差值）"

    def fill(node: dict[str, Any]) -> None:
        for child in node.get("children", []):
            fill(child)
        if "children" not in node and "best" not in node:
            best, worst = DEMO_BOUNDS[(node["unit"], node["better"])]
            node["best"], node["worst"] = best, worst

    fill(data)
    return data


def _value(rng: random.Random, best: Decimal, worst: Decimal, unit: str, skill: float) -> Decimal:
    share = min(1.0, max(0.0, rng.random() ** 1.4 * (1.1 - skill)))
    y = float(best) + (float(worst) - float(best)) * share
    places = 0 if unit in ("个", "次/年") else 1
    return Decimal(str(round(y, places)))


def _user(username: str, name: str, unit_name: str, role: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, full_name=name, unit=Unit.objects.get(name=unit_name))
        user.set_password(DEMO_PASSWORD)
        user.save()
        UserRole.objects.create(user=user, role=role)
    return user


def _round(office: User, system: IndicatorSystem, name: str, evaluator: User, rng: random.Random) -> Round:
    scope = office.scope_unit
    assert scope is not None
    units = list(
        Unit.objects.filter(path__startswith=scope.path, kind__in=services.EVALUATED_KINDS).order_by("path")
    )
    rnd = services.create_round(
        office,
        services.RoundData(name, YEAR, system, scope, units, dt.date(YEAR, 9, 1), dt.date(YEAR, 12, 31)),
    )
    services.add_member(office, rnd, evaluator)
    services.fill_live(office, rnd)
    engine = services.engine_for(rnd)
    nodes = engine.by_code()
    for i, unit in enumerate(units):
        skill = rng.uniform(0.3, 0.9)
        rows = list(Value.objects.filter(round=rnd, unit=unit).select_related("indicator"))
        entries: list[services.Entry] = []
        for v in rows:
            if v.value is not None or v.indicator.source != "entered":
                continue  # live leaves keep the platform's figure, or stay missing with the reason
            if i == len(units) - 1 and len(entries) >= len(rows) // 2:
                break  # the last unit is left half-entered, for the evaluator
            n = nodes[v.indicator.code]
            assert n.best is not None and n.worst is not None
            number = _value(rng, n.best, n.worst, n.unit, skill)
            entries.append(services.Entry(v.pk, v.version, number, None, "评估组实地核查及部门台账"))
        services.enter_values(evaluator, rnd, entries, submit=i < len(units) - 1)
        if i < len(units) - 1:
            pending = list(
                Value.objects.filter(round=rnd, unit=unit, status="review").values_list("pk", flat=True)
            )
            services.transition(office, rnd, pending, "accept")
    leaves = {leaf.code: leaf for leaf in trees.leaves(system)}
    services.set_benchmark(
        office,
        rnd,
        "全国先进县市（示例）",
        {leaves["SB.P"]: 2, leaves["SB.T"]: 1, leaves["EL.T"]: 15, leaves["RP.T"]: 1, leaves["TX.P"]: 4},
    )
    return rnd


def load(stdout: Any = None) -> int:
    def say(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg + "\n")

    if IndicatorSystem.objects.filter(code=CODE, year=YEAR).exists():
        say("evaluation: demo data already present")
        return 0
    urumqi = User.objects.filter(username="urumqi_dispatcher", is_active=True).first()
    zhou = User.objects.filter(username="zhou_dispatcher", is_active=True).first()
    if urumqi is None or zhou is None:
        say("evaluation: urumqi_dispatcher / zhou_dispatcher missing, skipped")
        return 0
    rng = random.Random(20261101)
    with transaction.atomic():
        evaluator = _user(EVALUATOR, "第三方评估机构 孙评估", "昌吉州营商环境服务中心", Role.EVALUATOR)
        system = services.import_system(zhou, demo_system_data(), year=YEAR)
        rounds = [
            _round(urumqi, system, f"{YEAR}年乌鲁木齐市营商环境第三方评价", evaluator, rng),
            _round(zhou, system, f"{YEAR}年昌吉州营商环境第三方评价", evaluator, rng),
        ]
    count = sum(r.values.count() for r in rounds)
    say(f"evaluation: {len(rounds)} rounds, {count} values")
    return count
