"""Staff and enterprise pages: list/todo with query counts, HTMX actions, export, attachments, config."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from qinqing.audit.models import AuditAction, AuditEvent
from qinqing.demands.models import Demand, SlaPolicy, Status
from tests.demands.conftest import People, category, submit
from tests.factories import unit

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def login(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_list_and_todo_query_counts_do_not_grow(
    people: People, flow: Callable[..., Demand], django_assert_max_num_queries: Any
) -> None:
    for state in ("submitted", "accepted", "dispatched"):
        flow(state)
    c = login(people.office)
    c.get(reverse("demands:list"))  # warm the session
    with django_assert_max_num_queries(12) as few:
        assert c.get(reverse("demands:list")).status_code == 200
    small = len(few.captured_queries)
    for state in ("submitted", "accepted", "handling", "closed", "submitted"):
        flow(state)
    with django_assert_max_num_queries(small):
        r = c.get(reverse("demands:list"), {"status": ["submitted", "accepted"]})
    assert r.content.decode().count('data-testid="demand-row"') == 5
    with django_assert_max_num_queries(12) as few:
        r = c.get(reverse("demands:todo"))
    body = r.content.decode()
    assert body.count('data-testid="demand-row"') == 5  # 3 submitted + 2 accepted wait for the office


def test_todo_sorted_by_deadline(people: People, flow: Callable[..., Demand]) -> None:
    later = flow("accepted")  # 办结 deadline: 15 working days
    sooner = flow("submitted")  # 受理 deadline: 1 working day
    body = login(people.office).get(reverse("demands:todo")).content.decode()
    assert body.index(sooner.number) < body.index(later.number)


def test_detail_offers_only_the_users_actions_and_htmx_accept(
    people: People, flow: Callable[..., Demand]
) -> None:
    d = flow("submitted")
    c = login(people.office)
    body = c.get(reverse("demands:detail", args=[d.pk])).content.decode()
    assert 'data-testid="open-accept"' in body and 'data-testid="open-reject"' in body
    assert 'data-testid="open-sign"' not in body
    r = c.post(
        reverse("demands:action", args=[d.pk, "accept"]), {"version": d.version}, HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200
    panel = r.content.decode()
    assert "受理成功" in panel and "<html" not in panel
    stale = c.post(
        reverse("demands:action", args=[d.pk, "reject"]), {"version": d.version}, HTTP_HX_REQUEST="true"
    )
    assert "该诉求已被他人处理，请刷新后重试" in stale.content.decode()
    d.refresh_from_db()
    assert d.status == Status.ACCEPTED
    assert login(people.ent).get(reverse("demands:detail", args=[d.pk])).status_code == 200
    assert login(people.other).get(reverse("demands:detail", args=[d.pk])).status_code == 404


def test_enterprise_submits_with_attachment_and_bad_file_is_refused(people: People) -> None:
    c = login(people.ent)
    data = {
        "demand_type": "help",
        "category": category("融资").pk,
        "urgency": "normal",
        "title": "流动资金贷款",
        "description": "申请贴息贷款",
        "contact_name": "李四",
        "contact_phone": "13812341234",
    }
    bad = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    r = c.post(reverse("demands:submit"), {**data, "files": [bad]})
    assert "文件内容与扩展名不符：virus.pdf 实为 可执行程序 文件" in r.content.decode()
    assert Demand.objects.count() == 0
    good = SimpleUploadedFile("红线图.png", PNG, content_type="image/png")
    r = c.post(reverse("demands:submit"), {**data, "files": [good]})
    d = Demand.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("demands:detail", args=[d.pk])
    att = d.attachments.get()
    assert (att.name, att.content_type, att.extension) == ("红线图.png", "image/png", ".png")
    assert c.get(reverse("demands:attachment", args=[att.token])).status_code == 200
    assert login(people.other).get(reverse("demands:attachment", args=[att.token])).status_code == 404


def test_export_masks_and_is_audited(people: People, flow: Callable[..., Demand]) -> None:
    flow("submitted")
    flow("accepted", hide_below_tier=1)
    r = login(people.office).get(reverse("demands:export"), {"status": "submitted"})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][2:5] == ("昌吉市示范制造有限公司", "李**", "138****1234")
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.detail.startswith("导出企业诉求 1 条")
    r = login(people.office).get(reverse("demands:export"))
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    hidden = [row for row in rows[1:] if row[9] == "待交办"]
    assert hidden[0][2:5] == ("（企业身份已隐藏）",) * 3  # a county office is below 州级
    assert login(people.handler).get(reverse("demands:export")).status_code == 403


def test_bulk_dispatch(people: People, flow: Callable[..., Demand]) -> None:
    a, b = flow("accepted"), flow("accepted")
    c = login(people.office)
    r = c.post(
        reverse("demands:bulk_dispatch"), {"ids": [a.pk, b.pk], "lead_unit": unit("昌吉市自然资源局").pk}
    )
    assert r.status_code == 302
    assert set(Demand.objects.values_list("status", flat=True)) == {Status.DISPATCHED}


def test_config_pages_edit_sla_for_new_demands_only(people: People) -> None:
    c = login(people.office)
    assert c.get(reverse("demands:config")).status_code == 200
    policy = SlaPolicy.objects.get(demand_type="consult", urgency="normal")
    r = c.post(
        reverse("demands:config"),
        {
            "kind": "sla",
            "pk": policy.pk,
            "accept_days": 1,
            "sign_days": 1,
            "return_days": 2,
            "handle_days": 0,
            "max_handle_days": 30,
        },
        follow=True,
    )
    assert "时限应为 1–60 个工作日" in r.content.decode()
    c.post(
        reverse("demands:config"),
        {
            "kind": "sla",
            "pk": policy.pk,
            "accept_days": 1,
            "sign_days": 1,
            "return_days": 2,
            "handle_days": 4,
            "max_handle_days": 30,
        },
    )
    policy.refresh_from_db()
    assert policy.handle_days == 4
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="demands.slapolicy").count() == 1
    assert submit(people, demand_type="consult").handle_days == 4
    r = login(people.lead_head).post(reverse("demands:config"), {"kind": "sla", "pk": policy.pk})
    assert r.status_code == 403


def test_stats_page_and_export(people: People, flow: Callable[..., Demand]) -> None:
    flow("closed")
    c = login(people.office)
    r = c.get(reverse("demands:stats"))
    assert r.status_code == 200 and 'data-metric="close_rate">100.0<' in r.content.decode()
    r = c.get(reverse("demands:stats_export"))
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["汇总", "按类型", "按分类", "月度趋势", "单位排名"]


def test_list_filter_form_choices_selection_and_rows(
    people: People, flow: Callable[..., Demand], django_assert_max_num_queries: Any
) -> None:
    from qinqing.orgs.models import Unit

    d = flow("submitted")
    c = login(people.office)
    nr = unit("昌吉市自然资源局")
    params = {
        "unit": nr.pk,
        "category": category().pk,
        "status": ["submitted", "accepted"],
        "demand_type": "help",
    }
    body = c.get(reverse("demands:list"), params).content.decode()
    assert f'<option value="{nr.pk}" selected>昌吉市自然资源局</option>' in body
    assert f'<option value="{category().pk}" selected>要素保障／用地</option>' in body
    assert '<option value="submitted" selected>待受理</option>' in body
    assert '<option value="accepted" selected>待交办</option>' in body
    assert '<option value="handling">办理中</option>' in body
    assert '<option value="help" selected>求助</option>' in body
    # The unit filter and the bulk dispatch offer the active units of the office's scope, in tree order.
    scope = Unit.objects.filter(path__startswith=people.office.unit.parent.path, is_active=True)
    expected = "".join(f'<option value="{u.pk}">{u.name}</option>' for u in scope.order_by("path") if u != nr)
    unit_select = body.split('name="unit"', 1)[1].split("</select>", 1)[0]
    assert unit_select.replace(f'<option value="{nr.pk}" selected>昌吉市自然资源局</option>', "").endswith(
        expected
    )
    bulk = body.split('name="lead_unit"', 1)[1].split("</select>", 1)[0]
    assert bulk.count("<option value=") == scope.count() + 1
    # Rows: the detail link and the category's label.
    body = c.get(reverse("demands:list")).content.decode()
    assert f'<a href="/demands/{d.pk}/">{d.number}</a>' in body
    assert "<td>要素保障／用地</td>" in body
    # Choices and labels come from the snapshot: no category or unit list is read, only the chosen
    # category is looked up (to validate the filter).
    pk = category().pk
    with django_assert_max_num_queries(12) as ctx:
        c.get(reverse("demands:list"), params)
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "demands_category"')]
    assert len(reads) == 1 and f'"demands_category"."id" = {pk}' in reads[0]
    assert not any('ORDER BY "orgs_unit"."path"' in q["sql"] for q in ctx.captured_queries)


def test_list_escapes_names(people: People, flow: Callable[..., Demand]) -> None:
    from qinqing.demands.models import Category

    odd = Category.objects.create(name="<b>用能</b>", parent=category().parent)
    flow("submitted", category=odd)
    body = login(people.office).get(reverse("demands:list")).content.decode()
    assert f'<option value="{odd.pk}">要素保障／&lt;b&gt;用能&lt;/b&gt;</option>' in body
    assert "<td>要素保障／&lt;b&gt;用能&lt;/b&gt;</td>" in body


def test_todo_counts_up_to_its_cap(people: People, flow: Callable[..., Demand], monkeypatch: Any) -> None:
    from qinqing.demands import views

    for _ in range(4):
        flow("submitted")
    c = login(people.office)
    body = c.get(reverse("demands:todo")).content.decode()
    assert body.count('data-testid="demand-row"') == 4
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(views, "TODO_COUNT_CAP", 3)
    body = c.get(reverse("demands:todo")).content.decode()
    assert body.count('data-testid="demand-row"') == 2
    assert "第 1 页，超过 3 件（仅列出前 2 页，请用筛选缩小范围）" in body
    body = c.get(reverse("demands:todo"), {"page": 2}).content.decode()
    assert body.count('data-testid="demand-row"') == 2
