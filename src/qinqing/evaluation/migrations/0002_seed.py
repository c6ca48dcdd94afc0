"""Ship the national system (18 first-level indicators), the Doing Business starting-a-business reference
system and the reform-measure library as data (src/qinqing/evaluation/data/*.json)."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parents[1] / "data"
SYSTEMS = ["national.json", "doing_business_starting_a_business.json"]


def _dec(value):
    return None if value is None else Decimal(str(value))


def seed(apps, schema_editor):
    System = apps.get_model("evaluation", "IndicatorSystem")
    Indicator = apps.get_model("evaluation", "Indicator")
    Measure = apps.get_model("evaluation", "ReformMeasure")
    for name in SYSTEMS:
        data = json.loads((DATA / name).read_text(encoding="utf-8"))
        if System.objects.filter(code=data["code"], year=data["year"]).exists():
            continue
        system = System.objects.create(
            code=data["code"], name=data["name"], year=data["year"], missing=data.get("missing", "exclude"),
            note=data.get("note", ""),
        )
        order = 0

        def add(node, parent, system=system):
            nonlocal order
            order += 1
            leaf = not node.get("children")
            row = Indicator.objects.create(
                system=system, parent=parent, code=node["code"], name=node["name"], order=order,
                weight=_dec(node.get("weight", 1)), unit=node.get("unit", "") if leaf else "",
                better=node.get("better", "") if leaf else "", best=_dec(node.get("best")),
                worst=_dec(node.get("worst")), power=_dec((node.get("transform") or {}).get("power")),
                source=node.get("source", "entered"), metric=node.get("metric", ""), note=node.get("note", ""),
            )
            for child in node.get("children", []):
                add(child, row)

        for top in data["children"]:
            add(top, None)
    if not Measure.objects.exists():
        rows = json.loads((DATA / "measures.json").read_text(encoding="utf-8"))
        Measure.objects.bulk_create([Measure(**r) for r in rows])


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
