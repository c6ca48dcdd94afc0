"""The dashboard's pre-aggregated facts (analysis.facts) against the live figures: random demand
histories built through the services, compared exactly — before and after the queue job ran, for
whole and partial months, several units and moments — plus rebuild, verify and the fallbacks."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.analysis import fact_reads, facts, queries
from qinqing.analysis.models import DemandFact, DemandIndex, DemandTerm, FactQueue, MonthlyFact, TermFact
from qinqing.demands import services as demand_services
from qinqing.demands.models import Category, Channel, Demand, DemandType, Outcome, RejectReason, ReturnReason
from qinqing.demands.stats import compute
from qinqing.demands.workflow import allowed_actions
from qinqing.enterprises import services as enterprise_services
from qinqing.enterprises.models import Enterprise, Ownership, Scale
from tests.factories import EnterpriseFactory, make_user, unit
from tests.liaison.conftest import Cast, at, enterprise_user

D = dt.date
UNITS = ("昌吉回族自治州", "昌吉市", "榆树沟镇", "昌吉市自然资源局", "玛纳斯县")
PERIODS = (
    (D(2026, 9, 1), D(2026, 11, 30)),  # whole months
    (D(2026, 8, 17), D(2026, 11, 20)),  # partial months at both ends
    (D(2026, 10, 1), D(2026, 10, 31)),  # one month (its previous one: September)
    (D(2026, 9, 10), D(2026, 9, 24)),  # within one month
    (D(2025, 12, 1), D(2026, 11, 30)),  # a year
)
TEXTS = (
    ("用地指标未落实", "扩建项目用地指标未落实，无法供地。"),
    ("融资难", "小微企业融资难融资贵，银行续贷难。"),
    ("电力增容慢", "电力增容申请两个月未批复。"),
    ("拖欠账款", "乡镇拖欠工程款，影响企业资金周转。"),
    ("环评审批进度", "环评审批进度缓慢，项目无法开工。"),
)
LEADS = ("昌吉市自然资源局", "榆树沟镇", "昌吉州自然资源局", "玛纳斯县自然资源局")
# How often each step is tried when it is allowed: mostly forward, so that histories reach 办结.
WEIGHTS = {"accept": 8, "reject": 1, "dispatch": 8, "sign": 8, "return": 1, "assign": 2, "transfer": 1,
           "escalate": 1, "request_extension": 1, "approve_extension": 3, "refuse_extension": 1,
           "suspend": 1, "resume": 4, "reply": 8, "rate": 8, "follow_up": 3, "remind": 1}  # fmt: skip


def _compare(cast: Cast, now: dt.datetime, *, expect_pending: bool | None = None) -> None:
    """Facts and live agree on every figure of the dashboard, the statistics and the top terms, for each
    unit and period. The first read of each fills the cache (analysis.fact_reads), the next ones read it
    and apply the live part (the "now" parts, the pending demands) to it."""
    if expect_pending is not None:
        assert bool(facts.pending_ids()) == expect_pending
    for name in UNITS:
        where = unit(name)
        for start, end in PERIODS:
            found = fact_reads.figures(where, start, end, now)
            assert found is not None  # the facts answered
            board = queries.dashboard(cast.pref, where, start, end, now).as_json()
            live = queries.dashboard(cast.pref, where, start, end, now, use_facts=False).as_json()
            assert board == live, (name, start, end)
            # The statistics page reads the facts too (demands.stats' registered source), exactly.
            assert queries.stats_from_facts(cast.pref, where, start, end, now) is not None
            stats = compute(cast.pref, where, start, end, now).as_json()
            assert stats == compute(cast.pref, where, start, end, now, live=True).as_json(), (
                name,
                start,
                end,
            )
            fact_terms = queries.top_terms(cast.pref, where, start, end, limit=50)
            live_terms = queries.top_terms(cast.pref, where, start, end, limit=50, use_facts=False)
            assert fact_terms == live_terms, (name, start, end)


def _actors(cast: Cast, demand: Demand) -> list[Any]:
    staff = [cast.office, cast.pref, cast.manas_office, cast.nr_head, cast.handler, cast.town_head]
    heads = [
        User.objects.filter(username=name).first()
        or make_user(name, unit_name=unit_name, roles=[Role.UNIT_HEAD])
        for name, unit_name in (("zhou_nr_head", "昌吉州自然资源局"), ("manas_nr_head", "玛纳斯县自然资源局"))
    ]
    return [*staff, *heads, enterprise_user(cast, demand.enterprise)]


def _params(rng: random.Random, cast: Cast, demand: Demand, action: str) -> dict[str, Any] | None:
    if action == "reject":
        return {"reason": rng.choice(RejectReason.values)}
    if action == "dispatch":
        allowed = demand_services.dispatch_choices(demand).filter(name__in=LEADS)
        choices = list(allowed)
        return {"lead_unit": rng.choice(choices)} if choices else None
    if action == "return":
        return {"reason": rng.choice(ReturnReason.values), "note": "不属于本单位职责"}
    if action == "assign":
        return {"handler": cast.handler}
    if action == "transfer":
        choices = list(demand_services.transfer_choices(demand).filter(name__in=LEADS))
        return {"unit": rng.choice(choices)} if choices else None
    if action in ("escalate",):
        return {"reason": "需上级协调"}
    if action == "request_extension":
        return {"days": rng.randint(1, 5), "reason": "需补充材料"}
    if action in ("approve_extension", "refuse_extension", "resume", "remind"):
        return {"note": "同意"}
    if action == "suspend":
        return {"note": "请补充营业执照"}
    if action == "reply":
        return {"outcome": rng.choice(Outcome.values), "text": "已协调办理。"}
    if action == "rate":
        return {"rating": rng.choice([5, 4, 3, 3, 2, 1])}
    if action == "follow_up":
        return {"note": "已回访", "rating": rng.choice([5, 3, 2])}
    if action in ("accept", "sign"):
        return {}
    return None  # supplement, opinion, supervise: not needed for the figures


def _step(rng: random.Random, cast: Cast, demand: Demand) -> None:
    """One step of DEMAND's handling, by a party allowed to take it (weighted towards progress)."""
    demand.refresh_from_db()
    options = [(u, a) for u in _actors(cast, demand) for a in allowed_actions(u, demand) if a in WEIGHTS]
    while options:
        user, action = rng.choices(options, [WEIGHTS[a] for _, a in options])[0]
        options.remove((user, action))
        params = _params(rng, cast, demand, action)
        if params is None:
            continue
        try:
            demand_services.perform(user, demand.pk, action, demand.version, **params)
        except (ValidationError, PermissionDenied, Http404, demand_services.ActionRefused):
            continue
        return


