"""Pages: list (filters, masking, query count), detail with the audited reveal, forms, export, home card."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from qinqing.audit.models import AuditAction, AuditEvent
from qinqing.enterprises.models import Enterprise
from tests.factories import ContactFactory, EnterpriseFactory, unit

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(n: int, **kwargs: Any) -> list[Enterprise]:
    rows = []
    for _ in range(n):
        contact = ContactFactory(**{f"enterprise__{k}": v for k, v in kwargs.items()})
        rows.append(contact.enterprise)
    return rows


# --- list ----------------------------------------------------------------------------------------
def test_list_shows_masked_mobiles_only(county_dispatcher: Any) -> None:
    ContactFactory(enterprise__name="甲企业有限公司", mobile="13812345678")
    html = _client(county_dispatcher).get(reverse("enterprises:list")).content.decode()
    assert "甲企业有限公司" in html
    assert "138****5678" in html
    assert "13812345678" not in html


def test_list_filters(county_dispatcher: Any) -> None:
    a = EnterpriseFactory(
        name="昌吉粮油有限公司", industry_section="C", scale="small", credit_code="91652301MA775LWQ1R"
    )
    b = EnterpriseFactory(
        name="六工物流有限公司",
        industry_section="G",
        industry_division="54",
        scale="large",
        registered_unit=unit("六工镇"),
    )
    c = EnterpriseFactory(
        name="停业商贸有限公司", industry_section="F", industry_division="51", status="cancelled"
    )
    EnterpriseFactory(name="玛纳斯企业", registered_unit=unit("玛纳斯县"))
    client = _client(county_dispatcher)

    def names(**params: Any) -> list[str]:
        response = client.get(reverse("enterprises:list"), params)
        return [e.name for e, _ in response.context["rows"]]

    assert names() == sorted([a.name, b.name, c.name])
    assert names(q="粮油") == [a.name]
    assert names(q="ma775 lwq") == [a.name]  # part of the code, lower case and spaces
    assert names(industry_section="G") == [b.name]
    assert names(scale="large") == [b.name]
    assert names(status="cancelled") == [c.name]
    assert names(unit=unit("六工镇").pk) == [b.name]
    assert names(unit=unit("昌吉市").pk) == sorted([a.name, b.name, c.name])


def test_unit_choices_are_limited_to_the_scope(county_dispatcher: Any) -> None:
    response = _client(county_dispatcher).get(reverse("enterprises:list"), {"unit": unit("玛纳斯县").pk})
    choices = [label for _, label in response.context["filter"].form.fields["unit"].choices]
    assert "昌吉市" in choices and "六工镇" in choices
    assert "玛纳斯县" not in choices
    assert response.context["filter"].form.errors["unit"] == ["选择一个有效的选项： 该选择不在可用的选项中。"]


def test_list_paginates(county_dispatcher: Any) -> None:
    _rows(25)
    client = _client(county_dispatcher)
    first = client.get(reverse("enterprises:list"), {"scale": "small"})
    assert len(first.context["rows"]) == 20
    assert "第 1 / 2 页，共 25 条" in first.content.decode()
    assert 'href="?scale=small&page=2"' in first.content.decode()
    assert len(client.get(reverse("enterprises:list"), {"page": 2}).context["rows"]) == 5


def test_list_query_count_does_not_grow_with_rows(
    county_dispatcher: Any, django_assert_num_queries: Any
) -> None:
    client = _client(county_dispatcher)
    _rows(5)
    client.get(reverse("enterprises:list"))  # warm the session
    with CaptureQueriesContext(connection) as five:
        assert client.get(reverse("enterprises:list")).status_code == 200
    _rows(25, registered_unit=unit("六工镇"))
    with django_assert_num_queries(len(five.captured_queries)):
        response = client.get(reverse("enterprises:list"))
    assert len(response.context["rows"]) == 20
    assert len(five.captured_queries) <= 12


def test_list_needs_the_view_capability(make_user: Any) -> None:
    secadmin = make_user("sec", unit_name="昌吉市营商环境服务中心", roles=["secadmin"])
    assert _client(secadmin).get(reverse("enterprises:list")).status_code == 403


# --- detail and reveal ---------------------------------------------------------------------------
def test_detail_shows_masked_contacts_and_the_reveal_button_with_permission(county_dispatcher: Any) -> None:
    contact = ContactFactory(mobile="13812345678")
    response = _client(county_dispatcher).get(reverse("enterprises:detail", args=[contact.enterprise_id]))
    html = response.content.decode()
    assert "138****5678" in html
    assert "13812345678" not in html
    assert "显示完整号码" in html
    assert f'hx-post="{reverse("enterprises:contact-reveal", args=[contact.pk])}"' in html


def test_detail_hides_the_reveal_button_without_permission(county_handler: Any) -> None:
    contact = ContactFactory(mobile="13812345678")
    html = (
        _client(county_handler)
        .get(reverse("enterprises:detail", args=[contact.enterprise_id]))
        .content.decode()
    )
    assert "138****5678" in html
    assert "显示完整号码" not in html


def test_reveal_endpoint_returns_the_number_and_audits(county_dispatcher: Any) -> None:
    contact = ContactFactory(mobile="13812345678")
    response = _client(county_dispatcher).post(
        reverse("enterprises:contact-reveal", args=[contact.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert (
        response.content.decode().strip()
        == '<span class="font-monospace" data-testid="full-mobile">13812345678</span>'
    )
    event = AuditEvent.objects.get(action=AuditAction.VIEW_PII)
    assert (event.actor_id, event.object_id) == (county_dispatcher.pk, str(contact.pk))


def test_reveal_endpoint_refuses_without_permission(county_handler: Any) -> None:
    contact = ContactFactory(mobile="13812345678")
    response = _client(county_handler).post(reverse("enterprises:contact-reveal", args=[contact.pk]))
    assert response.status_code == 403
    assert "13812345678" not in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW_PII).exists()


def test_reveal_needs_post(county_dispatcher: Any) -> None:
    contact = ContactFactory()
    assert (
        _client(county_dispatcher).get(reverse("enterprises:contact-reveal", args=[contact.pk])).status_code
        == 405
    )


def test_another_county_gets_404(other_county_dispatcher: Any) -> None:
    contact = ContactFactory()
    client = _client(other_county_dispatcher)
    assert client.get(reverse("enterprises:detail", args=[contact.enterprise_id])).status_code == 404
    assert client.get(reverse("enterprises:edit", args=[contact.enterprise_id])).status_code == 404
    assert client.post(reverse("enterprises:contact-reveal", args=[contact.pk])).status_code == 404
    assert not AuditEvent.objects.exists()


# --- forms ---------------------------------------------------------------------------------------
def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "昌吉嘉禾食品有限公司",
        "credit_code": "9135 0100 m000100y43",
        "legal_representative": "王伟",
        "industry_section": "C",
        "industry_division": "14",
        "scale": "small",
        "ownership": "private",
        "registered_unit": unit("昌吉市").pk,
        "address": "昌吉市延安路2号",
        "status": "operating",
    }
    data.update(overrides)
    return data


def test_create_form_saves_through_the_service(county_dispatcher: Any) -> None:
    response = _client(county_dispatcher).post(reverse("enterprises:create"), _form())
    enterprise = Enterprise.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:detail", args=[enterprise.pk])
    assert enterprise.credit_code == "91350100M000100Y43"
    assert AuditEvent.objects.get().action == AuditAction.CREATE


def test_create_form_shows_the_wrong_position(county_dispatcher: Any) -> None:
    response = _client(county_dispatcher).post(
        reverse("enterprises:create"), _form(credit_code="91350100M000100Y44")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["credit_code"] == ["统一社会信用代码第18位校验码应为 3"]
    assert "统一社会信用代码第18位校验码应为 3" in response.content.decode()
    assert not Enterprise.objects.exists()


def test_create_form_shows_model_rules_on_the_field(county_dispatcher: Any) -> None:
    response = _client(county_dispatcher).post(
        reverse("enterprises:create"), _form(industry_section="A", industry_division="14")
    )
    assert response.context["form"].errors["industry_division"] == ["行业大类 14 不属于门类 A"]


def test_form_unit_choices_are_the_scope_without_departments(county_dispatcher: Any) -> None:
    response = _client(county_dispatcher).get(reverse("enterprises:create"))
    units = set(response.context["form"].fields["registered_unit"].queryset.values_list("name", flat=True))
    assert units == {"昌吉市", "宁边路街道", "延安北路街道", "榆树沟镇", "六工镇"}
    response = _client(county_dispatcher).post(
        reverse("enterprises:create"), _form(registered_unit=unit("玛纳斯县").pk)
    )
    assert response.context["form"].errors["registered_unit"] == [
        "选择一个有效的选项： 该选择不在可用的选项中。"
    ]


def test_form_needs_the_change_capability(county_handler: Any) -> None:
    assert _client(county_handler).get(reverse("enterprises:create")).status_code == 403


def test_edit_form_records_the_diff(county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory(name="旧名有限公司", credit_code="91350100M000100Y43")
    data = _form(
        name="新名有限公司", industry_division="13", address=enterprise.address, legal_representative="张三"
    )
    response = _client(county_dispatcher).post(reverse("enterprises:edit", args=[enterprise.pk]), data)
    assert response.status_code == 302
    assert AuditEvent.objects.get(action=AuditAction.UPDATE).changes == {
        "name": ["旧名有限公司", "新名有限公司"]
    }


def test_contact_form_never_echoes_the_stored_number(county_dispatcher: Any) -> None:
    contact = ContactFactory(mobile="13812345678")
    client = _client(county_dispatcher)
    html = client.get(reverse("enterprises:contact-edit", args=[contact.pk])).content.decode()
    assert "13812345678" not in html
    assert "当前：138****5678；留空则不修改" in html
    client.post(
        reverse("enterprises:contact-edit", args=[contact.pk]),
        {"name": "李四", "title": "董事长", "mobile": "", "is_primary": "on"},
    )
    contact.refresh_from_db()
    assert (contact.title, contact.mobile) == ("董事长", "13812345678")


def test_contact_add_and_delete_pages(county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory()
    client = _client(county_dispatcher)
    client.post(
        reverse("enterprises:contact-create", args=[enterprise.pk]),
        {"name": "王五", "title": "", "mobile": "13700001111"},
    )
    contact = enterprise.contacts.get()
    assert (contact.name, contact.is_primary) == ("王五", True)
    client.post(reverse("enterprises:contact-delete", args=[contact.pk]))
    assert not enterprise.contacts.exists()


# --- export --------------------------------------------------------------------------------------
def test_export_masks_mobiles_and_is_audited_with_filter_and_count(county_leader: Any) -> None:
    ContactFactory(enterprise__name="甲有限公司", enterprise__scale="small", mobile="13812345678")
    ContactFactory(enterprise__name="乙有限公司", enterprise__scale="large", mobile="13900001111")
    EnterpriseFactory(name="丙有限公司", scale="small")
    response = _client(county_leader).get(reverse("enterprises:export"), {"scale": "small", "q": ""})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][11] == "联系人手机（已脱敏）"
    assert [(r[0], r[11]) for r in rows[1:]] == [("丙有限公司", None), ("甲有限公司", "138****5678")]
    assert "13812345678" not in str(rows)
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.changes == {"filter": {"scale": "small"}, "rows": 2}
    assert event.actor_id == county_leader.pk


def test_export_is_scoped(county_leader: Any) -> None:
    EnterpriseFactory(name="域内有限公司")
    EnterpriseFactory(name="域外有限公司", registered_unit=unit("玛纳斯县"))
    response = _client(county_leader).get(reverse("enterprises:export"))
    names = [
        r[0]
        for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2, values_only=True)
    ]
    assert names == ["域内有限公司"]


def test_export_needs_the_capability(county_handler: Any) -> None:
    assert _client(county_handler).get(reverse("enterprises:export")).status_code == 403
    assert not AuditEvent.objects.exists()


# --- home card -----------------------------------------------------------------------------------
def test_home_card_counts_enterprises_in_scope(county_dispatcher: Any) -> None:
    EnterpriseFactory()
    EnterpriseFactory(registered_unit=unit("六工镇"))
    EnterpriseFactory(registered_unit=unit("玛纳斯县"))
    response = _client(county_dispatcher).get(reverse("core:home"))
    cards = [(c.label, c.value, c.url) for c in response.context["cards"] if c.label == "辖区企业"]
    assert cards == [("辖区企业", 2, reverse("enterprises:list"))]
