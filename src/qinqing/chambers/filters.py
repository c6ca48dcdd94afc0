"""FilterSets shared by the list pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from qinqing.chambers import rules
from qinqing.chambers.models import AnnualReport, Application, Certificate, Organisation

# A year is a whole number a date can hold (year=0.0, 2026.5 or 10**20 would fail deep in the ORM: 400 instead).
YEAR: dict[str, int] = {"min_value": 1900, "max_value": 2200, "decimal_places": 0}
# An id is a whole positive number (?organisation=1.5 or 10**30 would reach the ORM unchecked).
ID: dict[str, int] = {"min_value": 1, "max_value": 2**63 - 1, "decimal_places": 0}


class OrganisationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label="类型", choices=rules.OrgKind.choices)
    status = django_filters.ChoiceFilter(label="状态", choices=rules.OrgStatus.choices)
    place_of_origin = django_filters.CharFilter(label="原籍地", lookup_expr="exact")
    q = django_filters.CharFilter(label="名称", method="filter_q")
    year = django_filters.NumberFilter(
        label="登记年度", field_name="registered_on", lookup_expr="year", **YEAR
    )
    conclusion = django_filters.ChoiceFilter(
        label="年检结论", choices=rules.Conclusion.choices, method="filter_conclusion"
    )
    inspection_year = django_filters.NumberFilter(label="年检年度", method="filter_noop", **YEAR)

    class Meta:
        model = Organisation
        fields = ["kind", "status", "place_of_origin"]

    def filter_q(self, qs: QuerySet[Organisation], name: str, value: str) -> QuerySet[Organisation]:
        return qs.filter(Q(name__contains=value) | Q(registration_number=value)) if value else qs

    def filter_noop(self, qs: QuerySet[Organisation], name: str, value: Any) -> QuerySet[Organisation]:
        return qs

    def filter_conclusion(self, qs: QuerySet[Organisation], name: str, value: str) -> QuerySet[Organisation]:
        """Organisations concluded VALUE in the inspection year given (or in any year)."""
        if not value:
            return qs
        reports = AnnualReport.objects.filter(conclusion=value)
        year = self.form.cleaned_data.get("inspection_year")
        if year is not None:
            reports = reports.filter(campaign__year=int(year))
        return qs.filter(pk__in=reports.values("organisation_id"))


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=rules.AppStatus.choices)
    kind = django_filters.ChoiceFilter(choices=rules.AppKind.choices)
    organisation = django_filters.NumberFilter(**ID)

    class Meta:
        model = Application
        fields = ["status", "kind", "organisation"]


class CertificateFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(**YEAR)
    status = django_filters.ChoiceFilter(choices=rules.CertStatus.choices)
    organisation = django_filters.NumberFilter(**ID)

    class Meta:
        model = Certificate
        fields = ["year", "status", "organisation"]


class ReportFilter(django_filters.FilterSet):
    campaign = django_filters.NumberFilter(**ID)
    status = django_filters.ChoiceFilter(choices=rules.ReportStatus.choices)
    conclusion = django_filters.ChoiceFilter(choices=rules.Conclusion.choices)
    year = django_filters.NumberFilter(field_name="campaign__year", **YEAR)

    class Meta:
        model = AnnualReport
        fields = ["campaign", "status", "conclusion", "year"]
