"""Load for tests/hardening/faults.sh: 12345 submissions through the API while the script breaks things.

faults_driver.py load URL TOKEN ENTERPRISE CATEGORY SECONDS OUT.json   submit until SECONDS have passed,
    retrying each external_ref until it is acknowledged (2xx), as the 12345 hotline's client does
faults_driver.py receive PORT KEYS.txt                                   the 12345 side of the status webhook:
    answers 200 and appends each delivery's X-Qinqing-Delivery key to KEYS.txt
faults_driver.py count OUT.json KEYS.txt                                 the counts (Django, DATABASE_URL)
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def load(url: str, token: str, enterprise: str, category: str, seconds: float, out: str) -> None:
    """Two clients, each submitting a demand and then accepting it (受理, a status change that queues the
    12345 status webhook), every request retried until acknowledged."""
    acked: dict[str, int] = {}
    accepted: list[int] = []
    errors = {"n": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def call(target: str, body: dict[str, object] | None) -> tuple[int, dict[str, object]]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(target, data, headers)  # noqa: S310 - the http://127.0.0.1 URL
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, {}

    def retried(step: Callable[[], bool]) -> None:
        for _ in range(600):  # retried until acknowledged (the last attempts may come after the deadline)
            try:
                if step():
                    return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            with lock:
                errors["n"] += 1
            time.sleep(0.2)
        raise SystemExit("a request was never acknowledged")

    def submit(ref: str) -> tuple[int, int]:
        body = {
            "channel": "12345",
            "external_ref": ref,
            "enterprise": int(enterprise),
            "category": int(category),
            "demand_type": "help",
            "title": f"故障测试 {ref}",
            "description": "故障注入期间提交的诉求",
            "contact_name": "王五",
            "contact_phone": "13900001111",
        }
        got: dict[str, object] = {}

        def step() -> bool:
            status, data = call(url, body)  # the same external_ref again answers the stored demand
            got.update(data)
            return status in (200, 201)

        retried(step)
        with lock:
            acked[ref] = int(str(got["id"]))
        return int(str(got["id"])), int(str(got["version"]))

    def accept(pk: int, version: int) -> None:
        def step() -> bool:
            status, _ = call(f"{url}{pk}/actions/accept/", {"version": version})
            if status == 200:
                return True
            if status >= 500:
                return False
            # A refusal after a lost answer: done if the first attempt went through.
            status, data = call(f"{url}{pk}/", None)
            return status == 200 and data.get("status") == "accepted"

        retried(step)
        with lock:
            accepted.append(pk)

    def worker(n: int) -> None:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            accept(*submit(f"fault-{n}-{i:05d}"))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"acked": acked, "accepted": accepted, "errors": errors["n"]}, f)
    print(
        f"load: {len(acked)} submissions and {len(accepted)} acceptances acknowledged, "
        f"{errors['n']} failed attempts retried"
    )


def receive(port: int, keys: str) -> None:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock, open(keys, "a", encoding="utf-8") as f:
                f.write(self.headers.get("X-Qinqing-Delivery", "") + "\n")
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def count(out: str, keys: str) -> int:
    import django

    django.setup()
    from django.db.models import Count

    from qinqing.analysis.models import FactQueue
    from qinqing.demands.models import Demand, DemandEvent, InboxMessage, Outbox, OutboxStatus

    started = time.monotonic()
    while (
        True
    ):  # the outbox (demands.deliver_outbox) and the fact queue (analysis.process_queue) drain via beat
        left = FactQueue.objects.count() + Outbox.objects.filter(status=OutboxStatus.PENDING).count()
        if not left or time.monotonic() - started > 150:
            break
        time.sleep(2)
    print(f"drained in {time.monotonic() - started:.0f} s ({left} left)")
    with open(out, encoding="utf-8") as f:
        data = json.load(f)
    acked: dict[str, int] = data["acked"]
    accepted: list[int] = data["accepted"]
    not_accepted = Demand.objects.filter(pk__in=accepted).exclude(status="accepted").count()
    rows = dict(Demand.objects.filter(external_ref__startswith="fault-").values_list("external_ref", "pk"))
    lost = [ref for ref, pk in acked.items() if rows.get(ref) != pk]
    dup_refs = (
        Demand.objects.filter(external_ref__startswith="fault-")
        .values("external_ref")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    dup_titles = (
        Demand.objects.filter(title__startswith="故障测试 ")
        .values("title")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    ).count()
    unacked = len(set(rows) - set(acked))
    outbox = Outbox.objects.filter(demand__external_ref__startswith="fault-")
    pending = outbox.filter(status=OutboxStatus.PENDING).count()
    sent = outbox.filter(status=OutboxStatus.SENT).count()
    dup_outbox = outbox.values("delivery_key").annotate(n=Count("id")).filter(n__gt=1).count()
    inbox = InboxMessage.objects.filter(demand__external_ref__startswith="fault-")
    dup_inbox = inbox.values("delivery_key").annotate(n=Count("id")).filter(n__gt=1).count()
    dup_events = (
        DemandEvent.objects.filter(demand__external_ref__startswith="fault-")
        .values("demand_id", "action")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    events = DemandEvent.objects.filter(demand__external_ref__startswith="fault-").count()
    hooks = outbox.filter(channel="webhook")
    hook_keys = set(hooks.values_list("delivery_key", flat=True))
    try:
        with open(keys, encoding="utf-8") as f:
            received = [line.strip() for line in f if line.strip()]
    except FileNotFoundError:
        received = []
    hooks_lost = len(
        set(hooks.filter(status=OutboxStatus.SENT).values_list("delivery_key", flat=True)) - set(received)
    )
    hooks_stray = len(set(received) - hook_keys)
    queued = FactQueue.objects.count()
    print(
        f"faults: acknowledged {len(acked)}, in the database {len(rows)}, lost {len(lost)}, "
        f"duplicated {dup_refs + dup_titles}, stored but unacknowledged {unacked}; acceptances "
        f"{len(accepted)} ({not_accepted} not in the database); "
        f"outbox {outbox.count()} rows ({sent} sent, {pending} pending, {dup_outbox} duplicated keys), "
        f"inbox {inbox.count()} messages ({dup_inbox} duplicated), events {events} "
        f"({dup_events} duplicated), fact queue {queued} left; webhook: {len(hook_keys)} queued, "
        f"{len(received)} deliveries received ({len(set(received))} distinct keys, "
        f"{len(received) - len(set(received))} repeated deliveries the receiver drops by key, "
        f"{hooks_lost} sent but not received, {hooks_stray} unknown keys)"
    )
    bad = (
        not_accepted + dup_refs + dup_titles + dup_outbox + dup_inbox + dup_events + hooks_lost + hooks_stray
    )
    # Every acknowledged acceptance queued its status report (a 12345 demand with a webhook configured).
    hooks_missing = len(accepted) - len(hook_keys)
    floor = int(os.environ.get("FAULT_MIN_SUBMISSIONS", "100"))  # a load too small proves nothing
    if len(acked) < floor:
        print(f"faults: only {len(acked)} submissions acknowledged (at least {floor} expected)")
    return (
        0
        if len(acked) >= floor and not lost and not bad and not pending and not queued and not hooks_missing
        else 1
    )


if __name__ == "__main__":
    if sys.argv[1] == "load":
        load(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6]), sys.argv[7])
    elif sys.argv[1] == "receive":
        receive(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(count(sys.argv[2], sys.argv[3]))
