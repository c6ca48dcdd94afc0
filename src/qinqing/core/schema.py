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


def _error(description: str, ref: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def add_throttled_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Postprocessing hook: the errors every operation can answer, where an app did not declare them.

    429 (``ApiRateThrottle``, with Retry-After) and 503 (the database connection lost, with Retry-After)
    everywhere; 401/403 where the operation needs credentials;
    404 where the path names an object (out of scope answers 404 too); 400 where the operation takes a
    body or query parameters (the exception handler's {"code", "detail", "fields"})."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    ref = {"$ref": "#/components/schemas/Error"} if "Error" in schemas else {"type": "object"}
    throttled = {
        **_error("请求过于频繁（限流），Retry-After 秒后再试", ref),
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "秒"}},
    }
    unavailable = {
        **_error("服务暂时不可用（数据库连接中断），Retry-After 秒后重试", ref),
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "秒"}},
    }
    default_security = result.get("security")
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses.setdefault("429", throttled)
            responses.setdefault("503", unavailable)
            security = operation.get("security", default_security) or []
            if any(requirement for requirement in security):
                responses.setdefault("401", _error("未登录或令牌无效", ref))
                responses.setdefault("403", _error("无权执行此操作", ref))
            pages = any(
                p.get("name") == "page" for p in operation.get("parameters", []) if isinstance(p, dict)
            )
            if "{" in path or pages:  # an object by id, or a page number past the end
                responses.setdefault("404", _error("未找到，或无权访问", ref))
            takes_input = "requestBody" in operation or any(
                p.get("in") == "query" for p in operation.get("parameters", []) if isinstance(p, dict)
            )
            if takes_input:
                responses.setdefault("400", _error("输入有误", ref))
            if any(p.get("in") == "query" for p in operation.get("parameters", []) if isinstance(p, dict)):
                # an over-long query string is refused by gunicorn before Django sees it
                responses.setdefault("414", {"description": "请求行过长"})
    return result
