"""Questionnaire design and survey fieldwork: every state change of staff, one function per use case.

Answering (drafts, submission, consent, the release of sealed anonymous responses) is in answering.py.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import random
import secrets
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from qinqing.audit.models import AuditAction
from qinqing.audit.services import record, record_create, record_update, snapshot
from qinqing.core.limits import limited
from qinqing.core.permissions import require
from qinqing.demands import notifications
from qinqing.demands.models import Outbox
from qinqing.enterprises.models import Contact, Enterprise, EnterpriseStatus
from qinqing.orgs.models import Unit
from qinqing.surveys import schema
from qinqing.surveys.models import (
    Invitation,
    LibraryQuestion,
    Questionnaire,
    QuestionnaireStatus,
    Quota,
    SamplingRun,
    Survey,
    SurveyStatus,
)

DESIGN = "surveys.design"
FIELDWORK = "surveys.fieldwork"
MAX_REMINDERS = 3

# Survey status -> the statuses it may move to (all by holders of surveys.fieldwork).
TRANSITIONS: dict[str, set[str]] = {
    SurveyStatus.DRAFT: {SurveyStatus.OPEN},
    SurveyStatus.OPEN: {SurveyStatus.CLOSED},
    SurveyStatus.CLOSED: {SurveyStatus.OPEN},
}


class StaleError(Exception):
    """The object changed since the form was loaded."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- questionnaires ------------------------------------------------------------------------------
@transaction.atomic
def create_questionnaire(user: Any, title: str, definition: dict[str, Any] | None = None) -> Questionnaire:
    require(user, DESIGN)
    data = copy.deepcopy(definition) if definition else starter_definition(title)
    data["title"] = title or data.get("title") or "未命名问卷"
    q = Questionnaire(title=data["title"], owner_unit=user.scope_unit, definition=data)
    q.full_clean()
    q.save()
    record(
        AuditAction.CREATE,
        actor=user,
        obj=q,
        changes={"title": [None, q.title], "version": [None, q.version]},
    )
    return q


def starter_definition(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "intro": "本调查用于了解企业对营商环境的评价，约需 5 分钟。",
        "points": list(schema.DEFAULT_POINTS),
        "dimensions": copy.deepcopy(schema.DEFAULT_DIMENSIONS),
        "sections": [{"id": "s1", "title": "总体评价", "questions": []}],
    }


@transaction.atomic
def save_definition(
    user: Any, questionnaire: Questionnaire, definition: dict[str, Any], lock_version: int
) -> Questionnaire:
    """Replace a draft version's definition (the builder's every edit goes through here)."""
    require(user, DESIGN)
    q = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if q.frozen:
        raise ValidationError("已发布的问卷不可修改，请创建新版本")
    if q.lock_version != lock_version:
        raise StaleError()
    before = snapshot(q, ["title", "definition"])
    q.definition = definition
    q.title = str(definition.get("title") or q.title)
    q.full_clean()
    q.lock_version += 1
    q.save()
    record_update(user, q, before)
    return q


@transaction.atomic
def publish(user: Any, questionnaire: Questionnaire) -> Questionnaire:
    require(user, DESIGN)
    q = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if q.frozen:
        return q
    definition = schema.Definition.parse(q.definition)
    if not definition.questions():
        raise ValidationError("问卷没有题目，不能发布")
    q.status = QuestionnaireStatus.PUBLISHED
    q.published_at = timezone.now()
    q.lock_version += 1
    q.save()
    record(AuditAction.WORKFLOW, actor=user, obj=q, detail="发布问卷")
    return q


@transaction.atomic
def new_version(user: Any, questionnaire: Questionnaire) -> Questionnaire:
    """A draft copy of a published version as the next version of the family."""
    require(user, DESIGN)
    latest = Questionnaire.objects.filter(family=questionnaire.family).order_by("-version").first()
    assert latest is not None
    if not latest.frozen:
        return latest  # the family already has a draft: edit that one
    q = Questionnaire.objects.create(
        family=questionnaire.family,
        version=latest.version + 1,
        title=questionnaire.title,
        owner_unit=questionnaire.owner_unit,
        definition=copy.deepcopy(questionnaire.definition),
    )
    record(AuditAction.CREATE, actor=user, obj=q, detail=f"由第{questionnaire.version}版创建")
    return q


def export_json(questionnaire: Questionnaire) -> dict[str, Any]:
    return {"format": "qinqing.questionnaire/1", "version": questionnaire.version, **questionnaire.definition}


def import_json(user: Any, data: Any) -> Questionnaire:
    if not isinstance(data, dict):
        raise ValidationError("文件内容应为问卷 JSON 对象")
    definition = {k: v for k, v in data.items() if k not in ("format", "version")}
    try:
        schema.Definition.parse(definition)
    except schema.DefinitionError as exc:
        raise ValidationError(str(exc)) from exc
    return create_questionnaire(user, str(definition.get("title") or "导入的问卷"), definition)


