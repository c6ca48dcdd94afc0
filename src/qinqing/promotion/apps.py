from django.apps import AppConfig


class PromotionConfig(AppConfig):
    name = "qinqing.promotion"
    label = "promotion"
    verbose_name = "招商推介与考察接待"

    def ready(self) -> None:
        # metrics, the reminder job, the project page's origin panel and the home card
        from qinqing.core.queries import HOME_CARDS, register_home_cards
        from qinqing.promotion import extensions, jobs, metrics  # noqa: F401
        from qinqing.promotion.queries import home_cards

        if home_cards not in HOME_CARDS:
            register_home_cards(home_cards)
