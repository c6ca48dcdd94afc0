"""Answering: drafts resumable on the device, submission (one response per token, quotas), consent, and
the release of sealed anonymous responses.

No login is needed: an invitation's token, an open link's slug, or an interviewer's account is the
authority. Nothing here writes an audit row, a session, an address or a user agent; for anonymous surveys
the submission writes the token's used-mark and a ``SealedResponse`` in one transaction, and
``release_sealed`` later moves sealed rows into ``Response`` in shuffled batches (models.py, docs).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from qinqing.core.jobs import periodic
from qinqing.surveys import schema
from qinqing.surveys.models import (
    DimensionScore,
    Draft,
    Invitation,
    Mode,
    Questionnaire,
    Quota,
    Response,
    SealedResponse,
    Survey,
    SurveyStatus,
    TokenUse,
)
from qinqing.surveys.services import token_hash

RELEASE_BATCH = 5
_DEFINITIONS: dict[tuple[int, str, int], schema.Definition] = {}


class AnswerError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def definition_of(questionnaire: Questionnaire) -> schema.Definition:
    key = (questionnaire.pk, questionnaire.family.hex, questionnaire.lock_version)
    found = _DEFINITIONS.get(key)
    if found is None:
        if len(_DEFINITIONS) > 200:
            _DEFINITIONS.clear()
        found = _DEFINITIONS[key] = schema.Definition.parse(questionnaire.definition)
    return found


def _check_open(survey: Survey) -> None:
    today = timezone.localdate()
    if survey.status != SurveyStatus.OPEN or not survey.starts_on <= today <= survey.ends_on:
        raise AnswerError("closed", "本调查未开放或已结束")


def invitation_for(token: str) -> Invitation:
    inv = (
        Invitation.objects.select_related("survey__questionnaire", "unit")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if inv is None:
        raise AnswerError("invalid", "邀请链接无效或已更新，请使用最新收到的链接")
    return inv


def token_used(invitation: Invitation) -> bool:
    return TokenUse.objects.filter(invitation_id=invitation.pk).exists()


def open_draft(
    survey: Survey,
    unit_id: int,
    mode: str,
    draft_id: str | None,
    *,
    invitation: Invitation | None = None,
    stratum: str = "",
    token_checked: bool = False,
) -> Draft:
    """The device's draft (by its id from the cookie) or a new one (TOKEN_CHECKED: the caller has just
    seen that the invitation's token is unused)."""
    _check_open(survey)
    if invitation is not None and not token_checked and token_used(invitation):
        raise AnswerError("used", "此邀请已提交过答卷，感谢您的参与")
    if draft_id:
        found = (
            Draft.objects.filter(pk=_uuid(draft_id), survey=survey, unit_id=unit_id, mode=mode)
            .filter(Q(invitation=invitation) if invitation else Q(invitation__isnull=True))
            .first()
        )
        if found is not None:
            return found
    if invitation is None and mode == Mode.INVITATION:
        raise AnswerError("invalid", "邀请链接无效")
    allowed = {
        Mode.INVITATION: survey.allow_invitation,
        Mode.OPEN: survey.allow_open_link,
        Mode.QR: survey.allow_open_link,
        Mode.INTERVIEW: survey.allow_interview,
    }
    if not allowed.get(Mode(mode), False):
        raise AnswerError("mode", "本调查不接受此方式作答")
    if not survey.units.filter(pk=unit_id).exists():
        raise AnswerError("unit", "该单位不在本调查范围内")
    return Draft.objects.create(
        survey=survey,
        unit_id=unit_id,
        mode=mode,
        invitation=invitation,
        stratum=invitation.stratum if invitation else stratum,
    )


def _uuid(value: str) -> Any:
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@dataclass
class PageView:
    index: int
    count: int
    section: schema.Section
    questions: list[schema.Question]


def page_of(draft: Draft, definition: schema.Definition, index: int | None = None) -> PageView:
    sections = definition.visible_sections(draft.answers)
    i = min(max(0, draft.page if index is None else index), len(sections) - 1)
    section = sections[i]
    return PageView(i, len(sections), section, list(section.questions))


def keep(draft: Draft, *fields: str) -> None:
    """Write FIELDS of DRAFT; AnswerError("gone") when a concurrent request (another tab, a repeated
    submission) submitted and removed it since it was opened."""
    if not Draft.objects.filter(pk=draft.pk).update(**{f: getattr(draft, f) for f in fields}):
        raise AnswerError("gone", "答卷已提交或已失效")


