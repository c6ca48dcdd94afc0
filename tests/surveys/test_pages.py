"""Staff pages and API: the builder, versions, import/export, surveys and fieldwork, interviewer entry."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.surveys.models import Draft, Invitation, LibraryQuestion, Questionnaire, SealedResponse, Survey
from tests.factories import unit
from tests.surveys.conftest import DEFINITION, enterprises


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def messages_of(resp: Any) -> list[str]:
    return [str(m) for m in resp.context["messages"]]


def test_builder_adds_moves_removes_and_validates(designer: User) -> None:
    c = client_for(designer)
    r = c.post(reverse("surveys:questionnaires"), {"title": "窗口服务问卷"})
    q = Questionnaire.objects.get(title="窗口服务问卷")
    assert r.status_code == 302
    edit = lambda action: reverse("surveys:questionnaire_edit", args=[q.pk, action])  # noqa: E731
    r = c.post(
        edit("question"),
        {
            "lock_version": q.lock_version,
            "section": "s1",
            "type": "scale5",
            "text": "总体满意度",
            "required": "on",
            "dimension": "efficiency",
            "weight": "2",
        },
        follow=True,
    )
    assert "已保存" in messages_of(r)
    q.refresh_from_db()
    c.post(
        edit("question"),
        {
            "lock_version": q.lock_version,
            "section": "s1",
            "type": "single",
            "text": "渠道",
            "options": "窗口\n网上",
            "cond_question": "q1",
            "cond_op": "lte",
            "cond_value": "2",
        },
    )
    q.refresh_from_db()
    questions = q.definition["sections"][0]["questions"]
    assert [x["id"] for x in questions] == ["q1", "q2"]
    assert questions[1]["condition"] == {"question": "q1", "op": "lte", "value": 2.0}
    assert questions[1]["options"] == [{"value": "a", "label": "窗口"}, {"value": "b", "label": "网上"}]
    # a condition on a later question is refused, nothing changes
    r = c.post(
        edit("section"),
        {
            "lock_version": q.lock_version,
            "title": "补充",
            "cond_question": "q9",
            "cond_op": "eq",
            "cond_value": "x",
        },
        follow=True,
    )
    assert any("只能引用前面的题目" in m for m in messages_of(r))
    # a stale form
    r = c.post(edit("up"), {"lock_version": 0, "question": "q2"}, follow=True)
    assert "该记录已被他人修改，请刷新后重试" in messages_of(r)
    # moving the conditional question above the one it depends on is refused
    r = c.post(edit("up"), {"lock_version": q.lock_version, "question": "q2"}, follow=True)
    assert messages_of(r) == ["第 1 部分第 1 题的显示条件只能引用前面的题目（q1）"]
    r = c.post(edit("remove"), {"lock_version": q.lock_version, "question": "q2"}, follow=True)
    assert messages_of(r) == ["已保存"]
    q.refresh_from_db()
    assert [x["id"] for x in q.definition["sections"][0]["questions"]] == ["q1"]
    r = c.post(edit("json"), {"lock_version": q.lock_version, "definition": "{bad"}, follow=True)
    assert any("JSON 格式有误" in m for m in messages_of(r))
    c.post(edit("to_library"), {"question": "q1"})
    assert LibraryQuestion.objects.get().question["text"] == "总体满意度"
    page = c.get(reverse("surveys:questionnaire", args=[q.pk]))
    assert page.status_code == 200 and "总体满意度" in page.content.decode()


def test_published_is_frozen_and_an_edit_is_a_new_version(
    designer: User, questionnaire: Questionnaire
) -> None:
    c = client_for(designer)
    r = c.post(
        reverse("surveys:questionnaire_edit", args=[questionnaire.pk, "remove"]),
        {"lock_version": questionnaire.lock_version, "question": "q1"},
        follow=True,
    )
    assert "已发布的问卷不可修改，请创建新版本" in messages_of(r)
    r = c.post(reverse("surveys:questionnaire_edit", args=[questionnaire.pk, "version"]))
    v2 = Questionnaire.objects.get(family=questionnaire.family, version=2)
    assert r["Location"] == reverse("surveys:questionnaire", args=[v2.pk])
    assert v2.status == "draft" and v2.definition == questionnaire.definition
    questionnaire.refresh_from_db()
    assert questionnaire.status == "published"


def test_json_export_and_import_round_trip(designer: User, questionnaire: Questionnaire) -> None:
    c = client_for(designer)
    data = c.get(reverse("surveys:questionnaire_export", args=[questionnaire.pk])).json()
    assert data["format"] == "qinqing.questionnaire/1" and data["sections"] == DEFINITION["sections"]
    upload = SimpleUploadedFile("q.json", json.dumps(data, ensure_ascii=False).encode(), "application/json")
    r = c.post(reverse("surveys:questionnaire_import"), {"file": upload})
    imported = Questionnaire.objects.exclude(pk=questionnaire.pk).get()
    assert r["Location"] == reverse("surveys:questionnaire", args=[imported.pk])
    assert imported.definition["sections"] == DEFINITION["sections"] and imported.version == 1
    bad = SimpleUploadedFile("q.json", b'{"sections": []}', "application/json")
    r = c.post(reverse("surveys:questionnaire_import"), {"file": bad}, follow=True)
    assert "问卷至少需要一个部分" in messages_of(r)


def test_phone_preview(designer: User, questionnaire: Questionnaire) -> None:
    c = client_for(designer)
    assert (
        "qs-phone"
        in c.get(reverse("surveys:questionnaire_preview", args=[questionnaire.pk])).content.decode()
    )
    frame = c.get(reverse("surveys:questionnaire_preview_frame", args=[questionnaire.pk])).content.decode()
    assert "开办企业便利程度" in frame and "<script>" not in frame


def test_create_survey_sample_invite_and_progress(designer: User, questionnaire: Questionnaire) -> None:
    enterprises("昌吉市", 4)
    c = client_for(designer)
    today = timezone.localdate()
    r = c.post(
        reverse("surveys:create"),
        {
            "title": "年度调查",
            "questionnaire": questionnaire.pk,
            "units": [unit("昌吉市").pk, unit("阜康市").pk],
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=30)).isoformat(),
            "audience": "enterprises",
            "anonymous": "on",
            "notice_version": "v1",
            "allow_invitation": "on",
            "strata_fields": ["scale"],
            "min_cell": "5",
        },
    )
    survey = Survey.objects.get(title="年度调查")
    assert r["Location"] == reverse("surveys:detail", args=[survey.pk])
    detail = c.get(r["Location"]).content.decode()
    assert "少于预算要求的 10 个" in detail
    r = c.post(
        reverse("surveys:action", args=[survey.pk, "sample"]),
        {"default_size": "3", "seed": "11"},
        follow=True,
    )
    assert "已抽取 3 家企业（随机种子 11）" in messages_of(r)
    r = c.post(reverse("surveys:action", args=[survey.pk, "invite"]), follow=True)
    assert "调查未开始，不能发送邀请" in messages_of(r)
    c.post(
        reverse("surveys:action", args=[survey.pk, "transition"]),
        {"to": "open", "lock_version": survey.lock_version},
    )
    r = c.post(reverse("surveys:action", args=[survey.pk, "invite"]), follow=True)
    assert "已排队发送 3 条邀请" in messages_of(r)
    c.post(
        reverse("surveys:action", args=[survey.pk, "quota"]),
        {"unit": unit("昌吉市").pk, "stratum": "small", "target": "2"},
    )
    page = c.get(reverse("surveys:detail", args=[survey.pk]))
    assert [(p.unit.name, p.invited, p.quota) for p in page.context["progress"]] == [("昌吉市", 3, 2)]


def test_qr_code_per_unit(designer: User, survey: Survey) -> None:
    r = client_for(designer).get(reverse("surveys:qr", args=[survey.pk, unit("昌吉市").pk]))
    assert r.status_code == 200 and r["Content-Type"] == "image/png" and r.content[:4] == b"\x89PNG"


def test_interviewer_entry(make_user: Any, survey: Survey) -> None:
    interviewer = make_user("sv_iv", unit_name="昌吉州营商环境服务中心", roles=[Role.INTERVIEWER])
    c = client_for(interviewer)
    assert survey.title in c.get(reverse("surveys:home")).content.decode()
    assert c.get(reverse("surveys:results", args=[survey.pk])).status_code == 403
    r = c.get(reverse("surveys:interview", args=[survey.pk]) + f"?unit={unit('阜康市').pk}&scale=medium")
    assert (
        r["Location"]
        == reverse("surveys:answer_interview", args=[survey.pk, unit("阜康市").pk]) + "?stratum=medium"
    )
    url = r["Location"]
    assert c.get(url).status_code == 200
    draft = Draft.objects.get()
    assert (draft.mode, draft.stratum) == ("interview", "medium")
    c.post(url, {"page": "0", "action": "next", "q1": "4", "q2": "no", "q4__q4_1": "4", "q4__q4_2": "4"})
    r = c.post(url, {"page": "1", "action": "submit", "q8": "4"})
    assert "录入下一份" in r.content.decode()
    sealed = SealedResponse.objects.get()
    assert (sealed.mode, sealed.stratum) == ("interview", "medium")
    assert Client().get(url).status_code == 302  # login required for the interviewer entry


def test_lists_have_constant_queries(
    designer: User, questionnaire: Questionnaire, django_assert_num_queries: Any
) -> None:
    from tests.surveys.conftest import make_survey

    for i in range(3):
        make_survey(designer, questionnaire, title=f"调查{i}")
    c = client_for(designer)
    c.get(reverse("surveys:home"))
    with django_assert_num_queries(4):  # session, the user with unit and roles, then the page's own
        c.get(reverse("surveys:home"))
    with django_assert_num_queries(4):  # session, the user with unit and roles, then the page's own
        c.get(reverse("surveys:questionnaires"))
    api = APIClient()
    api.force_authenticate(designer)
    with django_assert_num_queries(3):
        assert len(api.get(reverse("api:survey-list")).json()["results"]) == 3


def test_api_questionnaire_and_survey(designer: User) -> None:
    api = APIClient()
    api.force_authenticate(designer)
    r = api.post(
        reverse("api:survey-questionnaire-list"),
        {"title": "API问卷", "definition": DEFINITION},
        format="json",
    )
    assert r.status_code == 201
    qid = r.json()["id"]
    r = api.put(
        reverse("api:survey-questionnaire-definition", args=[qid]),
        {"definition": {"sections": []}, "lock_version": 0},
        format="json",
    )
    assert r.status_code == 400 and r.json()["fields"]["definition"] == ["问卷至少需要一个部分"]
    r = api.put(
        reverse("api:survey-questionnaire-definition", args=[qid]),
        {"definition": DEFINITION, "lock_version": 5},
        format="json",
    )
    assert r.status_code == 409
    assert api.post(reverse("api:survey-questionnaire-publish", args=[qid])).json()["status"] == "published"
    today = timezone.localdate()
    r = api.post(
        reverse("api:survey-list"),
        {
            "title": "API调查",
            "questionnaire": qid,
            "units": [unit("昌吉市").pk],
            "starts_on": str(today),
            "ends_on": str(today + dt.timedelta(days=9)),
            "strata_fields": ["scale"],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    sid = r.json()["id"]
    r = api.post(
        reverse("api:survey-list"),
        {
            "title": "x",
            "questionnaire": qid,
            "units": [unit("天山区").pk],
            "starts_on": str(today),
            "ends_on": str(today),
        },
        format="json",
    )
    assert r.status_code == 400 and r.json()["fields"]["units"] == ["只能选择本单位及下级单位"]
    enterprises("昌吉市", 2)
    r = api.post(reverse("api:survey-sample", args=[sid]), {"default_size": 5, "seed": 3}, format="json")
    assert r.json() == {"seed": 3, "drawn": 2}
    rows = api.get(reverse("api:survey-invitation-list") + f"?survey={sid}").json()["results"]
    assert [row["address_masked"][:7] for row in rows] == ["139****", "139****"]
    assert all("token" not in key for row in rows for key in row)
    assert Invitation.objects.count() == 2


def test_schema_lists_the_public_answering_api() -> None:
    schema = Client().get(reverse("schema"), HTTP_ACCEPT="application/json")
    text = schema.content.decode()
    assert (
        "/api/v1/surveys/answer/token/{token}/" in text
        and "/api/v1/surveys/answer/open/{slug}/{unit_id}/" in text
    )
    _ = io


def test_every_surveys_endpoint_is_in_the_schema_with_its_errors(designer: User) -> None:
    c = client_for(designer)
    schema = c.get("/api/schema/", {"format": "json"}).json()
    paths = {p: ops for p, ops in schema["paths"].items() if p.startswith("/api/v1/surveys/")}
    assert len(paths) >= 14
    for path, ops in paths.items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = set(op["responses"])
            assert codes & {"400", "403", "404", "409"}, (path, method, sorted(codes))
    public = paths["/api/v1/surveys/answer/token/{token}/"]["post"]
    assert {"201", "400", "404", "409", "429"} <= set(public["responses"])
