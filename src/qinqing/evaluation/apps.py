from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "qinqing.evaluation"
    label = "evaluation"
    verbose_name = "营商环境评价"

    def ready(self) -> None:
        from qinqing.evaluation import metrics  # noqa: F401  (registers evaluation.* metrics)
