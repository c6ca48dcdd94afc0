"""REST API for every analysis figure on the dashboard, top terms, similar demands, merge, reports."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qinqing.analysis import queries, services
from qinqing.analysis.forms import PeriodForm
from qinqing.analysis.models import AnalysisReport
from qinqing.analysis.similarity import find_similar
from qinqing.core.api import error_responses, int_param
from qinqing.core.permissions import HasCapability
from qinqing.demands.models import Category, Demand
from qinqing.orgs.models import Unit

ERRORS = error_responses(400, 403, 404)
PERIOD_PARAMS = [
    OpenApiParameter("unit", OpenApiTypes.INT, description="单位（含下级），默认本人数据范围"),
    OpenApiParameter("start", OpenApiTypes.DATE, description="开始日期，默认今年1月1日"),
    OpenApiParameter("end", OpenApiTypes.DATE, description="结束日期，默认今天"),
]


def period(request: Request) -> tuple[Unit, Any, Any]:
    form = PeriodForm(request.query_params, user=request.user)
    if not form.is_valid():
        raise exceptions.ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
    c = form.cleaned_data
    return c["unit"], c["start"], c["end"]


class SliceSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
    previous = serializers.IntegerField(help_text="上一同长期间的件数")
    change_pct = serializers.FloatField(allow_null=True, help_text="环比（%）")
    share_pct = serializers.FloatField(help_text="占比（%）")
    closed = serializers.IntegerField()
    overdue = serializers.IntegerField()


class DashboardView(APIView):
    permission_classes = [IsAuthenticated, HasCapability("analysis.view")]

    @extend_schema(
        summary="领导驾驶舱（全部图表数据）",
        parameters=PERIOD_PARAMS,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
        description="与诉求统计（/api/v1/demand-stats/）同一口径；另含分类、行业、规模、所有制、渠道、"
        "堵点集中、热点词、超期诉求、包联覆盖和走访。",
    )
    def get(self, request: Request) -> Response:
        unit, start, end = period(request)
        return Response(queries.dashboard(request.user, unit, start, end).as_json())


class BreakdownView(APIView):
    permission_classes = [IsAuthenticated, HasCapability("analysis.view")]

    @extend_schema(
        summary="诉求分布（按维度，含环比）",
        parameters=[
            *PERIOD_PARAMS,
            OpenApiParameter("dimension", OpenApiTypes.STR, enum=list(queries.DIMENSION_KEYS), required=True),
        ],
        responses={200: SliceSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        unit, start, end = period(request)
        dimension = request.query_params.get("dimension", "")
        if dimension not in queries.DIMENSION_KEYS:
            raise exceptions.ValidationError(
                {"dimension": [f"维度应为 {'、'.join(queries.DIMENSION_KEYS)} 之一"]}
            )
        slices = queries.breakdown(request.user, unit, start, end, dimension)
        return Response([s.as_json() for s in slices])


class TermSerializer(serializers.Serializer):
    term = serializers.CharField()
    count = serializers.IntegerField()
    previous = serializers.IntegerField()
    trend = serializers.CharField()


class TopTermsView(APIView):
    permission_classes = [IsAuthenticated, HasCapability("analysis.view")]

    @extend_schema(
        summary="热点词（含上期件数与趋势）",
        parameters=[
            *PERIOD_PARAMS,
            OpenApiParameter("category", OpenApiTypes.INT, description="诉求分类（一级或二级）"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="条数，默认20，最多100"),
        ],
        responses={200: TermSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        unit, start, end = period(request)
        category = None
        if request.query_params.get("category"):
            category = Category.objects.filter(pk=int_param(request, "category")).first()
            if category is None:
                raise exceptions.ValidationError({"category": ["没有该分类"]})
        try:
            limit = min(max(int(request.query_params.get("limit", 20)), 1), 100)
        except ValueError:
            raise exceptions.ValidationError({"limit": ["应为整数"]}) from None
        trends = queries.top_terms(request.user, unit, start, end, category=category, limit=limit)
        return Response(
            [{"term": t.term, "count": t.count, "previous": t.previous, "trend": t.arrow} for t in trends]
        )


class SimilarSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    same_enterprise = serializers.BooleanField()
    status = serializers.CharField()
    score = serializers.FloatField(help_text="相似度 0–1，≥ 0.35 列出")


class SimilarView(APIView):
    permission_classes = [IsAuthenticated, HasCapability("analysis.view")]

    @extend_schema(
        summary="可能重复的诉求（90日内）", responses={200: SimilarSerializer(many=True), **ERRORS}
    )
    def get(self, request: Request, pk: int) -> Response:
        demand = Demand.objects.visible_to(request.user).filter(pk=pk).first()
        if demand is None:
            raise exceptions.NotFound("未找到，或无权访问")
        return Response(
            [
                {
                    "id": d.pk,
                    "number": d.number,
                    "title": d.title,
                    "same_enterprise": d.enterprise_id == demand.enterprise_id,
                    "status": d.status,
                    "score": s,
                }
                for d, s in find_similar(demand, request.user)
            ]
        )


class MergeSerializer(serializers.Serializer):
    demand = serializers.IntegerField(help_text="待受理的重复诉求")
    original = serializers.IntegerField(help_text="原诉求")


class MergeView(APIView):
    permission_classes = [IsAuthenticated, HasCapability("analysis.merge")]

    @extend_schema(
        summary="合并为重复诉求（不予受理：重复诉求）",
        request=MergeSerializer,
        responses={201: OpenApiTypes.OBJECT, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        s = MergeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        link = services.merge_duplicate(
            request.user, s.validated_data["demand"], s.validated_data["original"]
        )
        return Response(
            {"demand": link.demand_id, "original": link.original_id, "score": link.score}, status=201
        )


class RepeatedView(APIView):
    permission_classes = [IsAuthenticated, HasCapability("analysis.view")]

    @extend_schema(
        summary="重复诉求与未办结较多的企业",
        parameters=PERIOD_PARAMS,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        unit, start, end = period(request)
        rows = queries.repeated_problems(request.user, unit, start, end)[:500]
        return Response(
            {
                "repeated": [
                    {
                        "id": d.pk,
                        "number": d.number,
                        "enterprise": d.enterprise.name,
                        "category": str(d.category),
                        "title": d.title,
                        "created_at": d.created_at.isoformat(),
                    }
                    for d in rows
                ],
                "enterprises_with_open_demands": queries.enterprises_with_open_demands(request.user, unit),
            }
        )


class ReportSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    pdf_url = serializers.SerializerMethodField()
    docx_url = serializers.SerializerMethodField()

    class Meta:
        model = AnalysisReport
        fields = ["id", "unit", "unit_name", "month", "generated_at", "summary", "pdf_url", "docx_url"]

    def get_pdf_url(self, obj: AnalysisReport) -> str:
        from django.urls import reverse

        return reverse("analysis:report-file", args=[obj.pk, "pdf"])

    def get_docx_url(self, obj: AnalysisReport) -> str:
        from django.urls import reverse

        return reverse("analysis:report-file", args=[obj.pk, "docx"])


class ReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[AnalysisReport]
):
    """营商环境诉求分析月报（生成：页面或 qinqing monthly_report）."""

    serializer_class = ReportSerializer
    permission_classes = [IsAuthenticated, HasCapability("analysis.view")]

    def get_queryset(self) -> Any:
        return (
            AnalysisReport.objects.visible_to(self.request.user)
            .select_related("unit")
            .order_by("-month", "unit__path")
        )
