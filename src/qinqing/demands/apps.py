from django.apps import AppConfig


class DemandsConfig(AppConfig):
    name = "qinqing.demands"
    label = "demands"
    verbose_name = "企业诉求"

    def ready(self) -> None:
        from qinqing.demands import jobs, queries  # noqa: F401 - registers periodic jobs and home cards
