"""REST API for receptions, trips and events, task forces, next steps, the year's figures and the return
on promotion. Thin: the same services and queries as the pages."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qinqing.accounts.models import User
from qinqing.core.api import Conflict, ErrorSerializer, error_responses
from qinqing.core.permissions import HasCapability, require
from qinqing.enterprises.models import mask_mobile
from qinqing.investment.models import IndustryCluster, InvestorType, Project, Source
from qinqing.orgs.models import Unit
from qinqing.promotion import queries, returns, services
from qinqing.promotion.models import (
    NextStep,
    Reception,
    ReceptionFirm,
    TaskForce,
    Touch,
    Trip,
    TripContact,
    TripLeg,
)

ERRORS = error_responses(400, 403, 404)
STALE = {409: OpenApiResponse(ErrorSerializer, description="该记录已被他人修改，请刷新后重试")}
YEAR = OpenApiParameter("year", OpenApiTypes.INT, description="年度（默认本年）")


def _call(func: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except services.StaleError as exc:
        raise Conflict() from exc


def _year(request: Request) -> int:
    raw = request.query_params.get("year", "")
    if not raw:
        return timezone.localdate().year
    # str.isdigit() also accepts "²" and 10**100 (int() or the ORM fail on them): ASCII digits, bounded length
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4) or not 2000 <= int(raw) <= 2100:
        raise exceptions.ValidationError({"year": ["年度应为 2000—2100 的整数"]})
    return int(raw)


# --- receptions ---------------------------------------------------------------------------------
class ReceptionFirmSerializer(serializers.ModelSerializer[ReceptionFirm]):
    class Meta:
        model = ReceptionFirm
        fields = ["id", "name", "credit_code", "origin", "enterprise"]
        read_only_fields = ["id", "enterprise"]


class PromotionTouchSerializer(serializers.ModelSerializer[Touch]):
    project_number = serializers.CharField(source="project.number", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)

    class Meta:
        model = Touch
        fields = ["id", "project", "project_number", "project_name", "on", "created_lead", "intention"]


class ReceptionSerializer(serializers.ModelSerializer[Reception]):
    firms = ReceptionFirmSerializer(many=True)
    cluster = serializers.PrimaryKeyRelatedField(
        queryset=IndustryCluster.objects.all(), required=False, allow_null=True
    )
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Reception
        fields = [
            "id", "unit", "unit_name", "title", "start_date", "end_date", "origin", "cluster", "delegation_size",
            "delegation_leaders", "hosts", "accompanying_leaders", "itinerary", "outcome", "meal_yuan",
            "lodging_yuan", "lodging_nights", "transport_yuan", "total_yuan", "warnings", "firms", "version",
            "created_at",
        ]  # fmt: skip
        read_only_fields = ["unit", "total_yuan", "warnings", "created_at"]


@extend_schema_view(
    list=extend_schema(summary="考察接待", parameters=[YEAR]),
    retrieve=extend_schema(summary="考察接待详情", responses={200: ReceptionSerializer, **ERRORS}),
    create=extend_schema(
        summary="登记考察接待（含来访企业）", responses={201: ReceptionSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        summary="修改考察接待（version 必填；firms 给出时整体替换）",
        responses={200: ReceptionSerializer, **ERRORS, **STALE},
    ),
)
class ReceptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Reception],
):
    serializer_class = ReceptionSerializer
    permission_classes = [IsAuthenticated, HasCapability("promotion.view")]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        qs = (
            Reception.objects.visible_to(self.request.user)
            .select_related("unit")
            .prefetch_related("firms")
            .order_by("-start_date", "-id")
        )
        if self.request.query_params.get("year", ""):
            qs = qs.filter(start_date__year=_year(self.request))
        return qs

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        firms = data.pop("firms", [])
        data.pop("version", None)
        serializer.instance = services.create_reception(self.request.user, data, firms)

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        firms = data.pop("firms", None)
        version = data.pop("version", None)
        if version is None:
            raise exceptions.ValidationError({"version": ["请提供 version"]})
        serializer.instance = _call(
            services.update_reception,
            self.request.user,
            serializer.instance,
            data,
            firms,
            expected_version=version,
        )


# --- trips --------------------------------------------------------------------------------------
class TripLegSerializer(serializers.ModelSerializer[TripLeg]):
    class Meta:
        model = TripLeg
        fields = ["from_date", "province"]


class TripContactSerializer(serializers.ModelSerializer[TripContact]):
    mobile = serializers.SerializerMethodField()

    class Meta:
        model = TripContact
        fields = ["id", "firm_name", "credit_code", "person", "mobile", "note"]

    def get_mobile(self, obj: TripContact) -> str:
        return mask_mobile(obj.mobile) if obj.mobile else ""


class TripSerializer(serializers.ModelSerializer[Trip]):
    legs = TripLegSerializer(many=True, required=False)
    contacts = TripContactSerializer(many=True, read_only=True)
    province = serializers.CharField(max_length=20, help_text="省份全称，如 浙江省、西藏自治区")
    task_force = serializers.PrimaryKeyRelatedField(
        queryset=TaskForce.objects.all(), required=False, allow_null=True
    )
    cluster = serializers.PrimaryKeyRelatedField(
        queryset=IndustryCluster.objects.all(), required=False, allow_null=True
    )
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Trip
        fields = [
            "id", "unit", "kind", "organiser", "task_force", "title", "province", "city", "start_date", "end_date",
            "participants", "participant_names", "cluster", "summary", "allowance_yuan", "transport_yuan",
            "lodging_yuan", "other_yuan", "total_yuan", "legs", "contacts", "version", "created_at",
        ]  # fmt: skip
        read_only_fields = ["unit", "allowance_yuan", "total_yuan", "created_at"]


@extend_schema_view(
    list=extend_schema(summary="外出招商活动（驻点、小分队、展会、推介会、交流会）", parameters=[YEAR]),
    retrieve=extend_schema(summary="外出招商活动详情", responses={200: TripSerializer, **ERRORS}),
    create=extend_schema(
        summary="登记外出招商活动（补助按年度、地区类别标准计算）", responses={201: TripSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        summary="修改外出招商活动（version 必填；legs 给出时整体替换）",
        responses={200: TripSerializer, **ERRORS, **STALE},
    ),
)
class TripViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Trip],
):
    serializer_class = TripSerializer
    permission_classes = [IsAuthenticated, HasCapability("promotion.view")]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        qs = (
            Trip.objects.visible_to(self.request.user)
            .prefetch_related("legs", "contacts")
            .order_by("-start_date", "-id")
        )
        if self.request.query_params.get("year", ""):
            qs = qs.filter(start_date__year=_year(self.request))
        return qs

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        legs = data.pop("legs", [])
        data.pop("version", None)
        serializer.instance = services.create_trip(self.request.user, data, legs)

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        legs = data.pop("legs", None)
        version = data.pop("version", None)
        if version is None:
            raise exceptions.ValidationError({"version": ["请提供 version"]})
        serializer.instance = _call(
            services.update_trip, self.request.user, serializer.instance, data, legs, expected_version=version
        )


# --- task forces --------------------------------------------------------------------------------
class TaskForceSerializer(serializers.ModelSerializer[TaskForce]):
    clusters = serializers.PrimaryKeyRelatedField(
        queryset=IndustryCluster.objects.all(), many=True, required=False
    )
    base_province = serializers.CharField(max_length=20, help_text="省份全称，如 上海市")

    class Meta:
        model = TaskForce
        fields = [
            "id", "unit", "name", "base_province", "base_city", "start_date", "end_date", "leader", "members",
            "clusters", "created_at",
        ]  # fmt: skip
        read_only_fields = ["unit", "created_at"]


@extend_schema_view(
    list=extend_schema(summary="驻外招商工作组"),
    retrieve=extend_schema(summary="驻外招商工作组详情", responses={200: TaskForceSerializer, **ERRORS}),
    create=extend_schema(summary="建立驻外招商工作组", responses={201: TaskForceSerializer, **ERRORS}),
)
class TaskForceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[TaskForce],
):
    serializer_class = TaskForceSerializer
    permission_classes = [IsAuthenticated, HasCapability("promotion.view")]

    def get_queryset(self) -> Any:
        return (
            TaskForce.objects.visible_to(self.request.user)
            .prefetch_related("clusters")
            .order_by("-start_date", "-id")
        )

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        clusters = data.pop("clusters", [])
        serializer.instance = services.create_task_force(self.request.user, data, clusters)


# --- intentions (any source) --------------------------------------------------------------------
class PromotionIntentionSerializer(serializers.Serializer[Any]):
    source_kind = serializers.ChoiceField(
        choices=[("reception", "考察接待"), ("trip", "外出招商活动"), ("taskforce", "驻外工作组")]
    )
    source_id = serializers.IntegerField()
    intention = serializers.CharField(max_length=300)
    project = serializers.IntegerField(
        required=False, allow_null=True, help_text="已有项目 id（更新已有项目）"
    )
    name = serializers.CharField(max_length=200, required=False, help_text="新线索：项目名称")
    investor_name = serializers.CharField(max_length=200, required=False)
    investor_origin = serializers.CharField(max_length=40, required=False, default="")
    funding_source = serializers.ChoiceField(
        choices=Source.choices, default=Source.OTHER_PROVINCE, help_text="资金来源（项目库 source）"
    )
    investor_type = serializers.ChoiceField(choices=InvestorType.choices, default=InvestorType.PRIVATE)
    industry_section = serializers.CharField(max_length=1, default="C")
    cluster = serializers.IntegerField(required=False, allow_null=True)
    location_unit = serializers.IntegerField(required=False, allow_null=True)
    planned_investment_wan = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, min_value=0
    )


class IntentionView(APIView):
    permission_classes = [IsAuthenticated, HasCapability("promotion.change")]

    @extend_schema(
        summary="登记投资意向：新建项目库线索（经招商项目服务）或更新已有项目，并记录来源",
        request=PromotionIntentionSerializer,
        responses={201: PromotionTouchSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        s = PromotionIntentionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        model = {"reception": Reception, "trip": Trip, "taskforce": TaskForce}[d["source_kind"]]
        source = model.objects.visible_to(request.user).filter(pk=d["source_id"]).first()  # type: ignore[attr-defined]
        if source is None:
            raise exceptions.NotFound("未找到，或无权访问")
        project = None
        data = None
        if d.get("project"):
            project = Project.objects.visible_to(request.user).filter(pk=d["project"]).first()
            if project is None:
                raise exceptions.ValidationError({"project": ["未找到该项目，或不在您的数据范围内"]})
        else:
            missing = {
                f: ["新线索请填写此项"]
                for f in ("name", "investor_name", "planned_investment_wan")
                if not d.get(f)
            }
            if missing:
                raise exceptions.ValidationError(missing)
            scope = request.user.scope_unit  # type: ignore[union-attr]
            unit = None
            if d.get("location_unit"):
                unit = Unit.objects.subtree(scope).filter(pk=d["location_unit"]).first() if scope else None
                if unit is None:
                    raise exceptions.ValidationError({"location_unit": ["落地单位不在您的数据范围内"]})
            data = {
                "name": d["name"],
                "investor_name": d["investor_name"],
                "investor_origin": d.get("investor_origin", ""),
                "source": d["funding_source"],
                "investor_type": d["investor_type"],
                "industry_section": d["industry_section"],
                "cluster": IndustryCluster.objects.filter(pk=d["cluster"]).first()
                if d.get("cluster")
                else None,
                "location_unit": unit,
                "planned_investment_wan": d["planned_investment_wan"],
            }
        touch = services.record_intention(
            request.user, source, intention=d["intention"], project=project, project_data=data
        )
        return Response(PromotionTouchSerializer(touch).data, status=status.HTTP_201_CREATED)


# --- next steps ---------------------------------------------------------------------------------
class NextStepSerializer(serializers.ModelSerializer[NextStep]):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    source_kind = serializers.ChoiceField(
        choices=[("reception", "考察接待"), ("trip", "外出招商活动")], write_only=True
    )
    source_id = serializers.IntegerField(write_only=True)

    class Meta:
        model = NextStep
        fields = [
            "id", "reception", "trip", "description", "owner", "due_on", "done_at", "done_note", "reminded_at",
            "version", "source_kind", "source_id",
        ]  # fmt: skip
        read_only_fields = ["reception", "trip", "done_at", "done_note", "reminded_at", "version"]


class NextStepCompleteSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    note = serializers.CharField(max_length=300, required=False, default="")


@extend_schema_view(
    list=extend_schema(
        summary="我的待办：本人负责的未完成下一步工作（mine=0 时为数据范围内全部）",
        parameters=[OpenApiParameter("mine", OpenApiTypes.BOOL)],
    ),
    retrieve=extend_schema(summary="下一步工作", responses={200: NextStepSerializer, **ERRORS}),
    create=extend_schema(
        summary="安排下一步工作（责任人、期限）", responses={201: NextStepSerializer, **ERRORS}
    ),
)
class NextStepViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[NextStep],
):
    serializer_class = NextStepSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> Any:
        user: Any = self.request.user
        if self.request.query_params.get("mine", "1") in ("0", "false") and user.can("promotion.view"):
            return NextStep.objects.visible_to(user).order_by("due_on", "id")
        if self.action in ("retrieve", "complete"):
            return (NextStep.objects.visible_to(user) | NextStep.objects.filter(owner_id=user.pk)).order_by(
                "due_on", "id"
            )
        return NextStep.objects.filter(owner_id=user.pk, done_at__isnull=True).order_by("due_on", "id")

    def perform_create(self, serializer: Any) -> None:
        require(self.request.user, "promotion.change")
        d = dict(serializer.validated_data)
        model = Reception if d.pop("source_kind") == "reception" else Trip
        source = model.objects.visible_to(self.request.user).filter(pk=d.pop("source_id")).first()
        if source is None:
            raise exceptions.NotFound("未找到，或无权访问")
        serializer.instance = services.add_next_step(self.request.user, source, **d)

    @extend_schema(
        summary="标记下一步工作完成",
        request=NextStepCompleteSerializer,
        responses={200: NextStepSerializer, **ERRORS, **STALE},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        step = self.get_object()
        s = NextStepCompleteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        step = _call(
            services.complete_next_step,
            request.user,
            step,
            expected_version=s.validated_data["version"],
            note=s.validated_data["note"],
        )
        return Response(NextStepSerializer(step).data)


# --- figures and return -------------------------------------------------------------------------
class PromotionFigureSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    unit_label = serializers.CharField()
    actual = serializers.DecimalField(max_digits=16, decimal_places=2)
    target = serializers.DecimalField(max_digits=16, decimal_places=2)
    light = serializers.CharField(source="light.code")
    remaining = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)


class YearFiguresView(APIView):
    permission_classes = [IsAuthenticated, HasCapability("promotion.view")]

    @extend_schema(
        summary="年度指标对照预算目标（考察企业、接待人数、会展、工作组、交流会、经费上限），含亮灯",
        parameters=[YEAR],
        responses={200: PromotionFigureSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        unit = request.user.scope_unit  # type: ignore[union-attr]
        if unit is None:
            raise exceptions.PermissionDenied("无权执行此操作")
        return Response(PromotionFigureSerializer(queries.year_figures(unit, _year(request)), many=True).data)


class PromotionResultSerializer(serializers.Serializer[Any]):
    leads = serializers.DecimalField(max_digits=16, decimal_places=4)
    signed = serializers.DecimalField(max_digits=16, decimal_places=4)
    planned_wan = serializers.DecimalField(max_digits=16, decimal_places=2)
    funds_wan = serializers.DecimalField(max_digits=16, decimal_places=2)
    outside_wan = serializers.DecimalField(max_digits=16, decimal_places=2)
    funds_yi = serializers.DecimalField(max_digits=16, decimal_places=4)
    cost_yuan = serializers.DecimalField(max_digits=16, decimal_places=2)
    cost_per_signed_yuan = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    cost_per_yi_yuan = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)


class PromotionReturnRowSerializer(serializers.Serializer[Any]):
    source_kind = serializers.SerializerMethodField()
    id = serializers.SerializerMethodField()
    label = serializers.CharField()  # type: ignore[assignment]
    kind = serializers.CharField()
    date = serializers.DateField(allow_null=True)
    result = serializers.SerializerMethodField()

    def get_source_kind(self, row: returns.Row) -> str:
        return {"r": "reception", "t": "trip", "f": "taskforce", "k": "kind", "c": "cluster"}[row.key[0]]

    def get_id(self, row: returns.Row) -> int:
        return row.key[1]

    @extend_schema_field(PromotionResultSerializer)
    def get_result(self, row: returns.Row) -> dict[str, Any]:
        return dict(PromotionResultSerializer(row.result.as_dict()).data)


class PromotionReturnSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    attribution = serializers.CharField()
    total = serializers.DictField()
    by_kind = PromotionReturnRowSerializer(many=True)
    by_cluster = PromotionReturnRowSerializer(many=True)
    by_task_force = PromotionReturnRowSerializer(many=True)
    sources_count = serializers.IntegerField(help_text="逐项（接待、活动、工作组）总数")
    sources = PromotionReturnRowSerializer(
        many=True, help_text="按到位资金排序的逐项，分页（page、page_size ≤ 500）"
    )


class ReturnView(APIView):
    permission_classes = [IsAuthenticated, HasCapability("promotion.view")]

    @extend_schema(
        summary="推介成效：按活动、类型、产业集群、工作组的线索、签约、计划投资、到位资金、费用及单位成本",
        parameters=[
            YEAR,
            OpenApiParameter("page", OpenApiTypes.INT, description="逐项的页码（默认 1）"),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="逐项每页条数（默认 100，最多 500）"),
        ],
        responses={200: PromotionReturnSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        year = _year(request)
        try:
            page = int(request.query_params.get("page", "1"))
            size = min(500, int(request.query_params.get("page_size", "100")))
        except ValueError:
            raise exceptions.ValidationError({"page": ["页码和每页条数应为正整数"]}) from None
        if page < 1 or size < 1:
            raise exceptions.ValidationError({"page": ["页码和每页条数应为正整数"]})
        data = returns.year_return(request.user, year)
        body = {
            "year": data.year,
            "attribution": data.attribution,
            "total": PromotionResultSerializer(data.total.as_dict()).data,
            "by_kind": PromotionReturnRowSerializer(data.by_kind, many=True).data,
            "by_cluster": PromotionReturnRowSerializer(data.by_cluster, many=True).data,
            "by_task_force": PromotionReturnRowSerializer(data.by_task_force, many=True).data,
            "sources_count": len(data.sources),
            "sources": PromotionReturnRowSerializer(
                data.sources[(page - 1) * size : page * size], many=True
            ).data,
        }
        return Response(body)
