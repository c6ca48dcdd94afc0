from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.orgs.models import Unit
from qinqing.orgs.tree import load_tree
from tests import factories

pytest_plugins = ["tests.browser_support", "tests.scoping.report", "tests.hardening.report"]


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The standing rate limits (core.ratelimit.check) would trip over a whole suite from 127.0.0.1;
    # tests/hardening/test_ratelimits.py turns them back on.
    settings.RATE_LIMITS_ENABLED = False
    # Pages render {% static %} without a collectstatic manifest; WhiteNoise serves from the finders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    # Parallel workers on one Redis: each its own database, since a test's cache.clear() flushes the whole
    # database and would reset another worker's rate-limit counters mid-test.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    default = settings.CACHES["default"]
    base, _, db = str(default.get("LOCATION", "")).rpartition("/")
    if default["BACKEND"].endswith("RedisCache") and worker.startswith("gw") and db.isdigit():
        location = f"{base}/{int(db) - int(worker[2:]) - 1}"
        settings.CACHES = {**settings.CACHES, "default": {**default, "LOCATION": location}}


def ensure_reference_data() -> None:
    """The shipped org tree and every migration's seed data (a transactional test's flush removes them)."""
    if not Unit.objects.filter(name="新疆维吾尔自治区").exists():
        load_tree()
    from django.apps import apps

    from qinqing.calendar.models import CalendarYear
    from qinqing.demands.models import Category
    from qinqing.investment.models import IndustryCluster

    seeds = [
        (CalendarYear, "qinqing.calendar.migrations.0002_seed_official"),
        (Category, "qinqing.demands.migrations.0002_seed"),
        (IndustryCluster, "qinqing.investment.migrations.0002_seed_clusters"),
    ]
    for model, migration in seeds:
        if not model.objects.exists():
            importlib.import_module(migration).seed(apps, None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Load the reference data once per test database; each test's transaction rolls back to it."""
    with django_db_blocker.unblock():
        ensure_reference_data()


@pytest.fixture
def tree(db: None) -> None:
    """The shipped org tree (昌吉州, 乌鲁木齐市 …) and the official calendar in the test database."""
    ensure_reference_data()


@pytest.fixture
def make_user(tree: None) -> Callable[..., User]:
    return factories.make_user


@pytest.fixture
def prefecture_dispatcher(make_user: Callable[..., User]) -> User:
    return make_user("zhou_dispatcher", unit_name="昌吉州营商环境服务中心", roles=[Role.DISPATCHER])


@pytest.fixture
def county_dispatcher(make_user: Callable[..., User]) -> User:
    return make_user("changji_dispatcher", unit_name="昌吉市营商环境服务中心", roles=[Role.DISPATCHER])


@pytest.fixture
def other_county_dispatcher(make_user: Callable[..., User]) -> User:
    return make_user("manas_dispatcher", unit_name="玛纳斯县营商环境服务中心", roles=[Role.DISPATCHER])


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked postgres or redis need those servers; `make test` deselects them, .ci/run runs them.

    Run directly without the servers configured, they are skipped with the reason rather than failing.
    """
    import os

    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    has_redis = bool(os.environ.get("REDIS_URL"))
    has_replica = bool(getattr(settings, "DATABASE_REPLICA_URL", ""))
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: run by .ci/run's PostgreSQL pass"))
        if "redis" in item.keywords and not has_redis:
            item.add_marker(
                pytest.mark.skip(reason="needs Redis (REDIS_URL): run by .ci/run's PostgreSQL pass")
            )
        if item.get_closest_marker("replica") and not has_replica:  # (the keyword matches tests/replica/)
            item.add_marker(
                pytest.mark.skip(
                    reason="needs a streaming replica (DATABASE_REPLICA_URL): run by tests/hardening/replica.sh"
                )
            )
