"""REST API for demands: list/filter/detail/create (idempotent by external reference), events, actions."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action as drf_action
from rest_framework.request import Request
from rest_framework.response import Response

from qinqing.accounts.models import User
from qinqing.core.api import Conflict as CoreConflict
from qinqing.core.api import ErrorSerializer, error_responses
from qinqing.demands import cache, listing, services
from qinqing.demands.filters import DemandFilter
from qinqing.demands.models import (
    Attachment,
    Category,
    Channel,
    Demand,
    DemandAssist,
    DemandEvent,
    DemandType,
    Outcome,
    Rating,
    Urgency,
)
from qinqing.demands.paging import without_jit
from qinqing.demands.responses import new_demand_body
from qinqing.demands.workflow import Action
from qinqing.enterprises.models import mask_mobile
from qinqing.orgs.models import Unit

HIDDEN = "（企业身份已隐藏）"

ERRORS = error_responses(400, 403, 404)
ACTION_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(
        ErrorSerializer,
        description="code=stale：该诉求已被他人处理，请刷新后重试；code=invalid_state：当前状态不能执行该操作",
    ),
}


class Conflict(CoreConflict):
    default_code = "invalid_state"
    default_detail = "当前状态不能执行该操作"


def refused(exc: services.ActionRefused) -> exceptions.APIException:
    if isinstance(exc, services.NotAllowed):
        return exceptions.PermissionDenied(exc.message)
    return Conflict(exc.message, code=exc.code)


def extend_schema_field_int_or_null(func: Any) -> Any:
    return extend_schema_field(OpenApiTypes.INT)(func)


class FieldsOnceMixin:
    """Build a ModelSerializer's fields once per class and copy them per instance.

    ModelSerializer introspects the model on every instantiation (about 3 ms for the detail serializer,
    most of a submission's response), and a plain Serializer deep-copies its declared fields. For these
    serializers, whose fields keep no per-request state, a shallow copy of each built field is the same
    result: binding only assigns attributes (name, parent, source) on the copy.
    """

    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        built: dict[str, Any] | None = cls.__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()  # type: ignore[misc]
            cls._built_fields = built  # type: ignore[attr-defined]
        return {name: copy.copy(f) for name, f in built.items()}


class DemandListSerializer(FieldsOnceMixin, serializers.ModelSerializer[Demand]):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    demand_type_display = serializers.CharField(source="get_demand_type_display", read_only=True)
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    urgency_display = serializers.CharField(source="get_urgency_display", read_only=True)
    category_name = serializers.CharField(source="category.__str__", read_only=True)
    enterprise = serializers.SerializerMethodField()
    enterprise_name = serializers.SerializerMethodField()
    contact_name = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    receiving_unit_name = serializers.CharField(source="receiving_unit.name", read_only=True)
    lead_unit_name = serializers.CharField(source="lead_unit.name", read_only=True, default="")
    handler_name = serializers.SerializerMethodField()
    light = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Demand
        fields = [
            "id",
            "number",
            "external_ref",
            "title",
            "status",
            "status_display",
            "demand_type",
            "demand_type_display",
            "channel",
            "channel_display",
            "urgency",
            "urgency_display",
            "category",
            "category_name",
            "enterprise",
            "enterprise_name",
            "contact_name",
            "contact_phone",
            "receiving_unit",
            "receiving_unit_name",
            "lead_unit",
            "lead_unit_name",
            "handler_name",
            "created_at",
            "due_at",
            "light",
            "overdue",
            "provisional",
            "redo_count",
            "rating",
            "version",
        ]
        read_only_fields = fields

    def _user(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None)

    def _visible(self, obj: Demand) -> bool:
        return obj.identity_visible_to(self._user())

    @extend_schema_field_int_or_null
    def get_enterprise(self, obj: Demand) -> int | None:
        return obj.enterprise_id if self._visible(obj) else None

    def get_enterprise_name(self, obj: Demand) -> str:
        return obj.enterprise.name if self._visible(obj) else HIDDEN

    def get_contact_name(self, obj: Demand) -> str:
        return obj.contact_name if self._visible(obj) else HIDDEN

    def get_contact_phone(self, obj: Demand) -> str:
        return mask_mobile(obj.contact_phone) if self._visible(obj) else HIDDEN

    def get_handler_name(self, obj: Demand) -> str:
        # Not source="current_handler.__str__": without a handler DRF rendered None.__str__ itself.
        return str(obj.current_handler) if obj.current_handler_id else ""

    def get_light(self, obj: Demand) -> str:
        return obj.light_at(self.context.get("now"))

    def get_overdue(self, obj: Demand) -> bool:
        return obj.light_at(self.context.get("now")) == "red"


class AttachmentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField()


class DemandDetailSerializer(DemandListSerializer):
    assisting_units = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    reply_outcome_display = serializers.CharField(source="get_reply_outcome_display", read_only=True)

    class Meta(DemandListSerializer.Meta):
        fields = [
            *DemandListSerializer.Meta.fields,
            "description",
            "hide_below_tier",
            "accept_due_at",
            "sign_due_at",
            "handle_due_at",
            "extension_days",
            "extension_requested_days",
            "reply_outcome",
            "reply_outcome_display",
            "reply_text",
            "replied_at",
            "closed_at",
            "assisting_units",
            "attachments",
            "allowed_actions",
        ]
        read_only_fields = fields

    def get_assisting_units(self, obj: Demand) -> list[str]:
        prefetched = "assists" in getattr(obj, "_prefetched_objects_cache", {})
        rows = obj.assists.all() if prefetched else obj.assists.select_related("unit")
        return [a.unit.name for a in rows]

    def get_attachments(self, obj: Demand) -> list[dict[str, Any]]:
        from django.urls import reverse

        enterprise_user = bool(getattr(self._user(), "enterprise_id", None))
        return [
            {"id": a.pk, "name": a.name, "size": a.size, "url": reverse("demands:attachment", args=[a.token])}
            for a in obj.attachments.all()
            if a.public or not enterprise_user
        ]

    def get_allowed_actions(self, obj: Demand) -> list[str]:
        return services.available_actions(self._user(), obj)


class CategoryField(serializers.PrimaryKeyRelatedField):
    """An active category by id, read from the configuration snapshot (demands.cache): no query."""

    def to_internal_value(self, data: Any) -> Category:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        found = cache.category(data)
        if found is None or not found.is_active:
            self.fail("does_not_exist", pk_value=data)
        return found


class DemandCreateSerializer(FieldsOnceMixin, serializers.Serializer[Any]):
    category = CategoryField(queryset=Category.objects.filter(is_active=True))
    demand_type = serializers.ChoiceField(choices=DemandType.choices)
    title = serializers.CharField(max_length=100)
    description = serializers.CharField()
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.SELF)
    # Loaded and scope-checked by the service in one query ("请选择本辖区内的企业" when out of scope).
    enterprise = serializers.IntegerField(
        required=False, min_value=1, help_text="企业 id（工作人员代企业提交时必填）"
    )
    contact_name = serializers.CharField(max_length=50)
    contact_phone = serializers.CharField(max_length=20)
    hide_below_tier = serializers.IntegerField(required=False, allow_null=True)
    external_ref = serializers.CharField(max_length=64, required=False, allow_blank=True)

    def submit_data(self) -> services.SubmitData:
        return self.to_submit_data(self.validated_data)

    @staticmethod
    def to_submit_data(v: dict[str, Any]) -> services.SubmitData:
        return services.SubmitData(
            category=v["category"],
            demand_type=v["demand_type"],
            title=v["title"],
            description=v["description"],
            urgency=v["urgency"],
            channel=v["channel"],
            enterprise_id=v.get("enterprise"),
            contact_name=v["contact_name"],
            contact_phone=v["contact_phone"],
            hide_below_tier=v.get("hide_below_tier"),
            external_ref=v.get("external_ref") or None,
        )


def _known_empty(qs: QuerySet[Any]) -> QuerySet[Any]:
    """QS marked as evaluated and empty, as prefetch_related leaves its results (no SQL is compiled)."""
    qs._result_cache = []
    qs._prefetch_done = True  # type: ignore[attr-defined]
    return qs


class DemandBatchSerializer(serializers.Serializer[Any]):
    # A ListField (not many=True): its errors come keyed by item index, and the schema has the bounds.
    demands = serializers.ListField(
        child=DemandCreateSerializer(),
        min_length=1,
        max_length=services.BATCH_MAX,
        help_text="1–100 件，每件须有 external_ref",
    )


class BatchItemSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField(help_text="在请求 demands 中的序号（从 0 起）")
    id = serializers.IntegerField()
    number = serializers.CharField()
    external_ref = serializers.CharField()
    status = serializers.CharField()
    created = serializers.BooleanField(help_text="false：该外部编号已提交过，返回原诉求")


class BatchResultSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField(help_text="本次新建的件数")
    existing = serializers.IntegerField(help_text="已提交过的件数")
    results = BatchItemSerializer(many=True)


class EventSerializer(serializers.ModelSerializer[DemandEvent]):
    action_display = serializers.CharField(source="action_label", read_only=True)
    from_status_display = serializers.CharField(source="from_label", read_only=True)
    to_status_display = serializers.CharField(source="to_label", read_only=True)

    class Meta:
        model = DemandEvent
        fields = [
            "id",
            "at",
            "actor_name",
            "actor_unit",
            "action",
            "action_display",
            "from_status",
            "from_status_display",
            "to_status",
            "to_status_display",
            "note",
            "public",
        ]
        read_only_fields = fields


class ActionSerializer(serializers.Serializer[Any]):
    """The body of POST /demands/{id}/actions/{action}/; which fields an action needs: docs/demands.md."""

    version = serializers.IntegerField(help_text="详情中的 version（乐观锁）")
    note = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True)
    lead_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False)
    assisting_units = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), many=True, required=False
    )
    handler = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False)
    days = serializers.IntegerField(required=False)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)
    text = serializers.CharField(required=False, allow_blank=True)
    rating = serializers.ChoiceField(choices=Rating.choices, required=False)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)
    poor_quality = serializers.BooleanField(required=False)


# Which body fields each action takes (others are ignored) and which it requires.
ACTION_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Action.ACCEPT: (("note",), ()),
    Action.REJECT: (("reason", "note"), ("reason",)),
    Action.DISPATCH: (("lead_unit", "assisting_units", "note"), ("lead_unit",)),
    Action.SIGN: (("note",), ()),
    Action.RETURN: (("reason", "note"), ("reason", "note")),
    Action.ASSIGN: (("handler", "note"), ("handler",)),
    Action.TRANSFER: (("unit", "note"), ("unit",)),
    Action.ESCALATE: (("reason",), ("reason",)),
    Action.REQUEST_EXTENSION: (("days", "reason"), ("days", "reason")),
    Action.APPROVE_EXTENSION: (("note",), ()),
    Action.REFUSE_EXTENSION: (("note",), ("note",)),
    Action.SUSPEND: (("note",), ("note",)),
    Action.RESUME: (("note",), ()),
    Action.SUPPLEMENT: (("note",), ()),
    Action.OPINION: (("text",), ("text",)),
    Action.REPLY: (("outcome", "text"), ("outcome", "text")),
    Action.RATE: (("rating", "comment"), ("rating",)),
    Action.FOLLOW_UP: (("note", "rating"), ("note",)),
    Action.REMIND: (("note",), ()),
    Action.SUPERVISE: (("note", "poor_quality"), ("note",)),
}


def run_action(user: Any, demand: Demand, action: str, data: dict[str, Any]) -> Demand:
    """Validate DATA for ACTION and call the service; errors become API errors."""
    fields, required = ACTION_FIELDS[action]
    missing = {f: ["此字段为必填项。"] for f in required if data.get(f) in (None, "", [])}
    if missing:
        raise exceptions.ValidationError(missing)
    params = {f: data[f] for f in fields if f in data}
    try:
        return services.perform(user, demand.pk, action, data.get("version"), **params)
    except services.ActionRefused as exc:
        raise refused(exc) from exc


API_RELATED = ("enterprise", "category", "category__parent", "receiving_unit", "lead_unit", "current_handler")


class DemandFilterBackend(DjangoFilterBackend):
    """The list's filters, given the scope-free base for a unit filter that implies the scope
    (``DemandFilter.unscoped``); other actions filter their scoped queryset only."""

    def get_filterset_kwargs(self, request: Any, queryset: Any, view: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_filterset_kwargs(request, queryset, view)
        if getattr(view, "action", None) == "list":
            kwargs["unscoped"] = Demand.objects.order_by("-created_at", "-id")
        return kwargs


@extend_schema_view(
    list=extend_schema(summary="诉求列表（按数据范围）", responses={200: DemandListSerializer, **ERRORS}),
    retrieve=extend_schema(summary="诉求详情", responses={200: DemandDetailSerializer, **ERRORS}),
)
@extend_schema(tags=["demands"])
class DemandViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Demand]):
    filterset_class = DemandFilter
    filter_backends = [DemandFilterBackend]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        without_jit()  # the scope test inflates the cost estimates: see demands.paging

    def get_queryset(self) -> QuerySet[Demand]:
        qs = Demand.objects.visible_to(self.request.user).order_by("-created_at", "-id")
        if self.action == "list":  # the relations are loaded for the page's rows only (list())
            return qs
        qs = qs.select_related(*API_RELATED)
        if self.action == "retrieve":  # assists once for the names and the allowed actions
            qs = qs.prefetch_related(
                Prefetch("assists", queryset=DemandAssist.objects.select_related("unit")), "attachments"
            )
        return qs

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The page is found on the ids alone (filters and ordering, no joins), then its rows are read
        by primary key as plain values with the names they show (demands.listing)."""
        ids_qs = self.filter_queryset(self.get_queryset()).values_list("pk", flat=True)
        page = self.paginate_queryset(ids_qs)
        ids = list(page if page is not None else ids_qs)
        data = listing.rows(ids, request.user)  # as DemandListSerializer renders them (demands.listing)
        return self.get_paginated_response(data) if page is not None else Response(data)

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action == "retrieve":
            return DemandDetailSerializer
        if self.action == "create":
            return DemandCreateSerializer
        if self.action == "batch":
            return DemandBatchSerializer
        if self.action == "events":
            return EventSerializer
        if self.action == "perform_action":
            return ActionSerializer
        return DemandListSerializer

    @extend_schema(
        summary="提交诉求（12345 转办：同一 external_ref 返回同一诉求）",
        request=DemandCreateSerializer,
        responses={
            201: DemandDetailSerializer,
            200: OpenApiResponse(DemandDetailSerializer, description="该外部编号已提交过，返回原诉求"),
            **ERRORS,
        },
    )
    def create(self, request: Request) -> Response:
        payload = DemandCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            demand, created = services.submit_external(request.user, payload.submit_data())
        except services.ActionRefused as exc:
            raise refused(exc) from exc
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from exc
        if created:  # nothing to look up: a new demand has no assisting units or attachments yet
            demand._prefetched_objects_cache = {  # type: ignore[attr-defined]
                "assists": _known_empty(DemandAssist.objects.none()),
                "attachments": _known_empty(Attachment.objects.none()),
            }
            body = new_demand_body(demand, request.user)  # the serializer's answer as a plain dict
        else:
            body = DemandDetailSerializer(demand, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="批量提交诉求（12345 转办，每批至多 100 件，全部成功或全部不提交）",
        description=(
            "每件须有 external_ref，按它幂等：已提交过的返回原诉求（created=false）。任一件有误时一件也不提交，"
            "400 的 fields 按序号指出各件的错误，如 demands.3.title。每件的数据与单件提交相同。"
        ),
        request=DemandBatchSerializer,
        responses={
            201: OpenApiResponse(BatchResultSerializer, description="至少新建了一件"),
            200: OpenApiResponse(BatchResultSerializer, description="全部已提交过"),
            **ERRORS,
        },
    )
    @drf_action(detail=False, methods=["post"], url_path="batch", url_name="batch", pagination_class=None)
    def batch(self, request: Request) -> Response:
        payload = DemandBatchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)  # errors per item: fields "demands.<index>.<field>"
        items = [DemandCreateSerializer.to_submit_data(v) for v in payload.validated_data["demands"]]
        try:
            done = services.submit_batch(request.user, items)
        except services.BatchInvalid as exc:
            raise exceptions.ValidationError({"demands": {str(i): e for i, e in exc.errors.items()}}) from exc
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from exc
        created = sum(1 for r in done if r.created)
        body = {
            "created": created,
            "existing": len(done) - created,
            "results": [
                {
                    "index": i,
                    "id": r.demand.pk,
                    "number": r.demand.number,
                    "external_ref": r.demand.external_ref,
                    "status": r.demand.status,
                    "created": r.created,
                }
                for i, r in enumerate(done)
            ],
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="办理记录（企业用户只看到公开记录）", responses={200: EventSerializer(many=True), **ERRORS}
    )
    @drf_action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request: Request, pk: str | None = None) -> Response:
        demand = self.get_object()
        rows = demand.events.all()
        if getattr(request.user, "enterprise_id", None):
            rows = rows.filter(public=True)
        return Response(EventSerializer(rows, many=True).data)

    @extend_schema(
        summary="执行办理操作",
        description="action 取值：" + "、".join(ACTION_FIELDS),
        parameters=[
            OpenApiParameter("action", str, OpenApiParameter.PATH, enum=[*ACTION_FIELDS]),
        ],
        request=ActionSerializer,
        responses={200: DemandDetailSerializer, **ACTION_ERRORS},
    )
    @drf_action(
        detail=True, methods=["post"], url_path=r"actions/(?P<action_name>[a-z_]+)", url_name="action"
    )
    def perform_action(self, request: Request, pk: str | None = None, action_name: str = "") -> Response:
        demand = self.get_object()
        if action_name not in ACTION_FIELDS:
            raise exceptions.NotFound("没有该操作")
        payload = ActionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            demand = run_action(request.user, demand, action_name, dict(payload.validated_data))
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            ) from exc
        return Response(DemandDetailSerializer(demand, context=self.get_serializer_context()).data)
