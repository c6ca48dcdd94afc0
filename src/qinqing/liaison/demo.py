"""Demo data for 包联 and 走访 (deterministic, idempotent).

zhou_leader (州) looks after three enterprises across the prefecture and a signed project if the
investment demo has one; changji_leader (昌吉市) looks after two enterprises of 昌吉市 (one below the
county quota of three, so the coverage page has something to show). changji_leader's visits: one
recent with two problems (each a 走访收集 demand), one four months ago (so a visit is overdue).
The escalation sweep runs once so that overdue demands of the demands demo get proposals.
Skips quietly when the demo leaders or enterprises are absent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TextIO

from django.db import transaction
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.demands.models import Category, DemandType
from qinqing.enterprises.models import Enterprise, EnterpriseStatus
from qinqing.liaison import services
from qinqing.liaison.models import Assignment, Visit, VisitForm
from qinqing.orgs.models import Unit


def _user(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).select_related("unit").first()


def _office(unit_name: str) -> User | None:
    return (
        User.objects.filter(unit__name=unit_name, is_active=True, role_rows__role=Role.DISPATCHER)
        .order_by("username")
        .first()
    )


def _enterprises(unit: Unit, n: int) -> list[Enterprise]:
    return list(
        Enterprise.objects.filter(
            registered_unit__path__startswith=unit.path, status=EnterpriseStatus.OPERATING
        ).order_by("credit_code")[:n]
    )


def _category(name: str) -> Category | None:
    return Category.objects.filter(name=name, parent__isnull=False).first()


VISITS: list[dict[str, Any]] = [
    {
        "days_ago": 6,
        "form": VisitForm.ON_SITE,
        "topics": "二期项目建设和要素保障",
        "situation": "企业一期达产，订单饱满；二期厂房主体完工，设备进场受用电、用地制约。",
        "problems": [
            (
                "二期项目用地指标未落实",
                "二期项目需新增建设用地50亩，已报自然资源局，用地指标尚未落实。",
                "用地",
            ),
            (
                "新生产线电力增容申请未批复",
                "新生产线需电力增容至2000千伏安，申请已提交两个月未批复。",
                "用电",
            ),
        ],
    },
    {
        "days_ago": 125,
        "form": VisitForm.FORUM,
        "topics": "民营企业座谈：融资与用工",
        "situation": "企业经营平稳，流动资金偏紧，季节性用工缺口较大。",
        "problems": [
            ("流动资金贷款续贷困难", "500万元流动资金贷款即将到期，银行要求先还后贷，缺少过桥资金。", "融资")
        ],
    },
]


def load(stdout: TextIO | None = None) -> int:
    """Create what is missing; returns the number of rows created (assignments + visits)."""
    zhou, changji = _user("zhou_leader"), _user("changji_leader")
    office = _office("昌吉州营商环境服务中心")
    if zhou is None or changji is None or office is None:
        if stdout is not None:
            stdout.write("liaison demo: demo leaders or the prefecture office are missing, skipped\n")
        return 0
    prefecture = Unit.objects.filter(name="昌吉回族自治州").first()
    city = Unit.objects.filter(name="昌吉市").first()
    if prefecture is None or city is None:
        return 0
    created = 0
    today = timezone.localdate()
    start = today.replace(month=1, day=1)
    with transaction.atomic():
        city_ents = _enterprises(city, 2)
        wanted = [(changji, e) for e in city_ents]
        others = [e for e in _enterprises(prefecture, 8) if e.registered_unit_id != city.pk][:3]
        wanted += [(zhou, e) for e in others]
        for leader, enterprise in wanted:
            if Assignment.objects.filter(leader=leader, enterprise=enterprise).exists():
                continue
            services.create_assignment(
                office,
                services.AssignmentData(
                    leader=leader, enterprise=enterprise, start_date=start, commissioner=office
                ),
            )
            created += 1
        from qinqing.investment.models import Project

        project = (
            Project.objects.filter(
                stage__in=services.SIGNED_STAGES, location_unit__path__startswith=prefecture.path
            )
            .order_by("number")
            .first()
        )
        if project is not None and not Assignment.objects.filter(leader=zhou, project=project).exists():
            services.create_assignment(
                office,
                services.AssignmentData(
                    leader=zhou, project=project, start_date=start, task_force=[office], note="重点项目专班"
                ),
            )
            created += 1
    if city_ents:
        enterprise = city_ents[0]
        for spec in VISITS:
            day = today - dt.timedelta(days=spec["days_ago"])
            if Visit.objects.filter(leader=changji, enterprise=enterprise, visited_on=day).exists():
                continue
            if Visit.objects.filter(leader=changji, enterprise=enterprise, topics=spec["topics"]).exists():
                continue
            problems = [
                services.ProblemData(
                    title=t, description=d, category=_category(c), demand_type=DemandType.HELP
                )
                for t, d, c in spec["problems"]
                if _category(c) is not None
            ]
            services.log_visit(
                changji,
                services.VisitData(
                    enterprise=enterprise,
                    visited_on=day,
                    form=spec["form"],
                    topics=spec["topics"],
                    situation=spec["situation"],
                    companions_text="市营商中心、自然资源局、供电公司",
                    problems=problems,
                    contact_name="王经理",
                    contact_phone="13900001111",
                ),
            )
            created += 1
    sweep = services.sweep_escalations()
    if stdout is not None:
        stdout.write(f"liaison demo: {created} created, escalation sweep {sweep}\n")
    return created
