"""Roles and the capabilities they grant: the one table every permission check reads."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", "企业用户"
    HANDLER = "handler", "承办人"
    DISPATCHER = "dispatcher", "调度员"
    UNIT_HEAD = "unit_head", "单位负责人"
    LEADER = "leader", "领导"
    STATS_FILER = "stats_filer", "统计填报员"
    SYSADMIN = "sysadmin", "系统管理员"
    SECADMIN = "secadmin", "安全管理员"
    AUDITADMIN = "auditadmin", "审计管理员"
    ORG_MEMBER = "org_member", "社会组织用户"  # a chamber's or office's own account (chambers app)
    EVALUATOR = "evaluator", "评估员"  # third-party evaluation team, sees only its rounds (evaluation app)
    INTERVIEWER = "interviewer", "调查员"  # enters paper and telephone interviews (surveys app)


# 三员分立: no account holds two of these.
ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITADMIN})
STAFF_ROLES = frozenset(set(Role) - {Role.ENTERPRISE, Role.ORG_MEMBER})
BUSINESS_STAFF = frozenset({Role.HANDLER, Role.DISPATCHER, Role.UNIT_HEAD, Role.LEADER, Role.STATS_FILER})

# capability -> roles that hold it. Apps add their own rows here, next to the existing ones.
CAPABILITIES: dict[str, frozenset[Role]] = {
    "enterprises.view": BUSINESS_STAFF | {Role.SYSADMIN},
    "enterprises.change": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "enterprises.import": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "enterprises.export": frozenset({Role.DISPATCHER, Role.UNIT_HEAD, Role.LEADER}),
    "enterprises.view_pii": frozenset({Role.DISPATCHER, Role.UNIT_HEAD, Role.LEADER}),
    "orgs.view": STAFF_ROLES,
    "users.manage": frozenset({Role.SYSADMIN}),
    "roles.manage": frozenset({Role.SECADMIN}),
    "calendar.manage": frozenset({Role.SYSADMIN}),
    "audit.view": frozenset({Role.AUDITADMIN}),
    "admin.site": frozenset({Role.SYSADMIN}),
    "demands.view": BUSINESS_STAFF,
    "demands.submit": frozenset({Role.DISPATCHER, Role.UNIT_HEAD, Role.HANDLER, Role.LEADER}),
    "demands.export": frozenset({Role.DISPATCHER, Role.UNIT_HEAD, Role.LEADER}),
    "demands.stats": BUSINESS_STAFF,
    "demands.configure": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "investment.view": BUSINESS_STAFF,
    "investment.change": frozenset({Role.STATS_FILER, Role.DISPATCHER, Role.UNIT_HEAD}),
    "investment.report_prepare": frozenset({Role.STATS_FILER}),
    "investment.report_submit": frozenset({Role.UNIT_HEAD}),
    "investment.report_review": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "investment.targets": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "investment.settings": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "investment.publish_review": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "liaison.view": BUSINESS_STAFF,
    "liaison.assign": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "liaison.configure": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "liaison.visit": frozenset({Role.LEADER, Role.DISPATCHER, Role.UNIT_HEAD}),
    "liaison.mark_difficult": frozenset({Role.HANDLER, Role.DISPATCHER, Role.UNIT_HEAD}),
    "liaison.escalate": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "liaison.meeting": frozenset({Role.DISPATCHER, Role.UNIT_HEAD, Role.LEADER}),
    "liaison.export": frozenset({Role.DISPATCHER, Role.UNIT_HEAD, Role.LEADER}),
    "analysis.view": BUSINESS_STAFF,
    "analysis.report": frozenset({Role.DISPATCHER, Role.UNIT_HEAD, Role.LEADER}),
    "analysis.merge": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    # --- promotion ---
    "promotion.view": BUSINESS_STAFF,
    "promotion.change": frozenset({Role.DISPATCHER, Role.UNIT_HEAD, Role.STATS_FILER, Role.HANDLER}),
    "promotion.settings": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    # --- portal ---
    "portal.edit": frozenset({Role.DISPATCHER, Role.UNIT_HEAD, Role.STATS_FILER}),
    "portal.review": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "portal.inquiries": frozenset({Role.DISPATCHER, Role.UNIT_HEAD, Role.HANDLER}),
    "portal.publications": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "portal.stats": BUSINESS_STAFF,
    # --- chambers ---
    "chambers.view": BUSINESS_STAFF,
    "chambers.manage": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "chambers.review": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "chambers.apply": frozenset({Role.ORG_MEMBER}),
    # --- surveys ---
    "surveys.view": BUSINESS_STAFF,
    "surveys.design": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "surveys.fieldwork": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "surveys.interview": frozenset({Role.INTERVIEWER, Role.DISPATCHER}),
    "surveys.export_raw": frozenset({Role.UNIT_HEAD}),
    # --- evaluation ---
    "evaluation.view": BUSINESS_STAFF | {Role.EVALUATOR},
    "evaluation.design": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "evaluation.enter": frozenset({Role.EVALUATOR, Role.DISPATCHER, Role.STATS_FILER}),
    "evaluation.review": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    # --- kpi (budget targets) and operations ---
    "kpi.view": BUSINESS_STAFF,
    "kpi.manage": frozenset({Role.DISPATCHER, Role.UNIT_HEAD}),
    "ops.manage": frozenset({Role.SYSADMIN}),
}


def roles_with(capability: str) -> frozenset[Role]:
    return CAPABILITIES.get(capability, frozenset())
