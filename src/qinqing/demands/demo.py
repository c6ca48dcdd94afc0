"""Demo demands: about 200 over the last five months for 昌吉州 and 乌鲁木齐市, in every state, with events.

Driven through the real services on a simulated clock, so every deadline, light, event and statistic is
what the product would have produced. Deterministic (fixed seed, dates relative to today) and
idempotent (skipped when demands exist). Called by ``qinqing demo`` after units, users and enterprises.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from django.db import transaction
from django.utils import timezone

from qinqing.accounts.models import User, UserRole
from qinqing.accounts.roles import Role
from qinqing.demands import services
from qinqing.demands.clocks import TZ
from qinqing.demands.models import Category, Demand, DemandType, Status, Urgency
from qinqing.demands.workflow import Action
from qinqing.enterprises.models import Enterprise
from qinqing.orgs.models import Unit

SEED = 20261122
COUNT = 200
RECENT = 36  # the most recent demands stop in an open state, so every state is present
STOPS = [
    Status.SUBMITTED,
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.HANDLING,
    Status.SUSPENDED,
    Status.REPLIED,
]
TITLES = {
    "用地": ("项目用地指标落实缓慢", "厂区扩建用地报批"),
    "用电": ("新生产线用电扩容", "频繁停电影响生产"),
    "用水用气": ("工业用气价格咨询", "供水管网接入"),
    "用工": ("季节性用工短缺", "技能工人招聘对接"),
    "融资": ("流动资金贷款贴息", "应收账款融资对接"),
    "物流": ("货车通行证办理", "冷链仓储用地"),
    "审批": ("环评审批进度", "施工许可办理"),
    "证照": ("食品经营许可证变更", "营业执照经营范围变更"),
    "办税": ("留抵退税办理", "发票领用咨询"),
    "兑现": ("招商引资奖励未兑现", "技改补贴兑现"),
    "咨询": ("稳岗返还政策咨询", "研发费用加计扣除政策"),
    "执法": ("同一事项多头检查", "处罚裁量标准不一"),
    "合同履约": ("招商协议配套设施未落实", "政府采购合同付款"),
    "拖欠账款": ("乡镇拖欠工程款", "国有企业拖欠货款"),
}


class _Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@contextmanager
def _simulated(clock: _Clock) -> Iterator[None]:
    real = timezone.now
    timezone.now = clock
    try:
        yield
    finally:
        timezone.now = real


def _user(username: str, unit_name: str, role: str, full_name: str) -> User | None:
    """A demo user by name; created for the Urumqi handling unit when the core demo has none."""
    found = User.objects.filter(username=username).first()
    if found is not None:
        return found
    unit = Unit.objects.filter(name=unit_name).first()
    if unit is None:
        return None
    from qinqing.core.demo import DEMO_PASSWORD

    user = User(username=username, full_name=full_name, unit=unit)
    user.set_password(DEMO_PASSWORD)
    user.save()
    UserRole.objects.create(user=user, role=role)
    return user


def _by_role(unit_name: str, role: str) -> User | None:
    return (
        User.objects.filter(unit__name=unit_name, role_rows__role=role, is_active=True)
        .order_by("username")
        .first()
    )


def _cast() -> dict[str, dict[str, Any]] | None:
    changji = {
        "office": _by_role("昌吉市营商环境服务中心", Role.DISPATCHER),
        "lead_unit": Unit.objects.filter(name="昌吉市自然资源局").first(),
        "lead_head": _by_role("昌吉市自然资源局", Role.UNIT_HEAD),
        "handler": _by_role("昌吉市自然资源局", Role.HANDLER),
        "assist": Unit.objects.filter(name="昌吉市住房和城乡建设局").first(),
        "assist_user": _user("changji_zj_handler", "昌吉市住房和城乡建设局", Role.HANDLER, "郑协办"),
        "area": Unit.objects.filter(name="昌吉市").first(),
    }
    urumqi = {
        "office": _by_role("乌鲁木齐市招商服务局", Role.DISPATCHER),
        "lead_unit": Unit.objects.filter(name="乌鲁木齐市自然资源局").first(),
        "lead_head": _user("urumqi_nr_head", "乌鲁木齐市自然资源局", Role.UNIT_HEAD, "钱局长"),
        "handler": _user("urumqi_handler", "乌鲁木齐市自然资源局", Role.HANDLER, "吴承办"),
        "assist": None,
        "area": Unit.objects.filter(name="乌鲁木齐市").first(),
    }
    if any(v is None for k, v in changji.items() if k != "assist"):
        return None
    casts = {"changji": changji}
    if all(v is not None for k, v in urumqi.items() if k != "assist"):
        casts["urumqi"] = urumqi
    return casts


def _working_after(t: dt.datetime, rng: random.Random, days: float) -> dt.datetime:
    """T plus about DAYS days, moved to office hours on a weekday."""
    out = t + dt.timedelta(hours=days * 24 + rng.uniform(0.5, 3))
    local = out.astimezone(TZ)
    while local.weekday() >= 5:
        local += dt.timedelta(days=1)
    if local.hour < 9 or local.hour >= 18:
        local = local.replace(hour=9 + rng.randint(0, 2), minute=rng.randint(0, 59))
        if out.astimezone(TZ).hour >= 18:
            local += dt.timedelta(days=1)
    return local


def load(stdout: TextIO | None = None) -> int:
    """Create the demo demands; returns how many were created (0 when demands already exist)."""
    if Demand.objects.exists():
        if stdout:
            stdout.write("企业诉求：已有数据，跳过演示数据\n")
        return 0
    casts = _cast()
    if casts is None:
        if stdout:
            stdout.write("企业诉求：缺少演示用户或单位，跳过\n")
        return 0
    ent_user = User.objects.filter(username="ent_demo", enterprise__isnull=False).first()
    enterprises = {
        key: list(
            Enterprise.objects.filter(registered_unit__path__startswith=cast["area"].path).order_by(
                "credit_code"
            )[:40]
        )
        for key, cast in casts.items()
    }
    if not all(enterprises.values()):
        if stdout:
            stdout.write("企业诉求：缺少演示企业，跳过\n")
        return 0
    categories = {c.name: c for c in Category.objects.filter(parent__isnull=False)}
    rng = random.Random(SEED)
    real_now = timezone.now()
    start = (
        (real_now - dt.timedelta(days=150)).astimezone(TZ).replace(hour=9, minute=30, second=0, microsecond=0)
    )
    created = 0
    for i in range(COUNT):
        key = "changji" if i % 10 < 7 or "urumqi" not in casts else "urumqi"
        cast = casts[key]
        clock = _Clock(_working_after(start, rng, i * 148 / COUNT))
        if clock.now >= real_now:
            break
        with _simulated(clock), transaction.atomic():
            stop = STOPS[i % len(STOPS)] if i >= COUNT - RECENT else ""
            _one(i, rng, cast, enterprises[key], categories, ent_user, clock, real_now, stop)
        created += 1
    if stdout:
        stdout.write(f"企业诉求：{created} 件演示诉求\n")
    return created


def _one(
    i: int,
    rng: random.Random,
    cast: dict[str, Any],
    enterprises: list[Enterprise],
    categories: dict[str, Category],
    ent_user: User | None,
    clock: _Clock,
    real_now: dt.datetime,
    stop: str = "",
) -> None:
    cat_name = rng.choice(sorted(TITLES))
    demand_type = rng.choices(
        [DemandType.CONSULT, DemandType.HELP, DemandType.COMPLAINT, DemandType.SUGGESTION, DemandType.REPORT],
        weights=[25, 35, 25, 10, 5],
    )[0]
    enterprise = rng.choice(enterprises)
    by_enterprise = ent_user is not None and ent_user.enterprise_id == enterprise.pk
    if ent_user is not None and cast["area"].name == "昌吉市" and i % 4 == 0:
        enterprise, by_enterprise = ent_user.enterprise, True  # type: ignore[assignment]
    data = services.SubmitData(
        category=categories.get(cat_name),
        demand_type=demand_type,
        title=rng.choice(TITLES[cat_name]),
        description=f"{enterprise.name}反映：{rng.choice(TITLES[cat_name])}，请相关部门协调解决。",
        urgency=Urgency.URGENT if rng.random() < 0.1 else Urgency.NORMAL,
        channel="self" if by_enterprise else rng.choice(["visit", "12345", "phone", "letter", "forum"]),
        enterprise=None if by_enterprise else enterprise,
        contact_name=rng.choice(["张伟", "王芳", "李娜", "刘强", "陈静"]),
        contact_phone=f"13{rng.randint(100000000, 999999999)}",
        hide_below_tier=2 if demand_type == DemandType.REPORT else None,
        external_ref=None,
    )
    office = cast["office"]
    d = services.submit(ent_user if by_enterprise else office, data)

    def step(days: float) -> bool:
        clock.now = _working_after(clock.now, rng, days)
        return clock.now < real_now

    def go(user: Any, action: str, **params: Any) -> None:
        d.refresh_from_db()
        services.perform(user, d.pk, action, d.version, **params)

    roll = rng.random()
    late = rng.random() < 0.15  # some demands miss their deadlines
    if stop == Status.SUBMITTED:
        return
    if not step(rng.choice([0.1, 0.3, 0.8, 1.5 if late else 0.5])):
        return
    if roll < 0.05 and not stop:
        go(office, Action.REJECT, reason=rng.choice(["repeat", "litigation", "petition"]))
        return
    go(office, Action.ACCEPT)
    if stop == Status.ACCEPTED or not step(0.2):
        return
    assist = [cast["assist"]] if cast.get("assist_user") is not None and rng.random() < 0.15 else []
    go(office, Action.DISPATCH, lead_unit=cast["lead_unit"], assisting_units=assist)
    if rng.random() < 0.06 and step(0.5):
        go(cast["lead_head"], Action.RETURN, reason="not_duty", note="经核实不属于本局职责")
        if not step(0.5):
            return
        go(office, Action.DISPATCH, lead_unit=cast["lead_unit"], assisting_units=assist)
    if stop == Status.DISPATCHED or not step(2.5 if late else 0.4):
        return
    go(cast["lead_head"], Action.SIGN)
    go(cast["lead_head"], Action.ASSIGN, handler=cast["handler"])
    handler = cast["handler"]
    if stop == Status.HANDLING:
        return
    if (stop == Status.SUSPENDED or rng.random() < 0.1) and step(1):
        go(handler, Action.SUSPEND, note="请企业补充相关证明材料")
        if stop == Status.SUSPENDED or not step(rng.choice([2, 4, 6])):
            return
        go(handler, Action.RESUME)
    if rng.random() < 0.08 and step(1):
        go(handler, Action.REQUEST_EXTENSION, days=5, reason="需多部门会商")
        if not step(0.5):
            return
        go(office, Action.APPROVE_EXTENSION)
    if assist and step(1):
        go(cast["assist_user"], Action.OPINION, text="同意主办单位办理意见")
    limit = d.handle_days
    if not step(rng.uniform(0.2, 0.6) * limit * 1.4 + (limit * 0.8 if late else 0)):
        if rng.random() < 0.3 and d.status == Status.HANDLING:
            clock.now = min(clock.now, real_now - dt.timedelta(hours=1))
            if clock.now > d.created_at:
                go(office, Action.REMIND, note="请加快办理")
        return
    go(
        handler,
        Action.REPLY,
        outcome=rng.choice(["resolved", "resolved", "resolved", "partial", "policy"]),
        text="经协调，问题已办理，具体情况已电话告知企业。",
    )
    if stop == Status.REPLIED:
        return
    _rate(d, rng, cast, ent_user if by_enterprise else None, handler, step, go, clock)


def _rate(
    d: Demand,
    rng: random.Random,
    cast: dict[str, Any],
    ent: User | None,
    handler: Any,
    step: Any,
    go: Any,
    clock: _Clock,
) -> None:
    for _ in range(2):
        negative = rng.random() < 0.12
        rating = rng.choice([1, 2]) if negative else rng.choice([3, 4, 4, 5, 5, 5])
        if ent is not None:
            if not step(rng.choice([0.5, 1, 2])):
                return
            go(ent, Action.RATE, rating=rating, comment="" if not negative else "问题没有得到解决")
        else:
            d.refresh_from_db()
            while d.rating_due_at is not None and clock.now <= d.rating_due_at:
                if not step(2):
                    return
            go(cast["office"], Action.FOLLOW_UP, note="电话回访企业", rating=rating)
        d.refresh_from_db()
        if d.status != Status.HANDLING:
            return
        if d.follow_up_due and step(0.5):
            go(cast["office"], Action.FOLLOW_UP, note="已回访企业，了解未解决原因")
        if not step(2):
            return
        go(handler, Action.REPLY, outcome="resolved", text="重新办理，问题已解决。")
