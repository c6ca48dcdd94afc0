"""REST API of the chambers app (thin: services do the work). Staff and the organisation's own account use
the same endpoints; querysets start from ``visible_to`` (an organisation sees only its own records)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qinqing.chambers import certificates, inspections, officers, queries, rules, services
from qinqing.chambers.filters import ApplicationFilter, CertificateFilter, OrganisationFilter, ReportFilter
from qinqing.chambers.models import AnnualReport, Application, Campaign, Certificate, Officer, Organisation
from qinqing.core.api import Conflict, ErrorSerializer, error_responses
from qinqing.core.permissions import HasCapability, require
from qinqing.enterprises.models import mask_mobile

ERRORS = error_responses(400, 403, 404, 409)


def _call(func: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except services.StaleError as exc:
        raise Conflict() from exc


class StaffOrOrg(BasePermission):
    message = "无权执行此操作"

    def has_permission(self, request: Request, view: Any) -> bool:
        user: Any = request.user
        return bool(
            user and user.is_authenticated and (user.can("chambers.view") or user.can("chambers.apply"))
        )


# --- serializers ----------------------------------------------------------------------------------------
class ChambersOfficerSerializer(serializers.ModelSerializer[Officer]):
    mobile_masked = serializers.CharField(source="masked_mobile", read_only=True)

    class Meta:
        model = Officer
        fields = ["id", "position", "name", "mobile_masked", "term_start", "term_end"]
        read_only_fields = fields


class ChambersOrganisationSerializer(serializers.ModelSerializer[Organisation]):
    officers = ChambersOfficerSerializer(many=True, read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    contact_mobile_masked = serializers.CharField(source="masked_contact_mobile", read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id", "kind", "kind_display", "name", "area", "area_name", "status", "status_display",
            "place_of_origin", "registration_number", "credit_code", "founded_on", "address", "premises_owned",
            "capital_wan", "charter", "contact_name", "contact_mobile_masked", "sending_body", "tasks_scope",
            "reporting_line", "admin_rank", "staffing", "head_name", "investment_tasks", "registered_on",
            "ended_on", "end_reason", "officers", "version",
        ]  # fmt: skip
        read_only_fields = fields


class ChambersApplicationSerializer(serializers.ModelSerializer[Application]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    light = serializers.SerializerMethodField()
    materials = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id", "organisation", "organisation_name", "kind", "kind_display", "status", "status_display",
            "proposed", "before", "reason", "submitted_at", "due_on", "decided_at", "decision_comment", "light",
            "materials", "version",
        ]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, instance: Application) -> dict[str, Any]:
        """Mobiles in the proposed and frozen values masked, as everywhere else."""
        data = super().to_representation(instance)
        for key in ("proposed", "before"):
            data[key] = _masked_values(data.get(key) or {})
        return data

    def get_light(self, obj: Application) -> str:
        return str(getattr(obj, "light", rules.Light.NONE))

    def get_materials(self, obj: Application) -> list[dict[str, Any]]:
        present = {m.item: m for m in obj.materials.all()}
        return [
            {
                "item": code,
                "label": label,
                "uploaded": code in present,
                "file_name": present[code].original_name if code in present else "",
                "comment": present[code].comment if code in present else "",
            }
            for code, label in rules.required_materials(obj.organisation.kind, obj.kind)
        ]


def _masked_values(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if out.get("contact_mobile"):
        out["contact_mobile"] = mask_mobile(str(out["contact_mobile"]))
    if isinstance(out.get(officers.KEY), list):  # operations (proposed) or the list before (before)
        out[officers.KEY] = [_masked_item(item) for item in out[officers.KEY]]
    return out


def _masked_item(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    if "op" not in item:
        return officers.masked([item])[0]
    return {k: officers.masked([v])[0] if isinstance(v, dict) else v for k, v in item.items()}


class ChambersOfficerChangeSerializer(serializers.Serializer[Any]):
    op = serializers.ChoiceField(choices=list(officers.OPS.items()), help_text="新增、更换或免去")
    id = serializers.IntegerField(required=False, help_text="更换、免去：现任负责人的 id")
    position = serializers.CharField(required=False, allow_blank=True, help_text="新增、更换：职务")
    name = serializers.CharField(required=False, allow_blank=True)
    mobile = serializers.CharField(required=False, allow_blank=True)
    term_start = serializers.DateField(required=False, allow_null=True)
    term_end = serializers.DateField(required=False, allow_null=True)


class ChambersApplicationCreateSerializer(serializers.Serializer[Any]):
    organisation = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=rules.AppKind.choices)
    proposed = serializers.DictField(required=False, help_text="变更事项：字段 → 新值")
    officers = ChambersOfficerChangeSerializer(
        many=True, required=False, help_text="变更申请的负责人变更（新增、更换、免去）"
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class ChambersVersionSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField()


class ChambersApproveSerializer(ChambersVersionSerializer):
    comment = serializers.CharField(required=False, allow_blank=True)
    registration_number = serializers.CharField(required=False, allow_blank=True, max_length=40)


class ChambersReturnSerializer(ChambersVersionSerializer):
    comments = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="材料项目 → 补正意见"
    )
    general = serializers.CharField(required=False, allow_blank=True)


class ChambersReasonSerializer(ChambersVersionSerializer):
    reason = serializers.CharField()


class ChambersMaterialUploadSerializer(serializers.Serializer[Any]):
    item = serializers.CharField()
    file = serializers.FileField()


class ChambersCertificateSerializer(serializers.ModelSerializer[Certificate]):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    reprints = serializers.IntegerField(read_only=True)

    class Meta:
        model = Certificate
        fields = [
            "id", "serial", "year", "seq", "organisation", "org_name", "kind", "status", "status_display",
            "issued_on", "ended_on", "issuer_name", "print_count", "reprints",
        ]  # fmt: skip
        read_only_fields = fields


class ChambersCampaignSerializer(serializers.ModelSerializer[Campaign]):
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "area", "area_name", "year", "deadline", "opened_at"]
        read_only_fields = ["opened_at"]
        extra_kwargs = {"deadline": {"required": False}}


class ChambersProgressSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    not_started = serializers.IntegerField()
    submitted = serializers.IntegerField()
    returned = serializers.IntegerField()
    concluded = serializers.IntegerField()
    overdue = serializers.IntegerField()
    late = serializers.IntegerField()
    passed = serializers.IntegerField()
    basic = serializers.IntegerField()
    failed = serializers.IntegerField()
    rectified = serializers.IntegerField()


class ChambersBulkSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=[("remind", "催报"), ("conclude", "批量结论")])
    reports = serializers.ListField(child=serializers.IntegerField(), required=False)
    conclusion = serializers.ChoiceField(choices=rules.Conclusion.choices, required=False)
    comment = serializers.CharField(required=False, allow_blank=True)


class ChambersBulkResultSerializer(serializers.Serializer[Any]):
    done = serializers.IntegerField()
    skipped = serializers.ListField(child=serializers.CharField())


class ChambersReportSerializer(serializers.ModelSerializer[AnnualReport]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    year = serializers.IntegerField(source="campaign.year", read_only=True)
    deadline = serializers.DateField(source="campaign.deadline", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = AnnualReport
        fields = [
            "id", "campaign", "year", "deadline", "organisation", "organisation_name", "status", "status_display",
            "sections", "income_yuan", "expense_yuan", "net_assets_yuan", "declared", "submitted_at", "late",
            "return_comment", "conclusion", "conclusion_comment", "concluded_at", "rectification_due",
            "rectification_text", "rectification_submitted_at", "version",
        ]  # fmt: skip
        read_only_fields = fields


class ChambersReportSaveSerializer(ChambersVersionSerializer):
    sections = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=5000), required=False
    )
    income_yuan = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    expense_yuan = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    net_assets_yuan = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    declared = serializers.BooleanField(required=False)


class ChambersConcludeSerializer(ChambersVersionSerializer):
    conclusion = serializers.ChoiceField(choices=rules.Conclusion.choices)
    comment = serializers.CharField(required=False, allow_blank=True)
    rectification_due = serializers.DateField(required=False, allow_null=True)


class ChambersCommentSerializer(ChambersVersionSerializer):
    comment = serializers.CharField()


class ChambersRectifySerializer(ChambersVersionSerializer):
    text = serializers.CharField(max_length=10000)


class ChambersVerificationSerializer(serializers.Serializer[Any]):
    serial = serializers.CharField()
    organisation = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(choices=rules.CertStatus.choices)
    status_label = serializers.CharField()
    issued_on = serializers.DateField()
    ended_on = serializers.DateField(allow_null=True)


class ChambersTargetRowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    actual = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    target = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    kind = serializers.CharField()
    light = serializers.CharField()
    unit = serializers.CharField()


class ChambersFiguresSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    unit = serializers.CharField()
    monthly = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField()))
    totals = serializers.DictField(child=serializers.IntegerField())
    ontime_rate = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    error_rate = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    rows = ChambersTargetRowSerializer(many=True)


def _data(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    s = serializer_class(data=request.data)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


# --- viewsets -------------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(responses={200: ChambersOrganisationSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: ChambersOrganisationSerializer, **ERRORS}),
)
@extend_schema(tags=["chambers"])
class OrganisationViewSet(viewsets.ReadOnlyModelViewSet[Organisation]):
    serializer_class = ChambersOrganisationSerializer
    permission_classes = [StaffOrOrg]
    filterset_class = OrganisationFilter

    def get_queryset(self) -> QuerySet[Organisation]:
        return (
            Organisation.objects.visible_to(self.request.user)
            .select_related("area")
            .prefetch_related(Prefetch("officers", queryset=Officer.objects.order_by("pk")))
            .order_by("kind", "name", "pk")
        )

    @extend_schema(
        request=ChambersReasonSerializer, responses={200: ChambersOrganisationSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        data = _data(ChambersReasonSerializer, request)
        org = _call(
            services.revoke,
            request.user,
            self.get_object(),
            reason=data["reason"],
            expected_version=data["version"],
        )
        return Response(ChambersOrganisationSerializer(org).data)


@extend_schema_view(
    list=extend_schema(responses={200: ChambersApplicationSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: ChambersApplicationSerializer, **ERRORS}),
)
@extend_schema(tags=["chambers"])
class ApplicationViewSet(viewsets.ReadOnlyModelViewSet[Application]):
    serializer_class = ChambersApplicationSerializer
    permission_classes = [StaffOrOrg]
    filterset_class = ApplicationFilter

    def get_queryset(self) -> QuerySet[Application]:
        return (
            Application.objects.visible_to(self.request.user)
            .select_related("organisation")
            .prefetch_related("materials")
            .order_by("-created_at", "-pk")
        )

    def _out(self, app: Application, code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=app.pk)
        queries.with_lights([fresh])
        return Response(ChambersApplicationSerializer(fresh).data, status=code)

    @extend_schema(
        request=ChambersApplicationCreateSerializer, responses={201: ChambersApplicationSerializer, **ERRORS}
    )
    def create(self, request: Request) -> Response:
        data = _data(ChambersApplicationCreateSerializer, request)
        org = get_object_or_404(Organisation.objects.visible_to(request.user), pk=data["organisation"])
        app = services.start_application(
            request.user,
            org,
            data["kind"],
            proposed=data.get("proposed"),
            reason=data.get("reason", ""),
            officers=[dict(op) for op in data.get("officers", [])] or None,
        )
        return self._out(app, 201)

    @extend_schema(
        request=ChambersMaterialUploadSerializer, responses={200: ChambersApplicationSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def materials(self, request: Request, pk: str) -> Response:
        data = _data(ChambersMaterialUploadSerializer, request)
        app = self.get_object()
        services.upload_material(request.user, app, item=data["item"], file=data["file"])
        return self._out(app)

    @extend_schema(
        request=ChambersVersionSerializer, responses={200: ChambersApplicationSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def submit(self, request: Request, pk: str) -> Response:
        data = _data(ChambersVersionSerializer, request)
        return self._out(
            _call(
                services.submit_application, request.user, self.get_object(), expected_version=data["version"]
            )
        )

    @extend_schema(
        request=ChambersVersionSerializer, responses={200: ChambersApplicationSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def withdraw(self, request: Request, pk: str) -> Response:
        data = _data(ChambersVersionSerializer, request)
        return self._out(
            _call(
                services.withdraw_application,
                request.user,
                self.get_object(),
                expected_version=data["version"],
            )
        )

    @extend_schema(
        request=ChambersApproveSerializer, responses={200: ChambersApplicationSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def approve(self, request: Request, pk: str) -> Response:
        data = _data(ChambersApproveSerializer, request)
        app = _call(
            services.approve_application,
            request.user,
            self.get_object(),
            expected_version=data["version"],
            comment=data.get("comment", ""),
            registration_number=data.get("registration_number", ""),
        )
        return self._out(app)

    @extend_schema(request=ChambersReturnSerializer, responses={200: ChambersApplicationSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return", parser_classes=[JSONParser])
    def return_(self, request: Request, pk: str) -> Response:
        data = _data(ChambersReturnSerializer, request)
        app = _call(
            services.return_application,
            request.user,
            self.get_object(),
            expected_version=data["version"],
            comments=data.get("comments", {}),
            general=data.get("general", ""),
        )
        return self._out(app)

    @extend_schema(request=ChambersReasonSerializer, responses={200: ChambersApplicationSerializer, **ERRORS})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def refuse(self, request: Request, pk: str) -> Response:
        data = _data(ChambersReasonSerializer, request)
        return self._out(
            _call(
                services.refuse_application,
                request.user,
                self.get_object(),
                expected_version=data["version"],
                reason=data["reason"],
            )
        )


@extend_schema_view(
    list=extend_schema(responses={200: ChambersCertificateSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: ChambersCertificateSerializer, **ERRORS}),
)
@extend_schema(tags=["chambers"])
class CertificateViewSet(viewsets.ReadOnlyModelViewSet[Certificate]):
    serializer_class = ChambersCertificateSerializer
    permission_classes = [StaffOrOrg]
    filterset_class = CertificateFilter

    def get_queryset(self) -> QuerySet[Certificate]:
        return Certificate.objects.visible_to(self.request.user).order_by("year", "seq")


@extend_schema_view(
    list=extend_schema(responses={200: ChambersCampaignSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: ChambersCampaignSerializer, **ERRORS}),
)
@extend_schema(tags=["chambers"])
class CampaignViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Campaign]):
    serializer_class = ChambersCampaignSerializer
    permission_classes = [HasCapability("chambers.view")]

    def get_queryset(self) -> QuerySet[Campaign]:
        return Campaign.objects.visible_to(self.request.user).select_related("area").order_by("-year", "pk")

    @extend_schema(request=ChambersCampaignSerializer, responses={201: ChambersCampaignSerializer, **ERRORS})
    def create(self, request: Request) -> Response:
        s = ChambersCampaignSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        campaign = inspections.open_campaign(
            request.user, area=d["area"], year=d["year"], deadline=d.get("deadline")
        )
        return Response(ChambersCampaignSerializer(campaign).data, status=201)

    @extend_schema(responses={200: ChambersProgressSerializer, **ERRORS})
    @action(detail=True, methods=["get"])
    def progress(self, request: Request, pk: str) -> Response:
        return Response(queries.progress(self.get_object(), request.user))

    @extend_schema(request=ChambersBulkSerializer, responses={200: ChambersBulkResultSerializer, **ERRORS})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def bulk(self, request: Request, pk: str) -> Response:
        data = _data(ChambersBulkSerializer, request)
        campaign = self.get_object()
        if data["action"] == "remind":
            n = inspections.remind(request.user, campaign, data.get("reports") or None)
            return Response({"done": n, "skipped": []})
        if not data.get("conclusion"):
            raise exceptions.ValidationError({"conclusion": ["请选择年检结论"]})
        done, skipped = inspections.bulk_conclude(
            request.user,
            data.get("reports", []),
            conclusion=data["conclusion"],
            comment=data.get("comment", ""),
        )
        return Response({"done": done, "skipped": skipped})


@extend_schema_view(
    list=extend_schema(responses={200: ChambersReportSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: ChambersReportSerializer, **ERRORS}),
)
@extend_schema(tags=["chambers"])
class ReportViewSet(viewsets.ReadOnlyModelViewSet[AnnualReport]):
    serializer_class = ChambersReportSerializer
    permission_classes = [StaffOrOrg]
    filterset_class = ReportFilter

    def get_queryset(self) -> QuerySet[AnnualReport]:
        return (
            AnnualReport.objects.visible_to(self.request.user)
            .select_related("campaign", "organisation")
            .order_by("-campaign__year", "organisation__name", "pk")
        )

    def _out(self, report: AnnualReport) -> Response:
        return Response(ChambersReportSerializer(self.get_queryset().get(pk=report.pk)).data)

    @extend_schema(request=ChambersReportSaveSerializer, responses={200: ChambersReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def save(self, request: Request, pk: str) -> Response:
        data = _data(ChambersReportSaveSerializer, request)
        version = data.pop("version")
        values = {**data.pop("sections", {}), **data}
        return self._out(
            _call(inspections.save_report, request.user, self.get_object(), values, expected_version=version)
        )

    @extend_schema(request=ChambersVersionSerializer, responses={200: ChambersReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def submit(self, request: Request, pk: str) -> Response:
        data = _data(ChambersVersionSerializer, request)
        return self._out(
            _call(
                inspections.submit_report, request.user, self.get_object(), expected_version=data["version"]
            )
        )

    @extend_schema(request=ChambersCommentSerializer, responses={200: ChambersReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return", parser_classes=[JSONParser])
    def return_(self, request: Request, pk: str) -> Response:
        data = _data(ChambersCommentSerializer, request)
        return self._out(
            _call(
                inspections.return_report,
                request.user,
                self.get_object(),
                expected_version=data["version"],
                comment=data["comment"],
            )
        )

    @extend_schema(request=ChambersConcludeSerializer, responses={200: ChambersReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def conclude(self, request: Request, pk: str) -> Response:
        data = _data(ChambersConcludeSerializer, request)
        report = _call(
            inspections.conclude,
            request.user,
            self.get_object(),
            expected_version=data["version"],
            conclusion=data["conclusion"],
            comment=data.get("comment", ""),
            rectification_due=data.get("rectification_due"),
        )
        return self._out(report)

    @extend_schema(request=ChambersRectifySerializer, responses={200: ChambersReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def rectify(self, request: Request, pk: str) -> Response:
        data = _data(ChambersRectifySerializer, request)
        return self._out(
            _call(
                inspections.submit_rectification,
                request.user,
                self.get_object(),
                expected_version=data["version"],
                text=data["text"],
            )
        )


class FiguresView(APIView):
    permission_classes = [HasCapability("chambers.view")]

    @extend_schema(
        tags=["chambers"],
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, description="年度（默认今年）")],
        responses={200: ChambersFiguresSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        require(request.user, "chambers.view")
        unit = getattr(request.user, "scope_unit", None)
        if unit is None:
            raise exceptions.PermissionDenied("无权访问")
        raw = request.query_params.get("year", "")
        # ASCII digits only: "²".isdigit() is true and int() fails on it
        ok = raw.isascii() and raw.isdigit() and len(raw) <= 4 and 2000 <= int(raw) <= 2100
        year = int(raw) if ok else dt.date.today().year
        data = queries.figures(unit, year)
        # through the documented serializer: rates and row figures as decimal strings, as the schema says
        body = {
            "year": year,
            "unit": unit.name,
            "monthly": data["monthly"],
            "totals": data["totals"],
            "ontime_rate": data["ontime_rate"],
            "error_rate": data["error_rate"],
            "rows": [r.__dict__ for r in data["rows"]],
        }
        return Response(ChambersFiguresSerializer(body).data)


class VerifyView(APIView):
    """Public (no login), rate-limited: only number, name, kind, status and dates."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        tags=["chambers"],
        auth=[],
        responses={
            200: ChambersVerificationSerializer,
            404: OpenApiResponse(ErrorSerializer, description="无此证书"),
            429: OpenApiResponse(ErrorSerializer, description="请求过于频繁"),
        },
    )
    def get(self, request: Request, serial: str) -> Response:
        from qinqing.chambers.views import _throttled

        blocked = _throttled(request._request)
        if blocked is not None:
            return blocked  # type: ignore[return-value]
        result = certificates.public_status(serial[:20])
        if result is None:
            raise exceptions.NotFound("未找到该编号的证书")
        return Response(result)
