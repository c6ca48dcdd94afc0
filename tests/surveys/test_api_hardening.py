"""Regressions found by schemathesis: malformed questionnaire definitions answer 400 with the error shape
(not 500), and creating a questionnaire answers the documented 201."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from qinqing.surveys import services
from qinqing.surveys.models import Questionnaire
from tests.surveys.conftest import DEFINITION

pytestmark = pytest.mark.django_db


def _client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ([], "问卷定义应为 JSON 对象"),
        ("text", "问卷定义应为 JSON 对象"),
        (None, "该字段不能为 null。"),
        ({"sections": []}, "问卷至少需要一个部分"),
        ({"dimensions": 5, "sections": [{"questions": []}]}, "问卷定义格式有误"),
    ],
)
def test_malformed_definition_answers_400(designer: User, definition: Any, message: str) -> None:
    q = services.create_questionnaire(designer, "草稿问卷", DEFINITION)
    response = _client(designer).put(
        f"/api/v1/surveys/questionnaires/{q.pk}/definition/",
        {"definition": definition, "lock_version": q.lock_version},
        format="json",
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {"code": "invalid", "detail": "输入有误", "fields": {"definition": [message]}}
    q.refresh_from_db()
    assert q.definition == DEFINITION | {"title": "草稿问卷"}


def test_valid_definition_is_saved(designer: User) -> None:
    q = services.create_questionnaire(designer, "草稿问卷", DEFINITION)
    changed = copy.deepcopy(DEFINITION) | {"title": "新标题"}
    response = _client(designer).put(
        f"/api/v1/surveys/questionnaires/{q.pk}/definition/",
        {"definition": changed, "lock_version": q.lock_version},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["title"] == "新标题"


def test_create_answers_201_and_rejects_malformed_definition(designer: User) -> None:
    client = _client(designer)
    created = client.post("/api/v1/surveys/questionnaires/", {"title": "新问卷"}, format="json")
    assert created.status_code == 201
    assert Questionnaire.objects.get(pk=created.json()["id"]).title == "新问卷"
    bad = client.post(
        "/api/v1/surveys/questionnaires/", {"title": "坏问卷", "definition": ["x"]}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"definition": ["问卷定义应为 JSON 对象"]}
    assert not Questionnaire.objects.filter(title="坏问卷").exists()


def test_schema_documents_201_for_create() -> None:
    from drf_spectacular.generators import SchemaGenerator

    spec = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/v1/surveys/questionnaires/", "/api/v1/surveys/surveys/"):
        responses = spec["paths"][path]["post"]["responses"]
        assert "201" in responses and "200" not in responses, path
