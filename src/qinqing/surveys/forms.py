from __future__ import annotations

from typing import Any

from django import forms

from qinqing.orgs.models import Unit, UnitKind
from qinqing.surveys import schema
from qinqing.surveys.models import STRATA_FIELDS, Audience, Questionnaire


class QuestionnaireForm(forms.Form):
    title = forms.CharField(label="问卷名称", max_length=200)


class ImportForm(forms.Form):
    file = forms.FileField(label="问卷 JSON 文件")


class SectionForm(forms.Form):
    title = forms.CharField(label="部分标题", max_length=100)
    cond_question = forms.CharField(label="显示条件：题号", required=False, max_length=40)
    cond_op = forms.ChoiceField(
        label="条件",
        required=False,
        choices=[
            ("", "—"),
            ("eq", "等于"),
            ("ne", "不等于"),
            ("in", "属于"),
            ("lte", "≤"),
            ("gte", "≥"),
            ("answered", "已作答"),
        ],
    )
    cond_value = forms.CharField(label="值（多个用逗号分隔）", required=False, max_length=200)


class QuestionForm(SectionForm):
    title = None  # type: ignore[assignment]
    section = forms.CharField(widget=forms.HiddenInput)
    type = forms.ChoiceField(label="题型", choices=list(schema.TYPES.items()))
    text = forms.CharField(label="题目", max_length=300)
    required = forms.BooleanField(label="必答", required=False)
    options = forms.CharField(
        label="选项（每行一个，可写 值=文字）", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    items = forms.CharField(
        label="矩阵分项（每行：文字|维度|权重）", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    randomize = forms.BooleanField(label="选项随机排序", required=False)
    dimension = forms.CharField(label="维度代码", required=False, max_length=40)
    weight = forms.DecimalField(label="权重", required=False, min_value=0, max_digits=6, decimal_places=2)
    min = forms.DecimalField(label="最小值/最少选", required=False, max_digits=12, decimal_places=2)
    max = forms.DecimalField(label="最大值/最多选", required=False, max_digits=12, decimal_places=2)
    max_length = forms.IntegerField(label="最多字数", required=False, min_value=1)
    expect = forms.IntegerField(label="注意力检测期望答案（1–5）", required=False, min_value=1, max_value=5)

    def question(self) -> dict[str, Any]:
        from qinqing.surveys.builder import parse_options

        c = self.cleaned_data
        q: dict[str, Any] = {"type": c["type"], "text": c["text"], "required": c["required"]}
        if c["type"] in schema.CHOICE_TYPES:
            q["options"] = parse_options(c["options"] or "")
            q["randomize"] = c["randomize"]
        if c["type"] == "matrix":
            items = []
            for line in (c["items"] or "").splitlines():
                if not line.strip():
                    continue
                text, _, rest = line.partition("|")
                dim, _, weight = rest.partition("|")
                items.append({"text": text.strip(), "dimension": dim.strip(), "weight": float(weight or 1)})
            q["items"] = items
        if c["type"] == "scale5":
            q["dimension"] = c["dimension"] or ""
            q["weight"] = float(c["weight"] if c["weight"] is not None else 1)
        for key in ("min", "max"):
            if c[key] is not None:
                q[key] = float(c[key])
        if c["max_length"]:
            q["max_length"] = c["max_length"]
        if c["type"] == "attention":
            q["expect"] = c["expect"]
        if c.get("cond_question") and c.get("cond_op"):
            q["condition"] = condition_of(c)
        return q


def condition_of(c: dict[str, Any]) -> dict[str, Any] | None:
    if not (c.get("cond_question") and c.get("cond_op")):
        return None
    raw = [v.strip() for v in (c.get("cond_value") or "").split(",") if v.strip()]
    value: Any = raw if c["cond_op"] in ("in", "not_in") else (raw[0] if raw else None)
    if c["cond_op"] in ("lte", "gte") and value is not None:
        value = float(value)
    return {"question": c["cond_question"].strip(), "op": c["cond_op"], "value": value}


class SurveyForm(forms.Form):
    title = forms.CharField(label="调查名称", max_length=200)
    questionnaire = forms.ModelChoiceField(label="问卷版本", queryset=Questionnaire.objects.none())
    units = forms.ModelMultipleChoiceField(
        label="调查单位", queryset=Unit.objects.none(), widget=forms.SelectMultiple(attrs={"size": 12})
    )
    starts_on = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="结束日期", widget=forms.DateInput(attrs={"type": "date"}))
    audience = forms.ChoiceField(label="调查对象", choices=Audience.choices)
    anonymous = forms.BooleanField(label="匿名调查", required=False, initial=True)
    notice = forms.CharField(
        label="告知书（实名调查）", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    notice_version = forms.CharField(label="告知书版本", max_length=20, initial="v1")
    allow_invitation = forms.BooleanField(label="邀请链接", required=False, initial=True)
    allow_open_link = forms.BooleanField(label="公开链接/二维码", required=False)
    allow_interview = forms.BooleanField(label="调查员录入", required=False, initial=True)
    strata_fields = forms.MultipleChoiceField(
        label="分析分层",
        required=False,
        choices=list(STRATA_FIELDS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    min_cell = forms.IntegerField(label="最小单元格 k", min_value=1, initial=5)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        questionnaire: Any = self.fields["questionnaire"]
        questionnaire.queryset = Questionnaire.objects.visible_to(user).filter(status="published")
        units: Any = self.fields["units"]
        kinds = [UnitKind.COUNTY, UnitKind.PARK, UnitKind.DEPARTMENT]
        units.queryset = Unit.objects.subtree(user.scope_unit).filter(kind__in=kinds).order_by("path")


class SampleForm(forms.Form):
    default_size = forms.IntegerField(label="每层样本量", min_value=0, initial=10)
    seed = forms.IntegerField(label="随机种子（留空自动生成并记录）", required=False, min_value=0)
    quota = forms.IntegerField(label="每层配额（留空不限）", required=False, min_value=0)


class QuotaForm(forms.Form):
    unit = forms.IntegerField(widget=forms.HiddenInput)
    stratum = forms.CharField(required=False, widget=forms.HiddenInput)
    target = forms.IntegerField(label="配额", min_value=0)
