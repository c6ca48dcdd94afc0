from django.apps import AppConfig


class ChambersConfig(AppConfig):
    name = "qinqing.chambers"
    label = "chambers"
    verbose_name = "异地商会与办事机构"

    def ready(self) -> None:
        from qinqing.chambers import jobs, metrics, verification  # noqa: F401 - registers the periodic jobs
        from qinqing.chambers.queries import home_cards
        from qinqing.core import ratelimit
        from qinqing.core.queries import HOME_CARDS, register_home_cards

        metrics.register()
        ratelimit.counts_itself(verification.PATH)
        if home_cards not in HOME_CARDS:  # ready() may run twice (tests, autoreload)
            register_home_cards(home_cards)
