"""A covering index for the statistics (PostgreSQL only): a year of a prefecture is read from the index
alone (index-only scan of ~260,000 entries) instead of ~25,000 heap pages of the wide demand rows.

Not declared on the model: INCLUDE columns exist on PostgreSQL only (SQLite would get a plain index
and a system-check warning).
"""

from typing import Any

from django.db import migrations

NAME = "demand_stats_cover"
INCLUDE = (
    "receiving_unit_id, lead_unit_id, demand_type, category_id, status, accept_decided_at, accept_due_at, "
    "accepted_on_time, signed_at, sign_due_at, signed_on_time, closed_on_time, rating, redo_count, "
    "return_count, dispatch_count, handle_working_days"
)


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON demands_demand (created_at) INCLUDE ({INCLUDE})"
        )


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("demands", "0003_todo_indexes")]

    operations = [migrations.RunPython(create, drop)]
