"""Seed the obstacle taxonomy, the default time limits (DOMAIN.md §2) and the settings row."""

import math

from django.db import migrations

CATEGORIES = [
    ("要素保障", ["用地", "用电", "用水用气", "用工", "融资", "物流"]),
    ("政务服务", ["审批", "证照", "办税"]),
    ("政策落实", ["兑现", "咨询"]),
    ("市场监管", []),
    ("法治环境", ["执法", "合同履约", "拖欠账款"]),
    ("基础设施", []),
    ("其他", []),
]
HELP = {
    "用地": "土地指标、供地、不动产登记等",
    "用电": "报装、扩容、电价、停限电等",
    "用水用气": "供水、供气、供热报装与价格",
    "用工": "招工、技能培训、社保等",
    "融资": "贷款、担保、融资对接等",
    "物流": "运输、仓储、通行等",
    "审批": "项目审批、备案、环评、施工许可等",
    "证照": "营业执照、许可证办理与变更",
    "办税": "纳税申报、退税、发票等",
    "兑现": "奖补资金、优惠政策兑现",
    "咨询": "政策内容与适用条件咨询",
    "执法": "检查频次、处罚尺度、涉企执法",
    "合同履约": "政府及部门合同、招商承诺履约",
    "拖欠账款": "机关、事业单位和国有企业拖欠账款",
}
HANDLE_DAYS = {"consult": 3, "help": 10, "suggestion": 10, "complaint": 15, "report": 15, "other": 10}


def seed(apps, schema_editor):
    Category = apps.get_model("demands", "Category")
    SlaPolicy = apps.get_model("demands", "SlaPolicy")
    DemandSettings = apps.get_model("demands", "DemandSettings")
    for i, (name, children) in enumerate(CATEGORIES):
        parent, _ = Category.objects.get_or_create(parent=None, name=name, defaults={"ordering": i})
        for j, child in enumerate(children):
            Category.objects.get_or_create(
                parent=parent, name=child, defaults={"ordering": j, "help_text": HELP.get(child, "")}
            )
    for demand_type, days in HANDLE_DAYS.items():
        for urgency, limit in (("normal", days), ("urgent", math.ceil(days / 2))):
            SlaPolicy.objects.get_or_create(
                demand_type=demand_type,
                urgency=urgency,
                defaults={
                    "accept_days": 1,
                    "sign_days": 1,
                    "return_days": 2,
                    "handle_days": limit,
                    "max_handle_days": 30,
                },
            )
    DemandSettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("demands", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