@transaction.atomic
def save_to_library(user: Any, title: str, question: dict[str, Any]) -> LibraryQuestion:
    require(user, DESIGN)
    title = limited(title, "title", "名称", 200)
    probe = {"sections": [{"id": "s", "questions": [question]}]}
    try:
        schema.Definition.parse(probe)
    except schema.DefinitionError as exc:
        raise ValidationError(str(exc)) from exc
    item = LibraryQuestion.objects.create(owner_unit=user.scope_unit, title=title, question=question)
    record_create(user, item)
    return item


# --- surveys ---------------------------------------------------------------------------------------
@transaction.atomic
def create_survey(user: Any, *, questionnaire: Questionnaire, units: list[Unit], **fields: Any) -> Survey:
    require(user, FIELDWORK)
    if not questionnaire.frozen:
        raise ValidationError({"questionnaire": "请先发布问卷版本"})
    if not units:
        raise ValidationError({"units": "请至少选择一个调查单位"})
    survey = Survey(questionnaire=questionnaire, owner_unit=user.scope_unit, **fields)
    if survey.allow_open_link and not survey.open_slug:
        survey.open_slug = secrets.token_urlsafe(12)
    survey.full_clean(exclude=["open_slug"])
    survey.save()
    survey.units.set(units)
    record_create(user, survey)
    return survey


@transaction.atomic
def transition(user: Any, survey: Survey, to: str, lock_version: int) -> Survey:
    require(user, FIELDWORK)
    s = Survey.objects.select_for_update().get(pk=survey.pk)
    if s.lock_version != lock_version:
        raise StaleError()
    if to not in TRANSITIONS.get(s.status, set()):
        raise ValidationError(f"不能从“{s.get_status_display()}”变为“{SurveyStatus(to).label}”")
    before = snapshot(s, ["status"])
    s.status = to
    s.lock_version += 1
    s.save(update_fields=["status", "lock_version"])
    record_update(user, s, before)
    if to == SurveyStatus.CLOSED:
        from qinqing.surveys.answering import release_sealed

        transaction.on_commit(lambda: release_sealed(s.pk, force=True))
    return s


def _paths(units: list[Unit]) -> Q:
    condition = Q(pk__in=[])
    for unit in units:
        condition |= Q(registered_unit__path__startswith=unit.path)
    return condition


def assigned_unit(enterprise_unit_path: str, units: list[Unit]) -> Unit | None:
    for unit in units:
        if enterprise_unit_path.startswith(unit.path):
            return unit
    return None


@transaction.atomic
def draw_sample(
    user: Any,
    survey: Survey,
    *,
    default_size: int,
    per_stratum: dict[str, int] | None = None,
    seed: int | None = None,
    quota: int | None = None,
) -> SamplingRun:
    """Draw enterprises per surveyed unit and stratum, reproducibly from SEED, and make their invitations.

    The population of a unit is the operating enterprises registered in its subtree, ordered by id; the
    draw of a cell uses ``random.Random(f"{seed}:{unit id}:{stratum}")``, so the same seed over the same
    registry gives the same sample. A later draw tops up from the enterprises not invited yet.
    """
    require(user, FIELDWORK)
    if default_size < 0:
        raise ValidationError({"default_size": "样本量不能为负"})
    seed = seed if seed is not None else secrets.randbelow(2**31)
    per_stratum = per_stratum or {}
    units = sorted(survey.units.all(), key=lambda u: -len(u.path))  # the deepest match wins
    population: dict[tuple[int, str], list[int]] = defaultdict(list)
    fields = list(survey.strata_fields)
    rows = (
        Enterprise.objects.filter(status=EnterpriseStatus.OPERATING)
        .filter(_paths(units))
        .values_list("pk", "registered_unit__path", *fields)
        .order_by("pk")
    )
    already = set(
        Invitation.objects.filter(survey=survey, enterprise__isnull=False).values_list(
            "enterprise_id", flat=True
        )
    )
    for pk, path, *strata in rows:
        unit = assigned_unit(path, units)
        if unit is not None and pk not in already:  # a later draw tops up from those not yet invited
            population[(unit.pk, "|".join(str(s) for s in strata))].append(pk)
    drawn: list[tuple[int, str, int]] = []
    for (unit_id, stratum), pks in sorted(population.items()):
        size = per_stratum.get(stratum, default_size)
        rng = random.Random(f"{seed}:{unit_id}:{stratum}")
        chosen = rng.sample(pks, min(size, len(pks)))
        drawn += [(unit_id, stratum, pk) for pk in sorted(chosen)]
        if quota is not None:
            Quota.objects.update_or_create(
                survey=survey, unit_id=unit_id, stratum=stratum, defaults={"target": quota}
            )
    mobiles = dict(
        Contact.objects.filter(enterprise_id__in=[d[2] for d in drawn], is_primary=True)
        .exclude(mobile="")
        .values_list("enterprise_id", "mobile")
    )
    Invitation.objects.bulk_create(
        [
            Invitation(
                survey=survey,
                unit_id=unit_id,
                enterprise_id=pk,
                stratum=stratum,
                token_hash=token_hash(secrets.token_urlsafe(24)),  # replaced when the invitation is sent
                address=mobiles.get(pk, ""),
            )
            for unit_id, stratum, pk in drawn
        ]
    )
    run = SamplingRun.objects.create(
        survey=survey,
        seed=seed,
        plan={"default": default_size, "per_stratum": per_stratum, "quota": quota},
        drawn=len(drawn),
        created_by=user,
    )
    record(AuditAction.WORKFLOW, actor=user, obj=survey, detail=f"抽样 {len(drawn)} 家（种子 {seed}）")
    return run


