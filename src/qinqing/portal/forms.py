"""Staff forms: content entries (common fields + the kind's own fields into ``data``), inquiries, editions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms

from qinqing.enterprises.industries import DIVISIONS, SECTIONS
from qinqing.orgs.models import Unit, UnitKind
from qinqing.portal.models import (
    ContentKind,
    EnterpriseScale,
    Entry,
    PolicyType,
    PortalSettings,
    ProfileSection,
    ProjectType,
    PublicationKind,
)

# kind -> the data fields its form shows
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    ContentKind.PROFILE: ("section", "costs"),
    ContentKind.PARK: ("leading_industries", "land_available_mu", "contacts", "address", "lat", "lng"),
    ContentKind.CLUSTER: ("cluster_id",),
    ContentKind.POLICY: (
        "issuer",
        "doc_number",
        "valid_from",
        "valid_to",
        "policy_types",
        "industries",
        "scales",
        "min_investment_wan",
        "max_investment_wan",
        "min_jobs",
        "locations",
        "project_types",
        "checks",
    ),
    ContentKind.NEWS: ("date",),
    ContentKind.EVENT: ("date", "end_date", "place", "event_kind"),
}

LINES_HELP = "每行一项"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _codes(text: str) -> list[str]:
    out = []
    for raw in (text or "").replace("，", ",").replace("、", ",").split(","):
        code = raw.strip().upper()
        if code:
            if code not in SECTIONS and code not in DIVISIONS:
                raise forms.ValidationError(f"行业代码 {code} 不是 GB/T 4754 的门类或大类")
            out.append(code)
    return out


class EntryForm(forms.ModelForm):
    section = forms.ChoiceField(label="栏目", choices=ProfileSection.choices, required=False)
    costs = forms.CharField(
        label="要素成本",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行：项目|价格|单位|截至日期，如 工业用电|0.39|元/千瓦时|2026-06",
    )
    leading_industries = forms.CharField(label="主导产业", required=False, help_text="用顿号或逗号分隔")
    land_available_mu = forms.DecimalField(label="可供土地（亩）", required=False, min_value=Decimal("0"))
    contacts = forms.CharField(
        label="联系方式",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="每行：联系部门|联系电话（公开的办公电话）",
    )
    address = forms.CharField(label="地址", required=False, max_length=200)
    lat = forms.DecimalField(
        label="纬度", required=False, min_value=Decimal("-90"), max_value=Decimal("90"), decimal_places=6
    )
    lng = forms.DecimalField(
        label="经度", required=False, min_value=Decimal("-180"), max_value=Decimal("180"), decimal_places=6
    )
    cluster_id: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="对应产业集群", queryset=None, required=False
    )
    issuer = forms.CharField(label="发文机关", required=False, max_length=100)
    doc_number = forms.CharField(label="文号", required=False, max_length=60)
    valid_from = forms.DateField(
        label="生效日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label="失效日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    policy_types = forms.MultipleChoiceField(
        label="政策类型", choices=PolicyType.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    industries = forms.CharField(
        label="适用行业（GB/T 4754 代码）", required=False, help_text="如 C 或 32,33；留空为不限"
    )
    scales = forms.MultipleChoiceField(
        label="适用企业规模",
        choices=EnterpriseScale.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    min_investment_wan = forms.DecimalField(
        label="投资额不少于（万元）", required=False, min_value=Decimal("0")
    )
    max_investment_wan = forms.DecimalField(
        label="投资额不超过（万元）", required=False, min_value=Decimal("0")
    )
    min_jobs = forms.IntegerField(label="用工不少于（人）", required=False, min_value=0)
    locations: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label="适用区域", queryset=None, required=False
    )
    project_types = forms.MultipleChoiceField(
        label="适用项目类型", choices=ProjectType.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    checks = forms.CharField(
        label="其他需核实的条件",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=LINES_HELP,
    )
    date = forms.DateField(label="日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(
        label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    place = forms.CharField(label="地点", required=False, max_length=100)
    event_kind = forms.ChoiceField(
        label="活动类型", choices=[("招商活动", "招商活动"), ("展会", "展会")], required=False
    )
    image_file = forms.ImageField(label="图片", required=False)

    class Meta:
        model = Entry
        fields = [
            "title",
            "title_en",
            "summary",
            "summary_en",
            "body",
            "body_en",
            "ordering",
            "publish_at",
            "unpublish_at",
        ]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 8}),
            "body_en": forms.Textarea(attrs={"rows": 4}),
            "publish_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "unpublish_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from qinqing.investment.models import IndustryCluster

        self.kind = kind
        self.fields["cluster_id"].queryset = IndustryCluster.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["locations"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
            kind__in=[UnitKind.COUNTY, UnitKind.PARK], is_active=True
        ).order_by("path")
        for name in {f for fields in KIND_FIELDS.values() for f in fields} - set(KIND_FIELDS[kind]):
            del self.fields[name]
        for field in self.fields.values():
            css = (
                "form-check-input"
                if isinstance(field.widget, forms.CheckboxSelectMultiple)
                else "form-control"
            )
            field.widget.attrs.setdefault("class", css)
        if self.instance.pk:
            data = self.instance.data or {}
            for name in KIND_FIELDS[kind]:
                if name in data and name in self.fields:
                    value = data[name]
                    if name in ("costs", "contacts", "checks") and isinstance(value, list):
                        value = "\n".join(
                            "|".join(map(str, v)) if isinstance(v, list) else str(v) for v in value
                        )
                    if name == "industries" and isinstance(value, list):
                        value = ",".join(value)
                    self.initial[name] = value

    def kind_fields(self) -> list[Any]:
        return [self[name] for name in KIND_FIELDS[self.kind] if name in self.fields]

    def clean_industries(self) -> list[str]:
        return _codes(self.cleaned_data.get("industries") or "")

    def data_dict(self) -> dict[str, Any]:
        c = self.cleaned_data
        data: dict[str, Any] = {}
        for name in KIND_FIELDS[self.kind]:
            value = c.get(name)
            if name in ("costs", "contacts"):
                value = [line.split("|") for line in _lines(value or "")]
            elif name == "checks":
                value = _lines(value or "")
            elif name == "cluster_id":
                value = value.pk if value else None
            elif name == "locations":
                value = [u.pk for u in value] if value else []
            elif isinstance(value, (dt.date, Decimal)):
                value = str(value)
            elif value is None:
                value = ""
            data[name] = value
        if self.kind == ContentKind.POLICY:
            data["rules"] = policy_rules(data)
        if self.kind == ContentKind.CLUSTER and data.get("cluster_id"):
            from qinqing.investment.models import IndustryCluster

            data["cluster_name"] = IndustryCluster.objects.get(pk=data["cluster_id"]).name
        return data


def policy_rules(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The form's tag fields as matching rules (matching.py)."""
    rules: list[dict[str, Any]] = []
    if data.get("industries"):
        rules.append({"field": "industry", "op": "in", "value": data["industries"]})
    if data.get("min_investment_wan"):
        rules.append({"field": "investment_wan", "op": ">=", "value": data["min_investment_wan"]})
    if data.get("max_investment_wan"):
        rules.append({"field": "investment_wan", "op": "<=", "value": data["max_investment_wan"]})
    if data.get("min_jobs"):
        rules.append({"field": "jobs", "op": ">=", "value": str(data["min_jobs"])})
    if data.get("locations"):
        rules.append({"field": "location", "op": "in", "value": data["locations"]})
    if data.get("project_types"):
        rules.append({"field": "project_type", "op": "in", "value": data["project_types"]})
    if data.get("scales"):
        rules.append({"field": "scale", "op": "in", "value": data["scales"]})
    return rules


