"""Backfill the pre-aggregated funds table from the existing funds entries (aggregates.rebuild)."""

from typing import Any

from django.db import migrations


def backfill(apps: Any, schema_editor: Any) -> None:
    from qinqing.investment import aggregates

    aggregates.rebuild(
        apps.get_model("investment", "FundsEntry"), apps.get_model("investment", "ProjectYearFunds")
    )


def clear(apps: Any, schema_editor: Any) -> None:
    apps.get_model("investment", "ProjectYearFunds").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("investment", "0003_project_year_funds")]

    operations = [migrations.RunPython(backfill, clear)]
