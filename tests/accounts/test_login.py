"""Login, logout, sessions and idle timeout, with their audit rows."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from qinqing.accounts.middleware import LAST_SEEN
from qinqing.accounts.models import User, UserSession
from qinqing.audit.models import AuditAction, AuditEvent, AuditResult
from tests.accounts.conftest import login, page_text

pytestmark = pytest.mark.django_db


def test_login_page_has_the_form_fields() -> None:
    text = page_text(Client().get("/accounts/login/"))
    assert 'name="username"' in text
    assert 'name="password"' in text
    assert ">登录</button>" in text


def test_success_starts_a_new_session_and_records_it(dispatcher: User) -> None:
    client = Client()
    session = client.session
    session["probe"] = 1
    session.save()
    before_key = session.session_key
    client.cookies["sessionid"] = before_key
    response = login(client, dispatcher.username, HTTP_X_REQUEST_ID="req-login-ok")
    assert response.status_code == 302
    assert response["Location"] == "/"
    after_key = client.cookies["sessionid"].value
    assert after_key != before_key
    assert not Session.objects.filter(session_key=before_key).exists()
    row = UserSession.objects.get()
    assert (row.user_id, row.session_key, row.ip) == (dispatcher.pk, after_key, "127.0.0.1")
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert (event.actor_id, event.actor_name, event.result, event.ip, event.request_id) == (
        dispatcher.pk,
        dispatcher.username,
        AuditResult.SUCCESS,
        "127.0.0.1",
        "req-login-ok",
    )
    assert client.get("/").status_code == 200


def test_failure_is_audited_with_reason_ip_and_request_id(dispatcher: User) -> None:
    response = login(
        Client(REMOTE_ADDR="10.2.3.4"), dispatcher.username, "Wrong-Pass-1", HTTP_X_REQUEST_ID="req-bad"
    )
    assert "用户名或密码错误" in page_text(response)
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert (event.actor_id, event.result, event.detail, event.ip, event.request_id) == (
        dispatcher.pk,
        AuditResult.FAILURE,
        "密码错误",
        "10.2.3.4",
        "req-bad",
    )


def test_lockout_is_audited(dispatcher: User) -> None:
    client = Client(REMOTE_ADDR="10.2.3.5")
    for _ in range(5):
        login(client, dispatcher.username, "Wrong-Pass-1", HTTP_X_REQUEST_ID="req-lock")
    event = AuditEvent.objects.get(action=AuditAction.LOCKOUT)
    assert (event.actor_id, event.result, event.ip, event.request_id) == (
        dispatcher.pk,
        AuditResult.FAILURE,
        "10.2.3.5",
        "req-lock",
    )
    assert event.detail.startswith(f"连续登录失败，账号 {dispatcher.username} 自地址 10.2.3.5 锁定至 ")


def test_empty_fields_get_chinese_messages() -> None:
    text = page_text(Client().post("/accounts/login/", {"username": "", "password": ""}))
    assert "请填写用户名" in text
    assert "请填写密码" in text


def test_next_is_followed_only_within_the_site(dispatcher: User) -> None:
    client = Client()
    url = reverse("accounts:login")
    response = client.post(
        url, {"username": dispatcher.username, "password": "Test-Pass-2026", "next": "/orgs/"}
    )
    assert response["Location"] == "/orgs/"
    client.post(reverse("accounts:logout"))
    response = client.post(
        url, {"username": dispatcher.username, "password": "Test-Pass-2026", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_logout_is_post_only_flushes_the_session_and_is_audited(dispatcher: User) -> None:
    client = Client()
    login(client, dispatcher.username)
    key = client.cookies["sessionid"].value
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"), HTTP_X_REQUEST_ID="req-out")
    assert response["Location"] == "/accounts/login/"
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.exists()
    event = AuditEvent.objects.get(action=AuditAction.LOGOUT)
    assert (event.actor_id, event.ip, event.request_id) == (dispatcher.pk, "127.0.0.1", "req-out")
    assert client.get("/")["Location"] == "/accounts/login/?next=/"


def _set_last_seen(client: Client, seconds_ago: int) -> None:
    session = client.session
    session[LAST_SEEN] = int(time.time()) - seconds_ago
    session.save()


def test_idle_session_is_ended_and_the_login_page_says_why(dispatcher: User) -> None:
    client = Client()
    login(client, dispatcher.username)
    _set_last_seen(client, 31 * 60)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?timeout=1"
    assert "您已长时间未操作，为保障安全已自动退出，请重新登录。" in page_text(
        client.get(response["Location"])
    )
    assert client.get("/")["Location"] == "/accounts/login/?next=/"
    assert not UserSession.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.SESSION_TIMEOUT, actor=dispatcher).count() == 1


def test_activity_within_the_idle_limit_keeps_the_session(dispatcher: User) -> None:
    client = Client()
    login(client, dispatcher.username)
    _set_last_seen(client, 29 * 60)
    assert client.get("/").status_code == 200
    assert time.time() - client.session[LAST_SEEN] < 5  # the clock was refreshed
    assert "您已长时间未操作" not in page_text(Client().get("/accounts/login/"))


def test_signed_in_user_visiting_login_goes_home(dispatcher: User) -> None:
    client = Client()
    login(client, dispatcher.username)
    assert client.get("/accounts/login/")["Location"] == "/"
