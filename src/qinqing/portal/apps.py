from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "qinqing.portal"
    label = "portal"
    verbose_name = "招商门户"

    def ready(self) -> None:
        from qinqing.portal import checks, extras, jobs, metrics  # noqa: F401  (registrations)
