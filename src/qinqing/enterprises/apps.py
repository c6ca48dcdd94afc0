from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "qinqing.enterprises"
    label = "enterprises"
    verbose_name = "企业"

    def ready(self) -> None:
        from qinqing.core.queries import HOME_CARDS, register_home_cards
        from qinqing.enterprises.queries import home_cards

        if home_cards not in HOME_CARDS:  # ready() may run twice (tests, autoreload)
            register_home_cards(home_cards)
