from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "qinqing.accounts"
    label = "accounts"
    verbose_name = "账号"

    def ready(self) -> None:
        from qinqing.accounts import jobs, metrics, reauth, signals  # noqa: F401 - receivers, jobs, metrics
