from django.apps import AppConfig


class InvestmentConfig(AppConfig):
    name = "qinqing.investment"
    label = "investment"
    verbose_name = "招商引资"

    def ready(self) -> None:
        from qinqing.core.queries import HOME_CARDS, register_home_cards
        from qinqing.investment import metrics  # noqa: F401 - platform metrics
        from qinqing.investment.queries import home_cards

        if home_cards not in HOME_CARDS:  # ready() may run twice (tests, autoreload)
            register_home_cards(home_cards)
