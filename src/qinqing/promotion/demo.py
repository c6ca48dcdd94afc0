"""Demo data: a year of receptions, trips, expos and task forces for 乌鲁木齐市招商服务局 and 昌吉市.

Deterministic (fixed seed) and idempotent (does nothing once any reception exists). Everything goes
through the services as the demo dispatchers; some visits produce leads in the project library, others
are linked to the investment demo's signed projects, so the return page shows funds in place.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.investment.models import IndustryCluster, Project
from qinqing.orgs.models import Unit
from qinqing.promotion import services
from qinqing.promotion.models import Organiser, Reception, TripKind

YEAR = 2026
ORIGINS = [
    "江苏省",
    "浙江省",
    "广东省",
    "山东省",
    "北京市",
    "上海市",
    "福建省",
    "四川省",
    "河南省",
    "香港特别行政区",
]
FIRM_WORDS = ["天合", "华晟", "金泉", "恒信", "中泰", "博达", "宏远", "瑞丰", "昌盛", "丝路", "中科", "新元"]
FIRM_KINDS = ["新材料", "新能源装备", "智能终端", "生物医药", "纺织服装", "汽车零部件", "现代物流"]
PLACES = ["高新区", "经开区", "甘泉堡经开区", "会展片区", "米东区产业园"]


def _user(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def _county_of(unit: Unit) -> Unit | None:
    return (
        Unit.objects.filter(path__startswith=unit.path, kind__in=["county", "park"]).order_by("path").first()
    )


def load(stdout: Any = None) -> int:
    def say(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg + "\n")

    if Reception.objects.exists():
        say("promotion: demo data already present")
        return 0
    urumqi = _user("urumqi_dispatcher")
    changji = _user("changji_dispatcher")
    zhou = _user("zhou_dispatcher")
    if urumqi is None or changji is None or zhou is None:
        say("promotion: demo users missing, skipped")
        return 0
    rng = random.Random(20260314)
    today = timezone.localdate()
    last = min(dt.date(YEAR, 11, 30), today)
    with transaction.atomic():
        services.save_standard(zhou, YEAR, {})  # the official 2026 standards (120/100 meals, 80 transport)
        for user, budget, targets in (
            (urumqi, Decimal("452000"), (320, 2800, 4, 8, 3, 2, 10)),
            (changji, Decimal("120000"), (60, 400, 2, 3, 1, 2, 4)),
        ):
            services.save_plan(
                user,
                year=YEAR,
                unit=user.scope_unit,  # type: ignore[arg-type]
                data=dict(
                    zip(
                        (
                            "target_firms",
                            "target_people",
                            "target_exhibitions_region",
                            "target_exhibitions_department",
                            "target_task_forces",
                            "target_exchange_meetings",
                            "target_work_meetings",
                        ),
                        targets,
                        strict=True,
                    ),
                    budget_yuan=budget,
                ),
            )
        n = _receptions(urumqi, rng, 36, last, "urumqi")
        n += _receptions(changji, rng, 14, last, "changji")
        n += _outbound(urumqi, rng, last, "urumqi")
        n += _outbound(changji, rng, last, "changji")
    say(f"promotion: {n} demo receptions, trips and task forces")
    return n


def _firm(rng: random.Random, origin: str) -> dict[str, str]:
    prov = origin.replace("省", "").replace("市", "").replace("特别行政区", "")
    return {
        "name": f"{prov}{rng.choice(FIRM_WORDS)}{rng.choice(FIRM_KINDS)}有限公司",
        "origin": origin,
        "credit_code": "",
    }


def _clusters(scheme: str) -> list[IndustryCluster]:
    return list(IndustryCluster.objects.filter(scheme=scheme, is_active=True).order_by("ordering")[:6])


def _receptions(user: User, rng: random.Random, count: int, last: dt.date, scheme: str) -> int:
    clusters = _clusters(scheme)
    county = _county_of(user.scope_unit)  # type: ignore[arg-type]
    signed = list(
        Project.objects.visible_to(user).filter(first_signed_on__isnull=False).order_by("number")[:6]
    )
    owners = list(
        User.objects.visible_to(user).filter(is_active=True, unit__isnull=False).order_by("username")[:3]
    )
    made = 0
    for i in range(count):
        start = dt.date(YEAR, 1, 8) + dt.timedelta(days=int((last - dt.date(YEAR, 1, 20)).days * i / count))
        days = rng.choice([1, 1, 2, 2, 3])
        end = min(start + dt.timedelta(days=days - 1), last)
        origin = rng.choice(ORIGINS)
        size = rng.randint(3, 12)
        firms = [_firm(rng, origin) for _ in range(rng.choice([1, 1, 2, 3]))]
        cluster = rng.choice(clusters) if clusters else None
        meal = Decimal(size * days * rng.choice([90, 120, 150, 170]))
        r = services.create_reception(
            user,
            {
                "title": f"{firms[0]['name']}考察{rng.choice(PLACES)}",
                "start_date": start,
                "end_date": end,
                "origin": origin,
                "cluster": cluster,
                "delegation_size": size,
                "delegation_leaders": f"{rng.choice('王李张刘陈杨赵黄')}董事长",
                "hosts": "招商服务局经济技术协作科",
                "accompanying_leaders": rng.choice(["", "分管副市长", "局长"]),
                "itinerary": f"{rng.choice(PLACES)}、标准化厂房、项目选址现场；座谈会",
                "outcome": rng.choice(["达成初步投资意向", "了解园区配套和政策", "确定下一步对接"]),
                "meal_yuan": meal,
                "lodging_yuan": Decimal(size * max(days - 1, 0) * 350),
                "lodging_nights": size * max(days - 1, 0),
                "transport_yuan": Decimal(days * 500),
            },
            firms,
        )
        made += 1
        if i % 4 == 0 and county is not None:
            services.record_intention(
                user,
                r,
                intention=f"拟投资建设{firms[0]['name'][2:6]}生产基地",
                project_data={
                    "name": f"{firms[0]['name'][:-4]}生产基地项目",
                    "investor_name": firms[0]["name"],
                    "investor_origin": origin,
                    "source": "province",
                    "investor_type": "private",
                    "industry_section": "C",
                    "cluster": cluster,
                    "location_unit": county,
                    "planned_investment_wan": Decimal(rng.choice([5000, 12000, 30000, 80000])),
                },
            )
        elif i % 4 == 1 and signed:
            services.link_project(user, r, signed[(i // 4) % len(signed)], intention="跟踪洽谈，推动签约落地")
        if i % 3 == 0 and owners:
            services.add_next_step(
                user,
                r,
                description=rng.choice(
                    ["报送项目可研材料", "协调选址用地", "安排二次考察", "寄送招商政策汇编"]
                ),
                owner=owners[i % len(owners)],
                due_on=end + dt.timedelta(days=rng.choice([7, 14, 30])),
            )
    return made


def _outbound(user: User, rng: random.Random, last: dt.date, scheme: str) -> int:
    clusters = _clusters(scheme)
    made = 0
    tf = services.create_task_force(
        user,
        {
            "name": "驻长三角招商工作组",
            "base_province": "上海市",
            "base_city": "上海",
            "start_date": dt.date(YEAR, 3, 1),
            "end_date": dt.date(YEAR, 12, 31),
            "leader": "马组长",
            "members": "马组长 招商服务局\n古丽 经济技术协作科",
        },
        clusters[:2],
    )
    services.add_activity(user, tf, on=dt.date(YEAR, 3, 15), content="走访上海市新疆商会，对接新材料企业5家")
    made += 1
    plan = [
        (TripKind.RESIDENT, Organiser.OWN, "上海市", 20, 2, tf),
        (TripKind.SQUAD, Organiser.OWN, "广东省", 5, 3, None),
        (TripKind.SQUAD, Organiser.OWN, "青海省", 4, 3, None),
        (TripKind.EXPO, Organiser.REGION, "陕西省", 4, 4, None),
        (TripKind.EXPO, Organiser.DEPARTMENT, "北京市", 3, 2, None),
        (TripKind.EXPO, Organiser.DEPARTMENT, "新疆维吾尔自治区", 3, 3, None),
        (TripKind.ROADSHOW, Organiser.OWN, "浙江省", 2, 3, None),
        (TripKind.EXCHANGE, Organiser.OWN, "江苏省", 2, 2, None),
        (TripKind.WORK_MEETING, Organiser.OWN, "新疆维吾尔自治区", 1, 20, None),
    ]
    for i, (kind, organiser, province, days, people, force) in enumerate(plan):
        start = dt.date(YEAR, 2 + i, 10)
        if start > last:
            break
        end = min(start + dt.timedelta(days=days - 1), last)
        legs: list[dict[str, Any]] = []
        if province == "青海省":  # a trip crossing place classes: 青海 then 甘肃
            legs = [
                {"from_date": start, "province": "青海省"},
                {"from_date": start + dt.timedelta(days=2), "province": "甘肃省"},
            ]
        trip = services.create_trip(
            user,
            {
                "kind": kind,
                "organiser": organiser,
                "task_force": force,
                "title": f"{province[:2]}{TripKind(kind).label}",
                "province": province,
                "city": "",
                "start_date": start,
                "end_date": end,
                "participants": people,
                "cluster": rng.choice(clusters) if clusters else None,
                "transport_yuan": Decimal(0 if kind == TripKind.WORK_MEETING else people * 2600),
                "lodging_yuan": Decimal(0 if kind == TripKind.WORK_MEETING else people * days * 420),
                "other_yuan": Decimal(18000 if kind == TripKind.EXPO else 0),
                "summary": "对接企业、宣传推介投资环境",
            },
            legs,
        )
        if kind != TripKind.WORK_MEETING:
            services.add_contact(
                user,
                trip,
                {
                    "firm_name": _firm(rng, province)["name"],
                    "person": "王经理",
                    "mobile": "13912345678",
                    "note": "有意向考察",
                },
            )
        made += 1
    return made
