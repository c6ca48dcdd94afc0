"""The public (no login) API for the mini program, under /api/public/: v1/ endpoints and its own schema."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
