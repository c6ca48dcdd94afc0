"""REST API for projects, funds, monthly reports, targets and the dashboard figures (thin: services do the work)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qinqing.core.api import Conflict, ErrorSerializer, error_responses, int_param
from qinqing.core.permissions import HasCapability, require
from qinqing.investment import queries, services
from qinqing.investment.filters import FundsFilter, ProjectFilter, ReportFilter
from qinqing.investment.models import (
    ContractType,
    FundsEntry,
    InvestmentSettings,
    MonthlyReport,
    Project,
    ReportLine,
    Stage,
    Target,
)
from qinqing.orgs.models import Unit

ERRORS = error_responses(400, 403, 404, 409)


def _call(func: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except services.StaleError as exc:
        raise Conflict() from exc


# --- projects -----------------------------------------------------------------------------------
class ProjectSerializer(serializers.ModelSerializer[Project]):
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    location_unit_name = serializers.CharField(source="location_unit.name", read_only=True)
    cluster_name = serializers.CharField(source="cluster.name", read_only=True, default="")
    version = serializers.IntegerField(read_only=True)
    # blank until the project is signed: documented so (schemathesis found "" outside the enum)
    contract_type = serializers.ChoiceField(choices=ContractType.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "number",
            "name",
            "investor_enterprise",
            "investor_name",
            "investor_credit_code",
            "investor_origin",
            "source",
            "investor_type",
            "sector",
            "industry_section",
            "industry_division",
            "cluster",
            "cluster_name",
            "chain",
            "chain_role",
            "location_unit",
            "location_unit_name",
            "planned_investment_wan",
            "contract_type",
            "contract_amount_wan",
            "construction",
            "expected_jobs",
            "responsible_leader",
            "responsible_unit",
            "capital_increase_of",
            "increase_amount_wan",
            "is_fiscal_funded",
            "is_second_phase",
            "stage",
            "stage_display",
            "stage_since",
            "first_signed_on",
            "signed_on",
            "started_on",
            "produced_on",
            "terminated_on",
            "termination_reason",
            "size_band",
            "publish_status",
            "summary",
            "version",
        ]
        read_only_fields = [
            "number",
            "contract_type",
            "contract_amount_wan",
            "stage",
            "stage_since",
            "first_signed_on",
            "signed_on",
            "started_on",
            "produced_on",
            "terminated_on",
            "termination_reason",
            "size_band",
            "publish_status",
        ]


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="读取时的版本号")


class StageChangeSerializer(VersionSerializer):
    to_stage = serializers.ChoiceField(choices=[c for c in Stage.choices if c[0] != Stage.LEAD])
    on = serializers.DateField()
    contract_type = serializers.CharField(required=False, allow_blank=True, default="")
    contract_amount_wan = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


@extend_schema_view(
    list=extend_schema(responses={200: ProjectSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: ProjectSerializer, **ERRORS}),
    create=extend_schema(responses={201: ProjectSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: ProjectSerializer, **ERRORS}),
)
@extend_schema(tags=["investment"])
class ProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Project],
):
    """The project library (项目库), scoped to the caller's units. Writes go through the services."""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    permission_classes = [HasCapability("investment.view")]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Project]:
        return Project.objects.visible_to(self.request.user).select_related("location_unit", "cluster")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_project(self.request.user, serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        version = self.request.data.get("version")
        if version is None:
            raise exceptions.ValidationError({"version": ["请提供版本号"]})
        serializer.instance = _call(
            services.update_project,
            self.request.user,
            serializer.instance,
            serializer.validated_data,
            expected_version=int(version),
        )

    @extend_schema(request=StageChangeSerializer, responses={200: ProjectSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def stage(self, request: Request, pk: str) -> Response:
        """Move the project to another stage (rules.TRANSITIONS)."""
        project = self.get_object()
        data = StageChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        project = _call(
            services.change_stage,
            request.user,
            project,
            expected_version=v["version"],
            to_stage=v["to_stage"],
            on=v["on"],
            contract_type=v["contract_type"],
            contract_amount_wan=v.get("contract_amount_wan"),
            reason=v["reason"],
        )
        return Response(ProjectSerializer(project).data)


# --- funds --------------------------------------------------------------------------------------
class FundsSerializer(serializers.ModelSerializer[FundsEntry]):
    version = serializers.IntegerField(read_only=True)
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.none())

    class Meta:
        model = FundsEntry
        fields = [
            "id",
            "project",
            "unit",
            "month",
            "amount_wan",
            "outside_amount_wan",
            "evidence_note",
            "warnings",
            "version",
        ]
        read_only_fields = ["unit", "warnings"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["project"].queryset = Project.objects.visible_to(request.user)  # type: ignore[attr-defined]


@extend_schema_view(
    list=extend_schema(responses={200: FundsSerializer(many=True), **ERRORS}),
    create=extend_schema(responses={201: FundsSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: FundsSerializer, **ERRORS}),
)
@extend_schema(tags=["investment"])
class FundsViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[FundsEntry],
):
    """Monthly funds in place (到位资金, 万元). Cumulative values are derived, never written."""

    serializer_class = FundsSerializer
    filterset_class = FundsFilter
    permission_classes = [HasCapability("investment.view")]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[FundsEntry]:
        return FundsEntry.objects.visible_to(self.request.user).order_by("-month", "project_id")

    def perform_create(self, serializer: Any) -> None:
        v = serializer.validated_data
        serializer.instance = services.record_funds(
            self.request.user,
            v["project"],
            month=v["month"],
            amount_wan=v["amount_wan"],
            outside_amount_wan=v["outside_amount_wan"],
            evidence_note=v.get("evidence_note", ""),
        )

    def perform_update(self, serializer: Any) -> None:
        entry = serializer.instance
        v = serializer.validated_data
        serializer.instance = _call(
            services.update_funds,
            self.request.user,
            entry,
            expected_version=int(self.request.data.get("version", 0)),
            amount_wan=v.get("amount_wan", entry.amount_wan),
            outside_amount_wan=v.get("outside_amount_wan", entry.outside_amount_wan),
            evidence_note=v.get("evidence_note"),
        )


# --- reports ------------------------------------------------------------------------------------
class MonthlyReportLineSerializer(serializers.ModelSerializer[ReportLine]):
    class Meta:
        model = ReportLine
        exclude = ["report"]


class MonthlyReportSerializer(serializers.ModelSerializer[MonthlyReport]):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    is_late = serializers.BooleanField(read_only=True)
    version = serializers.IntegerField(read_only=True)

    class Meta:
        model = MonthlyReport
        fields = [
            "id",
            "unit",
            "unit_name",
            "month",
            "status",
            "status_display",
            "remarks",
            "review_comment",
            "deadline",
            "deadline_provisional",
            "submitted_at",
            "reviewed_at",
            "is_late",
            "version",
        ]


class MonthlyReportDetailSerializer(MonthlyReportSerializer):
    lines = MonthlyReportLineSerializer(many=True, read_only=True)

    class Meta(MonthlyReportSerializer.Meta):
        fields = [*MonthlyReportSerializer.Meta.fields, "lines"]


class PrepareSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="统计月份（任一日期，按月）")
    remarks = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewSerializer(VersionSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema(tags=["investment"])
class ReportViewSet(viewsets.ReadOnlyModelViewSet[MonthlyReport]):
    """Monthly reports (月报): prepare (统计填报员), submit (单位负责人), approve/return/reopen (州级)."""

    filterset_class = ReportFilter
    permission_classes = [HasCapability("investment.view")]

    def get_serializer_class(self) -> Any:
        return MonthlyReportDetailSerializer if self.action == "retrieve" else MonthlyReportSerializer

    def get_queryset(self) -> QuerySet[MonthlyReport]:
        qs = MonthlyReport.objects.visible_to(self.request.user).select_related("unit")
        return qs.prefetch_related("lines") if self.action == "retrieve" else qs

    @extend_schema(request=PrepareSerializer, responses={200: MonthlyReportDetailSerializer, **ERRORS})
    @action(detail=False, methods=["post"])
    def prepare(self, request: Request) -> Response:
        data = PrepareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = services.reporting_unit(request.user)
        if unit is None:
            raise exceptions.PermissionDenied("只有县市区和园区报送招商月报")
        report = services.prepare_report(
            request.user,
            unit=unit,
            month=data.validated_data["month"],
            remarks=data.validated_data["remarks"],
        )
        return Response(MonthlyReportDetailSerializer(report).data)

    def _review(self, request: Request, func: Any, **extra: str) -> Response:
        report = self.get_object()
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kwargs: dict[str, Any] = {"expected_version": data.validated_data["version"]}
        for name, source in extra.items():
            kwargs[name] = data.validated_data[source]
        report = _call(func, request.user, report, **kwargs)
        return Response(MonthlyReportSerializer(report).data)

    @extend_schema(request=ReviewSerializer, responses={200: MonthlyReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._review(request, services.submit_report)

    @extend_schema(request=ReviewSerializer, responses={200: MonthlyReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._review(request, services.approve_report, comment="comment")

    @extend_schema(request=ReviewSerializer, responses={200: MonthlyReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str) -> Response:
        return self._review(request, services.return_report, comment="comment")

    @extend_schema(request=ReviewSerializer, responses={200: MonthlyReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        return self._review(request, services.reopen_report, reason="comment")


# --- targets ------------------------------------------------------------------------------------
class TargetSerializer(serializers.ModelSerializer[Target]):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Target
        fields = ["id", "year", "unit", "unit_name", "indicator", "value"]


class TargetWriteSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    targets = TargetSerializer(many=True)


YEAR = OpenApiParameter("year", int, required=False)
# One row per indicator: do the county/park targets add up to the prefecture's (a list, not an object).
DECOMPOSITION = inline_serializer(
    "TargetDecomposition",
    {
        "indicator": serializers.CharField(),
        "label": serializers.CharField(),
        "total": serializers.FloatField(allow_null=True),
        "parts_sum": serializers.FloatField(allow_null=True),
        "difference": serializers.FloatField(allow_null=True),
        "message": serializers.CharField(),
    },
    many=True,
)
MONTH = OpenApiParameter("month", int, required=False)
UNIT = OpenApiParameter("unit", int, required=False, description="单位（含下级）")


def _period(request: Request) -> tuple[int, int]:
    today = timezone.localdate()
    last = (today.replace(day=1) - dt.timedelta(days=1)) if today.month > 1 else today
    try:
        year = int(request.query_params.get("year", last.year))
        month = int(request.query_params.get("month", last.month if year == last.year else 12))
    except ValueError as exc:
        raise exceptions.ValidationError({"year": ["年度或月份无效"]}) from exc
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise exceptions.ValidationError({"month": ["年度或月份无效"]})
    return year, month


def _scope(request: Request) -> Unit:
    user: Any = request.user
    if user.scope_unit is None:
        raise exceptions.PermissionDenied("无权执行此操作")
    scope: Unit = user.scope_unit
    return scope


def _prefecture(request: Request) -> Unit:
    scope = request.user.scope_unit  # type: ignore[union-attr]
    if scope is None:
        raise exceptions.PermissionDenied("无权执行此操作")
    if scope.kind == "prefecture":
        return scope
    for unit in reversed(list(scope.ancestors())):
        if unit.kind == "prefecture":
            return unit
    raise exceptions.PermissionDenied("无权执行此操作")


@extend_schema(tags=["investment"])
class TargetViewSet(viewsets.ReadOnlyModelViewSet[Target]):
    """Annual targets (年度目标), their decomposition check and progress with lights and scores."""

    serializer_class = TargetSerializer
    permission_classes = [HasCapability("investment.view")]
    filterset_fields = ["year", "unit", "indicator"]

    def get_queryset(self) -> QuerySet[Target]:
        return Target.objects.visible_to(self.request.user).select_related("unit")

    @extend_schema(request=TargetWriteSerializer, responses={200: TargetSerializer(many=True), **ERRORS})
    @action(detail=False, methods=["post"], url_path="set")
    def set_targets(self, request: Request) -> Response:
        data = TargetWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[tuple[int, str], Decimal] = {
            (t["unit"].pk, t["indicator"]): t["value"] for t in data.validated_data["targets"]
        }
        saved = services.set_targets(request.user, year=data.validated_data["year"], values=values)
        return Response(TargetSerializer(saved, many=True).data)

    @extend_schema(parameters=[YEAR, MONTH], responses={200: OpenApiTypes.OBJECT, **ERRORS})
    @action(detail=False, methods=["get"])
    def progress(self, request: Request) -> Response:
        year, month = _period(request)
        pref = _prefecture(request)
        rows = queries.progress(pref, year, month)
        user: Any = request.user
        visible = set(Unit.objects.subtree(user.scope_unit).values_list("pk", flat=True))
        return Response({"year": year, "month": month, "units": [r for r in rows if r["unit_id"] in visible]})

    @extend_schema(parameters=[YEAR], responses={200: DECOMPOSITION, **ERRORS})
    @action(detail=False, methods=["get"], pagination_class=None)  # one plain list, not a page
    def decomposition(self, request: Request) -> Response:
        year, _ = _period(request)
        pref = _prefecture(request)
        return Response([d.__dict__ for d in queries.decomposition(pref, year)])


@extend_schema(
    tags=["investment"], parameters=[YEAR, MONTH, UNIT], responses={200: OpenApiTypes.OBJECT, **ERRORS}
)
class DashboardView(APIView):
    """Every dashboard figure for a year up to a month (万元 unless the key says 亿元 or %)."""

    permission_classes = [HasCapability("investment.view")]

    def get(self, request: Request) -> Response:
        require(request.user, "investment.view")
        year, month = _period(request)
        unit = None
        if request.query_params.get("unit"):
            unit = get_object_or_404(Unit.objects.subtree(_scope(request)), pk=int_param(request, "unit"))
        data = queries.dashboard(request.user, year, month, unit).as_dict()
        # money as exact decimal strings, as in every other endpoint
        return Response(json.loads(json.dumps(data, cls=DjangoJSONEncoder)))


# --- imports ------------------------------------------------------------------------------------
class InvestmentImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=".xlsx 或 .csv，第 1 行为表头（模板见页面“批量导入”）")


class InvestmentImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="表格行号（含表头，表头为第 1 行）")
    field = serializers.CharField(help_text="列名")
    message = serializers.CharField()
    text = serializers.CharField(help_text="第 n 行 字段: 问题")


class InvestmentImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class InvestmentImportErrorSerializer(ErrorSerializer):
    """The error shape plus one entry per row problem."""


# "errors" would shadow Serializer.errors as a class attribute (see qinqing.core.api.ErrorSerializer).
InvestmentImportErrorSerializer._declared_fields = {
    **ErrorSerializer._declared_fields,
    "errors": InvestmentImportRowErrorSerializer(many=True),
}


@extend_schema(
    tags=["investment"],
    summary="批量导入（项目清单 / 月度到位资金）",
    description="kind 为 projects 或 funds。先校验全部行，任何一行有误则不保存并返回逐行错误；"
    "项目按项目编号更新，到位资金按项目编号和月份更新；已报送或已审核锁定月份的行被拒绝。",
    request={"multipart/form-data": InvestmentImportRequestSerializer},
    responses={
        200: InvestmentImportResultSerializer,
        400: OpenApiResponse(InvestmentImportErrorSerializer, description="文件有误，未保存任何数据"),
        403: ERRORS[403],
        404: ERRORS[404],
    },
)
class ImportView(APIView):
    permission_classes = [HasCapability("investment.change")]
    parser_classes = [MultiPartParser]

    def post(self, request: Request, kind: str) -> Response:
        from qinqing.investment.forms import MAX_IMPORT_BYTES

        func = {"projects": services.import_projects, "funds": services.import_funds}.get(kind)
        if func is None:
            raise exceptions.NotFound("未找到")
        upload = InvestmentImportRequestSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        if file.size > MAX_IMPORT_BYTES:
            raise exceptions.ValidationError({"file": ["文件不能超过 10 MB"]})
        result = func(request.user, file.name, file.read())
        if not result.ok:
            return Response(
                {
                    "code": "import_invalid",
                    "detail": f"文件有 {len(result.errors)} 处问题，未保存任何数据",
                    "fields": {"file": [str(e) for e in result.errors]},
                    "errors": [e.as_dict() for e in result.errors],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(result.counts())


# --- counting rules -----------------------------------------------------------------------------
class SettingsSerializer(serializers.ModelSerializer[InvestmentSettings]):
    class Meta:
        model = InvestmentSettings
        fields = [
            "count_first_signing_only",
            "count_increase_only",
            "exclude_local_investors",
            "exclude_fiscal_funded",
            "exclude_second_phase",
            "new_signing_industrial_min_wan",
            "new_signing_other_min_wan",
            "report_deadline_working_days",
            "light_yellow_points",
            "light_red_points",
            "stall_days",
            "score_full_marks",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


@extend_schema(tags=["investment"])
class SettingsView(APIView):
    """Counting rules and thresholds (统计口径, docs/metrics.md). Read: investment.view; change: 州（市）级."""

    permission_classes = [HasCapability("investment.view")]

    @extend_schema(responses={200: SettingsSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(SettingsSerializer(InvestmentSettings.current()).data)

    @extend_schema(request=SettingsSerializer, responses={200: SettingsSerializer, **ERRORS})
    def patch(self, request: Request) -> Response:
        data = SettingsSerializer(InvestmentSettings.current(), data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        saved = services.update_settings(request.user, data.validated_data)
        return Response(SettingsSerializer(saved).data)
