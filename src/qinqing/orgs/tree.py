"""The organisational structure shipped with the product (idempotent loader).

Division codes are GB/T 2260 codes as published by the Ministry of Civil Affairs (民政部 行政区划代码);
parks, departments and townships carry none (township codes are 9-digit statistical codes, not GB/T 2260).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from qinqing.orgs.models import Unit, UnitKind


@dataclass
class Node:
    name: str
    kind: str
    code: str = ""
    short: str = ""
    coordinates_parent: bool = False
    children: list[Node] = field(default_factory=list)


def dept(name: str, short: str = "", *, lead: bool = False) -> Node:
    return Node(name, UnitKind.DEPARTMENT, short=short, coordinates_parent=lead)


def town(name: str) -> Node:
    return Node(name, UnitKind.TOWNSHIP, short=name)


# Departments present at prefecture and county level (name suffixes), the lead office first.
STANDARD_DEPARTMENTS = [
    ("发展和改革委员会", "发改委"),
    ("自然资源局", "自然资源局"),
    ("市场监督管理局", "市场监管局"),
    ("税务局", "税务局"),
    ("人力资源和社会保障局", "人社局"),
    ("住房和城乡建设局", "住建局"),
    ("供电公司", "供电公司"),
]


def county(name: str, code: str, short: str, prefix: str, towns: list[str]) -> Node:
    node = Node(name, UnitKind.COUNTY, code=code, short=short)
    node.children.append(dept(f"{prefix}营商环境服务中心", f"{short}营商中心", lead=True))
    node.children.extend(dept(f"{prefix}{suffix}", f"{short}{s}") for suffix, s in STANDARD_DEPARTMENTS)
    node.children.extend(town(t) for t in towns)
    return node


def park(name: str, short: str) -> Node:
    node = Node(name, UnitKind.PARK, short=short)
    node.children.append(dept(f"{name}管委会招商服务中心", f"{short}招商中心", lead=True))
    node.children.append(dept(f"{name}管委会经济发展局", f"{short}经发局"))
    return node


CHANGJI = Node(
    "昌吉回族自治州",
    UnitKind.PREFECTURE,
    code="652300",
    short="昌吉州",
    children=[
        dept("昌吉州营商环境服务中心", "州营商中心", lead=True),
        *[dept(f"昌吉州{suffix}", f"州{s}") for suffix, s in STANDARD_DEPARTMENTS],
        dept("昌吉州商务局", "州商务局"),
        county("昌吉市", "652301", "昌吉市", "昌吉市", ["宁边路街道", "延安北路街道", "榆树沟镇", "六工镇"]),
        county("阜康市", "652302", "阜康市", "阜康市", ["博峰街道", "九运街街道", "滋泥泉子镇"]),
        county("呼图壁县", "652323", "呼图壁县", "呼图壁县", ["呼图壁镇", "大丰镇", "五工台镇"]),
        county("玛纳斯县", "652324", "玛纳斯县", "玛纳斯县", ["玛纳斯镇", "乐土驿镇", "包家店镇"]),
        county("奇台县", "652325", "奇台县", "奇台县", ["奇台镇", "老奇台镇", "半截沟镇"]),
        county("吉木萨尔县", "652327", "吉木萨尔县", "吉木萨尔县", ["吉木萨尔镇", "三台镇", "北庭镇"]),
        county("木垒哈萨克自治县", "652328", "木垒县", "木垒县", ["木垒镇", "西吉尔镇", "东城镇"]),
        park("准东经济技术开发区", "准东开发区"),
        park("昌吉国家高新技术产业开发区", "昌吉高新区"),
    ],
)

URUMQI = Node(
    "乌鲁木齐市",
    UnitKind.PREFECTURE,
    code="650100",
    short="乌鲁木齐市",
    children=[
        dept("乌鲁木齐市招商服务局", "市招商局", lead=True),
        dept("乌鲁木齐市招商服务中心", "市招商中心"),
        *[dept(f"乌鲁木齐市{suffix}", f"市{s}") for suffix, s in STANDARD_DEPARTMENTS],
        county("天山区", "650102", "天山区", "天山区", ["燕儿窝街道", "碱泉街街道"]),
        county("沙依巴克区", "650103", "沙依巴克区", "沙依巴克区", ["炉院街街道", "西山街道"]),
        county("新市区", "650104", "新市区", "新市区", ["北京路街道", "二工街道"]),
        county("水磨沟区", "650105", "水磨沟区", "水磨沟区", ["水磨沟街道", "六道湾街道"]),
        county("头屯河区", "650106", "头屯河区", "头屯河区", ["火车西站街道", "王家沟街道"]),
        county("达坂城区", "650107", "达坂城区", "达坂城区", ["达坂城镇", "盐湖街道"]),
        county("米东区", "650109", "米东区", "米东区", ["古牧地东路街道", "羊毛工镇"]),
        county("乌鲁木齐县", "650121", "乌鲁木齐县", "乌鲁木齐县", ["水西沟镇", "板房沟镇"]),
        park("乌鲁木齐经济技术开发区", "乌鲁木齐经开区"),
        park("乌鲁木齐高新技术产业开发区", "乌鲁木齐高新区"),
        park("乌鲁木齐甘泉堡经济技术开发区", "甘泉堡经开区"),
    ],
)

REGION = Node(
    "新疆维吾尔自治区",
    UnitKind.REGION,
    code="650000",
    short="自治区",
    children=[dept("新疆维吾尔自治区商务厅", "自治区商务厅"), CHANGJI, URUMQI],
)


@transaction.atomic
def load_tree(root: Node = REGION) -> int:
    """Create or update every unit in the tree by name; returns how many units were created."""
    created = 0

    def visit(node: Node, parent: Unit | None, order: int) -> None:
        nonlocal created
        unit = Unit.objects.filter(name=node.name).first()
        if unit is None:
            unit = Unit(name=node.name)
            created += 1
        unit.kind = node.kind
        unit.short_name = node.short
        unit.division_code = node.code
        unit.parent = parent
        unit.coordinates_parent = node.coordinates_parent
        unit.ordering = order
        unit.full_clean()
        unit.save()
        for i, child in enumerate(node.children):
            visit(child, unit, i)

    visit(root, None, 0)
    return created
