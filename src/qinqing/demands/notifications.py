"""Notifications through a transactional outbox.

Services write ``Outbox`` rows in the same transaction as the action (``enqueue``/``enqueue_webhook``);
nothing is sent inline. ``deliver_pending`` (the periodic job ``demands.deliver_outbox``) delivers them:

- one row per transaction: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (several workers never
  take the same row) plus a conditional ``UPDATE … WHERE status='pending'`` claim (the guard on SQLite,
  whose IMMEDIATE transactions already serialise writers);
- the channel delivers and the row is marked sent in that same transaction. If the worker dies, the
  transaction rolls back and the row stays pending: a message is never lost. The in-app inbox writes
  its row in the same transaction (unique delivery key), so it is delivered exactly once. External
  channels (e-mail, webhook, SMS, WeCom) carry the delivery key (``Message-ID``/``X-Qinqing-Delivery``)
  so the receiver drops the one repeat a crash between its acceptance and our commit could cause;
- a failure is retried with exponential backoff up to ``MAX_ATTEMPTS``, then the row is ``failed``.

A new channel implements ``NotificationChannel.send(message)`` and registers with ``register_channel``
(docs/demands.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import urllib.request
from collections.abc import Iterable
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from qinqing.demands import cache
from qinqing.demands.models import Demand, InboxMessage, Outbox, OutboxStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
WEBHOOK_TIMEOUT = 10


class NotificationChannel(Protocol):
    def send(self, message: Outbox) -> None:
        """Deliver MESSAGE or raise. Must tolerate a repeat of the same ``message.delivery_key``."""


class InboxChannel:
    def send(self, message: Outbox) -> None:
        if message.recipient_id is None:
            raise ValueError("inbox message without recipient")
        InboxMessage.objects.get_or_create(
            delivery_key=message.delivery_key,
            defaults={
                "user_id": message.recipient_id,
                "subject": message.subject,
                "body": message.body,
                "demand_id": message.demand_id,
            },
        )


class EmailChannel:
    def send(self, message: Outbox) -> None:
        email = EmailMessage(
            subject=f"[亲清] {message.subject}",
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            headers={"Message-ID": f"<{message.delivery_key}@qinqing>"},
        )
        email.send(fail_silently=False)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The webhook signature: hex HMAC-SHA256 of ``timestamp + "." + body`` with the shared secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class WebhookChannel:
    def send(self, message: Outbox) -> None:
        secret = cache.settings().webhook_secret
        body = json.dumps(message.payload, ensure_ascii=False, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 - the office configures an http(s) URL
            message.address,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Qinqing-Delivery": message.delivery_key,
                "X-Qinqing-Timestamp": timestamp,
                "X-Qinqing-Signature": f"sha256={sign(secret, timestamp, body)}",
            },
        )
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise RuntimeError(f"webhook answered {response.status}")


CHANNELS: dict[str, NotificationChannel] = {
    "inbox": InboxChannel(),
    "email": EmailChannel(),
    "webhook": WebhookChannel(),
}


def register_channel(name: str, channel: NotificationChannel) -> None:
    """Plug in a further channel (SMS, WeCom …); ``enqueue(..., channels=[name])`` then uses it."""
    CHANNELS[name] = channel


# --- writing (inside the action's transaction) ---------------------------------------------------
def outbox_rows(
    users: Iterable[Any],
    subject: str,
    body: str,
    *,
    key: str,
    demand: Demand | None = None,
    email: bool = True,
) -> list[Outbox]:
    """The unsaved rows ``enqueue`` writes (to write those of several causes in one ``write``)."""
    rows: list[Outbox] = []
    seen: set[int] = set()
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        common = {"subject": subject[:200], "body": body, "demand": demand, "recipient": user}
        rows.append(Outbox(channel="inbox", delivery_key=f"inbox:{key}:{user.pk}", **common))
        if email and user.email:
            rows.append(
                Outbox(channel="email", address=user.email, delivery_key=f"email:{key}:{user.pk}", **common)
            )
    return rows


def write(rows: list[Outbox]) -> int:
    """Insert ROWS in one statement (a delivery key already queued is skipped)."""
    if rows:
        Outbox.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def enqueue(
    users: Iterable[Any],
    subject: str,
    body: str,
    *,
    key: str,
    demand: Demand | None = None,
    email: bool = True,
) -> int:
    """Queue an inbox message (and an e-mail when the user has an address) for each of USERS.

    KEY identifies the cause (e.g. the event id); the delivery key adds the channel and the user, so the
    same cause never queues the same message twice.
    """
    return write(outbox_rows(users, subject, body, key=key, demand=demand, email=email))


def enqueue_webhook(demand: Demand, event_id: int, payload: dict[str, Any]) -> bool:
    """Queue the status report of a 12345 demand to the configured webhook, if any."""
    config = cache.settings()
    if not config.webhook_url or not demand.external_ref:
        return False
    Outbox.objects.create(
        channel="webhook",
        address=config.webhook_url,
        subject=f"{demand.number} 状态回传",
        payload=payload,
        demand=demand,
        delivery_key=f"webhook:{event_id}",
    )
    return True


# --- delivering ------------------------------------------------------------------------------------
def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 30 * 2 ** (attempts - 1)))


def deliver_one() -> bool | None:
    """Deliver the next due message. True: sent; False: failed (rescheduled); None: nothing due."""
    with transaction.atomic():
        now = timezone.now()
        row = (
            Outbox.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .first()
        )
        if row is None:
            return None
        # The claim: a no-op under the row lock on PostgreSQL, the guard on SQLite.
        if not Outbox.objects.filter(pk=row.pk, status=OutboxStatus.PENDING).update(
            attempts=row.attempts + 1
        ):
            return False
        row.attempts += 1
        channel = CHANNELS.get(row.channel)
        try:
            if channel is None:
                raise LookupError(f"no channel {row.channel!r}")
            with transaction.atomic():
                channel.send(row)
        except Exception as exc:
            logger.warning("outbox %s (%s) failed: %s", row.pk, row.channel, exc)
            row.last_error = str(exc)[:500]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = OutboxStatus.FAILED
            else:
                row.next_attempt_at = now + _backoff(row.attempts)
            row.save(update_fields=["last_error", "status", "next_attempt_at"])
            return False
        row.status = OutboxStatus.SENT
        row.sent_at = timezone.now()
        row.last_error = ""
        row.save(update_fields=["status", "sent_at", "last_error"])
        return True


def deliver_pending(limit: int | None = None, seconds: float = 10.0) -> int:
    """Deliver due messages until none is left, LIMIT were tried or SECONDS have passed (less than the
    job's 15-second period, so that a backlog drains at full speed without runs piling up); returns how
    many were sent."""
    sent = tried = 0
    stop = time.monotonic() + seconds
    while (limit is None or tried < limit) and time.monotonic() < stop:
        tried += 1
        result = deliver_one()
        if result is None:
            break
        if result:
            sent += 1
    return sent
