"""Outbox delivery (inbox, e-mail, signed webhook with retries), reminders once per threshold, Celery."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from qinqing.demands import jobs, notifications, services
from qinqing.demands.models import Demand, DemandSettings, InboxMessage, Outbox, OutboxStatus, Reminder
from tests.demands.conftest import People, act, at


@pytest.fixture(autouse=True)
def _locmem_mail(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_action_writes_outbox_in_its_transaction(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("submitted")
    before = Outbox.objects.count()
    act(people.office, d, "accept")
    rows = list(Outbox.objects.order_by("id")[before:].values_list("channel", "recipient__username"))
    assert rows == [("inbox", "ent_demo"), ("email", "ent_demo")]
    count = Outbox.objects.count()
    with pytest.raises(services.ValidationError):
        act(people.office, d, "dispatch", lead_unit=None)
    assert Outbox.objects.count() == count  # a refused action queues nothing


def test_delivery_inbox_and_email_exactly_once(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("accepted")
    pending = Outbox.objects.filter(status=OutboxStatus.PENDING).count()
    assert notifications.deliver_pending() == pending
    assert notifications.deliver_pending() == 0
    inbox = InboxMessage.objects.filter(user=people.ent)
    assert [m.subject for m in inbox] == [f"诉求{d.number}已受理"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"].startswith("<email:ev")


class Killed(BaseException):
    """Stands for the worker process dying (not an Exception: nothing catches it)."""


def test_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    people: People, flow: Callable[..., Demand], monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        flow("accepted")
    keys = set(Outbox.objects.filter(channel="inbox").values_list("delivery_key", flat=True))
    calls = {"n": 0}
    real = notifications.InboxChannel.send

    def dying(self: Any, message: Outbox) -> None:
        real(self, message)
        calls["n"] += 1
        if calls["n"] == 4:
            raise Killed  # after the inbox row was written, before the outbox row is marked sent

    monkeypatch.setattr(notifications.InboxChannel, "send", dying)
    with pytest.raises(Killed):
        notifications.deliver_pending()
    monkeypatch.setattr(notifications.InboxChannel, "send", real)
    notifications.deliver_pending()
    delivered = list(InboxMessage.objects.values_list("delivery_key", flat=True))
    assert sorted(delivered) == sorted(keys)  # every message, each once
    assert not Outbox.objects.exclude(status=OutboxStatus.SENT).exists()


class Hook(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    fail_first = True

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((dict(self.headers), body))
        if Hook.fail_first:
            Hook.fail_first = False
            self.send_response(503)
        else:
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    Hook.received = []
    Hook.fail_first = True
    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_webhook_signed_and_retried(people: People, hook: str) -> None:
    DemandSettings.objects.update_or_create(pk=1, defaults={"webhook_url": hook, "webhook_secret": "s3cret"})
    from tests.demands.conftest import submit

    d = submit(people, by=people.office, channel="12345", enterprise=people.enterprise, external_ref="H-1")
    act(people.office, d, "accept")
    row = Outbox.objects.get(channel="webhook")
    assert row.payload["status"] == "accepted" and row.payload["external_ref"] == "H-1"
    Outbox.objects.exclude(channel="webhook").delete()
    assert notifications.deliver_pending() == 0
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.next_attempt_at > row.created_at and "503" in row.last_error
    Outbox.objects.filter(pk=row.pk).update(next_attempt_at=row.created_at)
    assert notifications.deliver_pending() == 1
    headers, body = Hook.received[-1]
    expected = hmac.new(
        b"s3cret", headers["X-Qinqing-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Qinqing-Signature"] == f"sha256={expected}"
    assert headers["X-Qinqing-Delivery"] == row.delivery_key
    assert json.loads(body)["number"] == d.number


def test_reminders_once_per_demand_and_threshold(
    people: People, flow: Callable[..., Demand], clock: Any
) -> None:
    clock.set(at(2026, 11, 2, 9))
    d = flow("handling", demand_type="consult")  # due end of 11-05; yellow from 11-05 00:00
    assert jobs.sweep_deadlines(at(2026, 11, 3, 9)) == 0
    assert jobs.sweep_deadlines(at(2026, 11, 5, 9)) == 1
    assert jobs.sweep_deadlines(at(2026, 11, 5, 10)) == 0
    assert jobs.sweep_deadlines(at(2026, 11, 6, 9)) == 1
    assert jobs.sweep_deadlines(at(2026, 11, 9, 9)) == 0
    assert list(Reminder.objects.filter(demand=d).values_list("clock", "threshold")) == [
        ("handle", "due_soon"),
        ("handle", "overdue"),
    ]
    subjects = set(
        Outbox.objects.filter(subject__contains="办结").values_list("subject", "recipient__username")
    )
    assert subjects == {
        (f"诉求{d.number}办结即将到期", "changji_handler"),
        (f"诉求{d.number}办结即将到期", "changji_nr_head"),
        (f"诉求{d.number}办结即将到期", "changji_dispatcher"),
        (f"诉求{d.number}办结即将到期", "changji_head"),
        (f"诉求{d.number}办结已超期", "changji_handler"),
        (f"诉求{d.number}办结已超期", "changji_nr_head"),
        (f"诉求{d.number}办结已超期", "changji_dispatcher"),
        (f"诉求{d.number}办结已超期", "changji_head"),
    }


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_celery_worker_runs_the_delivery_job_on_redis(people: People, flow: Callable[..., Demand]) -> None:
    from celery.contrib.testing.worker import start_worker

    from qinqing.celery import app

    flow("accepted")
    app.conf.broker_url = "redis://127.0.0.1:6379/0"
    app.conf.task_always_eager = False
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        app.send_task("qinqing.run_job", args=["demands.deliver_outbox"])
        deadline = time.monotonic() + 30
        while Outbox.objects.filter(status=OutboxStatus.PENDING).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    assert not Outbox.objects.filter(status=OutboxStatus.PENDING).exists()
    assert InboxMessage.objects.filter(user=people.ent).count() == 1


def test_outbox_rolls_back_with_the_action(people: People, flow: Callable[..., Demand]) -> None:
    d = flow("submitted")
    count = Outbox.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.accept(people.office, d.pk, d.version)
        raise RuntimeError("the request failed after the action")
    assert Outbox.objects.count() == count
    d.refresh_from_db()
    assert d.status == "submitted" and d.version == 1
