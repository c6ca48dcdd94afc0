"""REST API: systems (JSON exchange format), rounds, values (entry, review, override, evidence), scores, reports."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from qinqing.accounts.reauth import reauth_required
from qinqing.core.api import Conflict as CoreConflict
from qinqing.core.api import error_responses, int_param
from qinqing.core.permissions import HasCapability
from qinqing.evaluation import queries, reports, scoring, services, trees
from qinqing.evaluation.models import Evidence, IndicatorSystem, Round, Value, ValueStatus

ERRORS = error_responses(400, 403, 404, 409, conflict=services.STALE_MESSAGE)


class Conflict(CoreConflict):
    default_detail = services.STALE_MESSAGE


def _call(func: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except services.StaleError as exc:
        raise Conflict() from exc
    except scoring.InvalidSystem as exc:
        raise exceptions.ValidationError({"system": exc.errors}) from exc


def _id(request: Request, name: str) -> int:
    """The query parameter NAME as a whole number, or 400 (core's int_param, but ASCII digits only: "²"
    passes str.isdigit() and then fails in int())."""
    if not str(request.query_params.get(name, "")).strip().isascii():
        raise exceptions.ValidationError({name: ["须为整数编号"]})
    return int_param(request, name)


# --- systems ----------------------------------------------------------------------------------------
class SystemSerializer(serializers.ModelSerializer[IndicatorSystem]):
    frozen = serializers.BooleanField(read_only=True)

    class Meta:
        model = IndicatorSystem
        fields = ["id", "code", "name", "year", "missing", "note", "frozen", "version"]


class SystemImportSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    system = serializers.JSONField(help_text="the JSON exchange format (docs/evaluation.md)")


class SystemViewSet(viewsets.ReadOnlyModelViewSet[IndicatorSystem]):
    """Indicator systems; ``export`` answers the JSON exchange format, ``import`` creates one from it."""

    serializer_class = SystemSerializer
    permission_classes = [HasCapability("evaluation.view")]
    queryset = IndicatorSystem.objects.all()

    @extend_schema(responses={200: OpenApiTypes.OBJECT, **ERRORS})
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> Response:
        return Response(trees.export_system(self.get_object()))

    @extend_schema(request=SystemImportSerializer, responses={201: SystemSerializer, **ERRORS})
    @action(detail=False, methods=["post"], url_path="import", url_name="import", parser_classes=[JSONParser])
    def import_(self, request: Request) -> Response:
        data = SystemImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        system = _call(
            services.import_system,
            request.user,
            data.validated_data["system"],
            year=data.validated_data.get("year"),
        )
        return Response(SystemSerializer(system).data, status=status.HTTP_201_CREATED)


# --- rounds and scores ------------------------------------------------------------------------------
class RoundSerializer(serializers.ModelSerializer[Round]):
    units: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Round
        fields = [
            "id",
            "name",
            "year",
            "system",
            "owner_unit",
            "units",
            "starts_on",
            "ends_on",
            "status",
            "previous",
        ]


class RankSerializer(serializers.Serializer[Any]):
    unit = serializers.IntegerField(source="unit.pk")
    unit_name = serializers.CharField(source="unit.name")
    score = serializers.DecimalField(max_digits=30, decimal_places=10, allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    change = serializers.DecimalField(max_digits=30, decimal_places=10, allow_null=True)


class ScoresSerializer(serializers.Serializer[Any]):
    indicator = serializers.CharField()
    comparable = serializers.BooleanField(allow_null=True)
    notice = serializers.CharField()
    rows = RankSerializer(many=True)


class RoundViewSet(viewsets.ReadOnlyModelViewSet[Round]):
    serializer_class = RoundSerializer
    permission_classes = [HasCapability("evaluation.view")]

    def get_queryset(self) -> QuerySet[Round]:
        return Round.objects.visible_to(self.request.user).prefetch_related("units")

    @extend_schema(
        parameters=[OpenApiParameter("indicator", str, description="node code (default: the root)")],
        responses={200: ScoresSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def scores(self, request: Request, pk: str) -> Response:
        """Ranking of the round's units at one node (same score, same rank)."""
        r = queries.ranking(self.get_object(), request.query_params.get("indicator"))
        return Response(
            ScoresSerializer(
                {"indicator": r.node.code, "comparable": r.comparable, "notice": r.notice, "rows": r.rows}
            ).data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("unit", int, required=True),
            OpenApiParameter("format", str, enum=["pdf", "docx"]),
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="report")
    @reauth_required("下载评估报告")
    def report(self, request: Request, pk: str) -> HttpResponse:
        """A unit's report (or the summary when ``unit`` is 0)."""
        rnd = self.get_object()
        fmt = request.query_params.get("format", "pdf")
        if fmt not in ("pdf", "docx"):
            raise exceptions.ValidationError({"format": ["应为 pdf 或 docx"]})
        unit_id = _id(request, "unit")
        if unit_id == 0:
            data = reports.summary_report(request.user, rnd, fmt)
        else:
            unit = get_object_or_404(rnd.units.all(), pk=unit_id)
            data = reports.unit_report(request.user, rnd, unit, fmt)
        kind = (
            "application/pdf"
            if fmt == "pdf"
            else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        return HttpResponse(data, content_type=kind)

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT, **ERRORS})
    @action(detail=True, methods=["post"])
    def fill(self, request: Request, pk: str) -> Response:
        """Fill the platform-metric leaves from live data."""
        return Response(_call(services.fill_live, request.user, self.get_object()))


