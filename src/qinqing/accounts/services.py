"""Account services: login with lockout and second factor, sessions, users, roles, passwords, API tokens.

Lockout (等保 2.0: lock after repeated failures). The choice made here:

- Every failed password (and every wrong second-factor code) is recorded as a ``LoginFailure``: the
  username as typed, the client address, the time.
- ``LOCKOUT_FAILURES`` (5) failures for one username from one address within ``LOCKOUT_MINUTES`` (30)
  lock that (username, address) pair for ``LOCKOUT_MINUTES``, counted from the failure that reached the
  threshold.
- ``LOCKOUT_ADDRESS_FAILURES`` (20) failures from one address, whatever the usernames, within
  ``LOCKOUT_MINUTES`` lock the whole address the same way (password spraying).
- An attempt while locked is refused without checking the password and WITHOUT being counted. So every
  lock ends ``LOCKOUT_MINUTES`` after it began: hammering cannot extend it, and an attacker at another
  address cannot lock the user out at all (the user's own address keeps its own counter). The price is
  that an attacker gets 5 guesses per address per 30 minutes for one account; the address lock bounds
  that across accounts, and every refused attempt is still audited (``LOGIN_FAILED``, 账号已锁定).
- A successful login clears the failures of its own pair only; it does not reset the address counter
  (logging into one's own account must not reset a spraying counter).

A password that is right for an account needing the second factor (the three administrators when
``ADMIN_TOTP_REQUIRED``, and anyone who has confirmed TOTP) does not log in: the session holds
``TOTP_PENDING`` until ``verify_second_factor`` accepts a code (enrolling first when needed).

Audit rows of failed attempts must persist although the attempt fails, so ``authenticate_and_login`` and
``verify_second_factor`` are not one transaction: each write step is its own atomic block.
"""

from __future__ import annotations

import datetime as dt
import enum
import hmac
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from qinqing.accounts import recovery
from qinqing.accounts.middleware import LAST_SEEN, TOTP_PENDING
from qinqing.accounts.models import ApiToken, LoginFailure, User, UserRole, UserSession, hash_token
from qinqing.accounts.roles import ADMIN_ROLES, Role
from qinqing.accounts.signals import roles_changed
from qinqing.audit.models import AuditAction, AuditResult
from qinqing.audit.services import record, record_outside_transaction, record_update, snapshot
from qinqing.core.middleware import client_ip
from qinqing.core.permissions import require
from qinqing.orgs.models import Unit

TOTP_PENDING_MINUTES = 5  # a password accepted but no code yet: start again after this long
TOTP_ISSUER = "亲清平台"
MOBILE = re.compile(r"^1\d{10}$")
USER_AUDIT_FIELDS = ["username", "full_name", "title", "mobile", "unit_id", "enterprise_id", "is_active"]


class LoginOutcome(enum.StrEnum):
    SUCCESS = "success"
    TOTP_REQUIRED = "totp_required"
    INVALID = "invalid"
    LOCKED = "locked"
    EXPIRED = "expired"  # the second-factor step took too long or lost its user


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    locked_until: dt.datetime | None = None
    now: dt.datetime | None = None
    recovery_codes: tuple[str, ...] = ()  # made at TOTP enrollment: shown once, on the next page

    @property
    def minutes_left(self) -> int:
        """Whole minutes until the lock ends (rounded up, at least 1)."""
        if self.locked_until is None or self.now is None:
            return 0
        return max(1, math.ceil((self.locked_until - self.now).total_seconds() / 60))


# --- lockout ---------------------------------------------------------------------------------------
def _request_ip(request: HttpRequest) -> str | None:
    return getattr(request, "client_ip", None) or client_ip(request)


def _lock_end(times: list[dt.datetime], threshold: int, now: dt.datetime) -> dt.datetime | None:
    """The end of a lock still running at NOW, given the ascending failure TIMES of one counter."""
    window = dt.timedelta(minutes=settings.LOCKOUT_MINUTES)
    end: dt.datetime | None = None
    for i in range(threshold - 1, len(times)):
        if times[i] - times[i - threshold + 1] <= window:
            candidate = times[i] + window
            if candidate > now and (end is None or candidate > end):
                end = candidate
    return end


