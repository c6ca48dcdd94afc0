"""What promotion adds to other apps' pages: the project page's 推介来源 panel, and the home card."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from qinqing.core.extensions import Extra, register_extras
from qinqing.investment.models import Project
from qinqing.promotion.models import Touch


@register_extras("project")
def project_extras(user: Any, project: Project) -> list[Extra]:
    if getattr(user, "enterprise_id", None) or not user.can("promotion.view"):
        return []
    if not Touch.objects.filter(project=project).exists():
        return []
    return [Extra("推介来源", reverse("promotion:project_origins", args=[project.pk]), kind="panel")]
