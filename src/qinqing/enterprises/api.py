"""REST API for enterprises and contacts: scoped, thin, through the same services as the pages.

No serializer exposes a full mobile number: contacts carry ``mobile_masked`` only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from qinqing.core.api import error_responses
from qinqing.core.permissions import HasCapability
from qinqing.enterprises import services
from qinqing.enterprises.filters import ContactFilter, EnterpriseFilter
from qinqing.enterprises.forms import MAX_IMPORT_BYTES
from qinqing.enterprises.industries import DIVISION_CHOICES, SECTION_CHOICES
from qinqing.enterprises.models import Contact, Enterprise, EnterpriseStatus, Ownership, Scale
from qinqing.enterprises.queries import enterprise_list, primary_contact
from qinqing.orgs.models import Unit

ERRORS = error_responses(400, 403, 404)


class CanViewEnterprises(permissions.BasePermission):
    """Staff with enterprises.view, or enterprise users (whose queryset is their own enterprise)."""

    message = "无权执行此操作"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and (user.can("enterprises.view") or user.is_enterprise_user)
        )


class ContactSerializer(serializers.ModelSerializer[Contact]):
    mobile_masked = serializers.CharField(source="masked_mobile", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "enterprise", "enterprise_name", "name", "title", "mobile_masked", "is_primary"]
        read_only_fields = fields


class PrimaryContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    mobile_masked = serializers.CharField(source="masked_mobile")


class EnterpriseSerializer(serializers.ModelSerializer[Enterprise]):
    industry_section_display = serializers.CharField(source="get_industry_section_display", read_only=True)
    scale_display = serializers.CharField(source="get_scale_display", read_only=True)
    ownership_display = serializers.CharField(source="get_ownership_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    registered_unit_name = serializers.CharField(source="registered_unit.name", read_only=True)
    # blank when only the section is known: declared, since a read-only model field loses allow_blank and
    # the schema's enum then omitted "" (schemathesis found it on PostgreSQL, where such rows came first)
    industry_division = serializers.ChoiceField(choices=DIVISION_CHOICES, allow_blank=True, read_only=True)
    primary_contact = serializers.SerializerMethodField()

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "credit_code",
            "legal_representative",
            "industry_section",
            "industry_section_display",
            "industry_division",
            "scale",
            "scale_display",
            "ownership",
            "ownership_display",
            "registered_unit",
            "registered_unit_name",
            "address",
            "status",
            "status_display",
            "primary_contact",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PrimaryContactSerializer(allow_null=True))
    def get_primary_contact(self, obj: Enterprise) -> dict[str, Any] | None:
        contact = primary_contact(obj)
        return dict(PrimaryContactSerializer(contact).data) if contact is not None else None


class EnterpriseWriteSerializer(serializers.Serializer):
    """Input for create (all required fields) and update (partial); the service validates the rules."""

    name = serializers.CharField(max_length=200)
    credit_code = serializers.CharField(
        max_length=40, help_text="统一社会信用代码，18位；空格、小写、全角会被规范化"
    )
    legal_representative = serializers.CharField(max_length=50, required=False, allow_blank=True)
    industry_section = serializers.ChoiceField(choices=SECTION_CHOICES)
    industry_division = serializers.ChoiceField(choices=DIVISION_CHOICES, required=False, allow_blank=True)
    scale = serializers.ChoiceField(choices=Scale.choices)
    ownership = serializers.ChoiceField(choices=Ownership.choices)
    registered_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=EnterpriseStatus.choices, required=False)


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=".xlsx 或 .csv（UTF-8 或 GBK），第 1 行为中文表头")


ImportResultSerializer = inline_serializer(
    "EnterpriseImportResult",
    {
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "contacts_created": serializers.IntegerField(),
        "contacts_updated": serializers.IntegerField(),
    },
)
ImportErrorSerializer = inline_serializer(
    "EnterpriseImportError",
    {
        "code": serializers.CharField(),
        "detail": serializers.CharField(),
        "fields": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        "errors": inline_serializer(
            "EnterpriseImportRowError",
            {
                "row": serializers.IntegerField(help_text="表格行号（含表头，第 1 行为表头）"),
                "field": serializers.CharField(),
                "message": serializers.CharField(),
                "text": serializers.CharField(),
            },
            many=True,
            required=False,  # only for row errors; a missing or unreadable file has "fields" only
        ),
    },
)


@extend_schema_view(
    list=extend_schema(
        summary="企业列表（数据范围内）", responses={200: EnterpriseSerializer, 403: ERRORS[403]}
    ),
    retrieve=extend_schema(summary="企业详情", responses={200: EnterpriseSerializer, 404: ERRORS[404]}),
    create=extend_schema(
        summary="登记企业", request=EnterpriseWriteSerializer, responses={201: EnterpriseSerializer, **ERRORS}
    ),
    update=extend_schema(
        summary="修改企业", request=EnterpriseWriteSerializer, responses={200: EnterpriseSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        summary="部分修改企业",
        request=EnterpriseWriteSerializer,
        responses={200: EnterpriseSerializer, **ERRORS},
    ),
)
@extend_schema(tags=["enterprises"])
class EnterpriseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Enterprise],
):
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter
    queryset = Enterprise.objects.none()

    def get_permissions(self) -> list[Any]:
        capability = {
            "create": "enterprises.change",
            "update": "enterprises.change",
            "partial_update": "enterprises.change",
            "import_file": "enterprises.import",
        }.get(self.action or "")
        if capability is not None:
            return [HasCapability(capability)()]
        return [CanViewEnterprises()]

    def get_queryset(self) -> QuerySet[Enterprise]:
        return enterprise_list(self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = EnterpriseWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enterprise = services.create_enterprise(request.user, data.validated_data)
        return Response(self._read(enterprise.pk), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        enterprise = self.get_object()
        partial = kwargs.get("partial", False)
        data = EnterpriseWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        services.update_enterprise(request.user, enterprise, data.validated_data)
        return Response(self._read(enterprise.pk))

    def _read(self, pk: int) -> dict[str, Any]:
        return dict(EnterpriseSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(
        summary="批量导入企业（.xlsx / .csv）",
        description="先校验全部行，任何一行有误则不保存并返回逐行错误（row 为含表头的表格行号）；"
        "已登记的统一社会信用代码按代码更新。",
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            200: ImportResultSerializer,
            400: OpenApiResponse(ImportErrorSerializer, description="文件有误，未保存任何数据"),
            403: ERRORS[403],
        },
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser])
    def import_file(self, request: Request) -> Response:
        upload = ImportRequestSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        if file.size > MAX_IMPORT_BYTES:
            raise serializers.ValidationError({"file": ["文件不能超过 10 MB"]})
        result = services.import_enterprises(request.user, file.name, file.read())
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


@extend_schema_view(
    list=extend_schema(
        summary="联系人列表（手机号脱敏）", responses={200: ContactSerializer, 403: ERRORS[403]}
    ),
    retrieve=extend_schema(
        summary="联系人详情（手机号脱敏）", responses={200: ContactSerializer, 404: ERRORS[404]}
    ),
)
@extend_schema(tags=["enterprises"])
class ContactViewSet(viewsets.ReadOnlyModelViewSet[Contact]):
    serializer_class = ContactSerializer
    queryset = Contact.objects.none()
    filterset_class = ContactFilter
    permission_classes = [CanViewEnterprises]

    def get_queryset(self) -> QuerySet[Contact]:
        return (
            Contact.objects.visible_to(self.request.user)
            .select_related("enterprise")
            .order_by("enterprise", "id")
        )