def save_page(
    draft: Draft, index: int, given: dict[str, Any], *, consent: bool | None = None
) -> dict[str, str]:
    """Validate and keep one page's answers; on success the draft moves to the next page."""
    survey = draft.survey
    _check_open(survey)
    definition = definition_of(survey.questionnaire)
    page = page_of(draft, definition, index)
    if not survey.anonymous and draft.consent_at is None:
        if not consent:
            return {"consent": "请阅读告知书并勾选同意后再作答"}
        draft.consent_at = timezone.now()
    answers = dict(draft.answers)
    errors = definition.clean_section(page.section, answers, given)
    if errors:
        return errors
    draft.answers = definition.prune(answers)
    draft.page = min(page.index + 1, len(definition.visible_sections(draft.answers)) - 1)
    draft.updated_on = timezone.localdate()
    keep(draft, "answers", "page", "updated_on", "consent_at")
    return {}


def save_all(draft: Draft, given: dict[str, Any], *, consent: bool | None = None) -> dict[str, str]:
    """Validate answers to any number of sections at once (the API), in order, conditions applied."""
    survey = draft.survey
    _check_open(survey)
    definition = definition_of(survey.questionnaire)
    if not survey.anonymous and draft.consent_at is None:
        if not consent:
            return {"consent": "请阅读告知书并同意后再作答"}
        draft.consent_at = timezone.now()
    answers = dict(draft.answers)
    errors: dict[str, str] = {}
    for section in definition.sections:
        if section.condition is not None and not section.condition.holds(answers):
            continue
        if not any(q.id in given for q in section.questions):
            continue
        section_errors = definition.clean_section(section, answers, given)
        errors.update(section_errors)
    if errors:
        return errors
    draft.answers = definition.prune(answers)
    draft.updated_on = timezone.localdate()
    keep(draft, "answers", "updated_on", "consent_at")
    return {}


def is_last_page(draft: Draft, index: int) -> bool:
    definition = definition_of(draft.survey.questionnaire)
    return index >= len(definition.visible_sections(draft.answers)) - 1


@transaction.atomic
def submit(draft_id: Any) -> str:
    """Submit a draft: the whole of it is validated again; returns "ok" (or raises AnswerError)."""
    draft = Draft.objects.select_related("survey__questionnaire").filter(pk=draft_id).first()
    if draft is None:
        raise AnswerError("gone", "答卷已提交或已失效")
    survey = draft.survey
    _check_open(survey)
    definition = definition_of(survey.questionnaire)
    answers = definition.prune(draft.answers)
    missing = definition.missing_required(answers)
    if missing:
        raise AnswerError("incomplete", f"还有 {len(missing)} 道必答题未作答")
    if not survey.anonymous and draft.consent_at is None:
        raise AnswerError("consent", "请先勾选同意告知书")
    valid = definition.attention_passed(answers)
    # One submission per token: the used-mark's primary key serialises concurrent submissions of the same
    # invitation (the second waits for the first and then fails); other drafts are locked only after it.
    if draft.invitation_id is not None:
        try:
            with transaction.atomic():
                TokenUse.objects.create(invitation_id=draft.invitation_id)
        except IntegrityError:
            raise AnswerError("used", "此邀请已提交过答卷，感谢您的参与") from None
    elif not Draft.objects.select_for_update().filter(pk=draft.pk).exists():
        raise AnswerError("gone", "答卷已提交或已失效")
    if valid:
        _take_quota(survey, draft.unit_id, draft.stratum)
    if survey.anonymous:
        SealedResponse.objects.create(
            survey=survey,
            unit_id=draft.unit_id,
            stratum=draft.stratum,
            mode=draft.mode,
            answers=answers,
            valid=valid,
        )
        transaction.on_commit(lambda: release_sealed(survey.pk))
    else:
        response = Response(
            survey=survey,
            unit_id=draft.unit_id,
            stratum=draft.stratum,
            mode=draft.mode,
            submitted_on=timezone.localdate(),
            answers=answers,
            valid=valid,
            invitation_id=draft.invitation_id,
            consent_at=draft.consent_at,
            consent_notice=survey.notice_version,
        )
        scores = _score(definition, [response])
        response.save(force_insert=True)
        DimensionScore.objects.bulk_create(scores)
    if draft.invitation_id is not None:
        Draft.objects.filter(invitation_id=draft.invitation_id).delete()
    else:
        draft.delete()
    return "ok"


