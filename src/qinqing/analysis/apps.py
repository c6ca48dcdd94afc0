from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "qinqing.analysis"
    label = "analysis"
    verbose_name = "诉求分析"

    def ready(self) -> None:
        # Index new demands; the monthly report job; the demand page's 可能重复 panel.
        from qinqing.analysis import extensions, jobs, metrics, signals  # noqa: F401
