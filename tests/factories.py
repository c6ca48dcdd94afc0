"""Test data builders. Units come from the real tree (qinqing.orgs.tree), loaded once per database."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

import factory

from qinqing.accounts.models import User, UserRole
from qinqing.enterprises import creditcode
from qinqing.enterprises.models import Contact, Enterprise, Ownership, Scale
from qinqing.orgs.models import Unit

PASSWORD = "Test-Pass-2026"
_rng = random.Random(20261122)


def unit(name: str) -> Unit:
    """A unit of the shipped tree by its full name or short name."""
    found = Unit.objects.filter(name=name).first() or Unit.objects.filter(short_name=name).first()
    if found is None:
        raise LookupError(f"no unit named {name!r}")
    return found


def credit_code(division: str = "652301") -> str:
    return creditcode.generate(_rng, division)


class EnterpriseFactory(factory.django.DjangoModelFactory[Enterprise]):
    class Meta:
        model = Enterprise
        django_get_or_create = ("credit_code",)

    name = factory.Sequence(lambda n: f"测试企业{n:04d}有限公司")
    credit_code = factory.LazyFunction(credit_code)
    legal_representative = "张三"
    industry_section = "C"
    industry_division = "13"
    scale = Scale.SMALL
    ownership = Ownership.PRIVATE
    registered_unit = factory.LazyFunction(lambda: unit("昌吉市"))
    address = "昌吉市某路1号"


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = "李四"
    title = "总经理"
    mobile = "13812341234"
    is_primary = True


def make_user(
    username: str,
    *,
    unit_name: str | None = None,
    enterprise: Enterprise | None = None,
    roles: Iterable[str] = (),
    password: str = PASSWORD,
    **extra: Any,
) -> User:
    user = User(username=username, full_name=extra.pop("full_name", username), **extra)
    if unit_name is not None:
        user.unit = unit(unit_name)
    user.enterprise = enterprise
    user.set_password(password)
    user.save()
    UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in roles])
    return User.objects.get(pk=user.pk)