def locked_until(username: str, ip: str | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the lock on (USERNAME, IP) or on IP alone ends; None if neither is locked. One query."""
    now = now or timezone.now()
    since = now - dt.timedelta(minutes=2 * settings.LOCKOUT_MINUTES)
    rows = LoginFailure.objects.filter(at__gt=since, at__lte=now)
    rows = rows.filter(ip=ip) if ip else rows.filter(ip__isnull=True)
    failures = list(rows.order_by("at", "pk").values_list("username", "at"))
    pair = _lock_end([at for name, at in failures if name == username], settings.LOCKOUT_FAILURES, now)
    address = _lock_end([at for _, at in failures], settings.LOCKOUT_ADDRESS_FAILURES, now)
    ends = [end for end in (pair, address) if end is not None]
    return max(ends) if ends else None


def _refuse_locked(username: str, user: User | None, until: dt.datetime, now: dt.datetime) -> LoginResult:
    record_outside_transaction(
        AuditAction.LOGIN_FAILED,
        actor=user,
        actor_name=username,
        result=AuditResult.FAILURE,
        detail="账号已锁定，拒绝尝试（不计入失败次数）",
        object_type="accounts.user",
    )
    return LoginResult(LoginOutcome.LOCKED, user=user, locked_until=until, now=now)


@transaction.atomic
def _record_failure(
    username: str, user: User | None, ip: str | None, reason: str, now: dt.datetime
) -> LoginResult:
    """Count one failure, audit it and, when it reaches a threshold, audit the lockout it starts."""
    LoginFailure.objects.create(username=username, ip=ip, at=now)
    record(
        AuditAction.LOGIN_FAILED,
        actor=user,
        actor_name=username,
        result=AuditResult.FAILURE,
        detail=reason,
        object_type="accounts.user",
    )
    until = locked_until(username, ip, now)
    if until is None:
        return LoginResult(LoginOutcome.INVALID, user=user)
    until_text = f"{timezone.localtime(until):%Y-%m-%d %H:%M}"
    record(
        AuditAction.LOCKOUT,
        actor=user,
        actor_name=username,
        result=AuditResult.FAILURE,
        detail=f"连续登录失败，账号 {username} 自地址 {ip or '未知'} 锁定至 {until_text}",
        object_type="accounts.user",
    )
    return LoginResult(LoginOutcome.LOCKED, user=user, locked_until=until, now=now)


def _failure_reason(username: str) -> tuple[User | None, str]:
    user = User.objects.filter(username=username).first()
    if user is None:
        return None, "用户不存在"
    if not user.is_active:
        return user, "账号已停用"
    return user, "密码错误"


# --- login, second factor, logout ------------------------------------------------------------------
def needs_second_factor(user: User) -> bool:
    return user.totp_confirmed_at is not None or (settings.ADMIN_TOTP_REQUIRED and user.is_admin_role)


def authenticate_and_login(
    request: HttpRequest, username: str, password: str, *, now: dt.datetime | None = None, next_url: str = ""
) -> LoginResult:
    """Check a password login against the lockout, then log in or start the second factor."""
    now = now or timezone.now()
    username = username.strip()[:150]
    ip = _request_ip(request)
    until = locked_until(username, ip, now)
    if until is not None:
        return _refuse_locked(username, User.objects.filter(username=username).first(), until, now)
    authenticated = authenticate(request, username=username, password=password)
    if not isinstance(authenticated, User):
        user, reason = _failure_reason(username)
        return _record_failure(username, user, ip, reason, now)
    backend = getattr(authenticated, "backend", settings.AUTHENTICATION_BACKENDS[0])
    if needs_second_factor(authenticated):
        request.session.cycle_key()
        request.session[TOTP_PENDING] = {
            "user": authenticated.pk,
            "since": now.timestamp(),
            "backend": backend,
            "next": next_url,
        }
        return LoginResult(LoginOutcome.TOTP_REQUIRED, user=authenticated)
    _complete_login(request, authenticated, backend, ip)
    return LoginResult(LoginOutcome.SUCCESS, user=authenticated)


@transaction.atomic
def _complete_login(request: HttpRequest, user: User, backend: str, ip: str | None, detail: str = "") -> None:
    login(request, user, backend=backend)  # cycles the session key (no fixation)
    request.session[LAST_SEEN] = int(time.time())
    session_key = request.session.session_key
    if session_key is None:
        request.session.save()
        session_key = request.session.session_key
    UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user, "ip": ip})
    LoginFailure.objects.filter(username=user.username, ip=ip).delete()
    record(AuditAction.LOGIN, actor=user, obj=user, detail=detail)


def pending_user(request: HttpRequest, now: dt.datetime | None = None) -> User | None:
    """The user whose password was accepted in this session and who still owes a code (None if none)."""
    pending = request.session.get(TOTP_PENDING)
    if not isinstance(pending, dict):
        return None
    now = now or timezone.now()
    if now.timestamp() - float(pending.get("since", 0)) > TOTP_PENDING_MINUTES * 60:
        return None
    user_id = pending.get("user")
    if not isinstance(user_id, int):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def pending_next_url(request: HttpRequest) -> str:
    pending = request.session.get(TOTP_PENDING)
    return str(pending.get("next", "")) if isinstance(pending, dict) else ""


def cancel_second_factor(request: HttpRequest) -> None:
    request.session.pop(TOTP_PENDING, None)


@transaction.atomic
def begin_totp_enrollment(user: User) -> str:
    """The secret a not-yet-enrolled user is about to confirm (made once, kept until confirmed)."""
    if user.totp_confirmed_at is not None:
        raise ValidationError("已绑定动态口令")
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        User.objects.filter(pk=user.pk, totp_confirmed_at__isnull=True).update(totp_secret=user.totp_secret)
    return user.totp_secret


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step CODE belongs to (current ±1, pyotp's valid_window=1), or None."""
    totp = pyotp.TOTP(secret)
    code = code.strip()
    if not totp.verify(code, for_time=now, valid_window=1):
        return None
    for offset in (0, -1, 1):
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return totp.timecode(now) + offset
    return None


def verify_second_factor(request: HttpRequest, code: str, *, now: dt.datetime | None = None) -> LoginResult:
    """Accept a TOTP code for the pending login (confirming the enrollment when it is the first one)."""
    now = now or timezone.now()
    user = pending_user(request, now)
    if user is None:
        cancel_second_factor(request)
        return LoginResult(LoginOutcome.EXPIRED)
    ip = _request_ip(request)
    until = locked_until(user.username, ip, now)
    if until is not None:
        cancel_second_factor(request)
        return _refuse_locked(user.username, user, until, now)
    enrolling = user.totp_confirmed_at is None
    if not enrolling and recovery.looks_like_code(code):  # a recovery code in place of the TOTP code
        if not recovery.consume(user, code, purpose="登录", now=now):
            return _second_factor_failed(request, user, ip, "恢复码错误", now)
        how = "密码与恢复码"
    else:
        step = _matching_step(user.totp_secret, code, now) if user.totp_secret else None
        if step is None or not _accept_step(user, step, enrolling, now):
            return _second_factor_failed(request, user, ip, "动态口令错误", now)
        how = "密码与动态口令"
    codes = recovery.generate(user) if enrolling else []
    backend = str(request.session[TOTP_PENDING].get("backend", settings.AUTHENTICATION_BACKENDS[0]))
    cancel_second_factor(request)
    _complete_login(request, user, backend, ip, detail=how)
    return LoginResult(LoginOutcome.SUCCESS, user=user, recovery_codes=tuple(codes))


def _second_factor_failed(
    request: HttpRequest, user: User, ip: str | None, reason: str, now: dt.datetime
) -> LoginResult:
    """A wrong TOTP or recovery code: counted like a wrong password (lockout), audited as 双因素认证."""
    result = _record_failure(user.username, user, ip, reason, now)
    record_outside_transaction(
        AuditAction.TOTP, actor=user, obj=user, result=AuditResult.FAILURE, detail=reason
    )
    if result.outcome == LoginOutcome.LOCKED:
        cancel_second_factor(request)
    return result


@transaction.atomic
def _accept_step(user: User, step: int, enrolling: bool, now: dt.datetime) -> bool:
    """Consume STEP (a code is accepted once: a conditional UPDATE refuses replays and races)."""
    fresh = Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step)
    changes: dict[str, Any] = {"totp_last_step": step}
    if enrolling:
        changes["totp_confirmed_at"] = now
    if User.objects.filter(pk=user.pk).filter(fresh).update(**changes) != 1:
        return False
    user.totp_last_step = step
    if enrolling:
        user.totp_confirmed_at = now
    record(AuditAction.TOTP, actor=user, obj=user, detail="绑定动态口令" if enrolling else "动态口令验证通过")
    return True


def confirm_identity(
    request: HttpRequest, password: str, code: str = "", *, purpose: str = "", now: dt.datetime | None = None
) -> LoginResult:
    """Re-authentication (accounts.reauth): the signed-in user gives the password again, and a TOTP or
    recovery code when enrolled. Failures count toward the lockout like login failures; on success the
    session's window restarts. Both are audited (确认身份)."""
    from qinqing.accounts import reauth

    now = now or timezone.now()
    user = request.user
    assert isinstance(user, User)
    ip = _request_ip(request)
    until = locked_until(user.username, ip, now)
    if until is not None:
        return _refuse_locked(user.username, user, until, now)
    reason, how = "", "密码"
    if not user.check_password(password):
        reason = "确认身份：密码错误"
    elif user.totp_confirmed_at is not None:
        if recovery.looks_like_code(code):
            how = "密码与恢复码"
            if not recovery.consume(user, code, purpose="确认身份", now=now):
                reason = "确认身份：恢复码错误"
        else:
            how = "密码与动态口令"
            step = _matching_step(user.totp_secret, code, now) if code.strip() else None
            if step is None or not _accept_step(user, step, False, now):
                reason = "确认身份：动态口令错误"
    target = f"，用于 {purpose[:200]}" if purpose else ""
    if reason:
        result = _record_failure(user.username, user, ip, reason, now)
        record_outside_transaction(
            AuditAction.REAUTH, actor=user, obj=user, result=AuditResult.FAILURE, detail=reason + target
        )
        return result
    reauth.stamp(request)
    record_outside_transaction(AuditAction.REAUTH, actor=user, obj=user, detail=f"确认身份（{how}）{target}")
    return LoginResult(LoginOutcome.SUCCESS, user=user)


