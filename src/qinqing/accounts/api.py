"""Accounts API: the current user, one's own API tokens, and the users an administrator manages."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from qinqing.accounts import services
from qinqing.accounts.models import ApiToken, User
from qinqing.accounts.reauth import reauth_required
from qinqing.accounts.roles import Role
from qinqing.core import ratelimit
from qinqing.core.api import ErrorSerializer, error_responses
from qinqing.core.permissions import HasCapability
from qinqing.enterprises.models import mask_mobile

ERRORS = error_responses(401, 403)


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MeSerializer(serializers.ModelSerializer[User]):
    unit = RefSerializer(allow_null=True)
    enterprise = RefSerializer(allow_null=True)
    roles = serializers.SerializerMethodField()
    role_labels = serializers.ListField(child=serializers.CharField(), read_only=True)
    totp_enabled = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "title",
            "unit",
            "enterprise",
            "roles",
            "role_labels",
            "totp_enabled",
        ]

    def get_roles(self, obj: User) -> list[str]:
        return [code for code in Role.values if code in obj.role_codes]

    def get_totp_enabled(self, obj: User) -> bool:
        return obj.totp_confirmed_at is not None


class UserSerializer(MeSerializer):
    mobile = serializers.SerializerMethodField(help_text="脱敏手机号（138****1234）")

    class Meta(MeSerializer.Meta):
        fields = [*MeSerializer.Meta.fields, "mobile", "is_active", "last_login", "date_joined"]

    def get_mobile(self, obj: User) -> str:
        return mask_mobile(obj.mobile) if obj.mobile else ""


@extend_schema(tags=["accounts"])
class MeView(APIView):
    """The signed-in user (session or API token)."""

    @extend_schema(responses={200: MeSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        user = (
            User.objects.select_related("unit", "enterprise")
            .prefetch_related("role_rows")
            .get(pk=request.user.pk or 0)
        )
        return Response(MeSerializer(user).data)


class TokenSerializer(serializers.ModelSerializer[ApiToken]):
    is_live = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "key_prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "is_live",
        ]
        read_only_fields = ["key_prefix", "created_at", "last_used_at", "revoked_at"]

    def get_is_live(self, obj: ApiToken) -> bool:
        from django.utils import timezone

        return obj.revoked_at is None and (obj.expires_at is None or obj.expires_at > timezone.now())


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class NewTokenSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="令牌原文，只在创建时返回一次")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]


@extend_schema(tags=["accounts"])
@extend_schema_view(
    list=extend_schema(responses={200: TokenSerializer(many=True), **ERRORS}),
    create=extend_schema(
        request=TokenCreateSerializer,
        responses={
            201: NewTokenSerializer,
            400: OpenApiResponse(ErrorSerializer, description="输入有误"),
            **ERRORS,
        },
        description=(
            "创建令牌：响应中的 token 只返回这一次。须以会话登录创建（不能用令牌创建令牌），"
            "且须在 REAUTH_MINUTES 分钟内确认过身份，否则 403 code=reauth_required。"
        ),
    ),
    destroy=extend_schema(
        responses={204: None, 404: OpenApiResponse(ErrorSerializer, description="未找到"), **ERRORS},
        description="吊销令牌（记录保留，立即失效）。",
    ),
)
class TokenViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[ApiToken],
):
    """The signed-in user's own API tokens."""

    serializer_class = TokenSerializer

    def get_queryset(self) -> Any:
        return ApiToken.objects.filter(user_id=self.request.user.pk or 0).order_by("-created_at", "-pk")

    def get_serializer_class(self) -> Any:
        return TokenCreateSerializer if self.action == "create" else TokenSerializer

    @reauth_required("创建 API 令牌")
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if isinstance(request.auth, ApiToken):
            raise PermissionDenied("请使用会话登录后创建令牌，不能用令牌创建令牌")
        user = request.user
        assert isinstance(user, User)
        if (refused := ratelimit.check("token:user", str(user.pk))) is not None:
            raise Throttled(
                wait=refused.retry_after, detail=f"创建令牌过于频繁，请 {refused.retry_after} 秒后再试"
            )
        serializer = TokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, raw = services.create_token(
            user, serializer.validated_data["name"], serializer.validated_data.get("expires_at")
        )
        data = {**TokenSerializer(token).data, "token": raw}
        return Response(data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        assert isinstance(user, User)
        services.revoke_token(user, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices, field_name="role_rows__role", label="角色")
    unit = django_filters.NumberFilter(field_name="unit_id", label="所属单位")
    enterprise = django_filters.NumberFilter(field_name="enterprise_id", label="所属企业")

    class Meta:
        model = User
        fields = ["is_active", "role", "unit", "enterprise"]


@extend_schema(tags=["accounts"])
@extend_schema_view(
    list=extend_schema(responses={200: UserSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(
        responses={200: UserSerializer, 404: OpenApiResponse(ErrorSerializer, description="未找到"), **ERRORS}
    ),
)
class UserViewSet(viewsets.ReadOnlyModelViewSet[User]):
    """Users within the caller's scope; for the system administrator and the security administrator."""

    serializer_class = UserSerializer
    filterset_class = UserFilter
    permission_classes = [HasCapability("users.manage") | HasCapability("roles.manage")]

    def get_queryset(self) -> Any:
        return (
            User.objects.visible_to(self.request.user)
            .select_related("unit", "enterprise")
            .prefetch_related("role_rows")
            .order_by("username")
        )
