"""Concurrency on PostgreSQL: two actors on one demand, concurrent numbering, a worker killed mid-batch.

Marked ``postgres``: skipped on SQLite (tests/conftest.py) and run by .ci/run's PostgreSQL pass.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from qinqing.demands import notifications, services
from qinqing.demands.models import Demand, DemandEvent, InboxMessage, Outbox, OutboxStatus, Status
from tests.demands.conftest import People, submit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_thread(func: Callable[[], Any], results: list[Any], barrier: threading.Barrier) -> threading.Thread:
    def run() -> None:
        try:
            barrier.wait()
            results.append(func())
        except Exception as exc:
            results.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


def test_two_dispatchers_one_wins_the_other_is_stale(people: People) -> None:
    d = submit(people)
    shown = d.version
    barrier = threading.Barrier(2)
    results: list[Any] = []
    threads = [
        _in_thread(lambda: services.accept(people.office, d.pk, shown), results, barrier),
        _in_thread(
            lambda: services.reject(people.office_head, d.pk, shown, reason="repeat"), results, barrier
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stale = [r for r in results if isinstance(r, services.StaleVersion)]
    done = [r for r in results if isinstance(r, Demand)]
    assert len(stale) == 1 and len(done) == 1
    assert stale[0].message == "该诉求已被他人处理，请刷新后重试"
    d.refresh_from_db()
    assert d.version == shown + 1 and d.status in (Status.ACCEPTED, Status.REJECTED)
    assert DemandEvent.objects.filter(demand=d).exclude(action="submit").count() == 1


def test_concurrent_submissions_get_unique_sequential_numbers(people: People) -> None:
    n = 8
    barrier = threading.Barrier(n)
    results: list[Any] = []
    threads = [_in_thread(lambda: submit(people).number, results, barrier) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, str) for r in results), results
    assert sorted(int(r[-4:]) for r in results) == list(range(1, n + 1))


WORKER = """
import os, sys, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "qinqing.settings"
django.setup()
from qinqing.demands import notifications
real = notifications.InboxChannel.send
def slow(self, message):
    real(self, message)
    print("delivered", flush=True)
    time.sleep(0.3)
notifications.InboxChannel.send = slow
notifications.deliver_pending()
"""


def test_worker_process_killed_mid_batch(people: People, flow: Callable[..., Demand]) -> None:
    for _ in range(6):
        flow("accepted")
    Outbox.objects.exclude(channel="inbox").delete()
    keys = sorted(Outbox.objects.values_list("delivery_key", flat=True))
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    env = {**os.environ, "DATABASE_URL": url}
    proc = subprocess.Popen([sys.executable, "-c", WORKER], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen = 0
    while seen < 3:
        line = proc.stdout.readline()
        if line.startswith("delivered"):
            seen += 1
    os.kill(proc.pid, signal.SIGKILL)  # dies inside a delivery: that row's transaction rolls back
    proc.wait()
    time.sleep(0.2)
    assert 2 <= Outbox.objects.filter(status=OutboxStatus.SENT).count() < len(keys)
    notifications.deliver_pending()
    assert sorted(InboxMessage.objects.values_list("delivery_key", flat=True)) == keys
    assert not Outbox.objects.exclude(status=OutboxStatus.SENT).exists()


def _batch_data(people: People, refs: list[str]) -> list[services.SubmitData]:
    from tests.demands.conftest import category

    return [
        services.SubmitData(
            category=category(),
            demand_type="help",
            title="厂区扩建用地报批",
            description="企业反映扩建用地报批进度缓慢。",
            channel="12345",
            enterprise_id=people.enterprise.pk,
            contact_name="王经理",
            contact_phone="13899990000",
            external_ref=ref,
        )
        for ref in refs
    ]


def test_concurrent_batches_and_singles_share_one_gapless_sequence(people: People) -> None:
    barrier = threading.Barrier(6)
    results: list[Any] = []

    def batch(k: int) -> list[str]:
        done = services.submit_batch(people.office, _batch_data(people, [f"C{k}-{i}" for i in range(5)]))
        return [r.demand.number for r in done]

    threads = [_in_thread(lambda: [submit(people).number], results, barrier) for _ in range(4)]
    threads += [_in_thread(lambda k=k: batch(k), results, barrier) for k in range(2)]  # type: ignore[misc]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, list) for r in results), results
    seqs = sorted(int(n[-4:]) for r in results for n in r)
    assert seqs == list(range(1, 15))
    for r in results:  # a batch's numbers are consecutive, in item order
        nums = [int(n[-4:]) for n in r]
        assert nums == list(range(nums[0], nums[0] + len(nums)))
    stored = dict(Demand.objects.values_list("external_ref", "number"))
    assert all(stored[f"C{k}-{i}"] for k in range(2) for i in range(5))


def test_concurrent_intake_of_one_reference_makes_one_demand(people: People) -> None:
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def single() -> tuple[int, bool]:
        demand, created = services.submit_external(people.office, _batch_data(people, ["SAME-1"])[0])
        return demand.pk, created

    def batch() -> tuple[int, bool]:
        done = services.submit_batch(people.office, _batch_data(people, ["SAME-1", "OTHER-1"]))
        return done[0].demand.pk, done[0].created

    threads = [_in_thread(single, results, barrier), _in_thread(batch, results, barrier)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, tuple) for r in results), results
    assert len({pk for pk, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, True]
    assert Demand.objects.filter(external_ref="SAME-1").count() == 1
    assert Demand.objects.filter(external_ref="OTHER-1").count() == 1


def test_numbered_insert_stores_what_the_model_holds(people: People) -> None:
    d = submit(people, by=people.office, enterprise=people.enterprise, hide_below_tier=2)
    stored = Demand.objects.get(pk=d.pk)
    for f in Demand._meta.concrete_fields:
        if f.name != "updated_at":
            assert getattr(stored, f.attname) == getattr(d, f.attname), f.name
    assert DemandEvent.objects.get(demand=d).demand_id == d.pk


def test_todo_window_gives_the_plain_querys_pages(people: People, flow: Callable[..., Demand]) -> None:
    """The page cut from the union of each branch's first rows equals the page of the plain query,
    also where many demands share a deadline (submitted the same day)."""
    from qinqing.demands.queries import todo, todo_branches, todo_window

    for _ in range(7):
        flow("submitted")
    for _ in range(3):
        flow("accepted")
    flow("dispatched")
    d = flow("handling")
    services.request_extension(
        people.handler, d.pk, Demand.objects.get(pk=d.pk).version, days=3, reason="需要现场核实"
    )
    for user in (people.office, people.lead_head, people.handler):
        branches = todo_branches(user)
        plain = list(todo(user).values_list("pk", flat=True))
        assert plain, user
        for per_page in (1, 2, 5):
            for page in range(1, len(plain) // per_page + 2):
                n = page * per_page
                got = list(
                    todo_window(user, branches, n, lambda q: q).values_list("pk", flat=True)[n - per_page : n]
                )
                assert got == plain[n - per_page : n], (user, per_page, page)
        red = list(todo(user).with_light_filter("green").values_list("pk", flat=True))  # type: ignore[attr-defined]
        window = todo_window(user, branches, 3, lambda q: q.with_light_filter("green"))
        assert list(window.values_list("pk", flat=True)[:3]) == red[:3]
