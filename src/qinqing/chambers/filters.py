"""FilterSets shared by the list pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from qinqing.chambers import rules
from qinqing.chambers.models import AnnualReport, Application, Certificate, Organisation


class OrganisationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label="类型", choices=rules.OrgKind.choices)
    status = django_filters.ChoiceFilter(label="状态", choices=rules.OrgStatus.choices)
    place_of_origin = django_filters.CharFilter(label="原籍地", lookup_expr="exact")
    q = django_filters.CharFilter(label="名称", method="filter_q")
    year = django_filters.NumberFilter(label="登记年度", field_name="registered_on", lookup_expr="year")
    conclusion = django_filters.ChoiceFilter(
        label="年检结论", choices=rules.Conclusion.choices, method="filter_conclusion"
    )
    inspection_year = django_filters.NumberFilter(label="年检年度", method="filter_noop")

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
        year = self.data.get("inspection_year")
        if year and str(year).isdigit():
            reports = reports.filter(campaign__year=int(year))
        return qs.filter(pk__in=reports.values("organisation_id"))


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=rules.AppStatus.choices)
    kind = django_filters.ChoiceFilter(choices=rules.AppKind.choices)
    organisation = django_filters.NumberFilter()

    class Meta:
        model = Application
        fields = ["status", "kind", "organisation"]


class CertificateFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter()
    status = django_filters.ChoiceFilter(choices=rules.CertStatus.choices)
    organisation = django_filters.NumberFilter()

    class Meta:
        model = Certificate
        fields = ["year", "status", "organisation"]


class ReportFilter(django_filters.FilterSet):
    campaign = django_filters.NumberFilter()
    status = django_filters.ChoiceFilter(choices=rules.ReportStatus.choices)
    conclusion = django_filters.ChoiceFilter(choices=rules.Conclusion.choices)
    year = django_filters.NumberFilter(field_name="campaign__year")

    class Meta:
        model = AnnualReport
        fields = ["campaign", "status", "conclusion", "year"]
