"""Users, their roles, sessions, login failures and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from functools import cached_property
from typing import TYPE_CHECKING, Any, Self

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from qinqing.accounts.roles import ADMIN_ROLES, Role, roles_with
from qinqing.core.scoping import Scope, ScopedQuerySet

if TYPE_CHECKING:
    from collections.abc import Iterable

    from qinqing.orgs.models import Unit


class UserQuerySet(ScopedQuerySet["User"]):
    def with_role(self, role: str) -> Self:
        return self.filter(role_rows__role=role)


class ScopedUserManager(UserManager["User"]):
    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def visible_to(self, user: Any) -> UserQuerySet:
        return self.get_queryset().visible_to(user)


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=50, blank=True)
    title = models.CharField("职务", max_length=50, blank=True)
    mobile = models.CharField("手机号", max_length=20, blank=True)
    unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name="所属单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="所属企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    totp_secret = models.CharField(max_length=64, blank=True, editable=False)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    must_change_password = models.BooleanField("须修改密码", default=False)
    # The last TOTP time step accepted: a code is never accepted twice (replay).
    totp_last_step = models.BigIntegerField(null=True, blank=True, editable=False)

    # Staff see the users of their units and the users of enterprises registered in their units.
    scope = Scope(unit=("unit", "enterprise__registered_unit"), enterprise="enterprise")
    objects = ScopedUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    # --- roles ---------------------------------------------------------------------------------
    @cached_property
    def role_codes(self) -> frozenset[str]:
        if not self.pk:
            return frozenset()
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("role_rows")
        rows = prefetched if prefetched is not None else self.role_rows.all()
        return self._effective_roles(row.role for row in rows)

    def _effective_roles(self, granted: Iterable[str]) -> frozenset[str]:
        codes = set(granted)
        if self.is_superuser:  # `qinqing createsuperuser` makes a system administrator
            codes.add(Role.SYSADMIN)
        return frozenset(codes)

    def prime_roles(self, granted: Iterable[str]) -> None:
        """Set the role codes from rows loaded together with the user (token authentication), so that
        ``role_codes`` needs no query of its own."""
        self.__dict__["role_codes"] = self._effective_roles(granted)

    def has_role(self, role: str) -> bool:
        return role in self.role_codes

    def can(self, capability: str) -> bool:
        """Whether any of the user's roles grants CAPABILITY (accounts.roles.CAPABILITIES)."""
        return self.is_active and bool(self.role_codes & roles_with(capability))

    @property
    def is_enterprise_user(self) -> bool:
        return self.enterprise_id is not None

    @property
    def is_admin_role(self) -> bool:
        return bool(self.role_codes & ADMIN_ROLES)

    @property
    def scope_unit(self) -> Unit | None:
        return self.unit.scope_root if self.unit is not None else None

    @property
    def role_labels(self) -> list[str]:
        return [Role(code).label for code in Role if code in self.role_codes]

    def clean(self) -> None:
        super().clean()
        if self.unit_id and self.enterprise_id:
            raise ValidationError("用户只能属于一个单位或一个企业")

    # Django's staff flag is only for the admin site, which only system administrators use.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.can("admin.site")

    @is_staff.setter
    def is_staff(self, value: bool) -> None:
        pass

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_active and self.can("admin.site")

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and self.can("admin.site")


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_rows")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "用户角色"
        verbose_name_plural = "用户角色"
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="userrole_unique")]
        indexes = [models.Index(fields=["role"])]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()}"


class UserSession(models.Model):
    """Which server sessions belong to which user, so disabling a user ends them all."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="session_rows")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "登录会话"
        verbose_name_plural = "登录会话"

    def __str__(self) -> str:
        return f"{self.user_id} {self.ip or '-'} {self.created_at:%Y-%m-%d %H:%M}"


class RecoveryCode(models.Model):
    """A single-use stand-in for a TOTP code (lost phone). Only an HMAC-SHA256 digest is stored: see
    qinqing.accounts.recovery for the format and why not a password hasher."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    used_at = models.DateTimeField("使用时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "恢复码"
        verbose_name_plural = "恢复码"
        constraints = [models.UniqueConstraint(fields=["user", "digest"], name="recoverycode_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {'已使用' if self.used_at else '未使用'}"


class LoginFailure(models.Model):
    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "登录失败"
        verbose_name_plural = "登录失败"
        indexes = [models.Index(fields=["ip", "at"]), models.Index(fields=["username", "ip", "at"])]

    def __str__(self) -> str:
        return f"{self.username} {self.ip or '-'} {self.at:%Y-%m-%d %H:%M:%S}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self) -> Self:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class ApiToken(models.Model):
    """A token for integrations; only its SHA-256 digest is stored."""

    PREFIX = "qq_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("名称", max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField("前缀", max_length=12, editable=False)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最后使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def generate(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)
