"""Demo enterprises: about 300, valid codes, plausible spread, deterministic and idempotent."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.db.models import Count

from qinqing.enterprises import creditcode, demo
from qinqing.enterprises.models import Contact, Enterprise
from qinqing.orgs.models import Unit


@pytest.mark.django_db
def test_demo_load_is_valid_and_idempotent(tree: None) -> None:
    out = StringIO()
    created = demo.load(stdout=out)
    assert created == 300
    assert Enterprise.objects.count() == 300
    contacts = Contact.objects.count()
    assert out.getvalue() == f"企业演示数据：新增 300 家企业、{contacts} 位联系人（共 300 家）\n"
    enterprises = list(Enterprise.objects.select_related("registered_unit", "registered_unit__parent"))
    assert all(creditcode.check(e.credit_code).ok for e in enterprises)
    for e in enterprises:
        unit = e.registered_unit
        expected = unit.division_code or unit.parent.division_code
        assert e.credit_code[2:8] == expected, e.name
        e.full_clean()
    assert len({e.name for e in enterprises}) == 300
    units = Counter(e.registered_unit.name for e in enterprises)
    assert set(units) == set(demo.UNITS)
    assert {e.registered_unit.parent.short_name for e in enterprises} == {"昌吉州", "乌鲁木齐市"}
    sections = Counter(e.industry_section for e in enterprises)
    assert {"A", "B", "C", "D", "G"} <= set(sections)
    per_enterprise = Enterprise.objects.annotate(n=Count("contacts")).values_list("n", flat=True)
    assert set(per_enterprise) == {1, 2}
    assert Contact.objects.filter(is_primary=True).count() == 300
    for contact in Contact.objects.all():
        contact.full_clean()
        assert len(contact.mobile) == 11

    assert demo.load() == 0
    assert (Enterprise.objects.count(), Contact.objects.count()) == (300, contacts)


def test_demo_data_is_deterministic() -> None:
    units = {name: Unit(name=name, division_code="652301") for name in demo.UNITS}  # unsaved: no database
    first = [(s.enterprise.name, s.enterprise.credit_code) for s in demo._specs(units)]
    second = [(s.enterprise.name, s.enterprise.credit_code) for s in demo._specs(units)]
    assert first == second
    assert len(first) == demo.TOTAL
