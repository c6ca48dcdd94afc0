"""The surveys models in the shared scoping battery (tests/scoping)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.urls import reverse

from qinqing.enterprises.models import Enterprise
from qinqing.orgs.models import Unit
from tests.scoping.registry import ScopedCase, register


def _questionnaire(unit: Unit, enterprise: Enterprise) -> Any:
    from qinqing.surveys.models import Questionnaire
    from tests.surveys.conftest import DEFINITION

    return Questionnaire.objects.create(
        title="问卷", owner_unit=unit, definition=DEFINITION, status="published"
    )


def _library(unit: Unit, enterprise: Enterprise) -> Any:
    from qinqing.surveys.models import LibraryQuestion

    return LibraryQuestion.objects.create(
        owner_unit=unit, title="总体满意度", question={"id": "q1", "type": "scale5", "text": "总体满意度"}
    )


def _survey(unit: Unit, enterprise: Enterprise) -> Any:
    from qinqing.surveys.models import Survey

    survey = Survey.objects.create(
        title="调查",
        questionnaire=_questionnaire(unit, enterprise),
        owner_unit=unit,
        starts_on=dt.date(2026, 10, 1),
        ends_on=dt.date(2026, 11, 30),
        open_slug=uuid.uuid4().hex,
    )
    survey.units.set([unit])
    return survey


def _invitation(unit: Unit, enterprise: Enterprise) -> Any:
    from qinqing.surveys.models import Invitation

    return Invitation.objects.create(
        survey=_survey(unit, enterprise), unit=unit, enterprise=enterprise, token_hash=uuid.uuid4().hex
    )


def _response(unit: Unit, enterprise: Enterprise) -> Any:
    from qinqing.surveys.models import Response

    return Response.objects.create(
        survey=_survey(unit, enterprise), unit=unit, mode="open", submitted_on=dt.date(2026, 10, 2)
    )


def _report(unit: Unit, enterprise: Enterprise) -> Any:
    from qinqing.accounts.models import User
    from qinqing.surveys.models import SurveyReport

    user = User.objects.filter(is_active=True).first() or User.objects.create(
        username=f"r{uuid.uuid4().hex[:6]}"
    )
    return SurveyReport.objects.create(
        survey=_survey(unit, enterprise), unit=unit, kind="unit", pdf=b"%PDF-1.4", docx=b"PK", created_by=user
    )


register(
    "surveys.questionnaire",
    ScopedCase(
        make=_questionnaire,
        page_url=lambda o: reverse("surveys:questionnaire", args=[o.pk]),
        api_url=lambda o: reverse("api:survey-questionnaire-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
register("surveys.libraryquestion", ScopedCase(make=_library, enterprise_visible=False))
register(
    "surveys.survey",
    ScopedCase(
        make=_survey,
        page_url=lambda o: reverse("surveys:detail", args=[o.pk]),
        api_url=lambda o: reverse("api:survey-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
register(
    "surveys.invitation",
    ScopedCase(
        make=_invitation,
        api_url=lambda o: reverse("api:survey-invitation-detail", args=[o.pk]),
        enterprise_visible=False,
    ),
)
register("surveys.response", ScopedCase(make=_response, enterprise_visible=False))
register(
    "surveys.surveyreport",
    ScopedCase(
        make=_report,
        page_url=lambda o: reverse("surveys:report_file", args=[o.survey_id, o.pk, "pdf"]),
        enterprise_visible=False,
    ),
)
