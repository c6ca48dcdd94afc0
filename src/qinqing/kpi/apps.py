from django.apps import AppConfig


class KpiConfig(AppConfig):
    name = "qinqing.kpi"
    label = "kpi"
    verbose_name = "绩效目标"
