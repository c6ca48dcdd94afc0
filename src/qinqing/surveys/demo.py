"""Demo data: the 2026 social-satisfaction survey of 昌吉州 (ten units, answered and reported) and an open
survey that can be answered now (open link / QR, interviewer entry).

Deterministic (fixed seed) and idempotent: nothing is created once the demo survey exists.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from qinqing.accounts.models import User, UserRole
from qinqing.accounts.roles import Role
from qinqing.core.demo import DEMO_PASSWORD
from qinqing.orgs.models import Unit
from qinqing.surveys import answering, reports, services
from qinqing.surveys.models import SealedResponse, Survey

TITLE = "2026年度昌吉州营商环境社会满意度调查"
OPEN_TITLE = "政务服务“好差评”满意度回访（公开链接）"
UNITS = [
    "昌吉市", "阜康市", "呼图壁县", "玛纳斯县", "奇台县", "吉木萨尔县", "木垒哈萨克自治县",
    "准东经济技术开发区", "昌吉国家高新技术产业开发区", "昌吉州市场监督管理局",
]  # fmt: skip

ITEMS = [
    ("办事效率", "efficiency", ["办理时限", "一次办结", "等候时间"]),
    ("办事准确", "accuracy", ["一次性告知", "材料要求清楚", "结果准确"]),
    ("便利程度", "convenience", ["网上可办", "就近可办", "咨询渠道畅通"]),
    ("服务态度", "attitude", ["窗口人员态度", "主动服务", "廉洁办事"]),
]
COMMENTS = [
    "希望进一步压缩审批时限，减少重复提交材料。",
    "窗口服务态度很好，帮我们一次办结了开办手续。",
    "网上办事系统偶尔卡顿，希望优化。",
    "建议增加帮办代办服务，联系人王经理电话13912345678。",
    "供电报装比去年快了很多，点赞。",
    "涉企检查次数有所减少，希望继续保持。",
    "",
]


def definition() -> dict[str, Any]:
    sections: list[dict[str, Any]] = [
        {
            "id": "s1",
            "title": "基本情况",
            "questions": [
                {
                    "id": "q1",
                    "type": "single",
                    "text": "贵企业近一年办理过的业务（主要一项）",
                    "required": True,
                    "options": [
                        {"value": "open", "label": "开办企业"},
                        {"value": "permit", "label": "工程建设审批"},
                        {"value": "tax", "label": "纳税"},
                        {"value": "other", "label": "其他"},
                    ],
                },
                {"id": "q2", "type": "yesno", "text": "是否通过政务服务网或“新服办”办理", "required": True},
            ],
        }
    ]
    n = 3
    for label, code, texts in ITEMS:
        questions: list[dict[str, Any]] = [
            {
                "id": f"q{n}",
                "type": "scale5",
                "text": f"{label}总体评价",
                "required": True,
                "dimension": code,
                "weight": 2,
            },
            {
                "id": f"q{n + 1}",
                "type": "matrix",
                "text": f"{label}分项评价",
                "required": True,
                "items": [
                    {"id": f"q{n + 1}_{i}", "text": t, "dimension": code, "weight": 1}
                    for i, t in enumerate(texts, 1)
                ],
            },
        ]
        if code == "convenience":
            questions.append(
                {
                    "id": f"q{n + 2}",
                    "type": "single",
                    "text": "网上办理最不便之处",
                    "required": False,
                    "condition": {"question": "q2", "op": "eq", "value": "yes"},
                    "options": [
                        {"value": "login", "label": "登录认证"},
                        {"value": "upload", "label": "材料上传"},
                        {"value": "slow", "label": "系统卡顿"},
                        {"value": "other", "label": "其他"},
                    ],
                    "randomize": True,
                }
            )
        sections.append({"id": f"s{len(sections) + 1}", "title": label, "questions": questions})
        n += 3
    sections.append(
        {
            "id": f"s{len(sections) + 1}",
            "title": "意见建议",
            "questions": [
                {
                    "id": "q20",
                    "type": "attention",
                    "text": "为确认认真作答，本题请选择“满意”",
                    "expect": 4,
                    "required": True,
                },
                {"id": "q21", "type": "textarea", "text": "对改善营商环境的意见和建议", "max_length": 500},
            ],
        }
    )
    return {
        "title": "营商环境社会满意度调查问卷",
        "intro": "本问卷约需 5 分钟，答卷匿名保存。",
        "sections": sections,
    }


def _answers(rng: random.Random, bias: float) -> dict[str, Any]:
    def level() -> int:
        x = rng.random() + bias
        return 5 if x > 1.15 else 4 if x > 0.7 else 3 if x > 0.35 else 2 if x > 0.15 else 1

    online = rng.random() < 0.6
    out: dict[str, Any] = {
        "q1": rng.choice(["open", "permit", "tax", "other"]),
        "q2": "yes" if online else "no",
    }
    n = 3
    for _, code, texts in ITEMS:
        out[f"q{n}"] = level()
        out[f"q{n + 1}"] = {f"q{n + 1}_{i}": level() for i in range(1, len(texts) + 1)}
        if code == "convenience" and online:
            out[f"q{n + 2}"] = rng.choice(["login", "upload", "slow", "other"])
        n += 3
    out["q20"] = 4
    comment = rng.choice(COMMENTS)
    if comment:
        out["q21"] = comment
    return out


def _user(username: str, full_name: str, unit: str, role: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, full_name=full_name, unit=Unit.objects.get(name=unit))
        user.set_password(DEMO_PASSWORD)
        user.save()
        UserRole.objects.create(user=user, role=role)
    return user


@transaction.atomic
def load(stdout: Any = None) -> int:
    if Survey.objects.filter(title=TITLE).exists():
        return 0
    dispatcher = User.objects.filter(username="zhou_dispatcher").first() or _user(
        "zhou_dispatcher", "王调度", "昌吉州营商环境服务中心", Role.DISPATCHER
    )
    _user("zhou_interviewer", "韩调查", "昌吉州营商环境服务中心", Role.INTERVIEWER)
    q = services.publish(
        dispatcher, services.create_questionnaire(dispatcher, "营商环境社会满意度调查问卷", definition())
    )
    units = list(Unit.objects.filter(name__in=UNITS))
    survey = services.create_survey(
        dispatcher,
        questionnaire=q,
        units=units,
        title=TITLE,
        starts_on=dt.date(2026, 9, 15),
        ends_on=dt.date(2026, 11, 30),
        anonymous=True,
        allow_open_link=True,
        strata_fields=["scale"],
    )
    survey = services.transition(dispatcher, survey, "open", survey.lock_version)
    services.draw_sample(dispatcher, survey, default_size=4, seed=20260915)
    rng = random.Random(20261130)
    scales = ["micro", "small", "medium", "large"]
    rows = []
    for i, unit in enumerate(sorted(units, key=lambda u: u.pk)):
        bias = 0.25 + 0.05 * (i % 5)
        for _ in range(rng.randint(30, 60)):
            rows.append(
                SealedResponse(
                    survey=survey,
                    unit=unit,
                    stratum=rng.choice(scales),
                    mode=rng.choice(["open", "qr", "invitation"]),
                    answers=_answers(rng, bias),
                )
            )
    SealedResponse.objects.bulk_create(rows)
    released = answering.release_sealed(survey.pk, force=True)
    survey.refresh_from_db()
    survey = services.transition(dispatcher, survey, "closed", survey.lock_version)
    produced = reports.generate_all(dispatcher, survey)
    today = timezone.localdate()
    live = services.create_survey(
        dispatcher,
        questionnaire=q,
        units=units,
        title=OPEN_TITLE,
        starts_on=today - dt.timedelta(days=2),
        ends_on=today + dt.timedelta(days=60),
        anonymous=True,
        allow_open_link=True,
        allow_invitation=False,
        strata_fields=["scale"],
    )
    services.transition(dispatcher, live, "open", live.lock_version)
    if stdout is not None:
        stdout.write(f"surveys: {released} responses, {produced} reports, open survey /surveys/{live.pk}/\n")
    return released + produced + 2
