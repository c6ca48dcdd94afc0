"""The (status, created_at) index becomes covering for the list's unit filter: it also holds id and the
receiving and lead units, so a status list of a large unit pages and counts from the index alone (issue 8).
The new index is built before the old one is dropped."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("demands", "0007_todo_due_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="demand",
            index=models.Index(
                fields=["status", "created_at", "id", "receiving_unit", "lead_unit"],
                name="demand_status_created_units",
            ),
        ),
        migrations.RemoveIndex(model_name="demand", name="demand_status_created"),
    ]
