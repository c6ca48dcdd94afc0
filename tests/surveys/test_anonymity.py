"""Anonymity that survives a database reader: with full access to every table, try to join responses back
to invitations (and so to enterprises) — by keys, columns, times, order of insertion, and any value that
appears in two places — and fail."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse

from qinqing.accounts.models import User
from qinqing.audit.models import AuditEvent
from qinqing.demands.models import Outbox
from qinqing.surveys import answering
from qinqing.surveys.models import DimensionScore, Invitation, Response, Survey, TokenUse
from tests.surveys.conftest import ANSWERS, invite

N = 20


def answer(token: str, q6: int) -> None:
    """Each respondent's answers differ (q6 = their position), so a correct join could be recognised."""
    r = Client().post(
        reverse("api:survey-answer-token", args=[token]),
        data=json.dumps({"answers": {**ANSWERS, "q6": q6}, "submit": True}),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content


def dump() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as the database reader sees it (rowid included where SQLite has one)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the introspection
            out[table] = cursor.fetchall()
    return out


@pytest.fixture
def answered(survey: Survey, designer: User) -> list[tuple[Invitation, str]]:
    invited = invite(survey, designer, "昌吉市", N // 2, "small") + invite(
        survey, designer, "阜康市", N // 2, "micro"
    )
    assert len(invited) == N
    audit_before = AuditEvent.objects.count()
    outbox_before = Outbox.objects.count()
    for position, (_, token) in enumerate(invited):
        answer(token, position)
    answering.release_sealed(force=True)
    assert AuditEvent.objects.count() == audit_before  # answering writes no audit row …
    assert Outbox.objects.count() == outbox_before  # … and no message
    return invited


def test_response_tables_hold_no_link_by_design() -> None:
    forbidden = {
        "enterprises.enterprise",
        "surveys.invitation",
        "surveys.tokenuse",
        "accounts.user",
        "surveys.draft",
    }
    for model in (Response, DimensionScore):
        targets = {f.related_model._meta.label_lower for f in model._meta.concrete_fields if f.is_relation}  # type: ignore[union-attr]
        if model is Response:
            targets.discard("surveys.invitation")  # only for named surveys; null for anonymous ones (below)
        assert not targets & forbidden, model
        kinds = {f.get_internal_type() for f in model._meta.concrete_fields}
        assert "DateTimeField" not in kinds or model is Response  # Response.consent_at: named surveys only
        assert model._meta.pk.get_internal_type() == "UUIDField"  # type: ignore[union-attr]
    assert [f.name for f in TokenUse._meta.concrete_fields] == ["invitation"]  # no date, no response
    names = {f.name for f in Response._meta.concrete_fields}
    assert not names & {"ip", "user_agent", "created_at", "submitted_at", "token", "enterprise"}


def test_a_database_reader_cannot_join_responses_to_invitations(
    answered: list[tuple[Invitation, str]],
) -> None:
    responses = list(Response.objects.all())
    assert len(responses) == N
    # 1. no key: anonymous responses carry no invitation and no consent
    assert all(r.invitation_id is None and r.consent_at is None for r in responses)
    # 2. no time: one day for the whole release batch, and the used-marks carry none
    assert len({r.submitted_on for r in responses}) == 1
    # 3. no value in common: neither a response id nor an invitation's id, token hash or enterprise id
    #    appears in the other side's rows
    data = dump()
    response_ids = {r.pk.hex for r in responses} | {str(r.pk) for r in responses}
    for table, rows in data.items():
        if table in ("surveys_response", "surveys_dimensionscore"):
            continue
        text = repr(rows)
        assert not any(rid in text for rid in response_ids), f"a response id appears in {table}"
    response_text = repr(data["surveys_response"]) + repr(data["surveys_dimensionscore"])
    for inv, token in answered:
        assert inv.token_hash not in response_text and token not in response_text
    # 4. the only shared attributes are the unit and the analysis stratum: every response stays among the
    #    responses of its whole cell (10 here), never fewer
    for inv, _ in answered:
        candidates = [r for r in responses if r.unit_id == inv.unit_id and r.stratum == inv.stratum]
        assert len(candidates) == N // 2
    # 5. no order: the order rows were stored in (SQLite's rowid; PostgreSQL: test_postgres_*) does not
    #    follow the order in which the tokens were used — pairing used-marks and responses by position
    #    recovers at most what chance gives, and not the respondents' own answers
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT answers FROM surveys_response ORDER BY rowid")
        else:
            cursor.execute("SELECT answers FROM surveys_response ORDER BY ctid")
        stored_order = [(json.loads(a) if isinstance(a, str) else a)["q6"] for (a,) in cursor.fetchall()]
    assert sorted(stored_order) == list(range(N))
    assert stored_order != list(range(N))  # shuffled on release (a same order would have chance 1/20!)
    used_order = list(TokenUse.objects.order_by("pk").values_list("invitation_id", flat=True))
    assert used_order == sorted(i.pk for i, _ in answered)  # keyed by invitation id: tells nothing of time


def test_the_drafts_are_gone_and_only_the_sample_remains(answered: list[tuple[Invitation, str]]) -> None:
    assert not apps.get_model("surveys", "Draft").objects.exists()
    assert not apps.get_model("surveys", "SealedResponse").objects.exists()
    assert TokenUse.objects.count() == N


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_transaction_ids_do_not_join_responses_to_used_tokens(
    tree: None, survey: Survey, designer: User
) -> None:
    """On PostgreSQL every row carries the id of the transaction that wrote it (xmin): the used-mark and the
    sealed response share one, so the response is released by a later transaction, with its batch."""
    invited = invite(survey, designer, "昌吉市", 6)
    for position, (_, token) in enumerate(invited):
        answer(token, position)  # each a committed transaction; the fifth releases the batch on commit
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM surveys_tokenuse")
        token_xids = {x for (x,) in cursor.fetchall()}
        cursor.execute("SELECT xmin::text, count(*) FROM surveys_response GROUP BY 1")
        response_xids = dict(cursor.fetchall())
        cursor.execute("SELECT xmin::text, ctid::text, answers->>'q6' FROM surveys_response ORDER BY ctid")
        physical = [int(q6) for _, _, q6 in cursor.fetchall()]
    assert len(token_xids) == 6
    assert set(response_xids) & token_xids == set()
    assert list(response_xids.values()) == [5]  # one release transaction for the batch of five
    assert sorted(physical) == [0, 1, 2, 3, 4]
    assert Response.objects.count() == 5  # the sixth waits, sealed, for the next batch
