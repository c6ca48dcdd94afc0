"""The create response built as a plain dict (demands.responses) is exactly the detail serializer's."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from rest_framework.renderers import JSONRenderer

from qinqing.accounts.models import User
from qinqing.demands.api import DemandDetailSerializer, _known_empty
from qinqing.demands.models import Attachment, Demand, DemandAssist
from qinqing.demands.responses import HIDDEN, new_demand_body
from qinqing.orgs.models import Tier
from tests.demands.conftest import People, submit
from tests.factories import EnterpriseFactory, unit


def both(demand: Demand, user: User) -> tuple[dict[str, Any], dict[str, Any]]:
    demand._prefetched_objects_cache = {  # type: ignore[attr-defined]
        "assists": _known_empty(DemandAssist.objects.none()),
        "attachments": _known_empty(Attachment.objects.none()),
    }
    plain = new_demand_body(demand, user)
    drf = dict(DemandDetailSerializer(demand, context={"request": SimpleNamespace(user=user)}).data)
    return plain, drf


def assert_same(demand: Demand, user: User) -> dict[str, Any]:
    plain, drf = both(demand, user)
    assert plain == drf
    assert list(plain) == list(drf)  # the same key order
    assert JSONRenderer().render(plain) == JSONRenderer().render(drf)  # and the same bytes
    return plain


def test_staff_12345_intake(people: People) -> None:
    d = submit(people, by=people.office, enterprise=people.enterprise, channel="12345", external_ref="R-9")
    body = assert_same(d, people.office)
    assert (body["external_ref"], body["channel_display"], body["enterprise"]) == (
        "R-9",
        "12345转办",
        d.enterprise_id,
    )
    assert body["allowed_actions"] == ["accept", "reject"] and body["created_at"].endswith("+08:00")


def test_enterprise_user_submission(people: People) -> None:
    d = submit(people, urgency="urgent", demand_type="consult")
    body = assert_same(d, people.ent)
    assert body["external_ref"] is None and body["urgency"] == "urgent"
    assert body["contact_phone"] == "138****1234"


@pytest.mark.parametrize("hide", [Tier.COUNTY, Tier.PREFECTURE, None])
def test_identity_hidden_from_the_submitters_own_tier(people: People, hide: int | None) -> None:
    town_ent = EnterpriseFactory(registered_unit=unit("榆树沟镇"))
    d = submit(people, by=people.town_head, enterprise=town_ent, channel="visit", hide_below_tier=hide)
    body = assert_same(d, people.town_head)
    assert body["hide_below_tier"] == hide
    assert (body["enterprise_name"] == HIDDEN) is (hide is not None)
