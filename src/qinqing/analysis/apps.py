from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "qinqing.analysis"
    label = "analysis"
    verbose_name = "诉求分析"

    def ready(self) -> None:
        from qinqing.analysis import jobs, signals  # noqa: F401 - index new demands; the monthly report job
