from django.apps import AppConfig


class PromotionConfig(AppConfig):
    name = "qinqing.promotion"
    label = "promotion"
    verbose_name = "招商推介与考察接待"