def _submit(rng: random.Random, cast: Cast, enterprises: list[Enterprise]) -> Demand:
    office = rng.choice([cast.office, cast.office, cast.pref, cast.manas_office])
    if office is cast.manas_office:
        enterprise = cast.manas_ent
    elif office is cast.office:
        enterprise = rng.choice(
            [e for e in enterprises if e.registered_unit.path.startswith(unit("昌吉市").path)]
        )
    else:
        enterprise = rng.choice(enterprises)
    title, description = rng.choice(TEXTS)
    return demand_services.submit(
        office,
        demand_services.SubmitData(
            category=rng.choice(list(Category.objects.filter(is_active=True))),
            demand_type=rng.choice(DemandType.values),
            channel=rng.choice([Channel.VISIT, Channel.PHONE, Channel.HOTLINE, Channel.FORUM]),
            title=title,
            description=description,
            enterprise=enterprise,
            contact_name="李四",
            contact_phone="13812341234",
        ),
    )


@pytest.mark.parametrize("seed", [7, 11])
def test_facts_equal_the_live_figures_over_random_histories(cast: Cast, clock: Any, seed: int) -> None:
    rng = random.Random(seed)
    enterprises = [cast.ent, cast.ent2, cast.ent3, cast.manas_ent]
    for i, (scale, ownership, section) in enumerate(
        [
            (Scale.LARGE, Ownership.STATE, "D"),
            (Scale.MEDIUM, Ownership.FOREIGN, "F"),
            (Scale.MICRO, Ownership.PRIVATE, "I"),
        ]
    ):
        enterprises.append(
            EnterpriseFactory(
                registered_unit=unit("昌吉市" if i != 1 else "榆树沟镇"),
                scale=scale,
                ownership=ownership,
                industry_section=section[0],
                industry_division=section[1:],
            )
        )
    now = at(2026, 8, 10, 9)
    clock.set(now)
    demands: list[Demand] = []
    checkpoints = (50, 100, 160)
    for step in range(1, 161):
        now += dt.timedelta(hours=rng.choice([1, 2, 5, 12, 20, 30]))
        clock.set(now)
        roll = rng.random()
        if roll < 0.15 or len(demands) < 5:
            demands.append(_submit(rng, cast, enterprises))
        elif roll < 0.95:
            _step(rng, cast, rng.choice(demands))
        elif roll < 0.98:
            ent = rng.choice(enterprises)
            enterprise_services.update_enterprise(cast.pref, ent, {"scale": rng.choice(Scale.values)})
        else:
            facts.process_queue(batch=7, max_batches=2)  # a partial run
        if step in checkpoints:
            if step == 100:
                facts.process_queue()
                _compare(cast, now, expect_pending=False)
            else:
                _compare(cast, now, expect_pending=True)
    # Later moments: more 受理/签收 deadlines have passed (the "now" parts), facts unchanged.
    _compare(cast, now + dt.timedelta(days=3))
    facts.process_queue()
    assert not FactQueue.objects.exists()
    assert facts.verify().ok
    # The rebuild (the migration's backfill, `analysis_facts --rebuild`) gives the same rows.
    incremental = _snapshot()
    facts.rebuild()
    assert _snapshot() == incremental
    _compare(cast, now, expect_pending=False)


