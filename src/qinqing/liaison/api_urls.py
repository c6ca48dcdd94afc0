from django.urls import path
from rest_framework.routers import SimpleRouter

from qinqing.liaison import api

router = SimpleRouter()
router.register("liaison/assignments", api.AssignmentViewSet, basename="liaison-assignment")
router.register("liaison/visits", api.VisitViewSet, basename="liaison-visit")
router.register("liaison/proposals", api.ProposalViewSet, basename="liaison-proposal")
router.register("liaison/meetings", api.MeetingViewSet, basename="liaison-meeting")
urlpatterns = [
    path("liaison/ledger/", api.LedgerView.as_view(), name="liaison-ledger"),
    path("liaison/coverage/", api.CoverageView.as_view(), name="liaison-coverage"),
    *router.urls,
]
