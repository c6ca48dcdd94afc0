"""Submission throughput: the configuration snapshot (demands.cache), the query budget of one 12345
intake, and the batch intake POST /api/v1/demands/batch/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from qinqing.accounts.roles import Role
from qinqing.accounts.services import create_token
from qinqing.audit.models import AuditEvent
from qinqing.demands import cache, services
from qinqing.demands.models import (
    Category,
    Demand,
    DemandCounter,
    DemandEvent,
    DemandSettings,
    Outbox,
    SlaPolicy,
    Status,
)
from qinqing.orgs.models import Unit
from tests.demands.conftest import People, category, submit
from tests.factories import EnterpriseFactory, make_user, unit


@pytest.fixture(autouse=True)
def _fresh_snapshot() -> None:
    cache.invalidate()


def token_client(user: Any) -> APIClient:
    _, raw = create_token(user, "12345 intake")
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return c


def item(people: People, ref: str, **kw: Any) -> dict[str, Any]:
    return {
        "category": category().pk,
        "demand_type": "help",
        "title": "厂区扩建用地报批",
        "description": "企业反映扩建用地报批进度缓慢，希望协调加快办理。",
        "channel": "12345",
        "enterprise": people.enterprise.pk,
        "contact_name": "王经理",
        "contact_phone": "13899990000",
        "external_ref": ref,
        **kw,
    }


def tables(queries: list[dict[str, Any]]) -> list[str]:
    """Each query as 'VERB table' (BEGIN/COMMIT/SAVEPOINT as themselves), other apps' receivers left out."""
    out = []
    for q in queries:
        sql = q["sql"].strip()
        verb = sql.split()[0].upper()
        if verb in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK"):
            out.append(verb)
            continue
        if verb == "WITH":  # several inserts in one statement (PostgreSQL): the tables written, in order
            out.append("INSERT " + "+".join(re.findall(r'INSERT INTO\s+"?(\w+)"?', sql)))
            continue
        if "nextval(" in sql:
            out.append("SELECT nextval")
            continue
        pattern = r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?' if verb != "INSERT" else r'INTO\s+"?(\w+)"?'
        match = re.search(pattern, sql, re.I)
        table = match.group(1) if match else "?"
        if table.startswith("analysis_"):  # the analysis app's post_save receiver, not ours
            continue
        out.append(f"{verb} {table}")
    return out


# --- the configuration snapshot -------------------------------------------------------------------------
def test_snapshot_serves_configuration_without_queries(tree: None) -> None:
    cache.current()
    warn_share, pk = DemandSettings.current().warn_share, category().pk
    with CaptureQueriesContext(connection) as ctx:
        assert cache.policy("complaint", "normal").handle_days == 15
        assert cache.policy("consult", "urgent").handle_days == 2
        assert cache.settings().warn_share == warn_share
        assert str(cache.category(pk)) == "要素保障／用地"
    assert len(ctx.captured_queries) == 0


def test_snapshot_reloads_after_a_save_and_a_delete(tree: None) -> None:
    assert cache.policy("complaint", "normal").handle_days == 15
    policy = SlaPolicy.objects.get(demand_type="complaint", urgency="normal")
    policy.handle_days = 20
    policy.save()
    assert cache.policy("complaint", "normal").handle_days == 20
    policy.delete()  # the built-in default limits apply
    assert cache.policy("complaint", "normal").handle_days == 15
    assert cache.policy("complaint", "urgent").handle_days == 8
    row = DemandSettings.current()
    row.red_overdue_days = 9
    row.save()
    assert cache.settings().red_overdue_days == 9


def test_a_rolled_back_change_does_not_linger(tree: None) -> None:
    assert cache.policy("help", "normal").handle_days == 10
    with pytest.raises(RuntimeError), transaction.atomic():
        policy = SlaPolicy.objects.get(demand_type="help", urgency="normal")
        policy.handle_days = 12
        policy.save()
        # Inside the changing transaction the change is seen, but never cached (until the outermost
        # transaction ends: here the test's own, so the snapshot stays uncached for the rest of it).
        assert cache.policy("help", "normal").handle_days == 12
        assert cache.current() is not cache.current()
        raise RuntimeError("roll back")
    assert cache.policy("help", "normal").handle_days == 10


