"""Password policy (length, character classes, Chinese messages), change, expiry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from qinqing.accounts import services
from qinqing.accounts.models import User, UserSession
from qinqing.accounts.passwords import CharacterClassValidator, character_classes
from qinqing.audit.models import AuditAction, AuditEvent, AuditResult
from tests.accounts.conftest import login, page_text
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _messages(password: str, user: Any = None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def test_length_and_classes_in_chinese() -> None:
    assert _messages("Ab1!x") == ["密码长度不能少于8位"]
    assert _messages("qwzxmnbv7") == ["密码至少包含大写字母、小写字母、数字、特殊字符中的3类"]
    assert _messages("Qwzx-mnbv") == []
    assert _messages("qwzx-mnb7") == []
    assert _messages("QWZX7MNB#") == []


def test_similar_to_the_username_is_refused() -> None:
    assert _messages("Zhangsan-2026", User(username="zhangsan-2026")) == ["密码跟 用户名 太相似了。"]


def test_character_classes_counted() -> None:
    assert [character_classes(p) for p in ("abc", "aB", "aB1", "aB1-", "中文")] == [1, 2, 3, 4, 1]
    assert CharacterClassValidator(2).get_help_text() == "至少包含大写字母、小写字母、数字、特殊字符中的2类"


def test_change_password(dispatcher: User) -> None:
    with pytest.raises(ValidationError) as info:
        services.change_password(dispatcher, "Not-The-Pass-1", "New-Pass-2027")
    assert info.value.message_dict == {"old_password": ["原密码不正确"]}
    failed = AuditEvent.objects.get(action=AuditAction.PASSWORD_CHANGE)
    assert (failed.result, failed.detail) == (AuditResult.FAILURE, "原密码不正确")

    with pytest.raises(ValidationError) as info:
        services.change_password(dispatcher, PASSWORD, PASSWORD)
    assert info.value.message_dict == {"new_password": ["新密码不能与原密码相同"]}
    with pytest.raises(ValidationError) as info:
        services.change_password(dispatcher, PASSWORD, "short")
    assert info.value.message_dict == {
        "new_password": ["密码长度不能少于8位", "密码至少包含大写字母、小写字母、数字、特殊字符中的3类"]
    }
    dispatcher.refresh_from_db()
    assert dispatcher.check_password(PASSWORD)
    assert dispatcher.password_changed_at is None

    services.change_password(dispatcher, PASSWORD, "New-Pass-2027")
    dispatcher.refresh_from_db()
    assert dispatcher.check_password("New-Pass-2027")
    assert dispatcher.password_changed_at is not None
    assert (
        AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGE, result=AuditResult.SUCCESS).count() == 1
    )


def test_password_page_keeps_this_session_and_ends_the_others(dispatcher: User) -> None:
    here, elsewhere = Client(), Client(REMOTE_ADDR="10.4.4.4")
    login(here, dispatcher.username)
    login(elsewhere, dispatcher.username)
    data = {"old_password": PASSWORD, "new_password": "New-Pass-2027", "new_password2": "New-Pass-2027"}
    response = here.post("/accounts/password/", data, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/profile/"
    assert "密码已修改" in page_text(response)
    assert here.get("/").status_code == 200
    assert elsewhere.get("/")["Location"] == "/accounts/login/?next=/"
    row = UserSession.objects.get(user=dispatcher)
    assert row.session_key == here.cookies["sessionid"].value


def test_password_page_errors(dispatcher: User) -> None:
    client = Client()
    client.force_login(dispatcher)
    text = page_text(
        client.post(
            "/accounts/password/",
            {
                "old_password": "Wrong-Pass-1",
                "new_password": "New-Pass-2027",
                "new_password2": "New-Pass-2028",
            },
        )
    )
    assert "两次填写的新密码不一致" in text
    text = page_text(
        client.post(
            "/accounts/password/",
            {
                "old_password": "Wrong-Pass-1",
                "new_password": "New-Pass-2027",
                "new_password2": "New-Pass-2027",
            },
        )
    )
    assert "原密码不正确" in text


def test_expired_password_sends_the_user_to_the_password_page(settings: Any, dispatcher: User) -> None:
    settings.PASSWORD_MAX_AGE_DAYS = 90
    User.objects.filter(pk=dispatcher.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    client = Client()
    response = login(client, dispatcher.username, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/password/"
    assert "您的密码已超过有效期，请修改后继续使用。" in page_text(response)
    assert client.get("/orgs/")["Location"] == "/accounts/password/"
    api = client.get("/api/v1/me/")
    assert (api.status_code, api.json()) == (
        403,
        {"code": "password_expired", "detail": "密码已过期，请先修改密码"},
    )
    data = {"old_password": PASSWORD, "new_password": "New-Pass-2027", "new_password2": "New-Pass-2027"}
    client.post("/accounts/password/", data)
    assert client.get("/").status_code == 200


def test_password_within_its_age_is_fine(settings: Any, dispatcher: User) -> None:
    settings.PASSWORD_MAX_AGE_DAYS = 90
    User.objects.filter(pk=dispatcher.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=89))
    client = Client()
    assert login(client, dispatcher.username)["Location"] == "/"
    assert client.get("/").status_code == 200


def test_new_account_must_change_its_password(sysadmin: User) -> None:
    from tests.factories import unit

    services.create_user(
        sysadmin,
        username="first_timer",
        password="Start-Pass-2026",
        full_name="周八",
        unit=unit("昌吉市营商环境服务中心"),
        must_change_password=True,
    )
    client = Client()
    response = login(client, "first_timer", "Start-Pass-2026", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/password/"
    assert "首次登录或密码被重置后须修改密码。" in page_text(response)
    data = {
        "old_password": "Start-Pass-2026",
        "new_password": "Mine-Pass-2026",
        "new_password2": "Mine-Pass-2026",
    }
    client.post("/accounts/password/", data)
    assert User.objects.get(username="first_timer").must_change_password is False
    assert client.get("/").status_code == 200