def _take_quota(survey: Survey, unit_id: int, stratum: str) -> None:
    """Count the completion in every quota cell it falls in; a full cell refuses (the transaction rolls back).

    The conditional UPDATE is atomic on PostgreSQL (the row lock makes a concurrent one re-check
    ``completed < target``) and on SQLite (writers are serialised).
    """
    cells = Quota.objects.filter(
        survey=survey, unit_id=unit_id, stratum__in=["", stratum] if stratum else [""]
    )
    for quota_id in cells.values_list("pk", flat=True):
        taken = Quota.objects.filter(pk=quota_id, completed__lt=F("target")).update(
            completed=F("completed") + 1
        )
        if not taken:
            raise AnswerError("quota", "本单位（分层）的样本配额已满，感谢您的参与")


def _score(definition: schema.Definition, responses: list[Response]) -> list[DimensionScore]:
    """Set each (unsaved) response's index and counts; its dimension scores to insert after it."""
    scores: list[DimensionScore] = []
    for r in responses:
        s = definition.score(r.answers)
        r.index = None if s.index is None else Decimal(f"{s.index:.2f}")
        r.rated, r.satisfied = s.rated, s.satisfied
        if not r.valid or s.index is None:
            continue
        common = {"response": r, "survey_id": r.survey_id, "unit_id": r.unit_id, "stratum": r.stratum}
        scores.append(DimensionScore(dimension="", score=s.index, **common))
        scores += [DimensionScore(dimension=d, score=v, **common) for d, v in s.dimensions.items()]
    return scores


def release_sealed(survey_id: int | None = None, *, force: bool = False) -> int:
    """Move sealed responses into Response: per survey, all at once when at least RELEASE_BATCH wait
    (or FORCE, at the close of fieldwork), in a random order, dated the day of the release."""
    released = 0
    with transaction.atomic():
        sealed = SealedResponse.objects.select_for_update(skip_locked=True).select_related(
            "survey__questionnaire"
        )
        if survey_id is not None:
            sealed = sealed.filter(survey_id=survey_id)
        by_survey: dict[int, list[SealedResponse]] = {}
        for row in sealed:
            by_survey.setdefault(row.survey_id, []).append(row)
        rng = random.SystemRandom()
        today = timezone.localdate()
        for rows in by_survey.values():
            if len(rows) < RELEASE_BATCH and not force:
                continue
            rng.shuffle(rows)
            definition = definition_of(rows[0].survey.questionnaire)
            responses = [
                Response(
                    survey_id=r.survey_id,
                    unit_id=r.unit_id,
                    stratum=r.stratum,
                    mode=r.mode,
                    submitted_on=today,
                    answers=r.answers,
                    valid=r.valid,
                )
                for r in rows
            ]
            scores = _score(definition, responses)
            Response.objects.bulk_create(responses)
            DimensionScore.objects.bulk_create(scores)
            SealedResponse.objects.filter(pk__in=[r.pk for r in rows]).delete()
            released += len(rows)
    return released


@periodic(300, name="surveys.release_sealed")
def release_job() -> int:
    return release_sealed()


DRAFT_DAYS = 60  # as long as the device cookie lives (public_views.COOKIE_AGE)


@periodic(86400, name="surveys.expire_drafts")
def expire_drafts() -> int:
    """Delete drafts untouched for DRAFT_DAYS days (and every draft of a closed survey)."""
    cutoff = timezone.localdate() - timedelta(days=DRAFT_DAYS)
    stale = Draft.objects.filter(Q(updated_on__lt=cutoff) | Q(survey__status=SurveyStatus.CLOSED))
    return stale.delete()[0]


@transaction.atomic
def withdraw_consent(invitation: Invitation) -> bool:
    """Delete the named response of a non-anonymous survey (its quota place is given back)."""
    response = Response.objects.select_for_update().filter(invitation=invitation).first()
    if response is None or invitation.survey.anonymous:
        return False
    if response.valid:
        Quota.objects.filter(
            survey_id=response.survey_id,
            unit_id=response.unit_id,
            stratum__in=["", response.stratum] if response.stratum else [""],
        ).update(completed=F("completed") - 1)
    response.delete()
    return True
