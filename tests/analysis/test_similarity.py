"""The text index kept at submission, similar-demand detection within 90 days, and merge as duplicate."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from qinqing.analysis import facts, similarity
from qinqing.analysis.models import DemandFact, DemandIndex, DemandTerm, DuplicateLink, FactQueue, TermStat
from qinqing.analysis.services import merge_duplicate
from qinqing.demands.models import Status
from tests.analysis.labelled_pairs import PAIRS
from tests.liaison.conftest import Cast, at, category, drive, submit_demand


@pytest.fixture
def corpus(cast: Cast, clock: Any) -> None:
    """The 92 labelled texts as background, submitted in March (outside every test's 90-day window): they
    give realistic document frequencies and are never candidates themselves."""
    clock.set(at(2026, 3, 2))
    for p in PAIRS:
        for title, description in (p.a, p.b):
            submit_demand(cast, enterprise=cast.ent3, title=title, description=description)
    assert facts.process_queue() == len(PAIRS) * 2  # indexed long ago by the periodic job
    clock.set(at(2026, 11, 23))


def test_submission_queues_the_job_indexes_terms_and_document_frequencies(
    cast: Cast, clock: Any, django_assert_num_queries: Any
) -> None:
    d = submit_demand(cast, title="用地指标未落实", description="二期项目用地指标迟迟没有落实，融资难。")
    # The submitting transaction only queued the demand: no segmentation, no index rows yet.
    assert list(FactQueue.objects.values_list("demand_id", flat=True)) == [d.pk]
    assert not DemandIndex.objects.exists() and not TermStat.objects.exists()
    with django_assert_num_queries(1):  # the receiver's cost for a later step of the demand: one INSERT
        from qinqing.analysis.signals import demand_saved

        demand_saved(type(d), d)
    assert facts.process_queue() == 1
    assert not FactQueue.objects.exists()
    index = DemandIndex.objects.get(demand=d)
    assert index.term_list == ["用地指标", "落实", "二期", "项目", "融资难"]
    assert sorted(DemandTerm.objects.filter(demand=d).values_list("term", flat=True)) == sorted(
        index.term_list
    )
    submit_demand(cast, title="融资难", description="银行续贷难，融资难。")
    assert facts.process_queue() == 1
    df = dict(TermStat.objects.values_list("term", "df"))
    assert (df[""], df["融资难"], df["用地指标"], df["续贷"]) == (2, 2, 1, 1)
    assert DemandFact.objects.get(demand_id=d.pk).terms == index.terms


def test_near_duplicates_found_distinct_not(cast: Cast, clock: Any, corpus: None) -> None:
    sewer = submit_demand(
        cast,
        enterprise=cast.ent2,
        category=category("用水用气"),
        title="园区污水管网未接通",
        description="准东开发区五彩湾片区污水管网未接通，企业污水无法排放。",
    )
    road = submit_demand(
        cast,
        category=category("用地"),
        title="厂区门前道路坑洼",
        description="厂区门前道路破损，货车进出困难。",
    )
    new = submit_demand(
        cast,
        category=category("用水用气"),
        title="五彩湾片区排水管网问题",
        description="五彩湾片区企业污水处理后无管网可排，排水管网一直没有接通。",
    )
    found = similarity.find_similar(new)
    assert [d.pk for d, _ in found] == [sewer.pk]
    assert found[0][1] >= 0.35
    assert road.pk not in [d.pk for d, _ in found]


def test_same_enterprise_restatement_and_the_90_day_window(cast: Cast, clock: Any, corpus: None) -> None:
    clock.set(at(2026, 7, 1))
    old = submit_demand(cast, title="稳岗补贴未到账", description="去年申报的稳岗补贴12万元至今未到账。")
    clock.set(at(2026, 9, 15))
    recent = submit_demand(
        cast, title="稳岗返还资金一直未拨付", description="我公司去年申报稳岗返还12万元，至今未拨付。"
    )
    clock.set(at(2026, 11, 23))
    new = submit_demand(
        cast, title="再次反映稳岗补贴未到账", description="去年申报的稳岗补贴12万元仍未到账，请协调。"
    )
    found = [d.pk for d, _ in similarity.find_similar(new)]
    assert found == [recent.pk]  # `old` is 145 days earlier
    assert old.pk not in found


def test_candidates_respect_the_users_scope(cast: Cast, clock: Any, corpus: None) -> None:
    from qinqing.demands import services as demand_services

    data = demand_services.SubmitData(
        category=category("用电"),
        demand_type="help",
        title="园区频繁停电",
        description="园区近一个月频繁停电，生产线被迫停机。",
        enterprise=cast.manas_ent,
        contact_name="李四",
        contact_phone="13812341234",
    )
    manas = demand_services.submit(cast.manas_office, data)
    new = submit_demand(
        cast,
        category=category("用电"),
        title="园区经常停电",
        description="园区近一个月经常停电，生产线停机。",
    )
    assert [d.pk for d, _ in similarity.find_similar(new)] == [manas.pk]
    assert similarity.find_similar(new, cast.office) == []
    assert [d.pk for d, _ in similarity.find_similar(new, cast.pref)] == [manas.pk]


def test_merge_as_duplicate(cast: Cast, clock: Any, corpus: None) -> None:
    original = submit_demand(
        cast, title="电力增容申请迟迟未批复", description="新生产线需电力增容至2000千伏安，申请两个月未批复。"
    )
    dup = submit_demand(
        cast,
        title="电力增容申请仍未办理",
        description="新生产线用电增容2000千伏安的申请已提交两个月，仍未答复。",
    )
    link = merge_duplicate(cast.office, dup.pk, original.pk)
    dup.refresh_from_db()
    assert (dup.status, dup.reject_reason) == (Status.REJECTED, "repeat")
    assert link.original == original and link.score >= 0.35
    event = dup.events.last()
    assert (
        event is not None
        and event.note
        == f"重复诉求且无新情况：与诉求{original.number}「电力增容申请迟迟未批复」重复，已合并办理"
    )
    with pytest.raises(ValidationError) as exc:
        merge_duplicate(cast.office, dup.pk, original.pk)
    assert exc.value.message_dict == {"demand": ["只有待受理的诉求可以合并为重复诉求"]}
    assert DuplicateLink.objects.count() == 1


def test_merge_refuses_self_and_accepted(cast: Cast, clock: Any) -> None:
    a = submit_demand(cast)
    with pytest.raises(ValidationError):
        merge_duplicate(cast.office, a.pk, a.pk)
    b = drive(cast, submit_demand(cast), "accepted")
    with pytest.raises(ValidationError):
        merge_duplicate(cast.office, b.pk, a.pk)


def test_rebuild_matches_incremental_index(cast: Cast, clock: Any) -> None:
    submit_demand(cast, title="用地指标未落实", description="二期项目用地指标迟迟没有落实。")
    submit_demand(cast, title="融资难", description="银行续贷难，融资难。")
    facts.process_queue()
    before = sorted(DemandTerm.objects.values_list("demand_id", "term"))
    stats = dict(TermStat.objects.values_list("term", "df"))
    assert similarity.rebuild() == 2
    assert sorted(DemandTerm.objects.values_list("demand_id", "term")) == before
    assert dict(TermStat.objects.values_list("term", "df")) == stats
