"""Services: scoped, capability-checked, audited with field-level diffs; contacts and PII reveal."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from qinqing.audit.models import AuditAction, AuditEvent
from qinqing.enterprises import creditcode, services
from qinqing.enterprises.models import Contact, Enterprise, Scale
from tests.factories import ContactFactory, EnterpriseFactory, unit

pytestmark = pytest.mark.django_db


def _data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "昌吉瑞丰粮油有限公司",
        "credit_code": "91350100M000100Y43",
        "legal_representative": "王伟",
        "industry_section": "C",
        "industry_division": "13",
        "scale": Scale.SMALL,
        "ownership": "private",
        "registered_unit": unit("昌吉市"),
        "address": "昌吉市建设路1号",
        "status": "operating",
    }
    data.update(overrides)
    return data


def test_create_normalises_code_and_records_the_creation(county_dispatcher: Any) -> None:
    enterprise = services.create_enterprise(county_dispatcher, _data(credit_code=" 9135 0100 m000100y43 "))
    assert enterprise.credit_code == "91350100M000100Y43"
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="enterprises.enterprise")
    assert event.object_id == str(enterprise.pk)
    assert event.actor_id == county_dispatcher.pk
    assert event.changes["credit_code"] == [None, "91350100M000100Y43"]
    assert event.changes["name"] == [None, "昌吉瑞丰粮油有限公司"]
    assert event.changes["registered_unit_id"] == [None, unit("昌吉市").pk]


def test_create_into_a_township_below_the_scope(county_dispatcher: Any) -> None:
    enterprise = services.create_enterprise(county_dispatcher, _data(registered_unit=unit("六工镇")))
    assert enterprise.registered_unit.name == "六工镇"


def test_create_outside_the_scope_is_refused_and_writes_nothing(county_dispatcher: Any) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.create_enterprise(county_dispatcher, _data(registered_unit=unit("玛纳斯县")))
    assert excinfo.value.message_dict == {"registered_unit": ["属地单位不在您的数据范围内"]}
    assert not Enterprise.objects.exists()
    assert not AuditEvent.objects.exists()


def test_create_in_a_department_is_refused(county_dispatcher: Any) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.create_enterprise(county_dispatcher, _data(registered_unit=unit("昌吉市市场监督管理局")))
    assert excinfo.value.message_dict == {
        "registered_unit": ["属地单位应为地区、县市区、园区或乡镇街道，不能是部门"]
    }


def test_create_with_a_bad_check_character_names_the_position(county_dispatcher: Any) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.create_enterprise(county_dispatcher, _data(credit_code="91350100M000100Y44"))
    assert excinfo.value.message_dict == {"credit_code": ["第18位校验码应为 3"]}
    assert not Enterprise.objects.exists()


def test_create_with_a_registered_code_is_refused(county_dispatcher: Any) -> None:
    EnterpriseFactory(credit_code="91350100M000100Y43")
    with pytest.raises(ValidationError) as excinfo:
        services.create_enterprise(county_dispatcher, _data(credit_code="91350100m000100y43"))
    assert excinfo.value.message_dict == {
        "credit_code": ["统一社会信用代码 91350100M000100Y43 已登记，不能重复"]
    }


def test_create_with_division_of_another_section_is_refused(county_dispatcher: Any) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.create_enterprise(county_dispatcher, _data(industry_section="A", industry_division="13"))
    assert excinfo.value.message_dict == {"industry_division": ["行业大类 13 不属于门类 A"]}


def test_create_needs_the_change_capability(county_handler: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.create_enterprise(county_handler, _data())
    assert not Enterprise.objects.exists()


def test_update_records_the_before_after_diff(county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory(name="旧名称有限公司", scale=Scale.SMALL)
    services.update_enterprise(
        county_dispatcher,
        enterprise,
        {"name": "新名称有限公司", "scale": Scale.LARGE, "address": enterprise.address},
    )
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.scale) == ("新名称有限公司", "large")
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert event.changes == {"name": ["旧名称有限公司", "新名称有限公司"], "scale": ["small", "large"]}
    assert event.object_repr == "新名称有限公司"


def test_update_without_change_writes_no_audit_row(county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory()
    services.update_enterprise(county_dispatcher, enterprise, {"name": enterprise.name})
    assert not AuditEvent.objects.exists()


def test_update_ignores_a_caller_mutated_instance(county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory(name="原名有限公司")
    enterprise.name = "表单改过的名字"  # e.g. a ModelForm mutated the instance before the service ran
    services.update_enterprise(county_dispatcher, enterprise, {"name": "新名有限公司"})
    assert AuditEvent.objects.get().changes == {"name": ["原名有限公司", "新名有限公司"]}


def test_moving_an_enterprise_out_of_scope_is_refused(county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.update_enterprise(county_dispatcher, enterprise, {"registered_unit": unit("玛纳斯县")})
    assert excinfo.value.message_dict == {"registered_unit": ["属地单位不在您的数据范围内"]}
    enterprise.refresh_from_db()
    assert enterprise.registered_unit.name == "昌吉市"


def test_prefecture_user_may_move_between_counties(prefecture_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory()
    services.update_enterprise(prefecture_dispatcher, enterprise, {"registered_unit": unit("玛纳斯县")})
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert event.changes == {"registered_unit_id": [unit("昌吉市").pk, unit("玛纳斯县").pk]}


def test_updating_an_enterprise_of_another_county_is_not_found(other_county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory()
    with pytest.raises(Http404):
        services.update_enterprise(other_county_dispatcher, enterprise, {"name": "改名"})
    enterprise.refresh_from_db()
    assert enterprise.name != "改名"


def test_update_to_a_bad_code_keeps_the_row(county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory()
    code = enterprise.credit_code
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(ValidationError) as excinfo:
        services.update_enterprise(county_dispatcher, enterprise, {"credit_code": wrong})
    assert excinfo.value.message_dict == {
        "credit_code": [f"第18位校验码应为 {creditcode.check_character(code[:17])}"]
    }
    enterprise.refresh_from_db()
    assert enterprise.credit_code == code


# --- contacts ------------------------------------------------------------------------------------
def test_first_contact_becomes_primary_and_audit_keeps_the_mobile_masked(county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory()
    contact = services.add_contact(
        county_dispatcher, enterprise, {"name": "李四", "title": "总经理", "mobile": "138 1234 5678"}
    )
    assert (contact.is_primary, contact.mobile) == (True, "13812345678")
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="enterprises.contact")
    assert event.changes == {
        "enterprise_id": [None, enterprise.pk],
        "name": [None, "李四"],
        "title": [None, "总经理"],
        "mobile": [None, "138****5678"],
        "is_primary": [None, True],
    }


def test_a_new_primary_contact_demotes_the_old_one(county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory()
    first = services.add_contact(county_dispatcher, enterprise, {"name": "甲", "mobile": "13800000001"})
    second = services.add_contact(
        county_dispatcher, enterprise, {"name": "乙", "mobile": "13800000002", "is_primary": True}
    )
    first.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)
    demotion = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(first.pk))
    assert demotion.changes == {"is_primary": [True, False]}


def test_update_contact_diff_masks_mobiles(county_dispatcher: Any) -> None:
    contact = ContactFactory(mobile="13812341234")
    services.update_contact(county_dispatcher, contact, {"mobile": "13999998888", "title": "董事长"})
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert event.changes == {"mobile": ["138****1234", "139****8888"], "title": ["总经理", "董事长"]}
    contact.refresh_from_db()
    assert contact.mobile == "13999998888"


def test_invalid_mobile_is_refused(county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.add_contact(county_dispatcher, enterprise, {"name": "甲", "mobile": "2381234123"})
    assert excinfo.value.message_dict == {"mobile": ["手机号应为以1开头的11位数字"]}
    assert not Contact.objects.exists()


def test_removing_the_primary_contact_promotes_the_next(county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory()
    primary = ContactFactory(enterprise=enterprise, name="甲", is_primary=True)
    other = ContactFactory(enterprise=enterprise, name="乙", is_primary=False, mobile="13900001111")
    services.remove_contact(county_dispatcher, primary)
    assert list(Contact.objects.values_list("name", "is_primary")) == [("乙", True)]
    deleted = AuditEvent.objects.get(action=AuditAction.DELETE)
    assert deleted.changes["mobile"] == ["138****1234", None]
    assert AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(other.pk)).changes == {
        "is_primary": [False, True]
    }


def test_contacts_of_another_county_are_not_found(other_county_dispatcher: Any) -> None:
    contact = ContactFactory()
    with pytest.raises(Http404):
        services.update_contact(other_county_dispatcher, contact, {"title": "x"})
    with pytest.raises(Http404):
        services.remove_contact(other_county_dispatcher, contact)
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_no_audit_row_ever_holds_a_full_mobile(county_dispatcher: Any) -> None:
    enterprise = EnterpriseFactory()
    contact = services.add_contact(county_dispatcher, enterprise, {"name": "甲", "mobile": "13712345678"})
    services.update_contact(county_dispatcher, contact, {"mobile": "13787654321"})
    services.reveal_mobile(county_dispatcher, contact)
    services.remove_contact(county_dispatcher, contact)
    dumped = str(list(AuditEvent.objects.values("changes", "detail", "object_repr")))
    assert "13712345678" not in dumped
    assert "13787654321" not in dumped


# --- reveal --------------------------------------------------------------------------------------
def test_reveal_returns_the_full_number_and_is_audited_each_time(county_leader: Any) -> None:
    contact = ContactFactory(mobile="13812341234")
    assert services.reveal_mobile(county_leader, contact) == "13812341234"
    assert services.reveal_mobile(county_leader, contact) == "13812341234"
    events = list(AuditEvent.objects.filter(action=AuditAction.VIEW_PII))
    assert len(events) == 2
    assert {(e.actor_id, e.object_type, e.object_id) for e in events} == {
        (county_leader.pk, "enterprises.contact", str(contact.pk))
    }
    assert events[0].detail == f"查看联系人手机号：{contact.enterprise.name} 李四"


def test_reveal_without_permission_is_refused_and_not_logged_as_viewed(county_handler: Any) -> None:
    contact = ContactFactory()
    with pytest.raises(PermissionDenied):
        services.reveal_mobile(county_handler, contact)
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW_PII).exists()


def test_reveal_out_of_scope_is_not_found(other_county_dispatcher: Any) -> None:
    contact = ContactFactory()
    with pytest.raises(Http404):
        services.reveal_mobile(other_county_dispatcher, contact)
    assert not AuditEvent.objects.exists()
