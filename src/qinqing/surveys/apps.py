from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "qinqing.surveys"
    label = "surveys"
    verbose_name = "满意度调查"
