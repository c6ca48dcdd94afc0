from django.apps import AppConfig


class LiaisonConfig(AppConfig):
    name = "qinqing.liaison"
    label = "liaison"
    verbose_name = "包联与走访"

    def ready(self) -> None:
        # The periodic escalation sweep; the demand page's 走访 and 疑难 links.
        from qinqing.liaison import extensions, jobs  # noqa: F401
