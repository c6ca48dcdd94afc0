"""The pre-aggregated funds table (ProjectYearFunds) stays equal to a recomputation from the raw entries
through any sequence of service calls, and the dashboard read from it equals sums of the raw rows."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from qinqing.accounts.models import User
from qinqing.investment import aggregates, queries, rules, services
from qinqing.investment.models import (
    FundsEntry,
    IndustryCluster,
    InvestmentSettings,
    Project,
    ProjectYearFunds,
)

W = Decimal


def _raw_dashboard(user: User, year: int, month: int) -> dict[str, Any]:
    """The dashboard's funds figures straight from the entries, in Python."""
    settings = InvestmentSettings.current()
    ids = set(queries.visible_unit_ids(user))
    counted = set(queries.scoped_projects(user, settings).values_list("pk", flat=True))
    monthly: dict[dt.date, list[Decimal]] = defaultdict(lambda: [W(0), W(0)])
    per_project: dict[int, list[Decimal]] = defaultdict(lambda: [W(0), W(0)])
    for e in FundsEntry.objects.filter(unit_id__in=ids, project_id__in=counted):
        if e.month.year == year and e.month.month <= month:
            monthly[e.month][0] += e.amount_wan
            monthly[e.month][1] += e.outside_amount_wan
            per_project[e.project_id][0] += e.amount_wan
            per_project[e.project_id][1] += e.outside_amount_wan
        if e.month.year == year - 1 and e.month.month <= month:
            monthly[e.month][0] += e.amount_wan
    by_source: dict[str, Decimal] = defaultdict(lambda: W(0))
    by_cluster: dict[int | None, Decimal] = defaultdict(lambda: W(0))
    projects = Project.objects.in_bulk(list(per_project))
    for pid, (a, _) in per_project.items():
        by_source[projects[pid].source] += a
        by_cluster[projects[pid].cluster_id] += a
    return {
        "monthly": [
            (m, monthly[dt.date(year, m, 1)][0], monthly[dt.date(year, m, 1)][1]) for m in range(1, month + 1)
        ],
        "prev": sum((v[0] for k, v in monthly.items() if k.year == year - 1), W(0)),
        "projects": {pid: (a, o) for pid, (a, o) in per_project.items()},
        "source": dict(by_source),
        "cluster": dict(by_cluster),
    }


def _check(user: User, year: int, month: int) -> None:
    assert aggregates.differences() == []
    d = queries.dashboard(user, year, month)
    raw = _raw_dashboard(user, year, month)
    assert [(r["month"], r["amount_wan"], r["outside_wan"]) for r in d.monthly] == raw["monthly"]
    assert d.totals["funds_prev_year_wan"] == raw["prev"]
    assert {i["key"]: i["amount_wan"] for i in d.breakdowns["source"]} == raw["source"]
    assert {i["key"]: i["amount_wan"] for i in d.breakdowns["cluster"]} == raw["cluster"]
    top = sorted(raw["projects"].items(), key=lambda kv: -kv[1][0])[:10]
    assert [t["amount_wan"] for t in d.top_projects] == [a for _, (a, _) in top]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_service_sequence_keeps_the_aggregate_right(
    seed: int,
    reviewer: User,
    filer: User,
    manas_filer: User,
    make_project: Callable[..., Project],
) -> None:
    rng = random.Random(seed)
    clusters = list(IndustryCluster.objects.filter(scheme="changji")[:3])
    projects: list[tuple[Project, User]] = []
    for i in range(6):
        who, unit_name = (filer, "昌吉市") if i % 2 else (manas_filer, "玛纳斯县")
        p = make_project(
            user=who,
            unit_name=unit_name,
            name=f"项目{i}",
            signed_on=dt.date(2024, 3, 1) if i < 5 else None,
            cluster=rng.choice(clusters),
            source=rng.choice(["province", "aid", "local"]),
        )
        projects.append((p, who))
    months = [dt.date(y, m, 1) for y in (2025, 2026) for m in range(1, 11)]
    for step in range(60):
        p, who = rng.choice(projects)
        p.refresh_from_db()
        action = rng.random()
        existing = list(FundsEntry.objects.filter(project=p))
        if action < 0.45 or not existing:
            month = rng.choice(months)
            if any(e.month == month for e in existing):
                continue
            amount = W(rng.randint(0, 50000)) / 100
            services.record_funds(
                who,
                p,
                month=month,
                amount_wan=amount,
                outside_amount_wan=(amount * rng.choice([0, 1]) / 2).quantize(
                    W("0.01"), rounding="ROUND_DOWN"
                ),
            )
        elif action < 0.65:
            e = rng.choice(existing)
            amount = W(rng.randint(0, 50000)) / 100
            services.update_funds(
                who,
                e,
                expected_version=e.version,
                amount_wan=amount,
                outside_amount_wan=(amount / 4).quantize(W("0.01"), rounding="ROUND_DOWN"),
            )
        elif action < 0.8:
            e = rng.choice(existing)
            services.delete_funds(who, e, expected_version=e.version)
        elif action < 0.95:
            # breakdown keys and counting exclusions change on the project only
            change: dict[str, Any] = rng.choice(
                [
                    {"source": rng.choice(["province", "aid", "overseas", "local"])},
                    {"cluster": rng.choice(clusters), "chain": None, "chain_role": ""},
                    {"is_fiscal_funded": rng.random() < 0.5},
                    {"investor_type": rng.choice(["state", "private", "central"])},
                    {"planned_investment_wan": W(rng.choice([5000, 60000, 600000]))},
                ]
            )
            services.update_project(who, p, change, expected_version=p.version)
        elif p.stage in (rules.Stage.SIGNED, rules.Stage.LEAD):
            to = rules.Stage.STARTED if p.stage == rules.Stage.SIGNED else rules.Stage.NEGOTIATING
            services.change_stage(who, p, expected_version=p.version, to_stage=to, on=dt.date(2026, 5, 1))
        if step % 10 == 9:
            _check(reviewer, 2026, rng.choice([1, 6, 10]))
    _check(reviewer, 2026, 10)
    _check(reviewer, 2025, 12)
    assert ProjectYearFunds.objects.exists()


