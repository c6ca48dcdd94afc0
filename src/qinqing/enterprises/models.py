"""Enterprises (企业) and their contacts."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.db import models

from qinqing.core.scoping import Scope, ScopedQuerySet
from qinqing.enterprises import creditcode
from qinqing.enterprises.industries import DIVISION_CHOICES, SECTION_CHOICES, section_of


class Scale(models.TextChoices):
    LARGE = "large", "大型"
    MEDIUM = "medium", "中型"
    SMALL = "small", "小型"
    MICRO = "micro", "微型"


class Ownership(models.TextChoices):
    STATE = "state", "国有"
    PRIVATE = "private", "民营"
    FOREIGN = "foreign", "外资"
    HMT = "hmt", "港澳台"
    OTHER = "other", "其他"


class EnterpriseStatus(models.TextChoices):
    OPERATING = "operating", "存续"
    SUSPENDED = "suspended", "停业"
    CANCELLED = "cancelled", "注销"


def mask_mobile(value: str) -> str:
    """138****1234 — applied on the server, in pages, API and exports."""
    digits = value.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def normalize_mobile(raw: str) -> str:
    """Full-width digits to half-width; drop spaces, hyphens and a leading +86 / 86."""
    text = "".join(unicodedata.normalize("NFKC", raw or "").split()).replace("-", "")
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text


class EnterpriseQuerySet(ScopedQuerySet["Enterprise"]):
    pass


class Enterprise(models.Model):
    name = models.CharField("企业名称", max_length=200, db_index=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True)
    industry_section = models.CharField("行业门类", max_length=1, choices=SECTION_CHOICES, db_index=True)
    industry_division = models.CharField("行业大类", max_length=2, choices=DIVISION_CHOICES, blank=True)
    scale = models.CharField("企业规模", max_length=10, choices=Scale.choices, db_index=True)
    ownership = models.CharField("所有制", max_length=10, choices=Ownership.choices, db_index=True)
    registered_unit = models.ForeignKey(
        "orgs.Unit", verbose_name="属地单位", on_delete=models.PROTECT, related_name="enterprises"
    )
    address = models.CharField("地址", max_length=200, blank=True)
    status = models.CharField(
        "状态",
        max_length=10,
        choices=EnterpriseStatus.choices,
        default=EnterpriseStatus.OPERATING,
        db_index=True,
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope = Scope(unit="registered_unit", enterprise="pk")
    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["name"]
        # the list's unit + status filter, and the dashboard's count of a unit's operating enterprises
        # (包联 coverage), answered from the index alone
        indexes = [models.Index(fields=["registered_unit", "status"], name="enterprise_unit_status")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        result = creditcode.check(self.credit_code)
        if result.ok:
            self.credit_code = result.code
        else:
            errors["credit_code"] = result.error or ""
        if self.industry_division and section_of(self.industry_division) != self.industry_section:
            errors["industry_division"] = (
                f"行业大类 {self.industry_division} 不属于门类 {self.industry_section}"
            )
        if errors:
            raise ValidationError(errors)


class ContactQuerySet(ScopedQuerySet["Contact"]):
    pass


class Contact(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField("姓名", max_length=50)
    title = models.CharField("职务", max_length=50, blank=True)
    mobile = models.CharField("手机", max_length=20, blank=True)
    is_primary = models.BooleanField("主要联系人", default=False)

    scope = Scope(unit="enterprise__registered_unit", enterprise="enterprise")
    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = "联系人"
        verbose_name_plural = "联系人"
        ordering = ["-is_primary", "id"]
        constraints = [
            # At most one primary contact per enterprise; the partial index also serves the list page's
            # prefetch of primary contacts.
            models.UniqueConstraint(
                fields=["enterprise"], condition=models.Q(is_primary=True), name="contact_one_primary"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)

    def clean(self) -> None:
        if self.mobile and not (
            self.mobile.isdigit() and len(self.mobile) == 11 and self.mobile.startswith("1")
        ):
            raise ValidationError({"mobile": "手机号应为以1开头的11位数字"})
