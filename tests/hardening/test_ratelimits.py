"""Rate limits: login by address (on top of the bounded lockout), password changes, token creation, every
unauthenticated request, the API per token; 429 with Retry-After; the client address only via the proxy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from qinqing.accounts import services
from qinqing.accounts.models import User
from qinqing.core.middleware import client_ip
from tests.factories import PASSWORD

UNIT = "昌吉州营商环境服务中心"


@pytest.fixture(autouse=True)
def _limits_on(settings: Any) -> Iterator[None]:
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {
        "anon:ip": (8, 60),
        "login:ip": (4, 60),
        "password:user": (3, 3600),
        "token:user": (2, 3600),
        "api:token": (5, 60),
        "api:user": (5, 60),
        "api:anon": (5, 60),
    }
    cache.clear()
    yield
    cache.clear()


def _retry_after(response: Any) -> int:
    value = int(response["Retry-After"])
    assert 1 <= value <= 3600
    return value


@pytest.mark.django_db
def test_unauthenticated_requests_are_limited_per_address() -> None:
    a = Client(REMOTE_ADDR="10.0.0.1")
    b = Client(REMOTE_ADDR="10.0.0.2")
    codes = [a.get("/accounts/login/").status_code for _ in range(9)]
    assert codes == [200] * 8 + [429]
    refused = a.get("/accounts/login/")
    assert refused.status_code == 429
    assert refused.content.decode().startswith("操作过于频繁，请 ")
    assert 1 <= _retry_after(refused) <= 60
    assert b.get("/accounts/login/").status_code == 200  # another address has its own counter
    assert a.get("/static/qinqing/site.css").status_code == 200  # static files are not counted


@pytest.mark.django_db
def test_login_posts_are_limited_per_address_and_the_lockout_stays_bounded(
    make_user: Callable[..., User], settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "anon:ip": (1000, 60)}
    make_user("victim", unit_name=UNIT)
    attacker = Client(REMOTE_ADDR="10.6.6.6")
    codes = [
        attacker.post("/accounts/login/", {"username": "victim", "password": "wrong"}).status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 200, 429]
    # The attacker's address is limited and (after 5 failures) locked; the victim's own address is not.
    victim = Client(REMOTE_ADDR="10.1.1.1")
    response = victim.post("/accounts/login/", {"username": "victim", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_password_change_attempts_are_limited(make_user: Callable[..., User]) -> None:
    user = make_user("pw_user", unit_name=UNIT)
    client = Client()
    client.force_login(user)
    data = {
        "old_password": "wrong",
        "new_password": "Another-Pass-2027",
        "new_password2": "Another-Pass-2027",
    }
    codes = [client.post("/accounts/password/", data).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/accounts/password/").status_code == 200  # showing the page is not counted


@pytest.mark.django_db
def test_token_creation_is_limited_in_pages_and_api(make_user: Callable[..., User]) -> None:
    user = make_user("tok_user", unit_name=UNIT)
    client = Client()
    client.force_login(user)
    assert client.post("/accounts/tokens/", {"name": "a", "valid_days": ""}).status_code == 200
    api = APIClient()
    api.force_login(user)  # a session user (tokens cannot create tokens), just signed in (accounts.reauth)
    first = api.post("/api/v1/tokens/", {"name": "b"}, format="json")
    assert first.status_code == 201
    refused = api.post("/api/v1/tokens/", {"name": "c"}, format="json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert refused.json()["detail"].startswith("创建令牌过于频繁")
    _retry_after(refused)
    assert client.post("/accounts/tokens/", {"name": "d", "valid_days": ""}).status_code == 429
    assert user.api_tokens.count() == 2


@pytest.mark.django_db
def test_api_is_limited_per_token(make_user: Callable[..., User]) -> None:
    user = make_user("api_user", unit_name=UNIT)
    _, raw_one = services.create_token(user, "one", None)
    _, raw_two = services.create_token(user, "two", None)
    one = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw_one}")
    two = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw_two}")
    codes = [one.get("/api/v1/me/").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    refused = one.get("/api/v1/me/")
    assert refused.json()["code"] == "throttled"
    assert 1 <= _retry_after(refused) <= 60
    assert two.get("/api/v1/me/").status_code == 200  # the other token has its own budget


def test_the_schema_documents_429_on_every_operation(admin_client: Client) -> None:
    import yaml

    schema = yaml.safe_load(admin_client.get("/api/schema/").content)
    operations = [op for ops in schema["paths"].values() for op in ops.values() if isinstance(op, dict)]
    assert operations
    assert all("429" in op["responses"] for op in operations)
    assert "Retry-After" in operations[0]["responses"]["429"]["headers"]


def test_client_address_comes_only_from_the_trusted_proxy(settings: Any) -> None:
    factory = RequestFactory()
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    via_proxy = factory.get("/", REMOTE_ADDR="10.9.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(via_proxy) == "203.0.113.7"
    direct = factory.get("/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert client_ip(direct) == "198.51.100.9"  # not from the proxy: the header is ignored
    forged = factory.get("/", REMOTE_ADDR="10.9.0.1", HTTP_X_FORWARDED_FOR="<script>")
    assert client_ip(forged) == "10.9.0.1"  # not an address: the proxy's own address
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(via_proxy) == "10.9.0.1"


@pytest.mark.django_db
def test_limits_count_the_proxied_client_not_the_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    for _ in range(8):
        assert proxy.get("/accounts/login/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert proxy.get("/accounts/login/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429
    assert proxy.get("/accounts/login/", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200


@pytest.mark.django_db
def test_the_verification_page_counts_the_address_in_its_own_round_trip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """/chambers/verify/ counts anon:ip in the view's one pipelined round trip (the middleware leaves it
    alone): each request is one hit_many call and still counts once against the address."""
    from qinqing.core import ratelimit

    calls: list[list[str]] = []
    real = ratelimit.hit_many

    def spy(specs: Any, read: Any = ()) -> Any:
        calls.append([spec[0] for spec in specs])
        return real(specs, read)

    monkeypatch.setattr(ratelimit, "hit_many", spy)
    a = Client(REMOTE_ADDR="10.0.0.3")
    codes = [a.get("/chambers/verify/2026-0001/").status_code for _ in range(9)]
    assert codes == [200] * 8 + [429]  # anon:ip (8 a minute here) refused the ninth
    assert calls == [["chambers:verify", "anon:ip"]] * 9
    calls.clear()
    assert a.get("/chambers/verify/").status_code == 429  # the empty form: anon:ip alone
    assert calls == [["anon:ip"]]
    assert Client(REMOTE_ADDR="10.0.0.4").get("/accounts/login/").status_code == 200
