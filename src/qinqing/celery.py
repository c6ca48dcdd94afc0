"""Celery application (production: Redis broker, workers and beat). See docs/deploy.md."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")

app = Celery("qinqing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule(sender: Celery, **kwargs: object) -> None:
    from qinqing.core.jobs import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
