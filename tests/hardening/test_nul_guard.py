"""NUL characters never reach a view (PostgreSQL refuses them in text columns: a 500 there, silently stored
on SQLite): ``core.nul.NulGuardMiddleware`` answers 400 for a NUL in the query string, a form field or
anywhere in a JSON body, and lets everything else through unchanged (Chinese, emoji, nested lists, a
literal backslash-u-0000 text, binary file contents)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from qinqing.core.nul import MESSAGE, nul_fields
from qinqing.surveys import services
from qinqing.surveys.models import Questionnaire
from tests.hardening.hostile import tally
from tests.surveys.conftest import DEFINITION, designer  # noqa: F401  (designer is a fixture)

HTML_PAGE = "/accounts/login/"
API = "/api/v1/surveys/questionnaires/"


def _api_refusal(response: Any, fields: list[str]) -> None:
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "code": "null_character",
        "detail": MESSAGE,
        "fields": {name: ["不能包含空字符"] for name in fields},
    }


def _html_refusal(response: Any) -> None:
    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert MESSAGE in response.content.decode()
    assert response["X-Request-ID"]  # the guard sits inside the request-context middleware


def test_query_string_nul_is_refused_on_pages_and_api() -> None:
    client = Client()
    _html_refusal(client.get(HTML_PAGE, {"next": "/x\x00"}))
    _html_refusal(client.get(HTML_PAGE + "?a%00b=1"))
    _api_refusal(client.get(API, {"search": "含\x00"}), ["search"])
    assert client.get(HTML_PAGE, {"next": "/demands/", "q": "企业😀%"}).status_code == 200
    tally("NUL bytes (middleware)", 3, 3)


def test_form_fields_with_nul_are_refused() -> None:
    client = Client()
    _html_refusal(client.post(HTML_PAGE, {"username": "a\x00", "password": "x"}))
    _api_refusal(client.post(API, {"title": "问卷\x00", "ok": "好"}), ["title"])
    _api_refusal(client.post(API, {"ti\x00tle": "问卷"}), ["ti\x00tle"])
    _api_refusal(
        client.patch(API + "1/", "title=%E9%97%AE%00", content_type="application/x-www-form-urlencoded"),
        ["title"],
    )
    tally("NUL bytes (middleware)", 4, 4)


def test_multipart_fields_are_checked_but_not_file_contents() -> None:
    factory = RequestFactory()
    binary = SimpleUploadedFile("a.xlsx", b"PK\x03\x04\x00\x00\x00binary\x00", content_type="application/zip")
    clean = factory.post("/x/", {"name": "名称😀", "file": binary})
    assert nul_fields(clean) is None
    upload = clean.FILES["file"]
    assert isinstance(upload, UploadedFile)
    assert upload.read() == b"PK\x03\x04\x00\x00\x00binary\x00"  # the view still gets it
    binary.seek(0)
    dirty = factory.post("/x/", {"name": "名\x00称", "file": binary})
    assert nul_fields(dirty) == ["name"]
    _html_refusal(Client().post(HTML_PAGE, {"username": "u\x00", "file": SimpleUploadedFile("a.txt", b"x")}))
    tally("NUL bytes (middleware)", 2, 2)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"title": "a\x00"}, ["title"]),
        ({"a": {"b": [1, {"c": ["ok", "x\x00"]}]}}, ["a.b.1.c.1"]),
        ({"k\x00ey": 1}, ["k\x00ey"]),
        (["ok", "\x00"], ["1"]),
        ("\x00", ["non_field_errors"]),
    ],
)
def test_json_bodies_with_escaped_nul_are_refused(body: Any, fields: list[str]) -> None:
    response = Client().post(API, json.dumps(body), content_type="application/json")
    _api_refusal(response, fields)
    tally("NUL bytes (middleware)", 1, 1)


def test_raw_nul_in_a_json_body_is_refused() -> None:
    response = Client().post(API, b'{"title": "a\x00"}', content_type="application/json; charset=utf-8")
    _api_refusal(response, ["non_field_errors"])
    tally("NUL bytes (middleware)", 1, 1)


@pytest.mark.parametrize(
    "body",
    [
        {"title": "政务服务😀𠮷", "nested": [[1, 2], {"k": ["全角ＡＢＣ", None, True]}]},
        {"title": "literal \\u0000 text"},  # a backslash, then u0000: no NUL
        {"title": "\\\x01"},
    ],
)
def test_legitimate_json_passes(body: Any) -> None:
    request = RequestFactory().post(API, json.dumps(body), content_type="application/json")
    assert nul_fields(request) is None
    assert json.loads(request.body) == body  # the body is still readable by the view


@pytest.mark.django_db
def test_surveys_definition_with_chinese_emoji_and_nested_lists_is_saved(designer: User) -> None:  # noqa: F811
    client = APIClient()
    client.force_authenticate(designer)
    q = services.create_questionnaire(designer, "草稿问卷", DEFINITION)
    changed = copy.deepcopy(DEFINITION) | {"title": "满意度😀𠮷＜问卷＞", "intro": "第一行\n第二行 \\u0000"}
    changed["sections"][0]["questions"][2]["options"][0]["label"] = "窗口🏢"
    response = client.put(
        f"{API}{q.pk}/definition/", {"definition": changed, "lock_version": q.lock_version}, format="json"
    )
    assert response.status_code == 200, response.content[:300]
    q.refresh_from_db()
    assert q.definition == changed
    created = client.post(API, {"title": "新问卷🎉", "definition": changed}, format="json")
    assert created.status_code == 201, created.content[:300]
    assert Questionnaire.objects.get(pk=created.json()["id"]).definition["intro"] == "第一行\n第二行 \\u0000"


@pytest.mark.django_db
def test_surveys_definition_with_nul_deep_inside_is_refused(designer: User) -> None:  # noqa: F811
    client = APIClient()
    client.force_authenticate(designer)
    q = services.create_questionnaire(designer, "草稿问卷", DEFINITION)
    bad = copy.deepcopy(DEFINITION)
    bad["sections"][0]["questions"][0]["text"] = "总体\x00满意度"
    response = client.put(
        f"{API}{q.pk}/definition/", {"definition": bad, "lock_version": q.lock_version}, format="json"
    )
    _api_refusal(response, ["definition.sections.0.questions.0.text"])
    q.refresh_from_db()
    assert q.definition == DEFINITION | {"title": "草稿问卷"}
    tally("NUL bytes (middleware)", 1, 1)
