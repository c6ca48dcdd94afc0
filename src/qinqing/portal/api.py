"""Staff API of the portal under /api/v1/portal/: the bureau's figures and the inquiries (phones masked)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qinqing.core.api import ErrorSerializer
from qinqing.core.permissions import HasCapability
from qinqing.enterprises.models import mask_mobile
from qinqing.portal import queries
from qinqing.portal.models import Inquiry, InquiryStatus

TAG = ["portal"]


class InquirySerializer(serializers.ModelSerializer[Inquiry]):
    unit = serializers.CharField(source="unit.name")
    phone = serializers.SerializerMethodField(help_text="手机号（脱敏）")
    light = serializers.SerializerMethodField(help_text="green/yellow/red：等待首次答复时的亮灯；已答复为空")
    on_time = serializers.BooleanField(allow_null=True)

    class Meta:
        model = Inquiry
        fields = [
            "id",
            "number",
            "status",
            "project",
            "project_name",
            "unit",
            "company",
            "contact",
            "phone",
            "source",
            "created_at",
            "due_at",
            "answered_at",
            "lead_at",
            "closed_at",
            "lead_project",
            "rating",
            "on_time",
            "light",
            "version",
        ]

    def get_phone(self, obj: Inquiry) -> str:
        return mask_mobile(obj.phone)

    def get_light(self, obj: Inquiry) -> str:
        return obj.light()


class InquiryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Inquiry]):
    serializer_class = InquirySerializer
    permission_classes = [HasCapability("portal.inquiries")]

    def get_queryset(self) -> Any:
        rows = (
            Inquiry.objects.visible_to(self.request.user)
            .select_related("unit")
            .order_by("-created_at", "-id")
        )
        status = self.request.query_params.get("status", "")
        return rows.filter(status=status) if status in InquiryStatus.values else rows

    @extend_schema(
        tags=TAG,
        parameters=[OpenApiParameter("status", str, enum=InquiryStatus.values)],
        responses={200: InquirySerializer(many=True), 403: ErrorSerializer},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=TAG, responses={200: InquirySerializer, 403: ErrorSerializer, 404: ErrorSerializer})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)


class FiguresView(APIView):
    permission_classes = [HasCapability("portal.stats")]

    @extend_schema(
        tags=TAG,
        summary="招商门户统计（按月）",
        parameters=[OpenApiParameter("year", int, description="年份，默认今年")],
        responses={
            200: inline_serializer(
                "PortalFigures",
                {
                    "year": serializers.IntegerField(),
                    "unit": serializers.CharField(),
                    "rows": serializers.DictField(
                        child=serializers.ListField(child=serializers.IntegerField()),
                        help_text="指标 → 1–12 月的数值",
                    ),
                    "labels": serializers.DictField(child=serializers.CharField()),
                    "visits_by_page": serializers.DictField(
                        child=serializers.ListField(child=serializers.IntegerField())
                    ),
                    "visits_by_source": serializers.DictField(
                        child=serializers.ListField(child=serializers.IntegerField())
                    ),
                },
            ),
            400: ErrorSerializer,
            403: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("year", "")
        # ASCII digits of bounded length: "²" passes str.isdigit() and then fails in int()
        if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and 2000 < int(raw) < 2100):
            return Response(
                {"code": "invalid", "detail": "年份有误", "fields": {"year": ["年份有误"]}}, status=400
            )
        year = int(raw) if raw else timezone.localdate().year
        unit = request.user.scope_unit  # type: ignore[union-attr]
        if unit is None:
            return Response({"code": "permission_denied", "detail": "无所属单位", "fields": {}}, status=403)
        fig = queries.figures(unit, year)
        return Response(
            {
                "year": year,
                "unit": unit.name,
                "rows": fig.rows,
                "labels": queries.LABELS,
                "visits_by_page": fig.visits_by_page,
                "visits_by_source": fig.visits_by_source,
            }
        )
