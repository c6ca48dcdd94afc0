from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# (label, url name, capability — several joined by | mean any of them — or None for every signed-in user)
NAV: list[tuple[str, str, str | None]] = [
    ("首页", "core:home", None),
    ("企业库", "enterprises:list", "enterprises.view"),
    ("我的待办", "demands:todo", None),
    ("企业诉求", "demands:list", None),
    ("诉求统计", "demands:stats", "demands.stats"),
    ("诉求配置", "demands:config", "demands.configure"),
    ("消息", "demands:inbox", None),
    ("招商引资", "investment:list", "investment.view"),
    ("包联走访", "liaison:home", "liaison.view"),
    ("领导驾驶舱", "analysis:dashboard", "analysis.view"),
    ("考察接待", "promotion:home", "promotion.view"),
    ("招商门户", "portal:staff_home", "portal.edit|portal.inquiries|portal.stats"),
    ("商会管理", "chambers:home", "chambers.view|chambers.apply"),
    ("满意度调查", "surveys:home", "surveys.view|surveys.interview"),
    ("营商环境评价", "evaluation:home", "evaluation.view"),
    ("绩效目标", "kpi:home", "kpi.view|ops.manage"),
    ("组织机构", "orgs:tree", "orgs.view"),
    ("工作日历", "calendar:years", "calendar.manage"),
    ("用户管理", "accounts:users", "users.manage|roles.manage"),
    ("审计日志", "audit:list", "audit.view"),
]


# Entries for every user that still need a unit or an enterprise (an organisation's own account of the
# chambers app, 社会组织用户, has neither: the demand pages answer it 403).
NEEDS_UNIT_OR_ENTERPRISE = frozenset({"demands:todo", "demands:list"})


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    attached = bool(getattr(user, "unit_id", None) or getattr(user, "enterprise_id", None))
    items = [
        (label, name)
        for label, name, cap in NAV
        if (cap is None or any(user.can(c) for c in cap.split("|")))
        and (attached or name not in NEEDS_UNIT_OR_ENTERPRISE)
    ]
    return {"nav_items": [(label, name) for label, name in items if _resolves(name)]}


def _resolves(name: str) -> bool:
    """An app's entry shows once the app has its page (apps are added one at a time)."""
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True
