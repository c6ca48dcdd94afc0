"""Backfill the dashboard's facts (analysis.facts) from the demands already there."""

from typing import Any

from django.db import migrations


def backfill(apps: Any, schema_editor: Any) -> None:
    from qinqing.analysis import facts

    facts.rebuild(demand_model=apps.get_model("demands", "Demand"), unit_model=apps.get_model("orgs", "Unit"))


def clear(apps: Any, schema_editor: Any) -> None:
    for name in ("TermFact", "MonthlyFact", "DemandFact", "FactQueue", "FactState"):
        apps.get_model("analysis", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analysis", "0002_facts"),
        ("demands", "0005_lead_created_index"),
        ("enterprises", "0002_contact_one_primary"),
        ("orgs", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, clear)]
