"""Periodic jobs: review reminders (yellow and red lights) and annual-report reminders. Idempotent:
each application is reminded once per light (conditional update on ``reminded_level``); each late
organisation at most once a week (``AnnualReport.reminded_at``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from qinqing.chambers import inspections, queries
from qinqing.chambers.models import Application, ReviewSettings
from qinqing.chambers.rules import AppStatus, Light
from qinqing.core.jobs import periodic


def reviewers_of(area: Any) -> list[Any]:
    """Active reviewers (调度员、单位负责人) whose scope covers AREA."""
    from qinqing.accounts.models import User

    paths = [area.path[:i] for i in range(6, len(area.path) + 1, 6)]
    candidates = (
        User.objects.filter(
            Q(unit__path__in=paths) | Q(unit__parent__path__in=paths, unit__coordinates_parent=True),
            role_rows__role__in=["dispatcher", "unit_head"],
            is_active=True,
        )
        .select_related("unit__parent")
        .distinct()
    )
    return [u for u in candidates if u.scope_unit is not None and area.path.startswith(u.scope_unit.path)]


@periodic(3600, name="chambers.review_reminders")
def review_reminders() -> int:
    """Tell the reviewing bureau about applications that turned yellow or red."""
    from qinqing.demands import notifications

    day = timezone.localdate()
    remind = ReviewSettings.current().remind_days
    sent = 0
    apps = Application.objects.filter(status=AppStatus.SUBMITTED).select_related("organisation__area")
    for app in apps:
        light = queries.light_for(app, day, remind)
        if light not in (Light.YELLOW, Light.RED) or app.reminded_level == light:
            continue
        with transaction.atomic():
            won = Application.objects.filter(pk=app.pk, reminded_level=app.reminded_level).update(
                reminded_level=light
            )
            if not won:
                continue
            reviewers = reviewers_of(app.organisation.area)
            state = "已超期" if light == Light.RED else "即将到期"
            notifications.enqueue(
                reviewers,
                f"商会登记审核{state}：{app.organisation.name}",
                f"{app.get_kind_display()}申请审核期限 {app.due_on:%Y-%m-%d}，{state}。",
                key=f"chlight:{app.pk}:{light}",
                email=False,
            )
            sent += 1
    return sent


@periodic(6 * 3600, name="chambers.annual_reminders")
def annual_reminders() -> int:
    day = timezone.localdate()
    return sum(inspections.remind(None, campaign) for campaign in inspections.due_campaigns(day))
