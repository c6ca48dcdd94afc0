"""REST API: questionnaires, surveys, invitations and results (staff), and the public answering API.

The answering endpoints need no login (AllowAny, no session authentication, so no CSRF token either):
an invitation token or an open link's slug is the authority, as on the pages. A client keeps the returned
``draft`` id to resume; ``submit: true`` submits.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qinqing.core import ratelimit
from qinqing.core.api import Conflict, ErrorSerializer, error_responses
from qinqing.core.permissions import HasCapability
from qinqing.enterprises.models import mask_mobile
from qinqing.orgs.models import Unit
from qinqing.surveys import answering, queries, schema, services
from qinqing.surveys.answering import AnswerError
from qinqing.surveys.models import Invitation, Mode, Questionnaire, Survey
from qinqing.surveys.stats import Estimate

ERRORS = error_responses(400, 403, 404, 409)


def _call(func: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except services.StaleError as exc:
        raise Conflict() from exc


# --- questionnaires ------------------------------------------------------------------------------
def _checked_definition(value: Any) -> Any:
    """A definition the services can store: a JSON object the parser accepts (a list, a string or an
    object of the wrong shapes would otherwise fail inside the service: 400 here instead of 500)."""
    try:
        schema.Definition.parse(value)
    except schema.DefinitionError as exc:
        raise serializers.ValidationError(str(exc)) from exc
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        raise serializers.ValidationError("问卷定义格式有误") from exc
    return value


class QuestionnaireSerializer(serializers.ModelSerializer[Questionnaire]):
    class Meta:
        model = Questionnaire
        fields = [
            "id",
            "family",
            "version",
            "title",
            "status",
            "definition",
            "lock_version",
            "created_at",
            "published_at",
        ]
        read_only_fields = ["family", "version", "status", "lock_version", "created_at", "published_at"]

    def validate_definition(self, value: Any) -> Any:
        # empty: the starter definition (services.create_questionnaire)
        return _checked_definition(value) if value else value


class DefinitionSerializer(serializers.Serializer[Any]):
    definition = serializers.JSONField()
    lock_version = serializers.IntegerField()

    def validate_definition(self, value: Any) -> Any:
        return _checked_definition(value)


@extend_schema_view(create=extend_schema(responses={201: QuestionnaireSerializer, **ERRORS}))
@extend_schema(responses={200: QuestionnaireSerializer, **ERRORS})
class QuestionnaireViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Questionnaire],
):
    serializer_class = QuestionnaireSerializer
    permission_classes = [HasCapability("surveys.view")]

    def get_queryset(self) -> Any:
        return Questionnaire.objects.visible_to(self.request.user).order_by("title", "version")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_questionnaire(
            self.request.user,
            serializer.validated_data["title"],
            serializer.validated_data.get("definition") or None,
        )

    @extend_schema(request=DefinitionSerializer, responses={200: QuestionnaireSerializer, **ERRORS})
    @action(detail=True, methods=["put"])
    def definition(self, request: Request, pk: str) -> Response:
        q = self.get_object()
        s = DefinitionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        q = _call(
            services.save_definition,
            request.user,
            q,
            s.validated_data["definition"],
            s.validated_data["lock_version"],
        )
        return Response(QuestionnaireSerializer(q).data)

    @extend_schema(request=None, responses={200: QuestionnaireSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        return Response(QuestionnaireSerializer(services.publish(request.user, self.get_object())).data)

    @extend_schema(request=None, responses={201: QuestionnaireSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request: Request, pk: str) -> Response:
        return Response(
            QuestionnaireSerializer(services.new_version(request.user, self.get_object())).data, status=201
        )

    @extend_schema(responses={200: OpenApiTypes.OBJECT, **ERRORS})
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> Response:
        return Response(services.export_json(self.get_object()))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: QuestionnaireSerializer, **ERRORS})
    @action(detail=False, methods=["post"], url_path="import")
    def import_(self, request: Request) -> Response:
        return Response(
            QuestionnaireSerializer(services.import_json(request.user, request.data)).data, status=201
        )


# --- surveys -------------------------------------------------------------------------------------
class SurveySerializer(serializers.ModelSerializer[Survey]):
    units = serializers.PrimaryKeyRelatedField(many=True, queryset=Unit.objects.all())

    class Meta:
        model = Survey
        fields = [
            "id", "title", "questionnaire", "units", "starts_on", "ends_on", "audience", "anonymous", "notice",
            "notice_version", "allow_invitation", "allow_open_link", "allow_interview", "open_slug",
            "strata_fields", "min_cell", "status", "lock_version",
        ]  # fmt: skip
        read_only_fields = ["open_slug", "status", "lock_version"]

    def validate_questionnaire(self, value: Questionnaire) -> Questionnaire:
        if not Questionnaire.objects.visible_to(self.context["request"].user).filter(pk=value.pk).exists():
            raise serializers.ValidationError("未找到该问卷")
        return value

    def validate_units(self, value: list[Unit]) -> list[Unit]:
        root = self.context["request"].user.scope_unit
        if any(not u.path.startswith(root.path) for u in value):
            raise serializers.ValidationError("只能选择本单位及下级单位")
        return value


class SurveyTransitionSerializer(serializers.Serializer[Any]):
    to = serializers.CharField()
    lock_version = serializers.IntegerField()


class SampleSerializer(serializers.Serializer[Any]):
    default_size = serializers.IntegerField(min_value=0)
    per_stratum = serializers.DictField(child=serializers.IntegerField(min_value=0), required=False)
    seed = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    quota = serializers.IntegerField(required=False, allow_null=True, min_value=0)


SampleResult = inline_serializer(
    "SurveySampleResult", {"seed": serializers.IntegerField(), "drawn": serializers.IntegerField()}
)
CountResult = inline_serializer("SurveyQueuedResult", {"queued": serializers.IntegerField()})


class EstimateSerializer(serializers.Serializer[Estimate]):
    n = serializers.SerializerMethodField()
    mean = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    suppressed = serializers.BooleanField()

    def get_n(self, obj: Estimate) -> int | None:
        return obj.shown_n


class UnitResultSerializer(serializers.Serializer[Any]):
    unit = serializers.IntegerField(source="unit.pk")
    unit_name = serializers.CharField(source="unit.display_name")
    rank = serializers.IntegerField(allow_null=True)
    overall = EstimateSerializer()
    dimensions = serializers.DictField(child=EstimateSerializer())
    responses = serializers.IntegerField(allow_null=True)
    response_rate = serializers.FloatField(allow_null=True)
    satisfaction = serializers.FloatField(allow_null=True)
    overlaps = serializers.ListField(child=serializers.CharField())


class ResultsSerializer(serializers.Serializer[Any]):
    k = serializers.IntegerField()
    total = EstimateSerializer()
    total_dimensions = serializers.DictField(child=EstimateSerializer())
    total_satisfaction = serializers.FloatField(allow_null=True)
    total_responses = serializers.IntegerField()
    units = UnitResultSerializer(many=True)


@extend_schema_view(create=extend_schema(responses={201: SurveySerializer, **ERRORS}))
@extend_schema(responses={200: SurveySerializer, **ERRORS})
class SurveyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[Survey]
):
    serializer_class = SurveySerializer
    permission_classes = [HasCapability("surveys.view")]

    def get_queryset(self) -> Any:
        return (
            Survey.objects.visible_to(self.request.user)
            .prefetch_related("units")
            .order_by("-starts_on", "-pk")
        )

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.create_survey(
            self.request.user, questionnaire=data.pop("questionnaire"), units=list(data.pop("units")), **data
        )

    @extend_schema(request=SurveyTransitionSerializer, responses={200: SurveySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        s = SurveyTransitionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        survey = _call(
            services.transition,
            request.user,
            self.get_object(),
            s.validated_data["to"],
            s.validated_data["lock_version"],
        )
        return Response(SurveySerializer(survey, context={"request": request}).data)

    @extend_schema(request=SampleSerializer, responses={201: SampleResult, **ERRORS})
    @action(detail=True, methods=["post"])
    def sample(self, request: Request, pk: str) -> Response:
        s = SampleSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        run = services.draw_sample(request.user, self.get_object(), **s.validated_data)
        return Response({"seed": run.seed, "drawn": run.drawn}, status=201)

    @extend_schema(request=None, responses={200: CountResult, **ERRORS})
    @action(detail=True, methods=["post"])
    def invite(self, request: Request, pk: str) -> Response:
        reminder = request.query_params.get("reminder") == "1"
        return Response(
            {"queued": services.send_invitations(request.user, self.get_object(), reminder=reminder)}
        )

    @extend_schema(responses={200: ResultsSerializer, **ERRORS})
    @action(detail=True, methods=["get"])
    def results(self, request: Request, pk: str) -> Response:
        survey = self.get_object()
        return Response(
            ResultsSerializer(queries.results(survey, queries.visible_units(survey, request.user))).data
        )


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    address_masked = serializers.SerializerMethodField()
    used = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = [
            "id",
            "survey",
            "unit",
            "enterprise",
            "stratum",
            "channel",
            "address_masked",
            "sent",
            "reminders",
            "opened",
            "opted_out",
            "used",
        ]

    def get_address_masked(self, obj: Invitation) -> str:
        return mask_mobile(obj.address) if obj.address else ""

    def get_used(self, obj: Invitation) -> bool:
        return bool(getattr(obj, "is_used", False))


@extend_schema(responses={200: InvitationSerializer, **ERRORS})
class InvitationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Invitation]
):
    """Invitations (the sample): who was invited and whether the token was used — never which answer."""

    serializer_class = InvitationSerializer
    permission_classes = [HasCapability("surveys.fieldwork")]
    filterset_fields = ["survey", "unit", "opted_out"]

    def get_queryset(self) -> Any:
        from django.db.models import Exists, OuterRef

        from qinqing.surveys.models import TokenUse

        return (
            Invitation.objects.visible_to(self.request.user)
            .annotate(is_used=Exists(TokenUse.objects.filter(invitation_id=OuterRef("pk"))))
            .order_by("pk")
        )


# --- public answering ------------------------------------------------------------------------------
class AnswerSerializer(serializers.Serializer[Any]):
    draft = serializers.UUIDField(required=False, allow_null=True, help_text="续答时传回上次返回的草稿编号")
    answers = serializers.DictField(
        help_text="题号 → 答案（单选为值，多选/排序为列表，矩阵为 {分项: 等级}，五级为 5…1）"
    )
    consent = serializers.BooleanField(required=False, default=False, help_text="实名调查：同意告知书")
    submit = serializers.BooleanField(required=False, default=False)


class QuestionnaireOut(serializers.Serializer[Any]):
    survey = serializers.IntegerField()
    title = serializers.CharField()
    anonymous = serializers.BooleanField()
    unit = serializers.IntegerField()
    definition = serializers.JSONField()
    draft = serializers.UUIDField()
    answers = serializers.DictField()


AnswerResult = inline_serializer(
    "SurveyAnswerResult", {"status": serializers.CharField(), "draft": serializers.UUIDField(allow_null=True)}
)
PUBLIC_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="答案有误（fields 中按题号列出）"),
    403: OpenApiResponse(ErrorSerializer, description="调查未开放、方式不允许、配额已满"),
    404: OpenApiResponse(ErrorSerializer, description="链接无效"),
    409: OpenApiResponse(ErrorSerializer, description="此邀请已提交过答卷"),
    429: OpenApiResponse(ErrorSerializer, description="操作过于频繁"),
}
_STATUS = {"used": 409, "invalid": 404, "gone": 409, "incomplete": 400, "consent": 400}


class _Public(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    def _error(self, exc: AnswerError) -> Response:
        return Response(
            {"code": exc.code, "detail": exc.message, "fields": {}}, status=_STATUS.get(exc.code, 403)
        )

    def _get(
        self, survey: Survey, unit_id: int, mode: str, request: Request, invitation: Invitation | None
    ) -> Response:
        try:
            draft = answering.open_draft(
                survey, unit_id, mode, request.query_params.get("draft"), invitation=invitation
            )
        except AnswerError as exc:
            return self._error(exc)
        return Response(
            {
                "survey": survey.pk,
                "title": survey.title,
                "anonymous": survey.anonymous,
                "unit": unit_id,
                "definition": survey.questionnaire.definition,
                "draft": str(draft.pk),
                "answers": draft.answers,
            }
        )

    def _post(
        self, survey: Survey, unit_id: int, mode: str, request: Request, invitation: Invitation | None
    ) -> Response:
        s = AnswerSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = s.validated_data
        draft_id = str(data["draft"]) if data.get("draft") else None
        if mode != Mode.INVITATION:
            limit = ratelimit.hit(
                "surveys:api-submit", getattr(request, "client_ip", None) or "-", limit=600, window=3600
            )
            if not limit.allowed:
                return ratelimit.too_many(limit, request)  # type: ignore[return-value]
        try:
            draft = answering.open_draft(survey, unit_id, mode, draft_id, invitation=invitation)
            errors = answering.save_all(draft, data["answers"], consent=data["consent"])
            if errors:
                return Response(
                    {
                        "code": "invalid",
                        "detail": "输入有误",
                        "fields": {k: [v] for k, v in errors.items()},
                        "draft": str(draft.pk),
                    },
                    status=400,
                )
            if not data["submit"]:
                return Response({"status": "saved", "draft": str(draft.pk)})
            answering.submit(draft.pk)
        except AnswerError as exc:
            return self._error(exc)
        return Response({"status": "submitted", "draft": None}, status=201)


class TokenAnswerView(_Public):
    def _invitation(self, token: str) -> Invitation:
        try:
            inv = answering.invitation_for(token)
        except AnswerError as exc:
            raise exceptions.NotFound(exc.message) from exc
        if inv.opted_out:
            raise exceptions.NotFound("已退订")
        return inv

    @extend_schema(responses={200: QuestionnaireOut, **PUBLIC_ERRORS}, auth=[])
    def get(self, request: Request, token: str) -> Response:
        inv = self._invitation(token)
        services.mark_opened(inv)
        return self._get(inv.survey, inv.unit_id, Mode.INVITATION, request, inv)

    @extend_schema(
        request=AnswerSerializer, responses={200: AnswerResult, 201: AnswerResult, **PUBLIC_ERRORS}, auth=[]
    )
    def post(self, request: Request, token: str) -> Response:
        inv = self._invitation(token)
        return self._post(inv.survey, inv.unit_id, Mode.INVITATION, request, inv)


class OpenAnswerView(_Public):
    def _survey(self, slug: str) -> Survey:
        return get_object_or_404(
            Survey.objects.select_related("questionnaire"), open_slug=slug, allow_open_link=True
        )

    @extend_schema(responses={200: QuestionnaireOut, **PUBLIC_ERRORS}, auth=[])
    def get(self, request: Request, slug: str, unit_id: int) -> Response:
        return self._get(self._survey(slug), unit_id, Mode.OPEN, request, None)

    @extend_schema(
        request=AnswerSerializer, responses={200: AnswerResult, 201: AnswerResult, **PUBLIC_ERRORS}, auth=[]
    )
    def post(self, request: Request, slug: str, unit_id: int) -> Response:
        return self._post(self._survey(slug), unit_id, Mode.OPEN, request, None)