# --- values -----------------------------------------------------------------------------------------
class EvidenceSerializer(serializers.ModelSerializer[Evidence]):
    class Meta:
        model = Evidence
        fields = ["id", "name", "note", "uploaded_at"]


class ValueSerializer(serializers.ModelSerializer[Value]):
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = Value
        fields = [
            "id",
            "round",
            "unit",
            "indicator",
            "indicator_code",
            "value",
            "status",
            "origin",
            "metric",
            "missing_reason",
            "override_reason",
            "source_document",
            "note",
            "review_comment",
            "version",
            "evidence",
        ]
        read_only_fields = fields


class EnterSerializer(serializers.Serializer[Any]):
    value = serializers.DecimalField(max_digits=20, decimal_places=6, allow_null=True)
    version = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True)
    source_document = serializers.CharField(required=False, allow_blank=True, max_length=200)
    submit = serializers.BooleanField(default=False)


class ValueTransitionSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=["submit", "accept", "return"])
    version = serializers.IntegerField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class OverrideSerializer(serializers.Serializer[Any]):
    value = serializers.DecimalField(max_digits=20, decimal_places=6, allow_null=True)
    reason = serializers.CharField()
    version = serializers.IntegerField()


class EvidenceUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ValueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Value]):
    """Values of the rounds the user sees; filter with ``?round=&unit=&indicator=&status=``."""

    serializer_class = ValueSerializer
    permission_classes = [HasCapability("evaluation.view")]

    def get_queryset(self) -> QuerySet[Value]:
        qs = (
            Value.objects.visible_to(self.request.user)
            .select_related("indicator")
            .prefetch_related("evidence")
        )
        # ids are checked here (?round=null or ?unit=1e3 would fail in the ORM: 400 instead of 500)
        for key in ("round", "unit", "indicator"):
            if self.request.query_params.get(key):
                qs = qs.filter(**{key: _id(self.request, key)})
        status_ = self.request.query_params.get("status")
        if status_:
            if status_ not in ValueStatus.values:
                raise exceptions.ValidationError({"status": ["应为 " + "、".join(ValueStatus.values)]})
            qs = qs.filter(status=status_)
        return qs.order_by("pk")

    @extend_schema(
        parameters=[
            *(OpenApiParameter(k, int) for k in ("round", "unit", "indicator")),
            OpenApiParameter("status", str, enum=ValueStatus.values),
        ],
        responses={200: ValueSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=EnterSerializer, responses={200: ValueSerializer, **ERRORS})
    def partial_update(self, request: Request, pk: str) -> Response:
        v = self.get_object()
        data = EnterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        entry = services.Entry(v.pk, d["version"], d["value"], d.get("note"), d.get("source_document"))
        _call(services.enter_values, request.user, v.round, [entry], submit=d["submit"])
        return Response(ValueSerializer(self.get_queryset().get(pk=v.pk)).data)

    @extend_schema(request=ValueTransitionSerializer, responses={200: ValueSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        v = self.get_object()
        data = ValueTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        _call(
            services.transition,
            request.user,
            v.round,
            [v.pk],
            d["action"],
            comment=d["comment"],
            versions={v.pk: d["version"]},
        )
        return Response(ValueSerializer(self.get_queryset().get(pk=v.pk)).data)

    @extend_schema(request=OverrideSerializer, responses={200: ValueSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def override(self, request: Request, pk: str) -> Response:
        v = self.get_object()
        data = OverrideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        _call(
            services.override_value,
            request.user,
            v,
            d["value"],
            reason=d["reason"],
            expected_version=d["version"],
        )
        return Response(ValueSerializer(self.get_queryset().get(pk=v.pk)).data)

    @extend_schema(
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def evidence(self, request: Request, pk: str) -> Response:
        v = self.get_object()
        data = EvidenceUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = _call(
            services.add_evidence,
            request.user,
            v,
            data.validated_data["file"],
            note=data.validated_data["note"],
        )
        return Response(EvidenceSerializer(row).data, status=status.HTTP_201_CREATED)
