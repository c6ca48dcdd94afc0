"""Generate the demands benchmark database (PostgreSQL qq_bench_demands), issue 3 §9.

Province-scale data: 300,000 enterprises and 1,000,000 demands submitted over five years (2021-12 up
to now) in 昌吉州 and 乌鲁木齐市, each with its event log (about 6 events a demand), assisting units on
some, deadlines on the working-day calendar, ratings, and a realistic status mix: demands older than a
few weeks are mostly closed (some rejected, a few stuck open and overdue), recent ones are spread over
every open state. One handler (changji_handler, 昌吉市自然资源局) carries a few hundred open demands.

Rows are generated in Python consistently with the models' invariants (numbers SQ+date+sequence with
matching ``DemandCounter`` rows, ``version`` = number of events, stored clocks and the running deadline
as ``clocks.refresh_running`` would set them) and loaded with COPY; secondary indexes are dropped during
the load and rebuilt afterwards, foreign keys are not re-checked row by row (session_replication_role).
Deadlines use the shipped working-day calendar (``qinqing.calendar.services.is_working_day``).
Simplifications: enterprises have no user accounts, so a demand's ``submitted_by`` is its receiving
office's dispatcher; no audit rows, outbox rows or attachments are generated for the historical data.

Reproduce:  .venv/bin/python bench/demands_generate.py [--force]     (about 5–8 minutes on 2 cores)
"""

# The per-demand helpers (add, reply, rate) are closures called within their own loop iteration.
# ruff: noqa: B023
from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness

DB = "qq_bench_demands"
ENTERPRISES = 300_000
DEMANDS = 1_000_000
SEED = 20261122
TZ = ZoneInfo("Asia/Shanghai")
FIRST_DAY = dt.date(2021, 12, 1)
HANDLER_OPEN_DEMANDS = 300  # open demands carried by changji_handler
TABLES = ("enterprises_enterprise", "demands_demand", "demands_demandevent", "demands_demandassist")

WORDS = ["天山", "丝路", "北庭", "准噶尔", "金泉", "瑞丰", "恒信", "中泰", "华晟", "昌盛", "博达", "宏远",
         "西域", "雪莲", "胡杨", "新源", "金桥", "绿洲", "亚欧", "瀚海"]  # fmt: skip
TRADES = [("C", "13", "农副产品加工"), ("C", "26", "化工"), ("F", "51", "商贸"), ("E", "47", "建筑工程"),
          ("I", "65", "软件科技"), ("A", "01", "农业开发"), ("G", "54", "物流"), ("H", "62", "餐饮管理"),
          ("C", "30", "建材"), ("D", "44", "新能源")]  # fmt: skip
SCALES = ["micro"] * 60 + ["small"] * 28 + ["medium"] * 9 + ["large"] * 3
OWNERSHIPS = ["private"] * 82 + ["state"] * 10 + ["foreign"] * 3 + ["hmt"] * 2 + ["other"] * 3
TYPES = (
    ["help"] * 40
    + ["consult"] * 25
    + ["complaint"] * 12
    + ["suggestion"] * 12
    + ["report"] * 3
    + ["other"] * 8
)
CHANNELS = ["self"] * 45 + ["visit"] * 20 + ["12345"] * 20 + ["phone"] * 8 + ["letter"] * 2 + ["forum"] * 5
HANDLE_DAYS = {"consult": 3, "help": 10, "suggestion": 10, "complaint": 15, "report": 15, "other": 10}
RATINGS = [5] * 60 + [4] * 25 + [3] * 9 + [2] * 4 + [1] * 2
OUTCOMES = ["resolved"] * 70 + ["partial"] * 12 + ["policy"] * 15 + ["unresolvable"] * 3
TITLES = {
    "用地": ("项目用地指标落实缓慢", "厂区扩建用地报批"), "用电": ("新生产线用电扩容", "频繁停电影响生产"),
    "用水用气": ("工业用气价格咨询", "供水管网接入"), "用工": ("季节性用工短缺", "技能工人招聘对接"),
    "融资": ("流动资金贷款贴息", "应收账款融资对接"), "物流": ("货车通行证办理", "冷链仓储用地"),
    "审批": ("环评审批进度", "施工许可办理"), "证照": ("食品经营许可证变更", "营业执照经营范围变更"),
    "办税": ("留抵退税办理", "发票领用咨询"), "兑现": ("招商引资奖励未兑现", "技改补贴兑现"),
    "咨询": ("稳岗返还政策咨询", "研发费用加计扣除政策"), "执法": ("同一事项多头检查", "处罚裁量标准不一"),
    "合同履约": ("招商协议配套设施未落实", "政府采购合同付款"), "拖欠账款": ("乡镇拖欠工程款", "国有企业拖欠货款"),
}  # fmt: skip
AREA_WEIGHT = {"昌吉市": 3.0, "天山区": 2.0, "沙依巴克区": 2.0, "新市区": 2.0, "水磨沟区": 2.0,
               "乌鲁木齐经济技术开发区": 1.5, "乌鲁木齐高新技术产业开发区": 1.5}  # fmt: skip
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def say(msg: str, started: float) -> None:
    print(f"[{time.monotonic() - started:6.1f}s] {msg}", flush=True)


