"""Periodic jobs of the portal (qinqing.core.jobs; Celery beat or `qinqing runjobs`), all idempotent.

- ``portal.sync_projects`` (60 s): the public catalogue follows the investment library (snapshot.py).
- ``portal.run_schedule`` (60 s): scheduled publication and unpublishing (conditional updates).
- ``portal.generate_editions`` (10 s): queued publications, one at a time, progress on the row.
- ``portal.sweep_inquiries`` (300 s): due-soon and overdue reminders, once per inquiry, threshold and
  deadline (an ``InquiryReminder`` row with a unique constraint, written with the outbox rows).
- ``portal.flush_visits`` (10 s): the process's visit counters into ``Visit``.
- ``portal.purge_sms_codes`` (3600 s): SMS codes expired for a day are deleted (sms.py).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from qinqing.core.jobs import periodic
from qinqing.demands import notifications
from qinqing.portal import inquiries, public, publications, services, sms, snapshot
from qinqing.portal.models import Edition, Inquiry, InquiryReminder, InquiryStatus, JobStatus

BATCH = 2000


@periodic(60, name="portal.sync_projects")
def sync_projects() -> int:
    return snapshot.sync_projects().changed


@periodic(60, name="portal.run_schedule")
def run_schedule() -> int:
    published, withdrawn = services.run_schedule()
    return published + withdrawn


@periodic(10, name="portal.generate_editions")
def generate_editions() -> int:
    done = 0
    for edition in Edition.objects.filter(status=JobStatus.QUEUED).order_by("created_at")[:3]:
        publications.generate(edition)
        done += 1
    return done


@periodic(10, name="portal.flush_visits")
def flush_visits() -> int:
    return public.flush_visits()


@periodic(3600, name="portal.purge_sms_codes")
def purge_sms_codes() -> int:
    return sms.purge()


def _remind(inquiry: Inquiry, threshold: str, subject: str, body: str) -> bool:
    try:
        with transaction.atomic():
            row = InquiryReminder.objects.create(
                inquiry=inquiry, threshold=threshold, deadline=inquiry.due_at
            )
            notifications.enqueue(inquiries.unit_users(inquiry.unit), subject, body, key=f"pinq{row.pk}")
    except IntegrityError:
        return False
    return True


@periodic(300, name="portal.sweep_inquiries")
def sweep_inquiries(now: dt.datetime | None = None) -> int:
    """Reminders for inquiries still waiting for their first answer that turned yellow or red."""
    now = now or timezone.now()
    sent = 0
    for threshold in ("due_soon", "overdue"):
        cond = Q(due_at__lt=now) if threshold == "overdue" else Q(warn_at__lte=now, due_at__gte=now)
        already = InquiryReminder.objects.filter(
            inquiry=OuterRef("pk"), threshold=threshold, deadline=OuterRef("due_at")
        )
        rows = (
            Inquiry.objects.filter(cond, status=InquiryStatus.RECEIVED, answered_at__isnull=True)
            .exclude(Exists(already))
            .select_related("unit")
            .order_by("due_at")[:BATCH]
        )
        for inquiry in rows:
            word = "即将到期" if threshold == "due_soon" else "已超期"
            subject = f"对接洽谈{inquiry.number}答复{word}"
            body = (
                f"对接洽谈 {inquiry.number}（{inquiry.company}）答复期限 "
                f"{timezone.localtime(inquiry.due_at):%Y-%m-%d %H:%M}，{word}，请及时答复。"
            )
            sent += _remind(inquiry, threshold, subject, body)
    return sent
