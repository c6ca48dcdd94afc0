"""Routing against a real streaming replica (run by tests/hardening/replica.sh, the CI replica stage).

The test database is created on the primary and reaches the replica by streaming replication; the
``replica`` alias reads it there (TEST MIRROR). Replay is paused on the replica to make real lag.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from qinqing.core import replica
from qinqing.demands.models import Demand
from tests.demands.conftest import People, category

pytestmark = [pytest.mark.replica, pytest.mark.django_db(databases=["default", "replica"], transaction=True)]


def one(alias: str, sql: str, params: list[Any] | None = None) -> Any:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def wait_replayed(timeout: float = 20) -> None:
    lsn = one("default", "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + timeout
    while not one("replica", "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]):
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def titles(response: Any) -> list[str]:
    return [row["title"] for row in response.json()["results"]]


def submit(c: Client, title: str) -> int:
    r = c.post(
        reverse("api:demand-list"),
        {
            "category": category().pk,
            "demand_type": "help",
            "title": title,
            "description": "新生产线需要扩容 2000kVA",
            "contact_name": "王五",
            "contact_phone": "13900001111",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    return int(r.json()["id"])


def assert_current(state: replica.ReplicaState) -> None:
    """A replica that has replayed our writes is current. Its lag is 0.0 unless the primary wrote more WAL
    between the two LSN reads (a standby snapshot, autovacuum, a checkpoint): then it is the age of the
    last replayed commit, milliseconds, far under the 3 s bound."""
    assert state.ok and state.reason == "ok", state
    assert state.lag is not None and 0.0 <= state.lag < 1.0, state


@pytest.fixture
def paused_replay() -> Any:
    yield lambda: one("replica", "SELECT pg_wal_replay_pause()::text")
    one("replica", "SELECT pg_wal_replay_resume()::text")


def test_the_replica_is_a_streaming_standby() -> None:
    assert one("default", "SELECT pg_is_in_recovery()") is False
    assert one("replica", "SELECT pg_is_in_recovery()") is True
    assert one("default", "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") >= 1
    assert connections["replica"].settings_dict["NAME"] == connections["default"].settings_dict["NAME"]
    assert connections["replica"].settings_dict["PORT"] != connections["default"].settings_dict["PORT"]


def test_lag_read_your_writes_and_the_bound(
    routed: None, people: People, settings: Any, paused_replay: Any
) -> None:
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 3
    writer, reader = client_for(people.ent), client_for(people.pref)
    submit(writer, "复制前的诉求")
    wait_replayed()
    # caught up: the reader's list comes from the replica, with the demand
    assert titles(reader.get(reverse("api:demand-list"))) == ["复制前的诉求"]
    assert_current(replica.replica_state(force=True))
    paused_replay()
    time.sleep(0.3)
    submit(writer, "暂停回放后的诉求")
    assert Demand.objects.count() == 2
    # the writer is pinned to the primary: sees its own new demand at once
    assert titles(writer.get(reverse("api:demand-list"))) == ["暂停回放后的诉求", "复制前的诉求"]
    # the reader is not pinned and the lag is under the bound: the replica answers, one demand behind
    state = replica.replica_state(force=True)
    assert state.ok and state.lag is not None and 0 < state.lag < 3, state
    assert titles(reader.get(reverse("api:demand-list"))) == ["复制前的诉求"]
    # beyond the bound the replica is bypassed: the reader gets the primary's answer
    time.sleep(3.2 - state.lag)
    state = replica.replica_state(force=True)
    assert not state.ok and state.lag is not None and state.lag > 3 and state.reason.startswith("lag ")
    assert titles(reader.get(reverse("api:demand-list"))) == ["暂停回放后的诉求", "复制前的诉求"]
    # replay resumes: the replica catches up and answers again
    one("replica", "SELECT pg_wal_replay_resume()::text")
    wait_replayed()
    assert_current(replica.replica_state(force=True))
    assert titles(reader.get(reverse("api:demand-list"))) == ["暂停回放后的诉求", "复制前的诉求"]


def test_a_replica_that_is_down_is_bypassed(routed: None, people: People, monkeypatch: Any) -> None:
    submit(client_for(people.ent), "主库上的诉求")
    conn = connections["replica"]
    conn.close()
    monkeypatch.setitem(conn.settings_dict, "PORT", "1")  # nothing listens there: connection refused
    reader = client_for(people.pref)
    assert titles(reader.get(reverse("api:demand-list"))) == ["主库上的诉求"]
    state = replica.replica_state()
    assert not state.ok and state.reason.startswith("down:")
    conn.close()