@dataclass
class Area:
    unit: Any  # the county/park (or prefecture) unit
    office: Any
    dispatcher_id: int
    leads: list[Any] = field(default_factory=list)
    towns: list[Any] = field(default_factory=list)
    prefecture: Any = None
    weight: float = 1.0


class Calendar:
    """Working days from the shipped calendar, for deadline_end / working_days_between in O(log n)."""

    def __init__(self, first: dt.date, last: dt.date) -> None:
        from qinqing.calendar.services import is_working_day

        self.days: list[dt.date] = []
        day = first
        while day <= last:
            if is_working_day(day):
                self.days.append(day)
            day += D
        self._cache: dict[tuple[dt.date, int], dt.datetime] = {}

    def deadline(self, start: dt.datetime, n: int) -> dt.datetime:
        key = (start.date(), n)  # start is in Asia/Shanghai
        found = self._cache.get(key)
        if found is None:
            i = bisect.bisect_right(self.days, key[0])
            found = dt.datetime.combine(self.days[i + n - 1], dt.time.max, tzinfo=TZ)
            self._cache[key] = found
        return found

    def warn(self, start: dt.datetime, n: int) -> dt.datetime:
        """clocks.compute_deadline's warning moment for the default warn share 0.20."""
        k = min(n - 1, int(n * 0.8 + 1e-9))
        return start if k <= 0 else self.deadline(start, k) + dt.timedelta(microseconds=1)

    def between(self, a: dt.datetime, b: dt.datetime) -> int:
        return bisect.bisect_right(self.days, b.date()) - bisect.bisect_right(self.days, a.date())


def already_generated() -> bool:
    if not harness.database_exists(DB):
        return False
    try:
        n = int(harness.psql("SELECT count(*) FROM demands_demand", DB) or 0)
    except subprocess.CalledProcessError:
        return False
    return n >= DEMANDS


def setup(started: float) -> None:
    harness.recreate_database(DB)
    subprocess.run(
        [str(harness.VENV_BIN / "qinqing"), "migrate", "--verbosity", "0"],
        env=harness.django_env(DB),
        cwd=harness.ROOT,
        check=True,
    )
    say("migrated", started)
    harness.setup_django(DB)
    from qinqing.orgs.models import Unit
    from qinqing.orgs.tree import load_tree

    load_tree()
    say(f"org tree: {Unit.objects.count()} units", started)


def drop_indexes(cur: Any) -> list[str]:
    """Drop the secondary (non-constraint) indexes of the bulk tables; returns their definitions."""
    cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        [list(TABLES)],
    )
    rows = cur.fetchall()
    for name, _ in rows:
        cur.execute(f'DROP INDEX "{name}"')
    return [d for _, d in rows]


