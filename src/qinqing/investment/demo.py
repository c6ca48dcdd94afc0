"""Demo data: a year of investment work for 昌吉州's counties and parks (and a few for 乌鲁木齐市).

Deterministic (fixed seed) and idempotent (does nothing once the demo projects exist). Projects, stages
and funds go through the services as the prefecture dispatcher; January–September reports of every
county and park are prepared from the library and approved; October is left open for the filers.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.investment import rules, services
from qinqing.investment.models import (
    REPORTING_KINDS,
    ClusterScheme,
    IndustryCluster,
    InvestmentSettings,
    MonthlyReport,
    Project,
    ReportStatus,
    Target,
)
from qinqing.orgs.models import Unit

YEAR = 2026
LAST_REPORTED_MONTH = 9
SECTIONS = [("C", "26", 2), ("C", "32", 2), ("D", "44", 2), ("B", "06", 2), ("G", "58", 3), ("R", "88", 3)]
INVESTORS = [
    ("江苏", "province", "private", "江苏{}新材料集团有限公司"),
    ("浙江", "aid", "private", "浙江{}控股集团有限公司"),
    ("北京", "province", "central", "中国{}能源集团有限公司"),
    ("广东", "aid", "private", "广东{}科技股份有限公司"),
    ("山东", "province", "state", "山东{}投资集团有限公司"),
    ("新加坡", "overseas", "foreign", "新加坡{}国际有限公司"),
    ("香港", "overseas", "hmt", "香港{}实业有限公司"),
]
WORDS = ["天山", "丝路", "北庭", "准噶尔", "金泉", "瑞丰", "恒信", "中泰", "华晟", "昌盛", "博达", "宏远"]
PRODUCTS = [
    "年产20万吨铝合金",
    "30万千瓦光伏",
    "煤制烯烃配套",
    "番茄精深加工",
    "冷链物流园",
    "工业硅",
    "储能电站",
    "绿色建材",
    "有机硅新材料",
    "文旅综合体",
]


def _user(username: str, role: str) -> User | None:
    return User.objects.filter(username=username, role_rows__role=role, is_active=True).first()


def load(stdout: Any = None) -> int:
    def say(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg + "\n")

    if Project.objects.filter(number__startswith="DEMO").exists():
        say("investment: demo data already present")
        return 0
    zhou = _user("zhou_dispatcher", Role.DISPATCHER)
    if zhou is None:
        say("investment: zhou_dispatcher missing, skipped")
        return 0
    rng = random.Random(20260101)
    with transaction.atomic():
        created = _projects(zhou, rng, "昌吉回族自治州", ClusterScheme.CHANGJI, 14)
        urumqi = _user("urumqi_dispatcher", Role.DISPATCHER)
        if urumqi is not None:
            created += _projects(urumqi, rng, "乌鲁木齐市", ClusterScheme.URUMQI, 3)
        _reports(zhou)
        _targets(zhou)
    say(f"investment: {created} demo projects")
    return created


def _projects(user: User, rng: random.Random, prefecture: str, scheme: str, per_unit: int) -> int:
    pref = Unit.objects.get(name=prefecture)
    units = list(Unit.objects.filter(parent=pref, kind__in=REPORTING_KINDS).order_by("path"))
    clusters = list(IndustryCluster.objects.filter(scheme=scheme).prefetch_related("chains"))
    today = timezone.localdate()
    count = 0
    for unit in units:
        for i in range(per_unit):
            origin, source, itype, pattern = rng.choice(INVESTORS)
            section, division, sector = rng.choice(SECTIONS)
            cluster = rng.choice(clusters)
            chain = rng.choice(list(cluster.chains.all()))
            planned = Decimal(rng.choice([3500, 8000, 12000, 25000, 60000, 150000, 420000]))
            fate = rng.random()
            opened = dt.date(
                YEAR - (1 if i < 3 else 0), rng.randint(1, 12 if i < 3 else 8), rng.randint(1, 28)
            )
            data = {
                "number": f"DEMO{unit.pk:04d}{i:03d}",
                "name": f"{rng.choice(PRODUCTS)}项目（{unit.display_name}{i + 1}期）",
                "investor_name": pattern.format(rng.choice(WORDS)),
                "investor_origin": origin,
                "source": source,
                "investor_type": itype,
                "sector": sector,
                "industry_section": section,
                "industry_division": division,
                "cluster": cluster,
                "chain": chain,
                "chain_role": rng.choice(["build", "fill", "strengthen", "extend"]),
                "location_unit": unit,
                "planned_investment_wan": planned,
                "construction": "continuing" if i < 3 else "new",
                "expected_jobs": rng.randint(20, 800),
                "responsible_leader": f"{rng.choice('王李张刘陈杨赵')}副州长",
            }
            initial: dict[str, Any] = {"opened_on": opened}
            if i < 3 or fate > 0.35:  # signed
                signed = opened + dt.timedelta(days=rng.randint(20, 90))
                signed = min(signed, dt.date(YEAR, 9, 25))
                initial |= {
                    "stage": "signed",
                    "signed_on": signed,
                    "contract_type": "formal",
                    "contract_amount_wan": planned,
                }
                if fate > 0.55 or i < 3:
                    started = min(signed + dt.timedelta(days=rng.randint(30, 120)), dt.date(YEAR, 9, 28))
                    initial |= {"stage": "started", "started_on": started}
                    if fate > 0.85 and started < dt.date(YEAR, 6, 1):
                        initial |= {"stage": "producing", "produced_on": started + dt.timedelta(days=100)}
            project = services.create_project(user, data, initial=initial)
            count += 1
            services.add_negotiation(
                user,
                project,
                held_on=opened,
                people=f"{unit.display_name}招商专班、投资方代表",
                content="介绍园区要素保障和用地条件，投资方提出用电价格诉求",
                next_step="实地考察",
            )
            if project.first_signed_on is None and fate < 0.1 and opened < dt.date(YEAR, 8, 1):
                services.change_stage(
                    user,
                    project,
                    expected_version=project.version,
                    to_stage="terminated",
                    on=opened + dt.timedelta(days=40),
                    reason="投资方战略调整",
                )
            elif project.first_signed_on is None:
                services.change_stage(
                    user,
                    project,
                    expected_version=project.version,
                    to_stage="negotiating",
                    on=min(opened + dt.timedelta(days=10), today),
                )
            if project.first_signed_on is not None:
                _funds(user, rng, project)
    return count


def _funds(user: User, rng: random.Random, project: Project) -> None:
    assert project.first_signed_on is not None
    month = max(project.first_signed_on.replace(day=1), dt.date(YEAR - 1, 1, 1))
    remaining = project.planned_investment_wan * Decimal("0.8")
    while month <= dt.date(YEAR, 10, 1) and remaining > 0:
        if rng.random() < 0.7:
            amount = min(
                remaining,
                (project.planned_investment_wan * Decimal(rng.randint(2, 9)) / 100).quantize(Decimal("1")),
            )
            outside = (amount * Decimal(rng.choice([60, 80, 100])) / 100).quantize(Decimal("0.01"))
            services.record_funds(
                user,
                project,
                month=month,
                amount_wan=amount,
                outside_amount_wan=outside,
                evidence_note="银行进账单",
            )
            remaining -= amount
        month = (month + dt.timedelta(days=32)).replace(day=1)


def _reports(reviewer: User) -> None:
    """January–September approved for every 昌吉州 county and park (one September missing)."""
    settings = InvestmentSettings.current()
    pref = Unit.objects.get(name="昌吉回族自治州")
    units = list(Unit.objects.filter(parent=pref, kind__in=REPORTING_KINDS).order_by("path"))
    for m in range(1, LAST_REPORTED_MONTH + 1):
        month = dt.date(YEAR, m, 1)
        deadline, provisional = rules.report_deadline(month, settings.report_deadline_working_days)
        for n, unit in enumerate(units):
            if m == LAST_REPORTED_MONTH and n == len(units) - 1:
                continue  # 昌吉高新区 has not reported September: flagged on the dashboard
            late = m == 8 and n == 2
            submitted = dt.datetime.combine(
                deadline + dt.timedelta(days=3 if late else -1),
                dt.time(10),
                tzinfo=timezone.get_current_timezone(),
            )
            report = MonthlyReport.objects.create(
                unit=unit,
                month=month,
                deadline=deadline,
                deadline_provisional=provisional,
                remarks=f"{unit.display_name}{m}月招商工作正常推进。",
                status=ReportStatus.APPROVED,
                submitted_at=submitted,
                reviewed_by=reviewer,
                reviewed_at=submitted + dt.timedelta(days=1),
                prepared_at=submitted,
            )
            services._write_lines(report, settings)


def _targets(user: User) -> None:
    pref = Unit.objects.get(name="昌吉回族自治州")
    units = list(Unit.objects.filter(parent=pref, kind__in=REPORTING_KINDS).order_by("path"))
    values: dict[tuple[int, str], Decimal] = {
        (pref.pk, "outside_funds"): Decimal("180"),
        (pref.pk, "in_execution"): Decimal("120"),
        (pref.pk, "new_yi"): Decimal("40"),
        (pref.pk, "new_signings"): Decimal("80"),
    }
    for n, unit in enumerate(units):
        values[(unit.pk, "outside_funds")] = Decimal("20")
        values[(unit.pk, "in_execution")] = Decimal(13 if n else 16)
        values[(unit.pk, "new_yi")] = Decimal(4 if n else 8)
        values[(unit.pk, "new_signings")] = Decimal(9 if n else 8)
    if not Target.objects.filter(year=YEAR, unit=pref).exists():
        services.set_targets(user, year=YEAR, values=values)
