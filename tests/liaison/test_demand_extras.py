"""The demand page offers what analysis and liaison add to it (core/extensions.py), to whom it applies."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse

from qinqing.accounts.models import User
from qinqing.demands.models import Demand
from qinqing.liaison import services
from tests.liaison.conftest import Cast, drive, enterprise_user, submit_demand
from tests.liaison.test_visits import log


def extras(user: User, demand: Demand) -> tuple[list[tuple[str, str]], list[str]]:
    """(links as (label, href), HTMX panel URLs) in the demand page's extras section."""
    client = Client()
    client.force_login(user)
    response = client.get(reverse("demands:detail", args=[demand.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    match = re.search(r'<section class="mt-3" data-testid="demand-extras">(.*?)</section>', html, re.S)
    if match is None:
        return [], []
    body = match.group(1)
    links = [
        (label, href) for href, label in re.findall(r'<a class="btn[^"]*" href="([^"]+)">([^<]+)</a>', body)
    ]
    return links, re.findall(r'hx-get="([^"]+)"', body)


def test_lead_unit_sees_difficult_link_until_marked_and_staff_see_duplicates(cast: Cast, clock: Any) -> None:
    d = drive(cast, submit_demand(cast), "handling")
    similar = reverse("analysis:similar", args=[d.pk])
    difficult = reverse("liaison:difficult", args=[d.pk])
    assert extras(cast.nr_head, d) == ([("标记疑难", difficult)], [similar])
    # The office sees the demand but does not hold it: no 标记疑难.
    assert extras(cast.office, d) == ([], [similar])
    assert extras(enterprise_user(cast, d.enterprise), d) == ([], [])
    services.mark_difficult(cast.nr_head, d.pk, reason="涉及多个部门，本级无法协调")
    assert extras(cast.nr_head, d) == ([], [similar])


def test_visit_demand_links_its_visit_and_closed_demand_has_no_duplicates_panel(
    cast: Cast, clock: Any
) -> None:
    visit = log(cast)
    d = visit.problems.order_by("position").first().demand  # type: ignore[union-attr]
    visit_url = reverse("liaison:visit", args=[visit.pk])
    assert extras(cast.office, d) == (
        [("来源走访记录", visit_url)],
        [reverse("analysis:similar", args=[d.pk])],
    )
    closed = drive(cast, submit_demand(cast, title="排水许可办理"), "closed")
    assert extras(cast.office, closed) == ([], [])
