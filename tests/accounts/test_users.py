"""Account management: create, enable/disable (ends sessions), roles with 三员分立, the users page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from qinqing.accounts import services
from qinqing.accounts.models import User, UserRole, UserSession
from qinqing.accounts.roles import Role
from qinqing.audit.models import AuditAction, AuditEvent
from tests.accounts.conftest import login, page_text
from tests.factories import PASSWORD, EnterpriseFactory, unit

pytestmark = pytest.mark.django_db


# --- enable / disable ------------------------------------------------------------------------------
def test_disabling_a_user_ends_their_sessions(sysadmin: User, dispatcher: User) -> None:
    laptop, phone = Client(), Client(REMOTE_ADDR="10.3.3.3")
    login(laptop, dispatcher.username)
    login(phone, dispatcher.username)
    assert laptop.get("/").status_code == 200
    keys = set(UserSession.objects.filter(user=dispatcher).values_list("session_key", flat=True))
    assert len(keys) == 2

    services.set_active(sysadmin, dispatcher, False)

    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=dispatcher).exists()
    assert laptop.get("/")["Location"] == "/accounts/login/?next=/"
    assert phone.get("/api/v1/me/").status_code == 403
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(dispatcher.pk))
    assert (event.actor_id, event.changes, event.detail) == (
        sysadmin.pk,
        {"is_active": [True, False]},
        "停用账号",
    )
    # and the password no longer works
    assert "用户名或密码错误" in page_text(login(Client(), dispatcher.username))

    services.set_active(sysadmin, dispatcher, True)
    assert login(Client(), dispatcher.username).status_code == 302


def test_disable_page_and_its_limits(sysadmin: User, dispatcher: User, secadmin: User) -> None:
    client = Client()
    client.force_login(sysadmin)
    response = client.post(f"/accounts/users/{dispatcher.pk}/active/", {"active": "0"}, follow=True)
    assert f"已停用用户 {dispatcher.username}" in page_text(response)
    dispatcher.refresh_from_db()
    assert dispatcher.is_active is False
    response = client.post(f"/accounts/users/{sysadmin.pk}/active/", {"active": "0"}, follow=True)
    assert "不能停用自己的账号" in page_text(response)
    # the security administrator does not manage accounts
    other = Client()
    other.force_login(secadmin)
    assert other.post(f"/accounts/users/{dispatcher.pk}/active/", {"active": "1"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.set_active(secadmin, dispatcher, True)


def test_out_of_scope_users_cannot_be_managed(make_user: Callable[..., User], dispatcher: User) -> None:
    county_admin = make_user("manas_sysadmin", unit_name="玛纳斯县营商环境服务中心", roles=[Role.SYSADMIN])
    client = Client()
    client.force_login(county_admin)
    assert client.post(f"/accounts/users/{dispatcher.pk}/active/", {"active": "0"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.set_active(county_admin, dispatcher, False)
    dispatcher.refresh_from_db()
    assert dispatcher.is_active is True


# --- roles -----------------------------------------------------------------------------------------
def test_three_administrators_are_kept_apart(secadmin: User, dispatcher: User) -> None:
    for pair in (
        [Role.SYSADMIN, Role.AUDITADMIN],
        [Role.SYSADMIN, Role.SECADMIN],
        [Role.SECADMIN, Role.AUDITADMIN],
    ):
        with pytest.raises(ValidationError) as info:
            services.set_roles(secadmin, dispatcher, pair)
        labels = "、".join(Role(code).label for code in Role if code in pair)
        assert info.value.message_dict == {
            "roles": [f"三员分立：系统管理员、安全管理员、审计管理员不能由同一账号兼任（{labels}）"]
        }
    assert list(UserRole.objects.filter(user=dispatcher).values_list("role", flat=True)) == [Role.DISPATCHER]
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGE).exists()


def test_a_superuser_counts_as_system_administrator(make_user: Callable[..., User], secadmin: User) -> None:
    root = make_user("root_admin", unit_name="昌吉州营商环境服务中心", is_superuser=True)
    with pytest.raises(ValidationError) as info:
        services.set_roles(secadmin, root, [Role.AUDITADMIN])
    assert info.value.message_dict["roles"] == [
        "三员分立：系统管理员、安全管理员、审计管理员不能由同一账号兼任（系统管理员、审计管理员）"
    ]


def test_enterprise_and_staff_roles_do_not_mix(
    secadmin: User, dispatcher: User, make_user: Callable[..., User]
) -> None:
    ent_user = make_user("ent_owner", enterprise=EnterpriseFactory(), roles=[Role.ENTERPRISE])
    with pytest.raises(ValidationError) as info:
        services.set_roles(secadmin, ent_user, [Role.ENTERPRISE, Role.HANDLER])
    assert info.value.message_dict == {"roles": ["企业用户只能拥有“企业用户”角色"]}
    with pytest.raises(ValidationError) as info:
        services.set_roles(secadmin, dispatcher, [Role.ENTERPRISE])
    assert info.value.message_dict == {"roles": ["单位人员不能拥有“企业用户”角色"]}
    with pytest.raises(ValidationError) as info:
        services.set_roles(secadmin, dispatcher, ["overlord"])
    assert info.value.message_dict == {"roles": ["未知角色：overlord"]}


def test_role_change_is_audited_with_before_and_after(secadmin: User, dispatcher: User) -> None:
    user = services.set_roles(secadmin, dispatcher, [Role.HANDLER, Role.DISPATCHER])
    assert user.role_codes == {Role.HANDLER, Role.DISPATCHER}
    event = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGE)
    assert (event.actor_id, event.object_id, event.changes) == (
        secadmin.pk,
        str(dispatcher.pk),
        {"roles": [["dispatcher"], ["dispatcher", "handler"]]},
    )
    services.set_roles(secadmin, dispatcher, [Role.HANDLER, Role.DISPATCHER])  # no change, no row
    assert AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGE).count() == 1
    services.set_roles(secadmin, dispatcher, [])
    assert not UserRole.objects.filter(user=dispatcher).exists()


def test_only_the_security_administrator_sets_roles_and_not_their_own(sysadmin: User, secadmin: User) -> None:
    with pytest.raises(PermissionDenied):
        services.set_roles(sysadmin, secadmin, [Role.SECADMIN, Role.HANDLER])
    with pytest.raises(ValidationError) as info:
        services.set_roles(secadmin, secadmin, [Role.SECADMIN, Role.HANDLER])
    assert info.value.message_dict == {"roles": ["不能修改自己的角色"]}


def test_roles_page(secadmin: User, dispatcher: User, sysadmin: User) -> None:
    client = Client()
    client.force_login(secadmin)
    url = f"/accounts/users/{dispatcher.pk}/roles/"
    assert 'value="dispatcher" id="role_dispatcher" checked' in page_text(client.get(url))
    response = client.post(url, {"roles": [Role.SYSADMIN, Role.SECADMIN]})
    assert response.status_code == 200
    assert (
        "三员分立：系统管理员、安全管理员、审计管理员不能由同一账号兼任（系统管理员、安全管理员）"
        in page_text(response)
    )
    response = client.post(url, {"roles": [Role.HANDLER]})
    assert response["Location"] == "/accounts/users/"
    assert set(UserRole.objects.filter(user=dispatcher).values_list("role", flat=True)) == {Role.HANDLER}
    other = Client()
    other.force_login(sysadmin)
    assert other.get(url).status_code == 403


# --- create ----------------------------------------------------------------------------------------
def test_create_staff_user(sysadmin: User) -> None:
    user = services.create_user(
        sysadmin,
        username="new_handler",
        password="Strong-Pass-77",
        full_name="王五",
        unit=unit("昌吉市营商环境服务中心"),
        mobile="13900001111",
    )
    assert user.check_password("Strong-Pass-77")
    assert user.password_changed_at is not None
    assert user.role_codes == frozenset()
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_id=str(user.pk))
    assert event.actor_id == sysadmin.pk
    assert event.changes["username"] == [None, "new_handler"]
    assert "password" not in event.changes
    assert "Strong-Pass-77" not in str(event.changes)


def test_create_user_validates_everything_at_once(sysadmin: User, dispatcher: User) -> None:
    with pytest.raises(ValidationError) as info:
        services.create_user(
            sysadmin,
            username=dispatcher.username.upper(),
            password="zq7",
            full_name="",
            unit=unit("乌鲁木齐市招商服务局"),
            mobile="12345",
        )
    assert info.value.message_dict == {
        "username": ["用户名已存在"],
        "password": ["密码长度不能少于8位", "密码至少包含大写字母、小写字母、数字、特殊字符中的3类"],
        "full_name": ["请填写姓名"],
        "unit": ["只能在本单位及下级单位中创建用户"],
        "mobile": ["手机号应为 11 位数字"],
    }
    assert User.objects.count() == 2


def test_create_enterprise_user_gets_the_enterprise_role(sysadmin: User) -> None:
    ent = EnterpriseFactory(registered_unit=unit("昌吉市"))
    user = services.create_user(
        sysadmin, username="ent_a", password="Strong-Pass-77", full_name="赵六", enterprise=ent
    )
    assert user.role_codes == {Role.ENTERPRISE}
    # the system administrator sees the enterprise's users among theirs
    assert User.objects.visible_to(sysadmin).filter(pk=user.pk).exists()


def test_create_user_page(sysadmin: User) -> None:
    ent = EnterpriseFactory(registered_unit=unit("昌吉市"))
    client = Client()
    client.force_login(sysadmin)
    assert "新建用户" in page_text(client.get("/accounts/users/new/"))
    data: dict[str, Any] = {
        "username": "page_user",
        "full_name": "孙七",
        "enterprise_code": ent.credit_code,
        "password": "Strong-Pass-77",
        "password2": "Strong-Pass-77",
        "must_change_password": "on",
    }
    response = client.post("/accounts/users/new/", data, follow=True)
    assert "已创建用户 page_user，请安全管理员为其分配角色" in page_text(response)
    created = User.objects.get(username="page_user")
    assert (created.enterprise_id, created.must_change_password) == (ent.pk, True)

    bad = {
        **data,
        "username": "page_user2",
        "password2": "Other-Pass-77",
        "enterprise_code": "916523000000000000",
    }
    text = page_text(client.post("/accounts/users/new/", bad))
    assert "两次填写的密码不一致" in text
    assert "本辖区内没有该统一社会信用代码的企业" in text
    assert not User.objects.filter(username="page_user2").exists()


# --- the users page --------------------------------------------------------------------------------
def test_users_page_lists_visible_users_without_n_plus_one(
    sysadmin: User, make_user: Callable[..., User], django_assert_num_queries: Any
) -> None:
    for i in range(6):
        make_user(f"staff{i}", unit_name="昌吉市营商环境服务中心", roles=[Role.HANDLER, Role.DISPATCHER])
    make_user("urumqi_handler", unit_name="乌鲁木齐市招商服务局", roles=[Role.HANDLER])
    client = Client()
    client.force_login(sysadmin)
    client.get("/accounts/users/")
    with django_assert_num_queries(5):  # session, the user with unit and roles, then the page's own
        response = client.get("/accounts/users/")
    text = page_text(response)
    assert "staff5" in text
    assert "调度员、承办人" in text or "承办人、调度员" in text
    assert "urumqi_handler" not in text
    assert "新建用户" in text
    assert ">停用</button>" in text
    for i in range(6, 12):
        make_user(f"staff{i}", unit_name="昌吉市营商环境服务中心", roles=[Role.HANDLER])
    with django_assert_num_queries(5):
        client.get("/accounts/users/")


def test_users_page_filters(sysadmin: User, dispatcher: User, make_user: Callable[..., User]) -> None:
    make_user("quiet_handler", unit_name="昌吉市营商环境服务中心", roles=[Role.HANDLER], is_active=False)
    client = Client()
    client.force_login(sysadmin)
    text = page_text(client.get("/accounts/users/", {"role": Role.HANDLER}))
    assert "quiet_handler" in text
    assert dispatcher.username not in text
    text = page_text(client.get("/accounts/users/", {"active": "1", "q": "changji"}))
    assert dispatcher.username in text
    assert "quiet_handler" not in text


def test_users_page_for_the_security_administrator(secadmin: User, dispatcher: User) -> None:
    client = Client()
    client.force_login(secadmin)
    text = page_text(client.get("/accounts/users/"))
    assert f'href="/accounts/users/{dispatcher.pk}/roles/"' in text
    assert "新建用户" not in text
    assert ">停用</button>" not in text
    assert '<a class="nav-link active" href="/accounts/users/">用户管理</a>' in text


def test_users_page_is_refused_to_others(dispatcher: User, auditadmin: User) -> None:
    for user in (dispatcher, auditadmin):
        client = Client()
        client.force_login(user)
        assert client.get("/accounts/users/").status_code == 403
        assert client.get("/accounts/users/new/").status_code == 403
        assert "用户管理" not in page_text(client.get("/accounts/profile/"))


def test_login_works_with_the_factory_password(dispatcher: User) -> None:
    assert login(Client(), dispatcher.username, PASSWORD).status_code == 302
