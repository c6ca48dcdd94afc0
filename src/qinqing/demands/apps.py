from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


def _config_changed(sender: Any, **kwargs: Any) -> None:
    from qinqing.demands import cache

    cache.changed()


# A user's fields that decide whether a submission notifies them (services.office_recipients).
RECIPIENT_FIELDS = frozenset({"unit", "unit_id", "is_active", "email"})


def _user_saved(sender: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """A user saved (other than a login time, a password or a second factor): drop the recipients."""
    if update_fields is not None and not RECIPIENT_FIELDS & set(update_fields):
        return
    _users_changed()


def _users_changed(sender: Any = None, **kwargs: Any) -> None:
    from qinqing.demands import cache

    cache.users_changed()


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
        # Users and roles: the offices' recipients remembered in the snapshot.
        from qinqing.accounts.models import User, UserRole
        from qinqing.accounts.signals import roles_changed

        post_save.connect(_user_saved, sender=User, dispatch_uid="demands-users-save")
        post_delete.connect(_users_changed, sender=User, dispatch_uid="demands-users-del")
        post_save.connect(_users_changed, sender=UserRole, dispatch_uid="demands-roles-save")
        post_delete.connect(_users_changed, sender=UserRole, dispatch_uid="demands-roles-del")
        roles_changed.connect(_users_changed, dispatch_uid="demands-roles-changed")
