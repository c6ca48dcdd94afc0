"""Forms of the chambers pages (the services check everything again)."""

from __future__ import annotations

from typing import Any

from django import forms

from qinqing.chambers import rules
from qinqing.chambers.models import Organisation, ReviewSettings, YearTarget
from qinqing.chambers.services import PROFILE_FIELDS
from qinqing.orgs.models import Unit

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class Styled:
    """Bootstrap classes on every widget (the templates render ``{{ field }}``)."""

    fields: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()

    def style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            if css not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class OpenAccountForm(Styled, forms.Form):
    kind = forms.ChoiceField(label="组织类型", choices=rules.OrgKind.choices)
    name = forms.CharField(label="名称", max_length=100)
    place_of_origin = forms.CharField(label="原籍地（异地商会必填）", max_length=50, required=False)
    area = forms.ModelChoiceField(label="登记地区", queryset=Unit.objects.none())
    username = forms.CharField(label="账号用户名", max_length=150)
    password = forms.CharField(label="初始密码", min_length=8, widget=forms.PasswordInput)

    def __init__(self, *args: Any, areas: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if areas is not None:
            self.fields["area"].queryset = areas


class ProfileForm(Styled, forms.ModelForm[Organisation]):
    class Meta:
        model = Organisation
        fields = list(PROFILE_FIELDS)
        widgets = {
            "founded_on": DATE,
            "charter": forms.Textarea(attrs={"rows": 3}),
            "tasks_scope": forms.Textarea(attrs={"rows": 3}),
            "investment_tasks": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chamber_only = {
            "place_of_origin",
            "credit_code",
            "founded_on",
            "premises_owned",
            "capital_wan",
            "charter",
        }
        office_only = {"sending_body", "tasks_scope", "reporting_line", "admin_rank", "staffing", "head_name"}
        kind = self.instance.kind if self.instance else ""
        drop = (
            office_only | {"investment_tasks"}
            if kind == rules.OrgKind.CHAMBER
            else chamber_only - {"credit_code"}
        )
        if kind == rules.OrgKind.OFFICE:
            drop |= {"investment_tasks"}
        for name in drop:
            self.fields.pop(name, None)

    def _post_clean(self) -> None:  # the service validates the model (and the one-chamber rule)
        pass


class OfficersForm(Styled, forms.Form):
    lines = forms.CharField(
        label="负责人（每行一位：职务，姓名，手机，任期起，任期止）",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="例：会长，张三，13800001111，2026-01-01，2030-12-31",
    )

    def officers(self) -> list[dict[str, str]]:
        rows = []
        for line in self.cleaned_data["lines"].splitlines():
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if not any(parts):
                continue
            parts += [""] * (5 - len(parts))
            rows.append(
                dict(zip(("position", "name", "mobile", "term_start", "term_end"), parts[:5], strict=True))
            )
        return rows


class UploadForm(Styled, forms.Form):
    item = forms.ChoiceField(label="材料")
    file = forms.FileField(label="文件")

    def __init__(self, *args: Any, items: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = items or []


class ImportForm(Styled, forms.Form):
    file = forms.FileField(label="会员名册（.xlsx 或 .csv）")


class CampaignForm(Styled, forms.Form):
    area = forms.ModelChoiceField(label="地区", queryset=Unit.objects.none())
    year = forms.IntegerField(label="检查年度", min_value=2000, max_value=2100)
    deadline = forms.DateField(label="报送截止日期（默认次年3月31日）", required=False, widget=DATE)

    def __init__(self, *args: Any, areas: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if areas is not None:
            self.fields["area"].queryset = areas


class ReportForm(Styled, forms.Form):
    declared = forms.BooleanField(
        label="本组织承诺：所报内容真实、准确、完整，并承担相应责任。", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in rules.REPORT_SECTIONS:
            self.fields[key] = forms.CharField(
                label=label, required=False, widget=forms.Textarea(attrs={"rows": 3})
            )
        for key, label in rules.FINANCE_FIELDS:
            self.fields[key] = forms.DecimalField(
                label=label, required=False, max_digits=14, decimal_places=2
            )
        self.order_fields(
            [k for k, _ in rules.REPORT_SECTIONS] + [k for k, _ in rules.FINANCE_FIELDS] + ["declared"]
        )
        self.style()


class TargetForm(Styled, forms.ModelForm[YearTarget]):
    class Meta:
        model = YearTarget
        fields = [
            "inspections",
            "revocations",
            "changes",
            "registrations",
            "certificates",
            "error_rate_max",
            "ontime_rate_min",
            "complaints_max",
        ]


class ComplaintForm(Styled, forms.Form):
    received_on = forms.DateField(label="收到日期", widget=DATE)
    summary = forms.CharField(label="投诉内容摘要", max_length=300)


class SettingsForm(Styled, forms.ModelForm[ReviewSettings]):
    class Meta:
        model = ReviewSettings
        fields = [
            "registration_days",
            "change_days",
            "deregistration_days",
            "remind_days",
            "rectification_days",
        ]


class VerifyForm(Styled, forms.Form):
    serial = forms.CharField(label="证书编号", max_length=20)


NEW_OFFICER_ROWS = 3


def officer_changes(post: Any, current: list[Any]) -> list[dict[str, Any]]:
    """The officer operations of the change application form: per current officer ``officer_<id>_op``
    (replace or remove; a replacement's blank inputs keep the current values) and up to
    NEW_OFFICER_ROWS rows ``new_<n>_…`` to add. The service checks everything."""
    from qinqing.chambers.officers import FIELDS, as_dict

    ops: list[dict[str, Any]] = []
    for officer in current:
        op = post.get(f"officer_{officer.pk}_op", "")
        if op == "remove":
            ops.append({"op": "remove", "id": officer.pk})
        elif op == "replace":
            was = as_dict(officer)
            data = {f: (post.get(f"officer_{officer.pk}_{f}", "").strip() or was[f]) for f in FIELDS}
            ops.append({"op": "replace", "id": officer.pk, "officer": data})
        elif op:
            ops.append({"op": op, "id": officer.pk})  # refused by the service with its message
    for n in range(1, NEW_OFFICER_ROWS + 1):
        data = {f: post.get(f"new_{n}_{f}", "").strip() for f in FIELDS}
        if any(data.values()):
            ops.append({"op": "add", "officer": data})
    return ops
