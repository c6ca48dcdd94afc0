"""Capability checks for views and services (the table lives in accounts/roles.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

F = TypeVar("F", bound=Callable[..., Any])


def require(user: Any, capability: str) -> None:
    """Raise PermissionDenied unless USER holds CAPABILITY. Services call this first."""
    if user is None or not user.is_authenticated or not user.can(capability):
        raise PermissionDenied("无权执行此操作")


def require_capability(capability: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
            require(request.user, capability)
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def HasCapability(capability: str) -> type[BasePermission]:
    class _HasCapability(BasePermission):
        message = "无权执行此操作"

        def has_permission(self, request: Request, view: Any) -> bool:
            return bool(request.user and request.user.is_authenticated and request.user.can(capability))

    _HasCapability.__name__ = f"Has_{capability.replace('.', '_')}"
    return _HasCapability
