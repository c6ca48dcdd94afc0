"""Read-replica routing rules (qinqing.core.replica), with ``replica`` as a TEST MIRROR of ``default``.

Each test says exactly which alias ran which queries (a CaptureQueriesContext on each connection).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import OperationalError, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qinqing.accounts.models import User
from qinqing.core import replica
from qinqing.demands.models import Demand
from qinqing.orgs.models import Unit
from tests.demands.conftest import People, category
from tests.replica.conftest import needs_postgres

DBS = ["default", "replica"]


@dataclass
class Seen:
    default: list[str] = field(default_factory=list)
    replica: list[str] = field(default_factory=list)

    def tables(self, alias: str) -> set[str]:
        found: set[str] = set()
        for sql in getattr(self, alias):
            found.update(re.findall(r'(?:FROM|JOIN|INTO|UPDATE)\s+"(\w+)"', sql))
        return found

    def main_tables(self, alias: str) -> set[str]:
        """The first table of each statement (the one it reads or writes; not the ones it joins)."""
        return {
            m.group(1)
            for sql in getattr(self, alias)
            if (m := re.search(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"', sql))
        }


@contextmanager
def seen() -> Iterator[Seen]:
    result = Seen()
    with (
        CaptureQueriesContext(connections["default"]) as d,
        CaptureQueriesContext(connections["replica"]) as r,
    ):
        yield result
    result.default = [q["sql"] for q in d.captured_queries]
    result.replica = [q["sql"] for q in r.captured_queries]


@pytest.fixture
def lag(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The measured lag (seconds, or an exception to raise), instead of the PostgreSQL functions."""
    box: dict[str, Any] = {"value": 0.0, "calls": 0}

    def measure() -> float:
        box["calls"] += 1
        if isinstance(box["value"], Exception):
            raise box["value"]
        return float(box["value"])

    monkeypatch.setattr(replica, "measure_lag", measure)
    return box