def bench_user(username: str, unit: Any, role: str) -> int:
    from qinqing.accounts.models import User, UserRole

    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, full_name=username[:30], unit=unit)
        user.set_unusable_password()
        user.save()
        UserRole.objects.create(user=user, role=role)
    return int(user.pk)


def areas() -> list[Area]:
    from qinqing.accounts.models import User
    from qinqing.accounts.roles import Role
    from qinqing.orgs.models import Unit

    found: list[Area] = []
    for pref_name in ("昌吉回族自治州", "乌鲁木齐市"):
        pref = Unit.objects.get(name=pref_name)
        for unit in [pref, *Unit.objects.filter(parent=pref, kind__in=["county", "park"]).order_by("path")]:
            children = list(Unit.objects.filter(parent=unit).order_by("ordering", "id"))
            office = next(c for c in children if c.coordinates_parent)
            demo = (
                User.objects.filter(unit=office, role_rows__role=Role.DISPATCHER).order_by("username").first()
            )
            dispatcher = demo.pk if demo else bench_user(f"bench_d_{office.pk}", office, Role.DISPATCHER)
            area = Area(unit, office, dispatcher, prefecture=pref, weight=AREA_WEIGHT.get(unit.name, 1.0))
            area.leads = [c for c in children if not c.coordinates_parent and c.kind == "department"]
            area.towns = [c for c in children if c.kind == "township"]
            area.leads += area.towns
            found.append(area)
    return found


def handlers(all_areas: list[Area]) -> dict[int, int]:
    """One handler account per lead unit (the demo ones where they exist)."""
    from qinqing.accounts.models import User
    from qinqing.accounts.roles import Role

    out: dict[int, int] = {}
    for area in all_areas:
        for unit in area.leads:
            demo = User.objects.filter(unit=unit, role_rows__role=Role.HANDLER).order_by("username").first()
            out[unit.pk] = demo.pk if demo else bench_user(f"bench_h_{unit.pk}", unit, Role.HANDLER)
    return out


def load_enterprises(cur: Any, all_areas: list[Area], rng: random.Random, started: float) -> list[list[int]]:
    """COPY the enterprises; returns the enterprise ids of each area (same order as ALL_AREAS)."""
    from qinqing.enterprises import creditcode
    from qinqing.enterprises.models import Enterprise

    counties = [a for a in all_areas if a.unit.kind != "prefecture"]
    weights = [a.weight for a in counties]
    by_area: list[list[int]] = [[] for _ in all_areas]
    index = {id(a): i for i, a in enumerate(all_areas)}
    cols = [f.column for f in Enterprise._meta.concrete_fields]
    codes: set[str] = set()
    now = dt.datetime.now(TZ)
    with cur.copy(f"COPY enterprises_enterprise ({', '.join(cols)}) FROM STDIN") as copy:
        for i, area in enumerate(rng.choices(counties, weights, k=ENTERPRISES), start=1):
            division = area.unit.division_code or area.prefecture.division_code
            code = creditcode.generate(rng, division)
            while code in codes:
                code = creditcode.generate(rng, division)
            codes.add(code)
            section, div, trade = rng.choice(TRADES)
            unit = rng.choice(area.towns) if area.towns and rng.random() < 0.3 else area.unit
            short = area.unit.short_name or area.unit.name
            row = {
                "id": i,
                "name": f"{short}{rng.choice(WORDS)}{rng.choice(WORDS)}{trade}有限公司",
                "credit_code": code,
                "legal_representative": rng.choice("王李张刘陈杨赵黄周吴马")
                + rng.choice(["伟", "芳", "军", "娜", "强", "敏"]),
                "industry_section": section,
                "industry_division": div,
                "scale": rng.choice(SCALES),
                "ownership": rng.choice(OWNERSHIPS),
                "registered_unit_id": unit.pk,
                "address": f"{area.unit.name}{rng.randint(1, 300)}号",
                "status": "operating" if rng.random() < 0.95 else "cancelled",
                "created_at": now,
                "updated_at": now,
            }
            copy.write_row([row[c] for c in cols])
            by_area[index[id(area)]].append(i)
    say(f"{ENTERPRISES} enterprises copied", started)
    return by_area


