"""Everything the liaison app needs from the demands app, in one place.

From ``qinqing.demands.services``: ``submit`` (a visit problem, channel 走访收集), ``escalation_target``
(the ladder 乡镇/部门 → 县市/园区 → 州), ``escalate_by_rule`` (提级 by a rule or by the next level's
dispatcher, who is not a party of the demand), ``dispatch`` and ``remind`` (meeting follow-ups), and
the notification outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from qinqing.demands import notifications
from qinqing.demands import services as demand_services
from qinqing.demands.models import Category, Channel, Demand, Status
from qinqing.demands.services import ActionRefused
from qinqing.demands.workflow import Party
from qinqing.enterprises.models import Enterprise
from qinqing.liaison.models import FollowUpKind
from qinqing.orgs.models import Unit

__all__ = ["ActionRefused", "escalate_by_rule", "escalation_target", "land_follow_up", "submit_visit_problem"]


def submit_visit_problem(
    user: Any,
    *,
    enterprise: Enterprise,
    category: Category | None,
    demand_type: str,
    title: str,
    description: str,
    contact_name: str,
    contact_phone: str,
) -> Demand:
    data = demand_services.SubmitData(
        category=category,
        demand_type=demand_type,
        title=title,
        description=description,
        channel=Channel.VISIT,
        enterprise=enterprise,
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    return demand_services.submit(user, data)


def escalation_target(demand: Demand) -> Unit | None:
    """The next rung of the ladder for DEMAND where it is held now."""
    party = Party.LEAD if demand.lead_unit_id else Party.OFFICE
    return demand_services.escalation_target(demand, party)


def escalate_by_rule(actor: Any, demand_id: int, *, to_unit: Unit, reason: str) -> Demand:
    """提级 decided by a rule (ACTOR None: the periodic job) or by the next level's dispatcher."""
    return demand_services.escalate_by_rule(actor, demand_id, to_unit=to_unit, reason=reason)


def notify_office(unit: Unit, subject: str, body: str, *, key: str = "") -> int:
    from qinqing.accounts.models import User
    from qinqing.accounts.roles import Role

    users = User.objects.filter(
        unit=unit, is_active=True, role_rows__role__in=[Role.DISPATCHER, Role.UNIT_HEAD]
    )
    return notifications.enqueue(
        users.distinct(), subject, body, key=key or f"liaison:{unit.pk}:{timezone.now().timestamp()}"
    )


def land_follow_up(
    user: Any, demand_id: int, *, action: str, lead_unit: Unit | None, assisting_units: Sequence[Unit]
) -> str:
    """A meeting decision into the workflow: 交办 when the demand waits at the user's office for a
    lead unit, otherwise 催办 carrying the decision. Refusals come back as ValidationError."""
    demand = Demand.objects.get(pk=demand_id)
    try:
        if demand.status == Status.ACCEPTED and lead_unit is not None:
            demand_services.dispatch(
                user,
                demand.pk,
                demand.version,
                lead_unit=lead_unit,
                assisting_units=assisting_units,
                note=action,
            )
            return FollowUpKind.DISPATCH
        if demand.status == Status.ACCEPTED:
            raise ValidationError("该诉求待交办，请选择责任单位")
        demand_services.remind(user, demand.pk, demand.version, note=action[:500])
        return FollowUpKind.REMIND
    except demand_services.ActionRefused as exc:
        raise ValidationError(exc.message) from exc
