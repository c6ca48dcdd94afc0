from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from qinqing.accounts.models import User
from qinqing.accounts.roles import Role
from qinqing.demands.models import Outbox
from qinqing.orgs.models import Unit
from qinqing.surveys import services
from qinqing.surveys.models import Invitation, Questionnaire, Survey
from tests.factories import ContactFactory, EnterpriseFactory, unit

DEFINITION: dict[str, Any] = {
    "title": "政务服务满意度问卷",
    "intro": "测试问卷",
    "dimensions": [
        {"code": "efficiency", "label": "办事效率"},
        {"code": "accuracy", "label": "办事准确"},
        {"code": "convenience", "label": "便利程度"},
        {"code": "attitude", "label": "服务态度"},
    ],
    "sections": [
        {
            "id": "s1",
            "title": "总体评价",
            "questions": [
                {
                    "id": "q1",
                    "type": "scale5",
                    "text": "总体满意度",
                    "required": True,
                    "dimension": "efficiency",
                    "weight": 2,
                },
                {"id": "q2", "type": "yesno", "text": "是否办理过开办企业业务", "required": True},
                {
                    "id": "q3",
                    "type": "single",
                    "text": "办理渠道",
                    "required": True,
                    "options": [
                        {"value": "a", "label": "窗口"},
                        {"value": "b", "label": "网上"},
                        {"value": "c", "label": "自助机"},
                    ],
                    "condition": {"question": "q2", "op": "eq", "value": "yes"},
                },
                {
                    "id": "q4",
                    "type": "matrix",
                    "text": "窗口服务",
                    "required": True,
                    "items": [
                        {"id": "q4_1", "text": "服务态度", "dimension": "attitude", "weight": 1},
                        {"id": "q4_2", "text": "一次办对", "dimension": "accuracy", "weight": 1},
                    ],
                },
            ],
        },
        {
            "id": "s2",
            "title": "开办企业",
            "condition": {"question": "q2", "op": "eq", "value": "yes"},
            "questions": [
                {
                    "id": "q5",
                    "type": "scale5",
                    "text": "开办企业便利程度",
                    "required": True,
                    "dimension": "convenience",
                    "weight": 1,
                },
                {"id": "q6", "type": "number", "text": "办理天数", "min": 0, "max": 30},
            ],
        },
        {
            "id": "s3",
            "title": "意见建议",
            "questions": [
                {"id": "q7", "type": "textarea", "text": "意见建议", "max_length": 500},
                {"id": "q8", "type": "attention", "text": "请选择“满意”", "expect": 4, "required": True},
            ],
        },
    ],
}

# the hand-computed example: (2×100 + 80 + 60 + 30) ÷ 5 = 74
ANSWERS = {
    "q1": 5,
    "q2": "yes",
    "q3": "b",
    "q4": {"q4_1": 4, "q4_2": 3},
    "q5": 2,
    "q6": 3,
    "q7": "窗口排队时间长",
    "q8": 4,
}

SURVEY_UNITS = [
    "昌吉市",
    "阜康市",
    "呼图壁县",
    "玛纳斯县",
    "奇台县",
    "吉木萨尔县",
    "木垒县",
    "准东开发区",
    "昌吉高新区",
]


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def designer(make_user: Callable[..., User]) -> User:
    return make_user("sv_designer", unit_name="昌吉州营商环境服务中心", roles=[Role.DISPATCHER], email="")


@pytest.fixture
def head(make_user: Callable[..., User]) -> User:
    return make_user("sv_head", unit_name="昌吉州营商环境服务中心", roles=[Role.UNIT_HEAD])


@pytest.fixture
def questionnaire(designer: User) -> Questionnaire:
    q = services.create_questionnaire(designer, "政务服务满意度问卷", DEFINITION)
    return services.publish(designer, q)


def make_survey(user: User, questionnaire: Questionnaire, **extra: Any) -> Survey:
    today = timezone.localdate()
    fields: dict[str, Any] = {
        "title": "2026年营商环境满意度调查",
        "starts_on": today - dt.timedelta(days=10),
        "ends_on": today + dt.timedelta(days=20),
        "anonymous": True,
        "allow_open_link": True,
        "strata_fields": ["scale"],
        "min_cell": 5,
    }
    fields.update(extra)
    units = [unit(n) for n in extra.pop("unit_names", SURVEY_UNITS)]
    fields.pop("unit_names", None)
    survey = services.create_survey(user, questionnaire=questionnaire, units=units, **fields)
    return services.transition(user, survey, "open", survey.lock_version)


@pytest.fixture
def survey(designer: User, questionnaire: Questionnaire) -> Survey:
    return make_survey(designer, questionnaire)


def enterprises(unit_name: str, count: int, scale: str = "small") -> list[Any]:
    out = []
    u = unit(unit_name)
    for _ in range(count):
        e = EnterpriseFactory(registered_unit=u, scale=scale)
        ContactFactory(enterprise=e, mobile=f"139{e.pk:08d}")
        out.append(e)
    return out


def tokens(survey: Survey, user: User) -> dict[int, str]:
    """Send the invitations; the tokens read back from the outbox bodies, by invitation id."""
    services.send_invitations(user, survey)
    out: dict[int, str] = {}
    for row in Outbox.objects.filter(delivery_key__startswith="survey:"):
        inv_id = int(row.delivery_key.split(":")[1])
        out[inv_id] = re.search(r"/surveys/t/([^/]+)/", row.body).group(1)  # type: ignore[union-attr]
    return out


def invite(
    survey: Survey, user: User, unit_name: str, count: int, scale: str = "small"
) -> list[tuple[Invitation, str]]:
    enterprises(unit_name, count, scale)
    services.draw_sample(user, survey, default_size=count, seed=7)
    found = tokens(survey, user)
    invs = Invitation.objects.filter(survey=survey, unit=unit(unit_name)).order_by("pk")
    return [(i, found[i.pk]) for i in invs if i.pk in found]


@pytest.fixture
def changji() -> Unit:
    return unit("昌吉市")


def add_responses(
    survey: Survey, unit_name: str, levels: list[int], stratum: str = "small", text: str = ""
) -> None:
    """Released responses whose five-level answers are all LEVEL (so each index is the level's points)."""
    from qinqing.surveys import answering
    from qinqing.surveys.models import SealedResponse

    u = unit(unit_name)
    for level in levels:
        answers = {"q1": level, "q2": "no", "q4": {"q4_1": level, "q4_2": level}, "q8": 4}
        if text:
            answers["q7"] = text
        SealedResponse.objects.create(survey=survey, unit=u, stratum=stratum, mode="open", answers=answers)
    answering.release_sealed(survey.pk, force=True)