def demand_days(rng: random.Random, now: dt.datetime) -> list[dt.datetime]:
    """DEMANDS submission moments from FIRST_DAY to NOW, growing ~15 % a year, fewer at weekends."""
    days: list[dt.date] = []
    weights: list[float] = []
    day = FIRST_DAY
    today = now.date()
    while day <= today:
        days.append(day)
        weights.append((1.15 ** ((day - FIRST_DAY).days / 365)) * (0.25 if day.weekday() >= 5 else 1.0))
        day += D
    moments = []
    for day in rng.choices(days, weights, k=DEMANDS):
        t = dt.datetime.combine(day, dt.time(8, 30), tzinfo=TZ) + dt.timedelta(seconds=rng.randint(0, 41400))
        if t >= now:
            t = now - dt.timedelta(seconds=rng.randint(60, 36000))
        moments.append(t)
    moments.sort()
    return moments


Event = tuple[dt.datetime, str, str, str, int | None, str, str, bool, str]


def generate(cur: Any, started: float, force_quota: bool = True) -> dict[str, int]:
    from qinqing.demands.models import Category, Demand, DemandAssist, DemandEvent
    from qinqing.orgs.models import Unit

    rng = random.Random(SEED)
    now = dt.datetime.now(TZ).replace(microsecond=0)
    cal = Calendar(FIRST_DAY - dt.timedelta(days=10), now.date() + dt.timedelta(days=400))
    from qinqing.core.demo import load_users

    load_users()  # the demo accounts first, so that areas() and handlers() pick them
    all_areas = areas()
    handler_of = handlers(all_areas)
    by_area = load_enterprises(cur, all_areas, rng, started)
    ents_of = {id(a): by_area[i] for i, a in enumerate(all_areas)}
    load_users()  # ent_demo needs an enterprise of 昌吉市
    say("users", started)

    unit_names = {u.pk: u.name for u in Unit.objects.all()}
    children = [c for c in Category.objects.exclude(parent=None).select_related("parent") if c.is_active]
    parent_names = {c.pk: c.parent.name if c.parent else "" for c in children}
    changji = next(a for a in all_areas if a.unit.name == "昌吉市")
    nr_unit = Unit.objects.get(name="昌吉市自然资源局")
    county_areas = [a for a in all_areas if a.unit.kind != "prefecture"]
    pref_areas = {a.prefecture.pk: a for a in all_areas if a.unit.kind == "prefecture"}
    county_weights = [a.weight for a in county_areas]

    demand_cols = [f.column for f in Demand._meta.concrete_fields]
    event_cols = [f.column for f in DemandEvent._meta.concrete_fields]
    assist_cols = [f.column for f in DemandAssist._meta.concrete_fields]
    defaults: dict[str, Any] = {
        f.column: (f.get_default() if f.has_default() else None) for f in Demand._meta.concrete_fields
    }
    for key in ("extension_reason", "reply_outcome", "reply_text", "reject_reason"):
        defaults[key] = ""
    moments = demand_days(rng, now)
    say(f"{DEMANDS} submission times drawn", started)

    per_day: Counter[dt.date] = Counter()
    status_mix: Counter[str] = Counter()
    event_id = assist_id = 0
    quota = HANDLER_OPEN_DEMANDS
    assists_buffer: list[list[Any]] = []

    import psycopg

    # Events stream over a second connection while the demands are copied (two server backends).
    econn = psycopg.connect(harness.database_url(DB))
    econn.execute("SET session_replication_role = replica")
    ecur = econn.cursor()
    with (
        ecur.copy(f"COPY demands_demandevent ({', '.join(event_cols)}) FROM STDIN") as ecopy,
        cur.copy(f"COPY demands_demand ({', '.join(demand_cols)}) FROM STDIN") as dcopy,
    ):
        for pk, created in enumerate(moments, start=1):
            county = rng.choices(county_areas, county_weights)[0]
            area = pref_areas[county.prefecture.pk] if rng.random() < 0.12 else county
            enterprise = rng.choice(ents_of[id(county)])
            per_day[created.date()] += 1
            number = f"SQ{created:%Y%m%d}{per_day[created.date()]:04d}"
            dtype = rng.choice(TYPES)
            urgent = rng.random() < 0.08
            handle_days = -(-HANDLE_DAYS[dtype] // 2) if urgent else HANDLE_DAYS[dtype]
            cat = rng.choice(children)
            titles = TITLES.get(cat.name)
            title = rng.choice(titles) if titles else f"{cat.name}相关问题"
            channel = rng.choice(CHANNELS)
            office = area.office
            ent_name = f"企业{enterprise}"
            row: dict[str, Any] = dict(defaults)
            row.update(
                id=pk,
                number=number,
                external_ref=f"12345-{created:%Y%m%d}-{pk}" if channel == "12345" else None,
                enterprise_id=enterprise,
                contact_name=rng.choice("王李张刘陈杨赵黄周吴马") + rng.choice(["先生", "女士", "经理"]),
                contact_phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                channel=channel,
                demand_type=dtype,
                category_id=cat.pk,
                title=title,
                description=f"{title}：企业反映{parent_names[cat.pk]}方面的{cat.name}问题，已影响正常生产经营，"
                f"希望有关部门尽快协调解决。（联系人可随时联系）",
                urgency="urgent" if urgent else "normal",
                hide_below_tier=2 if rng.random() < 0.03 else None,
                receiving_unit_id=office.pk,
                coordinating_unit_id=office.pk,
                submitted_by_id=area.dispatcher_id,
                created_at=created,
                accept_days=1,
                sign_days=1,
                return_days=2,
                handle_days=handle_days,
                max_handle_days=30,
                accept_due_at=cal.deadline(created, 1),
                accept_warn_at=created,
            )
            ev: list[Event] = []
            office_name = unit_names[office.pk]

            def add(at: dt.datetime, action: str, frm: str, to: str, actor: int | None, actor_unit: str,
                    note: str = "", public: bool = True, data: str = "{}") -> None:  # fmt: skip
                ev.append((at, action, frm, to, actor, actor_unit, note, public, data))

            add(created, "submit", "", "submitted", area.dispatcher_id if channel != "self" else None,
                office_name if channel != "self" else ent_name, data=json.dumps({"channel": channel}))  # fmt: skip
            t = created + dt.timedelta(
                hours=rng.uniform(0.2, 6) if rng.random() < 0.93 else rng.uniform(20, 60)
            )
            if t > now:
                t = now + D * 999  # not yet
            if rng.random() < 0.04:
                if t <= now:
                    reason = rng.choice(["litigation", "petition", "repeat", "emergency"])
                    row.update(status="rejected", reject_reason=reason, accept_decided_at=t,
                               accepted_on_time=t <= row["accept_due_at"])  # fmt: skip
                    add(t, "reject", "submitted", "rejected", area.dispatcher_id, office_name,
                        "不予受理", data=json.dumps({"reason": reason}))  # fmt: skip
                finish(row, ev, pk)
                dcopy.write_row([row[c] for c in demand_cols])
                status_mix[row["status"]] += 1
                event_id = flush_events(ev, pk, event_id, ecopy)
                continue
            # The whole timeline, then only what happened before NOW is applied.
            lead_area = area if area.unit.kind != "prefecture" or rng.random() < 0.6 else county
            lead = rng.choice(lead_area.leads)
            t_acc = t
            t_dis = t_acc + dt.timedelta(hours=rng.uniform(0.1, 20))
            returned = rng.random() < 0.03
            t_ret = t_dis + dt.timedelta(hours=rng.uniform(1, 30))
            t_dis2 = t_ret + dt.timedelta(hours=rng.uniform(1, 20))
            t_sign = (t_dis2 if returned else t_dis) + dt.timedelta(hours=rng.uniform(0.1, 28))
            assigned = rng.random() < 0.3
            t_assign = t_sign + dt.timedelta(hours=rng.uniform(0.1, 4))
            stuck = rng.random() < 0.004
            work = max(1.0, rng.triangular(0.5, handle_days * 1.3, handle_days * 0.6))
            t_rep = (
                t_sign
                + dt.timedelta(days=work * 1.4)
                + (D * rng.uniform(30, 400) if stuck else dt.timedelta())
            )
            suspend = rng.random() < 0.02
            t_susp = t_sign + dt.timedelta(hours=rng.uniform(2, 30))
            pause = rng.randint(2, 10)
            t_res = t_susp + D * pause
            if suspend:
                t_rep += D * pause
            extend = rng.random() < 0.04
            t_req = t_sign + dt.timedelta(days=work * 0.7)
            t_appr = t_req + dt.timedelta(hours=rng.uniform(1, 30))
            others = [u for u in lead_area.leads if u.pk != lead.pk]
            assist_unit = rng.choice(others) if others and rng.random() < 0.08 else None
            t_op = t_sign + (t_rep - t_sign) * 0.6
            by_follow = rng.random() < 0.1
            t_rate = t_rep + (
                D * rng.uniform(8, 10) if by_follow else dt.timedelta(hours=rng.uniform(2, 120))
            )
            rating = rng.choice(RATINGS)
            t_rep2 = t_rate + D * rng.uniform(2, 8)
            t_rate2 = t_rep2 + dt.timedelta(hours=rng.uniform(2, 100))
            rating2 = rng.choice([5, 4, 4, 3])

            handler = handler_of[lead.pk]
            if (
                force_quota and quota > 0 and county is changji and area is county
                and t_sign <= now < t_rep and rng.random() < 0.8
            ):  # fmt: skip
                lead, handler, assigned = nr_unit, handler_of[nr_unit.pk], True
                quota -= 1
            lead_name = unit_names[lead.pk]
            status = "submitted"
            if t_acc <= now:
                status = "accepted"
                row.update(accept_decided_at=t_acc, accepted_on_time=t_acc <= row["accept_due_at"],
                           handle_started_at=t_acc)  # fmt: skip
                add(t_acc, "accept", "submitted", "accepted", area.dispatcher_id, office_name)
            total_days = handle_days
            if t_dis <= now:
                status = "dispatched"
                row.update(lead_unit_id=lead.pk, dispatched_at=t_dis, sign_due_at=cal.deadline(t_dis, 1),
                           sign_warn_at=t_dis, return_due_at=cal.deadline(t_dis, 2), dispatch_count=1)  # fmt: skip
                add(t_dis, "dispatch", "accepted", "dispatched", area.dispatcher_id, office_name,
                    f"交办{lead_name}办理", data=json.dumps({"lead_unit": lead_name}, ensure_ascii=False))  # fmt: skip
                if assist_unit is not None:
                    assist_id += 1
                    done = t_op <= now
                    assists_buffer.append([assist_id, pk, assist_unit.pk, "已提供协办意见" if done else "",
                                           t_op if done else None, handler_of[assist_unit.pk] if done else None])  # fmt: skip
            if returned and t_ret <= now:
                status = "accepted"
                row.update(return_count=1, lead_unit_id=None)
                add(t_ret, "return", "dispatched", "accepted", handler, lead_name, "交办单位有误", public=False,
                    data=json.dumps({"reason": "wrong_unit"}))  # fmt: skip
                if t_dis2 <= now:
                    status = "dispatched"
                    row.update(lead_unit_id=lead.pk, dispatched_at=t_dis2, sign_due_at=cal.deadline(t_dis2, 1),
                               sign_warn_at=t_dis2, return_due_at=cal.deadline(t_dis2, 2), dispatch_count=2)  # fmt: skip
                    add(t_dis2, "dispatch", "accepted", "dispatched", area.dispatcher_id, office_name,
                        f"交办{lead_name}办理")  # fmt: skip
            if t_sign <= now:
                status = "handling"
                row.update(signed_at=t_sign, signed_on_time=t_sign <= row["sign_due_at"])
                add(t_sign, "sign", "dispatched", "handling", handler, lead_name)
                if assigned and t_assign <= now:
                    row["current_handler_id"] = handler
                    add(t_assign, "assign", "handling", "handling", handler, lead_name, public=False)
            if suspend and t_susp <= now and t_sign <= now:
                status = "suspended"
                row["suspended_at"] = t_susp
                add(t_susp, "suspend", "handling", "suspended", handler, lead_name, "等待企业补充材料")
                if t_res <= now:
                    status = "handling"
                    paused = cal.between(t_susp, t_res)
                    row.update(suspended_at=None, paused_days=paused, paused_days_total=paused)
                    total_days += paused
                    add(t_res, "resume", "suspended", "handling", handler, lead_name,
                        data=json.dumps({"paused_days": paused}))  # fmt: skip
            if extend and t_req <= now and t_sign <= now and t_req < t_rep:
                row.update(extension_requested_days=5, extension_reason="需协调多个部门")
                add(t_req, "request_extension", status, status, handler, lead_name, public=False,
                    data=json.dumps({"days": 5}))  # fmt: skip
                if t_appr <= now:
                    row.update(extension_requested_days=None, extension_days=5)
                    total_days += 5
                    add(t_appr, "approve_extension", status, status, area.dispatcher_id, office_name,
                        data=json.dumps({"days": 5}))  # fmt: skip
            if row["accept_decided_at"] is not None:
                row["handle_due_at"] = cal.deadline(t_acc, total_days)
                row["handle_warn_at"] = cal.warn(t_acc, total_days)
            if assist_unit is not None and t_op <= now and t_sign <= now:
                add(t_op, "opinion", status, status, handler_of[assist_unit.pk], unit_names[assist_unit.pk],
                    "同意主办单位意见", public=False)  # fmt: skip
            reply_started = t_acc

            def reply(at: dt.datetime, started_at: dt.datetime) -> None:
                outcome = rng.choice(OUTCOMES)
                row.update(status="replied", replied_at=at, replied_on_time=at <= row["handle_due_at"],
                           reply_outcome=outcome, reply_text="已协调有关部门办理，现答复如下。",
                           handle_working_days=max(0, cal.between(started_at, at) - row["paused_days_total"]),
                           rating_due_at=cal.deadline(at, 5))  # fmt: skip
                add(at, "reply", "handling", "replied", handler, lead_name, "已答复",
                    data=json.dumps({"outcome": outcome}))  # fmt: skip

            def rate(at: dt.datetime, value: int) -> str:
                follow = by_follow
                row.update(rating=value, rated_at=at, rated_by_follow_up=follow, rating_due_at=None)
                data = json.dumps({"rating": value, **({"by_follow_up": True} if follow else {})})
                actor, who = (area.dispatcher_id, office_name) if follow else (None, ent_name)
                action = "follow_up" if follow else "rate"
                if value >= 3:
                    row.update(status="closed", closed_at=at, closed_on_time=bool(row["replied_on_time"]))
                    add(at, action, "replied", "closed", actor, who, f"评价：{value}", data=data)
                    return "closed"
                row.update(status="handling", redo_count=row["redo_count"] + 1, replied_on_time=None,
                           follow_up_due=not follow and row["hide_below_tier"] is None)  # fmt: skip
                add(at, action, "replied", "handling", actor, who, "发回重办", data=data)
                return "handling"

            if t_sign <= now and t_rep <= now:
                reply(t_rep, reply_started)
                status = "replied"
                if t_rate <= now:
                    status = rate(t_rate, rating)
                    if status == "handling":
                        row["handle_started_at"] = t_rate
                        row["handle_due_at"] = cal.deadline(t_rate, handle_days)
                        row["handle_warn_at"] = cal.warn(t_rate, handle_days)
                        if row["follow_up_due"] and t_rate + 4 * H <= now:
                            row["follow_up_due"] = False
                            add(t_rate + 4 * H, "follow_up", "handling", "handling", area.dispatcher_id,
                                office_name, "已回访")  # fmt: skip
                        if t_rep2 <= now:
                            reply(t_rep2, t_rate)
                            status = "replied"
                            if t_rate2 <= now:
                                status = rate(t_rate2, rating2)
            row["status"] = status
            finish(row, ev, pk)
            dcopy.write_row([row[c] for c in demand_cols])
            status_mix[status] += 1
            event_id = flush_events(ev, pk, event_id, ecopy)
            if pk % 100_000 == 0:
                say(f"{pk} demands, {event_id} events", started)
    say(f"{DEMANDS} demands copied; handler quota left {quota}", started)
    econn.commit()
    econn.close()
    say(f"{event_id} events copied", started)
    with cur.copy(f"COPY demands_demandassist ({', '.join(assist_cols)}) FROM STDIN") as copy:
        for values in assists_buffer:
            copy.write_row(values)
    with cur.copy("COPY demands_demandcounter (day, last) FROM STDIN") as copy:
        for day, last in sorted(per_day.items()):
            copy.write_row([day, last])
    say(f"{assist_id} assists, {len(per_day)} counters copied; status mix {dict(status_mix)}", started)
    return {"demands": DEMANDS, "events": event_id, "assists": assist_id, "enterprises": ENTERPRISES}


def finish(row: dict[str, Any], ev: list[Event], pk: int) -> None:
    """The running deadline (clocks.refresh_running) and the version (one per event)."""
    status = row["status"]
    if status == "submitted":
        row["due_at"], row["warn_at"] = row["accept_due_at"], row["accept_warn_at"]
    elif status == "dispatched":
        row["due_at"] = min(row["sign_due_at"], row["handle_due_at"])
        row["warn_at"] = min(row["sign_warn_at"], row["handle_warn_at"])
    elif status in ("accepted", "handling"):
        row["due_at"], row["warn_at"] = row["handle_due_at"], row["handle_warn_at"]
    else:
        row["due_at"] = row["warn_at"] = None
    row["version"] = len(ev)
    row["updated_at"] = max(e[0] for e in ev)


def flush_events(ev: list[Event], pk: int, event_id: int, out: Any) -> int:
    ev.sort(key=lambda e: e[0])
    for at, action, frm, to, actor, actor_unit, note, public, data in ev:
        event_id += 1
        out.write_row([event_id, pk, at, actor, "" if actor is None else f"用户{actor}", actor_unit, action,
                    frm, to, note, public, data])  # fmt: skip
    return event_id


def main(argv: list[str] | None = None) -> int:
    global DB, DEMANDS, ENTERPRISES  # the sizes of a smoke run
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if the database has the data")
    parser.add_argument("--db", default=DB, help=argparse.SUPPRESS)  # smoke runs on a scratch database
    parser.add_argument("--demands", type=int, default=DEMANDS, help=argparse.SUPPRESS)
    parser.add_argument("--enterprises", type=int, default=ENTERPRISES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    DB, DEMANDS, ENTERPRISES = args.db, args.demands, args.enterprises
    if not args.force and already_generated():
        print(f"{DB} already holds {DEMANDS} demands; use --force to rebuild")
        return 0
    started = time.monotonic()
    setup(started)
    from django.db import connection

    with connection.cursor() as wrapper:
        cur: Any = wrapper.cursor
        definitions = drop_indexes(cur)
        cur.execute("SET session_replication_role = replica")  # rows are consistent by construction
        counts = generate(cur, started)
        cur.execute("SET session_replication_role = DEFAULT")
        cur.execute("SET maintenance_work_mem = '512MB'")
        for definition in definitions:
            cur.execute(definition)
        say(f"{len(definitions)} indexes rebuilt", started)
        for table in TABLES:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 - fixed table names
            )
            cur.execute(f"VACUUM ANALYZE {table}")
    say(f"done: {counts}", started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
