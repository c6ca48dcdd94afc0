"""The ``replica`` alias for the routing tests: a TEST MIRROR of ``default`` when no real replica is set.

With ``DATABASE_REPLICA_URL`` (tests/hardening/replica.sh) settings.py has added the alias already, pointing
at the real streaming replica and mirroring the test database. Otherwise this adds a second connection to
the test database on PostgreSQL (.ci/run's PostgreSQL pass): it does not see the test case's uncommitted rows,
so those tests assert which alias ran which query, not what it found.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connections

from qinqing.core import replica
from tests.demands.conftest import people  # noqa: F401  (the fixture, for the tests here)

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
# SQLite's in-memory test database cannot take a second connection beside the test case's open write
# transaction (shared-cache lock), so the database-level routing tests run on PostgreSQL only.
needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="a second connection to the test database needs PostgreSQL: .ci/run's PostgreSQL pass",
)
if ON_POSTGRES and "replica" not in settings.DATABASES:
    mirror = copy.deepcopy(settings.DATABASES["default"])
    mirror["TEST"] = {**mirror.get("TEST", {}), "MIRROR": "default", "NAME": None}
    settings.DATABASES["replica"] = mirror
    if connections.settings is not settings.DATABASES:
        connections.settings["replica"] = mirror


@pytest.fixture
def routed(settings: object) -> Iterator[None]:
    """The router and the middleware on, as settings.py installs them with DATABASE_REPLICA_URL."""
    s = settings
    s.DATABASE_ROUTERS = ["qinqing.core.replica.ReplicaRouter"]  # type: ignore[attr-defined]
    if "qinqing.core.replica.ReplicaMiddleware" not in s.MIDDLEWARE:  # type: ignore[attr-defined]
        middleware = list(s.MIDDLEWARE)  # type: ignore[attr-defined]
        middleware.insert(
            middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
            "qinqing.core.replica.ReplicaMiddleware",
        )
        s.MIDDLEWARE = middleware  # type: ignore[attr-defined]
    s.DATABASE_REPLICA_CHECK_SECONDS = 0  # type: ignore[attr-defined]  # measure at every routed read
    replica.reset_state()
    yield
    replica.reset_state()
