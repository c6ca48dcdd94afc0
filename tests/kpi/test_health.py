"""/healthz, /readyz (503 when the database is down), /metrics (monitoring hosts only), JSON logs."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from qinqing.core import context
from qinqing.kpi import health
from qinqing.kpi.logs import JsonFormatter


def test_healthz_and_readyz(db: None) -> None:
    c = Client()
    assert c.get("/healthz").json() == {"status": "ok"}
    r = c.get("/readyz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert set(r.json()["checks"]) == {"database", "cache", "queue"}


def test_readyz_503_when_the_database_is_down(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def __enter__(self) -> Any:
            raise OperationalError("could not connect to server")

        def __exit__(self, *a: Any) -> None:
            return None

    with monkeypatch.context() as m:  # undone before the test database is torn down
        m.setattr(health.connection, "cursor", lambda: Broken())
        r = Client().get("/readyz")
        live = Client().get("/healthz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {
        "ok": False,
        "detail": "OperationalError: could not connect to server",
    }
    assert live.status_code == 200  # liveness does not touch the database


def test_readyz_503_when_the_cache_fails(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a: Any, **k: Any) -> None:
        raise ConnectionError("redis down")

    # patch the backend class: the per-worker cache settings (tests/conftest.py) may replace the instance
    from django.core.cache import caches

    monkeypatch.setattr(type(caches["default"]), "set", boom)
    r = Client().get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["cache"]["ok"] is False


def test_metrics_for_monitoring_hosts_only(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QINQING_METRICS_ALLOW", "10.8.0.0/24")
    monkeypatch.setenv("QINQING_METRICS_TOKEN", "s3cret-token")
    c = Client()
    c.get("/healthz")
    r = c.get("/metrics", REMOTE_ADDR="192.0.2.7")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert c.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    ok = c.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert ok.status_code == 200
    text = ok.content.decode()
    assert 'qinqing_http_requests_total{method="GET",status="200",view="healthz"}' in text
    assert "qinqing_http_request_duration_seconds_bucket" in text
    assert 'qinqing_queue_depth{queue="notifications_outbox"} 0.0' in text
    assert 'qinqing_open_incidents{system="platform"} 0.0' in text
    assert "# TYPE qinqing_job_runs_total counter" in text
    assert c.get("/metrics", REMOTE_ADDR="10.8.0.9").status_code == 200


def test_json_log_line_carries_the_request_id() -> None:
    token = context.set_current(context.RequestContext(request_id="req-42", ip="127.0.0.1"))
    try:
        record = logging.LogRecord("qinqing.x", logging.WARNING, __file__, 1, "出错了 %s", ("A",), None)
        line = json.loads(JsonFormatter().format(record))
    finally:
        context.reset(token)
    assert {k: line[k] for k in ("level", "logger", "message", "request_id", "ip")} == {
        "level": "WARNING",
        "logger": "qinqing.x",
        "message": "出错了 A",
        "request_id": "req-42",
        "ip": "127.0.0.1",
    }
