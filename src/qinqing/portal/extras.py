"""What the portal adds to the investment project page: the inquiry a lead came from, inquiries about it."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from qinqing.core.extensions import Extra, register_extras
from qinqing.portal.models import Inquiry


@register_extras("project")
def project_extras(user: Any, project: Any) -> list[Extra]:
    if not user.can("portal.inquiries"):
        return []
    out: list[Extra] = []
    rows = Inquiry.objects.visible_to(user).filter(lead_project=project).values_list("pk", "number")
    for pk, number in rows:
        out.append(Extra(f"来源：对接洽谈 {number}", reverse("portal:inquiry", args=[pk])))
    about = Inquiry.objects.visible_to(user).filter(project=project).exclude(lead_project=project).count()
    if about:
        out.append(
            Extra(f"门户对接洽谈（{about} 项）", reverse("portal:inquiries") + f"?project={project.pk}")
        )
    return out
