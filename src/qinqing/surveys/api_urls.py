from django.urls import path
from rest_framework.routers import SimpleRouter

from qinqing.surveys.api import (
    InvitationViewSet,
    OpenAnswerView,
    QuestionnaireViewSet,
    SurveyViewSet,
    TokenAnswerView,
)

router = SimpleRouter()
router.register("surveys/questionnaires", QuestionnaireViewSet, basename="survey-questionnaire")
router.register("surveys/invitations", InvitationViewSet, basename="survey-invitation")
router.register("surveys/surveys", SurveyViewSet, basename="survey")
urlpatterns = [
    path("surveys/answer/token/<str:token>/", TokenAnswerView.as_view(), name="survey-answer-token"),
    path(
        "surveys/answer/open/<str:slug>/<int:unit_id>/", OpenAnswerView.as_view(), name="survey-answer-open"
    ),
    *router.urls,
]
