from django.urls import path
from rest_framework.routers import SimpleRouter

from qinqing.promotion import api

router = SimpleRouter()
router.register("promotion/receptions", api.ReceptionViewSet, basename="promotion-reception")
router.register("promotion/trips", api.TripViewSet, basename="promotion-trip")
router.register("promotion/task-forces", api.TaskForceViewSet, basename="promotion-taskforce")
router.register("promotion/next-steps", api.NextStepViewSet, basename="promotion-nextstep")
urlpatterns = [
    path("promotion/intentions/", api.IntentionView.as_view(), name="promotion-intention"),
    path("promotion/year/", api.YearFiguresView.as_view(), name="promotion-year"),
    path("promotion/return/", api.ReturnView.as_view(), name="promotion-return"),
    *router.urls,
]
