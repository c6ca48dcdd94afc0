from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "qinqing.portal"
    label = "portal"
    verbose_name = "招商门户"
