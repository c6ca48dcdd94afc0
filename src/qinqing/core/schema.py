"""OpenAPI extensions: how our authentication classes appear in the schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "qinqing.accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "个人 API 令牌：Authorization: Bearer qq_…",
        }


def add_throttled_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Postprocessing hook: every operation may answer 429 (``ApiRateThrottle``) with Retry-After."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    error_ref = {"$ref": "#/components/schemas/Error"} if "Error" in schemas else {"type": "object"}
    throttled = {
        "description": "请求过于频繁（限流），Retry-After 秒后再试",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "秒"}},
        "content": {"application/json": {"schema": error_ref}},
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("429", throttled)
    return result
