"""FactState.token: drawn at random with every commit of the facts, so that (version, token) names one
state of the facts and the figures cached under it are never another state's."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("analysis", "0003_backfill_facts")]

    operations = [
        migrations.AddField(
            model_name="factstate",
            name="token",
            field=models.BigIntegerField(db_default=0, default=0),
        ),
    ]
