"""Forms of the liaison pages; every choice starts from visible_to."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.demands.models import Category, Demand, DemandType, Status
from qinqing.enterprises.models import Enterprise
from qinqing.investment.models import Project
from qinqing.liaison.models import LEVEL_CHOICES, EscalationMode, MeetingKind, VisitForm
from qinqing.liaison.services import SIGNED_STAGES
from qinqing.orgs.models import Unit

DATE = forms.DateInput(attrs={"type": "date"})
MAX_PROBLEM_ROWS = 5


def leaders_of(user: Any) -> Any:
    return (
        User.objects.visible_to(user)
        .filter(is_active=True, role_rows__role=Role.LEADER, unit__tier__in=[1, 2, 3])
        .select_related("unit")
        .order_by("unit__path", "username")
        .distinct()
    )


def staff_of(user: Any) -> Any:
    return (
        User.objects.visible_to(user)
        .filter(is_active=True, unit__isnull=False)
        .order_by("unit__path", "username")
    )


class AssignmentForm(forms.Form):
    leader = forms.ModelChoiceField(queryset=User.objects.none(), label="包联领导")
    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label="包联企业", required=False)
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(), label="包联项目（已签约）", required=False
    )
    start_date = forms.DateField(label="开始日期", widget=DATE)
    end_date = forms.DateField(label="结束日期", required=False, widget=DATE)
    commissioner = forms.ModelChoiceField(queryset=User.objects.none(), label="服务专员", required=False)
    task_force = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), label="专班成员", required=False
    )
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders_of(user)  # type: ignore[attr-defined]
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).order_by("name")  # type: ignore[attr-defined]
        self.fields["project"].queryset = (  # type: ignore[attr-defined]
            Project.objects.visible_to(user).filter(stage__in=SIGNED_STAGES).order_by("-signed_on", "name")
        )
        self.fields["commissioner"].queryset = staff_of(user)  # type: ignore[attr-defined]
        self.fields["task_force"].queryset = staff_of(user)  # type: ignore[attr-defined]


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 或 CSV 文件")


class EndForm(forms.Form):
    end_date = forms.DateField(label="结束日期", widget=DATE)


class VisitFormForm(forms.Form):
    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label="走访企业")
    visited_on = forms.DateField(label="走访日期", widget=DATE)
    form = forms.ChoiceField(choices=VisitForm.choices, label="走访形式")
    topics = forms.CharField(label="走访主题", max_length=200)
    situation = forms.CharField(
        label="企业生产经营情况", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    companions = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), label="陪同人员", required=False
    )
    companions_text = forms.CharField(label="其他陪同人员", max_length=200, required=False)
    contact_name = forms.CharField(label="企业联系人（默认主要联系人）", max_length=50, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=20, required=False)
    leader = forms.ModelChoiceField(
        queryset=User.objects.none(), label="走访领导（代录时选择）", required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).order_by("name")  # type: ignore[attr-defined]
        self.fields["companions"].queryset = staff_of(user)  # type: ignore[attr-defined]
        if user.can("liaison.assign"):
            self.fields["leader"].queryset = leaders_of(user)  # type: ignore[attr-defined]
        else:
            del self.fields["leader"]


def category_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    groups: dict[int, tuple[str, list[tuple[int, str]]]] = {}
    for c in Category.objects.filter(is_active=True).select_related("parent").order_by("ordering", "id"):
        if c.parent_id is None:
            groups.setdefault(c.pk, (c.name, []))
    for c in Category.objects.filter(is_active=True, parent__isnull=False).order_by("ordering", "id"):
        if c.parent_id in groups:
            groups[c.parent_id][1].append((c.pk, c.name))
    return [(name, children or [(pk, name)]) for pk, (name, children) in groups.items()]


class ProblemForm(forms.Form):
    title = forms.CharField(label="问题", max_length=100, required=False)
    description = forms.CharField(label="问题描述", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    category = forms.TypedChoiceField(label="诉求分类", coerce=int, required=False, empty_value=None)
    demand_type = forms.ChoiceField(label="诉求类型", choices=DemandType.choices, initial=DemandType.HELP)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "请选择分类"), *category_choices()]  # type: ignore[attr-defined]

    @property
    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not (data.get("title") or data.get("description"))


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("escalate", "提级"), ("dismiss", "不予提级")], label="决定")
    note = forms.CharField(label="意见", max_length=300, required=False)


class DifficultForm(forms.Form):
    reason = forms.CharField(label="疑难原因", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(choices=MeetingKind.choices, label="会议类型")
    title = forms.CharField(label="会议名称", max_length=200)
    held_on = forms.DateField(label="召开日期", widget=DATE)
    location = forms.CharField(label="地点", max_length=200, required=False)
    chair = forms.CharField(label="主持人", max_length=50, required=False)
    units_present = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.none(), label="参会单位", required=False
    )
    demands = forms.ModelMultipleChoiceField(
        queryset=Demand.objects.none(), label="研究的诉求", required=False
    )
    decisions = forms.CharField(label="会议议定事项", widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = user.scope_unit
        self.fields["units_present"].queryset = (  # type: ignore[attr-defined]
            Unit.objects.active().subtree(area).order_by("path") if area else Unit.objects.none()
        )
        self.fields["demands"].queryset = (  # type: ignore[attr-defined]
            Demand.objects.visible_to(user)
            .filter(status__in=[Status.ACCEPTED, Status.DISPATCHED, Status.HANDLING, Status.SUSPENDED])
            .filter(Q(escalation_count__gt=0) | Q(coordinating_unit_id=user.unit_id))
            .order_by("-created_at")[:500]
        )


class FollowUpForm(forms.Form):
    demand = forms.ModelChoiceField(queryset=Demand.objects.none(), label="诉求", required=False)
    action = forms.CharField(label="落实事项", max_length=500, required=False)
    lead_unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label="责任单位（交办）", required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["demand"].queryset = Demand.objects.visible_to(user)  # type: ignore[attr-defined]
        area = user.scope_unit
        self.fields["lead_unit"].queryset = (  # type: ignore[attr-defined]
            Unit.objects.active().subtree(area).order_by("path") if area else Unit.objects.none()
        )


class LiaisonRuleForm(forms.Form):
    level = forms.TypedChoiceField(choices=LEVEL_CHOICES, coerce=int, label="层级")
    min_enterprises = forms.IntegerField(label="最少包联企业数", min_value=0, max_value=100)
    visit_interval_months = forms.IntegerField(label="走访频次（每几个月一次）", min_value=1, max_value=12)


class EscalationRuleForm(forms.Form):
    level = forms.TypedChoiceField(choices=LEVEL_CHOICES, coerce=int, label="承办层级")
    overdue_days = forms.IntegerField(label="超期超过（工作日）", min_value=1, max_value=60)
    redo_count = forms.IntegerField(label="重办次数达到", min_value=1, max_value=10)
    on_difficult = forms.BooleanField(label="标记疑难即提级", required=False)
    mode = forms.ChoiceField(choices=EscalationMode.choices, label="方式")
