"""Forms of the account pages: input parsing only; the rules live in services.py."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.orgs.models import Unit


class LoginForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150, error_messages={"required": "请填写用户名"})
    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput, error_messages={"required": "请填写密码"}
    )


CODE_SHAPE = "动态口令为 6 位数字；恢复码为 12 位字母和数字（如 abcd-efgh-jkmn）"


def _second_factor_code(value: str) -> str:
    from qinqing.accounts import recovery

    code = value.strip()
    if not (re.fullmatch(r"\d{6}", code) or recovery.looks_like_code(code)):
        raise ValidationError(CODE_SHAPE)
    return code


class TotpForm(forms.Form):
    """A 6-digit TOTP code, or one of the user's recovery codes in its place."""

    code = forms.CharField(
        label="动态口令或恢复码", max_length=20, error_messages={"required": "请填写 6 位动态口令或恢复码"}
    )

    def clean_code(self) -> str:
        return _second_factor_code(str(self.cleaned_data.get("code") or ""))


class ConfirmForm(forms.Form):
    """Re-authentication before a sensitive action: the password, and the second factor when enrolled."""

    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput, error_messages={"required": "请填写密码"}
    )
    code = forms.CharField(label="动态口令或恢复码", max_length=20, required=False)

    def __init__(self, *args: Any, needs_code: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.needs_code = needs_code
        if not needs_code:
            del self.fields["code"]

    def clean_code(self) -> str:
        code = str(self.cleaned_data.get("code") or "")
        if not code.strip():
            raise ValidationError("请填写 6 位动态口令或恢复码")
        return _second_factor_code(code)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="原密码", strip=False, widget=forms.PasswordInput, error_messages={"required": "请填写原密码"}
    )
    new_password = forms.CharField(
        label="新密码", strip=False, widget=forms.PasswordInput, error_messages={"required": "请填写新密码"}
    )
    new_password2 = forms.CharField(
        label="确认新密码",
        strip=False,
        widget=forms.PasswordInput,
        error_messages={"required": "请再次填写新密码"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("new_password")
            and data.get("new_password2")
            and data["new_password"] != data["new_password2"]
        ):
            self.add_error("new_password2", "两次填写的新密码不一致")
        return data


VALIDITY_CHOICES = [("", "永不过期"), ("30", "30 天"), ("90", "90 天"), ("180", "180 天"), ("365", "一年")]


class TokenForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100, error_messages={"required": "请填写令牌名称"})
    valid_days = forms.TypedChoiceField(
        label="有效期", choices=VALIDITY_CHOICES, coerce=int, empty_value=None, required=False
    )

    def expires_at(self) -> dt.datetime | None:
        days = self.cleaned_data.get("valid_days")
        return timezone.now() + dt.timedelta(days=days) if days else None


class UserCreateForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150, error_messages={"required": "请填写用户名"})
    full_name = forms.CharField(label="姓名", max_length=50, error_messages={"required": "请填写姓名"})
    title = forms.CharField(label="职务", max_length=50, required=False)
    mobile = forms.CharField(label="手机号", max_length=20, required=False)
    unit = forms.ModelChoiceField(label="所属单位", queryset=Unit.objects.none(), required=False)
    enterprise_code = forms.CharField(
        label="所属企业（统一社会信用代码）",
        max_length=18,
        required=False,
        help_text="企业用户填写，单位人员留空",
    )
    password = forms.CharField(
        label="初始密码",
        strip=False,
        widget=forms.PasswordInput,
        error_messages={"required": "请填写初始密码"},
    )
    password2 = forms.CharField(
        label="确认密码",
        strip=False,
        widget=forms.PasswordInput,
        error_messages={"required": "请再次填写密码"},
    )
    must_change_password = forms.BooleanField(label="首次登录须修改密码", required=False, initial=True)

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        root = actor.scope_unit
        units = (
            Unit.objects.filter(path__startswith=root.path).order_by("path") if root else Unit.objects.none()
        )
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        unit_field.queryset = units
        unit_field.empty_label = "（企业用户不选）"
        self.enterprise: Any = None

    def clean_enterprise_code(self) -> str:
        from qinqing.enterprises.models import Enterprise

        code = str(self.cleaned_data.get("enterprise_code") or "").strip().upper()
        if code:
            self.enterprise = Enterprise.objects.visible_to(self.actor).filter(credit_code=code).first()
            if self.enterprise is None:
                raise ValidationError("本辖区内没有该统一社会信用代码的企业")
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", "两次填写的密码不一致")
        return data


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label="角色", choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class UserFilterForm(forms.Form):
    q = forms.CharField(label="用户名或姓名", required=False)
    role = forms.ChoiceField(label="角色", choices=[("", "全部角色"), *Role.choices], required=False)
    active = forms.ChoiceField(
        label="状态", choices=[("", "全部"), ("1", "启用"), ("0", "停用")], required=False
    )
