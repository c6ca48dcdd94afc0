"""Demo data for the 乌鲁木齐 investment portal: city profile, parks, clusters, policies, news and events
published through the review workflow, a few Urumqi projects published to the catalogue, inquiries in
every state and one generated investment guide. Idempotent: does nothing once the demo profile exists.
Acts as the demo account urumqi_dispatcher (市招商局 调度员: edits, reviews, answers).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from qinqing.accounts.models import User
from qinqing.orgs.models import Unit
from qinqing.portal import inquiries, publications, services, snapshot
from qinqing.portal.models import ContentKind, Entry, PortalSettings

MARKER = "亚欧大陆中心，丝绸之路经济带核心区"

PROFILE = [
    (
        "location",
        "区位优势",
        "Location",
        MARKER,
        "Heart of Eurasia, core area of the Silk Road Economic Belt",
        "乌鲁木齐是新疆维吾尔自治区首府，地处亚欧大陆腹地，是我国向西开放的重要门户。",
    ),
    (
        "resources",
        "资源优势",
        "Resources",
        "能源矿产与农牧资源富集",
        "Rich in energy, minerals and farm produce",
        "周边煤炭、石油、天然气储量丰富，风能、光能资源条件优越。",
    ),
    (
        "industry",
        "产业基础",
        "Industrial base",
        "“6+4”现代化产业体系",
        "The “6+4” modern industrial system",
        "已形成先进装备制造、新材料、新能源、现代物流等产业集群。",
    ),
    (
        "transport",
        "交通",
        "Transport",
        "铁路、公路、航空立体交通枢纽",
        "Rail, road and air hub",
        "中欧班列（乌鲁木齐）集结中心开行线路覆盖欧亚多个国家和地区。",
    ),
]
COSTS = [
    ["工业用电", "0.39", "元/千瓦时", "2026-06"],
    ["工业用水", "3.1", "元/立方米", "2026-06"],
    ["工业天然气", "1.85", "元/立方米", "2026-06"],
    ["工业用地", "15", "万元/亩起", "2026-06"],
    ["一线工人月工资", "4500", "元", "2026-06"],
]
PARKS = [
    ("乌鲁木齐经济技术开发区（头屯河区）", "装备制造、新材料、生物医药", "3200", "43.8791", "87.4386"),
    ("乌鲁木齐高新技术产业开发区（新市区）", "电子信息、新能源、数字经济", "1800", "43.8826", "87.5548"),
    ("甘泉堡经济技术开发区", "新能源、新材料、有色金属精深加工", "12000", "44.1556", "87.7653"),
]
POLICIES: list[
    tuple[str, str, list[str], list[str], str | None, str | None, int | None, list[str], list[str]]
] = [
    (
        "支持先进制造业高质量发展的若干措施",
        "乌政发〔2026〕8号",
        ["land", "subsidy"],
        ["C"],
        "10000",
        None,
        100,
        [],
        ["项目在本市注册并纳税", "固定资产投资以审计结果为准"],
    ),
    ("招商引资项目用电价格支持办法", "乌发改〔2026〕21号", ["power"], ["C", "D"], "5000", None, None, [], []),
    (
        "高层次人才引进奖励办法",
        "乌人社〔2026〕3号",
        ["talent"],
        [],
        None,
        None,
        None,
        [],
        ["人才须与本市企业签订3年以上劳动合同"],
    ),
    ("总部经济发展扶持政策", "乌政办〔2026〕15号", ["tax", "subsidy"], [], "50000", None, None, ["hq"], []),
    (
        "小微企业融资担保费补贴办法",
        "乌财〔2026〕9号",
        ["finance"],
        [],
        None,
        "2000",
        None,
        [],
        ["企业为小微企业"],
    ),
    ("2021年招商引资奖励办法（已废止）", "乌政发〔2021〕30号", ["subsidy"], [], None, None, None, [], []),
]
NEWS = [
    ("news", "2026中国—亚欧商品贸易博览会乌鲁木齐专场推介会签约项目42个", "2026-06-28", "", ""),
    ("news", "市招商局赴江苏开展产业链精准招商", "2026-09-12", "", ""),
    ("event", "第八届中国—亚欧博览会", "2026-11-18", "2026-11-22", "新疆国际会展中心"),
    ("event", "新能源装备产业链招商对接会", "2026-12-15", "", "甘泉堡经济技术开发区"),
]


def load(stdout: Any = None) -> int:
    def say(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg + "\n")

    if Entry.objects.filter(summary=MARKER).exists():
        say("portal: demo data already present")
        return 0
    user = User.objects.filter(username="urumqi_dispatcher", is_active=True).first()
    if user is None:
        say("portal: urumqi_dispatcher missing, skipped")
        return 0
    with transaction.atomic():
        cfg = PortalSettings.current()
        cfg.default_unit = Unit.objects.filter(name=inquiries.DEFAULT_UNIT_NAME).first()
        cfg.save()
        count = _content(user)
        count += _catalogue(user)
        count += _inquiries(user)
    edition = services.create_edition(user, {"kind": "guide", "print_run": 950, "edition": "2026年版"})
    publications.generate(edition)
    say(f"portal: {count} demo items, investment guide {edition.pages} pages")
    return count


def _publish(user: User, kind: str, **fields: Any) -> Entry:
    entry = services.create_entry(user, kind, fields)
    entry = services.submit_entry(user, entry, expected_version=entry.version)
    return services.approve_entry(user, entry, expected_version=entry.version)


def _content(user: User) -> int:
    n = 0
    for i, (section, title, title_en, summary, summary_en, body) in enumerate(PROFILE):
        _publish(
            user,
            ContentKind.PROFILE,
            title=title,
            title_en=title_en,
            summary=summary,
            summary_en=summary_en,
            body=body,
            ordering=i,
            data={"section": section},
        )
        n += 1
    _publish(
        user,
        ContentKind.PROFILE,
        title="要素成本",
        title_en="Factor costs",
        summary="用能、用地、用工成本具有竞争力",
        summary_en="Competitive energy, land and labour costs",
        ordering=9,
        data={"section": "costs", "costs": COSTS},
    )
    for i, (name, industries, land, lat, lng) in enumerate(PARKS):
        _publish(
            user,
            ContentKind.PARK,
            title=name,
            summary=f"主导产业：{industries}",
            ordering=i,
            data={
                "leading_industries": industries,
                "land_available_mu": land,
                "lat": lat,
                "lng": lng,
                "address": "乌鲁木齐市",
                "contacts": [["园区招商服务中心", "0991-0000000"]],
            },
        )
    from qinqing.investment.models import IndustryCluster

    for i, cluster in enumerate(IndustryCluster.objects.filter(scheme="urumqi", is_active=True)[:6]):
        _publish(
            user,
            ContentKind.CLUSTER,
            title=cluster.name,
            summary=f"{cluster.category}".strip() or cluster.name,
            ordering=i,
            data={"cluster_id": cluster.pk, "cluster_name": cluster.name},
        )
    from qinqing.portal.forms import policy_rules

    for title, number, types, codes, min_inv, max_inv, jobs, ptypes, checks in POLICIES:
        expired = "废止" in title
        data: dict[str, Any] = {
            "issuer": "乌鲁木齐市人民政府",
            "doc_number": number,
            "valid_from": "2021-01-01" if expired else "2026-01-01",
            "valid_to": "2023-12-31" if expired else "2028-12-31",
            "policy_types": types,
            "industries": codes,
            "scales": [],
            "min_investment_wan": min_inv or "",
            "max_investment_wan": max_inv or "",
            "min_jobs": jobs or "",
            "locations": [],
            "project_types": ptypes,
            "checks": checks,
        }
        data["rules"] = policy_rules(data)
        _publish(
            user,
            ContentKind.POLICY,
            title=title,
            summary=f"{title}的主要支持内容。",
            body=f"为进一步优化营商环境，制定{title}。\n第一条 适用范围。\n第二条 支持标准。",
            data=data,
        )
    for kind, title, date, end, place in NEWS:
        _publish(
            user,
            kind,
            title=title,
            body=f"{title}。",
            data={
                "date": date,
                "end_date": end,
                "place": place,
                "event_kind": "展会" if "博览会" in title else "招商活动",
            },
        )
    services.create_entry(
        user, ContentKind.NEWS, {"title": "（草稿）四季度招商工作安排", "data": {"date": "2026-10-01"}}
    )
    return n + len(PARKS) + len(POLICIES) + len(NEWS)


def _catalogue(user: User) -> int:
    from qinqing.investment import services as investment
    from qinqing.investment.models import Project, PublishStatus

    n = 0
    scope = user.scope_unit
    if scope is None:
        return 0
    for project in Project.objects.filter(
        location_unit__path__startswith=scope.path, publish_status=PublishStatus.NONE
    )[:6]:
        project = investment.request_publish(user, project, expected_version=project.version)
        investment.review_publish(user, project, expected_version=project.version, approve=True)
        n += 1
    snapshot.sync_projects()
    return n


def _inquiries(user: User) -> int:
    projects = snapshot.catalogue().list("project")
    samples = [
        (
            "江苏恒信新材料有限公司",
            "王经理",
            "13905160001",
            "我公司计划投资铝基新材料项目，希望了解用地与电价政策。",
        ),
        (
            "浙江博达科技股份有限公司",
            "李总",
            "13805710002",
            "拟在高新区设立区域总部，请介绍总部经济扶持政策。",
        ),
        ("广东华晟储能科技有限公司", "陈先生", "13602000003", "关注新能源装备产业链项目，希望安排实地考察。"),
    ]
    created = []
    for i, (company, contact, phone, message) in enumerate(samples):
        project = projects[i]["id"] if i < len(projects) and i != 1 else None
        created.append(
            inquiries.submit_inquiry(
                {
                    "company": company,
                    "contact": contact,
                    "phone": phone,
                    "message": message,
                    "consent": True,
                    "project": project,
                },
                ip=f"192.0.2.{i + 1}",
            )
        )
    first = created[1]
    if first.unit.path.startswith(user.scope_unit.path):  # type: ignore[union-attr]
        inquiries.reply(
            user,
            first,
            expected_version=first.version,
            text="感谢关注！总部经济政策详见门户“优惠政策”栏目，我局将安排专人与您联系。",
        )
    return len(created)
