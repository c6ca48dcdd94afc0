"""Forms of the demand pages (the workflow actions are parsed in views.action_params)."""

from __future__ import annotations

from typing import Any

from django import forms

from qinqing.demands.filters import HIDE_CHOICES
from qinqing.demands.models import (
    DESCRIPTION_MAX,
    Category,
    Channel,
    DemandSettings,
    DemandType,
    SlaPolicy,
    Urgency,
)
from qinqing.enterprises.models import Enterprise


def category_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Second-level categories grouped under their parent; a parent without children is itself a choice."""
    rows = list(Category.objects.filter(is_active=True).select_related("parent").order_by("ordering", "id"))
    groups: list[tuple[str, list[tuple[int, str]]]] = []
    for parent in [r for r in rows if r.parent_id is None]:
        children = [(c.pk, c.name) for c in rows if c.parent_id == parent.pk]
        groups.append((parent.name, children or [(parent.pk, parent.name)]))
    return groups


class SubmitForm(forms.Form):
    credit_code = forms.CharField(
        label="企业统一社会信用代码", max_length=18, required=False, help_text="代企业登记时填写"
    )
    channel = forms.ChoiceField(
        label="来源渠道", choices=Channel.choices, initial=Channel.VISIT, required=False
    )
    demand_type = forms.ChoiceField(label="诉求类型", choices=DemandType.choices)
    category = forms.TypedChoiceField(label="诉求分类", coerce=int)
    urgency = forms.ChoiceField(label="紧急程度", choices=Urgency.choices, initial=Urgency.NORMAL)
    title = forms.CharField(label="标题", max_length=100)
    description = forms.CharField(
        label="诉求内容",
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": DESCRIPTION_MAX}),
        help_text=f"请说明遇到的问题、涉及的部门和期望的解决方式（不超过{DESCRIPTION_MAX}字）",
    )
    contact_name = forms.CharField(label="联系人", max_length=50)
    contact_phone = forms.CharField(label="联系电话", max_length=20)
    hide_below_tier = forms.ChoiceField(label="身份保护", choices=HIDE_CHOICES, required=False)

    def __init__(self, *args: Any, staff: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "请选择"), *category_choices()]  # type: ignore[attr-defined]
        self.staff = staff
        if not staff:
            del self.fields["credit_code"]
            del self.fields["channel"]

    def clean_credit_code(self) -> str:
        code = (self.cleaned_data.get("credit_code") or "").strip().upper()
        if self.staff and not code:
            raise forms.ValidationError("请填写企业统一社会信用代码")
        return code

    def category_obj(self) -> Category | None:
        return Category.objects.filter(pk=self.cleaned_data.get("category") or 0).first()

    def enterprise_for(self, user: Any) -> Enterprise | None:
        code = self.cleaned_data.get("credit_code")
        if not code:
            return None
        return Enterprise.objects.visible_to(user).filter(credit_code=code).first()


class CategoryForm(forms.ModelForm[Category]):
    class Meta:
        model = Category
        fields = ["name", "parent", "help_text", "ordering", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Category.objects.filter(parent__isnull=True)  # type: ignore[attr-defined]


class SlaForm(forms.ModelForm[SlaPolicy]):
    class Meta:
        model = SlaPolicy
        fields = ["accept_days", "sign_days", "return_days", "handle_days", "max_handle_days"]


class SettingsForm(forms.ModelForm[DemandSettings]):
    webhook_url = forms.URLField(label="状态回传地址（12345）", required=False, assume_scheme="https")

    class Meta:
        model = DemandSettings
        fields = ["warn_share", "red_overdue_days", "rating_window_days", "webhook_url", "webhook_secret"]
        widgets = {"webhook_secret": forms.PasswordInput(render_value=True)}
