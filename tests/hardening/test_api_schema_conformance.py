"""Responses conform to the OpenAPI schema (what schemathesis checks in CI as response_schema_conformance),
for the cases it found: a shared validator over the generated schema, and the regressions."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
from rest_framework.test import APIClient

from qinqing.enterprises.models import Enterprise
from tests.factories import EnterpriseFactory, unit


@cache
def openapi() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


def _to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 → JSON Schema: ``nullable`` becomes a union with null, references point at $defs."""
    if isinstance(node, list):
        return [_to_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_json_schema(v) for k, v in node.items() if k != "nullable"}
    if "$ref" in out:
        out["$ref"] = out["$ref"].replace("#/components/schemas/", "#/$defs/")
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def schema_errors(path: str, method: str, status: int, body: Any) -> list[str]:
    spec = openapi()
    response = spec["paths"][path][method]["responses"][str(status)]
    schema = _to_json_schema(response["content"]["application/json"]["schema"])
    schema["$defs"] = _to_json_schema(spec["components"]["schemas"])
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{list(e.path)}: {e.message[:200]}" for e in validator.iter_errors(body)]


def test_enterprise_without_a_division_conforms(make_user: Any) -> None:
    user = make_user("schema_user", unit_name="昌吉市营商环境服务中心", roles=["dispatcher"])
    e = EnterpriseFactory(registered_unit=unit("昌吉市"))
    Enterprise.objects.filter(pk=e.pk).update(industry_division="")
    client = APIClient()
    client.force_authenticate(user)
    listed = client.get("/api/v1/enterprises/")
    assert listed.status_code == 200
    assert listed.json()["results"][0]["industry_division"] == ""
    assert schema_errors("/api/v1/enterprises/", "get", 200, listed.json()) == []
    detail = client.get(f"/api/v1/enterprises/{e.pk}/")
    assert schema_errors("/api/v1/enterprises/{id}/", "get", 200, detail.json()) == []


def test_the_validator_reports_a_violation() -> None:
    body = {"count": 1, "next": None, "previous": None, "results": [{"id": "x"}]}
    errors = schema_errors("/api/v1/enterprises/", "get", 200, body)
    assert any("'x' is not of type 'integer'" in e for e in errors), errors