@transaction.atomic
def set_quota(user: Any, survey: Survey, unit: Unit, stratum: str, target: int) -> Quota:
    require(user, FIELDWORK)
    if target < 0:
        raise ValidationError({"target": "配额不能为负"})
    quota, _ = Quota.objects.update_or_create(
        survey=survey, unit=unit, stratum=stratum, defaults={"target": target}
    )
    record(
        AuditAction.WORKFLOW,
        actor=user,
        obj=survey,
        detail=f"配额 {unit.name} {stratum or '全部'} = {target}",
    )
    return quota


def answer_url(token: str) -> str:
    from django.urls import reverse

    return getattr(settings, "PUBLIC_BASE_URL", "") + reverse("surveys:answer_token", args=[token])


def _message(survey: Survey, token: str, reminder: bool) -> str:
    lead = "提醒：您尚未完成" if reminder else "诚邀您参加"
    anon = "本调查匿名进行，答卷与企业信息不关联。" if survey.anonymous else "本调查为实名调查，可能回访。"
    return (
        f"【亲清】{lead}“{survey.title}”。{anon}请于{survey.ends_on:%m月%d日}前填写：{answer_url(token)} "
        f"不愿参加请打开链接选择“退订”。"
    )


@transaction.atomic
def send_invitations(user: Any, survey: Survey, *, reminder: bool = False) -> int:
    """Queue invitations (first sending) or reminders (unused, not opted out) through the outbox.

    Each sending issues a fresh token (only its hash is kept), so a reminder's link also works and the
    earlier link stops working.
    """
    require(user, FIELDWORK)
    if survey.status != SurveyStatus.OPEN:
        raise ValidationError("调查未开始，不能发送邀请")
    invitations = Invitation.objects.filter(survey=survey, opted_out=False).exclude(address="")
    from qinqing.surveys.models import TokenUse

    invitations = invitations.exclude(
        pk__in=TokenUse.objects.filter(invitation__survey=survey).values("invitation_id")
    )
    if reminder:
        invitations = invitations.filter(sent=True, reminders__lt=MAX_REMINDERS)
    else:
        invitations = invitations.filter(sent=False)
    rows: list[Outbox] = []
    changed: list[Invitation] = []
    for inv in invitations.select_for_update():
        token = secrets.token_urlsafe(24)
        inv.token_hash = token_hash(token)
        if reminder:
            inv.reminders += 1
        inv.sent = True
        changed.append(inv)
        key = f"survey:{inv.pk}:{inv.reminders}"
        rows.append(
            Outbox(
                channel=inv.channel,
                address=inv.address,
                subject=f"满意度调查{'提醒' if reminder else '邀请'}",
                body=_message(survey, token, reminder),
                delivery_key=key,
            )
        )
    Invitation.objects.bulk_update(changed, ["token_hash", "reminders", "sent"])
    notifications.write(rows)
    record(
        AuditAction.WORKFLOW,
        actor=user,
        obj=survey,
        detail=f"{'提醒' if reminder else '邀请'} {len(rows)} 条",
    )
    return len(rows)


def opt_out(invitation: Invitation) -> None:
    """The respondent declines: no further reminders (no login; the token is the authority)."""
    Invitation.objects.filter(pk=invitation.pk).update(opted_out=True)


def mark_opened(invitation: Invitation) -> None:
    if not invitation.opened:
        Invitation.objects.filter(pk=invitation.pk).update(opened=True)


def bump(quota_ids: list[int], delta: int) -> None:
    Quota.objects.filter(pk__in=quota_ids).update(completed=F("completed") + delta)


def today() -> dt.date:
    return timezone.localdate()
