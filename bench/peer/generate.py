#!/usr/bin/env python
"""Synthetic ticket workload for django-helpdesk (the peer system).

Creates ~20 queues, ~50 staff users and N tickets with about 3 follow-ups per
ticket on average, spread over five years (volume growing over time), ~10%
open.  Users, queues and per-user settings go through the Django ORM (so
helpdesk's signals run); tickets and follow-ups are streamed with PostgreSQL
COPY in text format, with FK triggers off for the load (the data is
consistent by construction) and everything re-checked afterwards.

Re-runnable: it truncates helpdesk's ticket tables and removes the users it
created before loading.

    PGDATABASE=helpdesk_1m python generate.py --tickets 1000000

Writes a JSON summary (counts, timings) to --summary.
"""

from __future__ import annotations

import argparse
import bisect
import io
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.environ.get("PEER_PROJECT", "/tmp/peer/proj")  # noqa: S108 - the scratch directory
sys.path.insert(0, PROJECT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from helpdesk.models import EmailTemplate, Queue  # noqa: E402

User = get_user_model()

QUEUES = [
    ("IT Support", "it"),
    ("Network & VPN", "net"),
    ("Accounts & Access", "acc"),
    ("Billing", "bill"),
    ("Procurement", "proc"),
    ("Facilities", "fac"),
    ("HR Requests", "hr"),
    ("Payroll", "pay"),
    ("Legal", "legal"),
    ("Security Incidents", "sec"),
    ("Email & Calendar", "mail"),
    ("Printers", "print"),
    ("Telephony", "tel"),
    ("ERP", "erp"),
    ("CRM", "crm"),
    ("Website", "web"),
    ("Mobile Devices", "mob"),
    ("Training", "train"),
    ("Data Requests", "data"),
    ("General", "gen"),
]

SUBJECTS = [
    "Cannot log in to",
    "Error when opening",
    "Slow response from",
    "Request access to",
    "Password reset for",
    "Crash in",
    "Missing data in",
    "Need a report from",
    "Invoice mismatch in",
    "Timeout connecting to",
    "License renewal for",
    "Sync failure in",
    "Permission denied on",
    "New account for",
    "Update for",
]
OBJECTS = [
    "the VPN",
    "Outlook",
    "the ERP module",
    "the payroll portal",
    "shared drive H:",
    "the CRM",
    "printer on floor 3",
    "the intranet",
    "Teams meetings",
    "the HR system",
    "the finance dashboard",
    "the badge reader",
    "the mobile app",
    "the website CMS",
    "the warehouse scanner",
    "the laptop dock",
    "the desk phone",
    "the training LMS",
]
CONTEXT = [
    "",
    "",
    "",
    " since this morning",
    " after the update",
    " for the whole team",
    " (urgent)",
    " on my new laptop",
    " from home",
    " since Monday",
]
SENTENCES = [
    "The problem started after the latest update was installed.",
    "I already tried restarting the computer and clearing the browser cache.",
    "Several colleagues in the same office report the same issue.",
    "The error message says that the server could not be reached.",
    "This is blocking the month-end closing, please treat it with priority.",
    "Attached you will find a screenshot of the error dialog.",
    "It works from the office network but not from home.",
    "The issue is intermittent and happens roughly every other hour.",
    "Please grant the same permissions as my predecessor had.",
    "We need this before the audit at the end of the week.",
    "The reference number of the affected order is in the subject.",
    "I can reproduce it every time I open the second tab.",
    "Our department head has approved this request by email.",
    "Nothing in the logs looks suspicious as far as I can tell.",
    "Thank you for your help, it is much appreciated.",
]
REPLIES = [
    "Thanks for the report, we are looking into it.",
    "Could you please send us the exact time when this happened?",
    "We have reset the account, please try again and let us know.",
    "The vendor has confirmed the bug and is preparing a fix.",
    "Access has been granted, it can take up to an hour to propagate.",
    "I restarted the service on the server side, it should work now.",
    "Works again, thank you!",
    "Still failing for me, same error as before.",
    "We scheduled a visit from the technician for tomorrow morning.",
    "Escalated to the second-level team.",
    "Closing this ticket as the issue has been resolved.",
]
RESOLUTIONS = [
    "Configuration corrected on the server side.",
    "Account unlocked and password reset.",
    "Hardware replaced.",
    "Access granted after manager approval.",
    "Duplicate of an earlier request; handled there.",
    "Vendor patch installed.",
    "User training provided; no defect found.",
]

OPEN, REOPENED, RESOLVED, CLOSED, DUPLICATE = 1, 2, 3, 4, 5
STATUS_TITLE = {
    OPEN: "Updated",
    REOPENED: "Reopened",
    RESOLVED: "Resolved",
    CLOSED: "Closed",
    DUPLICATE: "Marked as duplicate",
}


def cumulative(weights):
    out, s = [], 0.0
    for w in weights:
        s += w
        out.append(s)
    return [x / s for x in out]


def pick(rng, cum, items):
    return items[bisect.bisect_left(cum, rng.random())]


def ts(dt: datetime) -> str:
    return dt.isoformat(sep=" ")


def setup_users_and_queues(n_staff: int, n_queues: int, password: str):
    with transaction.atomic():
        User.objects.filter(username__startswith="agent").delete()
        User.objects.filter(username="benchadmin").delete()
        pw = make_password(password)  # hashed once, shared by all bench users
        staff = []
        for i in range(1, n_staff + 1):
            u = User(
                username=f"agent{i:02d}",
                email=f"agent{i:02d}@helpdesk.example",
                first_name="Agent",
                last_name=f"{i:02d}",
                is_staff=True,
                password=pw,
            )
            u.save()  # post_save creates helpdesk UserSettings
            staff.append(u)
        admin = User(
            username="benchadmin",
            email="admin@helpdesk.example",
            is_staff=True,
            is_superuser=True,
            password=pw,
        )
        admin.save()
        Queue.objects.all().delete()
        queues = []
        for title, slug in QUEUES[:n_queues]:
            queues.append(
                Queue.objects.create(
                    title=title,
                    slug=slug,
                    email_address=f"{slug}@helpdesk.example",
                    allow_public_submission=False,
                    allow_email_submission=False,
                    escalate_days=5,
                )
            )
    if not EmailTemplate.objects.exists():
        call_command("loaddata", "emailtemplate.json", verbosity=0)
    return staff, admin, queues


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--queues", type=int, default=20)
    ap.add_argument("--staff", type=int, default=50)
    ap.add_argument("--customers", type=int, default=200_000)
    ap.add_argument("--years", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--password", default="bench-pass-1")
    ap.add_argument("--batch", type=int, default=20_000)
    ap.add_argument("--summary", default=None)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    timings = {}

    with connection.cursor() as c:
        c.execute(
            "TRUNCATE helpdesk_ticket, helpdesk_followup, helpdesk_ticketchange, "
            "helpdesk_ticketcc, helpdesk_ticketcustomfieldvalue, "
            "helpdesk_ticketdependency, helpdesk_followupattachment, "
            "helpdesk_checklist, helpdesk_checklisttask RESTART IDENTITY CASCADE"
        )
    staff, _admin, queues = setup_users_and_queues(args.staff, args.queues, args.password)
    timings["users_queues_s"] = round(time.perf_counter() - t0, 2)

    staff_ids = [u.id for u in staff]
    staff_emails = [u.email for u in staff]
    staff_cum = cumulative([rng.uniform(0.5, 1.5) for _ in staff_ids])
    queue_ids = [q.id for q in queues]
    queue_cum = cumulative([1.0 / (i + 1) ** 0.8 for i in range(len(queue_ids))])
    status_by_age = [  # (max age in days, statuses, weights)
        (14, [OPEN, REOPENED, RESOLVED, CLOSED, DUPLICATE], [55, 5, 25, 14, 1]),
        (90, [OPEN, REOPENED, RESOLVED, CLOSED, DUPLICATE], [20, 3, 20, 55, 2]),
        (10**9, [OPEN, REOPENED, RESOLVED, CLOSED, DUPLICATE], [8, 1, 8, 80, 3]),
    ]
    status_by_age = [(a, s, cumulative(w)) for a, s, w in status_by_age]
    prio_cum = cumulative([5, 15, 50, 20, 10])

    now = datetime.now(UTC).replace(microsecond=0)
    span = timedelta(days=365.25 * args.years).total_seconds()
    start = now - timedelta(seconds=span)
    # sqrt(u): density grows linearly over time (busier helpdesk every year)
    offsets = sorted(span * (rng.random() ** 0.5) for _ in range(args.tickets))
    timings["dates_s"] = round(time.perf_counter() - t0 - timings["users_queues_s"], 2)

    raw = connection.connection  # psycopg 3 connection under Django
    counts = {"status": {}, "queue": {}, "followups": 0}
    t_load = time.perf_counter()
    with transaction.atomic(), raw.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")  # no FK triggers
        cur.execute("SET LOCAL synchronous_commit = off")
        tbuf, fbuf = io.StringIO(), io.StringIO()
        fid = 0
        tcols = (
            "id, title, created, modified, submitter_email, status, on_hold, "
            "description, resolution, priority, due_date, last_escalation, "
            "assigned_to_id, queue_id, secret_key, kbitem_id, merged_to_id"
        )
        fcols = (
            "id, date, title, comment, public, new_status, ticket_id, user_id, "
            "message_id, time_spent, email_recipients"
        )

        def flush(final=False):
            nonlocal tbuf, fbuf
            if tbuf.tell() and (final or tbuf.tell() > 4_000_000):
                with cur.copy(f"COPY helpdesk_ticket ({tcols}) FROM STDIN") as cp:
                    cp.write(tbuf.getvalue())
                tbuf = io.StringIO()
            if fbuf.tell() and (final or fbuf.tell() > 4_000_000):
                with cur.copy(f"COPY helpdesk_followup ({fcols}) FROM STDIN") as cp:
                    cp.write(fbuf.getvalue())
                fbuf = io.StringIO()

        for i, off in enumerate(offsets, start=1):
            created = start + timedelta(seconds=off)
            age_days = (now - created).total_seconds() / 86400.0
            for max_age, sts, cum in status_by_age:
                if age_days < max_age:
                    status = pick(rng, cum, sts)
                    break
            qid = pick(rng, queue_cum, queue_ids)
            is_open = status in (OPEN, REOPENED)
            unassigned = rng.random() < (0.35 if is_open else 0.05)
            assignee = None if unassigned else pick(rng, staff_cum, staff_ids)
            if rng.random() < 0.02:
                submitter = staff_emails[rng.randrange(len(staff_emails))]
            else:
                n = int(args.customers * rng.random() ** 2)  # a few frequent reporters
                submitter = f"customer{n}@example.com"
            title = f"{rng.choice(SUBJECTS)} {rng.choice(OBJECTS)}{rng.choice(CONTEXT)}"
            desc = " ".join(rng.sample(SENTENCES, rng.randint(2, 6)))
            prio = pick(rng, prio_cum, [1, 2, 3, 4, 5])
            due = created + timedelta(days=rng.randint(1, 14)) if rng.random() < 0.3 else None

            # follow-ups: the opening one plus ~2 more on average
            n_more = (
                min(12, int(rng.expovariate(1 / 2.0) + 0.5))
                if status != OPEN
                else min(6, int(rng.expovariate(1 / 1.2) + 0.5))
            )
            if status in (RESOLVED, CLOSED, REOPENED, DUPLICATE) and n_more < 1:
                n_more = 1
            fdate = created
            fid += 1
            fbuf.write(
                f"{fid}\t{ts(created)}\t"
                f"{'Ticket Opened & Assigned' if assignee else 'Ticket Opened'}\t"
                f"{desc}\tt\t\\N\t{i}\t{assignee if assignee else chr(92) + 'N'}\t"
                f"\\N\t\\N\t\\N\n"
            )
            for k in range(n_more):
                gap = rng.expovariate(1 / (1.5 * 86400))
                fdate = fdate + timedelta(seconds=gap)
                if fdate > now:
                    fdate = now - timedelta(seconds=rng.randint(60, 3600))
                last = k == n_more - 1
                if last and status != OPEN:
                    new_status, ftitle = status, STATUS_TITLE[status]
                else:
                    new_status, ftitle = None, "Comment"
                by_staff = (k % 2 == 0) and assignee
                fid += 1
                fbuf.write(
                    f"{fid}\t{ts(fdate)}\t{ftitle}\t{rng.choice(REPLIES)}\t"
                    f"{'t' if rng.random() < 0.6 else 'f'}\t"
                    f"{new_status if new_status else chr(92) + 'N'}\t{i}\t"
                    f"{by_staff if by_staff else chr(92) + 'N'}\t\\N\t"
                    f"{f'00:{rng.randint(5, 55):02d}:00' if by_staff else chr(92) + 'N'}\t"
                    f"\\N\n"
                )
            modified = max(fdate, created)
            resolution = rng.choice(RESOLUTIONS) if status in (RESOLVED, CLOSED, DUPLICATE) else None
            tbuf.write(
                f"{i}\t{title}\t{ts(created)}\t{ts(modified)}\t{submitter}\t{status}\t"
                f"{'t' if (is_open and rng.random() < 0.03) else 'f'}\t{desc}\t"
                f"{resolution if resolution else chr(92) + 'N'}\t{prio}\t"
                f"{ts(due) if due else chr(92) + 'N'}\t\\N\t"
                f"{assignee if assignee else chr(92) + 'N'}\t{qid}\t"
                f"{uuid.UUID(int=rng.getrandbits(128), version=4)}\t\\N\t\\N\n"
            )
            counts["status"][status] = counts["status"].get(status, 0) + 1
            counts["queue"][qid] = counts["queue"].get(qid, 0) + 1
            if i % args.batch == 0:
                flush()
            if i % 100_000 == 0:
                print(
                    f"  {i:>9,} tickets, {fid:>10,} follow-ups, {time.perf_counter() - t_load:6.1f}s",
                    flush=True,
                )
        flush(final=True)
        counts["followups"] = fid
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('helpdesk_ticket','id'), %s)", (max(args.tickets, 1),)
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('helpdesk_followup','id'), %s)", (max(fid, 1),))
    timings["copy_s"] = round(time.perf_counter() - t_load, 2)

    t_an = time.perf_counter()
    raw.autocommit = True
    with raw.cursor() as cur:
        # integrity re-check of what the FK triggers did not see
        cur.execute(
            "SELECT count(*) FROM helpdesk_followup f LEFT JOIN helpdesk_ticket t "
            "ON t.id = f.ticket_id WHERE t.id IS NULL"
        )
        orphans = cur.fetchone()[0]
        assert orphans == 0, orphans
        cur.execute("VACUUM (ANALYZE) helpdesk_ticket")
        cur.execute("VACUUM (ANALYZE) helpdesk_followup")
        cur.execute("ANALYZE")
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        db_size = cur.fetchone()[0]
    timings["vacuum_analyze_s"] = round(time.perf_counter() - t_an, 2)
    timings["total_s"] = round(time.perf_counter() - t0, 2)

    biggest = max(counts["queue"], key=counts["queue"].get)
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM helpdesk_ticket WHERE queue_id=%s AND status=1", [biggest])
        big_open = c.fetchone()[0]
        c.execute("SELECT count(*) FROM helpdesk_ticket WHERE assigned_to_id=%s", [staff_ids[0]])
        agent1_tickets = c.fetchone()[0]
    summary = {
        "database": connection.settings_dict["NAME"],
        "tickets": args.tickets,
        "followups": counts["followups"],
        "followups_per_ticket": round(counts["followups"] / max(args.tickets, 1), 2),
        "staff_users": len(staff_ids),
        "queues": len(queue_ids),
        "status_counts": {str(k): v for k, v in sorted(counts["status"].items())},
        "open_pct": round(100 * counts["status"].get(OPEN, 0) / max(args.tickets, 1), 2),
        "open_or_reopened_pct": round(
            100 * (counts["status"].get(OPEN, 0) + counts["status"].get(REOPENED, 0)) / max(args.tickets, 1),
            2,
        ),
        "queue_sizes": {str(k): v for k, v in sorted(counts["queue"].items())},
        "bench_queue_id": biggest,
        "bench_queue_tickets": counts["queue"][biggest],
        "bench_queue_open": big_open,
        "agent01_id": staff_ids[0],
        "agent01_assigned": agent1_tickets,
        "date_range": [ts(start), ts(now)],
        "db_size": db_size,
        "timings": timings,
    }
    print(json.dumps(summary, indent=2))
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