def logged_in(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def payload_for_api() -> dict[str, Any]:
    return {
        "category": category().pk,
        "demand_type": "help",
        "title": "用电扩容",
        "description": "新生产线需要扩容 2000kVA",
        "contact_name": "王五",
        "contact_phone": "13900001111",
    }


@needs_postgres
@pytest.mark.django_db(databases=DBS)
def test_list_page_reads_demands_from_the_replica(routed: None, lag: dict[str, Any], people: People) -> None:
    c = logged_in(people.office)
    with seen() as s:
        r = c.get(reverse("demands:list"))
    assert r.status_code == 200
    assert "demands_demand" in s.tables("replica")
    assert "demands_demand" not in s.tables("default"), "\n".join(s.default)
    # the primary answered only the session and the signed-in user (primary-only models; the user's
    # statement joins its unit and roles, accounts.authentication.UserBackend), nothing else
    assert all(t == "django_session" or t.startswith("accounts_") for t in s.main_tables("default")), (
        s.default
    )
    assert "django_session" in s.tables("default") and "django_session" not in s.tables("replica")
    assert not any(t.startswith("accounts_") for t in s.tables("replica"))
    assert "qq_primary" not in r.cookies


@needs_postgres
@pytest.mark.django_db(databases=DBS)
def test_a_write_goes_to_the_primary_and_pins_the_writer(
    routed: None, lag: dict[str, Any], people: People
) -> None:
    from django.core.cache import cache

    c = logged_in(people.ent)
    with seen() as s:
        r = c.post(reverse("api:demand-list"), payload_for_api(), content_type="application/json")
    assert r.status_code == 201, r.content
    assert s.replica == []
    assert "demands_demand" in s.tables("default")
    assert int(r.cookies["qq_primary"]["max-age"]) == 10
    assert cache.get(f"replica-pin:{people.ent.pk}") == 1
    # the next list read, with the cookie: the primary (it shows the writer's new demand)
    with seen() as s:
        assert c.get(reverse("demands:list")).status_code == 200
    assert s.replica == [] and "demands_demand" in s.tables("default")
    # without the cookie (an API client keeps none), the user's cache key still pins
    del c.cookies["qq_primary"]
    with seen() as s:
        assert c.get(reverse("api:demand-list")).status_code == 200
    assert s.replica == []
    # the pin expired: back to the replica
    cache.delete(f"replica-pin:{people.ent.pk}")
    with seen() as s:
        assert c.get(reverse("api:demand-list")).status_code == 200
    assert "demands_demand" in s.tables("replica") and "demands_demand" not in s.tables("default")


@needs_postgres
@pytest.mark.django_db(databases=DBS)
def test_another_users_reads_are_not_pinned_by_a_write(
    routed: None, lag: dict[str, Any], people: People
) -> None:
    logged_in(people.ent).post(reverse("api:demand-list"), payload_for_api(), content_type="application/json")
    with seen() as s:
        assert logged_in(people.office).get(reverse("demands:list")).status_code == 200
    assert "demands_demand" in s.tables("replica") and "demands_demand" not in s.tables("default")


@needs_postgres
@pytest.mark.django_db(databases=DBS)
def test_pages_that_are_not_lag_tolerant_read_the_primary(
    routed: None, lag: dict[str, Any], people: People
) -> None:
    c = logged_in(people.office)
    with seen() as s:
        assert c.get(reverse("demands:todo")).status_code == 200
    assert s.replica == []
    assert lag["calls"] == 0  # not even measured


@needs_postgres
@pytest.mark.django_db(databases=DBS)
def test_public_portal_reads_the_replica_but_the_inquiry_pages_do_not(
    routed: None, lag: dict[str, Any]
) -> None:
    c = Client()
    with seen() as s:
        assert c.get(reverse("portal:pub_projects")).status_code == 200
    assert "portal_project" in s.tables("replica") or s.replica != []
    # the primary only counted the visit (a counter: it does not pin the visitor) and read the settings row
    # through get_or_create (a write-routed read)
    assert s.tables("default") <= {"portal_visit", "portal_portalsettings"}, s.default
    assert "portal_visit" not in s.tables("replica")
    with seen() as s:
        assert c.get(reverse("portal:pub_inquiry")).status_code == 200
    assert s.replica == []


@needs_postgres
@pytest.mark.django_db(databases=DBS)
def test_read_after_write_in_one_scope_reads_the_primary(
    routed: None, lag: dict[str, Any], tree: None
) -> None:
    unit = Unit.objects.get(name="昌吉市")
    with replica.use_replica() as scope, seen() as s:
        Unit.objects.filter(pk=unit.pk).count()
    assert len(s.replica) == 1 and s.default == []
    assert scope.used_replica and not scope.wrote
    with replica.use_replica() as scope, seen() as s:
        Unit.objects.filter(pk=unit.pk).update(short_name="昌吉")
        list(Unit.objects.filter(pk=unit.pk))
    assert scope.wrote
    assert s.replica == [] and [q.split()[0] for q in s.default] == ["UPDATE", "SELECT"]


@needs_postgres
@pytest.mark.django_db(databases=DBS)
def test_reads_inside_a_transaction_read_the_primary(routed: None, lag: dict[str, Any], tree: None) -> None:
    with replica.use_replica(), seen() as s:
        with transaction.atomic():
            Unit.objects.count()
        Unit.objects.count()
    selects = [q for q in s.default if q.startswith("SELECT")]
    assert len(selects) == 1 and len(s.replica) == 1


@needs_postgres
@pytest.mark.django_db(databases=DBS)
def test_primary_only_models_never_read_the_replica(routed: None, lag: dict[str, Any], tree: None) -> None:
    with replica.use_replica(), seen() as s:
        User.objects.count()
        Unit.objects.count()
    assert s.tables("default") == {"accounts_user"}
    assert s.tables("replica") == {"orgs_unit"}


@needs_postgres
@pytest.mark.django_db(databases=DBS)
def test_a_lagging_or_down_replica_is_bypassed(
    routed: None, lag: dict[str, Any], tree: None, settings: Any
) -> None:
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 5
    for value, alias in [(4.9, "replica"), (5.1, "default"), (float("inf"), "default"), (0.0, "replica")]:
        lag["value"] = value
        with replica.use_replica():
            assert Demand.objects.all().db == alias, value
    lag["value"] = OperationalError("connection refused")
    with replica.use_replica():
        assert Demand.objects.all().db == "default"
    assert replica.replica_state().reason.startswith("down: connection refused")


@needs_postgres
@pytest.mark.django_db(databases=DBS)
def test_the_health_is_measured_once_per_interval(
    routed: None, lag: dict[str, Any], tree: None, settings: Any
) -> None:
    settings.DATABASE_REPLICA_CHECK_SECONDS = 60
    with replica.use_replica():
        for _ in range(5):
            assert Demand.objects.all().db == "replica"
    assert lag["calls"] == 1


@needs_postgres
@pytest.mark.django_db(databases=DBS)
def test_a_replica_failing_mid_request_is_answered_from_the_primary(
    routed: None, lag: dict[str, Any], people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = connections["replica"]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(conn, "cursor", broken)
    monkeypatch.setattr(conn, "chunked_cursor", broken)
    c = logged_in(people.office)
    with seen() as s:
        r = c.get(reverse("demands:list"))
    assert r.status_code == 200
    assert "demands_demand" in s.tables("default")
    state = replica._state
    assert state is not None and not state.ok and "server closed the connection" in state.reason


def test_migrations_run_on_the_primary_only() -> None:
    r = replica.ReplicaRouter()
    assert r.allow_migrate("default", "demands") is True
    assert r.allow_migrate("replica", "demands") is False
    assert r.allow_migrate("replica", "accounts", model_name="user") is False


def test_routed_views() -> None:
    tolerant = [
        "demands:list",
        "demands:stats",
        "demands:export",
        "analysis:dashboard",
        "portal:pub_home",
        "portal:en_pub_projects",
        "public_api:projects",
        "api:demand-list",
        "api:demand-stats",
    ]
    primary = [
        "demands:detail",
        "demands:todo",
        "demands:submit",
        "portal:pub_inquiry",
        "portal:pub_track",
        "public_api:inquiries",
        "public_api:inquiry",
        "accounts:profile",
        "api:demand-detail",
    ]
    assert [v for v in tolerant if replica.replica_view(v)] == tolerant
    assert [v for v in primary if replica.replica_view(v)] == []


def test_no_scope_no_router_means_the_primary() -> None:
    """Code outside any routing scope (jobs, commands, the shell) reads and writes the primary."""
    r = replica.ReplicaRouter()
    assert (r.db_for_read(Unit), r.db_for_write(Unit)) == ("default", "default")


def _settings_with(env: dict[str, str]) -> str:
    code = (
        "import qinqing.settings as s;"
        "print(sorted(s.DATABASES), s.DATABASES.get('replica', {}).get('PORT'),"
        " s.DATABASES.get('replica', {}).get('TEST'), getattr(s, 'DATABASE_ROUTERS', []),"
        " 'qinqing.core.replica.ReplicaMiddleware' in s.MIDDLEWARE)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_REPLICA")}
    out = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_settings_add_the_replica_only_with_the_variable(tmp_path: Any) -> None:
    assert _settings_with({}) == "['default'] None None [] False"
    url = "postgres://qinqing@db-replica:5442/qinqing"
    expected = "['default', 'replica'] 5442 {'MIRROR': 'default'} ['qinqing.core.replica.ReplicaRouter'] True"
    assert _settings_with({"DATABASE_REPLICA_URL": url}) == expected
    secret = tmp_path / "replica_url"
    secret.write_text(url + "\n")
    assert _settings_with({"DATABASE_REPLICA_URL_FILE": str(secret)}) == expected
