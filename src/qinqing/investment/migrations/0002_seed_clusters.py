from django.db import migrations


def seed(apps, schema_editor):
    from qinqing.investment.clusters import SEED

    Cluster = apps.get_model("investment", "IndustryCluster")
    Chain = apps.get_model("investment", "IndustryChain")
    Settings = apps.get_model("investment", "InvestmentSettings")
    for scheme, rows in SEED.items():
        for i, (category, name, chains) in enumerate(rows, start=1):
            cluster, _ = Cluster.objects.get_or_create(
                scheme=scheme, name=name, defaults={"category": category, "ordering": i}
            )
            for j, chain in enumerate(chains, start=1):
                Chain.objects.get_or_create(cluster=cluster, name=chain, defaults={"ordering": j})
    Settings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("investment", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
