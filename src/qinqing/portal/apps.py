from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "qinqing.portal"
    label = "portal"
    verbose_name = "招商门户"

    def ready(self) -> None:
        from qinqing.investment.signals import publication_changed
        from qinqing.portal import checks, extras, jobs, metrics  # noqa: F401  (registrations)
        from qinqing.portal.snapshot import on_publication_changed

        # a project approved for, or withdrawn (下架) from, the public catalogue: its row at once
        publication_changed.connect(on_publication_changed, dispatch_uid="portal.sync_project")
