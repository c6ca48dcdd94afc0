"""Keep the text index current: a new demand is segmented and indexed in its submitting transaction."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from qinqing.demands.models import Demand


@receiver(post_save, sender=Demand, dispatch_uid="analysis.index_new_demand")
def index_new_demand(
    sender: type[Demand], instance: Demand, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if created and not raw:
        from qinqing.analysis.similarity import index_demand

        index_demand(instance)
