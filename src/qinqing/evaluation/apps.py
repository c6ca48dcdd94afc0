from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "qinqing.evaluation"
    label = "evaluation"
    verbose_name = "营商环境评价"