@transaction.atomic
def reset_totp(actor: User, user: User) -> None:
    """The security administrator clears a user's second factor (lost phone); they enroll again."""
    require(actor, "roles.manage")
    _check_visible(actor, user)
    User.objects.filter(pk=user.pk).update(totp_secret="", totp_confirmed_at=None, totp_last_step=None)
    recovery.forget(user)  # the new enrollment makes a new set
    user.totp_secret, user.totp_confirmed_at, user.totp_last_step = "", None, None
    record(AuditAction.TOTP, actor=actor, obj=user, detail="重置动态口令")


@transaction.atomic
def logout_user(request: HttpRequest) -> None:
    """Audit and end the session (its UserSession row goes with it: see accounts.signals)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        record(AuditAction.LOGOUT, actor=user, obj=user)
    logout(request)


def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def end_sessions(user: User, *, keep: str | None = None) -> int:
    """Delete the user's server sessions (all, or all but KEEP). Returns how many were ended."""
    store = _session_store()
    rows = UserSession.objects.filter(user=user)
    if keep:
        rows = rows.exclude(session_key=keep)
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    rows.delete()
    return len(keys)


# --- users -----------------------------------------------------------------------------------------
def _check_visible(actor: User, user: User) -> None:
    if not User.objects.visible_to(actor).filter(pk=user.pk).exists():
        raise PermissionDenied("无权管理该用户")


