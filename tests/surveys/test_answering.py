"""Answering pages and the public API: no login, resumable drafts, one response per token, open-link
duplicate protection, consent and its withdrawal, quotas."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from qinqing.accounts.models import User
from qinqing.surveys import answering, services
from qinqing.surveys.models import Draft, Invitation, Quota, Response, SealedResponse, Survey, TokenUse
from tests.factories import unit
from tests.surveys.conftest import ANSWERS, invite, make_survey

PAGE1 = {"q1": "5", "q2": "yes", "q3": "b", "q4__q4_1": "4", "q4__q4_2": "3"}
PAGE2 = {"q5": "2", "q6": "3"}
PAGE3 = {"q7": "窗口排队时间长", "q8": "4"}


def post(c: Client, url: str, page: int, data: dict[str, str], action: str = "next") -> Any:
    return c.post(url, {"page": str(page), "action": action, **data})


@pytest.fixture
def invited(survey: Survey, designer: User) -> list[tuple[Invitation, str]]:
    return invite(survey, designer, "昌吉市", 6)


def test_token_answering_needs_no_login_and_resumes_on_the_device(invited: list, survey: Survey) -> None:
    inv, token = invited[0]
    url = reverse("surveys:answer_token", args=[token])
    phone = Client()
    r = phone.get(url)
    assert r.status_code == 200
    assert "本调查<strong>匿名</strong>进行" in r.content.decode()
    assert reverse("surveys:optout", args=[token]) in r.content.decode()
    assert post(phone, url, 0, PAGE1).status_code == 302
    # leaves; comes back later on the same device: page 2 of 3, the earlier answers kept
    r = phone.get(url)
    assert "第 2 / 3 页" in r.content.decode()
    draft = Draft.objects.get(invitation=inv)
    assert draft.answers["q1"] == 5 and draft.page == 1
    assert Invitation.objects.get(pk=inv.pk).opened is True
    # another device with the same link starts its own draft (the draft id is in the device's cookie)
    other = Client()
    assert "第 1 / 2 页" in other.get(url).content.decode()  # nothing answered yet: 开办企业 not shown
    assert post(phone, url, 1, PAGE2).status_code == 302
    r = post(phone, url, 2, PAGE3, action="submit")
    assert r.status_code == 200 and "提交成功" in r.content.decode()
    assert TokenUse.objects.filter(invitation=inv).exists()
    assert Draft.objects.filter(invitation=inv).count() == 0  # both devices' drafts gone
    # the token cannot be used again, on any device
    assert "此邀请已提交过答卷" in phone.get(url).content.decode()
    assert "此邀请已提交过答卷" in other.get(url).content.decode()
    assert Session.objects.count() == 0  # no session was created for the respondent


def test_the_condition_branch_skips_the_hidden_section(invited: list) -> None:
    _, token = invited[0]
    url = reverse("surveys:answer_token", args=[token])
    c = Client()
    r = post(c, url, 0, {**PAGE1, "q2": "no", "q3": ""})
    assert r.status_code == 302
    r = c.get(url)
    assert "第 2 / 2 页" in r.content.decode()  # 开办企业 section hidden
    assert post(c, url, 1, PAGE3, action="submit").status_code == 200
    answering.release_sealed(force=True)
    response = Response.objects.get()
    assert "q3" not in response.answers and "q5" not in response.answers
    assert float(response.index) == pytest.approx((200 + 80 + 60) / 4)


def test_errors_are_shown_and_nothing_is_saved(invited: list) -> None:
    _, token = invited[0]
    url = reverse("surveys:answer_token", args=[token])
    c = Client()
    r = post(c, url, 0, {**PAGE1, "q3": ""})
    assert r.status_code == 400
    assert "此题为必答题" in r.content.decode()
    assert Draft.objects.get().answers == {}


def test_anonymous_responses_are_released_in_batches(
    invited: list, django_capture_on_commit_callbacks: Any
) -> None:
    for _, token in invited[:4]:
        url = reverse("surveys:answer_token", args=[token])
        c = Client()
        post(c, url, 0, PAGE1)
        post(c, url, 1, PAGE2)
        post(c, url, 2, PAGE3, action="submit")
    assert SealedResponse.objects.count() == 4 and Response.objects.count() == 0
    _, token = invited[4]
    with django_capture_on_commit_callbacks(execute=True):
        r = Client().post(
            reverse("api:survey-answer-token", args=[token]),
            data=json.dumps({"answers": ANSWERS, "submit": True}),
            content_type="application/json",
        )
    assert r.status_code == 201, r.content
    assert SealedResponse.objects.count() == 0 and Response.objects.count() == 5
    assert {str(r.submitted_on) for r in Response.objects.all()} == {
        str(Response.objects.first().submitted_on)
    }  # type: ignore[union-attr]


def test_public_api_resumes_and_refuses_a_second_use(invited: list) -> None:
    _, token = invited[0]
    url = reverse("api:survey-answer-token", args=[token])
    api = Client()
    r = api.get(url)
    assert r.status_code == 200 and r.json()["anonymous"] is True
    draft = r.json()["draft"]
    r = api.post(
        url,
        data=json.dumps({"draft": draft, "answers": {"q1": 5, "q2": "yes"}}),
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json()["fields"] == {"q3": ["此题为必答题"], "q4": ["此题为必答题"]}
    r = api.post(
        url,
        data=json.dumps({"draft": draft, "answers": {k: ANSWERS[k] for k in ("q1", "q2", "q3", "q4")}}),
        content_type="application/json",
    )
    assert r.json() == {"status": "saved", "draft": draft}
    assert api.get(url + f"?draft={draft}").json()["answers"]["q1"] == 5
    r = api.post(
        url, data=json.dumps({"draft": draft, "answers": {}, "submit": True}), content_type="application/json"
    )
    assert r.status_code == 400 and r.json()["code"] == "incomplete"
    rest = {k: ANSWERS[k] for k in ("q5", "q6", "q7", "q8")}
    r = api.post(
        url,
        data=json.dumps({"draft": draft, "answers": rest, "submit": True}),
        content_type="application/json",
    )
    assert r.status_code == 201
    r = api.post(url, data=json.dumps({"answers": ANSWERS, "submit": True}), content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "used"
    assert api.get(reverse("api:survey-answer-token", args=["nope"])).status_code == 404


def test_open_link_sets_a_done_cookie_and_rate_limits(survey: Survey) -> None:
    url = reverse("surveys:answer_open", args=[survey.open_slug, unit("阜康市").pk])
    c = Client()
    assert c.get(url).status_code == 200
    post(c, url, 0, PAGE1)
    post(c, url, 1, PAGE2)
    assert post(c, url, 2, PAGE3, action="submit").status_code == 200
    r = c.get(url)
    assert "本设备已提交过本调查的答卷" in r.content.decode()
    assert SealedResponse.objects.get().mode == "open"
    # a unit outside the survey
    assert (
        Client().get(reverse("surveys:answer_open", args=[survey.open_slug, unit("天山区").pk])).status_code
        == 403
    )


def test_open_link_new_drafts_are_rate_limited(survey: Survey, settings: Any) -> None:
    from qinqing.surveys import public_views

    url = reverse("surveys:answer_open", args=[survey.open_slug, unit("阜康市").pk])
    for _ in range(public_views.START_LIMIT):
        assert Client().get(url).status_code == 200
    r = Client().get(url)
    assert r.status_code == 429 and r["Retry-After"]


def test_attention_check_failure_is_kept_out_of_results(invited: list) -> None:
    _, token = invited[0]
    r = Client().post(
        reverse("api:survey-answer-token", args=[token]),
        data=json.dumps({"answers": {**ANSWERS, "q8": 2}, "submit": True}),
        content_type="application/json",
    )
    assert r.status_code == 201
    answering.release_sealed(force=True)
    response = Response.objects.get()
    assert response.valid is False and response.scores.count() == 0


def test_quota_stops_intake_when_full(survey: Survey, designer: User, invited: list) -> None:
    services.set_quota(designer, survey, unit("昌吉市"), "small", 2)
    api = Client()
    codes = []
    for _, token in invited[:3]:
        r = api.post(
            reverse("api:survey-answer-token", args=[token]),
            data=json.dumps({"answers": ANSWERS, "submit": True}),
            content_type="application/json",
        )
        codes.append((r.status_code, r.json().get("code")))
    assert codes == [(201, None), (201, None), (403, "quota")]
    assert Quota.objects.get().completed == 2
    assert TokenUse.objects.count() == 2  # the refused submission left nothing behind


def test_survey_closed_refuses_answers(survey: Survey, designer: User, invited: list) -> None:
    survey = services.transition(designer, survey, "closed", survey.lock_version)
    _, token = invited[0]
    r = Client().get(reverse("surveys:answer_token", args=[token]))
    assert r.status_code == 403 and "本调查未开放或已结束" in r.content.decode()


def test_named_survey_consent_recorded_and_withdrawn(designer: User, questionnaire: Any) -> None:
    survey = make_survey(
        designer, questionnaire, anonymous=False, title="实名回访调查", notice_version="2026-1"
    )
    (inv, token), *_ = invite(survey, designer, "玛纳斯县", 2)
    url = reverse("surveys:answer_token", args=[token])
    c = Client()
    r = c.get(url)
    assert "实名调查" in r.content.decode() and 'name="consent"' in r.content.decode()
    assert 'name="consent" id="consent" checked' not in r.content.decode()  # unticked
    r = post(c, url, 0, PAGE1)
    assert r.status_code == 400 and "请阅读告知书并勾选同意后再作答" in r.content.decode()
    post(c, url, 0, {**PAGE1, "consent": "on"})
    post(c, url, 1, PAGE2)
    post(c, url, 2, PAGE3, action="submit")
    response = Response.objects.get()
    assert (
        response.invitation_id == inv.pk
        and response.consent_notice == "2026-1"
        and response.consent_at is not None
    )
    r = c.get(url)
    assert reverse("surveys:withdraw", args=[token]) in r.content.decode()
    r = c.post(reverse("surveys:withdraw", args=[token]))
    assert "您的答卷已删除" in r.content.decode()
    assert Response.objects.count() == 0


def test_opt_out_stops_reminders(survey: Survey, designer: User, invited: list) -> None:
    inv, token = invited[0]
    assert Client().post(reverse("surveys:optout", args=[token])).status_code == 200
    assert Invitation.objects.get(pk=inv.pk).opted_out is True
    # the other five get a reminder, with a fresh token each; the opted-out one none
    assert services.send_invitations(designer, survey, reminder=True) == 5
    assert "已退订" in Client().get(reverse("surveys:answer_token", args=[token])).content.decode()


def test_staff_with_expired_password_is_not_needed_for_public_pages(invited: list) -> None:
    """The accounts middlewares let anonymous respondents through (they act only on signed-in users)."""
    _, token = invited[0]
    c = Client()
    for url in (
        reverse("surveys:answer_token", args=[token]),
        reverse("api:survey-answer-token", args=[token]),
    ):
        r = c.get(url)
        assert r.status_code == 200, url


def test_stale_drafts_expire(invited: list, survey: Survey) -> None:
    import datetime as dt

    from django.utils import timezone

    for _, token in invited[:2]:
        Client().get(reverse("surveys:answer_token", args=[token]))
    Draft.objects.filter(pk=Draft.objects.order_by("pk").first().pk).update(  # type: ignore[union-attr]
        updated_on=timezone.localdate() - dt.timedelta(days=61)
    )
    assert answering.expire_drafts() == 1
    assert Draft.objects.count() == 1
