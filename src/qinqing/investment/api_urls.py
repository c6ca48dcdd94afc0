from django.urls import path
from rest_framework.routers import SimpleRouter

from qinqing.investment.api import (
    DashboardView,
    FundsViewSet,
    ImportView,
    ProjectViewSet,
    ReportViewSet,
    SettingsView,
    TargetViewSet,
)

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("investment/funds", FundsViewSet, basename="funds")
router.register("investment/reports", ReportViewSet, basename="investment-report")
router.register("investment/targets", TargetViewSet, basename="target")
urlpatterns = [
    path("investment/dashboard/", DashboardView.as_view(), name="investment-dashboard"),
    path("investment/settings/", SettingsView.as_view(), name="investment-settings"),
    path("investment/import/<str:kind>/", ImportView.as_view(), name="investment-import"),
    *router.urls,
]
