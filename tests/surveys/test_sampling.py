"""Sampling from the registry: strata, a recorded seed, reproducibility; quotas under concurrency."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from qinqing.accounts.models import User
from qinqing.demands.models import Outbox
from qinqing.enterprises.models import EnterpriseStatus
from qinqing.surveys import services
from qinqing.surveys.models import Invitation, Quota, SamplingRun, SealedResponse, Survey, TokenUse
from tests.factories import EnterpriseFactory, unit
from tests.surveys.conftest import ANSWERS, enterprises, invite, tokens


def drawn(survey: Survey) -> set[tuple[int, int, str]]:
    return set(Invitation.objects.filter(survey=survey).values_list("enterprise_id", "unit_id", "stratum"))


@pytest.fixture
def registry() -> None:
    enterprises("昌吉市", 12, "small")
    enterprises("昌吉市", 4, "medium")
    enterprises("榆树沟镇", 6, "small")  # a township below 昌吉市: belongs to 昌吉市's population
    enterprises("阜康市", 3, "micro")
    EnterpriseFactory(registered_unit=unit("昌吉市"), scale="small", status=EnterpriseStatus.CANCELLED)
    enterprises("天山区", 5, "small")  # outside the survey


def test_draw_by_unit_and_stratum_with_a_recorded_seed(
    survey: Survey, designer: User, registry: None
) -> None:
    run = services.draw_sample(designer, survey, default_size=5, per_stratum={"medium": 2}, seed=20261203)
    assert run.seed == 20261203 and run.plan == {"default": 5, "per_stratum": {"medium": 2}, "quota": None}
    cells: dict[tuple[str, str], int] = {}
    for _, unit_id, stratum in drawn(survey):
        key = (unit_id, stratum)
        cells[key] = cells.get(key, 0) + 1  # type: ignore[index]
    assert cells == {
        (unit("昌吉市").pk, "small"): 5,
        (unit("昌吉市").pk, "medium"): 2,
        (unit("阜康市").pk, "micro"): 3,
    }  # type: ignore[comparison-overlap]
    assert run.drawn == 10
    # phones of the primary contacts become the SMS addresses
    assert all(a.startswith("139") for a in Invitation.objects.values_list("address", flat=True))


def test_the_same_seed_draws_the_same_sample(designer: User, questionnaire: Any, registry: None) -> None:
    from tests.surveys.conftest import make_survey

    a = make_survey(designer, questionnaire, title="A")
    b = make_survey(designer, questionnaire, title="B")
    c = make_survey(designer, questionnaire, title="C")
    services.draw_sample(designer, a, default_size=4, seed=99)
    services.draw_sample(designer, b, default_size=4, seed=99)
    services.draw_sample(designer, c, default_size=4, seed=100)
    assert drawn(a) == drawn(b)
    assert drawn(a) != drawn(c)
    assert SamplingRun.objects.get(survey=c).seed == 100


def test_a_second_draw_never_invites_an_enterprise_twice(
    survey: Survey, designer: User, registry: None
) -> None:
    services.draw_sample(designer, survey, default_size=5, seed=1)
    services.draw_sample(designer, survey, default_size=5, seed=2)
    ids = list(Invitation.objects.filter(survey=survey).values_list("enterprise_id", flat=True))
    assert len(ids) == len(set(ids)) == 10 + 4 + 3  # the 18 small of 昌吉市 give 10, medium 4, micro 3


def test_invitations_go_through_the_outbox_and_show_in_progress(
    survey: Survey, designer: User, registry: None
) -> None:
    services.draw_sample(designer, survey, default_size=2, seed=5, quota=1)
    found = tokens(survey, designer)
    assert len(found) == 6
    row = Outbox.objects.filter(channel="sms").first()
    assert row is not None and "匿名" in row.body and "退订" in row.body
    assert services.send_invitations(designer, survey) == 0  # already sent
    from qinqing.surveys import queries

    rows = queries.progress(survey, list(survey.units.all()))
    cj = [r for r in rows if r.unit.name == "昌吉市"]
    assert [(r.stratum, r.invited, r.completed, r.quota) for r in cj] == [
        ("medium", 2, 0, 1),
        ("small", 2, 0, 1),
    ]


def _submit(token: str) -> int:
    r = Client().post(
        reverse("api:survey-answer-token", args=[token]),
        data=json.dumps({"answers": ANSWERS, "submit": True}),
        content_type="application/json",
    )
    return r.status_code


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_quota_holds_under_concurrent_submissions(
    tree: None, survey: Survey, designer: User
) -> None:
    invited = invite(survey, designer, "昌吉市", 12)
    services.set_quota(designer, survey, unit("昌吉市"), "small", 5)
    barrier = threading.Barrier(len(invited))
    codes: list[int] = []

    def run(token: str) -> None:
        try:
            barrier.wait()
            codes.append(_submit(token))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for _, t in invited]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] * 5 + [403] * 7
    assert Quota.objects.get().completed == 5
    assert TokenUse.objects.count() == 5
    from qinqing.surveys.models import Response

    assert Response.objects.count() + SealedResponse.objects.count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_one_token_submitted_twice_at_once_counts_once(
    tree: None, survey: Survey, designer: User
) -> None:
    (_, token), *_ = invite(survey, designer, "昌吉市", 1)
    barrier = threading.Barrier(4)
    codes: list[int] = []

    def run() -> None:
        try:
            barrier.wait()
            codes.append(_submit(token))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201, 409, 409, 409]
    assert TokenUse.objects.count() == 1


@pytest.mark.django_db
def test_a_draft_submitted_meanwhile_answers_gone_not_a_server_error(
    tree: None, survey: Survey, designer: User
) -> None:
    """Two requests opened the same draft; the first submitted (and removed) it. The second one's save
    finds no row: AnswerError("gone") — 409 in the API — instead of Django's "did not affect any rows"."""
    from qinqing.surveys import answering
    from qinqing.surveys.models import Draft, Mode

    ((inv, token),) = invite(survey, designer, "昌吉市", 1)
    stale = answering.open_draft(survey, inv.unit_id, Mode.INVITATION, None, invitation=inv)
    assert _submit(token) == 201
    assert not Draft.objects.filter(pk=stale.pk).exists()
    with pytest.raises(answering.AnswerError) as raised:
        answering.save_all(stale, ANSWERS, consent=True)
    assert (raised.value.code, raised.value.message) == ("gone", "答卷已提交或已失效")
    assert TokenUse.objects.count() == 1
