"""API conventions: pagination and one JSON error shape.

Every error answers ``{"code": ..., "detail": "中文说明", "fields": {"field": ["message", ...]}}``
(``fields`` only for validation errors).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (≤ 500), answering ``{count, count_capped, next, previous, results}``.

    The count never costs a full ``COUNT(*)`` over a large table (a prefecture's 400,000 demands took a
    second): rows are counted up to ``count_cap`` + 1 only. Beyond the cap ``count`` is ``count_cap`` and
    ``count_capped`` is true. The page is read with one row more than it shows, which tells whether a
    next page exists, so every page stays reachable through ``next`` whatever the count.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    count_cap = 10_000

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        size = self.get_page_size(request)
        if not size:
            return None
        self.request = request
        raw = request.query_params.get(self.page_query_param) or "1"
        try:
            number = int(raw)
        except ValueError:
            number = 0
        # PostgreSQL's OFFSET is a bigint: ?page=10**20 failed there with "bigint out of range" (500)
        if number < 1 or (number - 1) * size > 2**62:
            raise exceptions.NotFound(self.invalid_page_message.format(page_number=raw, message=""))
        offset = (number - 1) * size
        rows = list(queryset[offset : offset + size + 1])
        self.has_next = len(rows) > size
        rows = rows[:size]
        if number > 1 and not rows:
            raise exceptions.NotFound(self.invalid_page_message.format(page_number=raw, message=""))
        self.number = number
        counted = queryset.order_by()[: self.count_cap + 1].count()
        self.count, self.capped = min(counted, self.count_cap), counted > self.count_cap
        return rows

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": self.count,
                "count_capped": self.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        out = super().get_paginated_response_schema(schema)
        out["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"true：匹配超过 {self.count_cap} 件，count 只计到 {self.count_cap}",
        }
        out["required"] = [*out.get("required", []), "count_capped"]
        return out

    def get_next_link(self) -> str | None:
        if not self.has_next or self.request is None:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.number + 1)

    def get_previous_link(self) -> str | None:
        if self.number <= 1 or self.request is None:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_html_context(self) -> Any:  # the browsable API's pager: previous and next only
        return {"previous_url": self.get_previous_link(), "next_url": self.get_next_link(), "page_links": []}


class ErrorSerializer(serializers.Serializer[Any]):
    """The shape of every API error (for the OpenAPI schema)."""

    code = serializers.CharField()
    detail = serializers.CharField()


# A field named "fields" cannot be a class attribute (it would shadow Serializer.fields), so it is declared
# directly; the schema then shows {"code", "detail", "fields": {field: [messages]}}.
ErrorSerializer._declared_fields["fields"] = serializers.DictField(
    child=serializers.ListField(child=serializers.CharField()), required=False, help_text="字段 → 错误信息"
)

STALE_MESSAGE = "该记录已被他人修改，请刷新后重试"
_ERROR_TEXT = {
    400: "输入有误（fields 指出字段）",
    401: "未登录或令牌无效",
    403: "无权执行此操作",
    404: "未找到，或无权访问",
}


def error_responses(*statuses: int, conflict: str = STALE_MESSAGE) -> dict[int, OpenApiResponse]:
    """The documented error responses for STATUSES (400, 401, 403, 404, 409), for ``extend_schema``'s
    ``responses``; CONFLICT is the 409's description (the app's stale-version message)."""
    texts = {**_ERROR_TEXT, 409: conflict}
    return {code: OpenApiResponse(ErrorSerializer, description=texts[code]) for code in statuses}


class Conflict(exceptions.APIException):
    """409: the object changed since the client read it (its version is stale). Apps with their own
    message or code subclass it."""

    status_code = 409
    default_code = "stale"
    default_detail = STALE_MESSAGE


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _flatten(value).items():
                    out[f"{key}.{sub}"] = msgs
            elif isinstance(value, list):
                out[str(key)] = [str(v) for v in value]
            else:
                out[str(key)] = [str(value)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


logger = logging.getLogger(__name__)

RETRY_AFTER_UNAVAILABLE = 5  # seconds


class Unavailable(exceptions.APIException):
    status_code = 503
    default_detail = "服务暂时不可用（数据库连接中断），请稍后重试"
    default_code = "unavailable"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler with the platform's error shape {"code", "detail"[, "fields"]}. A lost database
    connection (PostgreSQL restarting, a failover) answers 503 with Retry-After instead of a 500: the
    transaction was rolled back, so the client (the 12345 hotline's, say) may simply send it again."""
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning(
            "database unavailable: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        )
        response = drf_exception_handler(Unavailable(), context)
        assert response is not None
        response.data = {"code": Unavailable.default_code, "detail": str(Unavailable.default_detail)}
        response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("未找到，或无权访问")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "无权执行此操作")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"code": "invalid", "detail": "输入有误", "fields": _flatten(exc.detail)}
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = exc.get_codes() if not isinstance(detail, dict | list) else exc.default_code
        response.data = {"code": str(code), "detail": str(detail)}
    return response


def int_param(request: Any, name: str) -> int:
    """The query parameter NAME as a positive id, or a 400 {"fields": {NAME: ["须为整数编号"]}}."""
    raw = str(request.query_params.get(name, "")).strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:  # "²".isdigit() is true, int("²") fails
        raise exceptions.ValidationError({name: ["须为整数编号"]})
    return int(raw)
