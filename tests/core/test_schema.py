from __future__ import annotations

from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.test import Client


def test_openapi_schema_is_valid_and_complete() -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert "/api/v1/orgs/" in paths
    assert "apiToken" in schema["components"]["securitySchemes"]


@pytest.mark.django_db
def test_schema_and_docs_pages_are_served(county_dispatcher: object) -> None:
    client = Client()
    client.force_login(county_dispatcher)  # type: ignore[arg-type]
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs.content  # vendored, no CDN
