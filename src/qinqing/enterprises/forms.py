from __future__ import annotations

from typing import Any

from django import forms

from qinqing.enterprises import creditcode
from qinqing.enterprises.models import Contact, Enterprise, normalize_mobile
from qinqing.enterprises.queries import registrable_units

MAX_IMPORT_BYTES = 10 * 1024 * 1024


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{'　' * max(obj.depth - 1, 0)}{obj.name}"


class EnterpriseForm(forms.ModelForm[Enterprise]):
    # Wider than the model field: users paste codes with spaces or full-width characters.
    credit_code = forms.CharField(
        label="统一社会信用代码", max_length=40, help_text="18位，可含空格，自动转为大写"
    )

    class Meta:
        model = Enterprise
        fields = [
            "name",
            "credit_code",
            "legal_representative",
            "industry_section",
            "industry_division",
            "scale",
            "ownership",
            "registered_unit",
            "address",
            "status",
        ]
        field_classes = {"registered_unit": UnitChoiceField}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["registered_unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = registrable_units(user)
        for name, f in self.fields.items():
            css = "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            f.widget.attrs.setdefault("class", css)
            f.widget.attrs.setdefault("id", f"id_{name}")

    def clean_credit_code(self) -> str:
        result = creditcode.check(self.cleaned_data.get("credit_code", ""))
        if not result.ok:
            raise forms.ValidationError(f"统一社会信用代码{result.error}")
        return result.code

    def _post_clean(self) -> None:
        """The service validates and saves; the form only parses (no instance mutation, no unique check)."""

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ContactForm(forms.ModelForm[Contact]):
    class Meta:
        model = Contact
        fields = ["name", "title", "mobile", "is_primary"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Never send the stored number back to the browser.
            self.fields["mobile"].help_text = f"当前：{self.instance.masked_mobile or '未填写'}；留空则不修改"
            self.initial["mobile"] = ""
        for f in self.fields.values():
            if isinstance(f.widget, forms.CheckboxInput):
                f.widget.attrs.setdefault("class", "form-check-input")
            else:
                f.widget.attrs.setdefault("class", "form-control")

    def clean_mobile(self) -> str:
        mobile = normalize_mobile(self.cleaned_data.get("mobile", ""))
        if mobile and not (mobile.isdigit() and len(mobile) == 11 and mobile.startswith("1")):
            raise forms.ValidationError("手机号应为以1开头的11位数字")
        return mobile

    def _post_clean(self) -> None:
        """The service validates and saves."""

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if self.instance.pk and not data["mobile"]:
            data.pop("mobile")
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label="导入文件",
        help_text="Excel（.xlsx）或 CSV（UTF-8 或 GBK 编码），第 1 行为表头",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError("仅支持 .xlsx 或 .csv 文件")
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("文件不能超过 10 MB")
        return upload
