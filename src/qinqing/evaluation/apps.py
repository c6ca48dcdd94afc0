from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "qinqing.evaluation"
    label = "evaluation"
    verbose_name = "营商环境评价"

    def ready(self) -> None:
        from qinqing.core.queries import HOME_CARDS, register_home_cards
        from qinqing.evaluation import metrics  # noqa: F401  (registers evaluation.* metrics)
        from qinqing.evaluation.queries import home_cards

        if home_cards not in HOME_CARDS:  # ready() may run twice (tests, autoreload)
            register_home_cards(home_cards)
