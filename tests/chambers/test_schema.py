from __future__ import annotations

import pytest
from django.test import Client

from qinqing.accounts.models import User

pytestmark = pytest.mark.django_db


def test_every_chambers_endpoint_is_in_the_schema_with_its_errors(staff: User) -> None:
    c = Client()
    c.force_login(staff)
    schema = c.get("/api/schema/", {"format": "json"}).json()
    paths = {p: ops for p, ops in schema["paths"].items() if p.startswith("/api/v1/chambers/")}
    expected = {
        "/api/v1/chambers/organisations/", "/api/v1/chambers/organisations/{id}/",
        "/api/v1/chambers/organisations/{id}/revoke/", "/api/v1/chambers/applications/",
        "/api/v1/chambers/applications/{id}/", "/api/v1/chambers/applications/{id}/materials/",
        "/api/v1/chambers/applications/{id}/submit/", "/api/v1/chambers/applications/{id}/withdraw/",
        "/api/v1/chambers/applications/{id}/approve/", "/api/v1/chambers/applications/{id}/return/",
        "/api/v1/chambers/applications/{id}/refuse/", "/api/v1/chambers/certificates/",
        "/api/v1/chambers/certificates/{id}/", "/api/v1/chambers/campaigns/", "/api/v1/chambers/campaigns/{id}/",
        "/api/v1/chambers/campaigns/{id}/progress/", "/api/v1/chambers/campaigns/{id}/bulk/",
        "/api/v1/chambers/reports/", "/api/v1/chambers/reports/{id}/", "/api/v1/chambers/reports/{id}/save/",
        "/api/v1/chambers/reports/{id}/submit/", "/api/v1/chambers/reports/{id}/return/",
        "/api/v1/chambers/reports/{id}/conclude/", "/api/v1/chambers/reports/{id}/rectify/",
        "/api/v1/chambers/figures/", "/api/v1/chambers/verify/{serial}/",
    }  # fmt: skip
    assert set(paths) == expected
    for path, ops in paths.items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert "404" in codes, (path, method)
            if path != "/api/v1/chambers/verify/{serial}/":
                assert {"403", "404"} <= codes, (path, method)
    verify = paths["/api/v1/chambers/verify/{serial}/"]["get"]
    assert "429" in verify["responses"] and verify.get("security") in (None, [], [{}])  # no login