def test_new_category_is_found_at_once(tree: None) -> None:
    cache.current()
    parent = Category.objects.get(name="要素保障")
    # Created behind the process's back (as another process would): the unknown id reloads once.
    created = Category.objects.bulk_create([Category(name="用能", parent=parent)])[0]
    found = cache.category(created.pk)
    assert found is not None and str(found) == "要素保障／用能"
    assert cache.category(10**9) is None
    assert cache.category("x") is None


def test_other_processes_see_a_change_through_the_shared_generation(
    tree: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import cache as shared

    first = cache.current()
    assert cache.current() is first
    # Another process committed a change: it bumped the generation in the shared cache.
    SlaPolicy.objects.filter(demand_type="help", urgency="normal").update(handle_days=11)  # no signal
    monkeypatch.setattr(cache, "CHECK_SECONDS", 0.0)
    assert cache.policy("help", "normal").handle_days == 10  # generation unchanged: still cached
    shared.set(cache.GENERATION_KEY, (shared.get(cache.GENERATION_KEY) or 0) + 1, timeout=None)
    assert cache.policy("help", "normal").handle_days == 11


def test_snapshot_expires_after_its_ttl(tree: None, monkeypatch: pytest.MonkeyPatch) -> None:
    first = cache.current()
    monkeypatch.setattr(cache, "TTL_SECONDS", 0.0)
    assert cache.current() is not first


def test_receiving_office_is_remembered_until_a_unit_changes(tree: None) -> None:
    county_office = unit("昌吉市营商环境服务中心")
    nr = unit("昌吉市自然资源局")
    assert services.receiving_office(nr.pk) == county_office
    with CaptureQueriesContext(connection) as ctx:
        assert services.receiving_office(nr.pk) == county_office
    assert len(ctx.captured_queries) == 0
    county_office.is_active = False
    county_office.save()  # a unit changed: the office is looked up again
    assert services.receiving_office(nr.pk) == unit("昌吉州营商环境服务中心")


# --- one submission ----------------------------------------------------------------------------------------
def test_one_12345_intake_query_budget(people: People) -> None:
    """The token with its user, unit, parent unit and roles (one statement), the enterprise (loaded and
    scope-checked at once), then the writes: demand (numbered), event, audit and outbox rows (PostgreSQL:
    the ids, then event and numbered demand in one statement, audit and outbox rows in another). The office's
    recipients come from the snapshot (remembered by the warm-up); the response reads nothing."""
    c = token_client(people.office)
    url = reverse("api:demand-list")
    # The fixture's users were created in this test's transaction, which never commits: recipients are
    # not remembered inside a transaction that changed users. In production they were committed long ago.
    cache._users_committed()
    assert c.post(url, item(people, "warm-1"), format="json").status_code == 201
    body = item(people, "12345-Q-1")
    with CaptureQueriesContext(connection) as ctx:
        r = c.post(url, body, format="json")
    assert r.status_code == 201, r.json()
    got = tables(ctx.captured_queries)
    reads = ["SELECT accounts_apitoken", "SELECT enterprises_enterprise"]
    if connection.vendor == "postgresql":
        writes = [
            "SELECT nextval",  # the demand's and the event's ids, before the number is taken
            "INSERT demands_demandevent+demands_demandcounter+demands_demand",
            "INSERT audit_auditevent+demands_outbox",
        ]
    else:
        writes = [
            "INSERT demands_demandcounter",
            "INSERT demands_demand",
            "INSERT demands_demandevent",
            "INSERT audit_auditevent",
            "INSERT demands_outbox",
        ]
    assert [x for x in got if x not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")] == reads + writes
    body = r.json()
    assert body["category_name"] == "要素保障／用地"
    assert body["receiving_unit_name"] == "昌吉市营商环境服务中心"
    assert body["assisting_units"] == [] and body["attachments"] == []
    assert body["allowed_actions"] == ["accept", "reject"]
    assert body["number"] == Demand.objects.get(external_ref="12345-Q-1").number


def recipient_names(unit_id: int) -> list[str]:
    return [u.username for u in services.office_recipients(unit_id)]


def test_office_recipients_are_remembered_until_a_user_or_role_changes(people: People) -> None:
    from qinqing.accounts.services import set_roles

    office = people.office.unit_id
    cache._users_committed()  # the fixture's users, as if committed earlier (see the budget test)
    assert recipient_names(office) == ["changji_dispatcher", "changji_head"]
    with CaptureQueriesContext(connection) as ctx:
        assert recipient_names(office) == ["changji_dispatcher", "changji_head"]
    assert len(ctx.captured_queries) == 0
    # A login (last_login) or a password change does not drop them.
    people.office.last_login = timezone.now()
    people.office.save(update_fields=["last_login"])
    assert office in cache.current().recipients
    # A role granted in bulk (set_roles sends accounts.signals.roles_changed) does.
    clerk = make_user("changji_clerk", unit_name="昌吉市营商环境服务中心", roles=[])
    cache._users_committed()
    assert recipient_names(office) == ["changji_dispatcher", "changji_head"]
    secadmin = make_user("sec", unit_name="昌吉州营商环境服务中心", roles=[Role.SECADMIN])
    cache._users_committed()
    recipient_names(office)
    set_roles(secadmin, clerk, [Role.DISPATCHER])
    assert office not in cache.current().recipients
    assert recipient_names(office) == ["changji_dispatcher", "changji_head", "changji_clerk"]
    cache._users_committed()
    assert recipient_names(office) == ["changji_dispatcher", "changji_head", "changji_clerk"]
    # A user deactivated (or moved to another unit) is dropped at once.
    people.office_head.is_active = False
    people.office_head.save(update_fields=["is_active"])
    assert office not in cache.current().recipients
    assert recipient_names(office) == ["changji_dispatcher", "changji_clerk"]
    people.office.unit = unit("昌吉州营商环境服务中心")
    people.office.save()
    assert recipient_names(office) == ["changji_clerk"]


def test_recipients_changed_in_a_rolled_back_transaction_do_not_linger(people: People) -> None:
    office = people.office.unit_id
    cache._users_committed()
    assert recipient_names(office) == ["changji_dispatcher", "changji_head"]
    with pytest.raises(RuntimeError), transaction.atomic():
        make_user("changji_temp", unit_name="昌吉市营商环境服务中心", roles=[Role.DISPATCHER])
        assert recipient_names(office) == ["changji_dispatcher", "changji_head", "changji_temp"]
        assert office not in cache.current().recipients  # seen, never remembered
        raise RuntimeError("roll back")
    # The marker is the outermost transaction's (here the test's own): until it ends, recipients are read
    # afresh, so the rolled-back user is gone at once.
    assert recipient_names(office) == ["changji_dispatcher", "changji_head"]


def test_submission_writes_number_event_audit_and_outbox(people: People) -> None:
    d = submit(people, by=people.office, enterprise=people.enterprise, channel="12345", external_ref="R-1")
    d2 = Demand.objects.get(pk=d.pk)
    assert d2.number == d.number and re.fullmatch(r"SQ\d{8}\d{4}", d.number)
    assert d2.created_at == d.created_at  # microseconds kept
    assert (d2.status, d2.due_at, d2.accept_due_at) == (Status.SUBMITTED, d.accept_due_at, d.accept_due_at)
    event = DemandEvent.objects.get(demand=d)
    assert (event.action, event.to_status, event.at) == ("submit", Status.SUBMITTED, d.created_at)
    audit = AuditEvent.objects.get(object_type="demands.demand", object_id=str(d.pk))
    assert (audit.detail, audit.actor_id, audit.object_repr) == (
        f"提交 {d.number}",
        people.office.pk,
        str(d2),
    )
    rows = Outbox.objects.filter(demand=d).order_by("recipient_id", "channel")
    assert {(r.recipient_id, r.channel) for r in rows} == {
        (people.office.pk, "inbox"),
        (people.office_head.pk, "inbox"),
    }
    assert all(r.subject == f"新诉求{d.number}待受理" and r.delivery_key.endswith(f"ev{event.pk}:{r.recipient_id}")
               for r in rows)  # fmt: skip


def test_repeated_reference_of_another_office_is_refused(people: People) -> None:
    url = reverse("api:demand-list")
    assert token_client(people.office).post(url, item(people, "X-1"), format="json").status_code == 201
    other_ent = EnterpriseFactory(registered_unit=unit("玛纳斯县"))
    r = token_client(people.other_office).post(
        url, item(people, "X-1", enterprise=other_ent.pk), format="json"
    )
    assert r.status_code == 400
    assert r.json()["fields"] == {"external_ref": ["该外部编号已被其他机构使用"]}
    assert Demand.objects.filter(external_ref="X-1").count() == 1


def test_enterprise_out_of_scope_by_id(people: People) -> None:
    other_ent = EnterpriseFactory(registered_unit=unit("玛纳斯县"))
    c = token_client(people.office)
    for pk in (other_ent.pk, 10**9):
        r = c.post(reverse("api:demand-list"), item(people, f"E-{pk}", enterprise=pk), format="json")
        assert r.status_code == 400 and r.json()["fields"] == {"enterprise": ["请选择本辖区内的企业"]}
    r = c.post(reverse("api:demand-list"), item(people, "E-cat", category=10**9), format="json")
    assert r.status_code == 400 and list(r.json()["fields"]) == ["category"]
    assert not Demand.objects.exists()


# --- batch intake ---------------------------------------------------------------------------------------------
BATCH = "/api/v1/demands/batch/"


def test_batch_creates_all_with_consecutive_numbers(people: People) -> None:
    c = token_client(people.office)
    r = c.post(BATCH, {"demands": [item(people, f"B-{i}") for i in range(3)]}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["created"], body["existing"]) == (3, 0)
    assert [x["index"] for x in body["results"]] == [0, 1, 2]
    assert all(x["created"] and x["status"] == "submitted" for x in body["results"])
    numbers = [x["number"] for x in body["results"]]
    seqs = [int(n[-4:]) for n in numbers]
    assert seqs == list(range(seqs[0], seqs[0] + 3))
    demands = list(Demand.objects.filter(external_ref__startswith="B-").order_by("number"))
    assert [d.number for d in demands] == numbers
    single = submit(people, by=people.office, enterprise=people.enterprise, demand_type="help")
    for d in demands:  # the same row as a single submission
        assert (d.status, d.handle_days, d.accept_days, d.receiving_unit_id, d.coordinating_unit_id) == (
            Status.SUBMITTED,
            single.handle_days,
            single.accept_days,
            single.receiving_unit_id,
            single.coordinating_unit_id,
        )
        assert d.due_at == d.accept_due_at and d.accept_due_at > d.created_at and d.channel == "12345"
        assert DemandEvent.objects.filter(demand=d, action="submit").count() == 1
        assert AuditEvent.objects.filter(object_id=str(d.pk), detail=f"提交 {d.number}").count() == 1
        assert Outbox.objects.filter(demand=d, channel="inbox").count() == 2
    assert int(single.number[-4:]) == seqs[-1] + 1


def test_batch_is_idempotent_by_reference(people: People) -> None:
    c = token_client(people.office)
    first = c.post(BATCH, {"demands": [item(people, "I-1"), item(people, "I-2")]}, format="json").json()
    again = c.post(BATCH, {"demands": [item(people, "I-1"), item(people, "I-2")]}, format="json")
    assert again.status_code == 200
    assert again.json()["created"] == 0 and again.json()["existing"] == 2
    assert [x["id"] for x in again.json()["results"]] == [x["id"] for x in first["results"]]
    mixed = c.post(BATCH, {"demands": [item(people, "I-3"), item(people, "I-1")]}, format="json")
    assert mixed.status_code == 201
    assert [(x["external_ref"], x["created"]) for x in mixed.json()["results"]] == [
        ("I-3", True),
        ("I-1", False),
    ]
    assert Demand.objects.count() == 3


def test_batch_is_all_or_nothing_with_errors_per_item(people: People) -> None:
    c = token_client(people.office)
    other_ent = EnterpriseFactory(registered_unit=unit("玛纳斯县"))
    token_client(people.other_office).post(
        reverse("api:demand-list"), item(people, "TAKEN", enterprise=other_ent.pk), format="json"
    )
    counter_before = list(DemandCounter.objects.values_list("day", "last"))
    demands_before = Demand.objects.count()
    batch = [
        item(people, "A-0"),
        item(people, "A-1", enterprise=other_ent.pk),
        item(people, "A-0"),
        item(people, "TAKEN"),
        item(people, ""),
    ]
    r = c.post(BATCH, {"demands": batch}, format="json")
    assert r.status_code == 400
    assert r.json() == {
        "code": "invalid",
        "detail": "输入有误",
        "fields": {
            "demands.1.enterprise": ["请选择本辖区内的企业"],
            "demands.2.external_ref": ["与第1件的外部编号重复"],
            "demands.3.external_ref": ["该外部编号已被其他机构使用"],
            "demands.4.external_ref": ["批量提交须填写外部编号"],
        },
    }
    # Field errors (checked first, for every item at once) use the same format.
    r = c.post(BATCH, {"demands": [item(people, "F-0"), item(people, "F-1", title="", contact_phone="")]},
               format="json")  # fmt: skip
    assert r.status_code == 400
    assert set(r.json()["fields"]) == {"demands.1.title", "demands.1.contact_phone"}
    assert Demand.objects.count() == demands_before
    assert list(DemandCounter.objects.values_list("day", "last")) == counter_before


def test_batch_size_bounds_and_permission(people: People) -> None:
    c = token_client(people.office)
    r = c.post(BATCH, {"demands": []}, format="json")
    assert r.status_code == 400 and list(r.json()["fields"]) == ["demands"]
    r = c.post(BATCH, {"demands": [item(people, f"M-{i}") for i in range(101)]}, format="json")
    assert r.status_code == 400 and list(r.json()["fields"]) == ["demands"]
    assert not Demand.objects.exists()
    viewer = make_user("changji_viewer", unit_name="昌吉市营商环境服务中心", roles=[])
    r = token_client(viewer).post(BATCH, {"demands": [item(people, "P-1")]}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


def test_batch_query_count_does_not_grow_with_its_size(people: People) -> None:
    c = token_client(people.office)
    c.post(BATCH, {"demands": [item(people, "W-0")]}, format="json")
    counts = []
    for size in (2, 20):
        body = {"demands": [item(people, f"S{size}-{i}") for i in range(size)]}
        with CaptureQueriesContext(connection) as ctx:
            r = c.post(BATCH, body, format="json")
        assert r.status_code == 201
        got = tables(ctx.captured_queries)
        got = [x for x in got if x != "INSERT demands_demand"]  # SQLite saves the demands one by one
        counts.append(len(got))
    assert counts[0] == counts[1]


def test_batch_in_the_schema(people: People) -> None:
    c = APIClient()
    c.force_authenticate(people.office)
    schema = c.get("/api/schema/", {"format": "json"}).json()
    op = schema["paths"]["/api/v1/demands/batch/"]["post"]
    assert set(op["responses"]) >= {"200", "201", "400", "403"}
    body = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body == "#/components/schemas/DemandBatchRequest"
    demands = schema["components"]["schemas"]["DemandBatchRequest"]["properties"]["demands"]
    assert (demands["minItems"], demands["maxItems"]) == (1, 100)
    assert demands["items"]["$ref"] == "#/components/schemas/DemandCreateRequest"


def test_office_lookup_uses_unit_changes(people: People) -> None:
    # A unit edit through the ORM (as the org admin pages do) drops the remembered office.
    office = Unit.objects.get(name="昌吉市营商环境服务中心")
    assert services.receiving_office(people.office.unit_id) == office
    office.name = "昌吉市营商环境建设服务中心"
    office.save()
    assert services.receiving_office(people.office.unit_id).name == "昌吉市营商环境建设服务中心"


def test_single_enterprise_check_matches_visible_to(people: People) -> None:
    """The single submission's prepared scope check answers as Enterprise.objects.visible_to does."""
    from qinqing.core.scoping import ScopedQuerySet
    from qinqing.enterprises.models import Enterprise

    # The check spells out the declared rule; a model-specific rule would need its own spelling.
    assert type(Enterprise.objects.all()).staff_filter is ScopedQuerySet.staff_filter
    ents = [
        people.enterprise,
        EnterpriseFactory(registered_unit=unit("玛纳斯县")),
        EnterpriseFactory(registered_unit=unit("榆树沟镇")),
        EnterpriseFactory(registered_unit=unit("昌吉州营商环境服务中心")),
    ]
    for user in (people.office, people.pref, people.other_office, people.town_head, people.handler):
        for ent in ents:
            expected = Enterprise.objects.visible_to(user).filter(pk=ent.pk).exists()
            found = services._enterprise_in_scope(user, ent.pk)
            assert (found is not None) is expected, (user.username, ent.registered_unit)
            if found is not None:
                assert (found.pk, found.name, found.registered_unit_id) == (
                    ent.pk,
                    ent.name,
                    ent.registered_unit_id,
                )
    assert services._enterprise_in_scope(people.pref, 10**9) is None
