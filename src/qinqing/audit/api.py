"""Read-only API over the audit log (audit.view). Listing without the capability answers 403; fetching one
event answers 404 (the queryset, ``visible_to``, holds nothing for anyone but 审计管理员)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated

from qinqing.audit.filters import AuditEventFilter
from qinqing.audit.models import AuditEvent
from qinqing.core.api import ErrorSerializer
from qinqing.core.permissions import HasCapability


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    action_display = serializers.CharField(source="get_action_display", read_only=True)
    result_display = serializers.CharField(source="get_result_display", read_only=True)
    changes = serializers.JSONField(read_only=True, help_text='字段变更 {"字段": [修改前, 修改后]}')

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "action",
            "action_display",
            "result",
            "result_display",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "detail",
            "request_id",
            "ip",
        ]
        read_only_fields = fields


_403 = OpenApiResponse(ErrorSerializer, description="未登录或无权查看审计日志")
_404 = OpenApiResponse(ErrorSerializer, description="未找到，或无权访问")
_400 = OpenApiResponse(ErrorSerializer, description="筛选条件有误")


@extend_schema_view(
    list=extend_schema(
        summary="审计事件列表", responses={200: AuditEventSerializer(many=True), 400: _400, 403: _403}
    ),
    retrieve=extend_schema(summary="审计事件", responses={200: AuditEventSerializer, 403: _403, 404: _404}),
)
@extend_schema(tags=["audit"])
class AuditEventViewSet(viewsets.ReadOnlyModelViewSet[AuditEvent]):
    """The append-only audit log, newest first. Reading it is not audited."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    queryset = AuditEvent.objects.none()

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.visible_to(self.request.user).order_by("-at", "-id")

    def get_permissions(self) -> Sequence[BasePermission]:
        if self.action == "list":
            return [IsAuthenticated(), HasCapability("audit.view")()]
        return [IsAuthenticated()]