@transaction.atomic
def set_active(actor: User, user: User, active: bool) -> User:
    """Enable or disable an account; disabling ends all its sessions at once."""
    require(actor, "users.manage")
    _check_visible(actor, user)
    if user.pk == actor.pk and not active:
        raise ValidationError("不能停用自己的账号")
    if user.is_active == active:
        return user
    before = snapshot(user, ["is_active"])
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        end_sessions(user)
    record_update(actor, user, before, detail="启用账号" if active else "停用账号")
    return user


def check_role_set(user: User, roles: set[str]) -> None:
    """三员分立 and the staff/enterprise split; raises ValidationError({"roles": ...})."""
    unknown = sorted(roles - set(Role.values))
    if unknown:
        raise ValidationError({"roles": f"未知角色：{'、'.join(unknown)}"})
    effective = roles | ({Role.SYSADMIN.value} if user.is_superuser else set())
    admins = [Role(code).label for code in Role if code in effective and code in ADMIN_ROLES]
    if len(admins) > 1:
        held = "、".join(admins)
        raise ValidationError(
            {"roles": f"三员分立：系统管理员、安全管理员、审计管理员不能由同一账号兼任（{held}）"}
        )
    if user.enterprise_id is not None and roles - {Role.ENTERPRISE.value}:
        raise ValidationError({"roles": "企业用户只能拥有“企业用户”角色"})
    if user.enterprise_id is None and Role.ENTERPRISE.value in roles:
        raise ValidationError({"roles": "单位人员不能拥有“企业用户”角色"})


@transaction.atomic
def set_roles(actor: User, user: User, roles: Iterable[str]) -> User:
    """The security administrator sets a user's roles (the whole set)."""
    require(actor, "roles.manage")
    _check_visible(actor, user)
    if user.pk == actor.pk:
        raise ValidationError({"roles": "不能修改自己的角色"})
    wanted = {str(r) for r in roles}
    check_role_set(user, wanted)
    current = set(UserRole.objects.filter(user=user).values_list("role", flat=True))
    if wanted == current:
        return user
    UserRole.objects.filter(user=user, role__in=current - wanted).delete()
    UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in sorted(wanted - current)])
    roles_changed.send(sender=User, user=user)
    user.__dict__.pop("role_codes", None)
    if hasattr(user, "_prefetched_objects_cache"):
        user._prefetched_objects_cache.pop("role_rows", None)
    record(
        AuditAction.ROLE_CHANGE, actor=actor, obj=user, changes={"roles": [sorted(current), sorted(wanted)]}
    )
    return user


