"""Keep UserSession rows in step with Django's sessions, however a session ends; ``roles_changed``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import Signal, receiver
from django.http import HttpRequest

from qinqing.accounts.models import UserSession

# Sent (sender=User, user=...) when a user's roles are set in bulk (``services.set_roles``), which sends
# no model signals: higher apps that remember users by role (demands.cache) forget them.
roles_changed = Signal()


@receiver(user_logged_out, dispatch_uid="qinqing.accounts.forget_session")
def forget_session(sender: Any, request: HttpRequest | None = None, user: Any = None, **kwargs: Any) -> None:
    """Logout, idle timeout, admin logout: the ending session's row goes with it."""
    session = getattr(request, "session", None)
    key = session.session_key if session is not None else None
    if key:
        UserSession.objects.filter(session_key=key).delete()
