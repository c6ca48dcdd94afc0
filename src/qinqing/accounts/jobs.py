"""Periodic housekeeping for accounts (registered with qinqing.core.jobs from AccountsConfig.ready)."""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from qinqing.accounts.models import LoginFailure, UserSession
from qinqing.core.jobs import periodic


@periodic(3600, name="accounts.prune_security_rows")
def prune_security_rows() -> dict[str, int]:
    """Drop login failures too old to count for any lock, and rows of sessions that no longer exist.

    The audit log keeps the history; these tables only serve the lockout and "end all sessions".
    """
    now = timezone.now()
    old = now - dt.timedelta(minutes=2 * settings.LOCKOUT_MINUTES)
    failures, _ = LoginFailure.objects.filter(at__lt=old).delete()
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(UserSession.objects.values_list("session_key", flat=True))
    if settings.SESSION_ENGINE in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        from django.contrib.sessions.models import Session

        alive = set(
            Session.objects.filter(session_key__in=keys, expire_date__gt=now).values_list(
                "session_key", flat=True
            )
        )
    else:
        alive = {key for key in keys if store().exists(key)}
    sessions, _ = UserSession.objects.exclude(session_key__in=alive).delete()
    return {"login_failures": failures, "user_sessions": sessions}
