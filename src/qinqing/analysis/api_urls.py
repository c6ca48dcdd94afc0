from django.urls import path
from rest_framework.routers import SimpleRouter

from qinqing.analysis import api

router = SimpleRouter()
router.register("analysis/reports", api.ReportViewSet, basename="analysis-report")
urlpatterns = [
    path("analysis/dashboard/", api.DashboardView.as_view(), name="analysis-dashboard"),
    path("analysis/breakdown/", api.BreakdownView.as_view(), name="analysis-breakdown"),
    path("analysis/top-terms/", api.TopTermsView.as_view(), name="analysis-top-terms"),
    path("analysis/similar/<int:pk>/", api.SimilarView.as_view(), name="analysis-similar"),
    path("analysis/merge/", api.MergeView.as_view(), name="analysis-merge"),
    path("analysis/repeated/", api.RepeatedView.as_view(), name="analysis-repeated"),
    *router.urls,
]
