"""The enterprise list filters, shared by the page, the export and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from qinqing.core.scoping import subtree_unit_ids
from qinqing.enterprises import creditcode
from qinqing.enterprises.industries import SECTION_CHOICES
from qinqing.enterprises.models import Contact, Enterprise, EnterpriseStatus, Ownership, Scale
from qinqing.enterprises.queries import scope_units
from qinqing.orgs.models import Unit

# The query parameters the filter understands (the export records the ones in use).
FILTER_PARAMS = ("q", "industry_section", "scale", "ownership", "status", "unit")


def _units_in_scope(request: Any) -> QuerySet[Unit]:
    return scope_units(getattr(request, "user", None))


class EnterpriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_keyword", label="关键词", help_text="企业名称或统一社会信用代码"
    )
    industry_section = django_filters.ChoiceFilter(
        choices=SECTION_CHOICES, label="行业门类", empty_label="全部门类"
    )
    scale = django_filters.ChoiceFilter(choices=Scale.choices, label="企业规模", empty_label="全部规模")
    ownership = django_filters.ChoiceFilter(
        choices=Ownership.choices, label="所有制", empty_label="全部所有制"
    )
    status = django_filters.ChoiceFilter(
        choices=EnterpriseStatus.choices, label="状态", empty_label="全部状态"
    )
    unit = django_filters.ModelChoiceFilter(
        queryset=_units_in_scope, method="filter_unit", label="属地单位（含下级）", empty_label="全部单位"
    )

    class Meta:
        model = Enterprise
        fields = ["q", "industry_section", "scale", "ownership", "status", "unit"]

    def filter_keyword(self, queryset: QuerySet[Enterprise], name: str, value: str) -> QuerySet[Enterprise]:
        text = value.strip()
        if not text:
            return queryset
        condition = Q(name__icontains=text)
        code = creditcode.normalize(text)
        if code:
            condition |= Q(credit_code__contains=code)
        return queryset.filter(condition)

    def filter_unit(
        self, queryset: QuerySet[Enterprise], name: str, value: Unit | None
    ) -> QuerySet[Enterprise]:
        if value is None:
            return queryset
        return queryset.filter(registered_unit__in=subtree_unit_ids(value))


class ContactFilter(django_filters.FilterSet):
    enterprise = django_filters.NumberFilter(field_name="enterprise_id", label="企业")
    is_primary = django_filters.BooleanFilter(label="主要联系人")

    class Meta:
        model = Contact
        fields = ["enterprise", "is_primary"]


def active_filters(data: Any) -> dict[str, str]:
    """The non-empty filter parameters of DATA (a QueryDict or dict), for the export's audit row."""
    out: dict[str, str] = {}
    for key in FILTER_PARAMS:
        value = data.get(key) if hasattr(data, "get") else None
        if value not in (None, ""):
            out[key] = str(value)
    return out
