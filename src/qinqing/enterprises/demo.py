"""Demo enterprises: about 300 fictional companies in 昌吉州 and 乌鲁木齐市 (deterministic, idempotent).

Names combine a place, a fictional brand word, a trade that fits the unit's economy (coal and coal
chemicals in 准东, agriculture and food in the northern counties, logistics and services in 乌鲁木齐)
and a legal-form suffix. Credit codes are well-formed (creditcode.generate) with the unit's GB/T 2260
code, or the parent prefecture's for parks. ``load()`` creates what is missing by credit code, so a
second run creates nothing. Called by the ``qinqing demo`` command.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, TextIO

from django.db import transaction

from qinqing.enterprises import creditcode
from qinqing.enterprises.industries import section_of
from qinqing.enterprises.models import Contact, Enterprise, EnterpriseStatus, Ownership, Scale
from qinqing.orgs.models import Unit, UnitKind

SEED = 20261122
TOTAL = 300

# unit name -> (place word used in names, weight, favoured 大类 codes)
UNITS: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "昌吉市": ("昌吉", 30, ("13", "14", "54", "59", "52", "48", "51", "61", "62")),
    "阜康市": ("阜康", 18, ("26", "06", "30", "61", "44", "13")),
    "呼图壁县": ("呼图壁", 14, ("01", "03", "13", "14", "17", "44")),
    "玛纳斯县": ("玛纳斯", 16, ("01", "13", "15", "17", "26", "44")),
    "奇台县": ("奇台", 16, ("01", "03", "13", "14", "06", "44")),
    "吉木萨尔县": ("吉木萨尔", 12, ("01", "13", "25", "06", "44")),
    "木垒哈萨克自治县": ("木垒", 10, ("01", "03", "13", "44", "15")),
    "准东经济技术开发区": ("准东", 26, ("06", "25", "26", "32", "44", "38", "54")),
    "昌吉国家高新技术产业开发区": ("昌吉", 20, ("38", "35", "27", "26", "65", "13")),
    "天山区": ("乌鲁木齐", 18, ("51", "52", "61", "62", "72", "65", "18")),
    "沙依巴克区": ("乌鲁木齐", 18, ("51", "52", "62", "18", "72", "48")),
    "新市区": ("乌鲁木齐", 20, ("65", "72", "58", "51", "61", "38")),
    "水磨沟区": ("乌鲁木齐", 14, ("61", "62", "52", "72", "48")),
    "头屯河区": ("乌鲁木齐", 16, ("35", "33", "54", "59", "38", "30")),
    "达坂城区": ("达坂城", 8, ("44", "38", "01", "61")),
    "米东区": ("米东", 16, ("26", "25", "30", "13", "54", "59")),
    "乌鲁木齐县": ("乌鲁木齐", 8, ("01", "03", "61", "62", "14")),
}

TRADES: dict[str, tuple[str, ...]] = {
    "01": ("农业开发", "棉业", "种业", "果业"),
    "03": ("牧业", "畜牧", "生态养殖"),
    "06": ("煤业", "矿业", "煤炭"),
    "13": ("粮油", "番茄制品", "面粉", "棉籽加工"),
    "14": ("乳业", "食品"),
    "15": ("酒业", "葡萄酒业", "饮品"),
    "17": ("纺织", "棉纺"),
    "18": ("服饰", "服装"),
    "25": ("煤化工", "能源化工", "焦化"),
    "26": ("化工", "化学", "新材料"),
    "27": ("药业", "生物制药"),
    "30": ("建材", "水泥"),
    "32": ("铝业", "有色金属"),
    "33": ("钢构", "金属制品"),
    "35": ("机械装备", "农机"),
    "38": ("电气", "光伏科技", "储能科技"),
    "44": ("新能源", "光伏发电", "风电", "热电"),
    "48": ("路桥工程", "建设工程"),
    "51": ("商贸", "贸易"),
    "52": ("商业连锁", "超市"),
    "54": ("物流", "运输"),
    "58": ("国际物流", "供应链管理"),
    "59": ("仓储", "冷链物流"),
    "61": ("酒店管理", "宾馆"),
    "62": ("餐饮管理", "餐饮"),
    "65": ("信息技术", "软件", "数字科技"),
    "72": ("企业管理咨询", "商务服务"),
}
BRANDS = (
    "恒泰", "瑞丰", "金穗", "华晟", "宏远", "泰和", "嘉禾", "鑫源", "丰沃", "润禾", "天宇", "祥瑞", "昊天",
    "晨光", "汇通", "永盛", "安泰", "宁和", "正阳", "博远", "云杉", "雪莲", "天池", "绿洲", "西域", "丝路",
    "驼铃", "胡杨", "雪峰", "金沙", "和顺", "兴业", "德润", "聚源", "盛达", "长青", "福瑞", "北庭", "天缘",
)  # fmt: skip
ROADS = (
    "建设路",
    "天山路",
    "北京路",
    "延安路",
    "工业园纬一路",
    "长宁路",
    "光明路",
    "迎宾路",
    "团结路",
    "幸福路",
)
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐韩冯于董萧程曹袁邓"
    "许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭"
)
GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "建华",
    "国强",
    "海燕",
    "志刚",
    "晓东",
    "红梅",
    "玉兰",
)
MINORITY_NAMES = (
    "阿不都热依木·买买提",
    "努尔兰·别克",
    "古丽娜尔·吐尔逊",
    "艾尔肯·阿不都拉",
    "热娜古丽·艾力",
    "叶尔兰·哈力木",
)
TITLES = ("总经理", "办公室主任", "财务总监", "行政经理", "董事长", "副总经理")
MOBILE_PREFIXES = (
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "180",
    "181",
    "186",
    "187",
    "189",
    "199",
)
SCALES = ((Scale.MICRO, 30), (Scale.SMALL, 40), (Scale.MEDIUM, 20), (Scale.LARGE, 10))
OWNERSHIPS = (
    (Ownership.PRIVATE, 70),
    (Ownership.STATE, 15),
    (Ownership.FOREIGN, 5),
    (Ownership.HMT, 3),
    (Ownership.OTHER, 7),
)
STATUSES = (
    (EnterpriseStatus.OPERATING, 92),
    (EnterpriseStatus.SUSPENDED, 5),
    (EnterpriseStatus.CANCELLED, 3),
)


@dataclass
class _Spec:
    enterprise: Enterprise
    contacts: list[Contact]


def _weighted(rng: random.Random, pairs: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _person(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return rng.choice(MINORITY_NAMES)
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))


def _division_code(unit: Unit) -> str:
    if unit.division_code:
        return unit.division_code
    parent = unit.parent
    while parent is not None and not parent.division_code:
        parent = parent.parent
    return parent.division_code if parent is not None else "650000"


def _specs(units: dict[str, Unit]) -> list[_Spec]:
    rng = random.Random(SEED)
    names = list(UNITS)
    weights = [UNITS[n][1] for n in names]
    used_names: set[str] = set()
    used_codes: set[str] = set()
    specs: list[_Spec] = []
    while len(specs) < TOTAL:
        unit_name = rng.choices(names, weights=weights)[0]
        place, _, divisions = UNITS[unit_name]
        unit = units[unit_name]
        division = rng.choice(divisions)
        scale = _weighted(rng, SCALES)
        suffix = rng.choice(("股份有限公司", "集团有限公司")) if scale == Scale.LARGE else "有限公司"
        if scale != Scale.LARGE and rng.random() < 0.2:
            suffix = "有限责任公司"
        prefix = place if rng.random() < 0.4 else "新疆"
        name = f"{prefix}{rng.choice(BRANDS)}{rng.choice(TRADES[division])}{suffix}"
        code = creditcode.generate(rng, _division_code(unit))
        if name in used_names or code in used_codes:
            continue
        used_names.add(name)
        used_codes.add(code)
        parent_short = unit.parent.short_name if unit.parent is not None else ""
        enterprise = Enterprise(
            name=name,
            credit_code=code,
            legal_representative=_person(rng),
            industry_section=section_of(division) or "C",
            industry_division=division,
            scale=scale,
            ownership=_weighted(rng, OWNERSHIPS),
            registered_unit=unit,
            address=f"{parent_short}{unit.name}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
            status=_weighted(rng, STATUSES),
        )
        contacts = [
            Contact(name=_person(rng), title=rng.choice(TITLES), mobile=_mobile(rng), is_primary=(i == 0))
            for i in range(rng.choice((1, 1, 2)))
        ]
        specs.append(_Spec(enterprise, contacts))
    return specs


@transaction.atomic
def load(stdout: TextIO | None = None) -> int:
    """Create the demo enterprises that do not exist yet (by credit code); returns how many were created."""
    units = {u.name: u for u in Unit.objects.filter(name__in=UNITS).select_related("parent")}
    if len(units) < len(UNITS):
        from qinqing.orgs.tree import load_tree

        load_tree()
        units = {u.name: u for u in Unit.objects.filter(name__in=UNITS).select_related("parent")}
    departments = [n for n, u in units.items() if u.kind == UnitKind.DEPARTMENT]
    if departments:
        raise RuntimeError(f"demo units must not be departments: {departments}")
    specs = _specs(units)
    existing = set(
        Enterprise.objects.filter(credit_code__in=[s.enterprise.credit_code for s in specs]).values_list(
            "credit_code", flat=True
        )
    )
    new = [s for s in specs if s.enterprise.credit_code not in existing]
    Enterprise.objects.bulk_create([s.enterprise for s in new])
    saved = {
        e.credit_code: e
        for e in Enterprise.objects.filter(credit_code__in=[s.enterprise.credit_code for s in new])
    }
    contacts = []
    for spec in new:
        for contact in spec.contacts:
            contact.enterprise = saved[spec.enterprise.credit_code]
            contacts.append(contact)
    Contact.objects.bulk_create(contacts)
    if stdout is not None:
        stdout.write(
            f"企业演示数据：新增 {len(new)} 家企业、{len(contacts)} 位联系人（共 {len(specs)} 家）\n"
        )
    return len(new)
