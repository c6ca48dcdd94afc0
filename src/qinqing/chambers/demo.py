"""Demo data: Urumqi's chambers and offices, registered through the services, a campaign for last year
with every state, pending applications, the 2022 and this year's targets. Idempotent (by name)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.chambers import certificates, inspections, rules, services
from qinqing.chambers.models import AnnualReport, Member, Officer, Organisation, YearTarget
from qinqing.core.demo import DEMO_PASSWORD
from qinqing.enterprises import creditcode
from qinqing.orgs.models import Unit

PDF = b"%PDF-1.4\n% demo material\n"
CHAMBERS = [
    ("乌鲁木齐浙江商会", "浙江省", "zj_chamber", "registered"),
    ("乌鲁木齐河南商会", "河南省", "hn_chamber", "preparing"),
    ("乌鲁木齐四川商会", "四川省", "sc_chamber", "registered"),
    ("乌鲁木齐湖南商会", "湖南省", "", "registered"),
    ("乌鲁木齐江苏商会", "江苏省", "", "registered"),
    ("乌鲁木齐福建商会", "福建省", "", "submitted"),
    ("乌鲁木齐山东商会", "山东省", "", "registered"),
]
OFFICES = [
    ("喀什地区人民政府驻乌鲁木齐办事处", rules.OrgKind.OFFICE, "喀什地区人民政府", "registered"),
    ("中国石油新疆油田公司驻乌鲁木齐办事处", rules.OrgKind.OFFICE, "中国石油新疆油田分公司", "registered"),
    ("乌鲁木齐市人民政府驻上海招商联络处", rules.OrgKind.OUTPOST, "乌鲁木齐市人民政府", "registered"),
]
FULL_REPORT = {
    "basic": "名称、住所、负责人未变化；会员由上年的42家增至47家",
    "activities": "举办招商推介会3场，组织会员考察2次，促成签约项目2个",
    "finance": "收支平衡，无违规收费",
    "governance": "召开会员大会1次、理事会4次，按章程换届",
    "party": "党支部按期开展组织生活",
    "plans": "筹办年度商会大会，组织会员参加亚欧博览会",
    "income_yuan": "356000",
    "expense_yuan": "301000",
    "net_assets_yuan": "120000",
    "declared": True,
}


def _say(stdout: Any, text: str) -> None:
    if stdout is not None:
        stdout.write(text + "\n")


def _account(staff: User, name: str, kind: str, origin: str, username: str) -> tuple[Organisation, User]:
    org, user = services.open_account(
        staff,
        kind=kind,
        name=name,
        area=Unit.objects.get(name="乌鲁木齐市"),
        username=username,
        password=DEMO_PASSWORD,
        place_of_origin=origin,
        full_name=f"{name}秘书处",
    )
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    return org, User.objects.get(pk=user.pk)


def _ready(org: Organisation, rng: random.Random, sending_body: str = "") -> None:
    values: dict[str, Any] = {
        "address": f"乌鲁木齐市天山区{rng.choice(['光明路', '解放北路', '中山路', '新华北路'])}{rng.randint(1, 300)}号",
        "premises_owned": True,
        "contact_name": "王秘书",
        "contact_mobile": f"139{rng.randint(10000000, 99999999)}",
    }
    if org.kind == rules.OrgKind.CHAMBER:
        values.update(
            capital_wan=Decimal(rng.choice([5, 10, 20, 30])),
            founded_on=dt.date(2015 + rng.randint(0, 8), 6, 1),
        )
        Member.objects.bulk_create(
            [
                Member(
                    organisation=org,
                    name=f"{org.place_of_origin[:2]}{'实业商贸科技建设能源物流'[i % 10]}企业{i + 1:02d}有限公司",
                    credit_code=creditcode.generate(rng, "650102"),
                    is_founder=i < 6,
                )
                for i in range(rng.randint(32, 48))
            ]
        )
        Officer.objects.bulk_create(
            [
                Officer(organisation=org, name=f"{rng.choice('陈林王张李刘')}会长", position="会长",
                        mobile=f"138{rng.randint(10000000, 99999999)}", term_start=dt.date(2024, 1, 1),
                        term_end=dt.date(2028, 12, 31)),
                Officer(organisation=org, name=f"{rng.choice('赵钱孙周吴郑')}秘书长", position="秘书长",
                        mobile=f"137{rng.randint(10000000, 99999999)}", term_start=dt.date(2024, 1, 1),
                        term_end=dt.date(2028, 12, 31)),
            ]
        )  # fmt: skip
    else:
        values.update(
            sending_body=sending_body,
            tasks_scope="联络服务、信息交流、招商引资、协调在乌企业和务工人员事务",
            reporting_line=f"隶属{sending_body}",
            admin_rank="正处级" if org.kind == rules.OrgKind.OFFICE else "副处级",
            staffing=rng.randint(5, 15),
            head_name=f"{rng.choice('马何高罗')}主任",
            investment_tasks="年度引进项目5个、到位资金2亿元" if org.kind == rules.OrgKind.OUTPOST else "",
        )
    Organisation.objects.filter(pk=org.pk).update(**values)


def _apply(user: User, org: Organisation) -> Any:
    app = services.start_application(user, org, rules.AppKind.REGISTRATION)
    for item, _label in rules.required_materials(org.kind, app.kind):
        services.upload_material(user, app, item=item, file=SimpleUploadedFile(f"{item}.pdf", PDF))
    app.refresh_from_db()
    return services.submit_application(user, app, expected_version=app.version)


@transaction.atomic
def load(stdout: Any = None) -> int:
    if Organisation.objects.filter(name=CHAMBERS[0][0]).exists():
        return 0
    staff = User.objects.filter(username="urumqi_dispatcher").first()
    if staff is None:
        _say(stdout, "chambers: urumqi_dispatcher missing, skipped")
        return 0
    rng = random.Random(2022)
    urumqi = Unit.objects.get(name="乌鲁木齐市")
    today = timezone.localdate()
    created = 0
    registered: list[Organisation] = []
    for name, origin, username, state in CHAMBERS:
        org, user = _account(
            staff, name, rules.OrgKind.CHAMBER, origin, username or f"org_{rng.randint(10**5, 10**6)}"
        )
        created += 1
        _ready(org, rng)
        if state == "preparing":
            continue
        app = _apply(user, org)
        if state == "registered":
            services.approve_application(
                staff,
                app,
                expected_version=app.version,
                registration_number=f"51650100{rng.randint(10**9, 10**10 - 1)}",
            )
            registered.append(org)
    for name, kind, sending, _state in OFFICES:
        org, user = _account(staff, name, kind, "", f"org_{rng.randint(10**5, 10**6)}")
        created += 1
        _ready(org, rng, sending)
        app = _apply(user, org)
        services.approve_application(staff, app, expected_version=app.version)
        registered.append(org)
    # they were registered in earlier years; last year's campaign covers them
    for index, org in enumerate(registered):
        Organisation.objects.filter(pk=org.pk).update(
            registered_on=dt.date(today.year - 2 - index % 4, 5, 10)
        )
    campaign = inspections.open_campaign(staff, area=urumqi, year=today.year - 1)
    reports = list(
        AnnualReport.objects.filter(campaign=campaign)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    for index, report in enumerate(reports):
        user = report.organisation.accounts.get().user
        if index % 5 == 4:
            continue  # not filed (overdue after 31 March)
        report = inspections.save_report(user, report, FULL_REPORT, expected_version=report.version)
        report = inspections.submit_report(user, report, expected_version=report.version)
        if index % 5 == 3:
            continue  # filed, waiting for the bureau
        conclusion = [rules.Conclusion.PASS, rules.Conclusion.PASS, rules.Conclusion.BASIC][index % 5 % 3]
        comment = "未按章程按期召开理事会，财务制度不健全" if conclusion == rules.Conclusion.BASIC else ""
        inspections.conclude(
            staff, report, expected_version=report.version, conclusion=conclusion, comment=comment
        )
    for year, values in (
        (2022, dict(inspections=600, revocations=25, changes=10, registrations=30, certificates=1000)),
        (today.year, dict(inspections=600, revocations=25, changes=10, registrations=30, certificates=1000)),
    ):
        YearTarget.objects.get_or_create(area=urumqi, year=year, defaults=values)
    services.log_complaint(
        staff, area=urumqi, summary="咨询商会登记材料要求，答复不够清楚", received_on=today
    )
    certificates.render([], count=False)  # warms the font once
    _say(stdout, f"chambers: {created} organisations, campaign {campaign.year} with {len(reports)} reports")
    return created
