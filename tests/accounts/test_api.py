"""API: /me/, own tokens, Bearer authentication, the users list and detail."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from qinqing.accounts import services
from qinqing.accounts.models import ApiToken, User
from qinqing.accounts.roles import Role
from qinqing.audit.models import AuditAction, AuditEvent
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def test_me_with_session(dispatcher: User) -> None:
    client = APIClient()
    client.force_login(dispatcher)
    data = client.get("/api/v1/me/").json()
    assert data == {
        "id": dispatcher.pk,
        "username": "changji_dispatcher",
        "full_name": "changji_dispatcher",
        "title": "",
        "unit": {"id": dispatcher.unit_id, "name": "昌吉市营商环境服务中心"},
        "enterprise": None,
        "roles": ["dispatcher"],
        "role_labels": ["调度员"],
        "totp_enabled": False,
    }


def test_me_for_an_enterprise_user(make_user: Callable[..., User]) -> None:
    ent = EnterpriseFactory(name="天山测试有限公司")
    user = make_user("ent_me", enterprise=ent, roles=[Role.ENTERPRISE])
    client = APIClient()
    client.force_login(user)
    data = client.get("/api/v1/me/").json()
    assert (data["unit"], data["enterprise"], data["roles"]) == (
        None,
        {"id": ent.pk, "name": "天山测试有限公司"},
        ["enterprise"],
    )


def test_anonymous_gets_a_json_error() -> None:
    response = APIClient().get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


# --- tokens ----------------------------------------------------------------------------------------
def test_token_service_stores_only_the_digest(dispatcher: User) -> None:
    token, raw = services.create_token(dispatcher, " 对接系统 ")
    assert raw.startswith("qq_")
    assert token.name == "对接系统"
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.key_prefix == raw[:12]
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in {str(v) for v in stored.values()}
    assert AuditEvent.objects.get(action=AuditAction.TOKEN).detail == "创建 API 令牌"


def test_token_service_validation(dispatcher: User) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        services.create_token(dispatcher, "  ")
    assert info.value.message_dict == {"name": ["请填写令牌名称"]}
    with pytest.raises(ValidationError) as info:
        services.create_token(dispatcher, "过去", timezone.now() - dt.timedelta(minutes=1))
    assert info.value.message_dict == {"expires_at": ["过期时间必须晚于当前时间"]}
    assert not ApiToken.objects.exists()


def test_bearer_token_works_until_revoked(dispatcher: User) -> None:
    token, raw = services.create_token(dispatcher, "对接")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.get("/api/v1/me/")
    assert (response.status_code, response.json()["username"]) == (200, dispatcher.username)
    token.refresh_from_db()
    assert token.last_used_at is not None

    services.revoke_token(dispatcher, token)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {"code": "authentication_failed", "detail": "令牌无效、已过期或已吊销"}
    assert response["WWW-Authenticate"] == "Bearer"
    details = list(
        AuditEvent.objects.filter(action=AuditAction.TOKEN).order_by("id").values_list("detail", flat=True)
    )
    assert details == ["创建 API 令牌", "吊销 API 令牌"]


def test_expired_and_malformed_tokens_are_refused(dispatcher: User) -> None:
    token, raw = services.create_token(dispatcher, "短期", timezone.now() + dt.timedelta(hours=1))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert client.get("/api/v1/me/").json() == {"code": "authentication_failed", "detail": "令牌格式错误"}


def test_token_of_a_disabled_user_is_refused(dispatcher: User, sysadmin: User) -> None:
    _, raw = services.create_token(dispatcher, "对接")
    services.set_active(sysadmin, dispatcher, False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me/").status_code == 401


def test_tokens_api_create_list_revoke(dispatcher: User, make_user: Callable[..., User]) -> None:
    client = APIClient()
    client.force_login(dispatcher)
    response = client.post("/api/v1/tokens/", {"name": "数据同步"}, format="json")
    assert response.status_code == 201
    created = response.json()
    raw = created["token"]
    assert ApiToken.objects.get(pk=created["id"]).key_hash == hashlib.sha256(raw.encode()).hexdigest()
    listed = client.get("/api/v1/tokens/").json()
    assert listed["count"] == 1
    assert "token" not in listed["results"][0]
    assert listed["results"][0]["is_live"] is True

    bad = client.post("/api/v1/tokens/", {"name": ""}, format="json")
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"
    assert list(bad.json()["fields"]) == ["name"]

    # a token cannot mint tokens
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    refused = bearer.post("/api/v1/tokens/", {"name": "再来一个"}, format="json")
    assert refused.status_code == 403
    assert refused.json() == {
        "code": "permission_denied",
        "detail": "请使用会话登录后创建令牌，不能用令牌创建令牌",
    }

    # someone else's token is not found; one's own is revoked
    other = make_user("other_user", unit_name="昌吉市营商环境服务中心", roles=[Role.HANDLER])
    other_token, _ = services.create_token(other, "别人的")
    assert client.delete(f"/api/v1/tokens/{other_token.pk}/").status_code == 404
    assert client.delete(f"/api/v1/tokens/{created['id']}/").status_code == 204
    again = client.delete(f"/api/v1/tokens/{created['id']}/")
    assert (again.status_code, again.json()["code"]) == (400, "invalid")
    assert bearer.get("/api/v1/me/").status_code == 401


def test_profile_page_shows_a_new_token_once(dispatcher: User) -> None:
    from django.test import Client

    client = Client()
    client.force_login(dispatcher)
    response = client.post(
        "/accounts/tokens/", {"name": "报表系统", "valid_days": "90"}, HTTP_HX_REQUEST="true"
    )
    text = response.content.decode()
    token = ApiToken.objects.get()
    assert text.startswith('<div class="card" id="tokens">')
    raw = text.split('<code class="user-select-all fs-6">')[1].split("</code>")[0]
    assert hashlib.sha256(raw.encode()).hexdigest() == token.key_hash
    assert token.expires_at is not None
    assert 89 <= (token.expires_at - timezone.now()).days <= 90
    page = client.get("/accounts/profile/").content.decode()
    assert raw not in page
    assert "报表系统" in page
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert "已吊销令牌“报表系统”" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None


# --- users -----------------------------------------------------------------------------------------
def _make_staff(make_user: Callable[..., User], count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        make_user(f"api_staff{i:02d}", unit_name="昌吉市营商环境服务中心", roles=[Role.HANDLER, Role.LEADER])


def test_users_api_query_count_is_constant(
    sysadmin: User, make_user: Callable[..., User], django_assert_num_queries: Any
) -> None:
    client = APIClient()
    client.force_login(sysadmin)
    _make_staff(make_user, 5)
    client.get("/api/v1/me/")  # the first request stamps the idle clock into the session (one write)
    # session, the user with unit and roles (accounts.authentication.UserBackend), then the list's own
    with django_assert_num_queries(5):
        five = client.get("/api/v1/users/").json()
    _make_staff(make_user, 15, start=5)
    with django_assert_num_queries(5):
        twenty = client.get("/api/v1/users/").json()
    assert (five["count"], twenty["count"]) == (6, 21)
    row = next(r for r in twenty["results"] if r["username"] == "api_staff00")
    assert row["roles"] == ["handler", "leader"]
    assert row["unit"]["name"] == "昌吉市营商环境服务中心"


def test_users_api_scope_filters_and_masking(
    secadmin: User, dispatcher: User, make_user: Callable[..., User]
) -> None:
    outside = make_user("urumqi_user", unit_name="乌鲁木齐市招商服务局", roles=[Role.HANDLER])
    User.objects.filter(pk=dispatcher.pk).update(mobile="13812345678")
    client = APIClient()
    client.force_login(secadmin)
    detail = client.get(reverse("api:user-detail", args=[dispatcher.pk])).json()
    assert (detail["username"], detail["mobile"], detail["is_active"]) == (
        dispatcher.username,
        "138****5678",
        True,
    )
    missing = client.get(reverse("api:user-detail", args=[outside.pk]))
    assert (missing.status_code, missing.json()) == (
        404,
        {"code": "not_found", "detail": "未找到，或无权访问"},
    )
    names = [r["username"] for r in client.get("/api/v1/users/", {"role": "dispatcher"}).json()["results"]]
    assert names == [dispatcher.username]


def test_users_api_is_for_the_two_account_administrators(dispatcher: User, auditadmin: User) -> None:
    for user in (dispatcher, auditadmin):
        client = APIClient()
        client.force_login(user)
        response = client.get("/api/v1/users/")
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
