"""Append-only audit events (等保 2.0: who, when, what, result; kept ≥ 180 days)."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from qinqing.accounts.roles import Role
from qinqing.core.scoping import Scope, ScopedQuerySet


class AuditAction(models.TextChoices):
    LOGIN = "login", "登录成功"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOCKOUT = "lockout", "账号锁定"
    LOGOUT = "logout", "退出登录"
    SESSION_TIMEOUT = "session_timeout", "会话超时"
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    EXPORT = "export", "导出"
    IMPORT = "import", "导入"
    VIEW_PII = "view_pii", "查看个人信息"
    ROLE_CHANGE = "role_change", "角色变更"
    PASSWORD_CHANGE = "password_change", "修改密码"
    TOTP = "totp", "双因素认证"
    REAUTH = "reauth", "确认身份"  # password (+ second factor) again before a sensitive action
    TOKEN = "token", "API 令牌"
    ACCESS_DENIED = "access_denied", "拒绝访问"
    WORKFLOW = "workflow", "业务操作"
    PURGE = "purge", "清理审计日志"


class AuditResult(models.TextChoices):
    SUCCESS = "success", "成功"
    FAILURE = "failure", "失败"


class AppendOnlyError(RuntimeError):
    pass


class AuditEventQuerySet(ScopedQuerySet["AuditEvent"]):
    """Only audit administrators see audit events (all of them); nobody changes or deletes them."""

    def staff_filter(self, user: Any) -> Q | None:
        return Q() if user.has_role(Role.AUDITADMIN) else None

    def enterprise_filter(self, user: Any) -> Q | None:
        return None

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("audit events cannot be deleted; use `qinqing purge_audit`")


class AuditEvent(models.Model):
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField("账号", max_length=150, blank=True, db_index=True)
    action = models.CharField("类型", max_length=20, choices=AuditAction.choices, db_index=True)
    result = models.CharField("结果", max_length=10, choices=AuditResult.choices, default=AuditResult.SUCCESS)
    object_type = models.CharField("对象类型", max_length=60, blank=True, db_index=True)
    object_id = models.CharField("对象编号", max_length=40, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    changes = models.JSONField("变更", default=dict, blank=True)
    detail = models.CharField("说明", max_length=500, blank=True)
    request_id = models.CharField("请求号", max_length=64, blank=True)
    ip = models.GenericIPAddressField("客户端地址", null=True, blank=True)

    scope = Scope(unit=None)
    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit events cannot be deleted")