def _snapshot() -> tuple[list[Any], list[Any], list[Any]]:
    counters = ["submitted", *facts.FACT_COUNTERS]
    return (
        sorted(DemandFact.objects.values_list(*facts.FACT_FIELDS)),
        sorted(MonthlyFact.objects.values_list("unit_id", "dim", "month", "key", *counters)),
        sorted(TermFact.objects.values_list("unit_id", "month", "term", "n")),
    )


@pytest.fixture
def histories(cast: Cast, clock: Any) -> list[Demand]:
    rng = random.Random(3)
    now = at(2026, 9, 1, 9)
    made = []
    for _ in range(30):
        now += dt.timedelta(hours=9)
        clock.set(now)
        made.append(_submit(rng, cast, [cast.ent, cast.ent2, cast.ent3]))
        for _ in range(rng.randint(0, 6)):
            _step(rng, cast, rng.choice(made))
    facts.process_queue()
    return made


def test_unit_move_enterprise_change_and_bulk_inserts_are_corrected_then_processed(
    cast: Cast, clock: Any, histories: list[Demand]
) -> None:
    now = clock.now
    # A township moves to another county: the demands led there now count for 玛纳斯县, not 昌吉市.
    town = unit("榆树沟镇")
    assert Demand.objects.filter(lead_unit=town).exists()
    town.parent = unit("玛纳斯县")
    town.save()
    assert FactQueue.objects.filter(demand_id__in=Demand.objects.filter(lead_unit=town).values("pk")).exists()
    _compare(cast, now, expect_pending=True)
    facts.process_queue()
    # An enterprise's scale changes: a breakdown key of its demands.
    enterprise_services.update_enterprise(cast.pref, cast.ent, {"scale": Scale.LARGE})
    _compare(cast, now, expect_pending=True)
    facts.process_queue()
    # Demands inserted without a signal (a bulk load): pending by id, then caught up by the job.
    template = Demand.objects.order_by("pk").first()
    assert template is not None
    template.pk = None
    template.number = "SQ202611309999"
    Demand.objects.bulk_create([template])
    assert not FactQueue.objects.exists() and facts.pending_ids() == {template.pk}
    _compare(cast, now, expect_pending=True)
    assert facts.process_queue() == 1
    _compare(cast, now, expect_pending=False)
    # … and deleted without one (the newest demand): pending by id too, then its facts are removed.
    DemandTerm.objects.filter(demand_id=template.pk).delete()
    DemandIndex.objects.filter(demand_id=template.pk).delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM demands_demand WHERE id = %s", [template.pk])
    assert facts.pending_ids() == {template.pk}
    _compare(cast, now, expect_pending=True)
    assert facts.process_queue() == 1
    assert not DemandFact.objects.filter(demand_id=template.pk).exists()
    assert facts.verify().ok


