from django.apps import AppConfig


class ChambersConfig(AppConfig):
    name = "qinqing.chambers"
    label = "chambers"
    verbose_name = "异地商会与办事机构"
