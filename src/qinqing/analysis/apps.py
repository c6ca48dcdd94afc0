from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "qinqing.analysis"
    label = "analysis"
    verbose_name = "诉求分析"

    def ready(self) -> None:
        # Index new demands; the monthly report job; the demand page's 可能重复 panel.
        from qinqing.analysis import extensions, jobs, metrics, signals  # noqa: F401
        from qinqing.analysis.queries import stats_from_facts
        from qinqing.demands.stats import register_source

        # The statistics page, its export and API read the pre-aggregated facts (same figures).
        register_source(stats_from_facts)