def test_fallbacks_and_verify_reports_a_difference(
    cast: Cast, clock: Any, histories: list[Demand], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = clock.now
    changji, nov = unit("昌吉市"), (D(2026, 9, 1), D(2026, 11, 30))
    assert fact_reads.figures(changji, *nov, now) is not None
    # Too many pending demands: the caller computes live.
    monkeypatch.setattr(facts, "PENDING_LIMIT", 0)
    facts.enqueue([histories[0].pk])
    assert fact_reads.figures(changji, *nov, now) is None
    monkeypatch.setattr(facts, "PENDING_LIMIT", 2000)
    # The job committed between the reads (the version moved): read again; never settling: None.
    versions = iter(range(100))
    monkeypatch.setattr(facts, "version", lambda: (next(versions), 0))
    assert fact_reads.figures(changji, *nov, now) is None
    monkeypatch.undo()
    # Outside the user's scope the dashboard is live (visible_to filters row by row) and still right.
    board = queries.dashboard(cast.office, unit("昌吉回族自治州"), *nov, now)
    assert board.stats.as_json() == compute(cast.office, unit("昌吉回族自治州"), *nov, now).as_json()
    facts.process_queue()
    assert facts.verify().ok
    # A damaged sum and a damaged row are reported.
    row = MonthlyFact.objects.filter(unit_id=changji.pk, dim="type").first()
    assert row is not None
    MonthlyFact.objects.filter(pk=row.pk).update(closed=row.closed + 1)
    DemandFact.objects.filter(demand_id=histories[1].pk).update(rated=7)
    result = facts.verify()
    assert not result.ok
    assert any(d.startswith(f"demand {histories[1].pk}: stored≠live") for d in result.differences)
    assert any(
        d.startswith(f"monthly ({changji.pk}, 'type', {row.month}, '{row.key}')") for d in result.differences
    )


def test_submission_costs_one_insert_and_the_job_is_batched(
    cast: Cast, clock: Any, django_assert_num_queries: Any
) -> None:
    from tests.liaison.conftest import submit_demand

    clock.set(at(2026, 11, 2))
    made = [submit_demand(cast, title=t, description=d) for t, d in TEXTS]
    assert sorted(FactQueue.objects.values_list("demand_id", flat=True)) == sorted(d.pk for d in made)
    assert not DemandFact.objects.exists()
    # One batch, whatever the number of demands: savepoint, lock, queue, catch-up (highest fact id,
    # ids above, highest demand id, facts above), index (indexed ones, texts, 2 inserts, term stats),
    # facts (stored rows, derivation, 2 upserts, 2 clean-ups), rows (delete, insert), queue delete,
    # version, release.
    with django_assert_num_queries(23):
        assert facts.process_queue() == len(TEXTS)
    assert DemandFact.objects.count() == len(TEXTS)
    assert connection.vendor in ("sqlite", "postgresql")


def test_the_job_drains_a_queue_that_names_demands_more_than_once(cast: Cast, clock: Any) -> None:
    """A batch of queue rows may name fewer demands than rows (a demand submitted, then changed): the
    job goes on while its batches are full, and leaves nothing queued."""
    from tests.liaison.conftest import submit_demand

    clock.set(at(2026, 11, 2))
    made = [submit_demand(cast, title=t, description=d) for t, d in TEXTS]
    facts.enqueue([d.pk for d in made for _ in (1, 2)])  # then each twice in a row: d1 d1 d2 d2 …
    assert FactQueue.objects.count() == 3 * len(TEXTS)
    # batches of 4 rows: d1-d4 | d5 d1 d1 d2 | d2 d3 d3 d4 | d4 d5 d5 → 4, 3, 3 and 2 demands done
    assert facts.process_queue(batch=4) == 4 + 3 + 3 + 2
    assert not FactQueue.objects.exists()
    assert sorted(DemandFact.objects.values_list("demand_id", flat=True)) == sorted(d.pk for d in made)
    assert facts.pending_ids() == set()


def test_the_stored_part_is_cached_under_the_facts_state(
    cast: Cast, clock: Any, histories: list[Demand]
) -> None:
    from django.core.cache import cache
    from django.test.utils import CaptureQueriesContext

    now, where, period = clock.now, unit("昌吉市"), (D(2026, 8, 17), D(2026, 11, 20))
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        first = fact_reads.figures(where, *period, now)
    with CaptureQueriesContext(connection) as warm:
        second = fact_reads.figures(where, *period, now)
    # The months and the partial-month ranges come from the cache: 3 statements fewer (own and
    # children's monthly sums, the ranges; the term sums of both periods).
    assert len(cold) - len(warm) == 5
    assert first == second == fact_reads.figures(where, *period, now, use_cache=False)
    # A demand is queued (pending until the job runs): the cached part is corrected on reading …
    facts.enqueue([histories[0].pk])
    assert facts.pending_ids()
    assert fact_reads.figures(where, *period, now) == fact_reads.figures(where, *period, now, use_cache=False)
    # … and once the job committed, a new state: read from the tables again.
    seen = facts.version()
    facts.process_queue()
    assert facts.version() != seen and facts.version()[0] == seen[0] + 1
    with CaptureQueriesContext(connection) as after:
        third = fact_reads.figures(where, *period, now)
    assert len(after) == len(cold)
    assert third == fact_reads.figures(where, *period, now, use_cache=False)
