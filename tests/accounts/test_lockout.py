"""Lockout by (username, address) and by address; locked attempts are refused without being counted."""

from __future__ import annotations

import pytest
from django.test import Client

from qinqing.accounts.models import LoginFailure, User
from qinqing.audit.models import AuditAction, AuditEvent, AuditResult
from tests.accounts.conftest import Clock, login, page_text
from tests.factories import PASSWORD

WRONG = "Wrong-Pass-1"
pytestmark = pytest.mark.django_db


def _fail(client: Client, username: str, times: int) -> str:
    text = ""
    for _ in range(times):
        response = login(client, username, WRONG)
        assert response.status_code == 200
        text = page_text(response)
    return text


def test_fifth_failure_locks_the_pair_for_thirty_minutes(dispatcher: User, clock: Clock) -> None:
    client = Client()
    for _ in range(4):
        text = _fail(client, dispatcher.username, 1)
        assert "用户名或密码错误" in text
        assert "账号已锁定" not in text
        clock.advance(seconds=10)
    assert "账号已锁定，请 30 分钟后再试" in _fail(client, dispatcher.username, 1)
    assert LoginFailure.objects.filter(username=dispatcher.username, ip="127.0.0.1").count() == 5
    lockouts = AuditEvent.objects.filter(action=AuditAction.LOCKOUT)
    assert lockouts.count() == 1
    assert lockouts.get().actor_id == dispatcher.pk

    # Sixth attempt, even with the right password: refused, not counted, still audited.
    clock.advance(minutes=10)
    response = login(client, dispatcher.username, PASSWORD)
    assert response.status_code == 200
    assert "账号已锁定，请 20 分钟后再试" in page_text(response)
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.count() == 5
    refused = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).order_by("-id").first()
    assert refused is not None
    assert refused.detail == "账号已锁定，拒绝尝试（不计入失败次数）"

    # Hammering while locked does not extend the lock.
    for _ in range(10):
        clock.advance(seconds=30)
        assert "账号已锁定" in page_text(login(client, dispatcher.username, WRONG))
    assert LoginFailure.objects.count() == 5
    assert AuditEvent.objects.filter(action=AuditAction.LOCKOUT).count() == 1

    # 30 minutes after the fifth failure the lock is over.
    clock.now = LoginFailure.objects.order_by("-at").values_list("at", flat=True)[0]
    clock.advance(minutes=30, seconds=1)
    response = login(client, dispatcher.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(dispatcher.pk)
    assert LoginFailure.objects.count() == 0  # a success clears its own pair


def test_after_a_lock_a_new_lock_needs_five_new_failures(dispatcher: User, clock: Clock) -> None:
    client = Client()
    _fail(client, dispatcher.username, 5)
    clock.advance(minutes=30, seconds=1)
    assert "用户名或密码错误" in _fail(client, dispatcher.username, 1)
    assert "用户名或密码错误" in _fail(client, dispatcher.username, 3)
    assert "账号已锁定，请 30 分钟后再试" in _fail(client, dispatcher.username, 1)


def test_failures_older_than_the_window_do_not_count(dispatcher: User, clock: Clock) -> None:
    client = Client()
    _fail(client, dispatcher.username, 4)
    clock.advance(minutes=31)
    assert "用户名或密码错误" in _fail(client, dispatcher.username, 1)
    assert login(client, dispatcher.username, PASSWORD).status_code == 302


def test_another_address_is_not_affected(dispatcher: User, clock: Clock) -> None:
    attacker = Client(REMOTE_ADDR="10.9.9.9")
    _fail(attacker, dispatcher.username, 5)
    assert "账号已锁定" in page_text(login(attacker, dispatcher.username, PASSWORD))
    owner = Client(REMOTE_ADDR="10.1.1.1")
    response = login(owner, dispatcher.username, PASSWORD)
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(dispatcher.pk)
    # and the attacker's pair stays locked
    assert "账号已锁定" in page_text(login(attacker, dispatcher.username, PASSWORD))


def test_twenty_failures_from_one_address_lock_the_address(dispatcher: User, clock: Clock) -> None:
    sprayer = Client(REMOTE_ADDR="10.7.7.7")
    for i in range(19):
        text = _fail(sprayer, f"guess{i:02d}", 1)
        assert "用户名或密码错误" in text
    assert "账号已锁定，请 30 分钟后再试" in _fail(sprayer, "guess19", 1)
    # any username from that address, right password or not, is refused and not counted
    assert "账号已锁定" in page_text(login(sprayer, dispatcher.username, PASSWORD))
    assert LoginFailure.objects.filter(ip="10.7.7.7").count() == 20
    assert AuditEvent.objects.filter(action=AuditAction.LOCKOUT).count() == 1
    # other addresses are fine
    assert login(Client(REMOTE_ADDR="10.1.1.1"), dispatcher.username, PASSWORD).status_code == 302
    clock.advance(minutes=30, seconds=1)
    assert login(sprayer, dispatcher.username, PASSWORD).status_code == 302


def test_unknown_and_disabled_accounts_fail_the_same_way(dispatcher: User) -> None:
    client = Client()
    assert "用户名或密码错误" in page_text(login(client, "nobody", WRONG))
    User.objects.filter(pk=dispatcher.pk).update(is_active=False)
    assert "用户名或密码错误" in page_text(login(client, dispatcher.username, PASSWORD))
    details = list(
        AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, result=AuditResult.FAILURE)
        .order_by("id")
        .values_list("actor_name", "detail")
    )
    assert details == [("nobody", "用户不存在"), (dispatcher.username, "账号已停用")]
