from __future__ import annotations

import pytest

from qinqing.surveys import demo
from qinqing.surveys.models import Response, Survey, SurveyReport


@pytest.mark.django_db
def test_demo_loads_once(tree: None) -> None:
    created = demo.load()
    assert created > 0
    survey = Survey.objects.get(title=demo.TITLE)
    assert survey.units.count() == 10 and survey.status == "closed"
    assert SurveyReport.objects.filter(survey=survey, kind="unit").count() == 10
    assert Response.objects.filter(survey=survey).count() >= 300
    assert demo.load() == 0
    assert Survey.objects.count() == 2
