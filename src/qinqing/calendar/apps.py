from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _calendar_changed(sender: Any, **kwargs: Any) -> None:
    from qinqing.calendar.services import invalidate_now_and_on_commit

    invalidate_now_and_on_commit()


class CalendarConfig(AppConfig):
    name = "qinqing.calendar"
    label = "calendar"
    verbose_name = "工作日历"

    def ready(self) -> None:
        from qinqing.calendar.models import CalendarDay, CalendarYear

        # Any edit in this process (services, admin site, shell) drops the working-day cache.
        for model in (CalendarDay, CalendarYear):
            post_save.connect(_calendar_changed, sender=model, dispatch_uid=f"calendar-save-{model.__name__}")
            post_delete.connect(
                _calendar_changed, sender=model, dispatch_uid=f"calendar-del-{model.__name__}"
            )