def test_rebuild_command_repairs_and_check_reports(filer: User, make_project: Callable[..., Project]) -> None:
    p = make_project(signed_on=dt.date(2025, 6, 1))
    for month, amount in ((dt.date(2025, 6, 1), "100.50"), (dt.date(2026, 2, 1), "30")):
        services.record_funds(filer, p, month=month, amount_wan=W(amount), outside_amount_wan=W("10"))
    row = ProjectYearFunds.objects.get(project=p, year=2025)
    assert (row.months, row.a06, row.o06) == (1 << 5, W("100.50"), W("10.00"))
    call_command("investment_rebuild_aggregates", "--check")
    ProjectYearFunds.objects.filter(pk=row.pk).update(a06=W("1"))
    ProjectYearFunds.objects.filter(year=2026).delete()
    with pytest.raises(CommandError):
        call_command("investment_rebuild_aggregates", "--check")
    assert len(aggregates.differences()) == 2
    call_command("investment_rebuild_aggregates")
    assert aggregates.differences() == []
    assert ProjectYearFunds.objects.get(project=p, year=2025).a06 == W("100.50")


def test_moved_project_has_two_rows_and_ranks_by_its_total(
    reviewer: User, filer: User, make_project: Callable[..., Project]
) -> None:
    """A project moved to another unit keeps its entries' old unit: two rows in the year, one total."""
    from tests.factories import unit

    moved = make_project(name="迁移项目", signed_on=dt.date(2025, 6, 1))
    services.record_funds(
        filer, moved, month=dt.date(2026, 1, 1), amount_wan=W("60"), outside_amount_wan=W("6")
    )
    moved = services.update_project(
        reviewer, moved, {"location_unit": unit("玛纳斯县")}, expected_version=moved.version
    )
    services.record_funds(
        reviewer, moved, month=dt.date(2026, 2, 1), amount_wan=W("50"), outside_amount_wan=W("5")
    )
    assert ProjectYearFunds.objects.filter(project=moved, year=2026).count() == 2
    # eleven one-row projects, ten of them tied at 100 (ties go by number), one at 90
    others = []
    for i in range(11):
        p = make_project(name=f"项目{i}", signed_on=dt.date(2025, 6, 1))
        amount = W("90") if i == 0 else W("100")
        services.record_funds(
            filer, p, month=dt.date(2026, 1, 1), amount_wan=amount, outside_amount_wan=W("1")
        )
        others.append(p)
    _check(reviewer, 2026, 3)
    top = queries.dashboard(reviewer, 2026, 3).top_projects
    assert (
        top[0]["id"] == moved.pk
        and top[0]["amount_wan"] == W("110.00")
        and top[0]["outside_wan"] == W("11.00")
    )
    tied = sorted((p for p in others[1:]), key=lambda p: p.number)
    assert [t["id"] for t in top[1:]] == [p.pk for p in tied[:9]]
    # before February only the January row counts for the moved project: 60, below every 100
    top_jan = queries.dashboard(reviewer, 2026, 1).top_projects
    assert moved.pk not in [t["id"] for t in top_jan]
