"""REST API for 包联 assignments, visits (with problems → demands), the problem ledger, escalation
proposals, meetings and coverage. Thin: the same services and queries as the pages."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qinqing.accounts.models import User
from qinqing.core.api import error_responses, int_param
from qinqing.core.permissions import HasCapability, require
from qinqing.demands.models import Category, Demand, DemandType
from qinqing.enterprises.models import Enterprise
from qinqing.investment.models import Project
from qinqing.liaison import queries, services
from qinqing.liaison.models import Assignment, EscalationProposal, Meeting, MeetingKind, Visit
from qinqing.orgs.models import Unit

ERRORS = error_responses(400, 403, 404)


@extend_schema_field(OpenApiTypes.INT)
class VisibleRelated(serializers.PrimaryKeyRelatedField):
    """A primary key narrowed by visible_to(request.user)."""

    def __init__(self, model: Any, **kwargs: Any) -> None:
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        return self.model.objects.visible_to(request.user if request else None)


class AssignmentSerializer(serializers.ModelSerializer):
    leader = VisibleRelated(User)
    enterprise = VisibleRelated(Enterprise, required=False, allow_null=True)
    project = VisibleRelated(Project, required=False, allow_null=True)
    commissioner = VisibleRelated(User, required=False, allow_null=True)
    task_force = VisibleRelated(User, many=True, required=False)
    leader_name = serializers.CharField(source="leader.__str__", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    level_label = serializers.CharField(read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "leader",
            "leader_name",
            "unit",
            "unit_name",
            "level",
            "level_label",
            "enterprise",
            "project",
            "commissioner",
            "task_force",
            "start_date",
            "end_date",
            "note",
            "created_at",
        ]
        read_only_fields = ["unit", "level", "created_at"]


@extend_schema_view(
    list=extend_schema(
        summary="包联关系",
        parameters=[OpenApiParameter("active", OpenApiTypes.BOOL, description="仅当前有效")],
    ),
    retrieve=extend_schema(summary="包联关系详情", responses={200: AssignmentSerializer, **ERRORS}),
    create=extend_schema(
        summary="新增包联（企业或已签约项目，二者选一）", responses={201: AssignmentSerializer, **ERRORS}
    ),
)
class AssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Assignment],
):
    serializer_class = AssignmentSerializer
    permission_classes = [IsAuthenticated, HasCapability("liaison.view")]

    def get_queryset(self) -> Any:
        qs = (
            Assignment.objects.visible_to(self.request.user)
            .select_related("leader", "unit")
            .prefetch_related("task_force")
            .order_by("level", "leader_id", "start_date", "id")
        )
        if self.request.query_params.get("active") in ("1", "true"):
            qs = qs.active_on(timezone.localdate())
        return qs

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        data.setdefault("task_force", [])
        serializer.instance = services.create_assignment(self.request.user, services.AssignmentData(**data))


class ProblemInSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    description = serializers.CharField()
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(is_active=True))
    demand_type = serializers.ChoiceField(choices=DemandType.choices, default=DemandType.HELP)


class ProblemOutSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    demand = serializers.IntegerField(source="demand_id")
    number = serializers.CharField(source="demand.number")
    title = serializers.CharField(source="demand.title")
    status = serializers.CharField(source="demand.status")


class VisitSerializer(serializers.ModelSerializer):
    enterprise = VisibleRelated(Enterprise)
    companions = VisibleRelated(User, many=True, required=False)
    problems = ProblemInSerializer(many=True, required=False, write_only=True)
    found = ProblemOutSerializer(source="problems", many=True, read_only=True)
    leader = VisibleRelated(User, required=False)
    contact_name = serializers.CharField(required=False, allow_blank=True, write_only=True)
    contact_phone = serializers.CharField(required=False, allow_blank=True, write_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "leader",
            "unit",
            "level",
            "enterprise",
            "assignment",
            "visited_on",
            "form",
            "companions",
            "companions_text",
            "topics",
            "situation",
            "problems",
            "found",
            "contact_name",
            "contact_phone",
            "created_at",
        ]
        read_only_fields = ["unit", "level", "assignment", "created_at"]


@extend_schema_view(
    list=extend_schema(summary="走访记录"),
    retrieve=extend_schema(
        summary="走访记录详情（含问题及其诉求）", responses={200: VisitSerializer, **ERRORS}
    ),
    create=extend_schema(
        summary="登记走访；每个问题生成一件“走访收集”诉求", responses={201: VisitSerializer, **ERRORS}
    ),
)
class VisitViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[Visit]
):
    serializer_class = VisitSerializer
    permission_classes = [IsAuthenticated, HasCapability("liaison.view")]

    def get_queryset(self) -> Any:
        return (
            Visit.objects.visible_to(self.request.user)
            .prefetch_related("companions", "problems__demand")
            .order_by("-visited_on", "-id")
        )

    def perform_create(self, serializer: Any) -> None:
        v = serializer.validated_data
        data = services.VisitData(
            enterprise=v["enterprise"],
            visited_on=v["visited_on"],
            form=v["form"],
            topics=v["topics"],
            situation=v.get("situation", ""),
            companions=v.get("companions", []),
            companions_text=v.get("companions_text", ""),
            problems=[services.ProblemData(**p) for p in v.get("problems", [])],
            contact_name=v.get("contact_name", ""),
            contact_phone=v.get("contact_phone", ""),
            leader=v.get("leader"),
        )
        serializer.instance = services.log_visit(self.request.user, data)


class LedgerSerializer(serializers.Serializer):
    visit = serializers.IntegerField(source="problem.visit_id")
    visited_on = serializers.DateField(source="problem.visit.visited_on")
    leader = serializers.CharField(source="problem.visit.leader.__str__")
    enterprise = serializers.CharField(source="problem.visit.enterprise.name")
    demand = serializers.IntegerField(source="problem.demand_id")
    number = serializers.CharField(source="demand.number")
    title = serializers.CharField(source="demand.title")
    unit = serializers.CharField(source="unit.name")
    progress = serializers.CharField()
    deadline = serializers.DateTimeField(allow_null=True)
    light = serializers.CharField()
    struck_off = serializers.BooleanField()


class LedgerView(APIView):
    permission_classes = [IsAuthenticated, HasCapability("liaison.view")]

    @extend_schema(
        summary="问题台账",
        parameters=[
            OpenApiParameter(
                "state", OpenApiTypes.STR, enum=["open", "struck", "all"], description="默认 open（未销号）"
            ),
            OpenApiParameter("leader", OpenApiTypes.INT),
            OpenApiParameter("unit", OpenApiTypes.INT, description="责任单位（含下级）"),
        ],
        responses={200: LedgerSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        user: Any = request.user
        filters: dict[str, Any] = {"state": request.query_params.get("state", "open")}
        if filters["state"] not in ("open", "struck", "all"):
            raise exceptions.ValidationError({"state": ["应为 open、struck 或 all"]})
        if request.query_params.get("leader"):
            leader = User.objects.visible_to(user).filter(pk=int_param(request, "leader")).first()
            if leader is None:
                raise exceptions.ValidationError({"leader": ["没有该领导"]})
            filters["leader"] = leader
        if request.query_params.get("unit"):
            unit = Unit.objects.subtree(user.scope_unit).filter(pk=int_param(request, "unit")).first()
            if unit is None:
                raise exceptions.ValidationError({"unit": ["请选择本辖区内的单位"]})
            filters["unit"] = unit
        return Response(LedgerSerializer(queries.ledger(user, **filters), many=True).data)


class ProposalSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="demand.number", read_only=True)
    from_unit_name = serializers.CharField(source="from_unit.name", read_only=True)
    to_unit_name = serializers.CharField(source="to_unit.name", read_only=True)

    class Meta:
        model = EscalationProposal
        fields = [
            "id",
            "demand",
            "number",
            "from_unit",
            "from_unit_name",
            "to_unit",
            "to_unit_name",
            "level",
            "reasons",
            "detail",
            "status",
            "automatic",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class DecideSerializer(serializers.Serializer):
    escalate = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


@extend_schema_view(
    list=extend_schema(summary="提级建议（三级联动）"), retrieve=extend_schema(summary="提级建议详情")
)
class ProposalViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[EscalationProposal]
):
    serializer_class = ProposalSerializer
    permission_classes = [IsAuthenticated, HasCapability("liaison.view")]

    def get_queryset(self) -> Any:
        return (
            EscalationProposal.objects.visible_to(self.request.user)
            .select_related("demand", "from_unit", "to_unit")
            .order_by("-created_at", "-id")
        )

    @extend_schema(
        summary="决定：提级或不予提级",
        request=DecideSerializer,
        responses={200: ProposalSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        s = DecideSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        proposal = self.get_object()
        p = services.decide_proposal(request.user, proposal.pk, **s.validated_data)
        return Response(ProposalSerializer(p).data)


class FollowUpInSerializer(serializers.Serializer):
    demand = VisibleRelated(Demand)
    action = serializers.CharField(max_length=500)
    lead_unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), required=False, allow_null=True
    )
    assisting_units = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), many=True, required=False
    )


class MeetingSerializer(serializers.ModelSerializer):
    demands = VisibleRelated(Demand, many=True, required=False)
    units_present = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), many=True, required=False)
    follow_ups = FollowUpInSerializer(many=True, required=False, write_only=True)
    kind = serializers.ChoiceField(choices=MeetingKind.choices)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "kind",
            "unit",
            "level",
            "title",
            "held_on",
            "location",
            "chair",
            "units_present",
            "demands",
            "decisions",
            "follow_ups",
            "created_at",
        ]
        read_only_fields = ["unit", "level", "created_at"]


@extend_schema_view(
    list=extend_schema(summary="协调会/联席会议"),
    retrieve=extend_schema(summary="会议详情", responses={200: MeetingSerializer, **ERRORS}),
    create=extend_schema(
        summary="记录会议；落实事项进入办理流程（交办或催办）", responses={201: MeetingSerializer, **ERRORS}
    ),
)
class MeetingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Meeting],
):
    serializer_class = MeetingSerializer
    permission_classes = [IsAuthenticated, HasCapability("liaison.view")]

    def get_queryset(self) -> Any:
        return (
            Meeting.objects.visible_to(self.request.user)
            .prefetch_related("units_present", "demands")
            .order_by("-held_on", "-id")
        )

    def perform_create(self, serializer: Any) -> None:
        v = serializer.validated_data
        data = services.MeetingData(
            kind=v["kind"],
            title=v["title"],
            held_on=v["held_on"],
            decisions=v["decisions"],
            location=v.get("location", ""),
            chair=v.get("chair", ""),
            units_present=v.get("units_present", []),
            demands=v.get("demands", []),
            follow_ups=[services.FollowUpData(**f) for f in v.get("follow_ups", [])],
        )
        serializer.instance = services.record_meeting(self.request.user, data)


class CoverageView(APIView):
    permission_classes = [IsAuthenticated, HasCapability("liaison.view")]

    @extend_schema(
        summary="包联覆盖：未包联企业数、未达最少包联数的领导、走访到期与逾期",
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        user: Any = request.user
        require(user, "liaison.view")
        today = timezone.localdate()
        s = queries.coverage_summary(user, today)
        return Response(
            {
                "enterprises": s.enterprises,
                "covered": s.covered,
                "coverage_rate": s.coverage_rate,
                "leaders_below_quota": [
                    {
                        "leader": r.leader.pk,
                        "name": str(r.leader),
                        "level": r.level,
                        "enterprises": r.enterprises,
                        "minimum": r.minimum,
                    }
                    for r in queries.leaders_below_quota(user, today)
                ],
                "visits_due": [
                    {
                        "assignment": r.assignment.pk,
                        "leader": str(r.assignment.leader),
                        "enterprise": r.assignment.enterprise.name if r.assignment.enterprise else "",
                        "last_visit": r.last_visit,
                        "due": r.due,
                        "state": r.state,
                    }
                    for r in queries.visits_due(user, today)
                ],
                "enterprises_without_leader": list(
                    queries.enterprises_without_leader(user, today).values("id", "name")[:500]
                ),
            }
        )
