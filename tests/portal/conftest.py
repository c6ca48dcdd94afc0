from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.investment import services as investment
from qinqing.investment.models import IndustryCluster, Project
from qinqing.portal import inquiries, public, services, snapshot
from qinqing.portal.models import ContentKind, Entry
from tests.factories import unit

SECRET_INVESTOR = "保密投资方甲集团有限公司"
SECRET_LEADER = "包联领导张某某"
SECRET_NEGOTIATION = "内部洽谈记录：对方报价底线"
UNPUBLISHED_PROJECT = "未公开的内部储备项目"


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    cache.clear()
    public.clear_cache()
    snapshot.forget()
    snapshot._state.update(version=None, catalogue=None)
    inquiries.forget_config()


@pytest.fixture
def editor(make_user: Callable[..., User]) -> User:
    return make_user("wlmq_editor", unit_name="乌鲁木齐市招商服务局", roles=[Role.STATS_FILER])


@pytest.fixture
def reviewer(make_user: Callable[..., User]) -> User:
    return make_user("wlmq_reviewer", unit_name="乌鲁木齐市招商服务局", roles=[Role.DISPATCHER])


@pytest.fixture
def cj_dispatcher(make_user: Callable[..., User]) -> User:
    return make_user("cj_disp", unit_name="昌吉市营商环境服务中心", roles=[Role.DISPATCHER])


def publish(editor: User, reviewer: User, kind: str, **fields: Any) -> Entry:
    entry = services.create_entry(editor, kind, fields)
    entry = services.submit_entry(editor, entry, expected_version=entry.version)
    return services.approve_entry(reviewer, entry, expected_version=entry.version)


def make_project(
    user: User, name: str, *, published: bool, unit_name: str = "昌吉市", **extra: Any
) -> Project:
    data: dict[str, Any] = {
        "name": name,
        "investor_name": SECRET_INVESTOR,
        "source": "province",
        "investor_type": "private",
        "sector": 2,
        "industry_section": "C",
        "industry_division": "32",
        "location_unit": unit(unit_name),
        "planned_investment_wan": Decimal("50000"),
        "construction": "new",
        "expected_jobs": 300,
        "responsible_leader": SECRET_LEADER,
        "summary": "年产10万吨高端铝合金型材，配套建设研发中心。",
        "cluster": IndustryCluster.objects.get(scheme="changji", name="铝基产业"),
        **extra,
    }
    project = investment.create_project(user, data, initial={"opened_on": dt.date(2026, 1, 5)})
    investment.add_negotiation(
        user, project, held_on=dt.date(2026, 1, 6), people="招商组", content=SECRET_NEGOTIATION
    )
    if published:
        project = investment.request_publish(user, project, expected_version=project.version)
        project = investment.review_publish(user, project, expected_version=project.version, approve=True)
    return project


POLICY_DATA = {
    "issuer": "乌鲁木齐市人民政府",
    "doc_number": "乌政发〔2026〕8号",
    "valid_from": "2026-01-01",
    "valid_to": "2099-12-31",
    "policy_types": ["land", "subsidy"],
    "industries": ["C"],
    "rules": [
        {"field": "industry", "op": "in", "value": ["C"]},
        {"field": "investment_wan", "op": ">=", "value": "10000"},
        {"field": "jobs", "op": ">=", "value": "100"},
    ],
    "checks": ["在本市注册并纳税"],
}


@pytest.fixture
def site(editor: User, reviewer: User, cj_dispatcher: User) -> dict[str, Any]:
    """Published content of every kind, a published and an unpublished project, drafts that must not leak."""
    out: dict[str, Any] = {}
    out["policy"] = publish(
        editor,
        reviewer,
        ContentKind.POLICY,
        title="支持制造业高质量发展的若干措施",
        summary="对新落地制造业项目给予用地和设备投资奖补。",
        body="第一条 对固定资产投资1亿元以上的制造业项目给予奖励。",
        data=POLICY_DATA,
    )
    out["expired"] = publish(
        editor,
        reviewer,
        ContentKind.POLICY,
        title="2020年招商引资奖励办法",
        data={
            "issuer": "市招商局",
            "valid_from": "2020-01-01",
            "valid_to": "2021-12-31",
            "policy_types": ["tax"],
            "rules": [],
        },
    )
    out["park"] = publish(
        editor,
        reviewer,
        ContentKind.PARK,
        title="乌鲁木齐经济技术开发区",
        summary="国家级经开区",
        data={
            "leading_industries": "装备制造、新材料",
            "land_available_mu": "1200",
            "lat": "43.86",
            "lng": "87.45",
            "contacts": [["园区招商局", "0991-1234567"]],
        },
    )
    out["profile"] = publish(
        editor,
        reviewer,
        ContentKind.PROFILE,
        title="区位优势",
        title_en="Location",
        summary="亚欧大陆中心",
        summary_en="At the heart of Eurasia",
        data={"section": "location"},
    )
    out["news"] = publish(
        editor, reviewer, ContentKind.NEWS, title="2026年招商推介会成功举办", data={"date": "2026-05-01"}
    )
    out["draft"] = services.create_entry(
        editor, ContentKind.POLICY, {"title": "草稿政策不应公开", "data": {}}
    )
    out["project"] = make_project(cj_dispatcher, "年产10万吨铝合金型材项目", published=True)
    out["hidden"] = make_project(cj_dispatcher, UNPUBLISHED_PROJECT, published=False)
    snapshot.sync_projects()
    return out
