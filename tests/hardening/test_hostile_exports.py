"""Formula injection in every Excel/CSV export: cells starting with = + - @ TAB CR are neutralised.

Two proofs. Statically, every module of the code base that builds a workbook or a CSV writer goes through
``qinqing.core.spreadsheets`` (a new export that does not fails here). Dynamically, the exports fed with
hostile text through the real download URLs contain each payload with its apostrophe and no cell that a
spreadsheet would run (the chambers' and surveys' exports have theirs in tests/chambers and tests/surveys).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

import qinqing
from qinqing.core import spreadsheets
from qinqing.demands.models import Demand
from qinqing.enterprises.models import Enterprise
from qinqing.liaison import services as liaison
from tests.demands.conftest import People, people, submit  # noqa: F401  (people is a fixture)
from tests.factories import EnterpriseFactory, unit
from tests.hardening.hostile import FORMULAS, check_export, tally, unsafe_cells, xlsx_cells
from tests.liaison.conftest import Cast, cast, clock, problem  # noqa: F401  (fixtures)

ROOT = Path(qinqing.__file__).resolve().parent
BUILDS = re.compile(r"\bWorkbook\(|\bcsv\.(?:writer|DictWriter)\(|\bsafe_csv_writer\(")
SAFE = re.compile(r"\b(?:workbook_bytes|safe_row|safe_csv_writer|safe_cell)\b")


def export_modules() -> list[Path]:
    return sorted(
        p
        for p in ROOT.glob("**/*.py")
        if "migrations" not in p.parts and BUILDS.search(p.read_text(encoding="utf-8"))
    )


def test_every_module_that_builds_a_spreadsheet_neutralises_it() -> None:
    modules = [p for p in export_modules() if p != ROOT / "core" / "spreadsheets.py"]
    unsafe = [str(p.relative_to(ROOT)) for p in modules if not SAFE.search(p.read_text(encoding="utf-8"))]
    print(f"modules building a workbook or CSV: {len(modules)}; without the shared sanitiser: {unsafe}")
    assert len(modules) >= 12  # 14 on 2026-12-03
    assert unsafe == []


@pytest.mark.parametrize("payload", FORMULAS)
def test_safe_cell_prefixes_every_trigger(payload: str) -> None:
    assert spreadsheets.safe_cell(payload) == "'" + payload
    assert spreadsheets.unquote(spreadsheets.safe_cell(payload)) == payload


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-12, -12),
        (None, None),
        ("-12.5", "-12.5"),
        ("-", "-"),
        ("=", "="),
        ("普通文本", "普通文本"),
        ("a\x01b\x0bc", "abc"),  # control characters openpyxl refuses (they failed the whole export)
        ("\x07=1+1", "'=1+1"),
    ],
)
def test_safe_cell_leaves_numbers_and_plain_text(value: Any, expected: Any) -> None:
    assert spreadsheets.safe_cell(value) == expected


def test_workbook_bytes_turns_formulas_into_text() -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "=1+1"
    ws.cell(2, 1, "@x")
    ws.append([3, "\tx"])
    cells = xlsx_cells(spreadsheets.workbook_bytes(wb))
    assert unsafe_cells(cells) == []
    assert [v for _, v in cells if v is not None] == ["'=1+1", "'@x", 3, "'\tx"]


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_enterprise_export(make_user: Any) -> None:
    leader = make_user("changji_leader", unit_name="昌吉市营商环境服务中心", roles=["leader"])
    for i, payload in enumerate(FORMULAS):
        e = EnterpriseFactory(name=f"企业{i}", registered_unit=unit("昌吉市"))
        Enterprise.objects.filter(pk=e.pk).update(name=payload, legal_representative=payload, address=payload)
    response = _login(leader).get(reverse("enterprises:export"))
    assert response.status_code == 200
    check_export("enterprises", response.content)


def test_demand_export_and_statistics(people: People) -> None:  # noqa: F811
    for payload in FORMULAS:
        d = submit(people)
        Demand.objects.filter(pk=d.pk).update(title=payload, contact_name=payload)
    response = _login(people.office).get(reverse("demands:export"))
    assert response.status_code == 200, response.status_code
    check_export("demands", response.content)
    stats = _login(people.office).get(reverse("demands:stats_export"))
    assert stats.status_code == 200
    assert unsafe_cells(xlsx_cells(stats.content)) == []
    tally("formula injection in exports", 1, 1)


def test_liaison_ledger_export(cast: Cast, clock: Any) -> None:  # noqa: F811
    problems = [problem(f"问题{i}", f"说明{i}") for i in range(len(FORMULAS))]
    visit = liaison.log_visit(
        cast.changji_leader,
        liaison.VisitData(
            enterprise=cast.ent,
            visited_on=dt.date(2026, 11, 20),
            form="on_site",
            topics="生产经营",
            problems=problems,
        ),
    )
    demands = Demand.objects.filter(pk__in=[p.demand_id for p in visit.problems.all()]).order_by("pk")
    for d, payload in zip(demands, FORMULAS, strict=True):
        Demand.objects.filter(pk=d.pk).update(title=payload)
    response = _login(cast.office).get(reverse("liaison:ledger_export"))
    assert response.status_code == 200
    check_export("liaison ledger", response.content)
