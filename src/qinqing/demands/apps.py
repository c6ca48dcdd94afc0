from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


def _config_changed(sender: Any, **kwargs: Any) -> None:
    from qinqing.demands import cache

    cache.changed()


class DemandsConfig(AppConfig):
    name = "qinqing.demands"
    label = "demands"
    verbose_name = "企业诉求"

    def ready(self) -> None:
        from qinqing.demands import jobs, metrics, queries  # noqa: F401 - jobs, metrics, home cards
        from qinqing.demands.models import Category, DemandSettings, SlaPolicy
        from qinqing.orgs.models import Unit

        # Any edit in this process (services, admin site, shell) drops the configuration snapshot
        # (demands.cache); a migrate or flush does too.
        for model in (Category, SlaPolicy, DemandSettings, Unit):
            name = f"{model._meta.label_lower}"
            post_save.connect(_config_changed, sender=model, dispatch_uid=f"demands-config-save-{name}")
            post_delete.connect(_config_changed, sender=model, dispatch_uid=f"demands-config-del-{name}")
        post_migrate.connect(_config_changed, dispatch_uid="demands-config-migrate")
