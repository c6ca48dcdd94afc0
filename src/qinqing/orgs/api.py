from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets

from qinqing.orgs.models import Unit, UnitKind


class UnitSerializer(serializers.ModelSerializer[Unit]):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    tier_display = serializers.CharField(source="get_tier_display", read_only=True)
    depth = serializers.IntegerField(read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "name",
            "short_name",
            "kind",
            "kind_display",
            "division_code",
            "parent",
            "tier",
            "tier_display",
            "depth",
            "coordinates_parent",
            "is_active",
            "ordering",
        ]


class UnitFilter(django_filters.FilterSet):
    parent = django_filters.ModelChoiceFilter(queryset=Unit.objects.all())
    kind = django_filters.MultipleChoiceFilter(choices=UnitKind.choices)
    within = django_filters.ModelChoiceFilter(
        queryset=Unit.objects.all(), method="filter_within", label="该单位及其下级"
    )
    root = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull")

    class Meta:
        model = Unit
        fields = ["parent", "kind", "is_active", "division_code"]

    def filter_within(self, queryset: object, name: str, value: Unit) -> object:
        return queryset.subtree(value) if value else queryset  # type: ignore[attr-defined]


@extend_schema(tags=["orgs"])
class UnitViewSet(viewsets.ReadOnlyModelViewSet[Unit]):
    """The org tree: units in tree order (``path``). Master data, readable by every signed-in user."""

    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    queryset = Unit.objects.all().order_by("path")
