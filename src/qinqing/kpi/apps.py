from django.apps import AppConfig


class KpiConfig(AppConfig):
    name = "qinqing.kpi"
    label = "kpi"
    verbose_name = "绩效目标"

    def ready(self) -> None:
        # kpi is the last app: every other app's metrics and jobs are registered by now.
        from qinqing.kpi import jobs, metrics

        metrics.declare_missing()
        jobs.count_all_jobs()
