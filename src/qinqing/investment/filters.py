"""Project and funds filters, shared by the pages and the API (each filter has an index)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from qinqing.investment.models import (
    ChainRole,
    Construction,
    FundsEntry,
    IndustryChain,
    IndustryCluster,
    InvestorType,
    MonthlyReport,
    Project,
    ReportStatus,
    SizeBand,
    Source,
    Stage,
)
from qinqing.orgs.models import Unit


def _units(request: Any) -> QuerySet[Unit]:
    user = getattr(request, "user", None)
    scope = getattr(user, "scope_unit", None)
    if scope is None:
        return Unit.objects.none()
    return Unit.objects.subtree(scope).exclude(kind="department").exclude(kind="township")


# A year is a whole number a date can hold (year=0 or 2026.5 would fail deep in the ORM: 400 instead).
YEAR: dict[str, int] = {"min_value": 1900, "max_value": 2200, "decimal_places": 0}


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="关键词", help_text="项目名称、编号或投资主体")
    # no join behind it, so no DISTINCT (the default adds one over every column of a 50k-row list)
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices, label="阶段", distinct=False)
    unit = django_filters.ModelChoiceFilter(queryset=_units, method="filter_unit", label="单位（含下级）")
    cluster = django_filters.ModelChoiceFilter(queryset=IndustryCluster.objects.all(), label="产业集群")
    chain = django_filters.ModelChoiceFilter(queryset=IndustryChain.objects.all(), label="产业链")
    chain_role = django_filters.ChoiceFilter(choices=ChainRole.choices, label="链上定位")
    source = django_filters.ChoiceFilter(choices=Source.choices, label="来源")
    investor_type = django_filters.ChoiceFilter(choices=InvestorType.choices, label="投资主体类型")
    size_band = django_filters.TypedChoiceFilter(choices=SizeBand.choices, coerce=int, label="规模")
    construction = django_filters.ChoiceFilter(choices=Construction.choices, label="新建/续建")
    signed_year = django_filters.NumberFilter(
        field_name="first_signed_on", lookup_expr="year", label="首次签约年度", **YEAR
    )

    class Meta:
        model = Project
        fields = [
            "q",
            "stage",
            "unit",
            "cluster",
            "chain",
            "source",
            "investor_type",
            "size_band",
            "construction",
        ]

    def filter_q(self, queryset: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__contains=value) | Q(number=value) | Q(investor_name__contains=value))

    def filter_unit(self, queryset: QuerySet[Project], name: str, value: Unit | None) -> QuerySet[Project]:
        if value is None:
            return queryset
        return queryset.filter(location_unit__in=Unit.objects.subtree(value).values("pk"))


class FundsFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project_id")
    month = django_filters.DateFilter(field_name="month")
    year = django_filters.NumberFilter(field_name="month", lookup_expr="year", **YEAR)
    unit = django_filters.ModelChoiceFilter(queryset=_units, method="filter_unit", label="单位（含下级）")

    class Meta:
        model = FundsEntry
        fields = ["project", "month", "year", "unit"]

    def filter_unit(
        self, queryset: QuerySet[FundsEntry], name: str, value: Unit | None
    ) -> QuerySet[FundsEntry]:
        if value is None:
            return queryset
        return queryset.filter(unit__in=Unit.objects.subtree(value).values("pk"))


class ReportFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)
    month = django_filters.DateFilter(field_name="month")
    year = django_filters.NumberFilter(field_name="month", lookup_expr="year", **YEAR)

    class Meta:
        model = MonthlyReport
        fields = ["status", "month", "year", "unit"]
