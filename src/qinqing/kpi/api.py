"""API of the budget targets and operations: projects with their live evaluation (read-only), the metric
catalogue, incidents and maintenance requests (ops.manage). Thin: reads via scoring, writes via services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qinqing.core.api import error_responses
from qinqing.core.metrics import all_metrics
from qinqing.core.permissions import HasCapability
from qinqing.kpi import scoring, services
from qinqing.kpi.models import BudgetProject, Incident, MaintenanceRequest

ERRORS = error_responses(400, 403, 404)


class BudgetProjectSerializer(serializers.ModelSerializer[BudgetProject]):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    execution_rate = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = BudgetProject
        fields = [
            "id", "code", "year", "unit", "unit_name", "name", "funds_total_wan", "funds_fiscal_wan",
            "funds_other_wan", "goal", "executed_wan", "execution_rate", "version",
        ]  # fmt: skip


class IndicatorEvaluationSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="indicator.pk")
    level1 = serializers.CharField(source="indicator.level1")
    level2 = serializers.CharField(source="indicator.level2")
    name = serializers.CharField(source="indicator.name")
    target_text = serializers.CharField(source="indicator.target_text")
    operator = serializers.CharField(source="indicator.operator")
    target_value = serializers.DecimalField(
        source="indicator.target_value", max_digits=14, decimal_places=4, allow_null=True
    )
    value_unit = serializers.CharField(source="indicator.value_unit")
    source = serializers.CharField(source="indicator.source")  # type: ignore[assignment]
    metric = serializers.CharField(source="indicator.metric")
    available = serializers.BooleanField(source="actual.available")
    unavailable_reason = serializers.CharField(source="actual.reason")
    actual = serializers.DecimalField(source="actual.value", max_digits=18, decimal_places=4, allow_null=True)
    drilldown = serializers.CharField(source="actual.drilldown")
    projected = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    light = serializers.CharField()
    met = serializers.BooleanField(allow_null=True)
    points = serializers.DecimalField(source="indicator.points", max_digits=14, decimal_places=2)
    score = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    deviation = serializers.CharField(source="indicator.deviation")


class BudgetEvaluationSerializer(serializers.Serializer[Any]):
    project = BudgetProjectSerializer()
    period_start = serializers.DateField(source="period.start", allow_null=True)
    period_end = serializers.DateField(source="period.end", allow_null=True)
    rows = IndicatorEvaluationSerializer(many=True)
    execution_score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    points_total = serializers.DecimalField(max_digits=8, decimal_places=2)
    score_total = serializers.DecimalField(max_digits=8, decimal_places=2)
    grade = serializers.CharField()
    complete = serializers.BooleanField()


@extend_schema_view(
    list=extend_schema(responses={200: BudgetProjectSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: BudgetEvaluationSerializer, **ERRORS}),
)
@extend_schema(tags=["kpi"])
class ProjectViewSet(viewsets.ReadOnlyModelViewSet[BudgetProject]):
    """Budget projects (预算项目) of the caller's units; one project answers its live evaluation: each
    indicator's target, actual to date, projection to year end, light and self-evaluation score."""

    permission_classes = [HasCapability("kpi.view")]
    serializer_class = BudgetProjectSerializer
    filterset_fields = ["year"]

    def get_queryset(self) -> QuerySet[BudgetProject]:
        return BudgetProject.objects.visible_to(self.request.user).select_related("unit", "unit__parent")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = self.get_object()
        return Response(BudgetEvaluationSerializer(scoring.evaluate(project)).data)


class PlatformMetricSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    unit = serializers.CharField()
    definition = serializers.CharField()
    available = serializers.BooleanField()
    unavailable_reason = serializers.CharField()


@extend_schema(tags=["kpi"], responses={200: PlatformMetricSerializer(many=True), **ERRORS})
class MetricListView(APIView):
    """The platform metrics (qinqing.core.metrics): registered ones, and those declared unavailable."""

    permission_classes = [HasCapability("kpi.view")]

    def get(self, request: Request) -> Response:
        return Response(PlatformMetricSerializer(all_metrics(), many=True).data)


def _save(func: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "message_dict") else {"__all__": exc.messages}
        raise exceptions.ValidationError(detail) from exc


def _plausible(value: Any) -> Any:
    """An incident or request time within 2000–2100: earlier years render with the local mean time offset
    of Asia/Shanghai (+08:05:43), which is no RFC 3339 date-time (the documented format)."""
    if value is not None and not 2000 <= value.year <= 2100:
        raise serializers.ValidationError("时间应在 2000—2100 年之间")
    return value


class IncidentRecordSerializer(serializers.ModelSerializer[Incident]):
    validate_started_at = staticmethod(_plausible)
    validate_ended_at = staticmethod(_plausible)

    class Meta:
        model = Incident
        fields = [
            "id",
            "system",
            "started_at",
            "ended_at",
            "detected_by",
            "probe_check",
            "affected",
            "cause",
            "fix",
            "version",
        ]
        read_only_fields = ["probe_check", "version"]


class MaintenanceRequestSerializer(serializers.ModelSerializer[MaintenanceRequest]):
    validate_raised_at = staticmethod(_plausible)
    validate_first_response_at = staticmethod(_plausible)
    validate_resolved_at = staticmethod(_plausible)

    class Meta:
        model = MaintenanceRequest
        fields = [
            "id", "system", "title", "description", "raised_at", "raised_by_name", "first_response_at",
            "resolved_at", "resolution", "version",
        ]  # fmt: skip
        read_only_fields = ["version"]


@extend_schema_view(
    list=extend_schema(responses={200: IncidentRecordSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: IncidentRecordSerializer, **ERRORS}),
    create=extend_schema(responses={201: IncidentRecordSerializer, **ERRORS}),
)
@extend_schema(tags=["kpi"])
class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Incident],
):
    """故障记录 (platform-wide; ops.manage)."""

    permission_classes = [HasCapability("ops.manage")]
    serializer_class = IncidentRecordSerializer
    queryset = Incident.objects.all()
    filterset_fields = ["system", "detected_by"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = _save(services.record_incident, self.request.user, **serializer.validated_data)


@extend_schema_view(
    list=extend_schema(responses={200: MaintenanceRequestSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: MaintenanceRequestSerializer, **ERRORS}),
    create=extend_schema(responses={201: MaintenanceRequestSerializer, **ERRORS}),
)
@extend_schema(tags=["kpi"])
class RequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[MaintenanceRequest],
):
    """运维请求 (platform-wide; ops.manage)."""

    permission_classes = [HasCapability("ops.manage")]
    serializer_class = MaintenanceRequestSerializer
    queryset = MaintenanceRequest.objects.all()
    filterset_fields = ["system"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = _save(services.record_request, self.request.user, **serializer.validated_data)
