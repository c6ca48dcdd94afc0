from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "qinqing.core"
    label = "core"
    verbose_name = "公共"

    def ready(self) -> None:
        from qinqing.core import schema  # noqa: F401  (registers OpenAPI extensions)