@transaction.atomic
def create_user(
    actor: User,
    *,
    username: str,
    password: str,
    full_name: str,
    unit: Unit | None = None,
    enterprise: Any = None,
    title: str = "",
    mobile: str = "",
    must_change_password: bool = False,
) -> User:
    """The system administrator opens an account in a unit (or enterprise) within their scope.

    Roles are granted separately by the security administrator (三员分立); an enterprise account gets
    the enterprise role at once, since it is the only one it may hold.
    """
    require(actor, "users.manage")
    username = username.strip()
    full_name = full_name.strip()
    mobile = mobile.strip()
    errors: dict[str, list[str]] = {}
    if (unit is None) == (enterprise is None):
        errors.setdefault("unit", []).append("请选择所属单位或所属企业（二选一）")
    if unit is not None and (
        actor.scope_unit is None
        or not Unit.objects.filter(pk=unit.pk, path__startswith=actor.scope_unit.path).exists()
    ):
        errors.setdefault("unit", []).append("只能在本单位及下级单位中创建用户")
    if enterprise is not None:
        from qinqing.enterprises.models import Enterprise

        if not Enterprise.objects.visible_to(actor).filter(pk=enterprise.pk).exists():
            errors.setdefault("enterprise", []).append("只能为本辖区登记的企业创建用户")
    if not username:
        errors.setdefault("username", []).append("请填写用户名")
    elif User.objects.filter(username__iexact=username).exists():
        errors.setdefault("username", []).append("用户名已存在")
    if not full_name:
        errors.setdefault("full_name", []).append("请填写姓名")
    if mobile and not MOBILE.match(mobile):
        errors.setdefault("mobile", []).append("手机号应为 11 位数字")
    user = User(
        username=username,
        full_name=full_name,
        title=title.strip(),
        mobile=mobile,
        unit=unit,
        enterprise=enterprise,
        must_change_password=must_change_password,
    )
    if username and "username" not in errors:
        try:
            User._meta.get_field("username").run_validators(username)
        except ValidationError as exc:
            errors.setdefault("username", []).extend(exc.messages)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors.setdefault("password", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save()
    if enterprise is not None:
        UserRole.objects.create(user=user, role=Role.ENTERPRISE)
    record(
        AuditAction.CREATE,
        actor=actor,
        obj=user,
        changes={k: [None, v] for k, v in snapshot(user, USER_AUDIT_FIELDS).items()},
        detail="新建用户",
    )
    return User.objects.get(pk=user.pk)


# --- passwords -------------------------------------------------------------------------------------
def password_expired(user: Any, now: dt.datetime | None = None) -> bool:
    """Whether USER must change the password before doing anything else.

    Accounts whose password date is unknown (made outside the services, e.g. createsuperuser) do not
    expire by age; the service and the password page set the date.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if user.must_change_password:
        return True
    max_age = settings.PASSWORD_MAX_AGE_DAYS
    if max_age <= 0 or user.password_changed_at is None:
        return False
    return (now or timezone.now()) - user.password_changed_at > dt.timedelta(days=max_age)


def change_password(
    user: User, old_password: str, new_password: str, *, keep_session: str | None = None
) -> None:
    """The user changes their own password. Ends their other sessions. A wrong old password is audited."""
    if not user.check_password(old_password):
        record_outside_transaction(
            AuditAction.PASSWORD_CHANGE,
            actor=user,
            obj=user,
            result=AuditResult.FAILURE,
            detail="原密码不正确",
        )
        raise ValidationError({"old_password": "原密码不正确"})
    _set_new_password(user, old_password, new_password, keep_session)


@transaction.atomic
def _set_new_password(user: User, old_password: str, new_password: str, keep_session: str | None) -> None:
    if not user.is_active:
        raise PermissionDenied("账号已停用")
    if new_password == old_password:
        raise ValidationError({"new_password": "新密码不能与原密码相同"})
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.must_change_password = False
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    end_sessions(user, keep=keep_session)
    record(AuditAction.PASSWORD_CHANGE, actor=user, obj=user)


@transaction.atomic
def keep_session_after_password_change(request: HttpRequest, user: User) -> None:
    """Keep the current session signed in after its password changed (new key, same UserSession row)."""
    old_key = request.session.session_key
    update_session_auth_hash(request, user)
    UserSession.objects.filter(session_key=old_key).update(session_key=request.session.session_key)


# --- API tokens ------------------------------------------------------------------------------------
@transaction.atomic
def create_token(
    user: User, name: str, expires_at: dt.datetime | None = None, *, now: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new API token for USER. Returns the row and the raw token; only its SHA-256 is stored."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied("无权执行此操作")
    now = now or timezone.now()
    name = name.strip()
    if not name:
        raise ValidationError({"name": "请填写令牌名称"})
    if len(name) > 100:
        raise ValidationError({"name": "令牌名称不能超过 100 个字符"})
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": "过期时间必须晚于当前时间"})
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=hash_token(raw),
        key_prefix=raw[:12],
        expires_at=expires_at,
        created_at=now,
    )
    record(AuditAction.TOKEN, actor=user, obj=token, detail="创建 API 令牌")
    return token, raw


@transaction.atomic
def revoke_token(user: User, token: ApiToken) -> ApiToken:
    """USER revokes one of their own tokens; it stops working at once."""
    if not user.is_authenticated or token.user_id != user.pk:
        raise PermissionDenied("无权执行此操作")
    now = timezone.now()
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now) != 1:
        raise ValidationError("令牌已吊销")
    token.revoked_at = now
    record(AuditAction.TOKEN, actor=user, obj=token, detail="吊销 API 令牌")
    return token
