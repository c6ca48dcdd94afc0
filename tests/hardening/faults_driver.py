"""Load for tests/hardening/faults.sh: 12345 submissions through the API while the script breaks things.

faults_driver.py load URL TOKEN ENTERPRISE CATEGORY SECONDS OUT.json   submit until SECONDS have passed,
    retrying each external_ref until it is acknowledged (2xx), as the 12345 hotline's client does
faults_driver.py count OUT.json                                          the counts (Django, DATABASE_URL)
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request


def load(url: str, token: str, enterprise: str, category: str, seconds: float, out: str) -> None:
    acked: dict[str, int] = {}
    errors = {"n": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def submit(ref: str) -> None:
        body = json.dumps(
            {
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
        ).encode()
        for _ in range(600):  # retried until acknowledged (the last attempts may come after the deadline)
            req = urllib.request.Request(  # noqa: S310 - the http://127.0.0.1 URL faults.sh passes
                url, body, {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            )
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                    if resp.status in (200, 201):
                        with lock:
                            acked[ref] = json.loads(resp.read())["id"]
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            with lock:
                errors["n"] += 1
            time.sleep(0.2)
        raise SystemExit(f"{ref} never acknowledged")

    def worker(n: int) -> None:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            submit(f"fault-{n}-{i:05d}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"acked": acked, "errors": errors["n"]}, f)
    print(f"load: {len(acked)} submissions acknowledged, {errors['n']} failed attempts retried")


def count(out: str) -> int:
    import django

    django.setup()
    from django.db.models import Count

    from qinqing.analysis.models import FactQueue
    from qinqing.demands.models import Demand, InboxMessage, Outbox, OutboxStatus

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
    queued = FactQueue.objects.count()
    print(
        f"faults: acknowledged {len(acked)}, in the database {len(rows)}, lost {len(lost)}, "
        f"duplicated {dup_refs + dup_titles}, stored but unacknowledged {unacked}; "
        f"outbox {outbox.count()} rows ({sent} sent, {pending} pending, {dup_outbox} duplicated keys), "
        f"inbox {inbox.count()} messages ({dup_inbox} duplicated), fact queue {queued} left"
    )
    return (
        0
        if not lost and not (dup_refs + dup_titles + dup_outbox + dup_inbox) and not pending and not queued
        else 1
    )


if __name__ == "__main__":
    if sys.argv[1] == "load":
        load(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6]), sys.argv[7])
    else:
        sys.exit(count(sys.argv[2]))