class CommentForm(forms.Form):
    comment = forms.CharField(
        label="意见", required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReplyForm(forms.Form):
    text = forms.CharField(
        label="答复内容（投资者可见）", max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class LeadForm(forms.Form):
    """The few fields a new 线索 needs beyond what the inquiry says."""

    name = forms.CharField(label="项目名称", max_length=200)
    investor_name = forms.CharField(label="投资主体名称", max_length=200)
    source = forms.ChoiceField(label="资金来源", choices=[])
    investor_type = forms.ChoiceField(label="投资主体类型", choices=[])
    industry_section = forms.ChoiceField(label="行业门类", choices=[])
    location_unit: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label="落地县市/园区", queryset=None)
    planned_investment_wan = forms.DecimalField(
        label="计划总投资（万元）", min_value=Decimal("0"), max_digits=14, decimal_places=2
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from qinqing.enterprises.industries import SECTION_CHOICES
        from qinqing.investment.models import REPORTING_KINDS, InvestorType, Source

        self.fields["source"].choices = Source.choices  # type: ignore[attr-defined]
        self.fields["investor_type"].choices = InvestorType.choices  # type: ignore[attr-defined]
        self.fields["industry_section"].choices = SECTION_CHOICES  # type: ignore[attr-defined]
        scope = user.scope_unit
        self.fields["location_unit"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
            kind__in=REPORTING_KINDS, path__startswith=scope.path if scope else "~"
        ).order_by("path")
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )


class EditionForm(forms.Form):
    kind = forms.ChoiceField(label="出版物", choices=PublicationKind.choices)
    title = forms.CharField(label="书名", max_length=100, required=False, help_text="留空用出版物名称")
    edition = forms.CharField(label="版次", max_length=40, required=False, help_text="如 2026年版")
    pagesize = forms.ChoiceField(label="开本", choices=[("A4", "A4"), ("A5", "A5")])
    edition_date = forms.DateField(label="出版日期", widget=forms.DateInput(attrs={"type": "date"}))
    print_run = forms.IntegerField(label="计划印数（册）", min_value=0, initial=0)
    unit_cost_yuan = forms.DecimalField(
        label="单价（元/册）", required=False, min_value=Decimal("0"), help_text="留空按预算标准"
    )
    cluster: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="项目册：产业集群", queryset=None, required=False
    )
    location: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="项目册：落地区域", queryset=None, required=False
    )
    policy_type = forms.ChoiceField(
        label="政策汇编：政策类型", choices=[("", "全部"), *PolicyType.choices], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from qinqing.investment.models import IndustryCluster

        self.fields["cluster"].queryset = IndustryCluster.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["location"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
            kind__in=[UnitKind.COUNTY, UnitKind.PARK], is_active=True
        ).order_by("path")
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    def service_data(self) -> dict[str, Any]:
        c = dict(self.cleaned_data)
        cluster, location, ptype = c.pop("cluster", None), c.pop("location", None), c.pop("policy_type", "")
        c["selection"] = {
            "cluster": cluster.pk if cluster else "",
            "location": location.pk if location else "",
            "type": ptype or "",
        }
        return c


class PrintedForm(forms.Form):
    printed_on = forms.DateField(
        label="印制完成日期", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    print_run = forms.IntegerField(
        label="实际印数（册）", min_value=1, widget=forms.NumberInput(attrs={"class": "form-control"})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class EditionErrorForm(forms.Form):
    found_on = forms.DateField(
        label="发现日期", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    page = forms.CharField(
        label="页码/位置",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    description = forms.CharField(
        label="差错说明", max_length=300, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    copies_affected = forms.IntegerField(
        label="涉及册数", min_value=1, initial=1, widget=forms.NumberInput(attrs={"class": "form-control"})
    )


class SettingsForm(forms.ModelForm[PortalSettings]):
    base_url = forms.URLField(label="门户对外地址", required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = PortalSettings
        fields = [
            "site_name",
            "site_name_en",
            "base_url",
            "default_unit",
            "answer_days",
            "warn_share",
            "notice_version",
            "notice_text",
            "inquiry_ip_limit",
            "inquiry_phone_limit",
        ]
        widgets = {"notice_text": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_unit"].queryset = Unit.objects.filter(is_active=True).order_by("path")  # type: ignore[attr-defined]
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )
