"""The one transition table: (state, action) → who may act and where the demand goes.

Both the services (which enforce it) and the pages/API (which offer "only the actions the user may
take") read ``TRANSITIONS``. A party is the user's relation to the demand, not just a role:

- ENTERPRISE: a user of the demand's enterprise (role 企业用户);
- OFFICE: a dispatcher or unit head of the coordinating office (受理/交办机构, initially the receiving office);
- LEAD: a unit head or dispatcher of the lead unit (主办单位);
- HANDLER: the current handler (承办人), or a unit head of the lead unit;
- ASSIST: a handler, dispatcher or unit head of an assisting unit (协办) whose opinion is still due.

Guards (time windows, pending opinions, …) live in the services and raise a clear Chinese message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from qinqing.accounts.roles import Role
from qinqing.demands.models import Demand, Status


class Party(StrEnum):
    ENTERPRISE = "enterprise"
    OFFICE = "office"
    LEAD = "lead"
    HANDLER = "handler"
    ASSIST = "assist"


class Action(StrEnum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    REJECT = "reject"
    DISPATCH = "dispatch"
    SIGN = "sign"
    RETURN = "return"
    ASSIGN = "assign"
    TRANSFER = "transfer"
    ESCALATE = "escalate"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    SUSPEND = "suspend"
    RESUME = "resume"
    SUPPLEMENT = "supplement"
    OPINION = "opinion"
    REPLY = "reply"
    RATE = "rate"
    FOLLOW_UP = "follow_up"
    REMIND = "remind"
    SUPERVISE = "supervise"


ACTION_LABELS: dict[str, str] = {
    Action.SUBMIT: "提交",
    Action.ACCEPT: "受理",
    Action.REJECT: "不予受理",
    Action.DISPATCH: "交办",
    Action.SIGN: "签收",
    Action.RETURN: "退回",
    Action.ASSIGN: "分派",
    Action.TRANSFER: "转办",
    Action.ESCALATE: "提级",
    Action.REQUEST_EXTENSION: "申请延期",
    Action.APPROVE_EXTENSION: "批准延期",
    Action.REFUSE_EXTENSION: "不予延期",
    Action.SUSPEND: "挂起",
    Action.RESUME: "恢复",
    Action.SUPPLEMENT: "补充材料",
    Action.OPINION: "协办意见",
    Action.REPLY: "答复",
    Action.RATE: "评价",
    Action.FOLLOW_UP: "回访",
    Action.REMIND: "催办",
    Action.SUPERVISE: "督办",
    "redo": "发回重办",
    "close": "办结",
}


@dataclass(frozen=True)
class Transition:
    parties: frozenset[Party]
    # The state after the action; None when the service decides (rate: 办结 or 重办) or it stays.
    target: Status | None
    public: bool = True  # whether the event shows on the enterprise's timeline


def _t(parties: set[Party], target: Status | None, public: bool = True) -> Transition:
    return Transition(frozenset(parties), target, public)


S = Status
P = Party
A = Action
OPEN = (S.SUBMITTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.SUSPENDED)
SUPERVISABLE = (S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.SUSPENDED)

TRANSITIONS: dict[tuple[str, str], Transition] = {
    (S.SUBMITTED, A.ACCEPT): _t({P.OFFICE}, S.ACCEPTED),
    (S.SUBMITTED, A.REJECT): _t({P.OFFICE}, S.REJECTED),
    (S.ACCEPTED, A.DISPATCH): _t({P.OFFICE}, S.DISPATCHED),
    (S.ACCEPTED, A.ESCALATE): _t({P.OFFICE}, S.ACCEPTED, public=False),
    (S.DISPATCHED, A.SIGN): _t({P.LEAD}, S.HANDLING),
    (S.DISPATCHED, A.RETURN): _t({P.LEAD}, None, public=False),
    (S.HANDLING, A.ASSIGN): _t({P.LEAD}, S.HANDLING, public=False),
    (S.HANDLING, A.TRANSFER): _t({P.LEAD}, S.DISPATCHED, public=False),
    (S.HANDLING, A.ESCALATE): _t({P.LEAD}, S.ACCEPTED, public=False),
    (S.HANDLING, A.REQUEST_EXTENSION): _t({P.HANDLER}, S.HANDLING, public=False),
    (S.HANDLING, A.APPROVE_EXTENSION): _t({P.OFFICE}, S.HANDLING),
    (S.HANDLING, A.REFUSE_EXTENSION): _t({P.OFFICE}, S.HANDLING, public=False),
    (S.HANDLING, A.SUSPEND): _t({P.HANDLER}, S.SUSPENDED),
    (S.SUSPENDED, A.RESUME): _t({P.HANDLER}, S.HANDLING),
    (S.HANDLING, A.OPINION): _t({P.ASSIST}, S.HANDLING, public=False),
    (S.HANDLING, A.REPLY): _t({P.HANDLER}, S.REPLIED),
    (S.REPLIED, A.RATE): _t({P.ENTERPRISE}, None),
    (S.REPLIED, A.FOLLOW_UP): _t({P.OFFICE}, None),
    (S.CLOSED, A.FOLLOW_UP): _t({P.OFFICE}, S.CLOSED),
    (S.HANDLING, A.FOLLOW_UP): _t({P.OFFICE}, S.HANDLING),
    **{(s, A.SUPPLEMENT): _t({P.ENTERPRISE}, s) for s in OPEN},
    **{(s, A.REMIND): _t({P.OFFICE}, s, public=False) for s in SUPERVISABLE},
    **{(s, A.SUPERVISE): _t({P.OFFICE}, s, public=False) for s in SUPERVISABLE},
}

ACTIONS_WITH_VERSION = [a for a in Action if a != Action.SUBMIT]

OFFICE_ROLES = (Role.DISPATCHER, Role.UNIT_HEAD)
LEAD_ROLES = (Role.UNIT_HEAD, Role.DISPATCHER)
ASSIST_ROLES = (Role.HANDLER, Role.DISPATCHER, Role.UNIT_HEAD)


def _has_any(user: Any, roles: tuple[str, ...]) -> bool:
    return any(user.has_role(r) for r in roles)


def parties_of(user: Any, demand: Demand, assist_unit_ids: set[int] | None = None) -> set[Party]:
    """USER's relations to DEMAND. ASSIST_UNIT_IDS: the assisting units whose opinion is due (if known)."""
    parties: set[Party] = set()
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return parties
    if user.enterprise_id:
        if user.enterprise_id == demand.enterprise_id and user.has_role(Role.ENTERPRISE):
            parties.add(Party.ENTERPRISE)
        return parties
    unit_id = user.unit_id
    if unit_id is None:
        return parties
    if unit_id == demand.coordinating_unit_id and _has_any(user, OFFICE_ROLES):
        parties.add(Party.OFFICE)
    if unit_id == demand.lead_unit_id and _has_any(user, LEAD_ROLES):
        parties.add(Party.LEAD)
    is_handler = demand.current_handler_id == user.pk
    if demand.lead_unit_id is not None and (
        is_handler or (unit_id == demand.lead_unit_id and user.has_role(Role.UNIT_HEAD))
    ):
        parties.add(Party.HANDLER)
    if assist_unit_ids is None:
        assist_unit_ids = set(
            demand.assists.filter(opinion_at__isnull=True).values_list("unit_id", flat=True)
        )
    if unit_id in assist_unit_ids and _has_any(user, ASSIST_ROLES):
        parties.add(Party.ASSIST)
    return parties


def transition(state: str, action: str) -> Transition | None:
    return TRANSITIONS.get((state, action))


def allowed_actions(user: Any, demand: Demand, assist_unit_ids: set[int] | None = None) -> list[str]:
    """The actions USER may take on DEMAND now, in table order (guards are checked by the services)."""
    parties = parties_of(user, demand, assist_unit_ids)
    return [
        action for (state, action), t in TRANSITIONS.items() if state == demand.status and parties & t.parties
    ]
