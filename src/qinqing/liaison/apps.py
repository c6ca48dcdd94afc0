from django.apps import AppConfig


class LiaisonConfig(AppConfig):
    name = "qinqing.liaison"
    label = "liaison"
    verbose_name = "包联与走访"

    def ready(self) -> None:
        from qinqing.liaison import jobs  # noqa: F401 - registers the periodic escalation sweep
