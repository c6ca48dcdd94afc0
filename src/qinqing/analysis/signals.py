"""Keep the text index and the dashboard's facts current: whatever changes what the analysis counts
queues the demands concerned (``FactQueue``), in the transaction that makes the change — one INSERT,
no segmentation: the job ``analysis.process_queue`` (``analysis.jobs``) indexes and counts them in
batches, and until it has, readers correct for them (``analysis.facts``).

- a demand saved (submitted, or any step of its handling) or deleted;
- an enterprise saved: its industry, scale and ownership are breakdown keys of its demands;
- a unit moved in the tree: the units a demand counts for are read off the paths of its receiving
  office and lead unit.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from qinqing.demands.models import Demand
from qinqing.enterprises.models import Enterprise
from qinqing.orgs.models import Unit


def _queue(*ids: int) -> None:
    from qinqing.analysis.facts import enqueue

    enqueue(ids)


@receiver(post_save, sender=Demand, dispatch_uid="analysis.demand_saved")
def demand_saved(sender: type[Demand], instance: Demand, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        _queue(instance.pk)


@receiver(post_delete, sender=Demand, dispatch_uid="analysis.demand_deleted")
def demand_deleted(sender: type[Demand], instance: Demand, **kwargs: Any) -> None:
    _queue(instance.pk)


@receiver(post_save, sender=Enterprise, dispatch_uid="analysis.enterprise_saved")
def enterprise_saved(
    sender: type[Enterprise], instance: Enterprise, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not created and not raw:
        _queue(*Demand.objects.filter(enterprise_id=instance.pk).values_list("pk", flat=True))


@receiver(pre_save, sender=Unit, dispatch_uid="analysis.unit_saving")
def unit_saving(sender: type[Unit], instance: Unit, raw: bool = False, **kwargs: Any) -> None:
    if instance.pk is not None and not raw:
        instance._analysis_old_path = (  # type: ignore[attr-defined]
            Unit.objects.filter(pk=instance.pk).values_list("path", flat=True).first() or ""
        )


@receiver(post_save, sender=Unit, dispatch_uid="analysis.unit_saved")
def unit_saved(sender: type[Unit], instance: Unit, raw: bool = False, **kwargs: Any) -> None:
    old = getattr(instance, "_analysis_old_path", "")
    if raw or not old or old == instance.path:
        return
    from django.db.models import Q

    # Called before Unit.save re-paths the descendants: they are still found under the old path.
    moved = [instance.pk, *Unit.objects.filter(path__startswith=old).values_list("pk", flat=True)]
    _queue(
        *Demand.objects.filter(Q(receiving_unit_id__in=moved) | Q(lead_unit_id__in=moved)).values_list(
            "pk", flat=True
        )
    )
